"""The precision guard: finite differences need a model that computes in float64.

A difference quotient divides the change of f by a small step, so every bit
the model drops is amplified by ``1/h^n``: in float32 (ε ≈ 1.2e-7) a second
derivative is wrong in the third digit at best. Keras makes float32 easy to
miss: the default dtype policy is float32, and a model built after
``set_dtype_policy("float64")`` can still have a float32 ``Input`` that rounds
every input on the way in. :func:`check_precision` looks for all three
(weights, dtype policies, inputs) and confirms by probing the model with ``x``
and ``x + tiny``; :func:`as_float64` returns a float64 copy.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import tensorflow as tf

from ..errors import PrecisionError
from .calling import call_model

__all__ = [
    "as_float64", "check_precision", "find_low_precision", "input_findings", "model_findings",
    "precision_verdict", "probe_points", "rounding_finding",
]

#: Relative probe shift: lost when inputs are rounded to float32, kept in float64.
PROBE_TINY = 2.0**-30
#: Relative probe shift that changes any non-constant function in either precision.
PROBE_LARGE = 2.0**-8

_FIX = ("build the model after keras.config.set_dtype_policy('float64') with "
        "keras.Input(..., dtype='float64'), or convert it with finitediff.as_float64(model)")


def _is_float(dtype) -> bool:
    return tf.as_dtype(dtype).is_floating


def _below_float64(dtype) -> bool:
    return _is_float(dtype) and tf.as_dtype(dtype) != tf.float64


def model_findings(model) -> list[str]:
    """What the weights and the layers' dtype policies say about the model's precision."""
    findings = []
    low_weights = [w.path for w in getattr(model, "weights", []) if _below_float64(w.dtype)]
    if low_weights:
        dtype = tf.as_dtype(model.weights[0].dtype).name
        findings.append(f"weights are {dtype} (e.g. {low_weights[0]!r})")
    if isinstance(model, keras.Model):
        for layer in model._flatten_layers(include_self=False):
            if isinstance(layer, (keras.layers.InputLayer, keras.Model)):
                continue
            compute = layer.dtype_policy.compute_dtype
            if _below_float64(compute):
                findings.append(f"layer {layer.name!r} computes in {compute} (its dtype policy)")
                break
    return findings


def input_findings(tensors) -> list[str]:
    """Declared inputs (Keras tensors) that round every value fed to them."""
    return [f"input {tensor.name!r} has dtype {tensor.dtype}, which rounds every input"
            for tensor in tensors if _below_float64(tensor.dtype)]


def _static_findings(model) -> list[str]:
    """What the model's configuration says about its precision."""
    # A subclassed model has no `inputs` attribute at all.
    return model_findings(model) + input_findings(getattr(model, "inputs", None) or [])


def probe_points(base: np.ndarray) -> np.ndarray:
    """``base``, ``base + tiny`` and ``base + large``, stacked: the points the probe evaluates."""
    scale = np.maximum(np.abs(base), 1.0)
    return np.stack([base, base + PROBE_TINY * scale, base + PROBE_LARGE * scale])


def rounding_finding(values: np.ndarray) -> str | None:
    """Explain the values at :func:`probe_points` if the tiny shift was lost on the way in."""
    values = np.asarray(values, dtype=np.float64).reshape(3, -1)
    if not np.all(np.isfinite(values)):
        return None  # the probe point is outside the domain: inconclusive
    unchanged_tiny = np.array_equal(values[0], values[1])
    changed_large = not np.array_equal(values[0], values[2])
    if unchanged_tiny and changed_large:
        return (f"inputs are rounded below float64 on the way in "
                f"(f(x) == f(x + {PROBE_TINY:.1e}·x) while f(x + {PROBE_LARGE:.1e}·x) differs)")
    return None


def _probe(call, base: np.ndarray) -> str | None:
    """Call with the probe points around ``base``; explain any rounding."""
    values = call(tf.constant(probe_points(base), tf.float64))
    if isinstance(values, (list, tuple)):
        values = values[0]
    if _below_float64(values.dtype):
        return f"outputs are {tf.as_dtype(values.dtype).name}"
    return rounding_finding(values)


def find_low_precision(model, point_shape: tuple | None = None) -> list[str]:
    """Reasons why ``model`` computes below float64 (empty if it does not).

    ``point_shape`` is the shape of one input without the batch axis; by
    default it is read off the model. Without a shape (a plain TF callable
    whose input shape is unknown) only the configuration is inspected.
    """
    findings = []
    if point_shape is None and getattr(model, "inputs", None):
        shape = getattr(model, "input_shape", None)
        if isinstance(shape, tuple) and all(isinstance(s, int) for s in shape[1:]):
            point_shape = tuple(shape[1:])
    if point_shape is not None:
        # 0.5 and 0.5 + 2^-8 are exact in float32, so only the tiny shift is lost.
        found = _probe(lambda points: call_model(model, points), np.full(point_shape, 0.5))
        if found:
            findings.append(found)
    # After the probe: a subclassed model has weights only once it was called.
    return _static_findings(model) + findings


def check_precision(model, point_shape: tuple | None = None, *, allow_float32: bool = False,
                    what: str = "model") -> np.dtype:
    """Raise :class:`PrecisionError` if ``model`` computes below float64.

    Returns the working dtype: float64, or float32 when ``allow_float32`` is
    set and the model is low precision (a warning is emitted instead of the
    error); step sizes and error estimates should use its epsilon.
    """
    return precision_verdict(find_low_precision(model, point_shape), model,
                             allow_float32=allow_float32, what=what, stacklevel=4)


def precision_verdict(findings: list[str], model, *, allow_float32: bool,
                      what: str = "model", stacklevel: int = 3,
                      where: str = "") -> np.dtype:
    """float64 without findings; else raise :class:`PrecisionError` (or warn, float32).

    ``where`` names the function that takes ``allow_float32`` if the caller does not.
    """
    if not findings:
        return np.dtype(np.float64)
    reasons = "; ".join(findings)
    fix = _FIX if isinstance(model, keras.Model) else (
        "compute in tf.float64 throughout (no casts to float32 and float64 constants)")
    if allow_float32:
        warnings.warn(f"the {what} computes below float64 ({reasons}); derivatives are "
                      "estimated with float32 steps and are accurate to a few digits only",
                      stacklevel=stacklevel)
        return np.dtype(np.float32)
    raise PrecisionError(
        f"the {what} computes below float64: {reasons}. Finite differences lose most digits "
        f"in float32; {fix}. Pass allow_float32=True{where} to accept a float32 model."
    )


def _float64_config(config):
    """A copy of a Keras config with every floating dtype replaced by float64."""
    if isinstance(config, dict):
        if config.get("class_name") in ("DTypePolicy", "FloatDTypePolicy"):
            name = config.get("config", {}).get("name")
            if name and _is_float_name(name):
                return {**config, "class_name": "DTypePolicy",
                        "config": {**config["config"], "name": "float64"}}
            return config
        out = {}
        for key, value in config.items():
            if key == "dtype" and isinstance(value, str) and _is_float_name(value):
                out[key] = "float64"
            else:
                out[key] = _float64_config(value)
        return out
    if isinstance(config, (list, tuple)):
        return type(config)(_float64_config(value) for value in config)
    return config


def _is_float_name(name: str) -> bool:
    return name.startswith("mixed_") or name in ("float16", "bfloat16", "float32", "float64")


def as_float64(model: keras.Model) -> keras.Model:
    """A float64 copy of a Keras model with the same weights.

    Every floating dtype in the model's configuration (dtype policies of the
    layers and of its ``Input``) becomes float64; the weights are copied and
    cast. Works for Sequential and functional models and for custom layers
    that serialize their config.

    Examples
    --------
    >>> import keras
    >>> from finitediff import as_float64
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> as_float64(model).weights[0].dtype
    'float64'
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model, got {type(model).__name__}")
    serialized = keras.saving.serialize_keras_object(model)
    try:
        copy = keras.saving.deserialize_keras_object(_float64_config(serialized))
    except Exception as exc:
        raise TypeError(
            f"as_float64 could not rebuild {type(model).__name__} from its config ({exc}); "
            "build the model again after keras.config.set_dtype_policy('float64')"
        ) from exc
    if not copy.built and getattr(model, "input_shape", None) is not None:
        copy.build(model.input_shape)
    copy.set_weights([np.asarray(w, dtype=np.float64) if np.asarray(w).dtype.kind == "f"
                      else np.asarray(w) for w in model.get_weights()])
    return copy

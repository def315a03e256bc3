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

__all__ = ["as_float64", "check_precision", "find_low_precision"]

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


def _static_findings(model) -> list[str]:
    """What the model's configuration says about its precision."""
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
        for tensor in getattr(model, "inputs", None) or []:
            if _below_float64(tensor.dtype):
                findings.append(f"input {tensor.name!r} has dtype {tensor.dtype}, which rounds "
                                "every input")
    return findings


def _probe(call, base: np.ndarray) -> str | None:
    """Call with ``base``, ``base + tiny`` and ``base + large`` stacked; explain any rounding."""
    scale = np.maximum(np.abs(base), 1.0)
    points = np.stack([base, base + PROBE_TINY * scale, base + PROBE_LARGE * scale])
    values = call(tf.constant(points, tf.float64))
    if isinstance(values, (list, tuple)):
        values = values[0]
    if _below_float64(values.dtype):
        return f"outputs are {tf.as_dtype(values.dtype).name}"
    values = np.asarray(values, dtype=np.float64).reshape(3, -1)
    if not np.all(np.isfinite(values)):
        return None  # the probe point is outside the domain: inconclusive
    unchanged_tiny = np.array_equal(values[0], values[1])
    changed_large = not np.array_equal(values[0], values[2])
    if unchanged_tiny and changed_large:
        return (f"inputs are rounded below float64 on the way in "
                f"(f(x) == f(x + {PROBE_TINY:.1e}·x) while f(x + {PROBE_LARGE:.1e}·x) differs)")
    return None


def find_low_precision(model, point_shape: tuple | None = None) -> list[str]:
    """Reasons why ``model`` computes below float64 (empty if it does not).

    ``point_shape`` is the shape of one input without the batch axis; by
    default it is read off the model. Without a shape (a plain TF callable
    whose input shape is unknown) only the configuration is inspected.
    """
    findings = _static_findings(model)
    if point_shape is None:
        shape = getattr(model, "input_shape", None) if isinstance(model, keras.Model) else None
        if isinstance(shape, tuple) and all(isinstance(s, int) for s in shape[1:]):
            point_shape = tuple(shape[1:])
    if point_shape is not None:
        # 0.5 and 0.5 + 2^-8 are exact in float32, so only the tiny shift is lost.
        found = _probe(model, np.full(point_shape, 0.5))
        if found:
            findings.append(found)
    return findings


def check_precision(model, point_shape: tuple | None = None, *, allow_float32: bool = False,
                    what: str = "model") -> np.dtype:
    """Raise :class:`PrecisionError` if ``model`` computes below float64.

    Returns the working dtype: float64, or float32 when ``allow_float32`` is
    set and the model is low precision (a warning is emitted instead of the
    error); step sizes and error estimates should use its epsilon.
    """
    findings = find_low_precision(model, point_shape)
    if not findings:
        return np.dtype(np.float64)
    reasons = "; ".join(findings)
    fix = _FIX if isinstance(model, keras.Model) else (
        "compute in tf.float64 throughout (no casts to float32 and float64 constants)")
    if allow_float32:
        warnings.warn(f"the {what} computes below float64 ({reasons}); derivatives are "
                      "estimated with float32 steps and are accurate to a few digits only",
                      stacklevel=3)
        return np.dtype(np.float32)
    raise PrecisionError(
        f"the {what} computes below float64: {reasons}. Finite differences lose most digits "
        f"in float32; {fix}. Pass allow_float32=True to accept a float32 model."
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

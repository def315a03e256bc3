"""How a model's inputs, outputs and weights map to one flat vector and back.

The estimators differentiate a function ``F: R^D → R^M`` of stacked points.
A Keras model takes ``x`` as an array, a dict keyed by input name or a list;
:func:`read_inputs` reads it into one :class:`Feed` per model input, and
:func:`select_inputs` / :func:`select_variables` choose what is
differentiated (the float inputs, the inputs ``wrt`` names, or the trainable
variables). The differentiated values, flattened and concatenated, are the
D coordinates; every other input (integer ids, masks, conditioning) is fed
unchanged and never perturbed. The outputs, flattened and concatenated, are
the M values (:func:`read_outputs`). Where each sits in the flat vector, and
how flat results become ``df[out][inp]``, is :mod:`finitediff.tf.layout`;
variables are :mod:`finitediff.tf.variables`.

Results keep a level of the nesting only where the model or the call has
one: no output level when the model returns a single tensor, no input level
when ``x`` is a single array or ``wrt`` names one input (or one variable).
An input keeps the shape ``x`` gives it; an output holding one number per
sample has shape ``()``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from ..errors import check_argument, check_numeric_array
from .layout import Part, parts

__all__ = [
    "Feed", "ModelInputs", "declared_inputs", "flatten_outputs", "needs_structure",
    "read_inputs", "read_outputs", "select_inputs", "wrt_list",
]


# -- inputs -------------------------------------------------------------------------
@dataclass(frozen=True)
class Feed:
    """One input of the model: the value ``x`` gives it and how it is fed.

    ``shape`` is the shape fed per sample (the declared input shape, or the
    shape of the value for a model that declares none); ``value`` keeps the
    shape the user gave, which results use.
    """

    key: object
    label: str
    value: np.ndarray
    shape: tuple
    dtype: tf.DType
    differentiated: bool = False

    @property
    def is_float(self) -> bool:
        return self.dtype.is_floating


@dataclass(frozen=True)
class ModelInputs:
    """The feeds of every model input, and the structure the model is called with."""

    kind: str  # "tensor", "list" or "dict"
    feeds: tuple[Feed, ...]
    declared: tuple | None  # the model's input tensors, None if it declares none

    def assemble(self, tensors):
        """The model's argument from one tensor per feed (in feed order)."""
        if self.kind == "tensor":
            return tensors[0]
        if self.kind == "dict":
            return {feed.key: tensor for feed, tensor in zip(self.feeds, tensors)}
        return list(tensors)

    @property
    def differentiated(self) -> tuple[Feed, ...]:
        return tuple(feed for feed in self.feeds if feed.differentiated)

    def signature(self) -> tuple:
        """What a graph built for these inputs depends on (not their values)."""
        return (self.kind,) + tuple((f.key, f.shape, f.dtype.name, f.differentiated)
                                    for f in self.feeds)


def declared_inputs(model) -> tuple[str, list] | None:
    """``(kind, [(name, KerasTensor), ...])`` of a model that declares its inputs, else None.

    Functional and Sequential models declare them; subclassed models and
    plain callables do not (their shapes come from ``x``).
    """
    tensors = getattr(model, "inputs", None) if isinstance(model, keras.Model) else None
    if not tensors:
        return None
    try:
        structure = model.input
    except (AttributeError, ValueError):  # a Sequential never called
        structure = tensors if len(tensors) > 1 else tensors[0]
    if isinstance(structure, dict):
        items = list(structure.items())
        kind = "dict"
    elif isinstance(structure, (list, tuple)):
        items = [(tensor.name, tensor) for tensor in structure]
        kind = "list"
    else:
        return "tensor", [(structure.name, structure)]
    check_argument(all(isinstance(t, keras.KerasTensor) for _, t in items),
                   "models whose inputs are nested deeper than one dict or list are not "
                   "supported", error=TypeError)
    return kind, items


def _declares_structured_outputs(model) -> bool:
    outputs = getattr(model, "outputs", None) or []
    if len(outputs) > 1:
        return True
    try:
        return isinstance(model.output, dict)
    except (AttributeError, ValueError):
        return False


def needs_structure(f, x, wrt, training) -> bool:
    """Whether a call needs per-output, per-input results (else the plain array path)."""
    if wrt is not None or training is not False or isinstance(x, dict):
        return True
    declared = declared_inputs(f)
    if declared is not None:
        kind, tensors = declared
        return len(tensors) > 1 or kind == "dict" or _declares_structured_outputs(f)
    return isinstance(x, (list, tuple)) and any(
        isinstance(value, (np.ndarray, tf.Tensor)) for value in x)


def _is_array(value) -> bool:
    return isinstance(value, (np.ndarray, tf.Tensor))


def _x_kind(x, declared) -> str:
    if isinstance(x, dict):
        return "dict"
    if isinstance(x, (list, tuple)):
        if declared is not None:
            return "list" if len(declared[1]) > 1 or declared[0] != "tensor" else "tensor"
        # a list of arrays is a list of inputs; a list of numbers is one array
        return "list" if any(_is_array(value) for value in x) else "tensor"
    return "tensor"


def _entries(x, kind: str, declared) -> list[tuple[object, str, object]]:
    """``(key, label, value)`` per model input, in the model's order, checked against it."""
    names = [name for name, _ in declared[1]] if declared else None
    takes = f" (it takes {', '.join(map(repr, names))})" if names else ""
    if kind == "dict":
        if names is not None:
            missing = [name for name in names if name not in x]
            check_argument(not missing, f"`x` is missing the input(s) "
                           f"{', '.join(map(repr, missing))} of the model{takes}")
            extra = [key for key in x if key not in names]
            check_argument(not extra, f"`x` has key(s) {', '.join(map(repr, extra))} that are "
                           f"not inputs of the model{takes}")
        keys = names if names is not None else list(x)
        return [(key, f"x[{key!r}]", x[key]) for key in keys]
    if kind == "list":
        check_argument(declared is None or declared[0] != "dict",
                       f"the model takes a dict keyed by input name{takes}; pass `x` as a dict")
        check_argument(names is None or len(x) == len(names),
                       f"`x` holds {len(x)} values but the model takes {len(names or [])} "
                       f"inputs{takes}")
        keys = names if names is not None else list(range(len(x)))
        return [(key, f"x[{i}]", value) for i, (key, value) in enumerate(zip(keys, x))]
    check_argument(names is None or len(names) == 1 and declared[0] != "dict",
                   f"`x` must hold one value per input of the model{takes}: a dict keyed by "
                   "input name or a list, got a single array")
    return [(names[0] if names else 0, "x", x)]


def _feed_shape(label: str, array: np.ndarray, tensor, batched: bool) -> tuple:
    """Per-sample shape fed to a declared input (batched: ``x`` holds a whole batch)."""
    if tensor is None:
        return array.shape[1:] if batched else array.shape
    declared = tuple(tensor.shape[1:])
    if batched:
        return array.shape[1:]
    if all(isinstance(s, int) for s in declared):
        if array.size == int(np.prod(declared, dtype=np.int64)):
            return declared
        hint = (" (`x` holds one sample, without the batch axis)"
                if array.shape[1:] == declared else "")
        raise ValueError(f"`{label}` has shape {array.shape} but the model's input "
                         f"{tensor.name!r} takes {declared} per sample{hint}")
    check_argument(len(declared) == array.ndim and all(
        d is None or d == s for d, s in zip(declared, array.shape)),
        f"`{label}` has shape {array.shape} but the model's input {tensor.name!r} takes "
        f"{declared} per sample")
    return array.shape


def read_inputs(model, x, *, batched: bool = False) -> ModelInputs:
    """One :class:`Feed` per model input, read from ``x`` as the model takes it.

    ``batched=False``: ``x`` holds one sample per input, without the batch
    axis (the stencil points become the batch). ``batched=True``: ``x`` is
    the batch the model is called on (derivatives with respect to weights).
    """
    declared = declared_inputs(model)
    kind = _x_kind(x, declared)
    tensors = dict(declared[1]) if declared else {}
    feeds = []
    for key, label, raw in _entries(x, kind, declared):
        array = check_numeric_array(label, raw)
        tensor = tensors.get(key)
        if tensor is not None:
            dtype = tf.as_dtype(tensor.dtype)
        else:
            dtype = tf.float64 if array.dtype.kind == "f" else tf.as_dtype(array.dtype)
        if dtype.is_floating:
            check_argument(bool(np.all(np.isfinite(array))), f"`{label}` must be finite")
        feeds.append(Feed(key, label, array, _feed_shape(label, array, tensor, batched), dtype))
    return ModelInputs(declared[0] if declared else kind, tuple(feeds),
                       tuple(t for _, t in declared[1]) if declared else None)


def _is_position(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _resolve(inputs: ModelInputs, name) -> Feed:
    keys = ", ".join(repr(feed.key) for feed in inputs.feeds)
    if _is_position(name):
        check_argument(0 <= name < len(inputs.feeds),
                       f"`wrt` position {name} is out of range: the model has "
                       f"{len(inputs.feeds)} input(s) ({keys})")
        feed = inputs.feeds[name]
    else:
        matches = [feed for feed in inputs.feeds if feed.key == name]
        check_argument(bool(matches), f"`wrt` {name!r} is not an input of the model; its "
                       f"inputs are {keys}")
        feed = matches[0]
    check_argument(feed.is_float, f"`wrt` names the input {feed.key!r} of dtype "
                   f"{feed.dtype.name}: only float inputs can be differentiated (integer and "
                   "boolean inputs are held fixed)")
    return feed


def select_inputs(inputs: ModelInputs, wrt) -> tuple[ModelInputs, tuple[Part, ...], bool]:
    """Mark the differentiated inputs: every float input (``wrt=None``) or those ``wrt`` names.

    Returns the inputs, the differentiated parts (in the order of ``wrt``),
    and whether results have an input level.
    """
    if wrt is None:
        chosen = [feed for feed in inputs.feeds if feed.is_float]
        fixed = ", ".join(f"{feed.key!r} ({feed.dtype.name})" for feed in inputs.feeds)
        check_argument(bool(chosen), f"the model has no float input to differentiate (inputs: "
                       f"{fixed}); pass wrt='weights' to differentiate its weights")
        level = inputs.kind != "tensor"
    else:
        single = isinstance(wrt, str) or _is_position(wrt)
        names = [wrt] if single else wrt_list(wrt)
        chosen = [_resolve(inputs, name) for name in names]
        check_argument(len({feed.key for feed in chosen}) == len(chosen),
                       f"`wrt` names an input twice: {wrt!r}")
        level = not single
    keys = [feed.key for feed in chosen]
    feeds = tuple(Feed(f.key, f.label, f.value, f.shape, f.dtype, f.key in keys)
                  for f in inputs.feeds)
    selected = ModelInputs(inputs.kind, feeds, inputs.declared)
    return selected, parts((feed.key, feed.value.shape) for feed in chosen), level


def wrt_list(wrt) -> list:
    """The names, positions or variables of a ``wrt`` that lists several."""
    check_argument(isinstance(wrt, (list, tuple)) and len(wrt) > 0,
                   f"`wrt` must be None, an input name or position, a list of them, "
                   f"'weights' or a list of variables, got {wrt!r}", error=TypeError)
    return list(wrt)


# -- outputs --------------------------------------------------------------------------
def flatten_outputs(values, model=None) -> tuple[list[tuple[object, object]], bool]:
    """``[(key, tensor), ...]`` of what the model returned, and whether that is a structure.

    Dicts are keyed by their keys; lists by the model's output names where it
    has unique ones (functional models), else by position.
    """
    if isinstance(values, dict):
        items, structured = list(values.items()), True
    elif isinstance(values, (list, tuple)):
        names = getattr(model, "output_names", None) if isinstance(model, keras.Model) else None
        if not (names and len(names) == len(values) and len(set(names)) == len(names)):
            names = list(range(len(values)))
        items, structured = list(zip(names, values)), True
    else:
        items, structured = [(None, values)], False
    check_argument(not any(isinstance(v, (dict, list, tuple)) for _, v in items),
                   "models whose outputs are nested deeper than one dict or list are not "
                   "supported", error=TypeError)
    return items, structured


def read_outputs(values, model, batch: int | None) -> tuple[tuple[Part, ...], bool, list]:
    """The output parts (shape per sample, ``()`` for one value), the level, and the dtypes.

    ``batch``: the number of points the model was called on, which every
    output must keep as its leading axis; None when the outputs are whole
    (derivatives with respect to weights).
    """
    items, structured = flatten_outputs(values, model)
    shapes, dtypes = [], []
    for key, value in items:
        value = tf.convert_to_tensor(value)
        name = "the output" if key is None else f"output {key!r}"
        dtype = tf.as_dtype(value.dtype)
        check_argument(dtype.is_floating, f"{name} of the model has dtype {dtype.name}: only "
                       "float outputs can be differentiated", error=TypeError)
        shape = tuple(value.shape)
        if batch is not None:
            check_argument(
                len(shape) >= 1 and shape[0] == batch,
                f"{name} has shape {shape} for a batch of {batch} points: the model must keep "
                "the batch axis (one value per sample); to differentiate a loss over a "
                "batch, use wrt='weights'")
            shape = shape[1:]
        shapes.append((key, () if int(np.prod(shape, dtype=np.int64)) == 1 else shape))
        dtypes.append(dtype)
    return parts(shapes), structured, dtypes

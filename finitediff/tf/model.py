"""Keras models and TF functions as black boxes for the numpy estimators.

:class:`ModelFunction` turns a model into the vectorized callable the
estimators expect: stacked points ``(N, *x.shape)`` in, ``(N, *out)`` out, in
one call of the model through a graph traced once per input shape, compiled
with XLA unless the model's ops do not allow it (then a plain graph). Through
XLA the batch is padded to one of a few sizes (:mod:`.batch_sizes`): XLA
compiles once per batch size, and the estimators send many.
A model with one input feature, ``(batch, 1)``, acts elementwise (a scalar
function of each element of ``x``); a model with one output unit returns a
scalar per point. The precision guard runs once, on the first call.
"""

from __future__ import annotations

import math
import weakref

import keras
import numpy as np

from ..errors import check_argument
from .calling import call_model
from .jit import CompiledFunction
from .precision import check_precision

__all__ = ["ModelFunction", "bind", "black_box", "cached_black_box"]


def _input_shape(model) -> tuple | None:
    """Shape of one input of a Keras model (no batch axis), None if unknown."""
    # A subclassed model has no `inputs` attribute: its shapes come from x.
    if isinstance(model, keras.Model) and getattr(model, "inputs", None):
        shape = tuple(model.inputs[0].shape[1:])
        if all(isinstance(s, int) for s in shape):
            return shape
    return None


class ModelFunction:
    """A Keras model or TF callable as a vectorized numpy function.

    Parameters
    ----------
    model : keras.Model or callable
        Maps a float64 tensor ``(batch, *I)`` to ``(batch, *O)``.
    allow_float32 : bool
        Accept a model computing below float64 (warn instead of raising
        :class:`~finitediff.PrecisionError`); ``dtype`` then says float32 so
        that steps and error estimates use float32's epsilon.
    jit_compile : bool
        Compile the graph with XLA (falling back to a plain ``tf.function``,
        once and for the model, if XLA cannot compile its ops).

    Attributes
    ----------
    trace_count : int
        How many times the graph in use was traced (once per shape of a point).
    compiled_sizes : set of tuple
        The (padded) batch shapes that went through XLA: one compiled graph each.
    jit_compile : bool
        Whether the model runs through XLA: False when it was not asked for or
        when compilation failed.
    calls : int
        How many times the model was called (one per batch of points).
    dtype : numpy.dtype
        The precision the model computes in (known after the first call).
    """

    def __init__(self, model, *, allow_float32: bool = False, jit_compile: bool = True,
                 weak: bool = False):
        check_argument(callable(model), f"`model` must be callable, got {model!r}",
                       error=TypeError)
        # The implicit adapters of bind() are cached per model and must not keep
        # it alive; an explicit black_box() owns its model.
        self._model = weakref.ref(model) if weak else (lambda: model)
        self.allow_float32 = bool(allow_float32)
        self.input_shape = _input_shape(model)
        self.scalar = self.input_shape is not None and int(np.prod(self.input_shape)) == 1
        self.calls = 0
        self.dtype = np.dtype(np.float64)
        self._checked = False
        self._graph = CompiledFunction(self._traced, model, jit_compile=jit_compile,
                                       reduce_retracing=True, pad_batches=True)
        if self.input_shape is not None:
            self.check(self.input_shape)

    @property
    def model(self):
        return self._model()

    @property
    def trace_count(self) -> int:
        return self._graph.trace_count

    @property
    def compiled_sizes(self) -> set:
        return set(self._graph.compiled_sizes)

    @property
    def jit_compile(self) -> bool:
        return self._graph.jit_compile

    def _traced(self, points):
        return call_model(self.model, points, training=False)

    def check(self, point_shape: tuple) -> None:
        """Run the precision guard once (probing with points of ``point_shape``)."""
        if self._checked:
            return
        shape = self.input_shape if self.input_shape is not None else point_shape
        self.dtype = check_precision(self.model, shape, allow_float32=self.allow_float32,
                                     what=f"black box {getattr(self.model, 'name', '')!r}")
        self._checked = True

    def __call__(self, points) -> np.ndarray:
        """``(N, *S)`` points in, ``(N, *out)`` values out, one model call."""
        points = np.asarray(points, dtype=np.float64)
        if self.scalar:
            # Elementwise: every element of every point is one sample.
            batch = points.reshape(-1, *self.input_shape)
            back = points.shape
        else:
            count = points.shape[0]
            shape = self.input_shape if self.input_shape is not None else points.shape[1:]
            check_argument(
                math.prod(points.shape[1:]) == math.prod(shape),
                lambda: f"points of shape {points.shape[1:]} do not fit the model's input "
                f"shape {shape}",
            )
            batch = points.reshape((count,) + tuple(shape))
            back = (count,)
        self.check(tuple(batch.shape[1:]))
        self.calls += 1
        values = self._graph.batch(batch)
        if isinstance(values, dict) and len(values) == 1:
            values = next(iter(values.values()))
        if isinstance(values, (list, tuple, dict)):
            check_argument(
                len(values) == 1,
                f"the model returned {len(values)} outputs for an array `x`; pass `wrt=` "
                "(e.g. wrt=0, the one input) to get derivatives per output",
            )
            values = values[0]
        values = np.asarray(values, dtype=np.float64)
        out = values.shape[1:]
        if out == (1,):
            out = ()  # one output unit: a scalar function
        return values.reshape(back + out)

    def __repr__(self) -> str:
        return (f"ModelFunction({getattr(self.model, 'name', self.model)!r}, dtype={self.dtype}, "
                f"jit_compile={self.jit_compile})")


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def black_box(model, *, allow_float32: bool = False, jit_compile: bool = True) -> ModelFunction:
    """``model`` as a vectorized numpy function for the estimators.

    Passing a Keras model or ``tf.function`` straight to ``derivative`` and
    friends does this implicitly (with ``allow_float32=False``, and one cached
    adapter per model); call it yourself to accept a float32 model, to turn
    XLA off (``jit_compile=False``) or to inspect ``trace_count``, ``dtype``
    and ``jit_compile``.

    Examples
    --------
    >>> import keras
    >>> from finitediff import black_box, derivative
    >>> x = keras.Input((1,), dtype="float64")
    >>> model = keras.Model(x, keras.ops.exp(x))
    >>> f = black_box(model)
    >>> res = derivative(f, 0.0, n=2)
    >>> bool(abs(res.df - 1.0) < 1e-6)
    True
    """
    if isinstance(model, ModelFunction):
        return model
    return ModelFunction(model, allow_float32=allow_float32, jit_compile=jit_compile)


def cached_black_box(model) -> ModelFunction:
    """One float64 :class:`ModelFunction` per model, kept while the model lives."""
    if isinstance(model, ModelFunction):
        return model
    try:
        function = _CACHE.get(model)
        if function is None:
            function = _CACHE[model] = ModelFunction(model, weak=True)
    except TypeError:  # not weak-referenceable or not hashable
        function = ModelFunction(model)
    return function


class _OnePoint:
    """Adapts a :class:`ModelFunction` to single points (``vectorized=False``)."""

    def __init__(self, function: ModelFunction, point_shape: tuple):
        self.function = function
        self.point_shape = point_shape
        function.check(point_shape)  # so that dtype is known before the first call

    @property
    def dtype(self):
        return self.function.dtype

    def __call__(self, points, *args):
        check_argument(not args, "`args` cannot be passed to a Keras model or TF function; "
                       "close over them instead", error=TypeError)
        points = np.asarray(points, dtype=np.float64)
        if points.shape == self.point_shape:
            return self.function(points[None])[0]
        return self.function(points)


def bind(model, point_shape: tuple):
    """The callable an :class:`~finitediff.evaluate.Evaluator` uses for ``model``."""
    return _OnePoint(cached_black_box(model), tuple(point_shape))

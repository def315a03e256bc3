"""Graphs compiled with XLA when the model's ops allow, plain graphs otherwise.

A finite-difference estimate evaluates the model on hundreds of stacked
points; XLA fuses the layers of such a call (on CPU, the batched calls of
``benchmarks/keras_gradient.py`` take 0.6–0.85 of the time of a plain
``tf.function``). Not every op has an XLA
kernel (``tf.numpy_function``, some special functions), so
:class:`CompiledFunction` tries ``jit_compile=True`` first and, if that call
fails where a plain ``tf.function`` succeeds, uses the plain graph from then
on. The failure is remembered per model, so every graph built for that model
(black-box adapter, difference network) skips the XLA attempt.

:meth:`CompiledFunction.batch` is the fast way in for a numpy batch of
points: it calls a concrete function traced once per point shape (a
``tf.function``'s dispatch costs about 0.3 ms a call, the concrete function
half that), and through XLA it pads the batch to one of a few sizes
(:mod:`finitediff.tf.batch_sizes`), so that XLA, which compiles once per
concrete shape, compiles a few graphs instead of one per batch size.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from .batch_sizes import pad_rows, padded_size

__all__ = ["CompiledFunction", "xla_failed"]

#: Models whose ops XLA could not compile (kept only while the model lives).
_NOT_COMPILABLE: weakref.WeakSet = weakref.WeakSet()
#: The same, by id, for models that cannot be weakly referenced.
_NOT_COMPILABLE_IDS: set[int] = set()


def xla_failed(model) -> bool:
    """Whether XLA already failed to compile a graph of ``model``."""
    try:
        return model in _NOT_COMPILABLE
    except TypeError:  # not weak-referenceable or not hashable
        return id(model) in _NOT_COMPILABLE_IDS


def _remember_failure(model) -> None:
    try:
        _NOT_COMPILABLE.add(model)
    except TypeError:
        _NOT_COMPILABLE_IDS.add(id(model))


class CompiledFunction:
    """``function`` as a ``tf.function``, with XLA when ``model``'s ops compile.

    Parameters
    ----------
    function : callable
        Traced once per input shape.
    model : object
        The model ``function`` calls; an XLA failure is remembered for it.
    jit_compile : bool
        Try XLA first (True) or use a plain graph only (False).
    reduce_retracing : bool
        Trace again for a new input shape only until TensorFlow has
        generalised the shapes (``tf.function(reduce_retracing=True)``); XLA
        still compiles per concrete shape.
    pad_batches : bool
        Let :meth:`batch` pad batches through XLA to :func:`padded_size`
        rows. Only for functions whose rows do not interact (not a model in
        training mode, whose batch normalisation sees the whole batch).

    Attributes
    ----------
    jit_compile : bool
        Whether calls go through XLA: True until a compilation fails.
    compiled_sizes : set of tuple
        The batch shapes :meth:`batch` sent through XLA: XLA compiled one
        graph for each.
    """

    def __init__(self, function: Callable, model, *, jit_compile: bool = True,
                 reduce_retracing: bool = False, pad_batches: bool = False):
        self._model = _reference(model)
        self._xla = tf.function(function, jit_compile=True, reduce_retracing=reduce_retracing)
        self._plain = tf.function(function, reduce_retracing=reduce_retracing)
        self.jit_compile = bool(jit_compile) and not xla_failed(model)
        self.pad_batches = bool(pad_batches)
        self.compiled_sizes: set[tuple] = set()
        self._concrete: dict = {}

    @property
    def graph(self):
        """The ``tf.function`` calls currently go through."""
        return self._xla if self.jit_compile else self._plain

    @property
    def trace_count(self) -> int:
        """How many times the graph in use was traced (once per input shape)."""
        return self.graph.experimental_get_tracing_count()

    def __call__(self, *args):
        return self._run(lambda: self._xla(*args), lambda: self._plain(*args))

    def batch(self, points: np.ndarray, *rest):
        """The function at a numpy batch ``points`` (N rows) and tensors ``rest``;
        every output (a tensor with N rows first) as a numpy array of N rows."""
        points = np.asarray(points, dtype=np.float64)
        count = points.shape[0]

        def xla():
            size = padded_size(count) if self.pad_batches else count
            padded = pad_rows(points, size)
            values = self._graph_for(True, padded, rest)(tf.constant(padded), *rest)
            self.compiled_sizes.add(padded.shape)
            return tf.nest.map_structure(lambda value: _first_rows(value, count, size), values)

        def plain():
            values = self._graph_for(False, points, rest)(tf.constant(points), *rest)
            return tf.nest.map_structure(np.asarray, values)

        return self._run(xla, plain)

    def _graph_for(self, xla: bool, points: np.ndarray, rest: tuple):
        """The concrete function for points of this shape (any batch size) and ``rest``."""
        key = (xla, points.shape[1:], tuple((tuple(value.shape), value.dtype)
                                            for value in tf.nest.flatten(rest)))
        graph = self._concrete.get(key)
        if graph is None:
            spec = tf.TensorSpec((None,) + points.shape[1:], tf.float64)
            function = self._xla if xla else self._plain
            graph = self._concrete[key] = function.get_concrete_function(spec, *rest)
        return graph

    def _run(self, xla: Callable, plain: Callable):
        model = self._model()
        if self.jit_compile and model is not None and xla_failed(model):
            self.jit_compile = False  # another graph of this model found out
        if not self.jit_compile:
            return plain()
        try:
            return xla()
        except tf.errors.OpError:
            # An op without an XLA kernel, or an error of the model itself: the
            # plain graph tells which (it raises again in the second case).
            values = plain()
        self.jit_compile = False
        if model is not None:
            _remember_failure(model)
        return values


def _first_rows(value, count: int, size: int) -> np.ndarray:
    """``value`` as numpy, without the rows of the padding (batched outputs only)."""
    value = np.asarray(value)
    return value[:count] if size != count and value.ndim and value.shape[0] == size else value


def _reference(model) -> Callable:
    try:
        return weakref.ref(model)
    except TypeError:
        return lambda: model

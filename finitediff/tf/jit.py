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
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import tensorflow as tf

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

    Attributes
    ----------
    jit_compile : bool
        Whether calls go through XLA: True until a compilation fails.
    """

    def __init__(self, function: Callable, model, *, jit_compile: bool = True,
                 reduce_retracing: bool = False):
        self._model = _reference(model)
        self._xla = tf.function(function, jit_compile=True, reduce_retracing=reduce_retracing)
        self._plain = tf.function(function, reduce_retracing=reduce_retracing)
        self.jit_compile = bool(jit_compile) and not xla_failed(model)

    @property
    def graph(self):
        """The ``tf.function`` calls currently go through."""
        return self._xla if self.jit_compile else self._plain

    @property
    def trace_count(self) -> int:
        """How many times the graph in use was traced (once per input shape)."""
        return self.graph.experimental_get_tracing_count()

    def __call__(self, *args):
        model = self._model()
        if self.jit_compile and model is not None and xla_failed(model):
            self.jit_compile = False  # another graph of this model found out
        if not self.jit_compile:
            return self._plain(*args)
        try:
            return self._xla(*args)
        except tf.errors.OpError:
            # An op without an XLA kernel, or an error of the model itself: the
            # plain graph tells which (it raises again in the second case).
            values = self._plain(*args)
        self.jit_compile = False
        if model is not None:
            _remember_failure(model)
        return values


def _reference(model) -> Callable:
    try:
        return weakref.ref(model)
    except TypeError:
        return lambda: model

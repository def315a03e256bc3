"""A Keras model with structured inputs, outputs or weights as one flat numpy function.

:func:`flat_model` reads ``x`` and ``wrt`` (see :mod:`finitediff.tf.structure`)
and returns a :class:`FlatModel`: ``function`` maps stacked points
``(N, D)`` of the differentiated values to ``(N, M)`` float64 outputs in one
call of a graph traced once per shape (XLA, with the plain-graph fallback of
:mod:`finitediff.tf.jit`); ``x`` is the flat point; ``layout`` turns flat
results back into ``df[out][inp]``.

With respect to inputs the stencil points are the batch, and the fixed
inputs are broadcast to it. With respect to variables (``wrt="weights"`` or a
list of variables) every point is a value of the variables: inside one
graph, for each point in turn, the variables are assigned and the model is
called on ``x`` (the batch as the model takes it); after the last point the
variables get their values back. The caller assigns the saved values again
in a ``finally``, so an error raised by the model midway leaves them
bit-identical too.

Graphs, output layouts and the precision check are cached per model and
structure of ``x`` (weakly: they go with the model), so a new ``x`` of the
same shapes neither retraces nor probes again; they are built in
:mod:`finitediff.tf.flat_graphs`.
"""

from __future__ import annotations

import contextlib

import numpy as np
import tensorflow as tf

from ..errors import check_argument
from ..result import DerivativeResult
from .calling import is_keras_layer, randomising_layers
from .flat_graphs import Entry, build_inputs_entry, build_weights_entry, cached, fixed_tensors
from .layout import Layout
from .structure import read_inputs, select_inputs
from .variables import is_variable, select_variables, wants_variables

__all__ = ["FlatModel", "flat_model"]


class FlatModel:
    """``model`` at ``x`` as a function of the flat differentiated values.

    Attributes
    ----------
    function : callable
        Vectorized numpy function: points ``(N, D)`` in, float64 ``(N, M)``
        out (one point ``(D,)`` gives ``(M,)``), one graph call per batch. Its
        ``dtype`` attribute is the precision the model computes in.
    x : ndarray
        The flat point, shape ``(D,)``: the differentiated inputs (or
        variables) of ``x``, flattened and concatenated in the order of ``wrt``.
    layout : Layout
        The differentiated parts and the outputs; ``layout.arrange`` turns a
        flat array into ``df[out][inp]``, :meth:`restructure` a whole result.
    samples : int
        Points the model was evaluated at so far (``calls``: graph calls).
    note : str
        What results should say about the call (training mode).
    """

    def __init__(self, run, x: np.ndarray, layout: Layout, entry: Entry, note: str = ""):
        self._run = run
        self._entry = entry
        self.x = x
        self.layout = layout
        self.note = note
        self.dtype = entry.dtype
        self.samples = 0  # model evaluations (points) so far
        self.calls = 0
        self.function = self._function()

    @property
    def trace_count(self) -> int:
        """Traces of the graph in use (a new batch size traces at most once more)."""
        return self._entry.graph.compiled.trace_count

    @property
    def compiled_sizes(self) -> set:
        """The (padded) batch shapes that went through XLA: one compiled graph each."""
        return set(self._entry.graph.compiled.compiled_sizes)

    @property
    def jit_compile(self) -> bool:
        return self._entry.graph.compiled.jit_compile

    def _function(self):
        size = self.x.size

        def function(points):
            points = np.asarray(points)
            check_argument(points.dtype.kind in "biuf", "a Keras model takes real inputs, got "
                           f"points of dtype {points.dtype} (method='complex' cannot be used)",
                           error=TypeError)
            check_argument(points.shape[-1:] == (size,), f"points of shape {points.shape} do "
                           f"not fit the {size} differentiated values")
            batch = points.reshape(-1, size).astype(np.float64)
            values = self._evaluate(batch)
            return values.reshape(points.shape[:-1] + values.shape[-1:])

        function.dtype = self.dtype
        return function

    def restructure(self, result, axes: tuple[str, ...] = ("out", "in"),
                    step_axes: tuple[str, ...] | None = None) -> DerivativeResult:
        """A result of the flat function arranged per output and input.

        ``axes`` name the flat axes of ``df``, ``error``, ``success`` and
        ``status`` (``("out", "in")`` for a Jacobian ``(M, D)``), ``step_axes``
        those of ``step`` (by default the same). ``nfev`` becomes the number
        of points the model was evaluated at; the message gets :attr:`note`.
        """
        step_axes = axes if step_axes is None else step_axes
        arranged = {name: self.layout.arrange(getattr(result, name), axes)
                    for name in ("df", "error", "success", "status")}
        message = "; ".join(filter(None, [result.message, self.note]))
        return DerivativeResult(step=self.layout.arrange(result.step, step_axes),
                                nfev=self.samples, message=message, **arranged)

    def _evaluate(self, batch: np.ndarray) -> np.ndarray:
        values = self._run(batch)
        self.calls += 1
        self.samples += batch.shape[0]
        return values


def flat_model(model, x, *, wrt=None, training: bool = False, jit_compile: bool = True,
               allow_float32: bool = False) -> FlatModel:
    """``model`` at ``x`` as a flat vectorized function of what ``wrt`` designates.

    Parameters
    ----------
    model : keras.Model or callable
        A functional, Sequential or subclassed Keras model, or a TF callable
        (``tf.function``) taking ``x``'s structure.
    x : array_like, dict or list
        As the model takes it: an array, a dict keyed by input name, or a
        list (of arrays), one sample without the batch axis; with respect to
        variables, the batch the model is called on.
    wrt : None, str, int, list, "weights", or variables
        None: every float input. An input name or position, or a list of
        them. ``"weights"``: the model's trainable variables. A variable or a
        list of variables.
    training : bool
        Call Keras models in training mode (default: inference mode).
    jit_compile : bool
        Compile with XLA (falling back to a plain graph if XLA cannot).
    allow_float32 : bool
        Accept a model computing below float64 (warn) instead of raising
        :class:`~finitediff.PrecisionError`.

    Examples
    --------
    >>> import keras, numpy as np
    >>> from finitediff.tf.flat import flat_model
    >>> t = keras.Input((1,), dtype="float64", name="t")
    >>> s = keras.Input((2,), dtype="float64", name="s")
    >>> model = keras.Model([t, s], [t * s, keras.ops.sum(s, axis=-1, keepdims=True)])
    >>> flat = flat_model(model, {"t": 2.0, "s": [1.0, 3.0]})
    >>> flat.x, flat.function(flat.x[None])
    (array([2., 1., 3.]), array([[2., 6., 4.]]))
    """
    check_argument(callable(model), f"`model` must be callable, got {model!r}", error=TypeError)
    check_argument(isinstance(training, bool),
                   f"`training` must be True or False, got {training!r}", error=TypeError)
    check_argument(not training or is_keras_layer(model),
                   "`training` applies to Keras models only", error=TypeError)
    options = (bool(training), bool(jit_compile), bool(allow_float32))
    if wants_variables(wrt):
        flat = _weights_model(model, x, wrt, *options)
    else:
        flat = _inputs_model(model, x, wrt, *options)
    if training:
        flat.note = _training_note(model)
    return flat


def _training_note(model) -> str:
    layers = randomising_layers(model)
    if not layers:
        return "the model ran in training mode (training=True)"
    return (f"the model ran in training mode (training=True): its layers "
            f"{', '.join(map(repr, layers))} are random or depend on the whole batch of "
            "stencil points there, so these derivatives are not reproducible")


@contextlib.contextmanager
def _preserved(variables):
    """Every variable bit-identical afterwards, whatever happens in between."""
    saved = [np.array(variable.numpy()) for variable in variables]
    try:
        yield saved
    finally:
        for variable, value in zip(variables, saved):
            variable.assign(value)


# -- with respect to inputs -----------------------------------------------------------
def _inputs_model(model, x, wrt, training, jit_compile, allow_float32) -> FlatModel:
    inputs, differentiated, input_level = select_inputs(read_inputs(model, x), wrt)
    signature = ("inputs", inputs.signature(), differentiated, training, jit_compile,
                 allow_float32)
    entry = cached(model, signature, lambda: build_inputs_entry(
        model, inputs, differentiated, training, jit_compile, allow_float32))
    by_key = {feed.key: feed for feed in inputs.feeds}
    point = np.concatenate([np.asarray(by_key[part.key].value, dtype=np.float64).ravel()
                            for part in differentiated])
    fixed = fixed_tensors(inputs)
    state = list(getattr(model, "variables", [])) if training else []

    def run(points: np.ndarray) -> np.ndarray:
        with _preserved(state):  # training mode updates BatchNormalization statistics
            return entry.graph(points, fixed)

    layout = Layout(differentiated, entry.outputs, input_level, entry.output_level)
    return FlatModel(run, point, layout, entry)


# -- with respect to variables --------------------------------------------------------
def _weights_model(model, x, wrt, training, jit_compile, allow_float32) -> FlatModel:
    inputs = read_inputs(model, x, batched=True)
    tensors = tuple(tf.cast(tf.constant(feed.value), feed.dtype) for feed in inputs.feeds)
    shapes = tuple(feed.value.shape for feed in inputs.feeds)
    which = "weights" if isinstance(wrt, str) else tuple(
        id(v) for v in ([wrt] if is_variable(wrt) else wrt))
    signature = ("weights", inputs.signature(), shapes, which, training, jit_compile,
                 allow_float32)

    def current(entry: Entry) -> bool:  # layers may have been frozen or added since
        return not isinstance(wrt, str) or [id(v) for v in entry.variables] == [
            id(v) for v in getattr(model, "trainable_variables", [])]

    entry = cached(model, signature, lambda: build_weights_entry(
        model, inputs, tensors, wrt, training, jit_compile, allow_float32), current)
    variables = list(entry.variables)
    _, parts, level = select_variables(model, wrt)
    point = np.concatenate([np.asarray(v.numpy(), dtype=np.float64).ravel() for v in variables])
    state = variables + ([v for v in getattr(model, "variables", []) if
                          all(v is not w for w in variables)] if training else [])

    def run(points: np.ndarray) -> np.ndarray:
        with _preserved(state) as saved:
            return entry.graph(points, tensors, saved[:len(variables)])

    return FlatModel(run, point, Layout(parts, entry.outputs, level, entry.output_level), entry)

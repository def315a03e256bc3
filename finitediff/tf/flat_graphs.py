"""The graphs behind a :class:`~finitediff.tf.flat.FlatModel`, built once per model and structure.

With respect to inputs (:class:`_InputsGraph`) the stencil points are the
batch and the fixed inputs are broadcast to it. With respect to variables
(:class:`_WeightsGraph`) every point is a value of the variables: inside one
graph, for each point in turn, the variables are assigned and the model is
called on ``x``; after the last point the variables get their values back.
Building an :class:`Entry` also probes the model once and reads its outputs
and its precision; :func:`cached` keeps entries per model (weakly: they go
with the model) and signature of ``x``.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from .calling import call_model
from .jit import CompiledFunction, _reference
from .layout import Part
from .precision import (
    input_findings,
    model_findings,
    precision_verdict,
    probe_points,
    rounding_finding,
)
from .structure import ModelInputs, flatten_outputs, read_outputs
from .variables import select_variables

__all__ = ["Entry", "build_inputs_entry", "build_weights_entry", "cached", "fixed_tensors"]


@dataclass(frozen=True)
class Entry:
    """What is built once per model and structure: the graph, the outputs, the dtype."""

    graph: object
    outputs: tuple[Part, ...]
    output_level: bool
    dtype: np.dtype
    variables: tuple = ()


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cached(model, signature: tuple, build, valid=lambda entry: True) -> Entry:
    try:
        entries = _CACHE.setdefault(model, {})
    except TypeError:  # not weak-referenceable or not hashable
        return build()
    entry = entries.get(signature)
    if entry is None or not valid(entry):
        entry = entries[signature] = build()
    return entry

def _call_checked(model, arguments, training: bool):
    """The model's first call on ``x``'s structure; its failures named as a bad ``x``."""
    try:
        return call_model(model, arguments, training=training)
    except Exception as exc:
        words = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).split())
        raise ValueError(f"the model could not be called with `x` as given "
                         f"({type(exc).__name__}: {words[:400]})") from exc

def _low_output_findings(dtypes) -> list[str]:
    low = sorted({d.name for d in dtypes if d.is_floating and d != tf.float64})
    return [f"outputs are {', '.join(low)}"] if low else []


# -- with respect to inputs -----------------------------------------------------------
class _InputsGraph:
    """Points ``(N, D)`` and the fixed inputs ``(1, ...)`` → every output, ``(N, size)``."""

    def __init__(self, model, inputs: ModelInputs, differentiated: tuple[Part, ...],
                 training: bool, jit_compile: bool):
        self._model = _reference(model)
        self.inputs = inputs
        self.parts = {part.key: part for part in differentiated}
        self.training = training
        # the adaptive rounds send batches of several sizes: one generalised trace,
        # and through XLA a few padded sizes (not in training mode, where batch
        # normalisation would see the pad rows)
        self.compiled = CompiledFunction(self._traced, model, jit_compile=jit_compile,
                                         reduce_retracing=True, pad_batches=not training)

    def _traced(self, points, fixed):
        model = self._model()
        count = tf.shape(points)[0]
        fixed = iter(fixed)
        tensors = []
        for feed in self.inputs.feeds:
            if feed.differentiated:
                part = self.parts[feed.key]
                value = tf.reshape(points[:, part.start:part.stop], (-1, *feed.shape))
                tensors.append(tf.cast(value, feed.dtype))
            else:
                value = next(fixed)
                tensors.append(tf.broadcast_to(value, tf.concat([[count], tf.shape(value)[1:]],
                                                                0)))
        outputs = call_model(model, self.inputs.assemble(tensors), training=self.training)
        return [tf.reshape(value, (count, -1)) for _, value in flatten_outputs(outputs, model)[0]]

    def __call__(self, points: np.ndarray, fixed: tuple) -> np.ndarray:
        values = self.compiled.batch(points, fixed)
        return np.concatenate([np.asarray(v, dtype=np.float64) for v in values], axis=1)


def fixed_tensors(inputs: ModelInputs, count: int | None = None) -> tuple:
    """The inputs held fixed, as tensors ``(1, *shape)`` (or repeated ``count`` times)."""
    tensors = []
    for feed in inputs.feeds:
        if feed.differentiated:
            continue
        value = feed.value.reshape((1, *feed.shape))
        if count is not None:
            value = np.broadcast_to(value, (count, *feed.shape))
        tensors.append(tf.cast(tf.constant(value), feed.dtype))
    return tuple(tensors)


def _probe_inputs(model, inputs: ModelInputs, training: bool):
    """The model at the precision probe's three points (0.5, 0.5 + tiny, 0.5 + large)."""
    fixed = iter(fixed_tensors(inputs, 3))
    tensors = [tf.cast(tf.constant(probe_points(np.full(feed.shape, 0.5))), feed.dtype)
               if feed.differentiated else next(fixed) for feed in inputs.feeds]
    return _call_checked(model, inputs.assemble(tensors), training)


def build_inputs_entry(model, inputs, differentiated, training, jit_compile,
                        allow_float32) -> Entry:
    values = _probe_inputs(model, inputs, training)
    outputs, level, dtypes = read_outputs(values, model, batch=3)
    declared = dict(zip([feed.key for feed in inputs.feeds], inputs.declared or ()))
    findings = model_findings(model) + input_findings(
        [declared[feed.key] for feed in inputs.differentiated if feed.key in declared])
    findings += _low_output_findings(dtypes)
    if not findings:
        flat = np.concatenate([np.asarray(tf.reshape(v, (3, -1)), dtype=np.float64)
                               for _, v in flatten_outputs(values, model)[0]], axis=1)
        rounding = rounding_finding(flat)
        findings += [rounding] if rounding else []
    dtype = precision_verdict(findings, model, allow_float32=allow_float32,
                              what=f"model {getattr(model, 'name', '')!r}", stacklevel=6,
                              where=" to finitediff.tf.flat_model")
    graph = _InputsGraph(model, inputs, differentiated, training, jit_compile)
    return Entry(graph, outputs, level, dtype)


# -- with respect to variables --------------------------------------------------------
class _WeightsGraph:
    """For each point: assign it to the variables, call the model; then restore them."""

    def __init__(self, model, inputs: ModelInputs, variables: list, parts: tuple[Part, ...],
                 output_sizes: list[int], training: bool, jit_compile: bool):
        self._model = _reference(model)
        self.inputs = inputs
        self.variables = variables
        self.parts = parts
        self.output_sizes = output_sizes
        self.training = training
        self.compiled = CompiledFunction(self._traced, model, jit_compile=jit_compile,
                                         reduce_retracing=True)

    def _traced(self, points, tensors, originals):
        model = self._model()
        arguments = self.inputs.assemble(list(tensors))
        count = tf.shape(points)[0]
        arrays = tuple(tf.TensorArray(tf.float64, size=count, element_shape=(size,))
                       for size in self.output_sizes)

        def body(i, arrays):
            row = points[i]
            for variable, part in zip(self.variables, self.parts):
                value = tf.reshape(row[part.start:part.stop], part.shape)
                variable.assign(tf.cast(value, variable.dtype))
            outputs = call_model(model, arguments, training=self.training)
            return i + 1, tuple(
                array.write(i, tf.cast(tf.reshape(value, (-1,)), tf.float64))
                for array, (_, value) in zip(arrays, flatten_outputs(outputs, model)[0]))

        # One point after the other: each iteration assigns the shared variables.
        _, arrays = tf.while_loop(lambda i, _: i < count, body, (tf.constant(0), arrays),
                                  parallel_iterations=1)
        for variable, original in zip(self.variables, originals):
            variable.assign(original)
        return [array.stack() for array in arrays]

    def __call__(self, points: np.ndarray, tensors: tuple, originals: list) -> np.ndarray:
        values = self.compiled(tf.constant(points, tf.float64), tensors,
                               [tf.constant(value) for value in originals])
        return np.concatenate([np.asarray(v, dtype=np.float64) for v in values], axis=1)


def build_weights_entry(model, inputs, tensors, wrt, training, jit_compile,
                         allow_float32) -> Entry:
    values = _call_checked(model, inputs.assemble(list(tensors)), training)  # builds it
    variables, parts, _ = select_variables(model, wrt)
    outputs, level, dtypes = read_outputs(values, model, batch=None)
    low = [v for v in variables if tf.as_dtype(v.dtype) != tf.float64]
    findings = model_findings(model) + _low_output_findings(dtypes)
    if low and not any(f.startswith("weights") for f in findings):
        findings.insert(0, f"variables are {tf.as_dtype(low[0].dtype).name} "
                           f"(e.g. {parts[variables.index(low[0])].key!r})")
    dtype = precision_verdict(findings, model, allow_float32=allow_float32,
                              what=f"model {getattr(model, 'name', '')!r}", stacklevel=6,
                              where=" to finitediff.tf.flat_model")
    graph = _WeightsGraph(model, inputs, variables, parts, [p.size for p in outputs], training,
                          jit_compile)
    return Entry(graph, outputs, level, dtype, tuple(variables))

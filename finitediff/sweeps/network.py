"""Keras models swept through their difference networks (imports TensorFlow).

A :class:`~finitediff.tf.DifferenceLayer` with per-sample ``eps`` takes one
step per sample, so a method's cells, every point at every step, go in one
batch: one call of the model per method, whatever the number of steps. A
stencil whose offsets are not integers (the network's offsets are multiples
of the step) is evaluated on the model as a black box instead, still in one
call for all its points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..tf import DifferenceLayer
from .run import Cell, ChunkResult, Row, StencilEvaluator, taken_steps

__all__ = ["NetworkEvaluator", "network_method"]


def network_method(method) -> bool:
    """Whether ``method`` can run through a difference network (integer offsets)."""
    return not method.is_complex and all(float(o).is_integer() for o in method.stencil.offsets)


@dataclass
class NetworkEvaluator:
    """``evaluate_chunk`` for an elementwise Keras model (one input feature)."""

    model: object
    fallback: StencilEvaluator
    layers: dict = field(default_factory=dict)

    def _layer(self, m: int) -> DifferenceLayer:
        if m not in self.layers:
            method = self.fallback.methods[m]
            offsets = [int(o) for o in method.stencil.offsets]
            # called once per sweep: a plain graph, as XLA would compile for longer
            # (about 0.6 s against 0.35 s per layer) than it saves
            self.layers[m] = DifferenceLayer(self.model, orders=(method.n,), accuracy=1,
                                             offsets=offsets, jit_compile=False,
                                             name=f"sweep_{method.name}")
        return self.layers[m]

    def __call__(self, chunk: Sequence[Cell]) -> ChunkResult:
        cells = np.array(chunk, dtype=np.int64).reshape(-1, 3)
        methods = self.fallback.methods
        through_network = np.array([network_method(methods[m]) for m in cells[:, 1]], bool)
        rows, calls = [], 0
        taken = taken_steps(self.fallback.x, self.fallback.steps, None)
        for m in np.unique(cells[through_network, 1]):
            group = cells[cells[:, 1] == m]
            x = self.fallback.x[group[:, 0]][:, None]
            h = taken[group[:, 0], group[:, 2]][:, None]
            (derivative,) = self._layer(int(m))(x, h, 1.0 / h)
            calls += 1
            estimate = np.asarray(derivative, dtype=np.float64).reshape(-1)
            rows += [Row(int(p), int(m), int(s), float(step), float(e), float("nan"))
                     for (p, _, s), step, e in zip(group, h[:, 0], estimate)]
        if not np.all(through_network):
            result = self.fallback(cells[~through_network])
            rows += list(result.rows)
            calls += result.calls
        return ChunkResult(tuple(rows), calls)

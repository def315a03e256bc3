"""Evaluating the grid: cells, chunks, and the stencils on them in one call of f.

A *cell* is ``(point, method, step)``, three indices; a *chunk* is a tuple of
cells evaluated together by one ``evaluate_chunk(chunk)`` call, which returns
a :class:`ChunkResult` of finished rows. The run loop only splits cells into
chunks and collects rows, so chunks can go to local processes, an executor
or a Dask cluster (:mod:`finitediff.workers`) and be committed to a
checkpoint as they arrive.

:class:`StencilEvaluator` is ``evaluate_chunk`` for numpy callables: the
points of every cell of the chunk, ``x + o·h`` over the stencil offsets
``o`` (or ``x + o·h·v`` along a direction), are pooled, identical points
evaluated once, and ``f`` called once on all of them (once more on the
complex points of complex-step cells). Each estimate is then
``Σ_j w_j f(x + o_j h) / h^n`` summed in a fixed order, so a row does not
depend on which chunk computed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .function import BatchFunction
from .methods import SweepMethod

__all__ = ["ChunkResult", "Row", "StencilEvaluator", "all_cells", "make_chunks"]

#: ``(point, method, step)`` indices.
Cell = tuple[int, int, int]


@dataclass(frozen=True)
class Row:
    """One finished cell: the step actually taken, the estimate, and ``max|f|`` over its
    points (NaN where the values of f were not seen)."""

    point: int
    method: int
    step_index: int
    step: float
    estimate: float
    f_max: float

    @property
    def cell(self) -> Cell:
        return (self.point, self.method, self.step_index)


@dataclass(frozen=True)
class ChunkResult:
    rows: tuple[Row, ...]
    calls: int


def all_cells(points: int, methods: int, steps: int) -> list[Cell]:
    return [(p, m, s) for s in range(steps) for m in range(methods) for p in range(points)]


def make_chunks(cells: Iterable[Cell], *, by: str, size: int | None) -> list[tuple[Cell, ...]]:
    """Group cells into chunks: ``size`` steps per chunk (``by="step"``, all points and
    methods of those steps), or one method per chunk (``by="method"``); ``size=None``
    with ``by="step"`` puts everything in one chunk."""
    cells = sorted(cells, key=lambda c: (c[2], c[1], c[0]))
    if by == "method":
        groups: dict[int, list[Cell]] = {}
        for cell in cells:
            groups.setdefault(cell[1], []).append(cell)
        return [tuple(group) for _, group in sorted(groups.items())]
    if size is None:
        return [tuple(cells)] if cells else []
    steps = sorted({c[2] for c in cells})
    blocks = [set(steps[i:i + size]) for i in range(0, len(steps), size)]
    return [tuple(c for c in cells if c[2] in block) for block in blocks]


def taken_steps(x: np.ndarray, steps: np.ndarray, direction) -> np.ndarray:
    """The step actually taken, ``(x + h) − x`` (exact in floating point), per point.

    Along a direction the step is that of the parameter ``t`` at 0: ``h`` itself.
    """
    if direction is not None:
        return steps.copy()
    return (x[:, None] + steps) - x[:, None]


@dataclass(frozen=True)
class StencilEvaluator:
    """``evaluate_chunk`` for numpy callables (picklable: it travels to workers).

    Attributes
    ----------
    function : BatchFunction
    x : ndarray, ``(P,)`` or ``(P, d)``
    direction : ndarray ``(d,)`` or None
    steps : ndarray ``(P, S)``, the nominal steps
    methods : tuple of SweepMethod
    """

    function: BatchFunction
    x: np.ndarray
    direction: np.ndarray | None
    steps: np.ndarray
    methods: tuple[SweepMethod, ...]

    def __call__(self, chunk: Sequence[Cell]) -> ChunkResult:
        cells = np.array(chunk, dtype=np.int64).reshape(-1, 3)
        complex_mask = np.array([self.methods[m].is_complex for m in cells[:, 1]], dtype=bool)
        stencil_rows, stencil_calls = self._stencil_rows(cells[~complex_mask])
        complex_rows, complex_calls = self._complex_rows(cells[complex_mask])
        return ChunkResult(tuple(stencil_rows + complex_rows), stencil_calls + complex_calls)

    def _shift(self, points: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """``x_p + amount`` (elementwise) or ``x_p + amount·v`` (along the direction)."""
        if self.direction is None:
            return self.x[points] + amounts
        return self.x[points] + amounts[:, None] * self.direction

    def _stencil_rows(self, cells: np.ndarray) -> tuple[list[Row], int]:
        if len(cells) == 0:
            return [], 0
        taken = taken_steps(self.x, self.steps, self.direction)
        groups, pooled = [], []
        for m in np.unique(cells[:, 1]):
            group = cells[cells[:, 1] == m]
            h = taken[group[:, 0], group[:, 2]]
            offsets = np.array([float(o) for o in self.methods[m].stencil.support])
            # (cells, offsets): the point of every cell at every stencil offset
            points = self._shift(np.repeat(group[:, 0], len(offsets)),
                                 (h[:, None] * offsets[None, :]).reshape(-1))
            groups.append((m, group, h, len(offsets)))
            pooled.append(points)
        pooled = np.concatenate(pooled)
        unique, inverse = np.unique(pooled, return_inverse=True, axis=0 if pooled.ndim > 1
                                    else None)
        values = self.function(unique)
        values = values.real if values.dtype.kind == "c" else values
        values = values[inverse.reshape(-1)]
        rows, start = [], 0
        for m, group, h, count in groups:
            block = values[start:start + len(group) * count].reshape(len(group), count)
            start += len(group) * count
            weights = self.methods[m].stencil.support_weights
            total = np.zeros(len(group))
            with np.errstate(all="ignore"):
                for j in range(count):  # a fixed order of summation
                    total = total + weights[j] * block[:, j]
                estimate = total / h**self.methods[m].n
                f_max = np.max(np.abs(block), axis=1)
            rows += [Row(int(p), int(m), int(s), float(step), float(e), float(fm))
                     for (p, _, s), step, e, fm in zip(group, h, estimate, f_max)]
        return rows, self.function.cost(len(unique))

    def _complex_rows(self, cells: np.ndarray) -> tuple[list[Row], int]:
        if len(cells) == 0:
            return [], 0
        h = self.steps[cells[:, 0], cells[:, 2]]
        points = self._shift(cells[:, 0], 1j * h)
        values = self.function(points)
        if values.dtype.kind != "c":
            raise ValueError("the complex step needs f to carry complex input through; "
                             "f returned real values")
        with np.errstate(all="ignore"):
            estimate = values.imag / h
        rows = [Row(int(p), int(m), int(s), float(step), float(e), float(abs(v)))
                for (p, m, s), step, e, v in zip(cells, h, estimate, values)]
        return rows, self.function.cost(len(points))

"""Points in chunks: split a stack of points, evaluate f on each chunk somewhere, in order.

:func:`map_points` sends a stack of points ``(N, *shape)`` through a backend
in a few chunks per worker and concatenates the values in order, so the
result equals the serial call bit for bit (f evaluates each point on its own,
as ``vectorized=True`` promises). On the worker a :class:`PointTask` calls f
and returns what it raised as a :class:`~finitediff.workers.faults.Failure`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import check_argument
from .faults import Failure, PointNames

if TYPE_CHECKING:
    from .backends import Backend

__all__ = ["CHUNKS_PER_WORKER", "PointTask", "chunk_slices", "map_points"]

#: Chunks per worker: enough to even out uneven costs, few enough to keep overhead low.
CHUNKS_PER_WORKER = 4


def chunk_slices(count: int, workers: int, *, chunks_per_worker: int = CHUNKS_PER_WORKER,
                 max_points: int | None = None) -> list[slice]:
    """Contiguous slices covering ``range(count)``: a few per worker, none over ``max_points``.

    Examples
    --------
    >>> chunk_slices(10, 2, chunks_per_worker=2)
    [slice(0, 3, None), slice(3, 6, None), slice(6, 8, None), slice(8, 10, None)]
    """
    if count == 0:
        return []
    chunks = min(count, workers * chunks_per_worker)
    if max_points is not None:
        chunks = max(chunks, -(-count // max_points))
    size, extra = divmod(count, chunks)
    bounds = [0]
    for index in range(chunks):
        bounds.append(bounds[-1] + size + (index < extra))
    return [slice(start, stop) for start, stop in zip(bounds[:-1], bounds[1:])]


def map_points(f: Callable, points, backend: Backend, *, args: tuple = (),
               vectorized: bool = True, progress: bool | None = None,
               max_points: int | None = None,
               convert: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
               ) -> np.ndarray:
    """``f`` at every point of ``points`` (shape ``(N, *shape)``), through ``backend``, in order.

    With ``vectorized=True`` f gets each chunk, ``(n, *shape)``, and must
    return ``(n, *out)``; with ``vectorized=False`` it is called once per point
    on the worker. ``convert(values, chunk)`` runs here on each chunk's values,
    in order, before they are concatenated.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from finitediff.workers import resolve_workers
    >>> points = np.linspace(0.0, 1.0, 12).reshape(6, 2)
    >>> with ThreadPoolExecutor(2) as pool:
    ...     values = map_points(np.sum, points, resolve_workers(pool), vectorized=False)
    >>> bool(np.array_equal(values, points.sum(axis=1)))
    True
    """
    points = np.asarray(points)
    check_argument(points.ndim >= 1 and len(points) > 0,
                   f"`points` must stack at least one point, got shape {points.shape}")
    backend.check_picklable(f, "f")
    backend.check_picklable(args, "args")
    slices = chunk_slices(len(points), backend.size, chunks_per_worker=backend.chunks_per_worker,
                          max_points=max_points)
    chunks = [points[piece] for piece in slices]
    task = PointTask(f, tuple(args), bool(vectorized), np.geterr(), backend.transport)
    values = backend.map_chunks(task, chunks, progress=progress,
                                sizes=[len(chunk) for chunk in chunks],
                                describe=PointNames(points, slices))
    if convert is not None:
        values = [convert(value, chunk) for value, chunk in zip(values, chunks)]
    return values[0] if len(values) == 1 else np.concatenate(values)


@dataclass(frozen=True)
class PointTask:
    """f on a chunk of points, on a worker; a failure comes back as a record, not a raise."""

    f: Callable
    args: tuple
    vectorized: bool
    errstate: dict  # the caller's np.errstate, so workers warn (or not) as the serial call
    transport: str | None

    def __call__(self, chunk: np.ndarray):
        with np.errstate(**self.errstate):
            if self.vectorized:
                try:
                    return np.asarray(self.f(chunk, *self.args))
                except Exception as exc:
                    return Failure.capture(exc, None, self.transport)
            return self._one_by_one(chunk)

    def _one_by_one(self, chunk: np.ndarray):
        values = []
        for position, point in enumerate(chunk):
            try:
                value = np.asarray(self.f(point, *self.args))
            except Exception as exc:
                return Failure.capture(exc, position, self.transport)
            if values and value.shape != values[0].shape:
                return Failure(ValueError, f"`f` returned shape {value.shape} here but "
                               f"{values[0].shape} at the chunk's first point; f must return "
                               "the same shape at every point", "", position, None, own=True)
            values.append(value)
        return np.stack(values)

"""Where f runs: here, in local processes, on any executor, through a map, or on a Dask cluster.

:func:`resolve_workers` turns the ``workers=`` argument into a
:class:`Backend` with two methods: ``map_chunks(function, chunks)``, the
results in order, and ``as_completed(function, chunks)``, ``(i, result)`` as
each chunk completes. :func:`map_points` sends a stack of points
``(N, *shape)`` through a backend in a few chunks per worker and concatenates
the values in order, so the result equals the serial call bit for bit (f
evaluates each point on its own, as ``vectorized=True`` promises).

Faults come back named. An exception raised by f on a worker is raised again
with its type and the point (index and coordinates) that raised it, the
original chained; a worker that dies is a :class:`WorkerLostError` naming the
unfinished points; Ctrl-C cancels the outstanding work and re-raises
``KeyboardInterrupt``. Importing this package loads numpy and the standard
library only; dask, tqdm and cloudpickle are imported when used.

The modules: ``resolve`` (the ``workers=`` argument), ``backends`` (where
chunks run), ``chunks`` (points in chunks, f on a worker), ``faults`` (what
f raised, brought back and named), ``progress`` (the tqdm bar).
"""

from __future__ import annotations

from ..errors import WorkerLostError
from .backends import Backend
from .chunks import CHUNKS_PER_WORKER, chunk_slices, map_points
from .progress import check_progress
from .resolve import resolve_workers

__all__ = [
    "Backend",
    "CHUNKS_PER_WORKER",
    "WorkerLostError",
    "check_progress",
    "chunk_slices",
    "map_points",
    "resolve_workers",
]

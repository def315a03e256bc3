"""The ``workers=`` argument, validated once and turned into a backend."""

from __future__ import annotations

import concurrent.futures
import numbers
from typing import Any

from ..errors import check_argument, check_positive_int
from .backends import (
    Backend,
    DaskBackend,
    ExecutorBackend,
    LocalProcessBackend,
    MapBackend,
    SerialBackend,
)
from .chunks import CHUNKS_PER_WORKER

__all__ = ["resolve_workers"]

EXPECTED = ("`workers` must be None or 1 (serial), an int n >= 1 (n local processes), a "
            "concurrent.futures.Executor, a map-like callable map(fn, iterable), a "
            "dask.distributed.Client or a Dask scheduler address such as 'tcp://host:8786'")


def resolve_workers(workers: Any = None, *, chunks_per_worker: int = CHUNKS_PER_WORKER,
                    timeout: float | None = None) -> Backend:
    """The backend for a ``workers=`` argument, validated once.

    Parameters
    ----------
    workers : None, int, Executor, callable, dask Client or str
        None or 1: here, in this process. An int ``n >= 2``: ``n`` local
        processes (a ``ProcessPoolExecutor`` owned by the backend, shut down
        with it). Any ``concurrent.futures.Executor`` (a thread or process pool,
        or another library's): used, never shut down. A ``dask.distributed``
        ``Client`` (the default client or not), or a scheduler address
        ``"tcp://host:port"`` to connect one. Any other callable is used as
        ``map(fn, iterable)``.
    chunks_per_worker : int, optional
        How many chunks :func:`~finitediff.workers.map_points` makes per worker.
    timeout : float, optional
        Seconds a ``map_chunks`` call may take before its outstanding work is
        cancelled and ``TimeoutError`` raised (default: no limit); also the
        time allowed to connect to a scheduler address.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(2) as pool:
    ...     resolve_workers(pool).map_chunks(sum, [[1, 2], [3, 4, 5]])
    [3, 12]
    """
    if isinstance(workers, Backend):
        return workers
    options = {"chunks_per_worker": check_positive_int("chunks_per_worker", chunks_per_worker),
               "timeout": _check_timeout(timeout)}
    if workers is None:
        return SerialBackend(**options)
    if isinstance(workers, bool) or (isinstance(workers, numbers.Number)
                                     and not isinstance(workers, numbers.Integral)):
        raise TypeError(f"{EXPECTED}; got {workers!r} of type {type(workers).__name__}")
    if isinstance(workers, numbers.Integral):
        check_argument(workers >= 1, f"{EXPECTED}; got {workers}")
        return SerialBackend(**options) if workers == 1 else LocalProcessBackend(
            int(workers), **options)
    if isinstance(workers, concurrent.futures.Executor):
        return ExecutorBackend(workers, **options)
    if _is_dask_client(workers):
        return DaskBackend(workers, **options)
    if isinstance(workers, str):
        check_argument("://" in workers or workers.rpartition(":")[2].isdigit(),
                       f"{EXPECTED}; got the string {workers!r}")
        return DaskBackend(_connect(workers, options["timeout"]), owned=True, **options)
    if callable(workers):
        return MapBackend(workers, **options)
    raise TypeError(f"{EXPECTED}; got {workers!r} of type {type(workers).__name__}")


def _check_timeout(timeout: Any) -> float | None:
    if timeout is None:
        return None
    check_argument(isinstance(timeout, numbers.Real) and not isinstance(timeout, bool),
                   f"`timeout` must be None or a positive number of seconds, got {timeout!r}",
                   error=TypeError)
    check_argument(0 < timeout < float("inf"),
                   f"`timeout` must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


def _is_dask_client(value: Any) -> bool:
    """A ``distributed.Client``, told by its classes' modules (dask is not imported)."""
    return any(cls.__module__ == "distributed.client" and cls.__name__ == "Client"
               for cls in type(value).__mro__)


def _connect(address: str, timeout: float | None):
    try:
        from distributed import Client
    except ImportError as exc:
        raise ImportError("a scheduler address as `workers` needs dask.distributed: "
                          "pip install 'finitediff[dask]'") from exc
    try:
        return Client(address, set_as_default=False,
                      **({} if timeout is None else {"timeout": timeout}))
    except (OSError, TimeoutError) as exc:
        raise ConnectionError(f"could not connect to the Dask scheduler {address!r} given as "
                              f"`workers`: {exc}") from exc

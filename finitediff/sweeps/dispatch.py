"""Where chunks run: here, in local processes, in an executor, or on a Dask cluster.

:func:`map_chunks` is the one place that knows about workers; everything
else hands it ``evaluate_chunk`` and a list of chunks and receives results
as they complete (in any order: each result names its cells). It is meant
to give way to the package's shared workers backend when that lands.
"""

from __future__ import annotations

import numbers
import pickle
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, as_completed

from ..errors import check_argument

__all__ = ["check_workers", "is_dask_client", "map_chunks", "progress_bar"]

#: A progress bar appears only when a sweep takes longer than this (seconds).
PROGRESS_DELAY = 1.0


def is_dask_client(workers) -> bool:
    return type(workers).__module__.split(".")[0] == "distributed" and all(
        hasattr(workers, name) for name in ("map", "gather"))


def check_workers(workers) -> None:
    check_argument(
        workers is None or isinstance(workers, Executor) or is_dask_client(workers)
        or (isinstance(workers, numbers.Integral) and not isinstance(workers, bool)),
        "`workers` must be None, a number of processes, a concurrent.futures.Executor or a "
        f"dask.distributed.Client, got {workers!r}", error=TypeError)
    if isinstance(workers, numbers.Integral):
        check_argument(workers >= 1, f"`workers` must be >= 1, got {workers}")


def _from_executor(executor: Executor, function, chunks) -> Iterator:
    futures = [executor.submit(function, chunk) for chunk in chunks]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        for future in futures:
            future.cancel()


def _from_dask(client, function, chunks) -> Iterator:
    from distributed import as_completed as dask_completed

    futures = client.map(function, chunks, pure=False)
    try:
        for future in dask_completed(futures):
            yield future.result()
    finally:
        client.cancel(futures)


def map_chunks(function: Callable, chunks: Sequence, *, workers=None) -> Iterator:
    """``function(chunk)`` for every chunk, yielded as each completes.

    ``workers``: None (here, in order), an int (that many local processes), a
    ``concurrent.futures.Executor``, or a ``dask.distributed.Client``.
    Leaving the loop early (an exception, Ctrl-C) cancels what has not started.
    """
    if workers is None:
        for chunk in chunks:
            yield function(chunk)
    elif is_dask_client(workers):
        yield from _from_dask(workers, function, chunks)
    elif isinstance(workers, Executor):
        yield from _from_executor(workers, function, chunks)
    else:
        from concurrent.futures import ProcessPoolExecutor  # multiprocessing, only here

        _check_picklable(function)
        with ProcessPoolExecutor(max_workers=int(workers)) as executor:
            yield from _from_executor(executor, function, chunks)


def _check_picklable(function) -> None:
    try:
        pickle.dumps(function)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise TypeError("`workers`: to run in local processes f must be picklable (a "
                        f"module-level function, not a lambda or a local function): {exc}"
                        ) from None


def progress_bar(total: int, progress: bool | None):
    """A tqdm bar over ``total`` chunks, or None. ``progress=None`` shows one only for
    sweeps of several chunks that take more than ``PROGRESS_DELAY`` seconds."""
    if progress is False or (progress is None and total <= 1):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise ImportError("progress=True needs tqdm: pip install tqdm") from None
        return None
    return tqdm(total=total, unit="chunk", desc="sweep",
                delay=PROGRESS_DELAY if progress is None else 0.0)

"""The backends: where chunks run, and how their results come back.

A :class:`Backend` evaluates ``function(chunk)`` for every chunk: here
(:class:`SerialBackend`), through a map-like callable (:class:`MapBackend`),
on an executor the caller owns (:class:`ExecutorBackend`), in local
processes it owns (:class:`LocalProcessBackend`), or on a Dask cluster
(:class:`DaskBackend`). :meth:`Backend.as_completed` yields each result as it
completes; :meth:`Backend.map_chunks` collects them in order, with a progress
bar. f's errors come back as themselves, named; a worker that dies is a
:class:`~finitediff.WorkerLostError`; Ctrl-C, a timeout or an error cancels
the outstanding work.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import queue
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..errors import WorkerLostError, check_argument
from .chunks import PointTask
from .faults import ChunkNames, accept, serializer, unfinished
from .progress import check_progress, progress_bar

__all__ = ["Backend", "DaskBackend", "ExecutorBackend", "LocalProcessBackend", "MapBackend",
           "SerialBackend"]


class Backend:
    """Evaluates ``function(chunk)`` for each chunk, somewhere.

    ``size`` is how many chunks run at once; ``transport`` how the function and
    the chunks travel: None (same process), ``"pickle"``, ``"cloudpickle"`` or
    ``"unknown"`` (an executor or map of another library).
    """

    transport: str | None = None
    serial = False

    def __init__(self, *, size: int, chunks_per_worker: int, timeout: float | None):
        self.size = max(1, int(size))
        self.chunks_per_worker = chunks_per_worker
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"

    def map_chunks(self, function: Callable, chunks, *, progress: bool | None = None,
                   sizes: Sequence[int] | None = None,
                   describe: Callable[..., str] | None = None) -> list:
        """``[function(chunk) for chunk in chunks]``, evaluated by this backend.

        ``sizes`` (points per chunk) makes the progress bar count points;
        ``describe(i, position=None)`` names chunk ``i`` in error messages.
        """
        chunks = list(chunks)
        sizes = list(sizes) if sizes is not None else [1] * len(chunks)
        results: list = [None] * len(chunks)
        with progress_bar(check_progress(progress), sizes) as advance, contextlib.closing(
                self.as_completed(function, chunks, describe=describe)) as completed:
            for index, result in completed:
                results[index] = result
                advance(index)
        return results

    def as_completed(self, function: Callable, chunks, *,
                     describe: Callable[..., str] | None = None) -> Iterator[tuple[int, Any]]:
        """``(i, function(chunks[i]))`` for every chunk, in the order they complete.

        Faults are raised from the iterator as from :meth:`map_chunks`.
        Closing it early (``contextlib.closing``) cancels the chunks that
        have not finished.
        """
        chunks = list(chunks)
        if not isinstance(function, PointTask):  # map_points checked f and args by name
            self.check_picklable(function, "function")
        return self._completed(function, chunks, describe or ChunkNames(len(chunks)))

    def _completed(self, function, chunks: list, describe) -> Iterator[tuple[int, Any]]:
        raise NotImplementedError

    def check_picklable(self, value: Any, name: str) -> None:
        """Raise TypeError up front if ``value`` cannot travel to this backend's workers."""
        if self.transport not in ("pickle", "cloudpickle"):
            return
        try:
            serializer(self.transport)[0](value)
        except Exception as exc:
            hint = ("a lambda or a function defined inside another function cannot be "
                    "pickled: define it with `def` at module level, or use a Dask client, "
                    "which pickles with cloudpickle" if self.transport == "pickle"
                    else "cloudpickle could not serialise it")
            raise TypeError(f"`{name}` must be picklable to reach worker processes: {hint} "
                            f"({type(exc).__name__}: {exc})") from exc

    def close(self) -> None:
        """Release what the backend owns (its process pool, its Dask client)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class SerialBackend(Backend):
    """In this process, one chunk after another."""

    serial = True

    def __init__(self, **options):
        super().__init__(size=1, **options)

    def _completed(self, function, chunks, describe):
        for index, chunk in enumerate(chunks):
            yield index, accept(function(chunk), index, describe)


class MapBackend(Backend):
    """Through a map-like callable ``map(fn, iterable)`` (``Pool.map``, ``executor.map``...)."""

    def __init__(self, map_function: Callable, **options):
        owner = getattr(map_function, "__self__", None)
        size = (getattr(owner, "_processes", None) or getattr(owner, "_max_workers", None)
                or os.cpu_count() or 1)
        super().__init__(size=size, **options)
        self.map_function = map_function
        self.transport = _transport_of(owner) if owner is not None else "unknown"

    def _completed(self, function, chunks, describe):
        arrived = (enumerate(self.map_function(function, chunks)) if self.timeout is None
                   else self._within_timeout(function, chunks, describe))
        count = 0
        for index, result in arrived:
            yield index, accept(result, index, describe)
            count += 1
        check_argument(count == len(chunks), f"the `workers` map returned {count} results for "
                       f"{len(chunks)} chunks", error=RuntimeError)

    def _within_timeout(self, function, chunks, describe) -> Iterator[tuple[int, Any]]:
        """The map in a daemon thread, its results passed on as they arrive: a map cannot
        be cancelled, but it can be left."""
        arrivals: queue.Queue = queue.Queue()

        def produce():
            try:
                for item in enumerate(self.map_function(function, chunks)):
                    arrivals.put(("result", item))
            except BaseException as exc:
                arrivals.put(("error", exc))
            arrivals.put(("end", None))

        threading.Thread(target=produce, daemon=True, name="finitediff-map").start()
        deadline, received = time.monotonic() + self.timeout, 0
        while True:
            try:
                kind, item = arrivals.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                raise TimeoutError(
                    f"f did not finish within timeout={self.timeout} s (a map cannot be "
                    f"cancelled: its work may go on); unfinished chunks: "
                    f"{unfinished(len(chunks), range(received), describe)}") from None
            if kind == "end":
                return
            if kind == "error":
                raise item
            received += 1
            yield item


def _transport_of(owner: Any) -> str | None:
    """How an executor or pool moves work: same process, pickle, or its own way."""
    from multiprocessing.pool import Pool, ThreadPool

    if isinstance(owner, (concurrent.futures.ThreadPoolExecutor, ThreadPool)):
        return None
    if isinstance(owner, (concurrent.futures.ProcessPoolExecutor, Pool)):
        return "pickle"
    return "unknown"


class ExecutorBackend(Backend):
    """On a ``concurrent.futures.Executor`` the caller owns: used, never shut down."""

    def __init__(self, executor: concurrent.futures.Executor, **options):
        size = getattr(executor, "_max_workers", None) or os.cpu_count() or 1
        super().__init__(size=size, **options)
        self.executor = executor
        self.transport = _transport_of(executor)

    def _executor(self) -> concurrent.futures.Executor:
        return self.executor

    def _completed(self, function, chunks, describe):
        futures: list = []
        try:
            for chunk in chunks:
                futures.append(self._executor().submit(function, chunk))
            completed = concurrent.futures.as_completed(futures, timeout=self.timeout)
            yield from _collect(futures, completed, describe, timeout=self.timeout,
                                lost=(concurrent.futures.BrokenExecutor, False))
        except BaseException:  # f's error, a lost worker, Ctrl-C, closed early: stop the rest
            self._abort(futures)
            raise

    def _abort(self, futures) -> None:
        for future in futures:
            future.cancel()


def _ignore_interrupts() -> None:
    """Worker processes leave Ctrl-C to the caller, which cancels and stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalProcessBackend(ExecutorBackend):
    """``n`` local processes: a ``ProcessPoolExecutor`` started on first use, owned."""

    transport = "pickle"

    def __init__(self, processes: int, **options):
        Backend.__init__(self, size=processes, **options)
        self.processes = processes
        self.executor = None

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self.executor is None:
            self.executor = concurrent.futures.ProcessPoolExecutor(
                self.processes, initializer=_ignore_interrupts)
            weakref.finalize(self, _stop_pool, self.executor)
        return self.executor

    def _abort(self, futures) -> None:
        # The pool is ours: stop the chunks still running, not only the queued ones.
        super()._abort(futures)
        if self.executor is not None:
            _stop_pool(self.executor, terminate=True)
            self.executor = None

    def close(self) -> None:
        if self.executor is not None:
            _stop_pool(self.executor)
            self.executor = None


def _stop_pool(pool: concurrent.futures.ProcessPoolExecutor, terminate: bool = False) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    if terminate:
        for process in processes:
            process.terminate()


class DaskBackend(Backend):
    """On a ``dask.distributed`` cluster through its ``Client`` (cloudpickle travels lambdas).

    The client need not be the default one: its futures are awaited on its own loop.
    """

    transport = "cloudpickle"

    def __init__(self, client, *, owned: bool = False, **options):
        size = sum(client.nthreads().values()) if client.status == "running" else 1
        super().__init__(size=size, **options)
        self.client = client
        if owned:
            weakref.finalize(self, client.close)
        self._owned = owned

    def _completed(self, function, chunks, describe):
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        futures: list = []
        try:
            futures = self.client.map(function, chunks, pure=False)
            completed = as_completed(futures, timeout=self.timeout, loop=self.client.loop)
            yield from _collect(futures, completed, describe, timeout=self.timeout,
                                lost=(KilledWorker, True))
        except BaseException:  # f's error, a lost worker, Ctrl-C, closed early: cancel them
            if futures:
                self.client.cancel(futures)
            raise

    def close(self) -> None:
        if self._owned:
            self.client.close()


def _collect(futures, completed, describe, *, timeout, lost) -> Iterator[tuple[int, Any]]:
    """``(index, result)`` of the futures as they complete (index: the submission order).

    ``lost`` is the exception type a dead worker raises and whether it is
    raised by the future that was running there (Dask) or by every
    unfinished future (a broken process pool).
    """
    lost_error, exact = lost
    order = {id(future): index for index, future in enumerate(futures)}
    finished: set[int] = set()
    while True:
        try:
            future = next(completed)
        except StopIteration:
            return
        except TimeoutError as exc:
            names = unfinished(len(futures), finished, describe)
            raise TimeoutError(f"f did not finish within timeout={timeout} s; cancelled the "
                               f"unfinished chunks: {names}") from exc
        index = order[id(future)]
        try:
            result = future.result()
        except lost_error as exc:
            where = (describe(index) if exact else "one of the unfinished chunks: "
                     + unfinished(len(futures), finished, describe))
            raise WorkerLostError(f"a worker died (killed by a signal, out of memory, or an exit "
                                  f"inside f) while evaluating f at {where}") from exc
        value = accept(result, index, describe)
        finished.add(index)
        yield index, value

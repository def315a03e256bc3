"""Where f runs: here, in local processes, on any executor, through a map, or on a Dask cluster.

:func:`resolve_workers` turns the ``workers=`` argument into a backend with one
method, ``map_chunks(function, chunks)``: ``function(chunk)`` for every chunk,
the results in order. :func:`map_points` sends a stack of points
``(N, *shape)`` through a backend in a few chunks per worker and concatenates
the values in order, so the result equals the serial call bit for bit (f
evaluates each point on its own, as ``vectorized=True`` promises).

Faults come back named. An exception raised by f on a worker is raised again
with its type and the point (index and coordinates) that raised it, the
original chained; a worker that dies is a :class:`WorkerLostError` naming the
unfinished points; Ctrl-C cancels the outstanding work and re-raises
``KeyboardInterrupt``. Importing this module loads numpy and the standard
library only; dask, tqdm and cloudpickle are imported when used.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import numbers
import os
import pickle
import signal
import sys
import threading
import traceback
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import WorkerLostError, check_argument, check_positive_int

__all__ = [
    "Backend",
    "CHUNKS_PER_WORKER",
    "WorkerLostError",
    "check_progress",
    "chunk_slices",
    "map_points",
    "resolve_workers",
]

#: Chunks per worker: enough to even out uneven costs, few enough to keep overhead low.
CHUNKS_PER_WORKER = 4
#: ``progress=None`` shows a bar (on a terminal) for calls with more chunks than this.
FEW_CHUNKS = 4
#: How many unfinished chunks an error message lists.
NAMED_CHUNKS = 3

EXPECTED = ("`workers` must be None or 1 (serial), an int n >= 1 (n local processes), a "
            "concurrent.futures.Executor, a map-like callable map(fn, iterable), a "
            "dask.distributed.Client or a Dask scheduler address such as 'tcp://host:8786'")


# -- choosing a backend ---------------------------------------------------------
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
        ``Client``, or a scheduler address ``"tcp://host:port"`` to connect
        one. Any other callable is used as ``map(fn, iterable)``.
    chunks_per_worker : int, optional
        How many chunks :func:`map_points` makes per worker.
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


def check_progress(progress: Any) -> bool | None:
    """``None`` (a bar on a terminal, for many chunks), True or False; True needs tqdm."""
    check_argument(progress is None or isinstance(progress, (bool, np.bool_)),
                   f"`progress` must be None, True or False, got {progress!r}", error=TypeError)
    if progress:
        _import_tqdm()
    return None if progress is None else bool(progress)


def _import_tqdm():
    try:
        from tqdm import tqdm
    except ImportError as exc:
        raise ImportError("progress=True needs tqdm: pip install 'finitediff[progress]'") from exc
    return tqdm


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


# -- splitting points into chunks ------------------------------------------------
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
    task = _PointTask(f, tuple(args), bool(vectorized), np.geterr(), backend.transport)
    values = backend.map_chunks(task, chunks, progress=progress,
                                sizes=[len(chunk) for chunk in chunks],
                                describe=_PointNames(points, slices))
    if convert is not None:
        values = [convert(value, chunk) for value, chunk in zip(values, chunks)]
    return values[0] if len(values) == 1 else np.concatenate(values)


@dataclass(frozen=True)
class _PointNames:
    """Names a chunk of points, or one point in it, for error messages."""

    points: np.ndarray
    slices: Sequence[slice]

    def __call__(self, chunk: int, position: int | None = None) -> str:
        piece, count = self.slices[chunk], len(self.points)
        if position is not None:
            index = piece.start + position
            return f"point {index} of {count}, x = {_short(self.points[index])}"
        if piece.stop - piece.start == 1:
            return f"point {piece.start} of {count}, x = {_short(self.points[piece.start])}"
        return (f"points {piece.start}-{piece.stop - 1} of {count} "
                f"(first x = {_short(self.points[piece.start])})")


def _short(point: np.ndarray, shown: int = 3) -> str:
    """Coordinates as exact reprs, the middle elided beyond ``2 * shown`` elements."""
    point = np.asarray(point)
    if point.ndim == 0:
        return repr(point.item())
    flat = point.ravel().tolist()
    parts = [repr(value) for value in flat]
    if len(parts) > 2 * shown + 1:
        parts = parts[:shown] + ["..."] + parts[-shown:]
    text = "[" + ", ".join(parts) + "]"
    return text if point.ndim == 1 else f"{text} (shape {point.shape}, flattened)"


# -- what runs on a worker -----------------------------------------------------------
@dataclass(frozen=True)
class _PointTask:
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
                    return _Failure.capture(exc, None, self.transport)
            return self._one_by_one(chunk)

    def _one_by_one(self, chunk: np.ndarray):
        values = []
        for position, point in enumerate(chunk):
            try:
                value = np.asarray(self.f(point, *self.args))
            except Exception as exc:
                return _Failure.capture(exc, position, self.transport)
            if values and value.shape != values[0].shape:
                return _Failure(ValueError, f"`f` returned shape {value.shape} here but "
                                f"{values[0].shape} at the chunk's first point; f must return "
                                "the same shape at every point", "", position, None, own=True)
            values.append(value)
        return np.stack(values)


@dataclass
class _Failure:
    """What f raised on a worker, in a form that survives the trip back."""

    error_type: type
    message: str
    traceback: str
    position: int | None  # the point in the chunk; None: the chunk as a whole
    error: BaseException | None  # the original, when it survives the trip
    own: bool = False  # finitediff's own check failed, f raised nothing

    @classmethod
    def capture(cls, exc: Exception, position: int | None, transport: str | None) -> _Failure:
        error = exc if _survives(exc, transport) else None
        error_type = type(exc) if _survives(type(exc), transport) else RuntimeError
        return cls(error_type, str(exc), traceback.format_exc(), position, error)

    def reraise(self, where: str):
        if self.own:
            raise self.error_type(f"{self.message} (at {where})")
        message = f"f raised {self.error_type.__name__} at {where}: {self.message}"
        original = self.error
        if original is not None and original.__traceback__ is None:  # from another process
            original.__cause__ = _RemoteTraceback(self.traceback)
        cause = original if original is not None else _RemoteTraceback(self.traceback)
        try:
            error = self.error_type(message)
        except Exception:  # a type that needs other arguments: keep the original, add a note
            if original is None or not hasattr(original, "add_note"):
                raise RuntimeError(message) from cause
            original.add_note(message)
            raise original from original.__cause__
        raise error from cause


class _RemoteTraceback(Exception):
    """The traceback of an exception raised on a worker, as text."""

    def __init__(self, text: str):
        super().__init__(text)

    def __str__(self) -> str:
        return "\n" + self.args[0]


def _survives(value: Any, transport: str | None) -> bool:
    if transport is None:  # same process: nothing is pickled
        return True
    try:
        dumps, loads = _serializer(transport)
        loads(dumps(value))
    except Exception:
        return False
    return True


def _serializer(transport: str):
    if transport == "cloudpickle":
        import cloudpickle

        return cloudpickle.dumps, cloudpickle.loads
    return pickle.dumps, pickle.loads


def _ignore_interrupts() -> None:
    """Worker processes leave Ctrl-C to the caller, which cancels and stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# -- backends ------------------------------------------------------------------------
class Backend:
    """Evaluates ``function(chunk)`` for each chunk, somewhere; results in order.

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
        if not isinstance(function, _PointTask):  # map_points checked f and args by name
            self.check_picklable(function, "function")
        sizes = list(sizes) if sizes is not None else [1] * len(chunks)
        describe = describe or _ChunkNames(len(chunks))
        with _progress_bar(check_progress(progress), sizes) as advance:
            return self._map(function, chunks, advance, describe)

    def _map(self, function, chunks, advance, describe) -> list:
        raise NotImplementedError

    def check_picklable(self, value: Any, name: str) -> None:
        """Raise TypeError up front if ``value`` cannot travel to this backend's workers."""
        if self.transport not in ("pickle", "cloudpickle"):
            return
        try:
            _serializer(self.transport)[0](value)
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


@dataclass(frozen=True)
class _ChunkNames:
    count: int

    def __call__(self, chunk: int, position: int | None = None) -> str:
        where = f"chunk {chunk} of {self.count}"
        return where if position is None else f"item {position} of {where}"


def _accept(result, chunk: int, describe) -> Any:
    if isinstance(result, _Failure):
        result.reraise(describe(chunk, result.position))
    return result


class SerialBackend(Backend):
    """In this process, one chunk after another."""

    serial = True

    def __init__(self, **options):
        super().__init__(size=1, **options)

    def _map(self, function, chunks, advance, describe):
        results = []
        for index, chunk in enumerate(chunks):
            results.append(_accept(function(chunk), index, describe))
            advance(index)
        return results


class MapBackend(Backend):
    """Through a map-like callable ``map(fn, iterable)`` (``Pool.map``, ``executor.map``...)."""

    def __init__(self, map_function: Callable, **options):
        owner = getattr(map_function, "__self__", None)
        size = (getattr(owner, "_processes", None) or getattr(owner, "_max_workers", None)
                or os.cpu_count() or 1)
        super().__init__(size=size, **options)
        self.map_function = map_function
        self.transport = _transport_of(owner) if owner is not None else "unknown"

    def _map(self, function, chunks, advance, describe):
        results: list = []

        def run():
            for index, result in enumerate(self.map_function(function, chunks)):
                results.append(_accept(result, index, describe))
                advance(index)
            return results

        if self.timeout is not None:
            results = self._within_timeout(run, results, len(chunks), describe)
        else:
            results = run()
        check_argument(len(results) == len(chunks),
                       f"the `workers` map returned {len(results)} results for "
                       f"{len(chunks)} chunks", error=RuntimeError)
        return results

    def _within_timeout(self, run, results: list, count: int, describe):
        """``run()`` in a daemon thread: a map cannot be cancelled, but it can be left."""
        outcome: dict = {}

        def target():
            try:
                outcome["results"] = run()
            except BaseException as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=target, daemon=True, name="finitediff-map")
        thread.start()
        thread.join(self.timeout)
        if thread.is_alive():
            unfinished = _unfinished(count, range(len(results)), describe)
            raise TimeoutError(f"f did not finish within timeout={self.timeout} s (a map "
                               f"cannot be cancelled: its work may go on); unfinished chunks: "
                               f"{unfinished}")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["results"]


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

    def _map(self, function, chunks, advance, describe):
        futures: list = []
        try:
            for chunk in chunks:
                futures.append(self._executor().submit(function, chunk))
            completed = concurrent.futures.as_completed(futures, timeout=self.timeout)
            return _collect(futures, completed, advance, describe, timeout=self.timeout,
                            lost=(concurrent.futures.BrokenExecutor, False))
        except BaseException:  # f's error, a lost worker, Ctrl-C: stop the rest, then raise
            self._abort(futures)
            raise

    def _abort(self, futures) -> None:
        for future in futures:
            future.cancel()


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
    """On a ``dask.distributed`` cluster through its ``Client`` (cloudpickle travels lambdas)."""

    transport = "cloudpickle"

    def __init__(self, client, *, owned: bool = False, **options):
        size = sum(client.nthreads().values()) if client.status == "running" else 1
        super().__init__(size=size, **options)
        self.client = client
        if owned:
            weakref.finalize(self, client.close)
        self._owned = owned

    def _map(self, function, chunks, advance, describe):
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        futures: list = []
        try:
            futures = self.client.map(function, chunks, pure=False)
            completed = as_completed(futures, timeout=self.timeout, loop=self.client.loop)
            return _collect(futures, completed, advance, describe, timeout=self.timeout,
                            lost=(KilledWorker, True))
        except BaseException:  # f's error, a lost worker, Ctrl-C: cancel on the cluster
            if futures:
                self.client.cancel(futures)
            raise

    def close(self) -> None:
        if self._owned:
            self.client.close()


def _collect(futures, completed, advance, describe, *, timeout, lost) -> list:
    """The futures' results in submission order, taken as they complete.

    ``lost`` is the exception type a dead worker raises and whether it is
    raised by the future that was running there (Dask) or by every
    unfinished future (a broken process pool).
    """
    lost_error, exact = lost
    order = {id(future): index for index, future in enumerate(futures)}
    results: list = [None] * len(futures)
    finished: set[int] = set()
    while True:
        try:
            future = next(completed)
        except StopIteration:
            return results
        except TimeoutError as exc:
            unfinished = _unfinished(len(futures), finished, describe)
            raise TimeoutError(f"f did not finish within timeout={timeout} s; cancelled the "
                               f"unfinished chunks: {unfinished}") from exc
        index = order[id(future)]
        try:
            result = future.result()
        except lost_error as exc:
            where = (describe(index) if exact else "one of the unfinished chunks: "
                     + _unfinished(len(futures), finished, describe))
            raise WorkerLostError(f"a worker died (killed by a signal, out of memory, or an exit "
                                  f"inside f) while evaluating f at {where}") from exc
        results[index] = _accept(result, index, describe)
        finished.add(index)
        advance(index)


def _unfinished(count: int, finished, describe) -> str:
    """Names of the chunks in ``range(count)`` that are not in ``finished``."""
    finished = set(finished)
    names = [describe(index) for index in range(count) if index not in finished]
    more = len(names) - NAMED_CHUNKS
    return "; ".join(names[:NAMED_CHUNKS]) + (f"; and {more} more chunk(s)" if more > 0 else "")


# -- progress ------------------------------------------------------------------------
@contextlib.contextmanager
def _progress_bar(progress: bool | None, sizes: Sequence[int]) -> Iterator[Callable]:
    """``advance(i)``: chunk ``i`` is done. A tqdm bar when asked, or on a terminal."""
    show = progress if progress is not None else (len(sizes) > FEW_CHUNKS and _on_terminal())
    if not show:
        yield lambda index: None
        return
    try:
        tqdm = _import_tqdm()
    except ImportError:
        if progress:
            raise
        yield lambda index: None
        return
    with tqdm(total=sum(sizes), unit="point", desc="f", leave=False, file=sys.stderr) as bar:
        yield lambda index: bar.update(sizes[index])


def _on_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False

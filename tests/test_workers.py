"""Evaluating f on workers: the serial result, named faults, cancellation, progress.

Local backends come first; the Dask tests share one LocalCluster on loopback
(one worker process with two threads: f and its results are pickled as on a
real cluster), started at the first Dask test and stopped after the last, so
the process pools of the earlier tests fork before its threads exist.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing.pool import ThreadPool

import numpy as np
import pytest
from skips import needs

from finitediff import WorkerLostError, derivative, gradient, hessian, jacobian, jvp
from finitediff.workers import chunk_slices, map_points, resolve_workers

X = np.array([0.3, -1.2, 2.0])


# -- functions the workers run (module level, so that pickle finds them) ----------
def smooth(x):
    """One point ``(3,)`` or a batch ``(N, 3)``; gradient ``cos(x)·x² + 2x·sin(x)``."""
    return np.sum(np.sin(x) * x**2, axis=-1)


def smooth_gradient(x):
    return np.cos(x) * x**2 + 2 * x * np.sin(x)


def elementwise(x):
    return np.sin(x) * np.exp(x)


def composed(x, inner):
    return smooth(inner(x))


def vector(x):
    return np.stack([x[..., 0] * x[..., 1], np.sin(x[..., 2])], axis=-1)


class SimulationDiverged(Exception):
    """A user's own exception type, to come back as itself."""


def diverges_past_one(x):
    """Raises at every point with x[0] > 0.7 (the steps of the first input reach 0.8)."""
    if x[0] > 0.7:
        raise SimulationDiverged(f"pressure negative at x[0] = {x[0]!r}")
    return smooth(x)


def diverges_in_batch(x):
    if np.any(x[..., 0] > 0.7):
        raise SimulationDiverged("pressure negative")
    return smooth(x)


def dies_in_worker(x):
    if multiprocessing.parent_process() is not None:  # in a worker process, not here
        os._exit(3)  # a worker killed mid-call: no exception, no result
    return smooth(x)


CALLS: list[float] = []


def slow(x):
    time.sleep(0.02)
    CALLS.append(time.monotonic())
    return smooth(x)


def very_slow(x):
    time.sleep(0.25)
    return smooth(x)


def changes_shape(x):
    return np.zeros(2) if x[0] > 0.7 else smooth(x)


def _same_result(result, reference):
    for name in ("df", "error", "step", "nfev", "status", "success"):
        assert np.array_equal(getattr(result, name), getattr(reference, name)), name
    assert result.message == reference.message


def _interrupt_main_after(seconds: float) -> threading.Timer:
    """A real SIGINT to the main thread, as Ctrl-C sends."""
    main = threading.main_thread().ident
    timer = threading.Timer(seconds, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    return timer


def _within(seconds: float, call):
    """``call()`` in a thread; a hang fails the test instead of the run."""
    with ThreadPoolExecutor(1) as guard:
        return guard.submit(call).result(timeout=seconds)


# -- the serial result on every local backend --------------------------------------
@pytest.fixture(params=["int 2", "ThreadPoolExecutor", "ProcessPoolExecutor", "builtin map",
                        "ThreadPool.map"])
def local_workers(request):
    if request.param == "int 2":
        yield 2
    elif request.param == "ThreadPoolExecutor":
        with ThreadPoolExecutor(2) as pool:
            yield pool
    elif request.param == "ProcessPoolExecutor":
        with ProcessPoolExecutor(2) as pool:
            yield pool
    elif request.param == "builtin map":
        yield map
    else:
        with ThreadPool(2) as pool:
            yield pool.map


def test_serial_reference_is_the_analytic_gradient():
    result = gradient(smooth, X, vectorized=False)
    assert np.all(np.abs(result.df - smooth_gradient(X)) <= result.error)
    assert np.all(result.error < 1e-9)


@pytest.mark.parametrize("vectorized", [False, True])
def test_local_workers_give_the_serial_df_error_and_nfev(local_workers, vectorized):
    reference = gradient(smooth, X, vectorized=vectorized)
    _same_result(gradient(smooth, X, vectorized=vectorized, workers=local_workers), reference)


@pytest.mark.parametrize("call", [
    lambda **kw: derivative(elementwise, X, **kw),
    lambda **kw: derivative(elementwise, X, n=3, **kw),
    lambda **kw: derivative(elementwise, X, method="complex", **kw),
    lambda **kw: jvp(smooth, X, np.array([1.0, -2.0, 0.5]), **kw),
    lambda **kw: jacobian(vector, X, **kw),
    lambda **kw: jacobian(vector, X, step=1e-4, **kw),
    lambda **kw: hessian(smooth, X, **kw),
], ids=["derivative", "derivative n=3", "complex step", "jvp", "jacobian", "jacobian step",
        "hessian"])
def test_every_entry_point_gives_the_serial_result_with_workers(call):
    reference = call(vectorized=False)
    _same_result(call(vectorized=False, workers=2), reference)


def test_the_processes_of_workers_n_end_with_the_call():
    before = set(multiprocessing.active_children())
    gradient(smooth, X, vectorized=False, workers=2)
    deadline = time.monotonic() + 5
    while set(multiprocessing.active_children()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(multiprocessing.active_children()) - before


def test_workers_1_and_none_are_the_serial_path():
    assert resolve_workers(None).serial and resolve_workers(1).serial
    _same_result(gradient(smooth, X, workers=1), gradient(smooth, X))


# -- chunks ---------------------------------------------------------------------------
@pytest.mark.parametrize("count, workers, per_worker, max_points", [
    (67, 2, 4, None), (5, 4, 4, None), (1, 8, 4, None), (1000, 3, 2, 7), (10, 2, 2, None),
])
def test_chunks_cover_the_points_in_order_a_few_per_worker(count, workers, per_worker,
                                                          max_points):
    slices = chunk_slices(count, workers, chunks_per_worker=per_worker, max_points=max_points)
    covered = [index for piece in slices for index in range(piece.start, piece.stop)]
    assert covered == list(range(count))
    sizes = {piece.stop - piece.start for piece in slices}
    assert max(sizes) - min(sizes) <= 1
    expected = min(count, workers * per_worker)
    if max_points is not None:
        assert max(sizes) <= max_points
        expected = max(expected, -(-count // max_points))
    assert len(slices) == expected


def test_map_points_concatenates_chunks_bit_identical_to_one_call():
    points = np.random.default_rng(0).normal(size=(101, 3))
    with ThreadPoolExecutor(3) as pool:
        backend = resolve_workers(pool, chunks_per_worker=5)
        values = map_points(smooth, points, backend)
        one_by_one = map_points(smooth, points, backend, vectorized=False)
    assert np.array_equal(values, smooth(points))
    assert np.array_equal(one_by_one, smooth(points))


# -- faults -----------------------------------------------------------------------
def _named_point(message: str) -> np.ndarray:
    match = re.search(r"at point (\d+) of (\d+), x = \[([^\]]*)\]", message)
    assert match, message
    return np.array([float(value) for value in match.group(3).split(",")])


@pytest.mark.parametrize("kind", ["int 2", "ThreadPoolExecutor"])
def test_raising_f_comes_back_as_its_type_naming_the_point(kind):
    with ThreadPoolExecutor(2) as pool:
        workers = 2 if kind == "int 2" else pool
        with pytest.raises(SimulationDiverged, match=r"f raised SimulationDiverged at point "
                           r"\d+ of \d+, x = \[") as caught:
            gradient(diverges_past_one, X, vectorized=False, workers=workers)
    point = _named_point(str(caught.value))
    assert point[0] > 0.7 and np.array_equal(point[1:], X[1:])  # a point that does raise
    original = caught.value.__cause__
    assert isinstance(original, SimulationDiverged)
    assert str(original) == f"pressure negative at x[0] = {point[0]!r}"


def test_raising_vectorized_f_names_the_batch_it_was_given():
    with pytest.raises(SimulationDiverged, match=r"at points \d+-\d+ of \d+ \(first x = \["):
        gradient(diverges_in_batch, X, workers=2)


def test_f_changing_shape_on_a_worker_is_named():
    with ThreadPoolExecutor(2) as pool, pytest.raises(
            ValueError, match=r"^`f` returned shape \(2,\) here but \(\) .*same shape at every "
            r"point \(at point \d+ of \d+, x = \[0\.8, "):
        gradient(changes_shape, X, vectorized=False, workers=pool)


@pytest.mark.parametrize("kind", ["int 2", "ProcessPoolExecutor"])
def test_worker_killed_mid_call_is_an_error_not_a_hang(kind):
    def call():
        if kind == "int 2":
            return gradient(dies_in_worker, X, vectorized=False, workers=2)
        with ProcessPoolExecutor(2) as pool:
            return gradient(dies_in_worker, X, vectorized=False, workers=pool)

    with pytest.raises(WorkerLostError, match=r"worker died .* at one of the unfinished "
                       r"chunks: points? \d+"):
        _within(30, call)


@pytest.mark.parametrize("kind", ["int 2", "ProcessPoolExecutor"])
def test_lambda_with_process_workers_says_to_define_f_at_module_level(kind):
    with ProcessPoolExecutor(2) as pool:
        workers = 2 if kind == "int 2" else pool
        with pytest.raises(TypeError, match=r"`f` must be picklable.*`def` at module level"):
            gradient(lambda x: smooth(x), X, workers=workers)
        assert not getattr(pool, "_processes", None)  # nothing was sent: no process started


def test_closure_and_unpicklable_args_are_named():
    scale = 2.0

    def closure(x):
        return scale * smooth(x)

    with pytest.raises(TypeError, match=r"`f` must be picklable.*local object"):
        gradient(closure, X, workers=2)
    with pytest.raises(TypeError, match=r"`args` must be picklable"):
        gradient(composed, X, args=(lambda x: x,), workers=2)


def test_timeout_cancels_and_names_the_unfinished_chunks():
    with ThreadPoolExecutor(1) as pool:
        backend = resolve_workers(pool, timeout=0.2)
        with pytest.raises(TimeoutError, match=r"timeout=0.2 s; cancelled the unfinished "
                           r"chunks: points \d+-\d+ of \d+"):
            gradient(slow, X, vectorized=False, workers=backend)


def test_a_pool_map_that_hangs_on_a_dead_worker_is_cut_by_the_timeout():
    # multiprocessing.Pool.map waits forever for a task whose worker died
    with multiprocessing.Pool(2) as pool:
        backend = resolve_workers(pool.map, timeout=1.0)
        with pytest.raises(TimeoutError, match=r"timeout=1.0 s \(a map cannot be cancelled"):
            _within(30, lambda: gradient(dies_in_worker, X, vectorized=False, workers=backend))
        pool.terminate()


def test_ctrl_c_cancels_the_outstanding_chunks_on_an_executor():
    CALLS.clear()
    with ThreadPoolExecutor(1) as pool:
        backend = resolve_workers(pool, chunks_per_worker=16)  # 16 chunks of 4 or 5 points
        timer = _interrupt_main_after(0.2)
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            gradient(slow, X, vectorized=False, workers=backend)  # 67 points: 1.3 s
        raised, done = time.monotonic() - start, len(CALLS)
        timer.join()
    # leaving the pool waited for the chunk that was running; no other chunk started
    assert raised < 1.0
    assert len(CALLS) - done <= 5 and len(CALLS) < 67


def test_ctrl_c_stops_owned_worker_processes():
    before = set(multiprocessing.active_children())
    timer = _interrupt_main_after(0.5)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        gradient(very_slow, X, vectorized=False, workers=2)  # 67 points: 8 s on 2 processes
    assert time.monotonic() - start < 2.0
    timer.join()
    deadline = time.monotonic() + 1.0  # well before the running chunks (2 s each) could end
    while set(multiprocessing.active_children()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(multiprocessing.active_children()) - before


# -- arguments ------------------------------------------------------------------------
@pytest.mark.parametrize("workers, error", [
    (0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError),
    ("threads", ValueError), (object(), TypeError),
])
def test_bad_workers_are_named(workers, error):
    with pytest.raises(error, match=r"`workers` must be None or 1"):
        gradient(smooth, X, workers=workers)


def test_bad_progress_is_named():
    with pytest.raises(TypeError, match=r"`progress` must be None, True or False"):
        gradient(smooth, X, workers=2, progress="yes")


@needs("dask")
def test_unreachable_scheduler_address_names_workers():
    with pytest.raises(ConnectionError, match=r"Dask scheduler 'tcp://127.0.0.1:1' given as "
                       r"`workers`"):
        resolve_workers("tcp://127.0.0.1:1", timeout=0.5)


# -- progress -------------------------------------------------------------------------
@needs("progress")
def test_progress_bar_counts_the_points(capsys):
    with ThreadPoolExecutor(2) as pool:
        gradient(smooth, X, vectorized=False, workers=pool, progress=True)
    assert re.search(r"f: .*/\d+ ", capsys.readouterr().err)


def test_progress_is_off_when_not_a_terminal_or_silenced(capsys):
    with ThreadPoolExecutor(2) as pool:
        gradient(smooth, X, vectorized=False, workers=pool)  # pytest's stderr: not a tty
        gradient(smooth, X, vectorized=False, workers=pool, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_without_tqdm_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    with pytest.raises(ImportError, match=r"finitediff\[progress\]"):
        gradient(smooth, X, workers=2, progress=True)


def test_workers_do_not_import_dask_tqdm_or_cloudpickle():
    code = (
        "import sys; from concurrent.futures import ThreadPoolExecutor\n"
        "import numpy as np, finitediff\n"
        "with ThreadPoolExecutor(2) as pool:\n"
        "    finitediff.gradient(np.sin, np.zeros(()), workers=pool)\n"
        "finitediff.gradient(np.sin, np.zeros(()), workers=2)\n"
        "print([m for m in ('dask', 'distributed', 'tqdm', 'cloudpickle') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == "[]"


# -- a Dask cluster (last: its threads start here) -----------------------------------------
@pytest.fixture(scope="module")
def dask_client():
    # The worker processes start with this process's sys.path and import this
    # module to find its functions; lambdas and closures travel by value.
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    # a task that kills its worker fails at once (KilledWorker), not after 3 retries
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                           host="127.0.0.1", dashboard_address=None,
                                           silence_logs=logging.ERROR)
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("vectorized", [False, True])
def test_dask_cluster_gives_the_serial_df_error_and_nfev(dask_client, vectorized):
    reference = gradient(smooth, X, vectorized=vectorized)
    _same_result(gradient(smooth, X, vectorized=vectorized, workers=dask_client), reference)


def test_dask_scheduler_address_connects_and_gives_the_serial_result(dask_client):
    address = dask_client.scheduler.address
    _same_result(gradient(smooth, X, workers=address), gradient(smooth, X))


def test_lambdas_and_closures_work_on_dask_through_cloudpickle(dask_client):
    scale = 2.0
    result = gradient(lambda x: scale * smooth(x), X, vectorized=False, workers=dask_client)
    _same_result(result, gradient(lambda x: scale * smooth(x), X, vectorized=False))


def test_raising_f_on_dask_comes_back_as_its_type_naming_the_point(dask_client):
    with pytest.raises(SimulationDiverged, match=r"at point \d+ of \d+, x = \[") as caught:
        gradient(diverges_past_one, X, vectorized=False, workers=dask_client)
    assert _named_point(str(caught.value))[0] > 0.7
    assert isinstance(caught.value.__cause__, SimulationDiverged)


def test_ctrl_c_cancels_the_tasks_on_the_cluster(dask_client):
    backend = resolve_workers(dask_client, chunks_per_worker=16)
    timer = _interrupt_main_after(0.5)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        gradient(very_slow, X, vectorized=False, workers=backend)  # 67 points: 8 s
    assert time.monotonic() - start < 2.0
    timer.join()

    def tasks(dask_scheduler):
        return len(dask_scheduler.tasks)

    deadline = time.monotonic() + 10
    while dask_client.run_on_scheduler(tasks) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert dask_client.run_on_scheduler(tasks) == 0


def test_dask_worker_killed_mid_call_is_an_error_naming_its_chunk(dask_client):
    # last: the nanny restarts the killed worker while the cluster shuts down
    with pytest.raises(WorkerLostError, match=r"a worker died .* while evaluating f at points? "
                       r"\d+.* of \d+"):
        _within(60, lambda: gradient(dies_in_worker, X, vectorized=False, workers=dask_client))

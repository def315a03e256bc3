"""Chunks on workers: local processes, an executor, a Dask cluster, the same records."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import finitediff as fd

OPTIONS = dict(n=2, reference=-1 / 9, progress=False)


def log2(x):  # module level: picklable for worker processes
    return np.log(x + 2.0)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The CSV of a local run (one call of f for the whole grid)."""
    path = tmp_path_factory.mktemp("local") / "local.csv"
    result = fd.sweep(log2, 1.0, **OPTIONS)
    result.to_csv(path)
    return path.read_bytes()


def test_an_executor_writes_the_same_csv_as_a_local_run(local, tmp_path):
    with ThreadPoolExecutor(max_workers=2) as executor:
        result = fd.sweep(log2, 1.0, **OPTIONS, workers=executor)
    result.to_csv(tmp_path / "threads.csv")
    assert (tmp_path / "threads.csv").read_bytes() == local
    assert result.calls == result.step.shape[2]  # one chunk, one call, per step


def test_local_processes_write_the_same_csv_as_a_local_run(local, tmp_path):
    result = fd.sweep(log2, 1.0, **OPTIONS, workers=2, chunk_size=8)
    result.to_csv(tmp_path / "processes.csv")
    assert (tmp_path / "processes.csv").read_bytes() == local


def test_a_dask_cluster_writes_the_same_csv_as_a_local_run(local, tmp_path):
    distributed = pytest.importorskip("distributed")
    # a worker process: f and the chunks travel by (cloud)pickle (about 7 s to start)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = fd.sweep(log2, 1.0, **OPTIONS, workers=client, chunk_size=8)
    result.to_csv(tmp_path / "dask.csv")
    assert (tmp_path / "dask.csv").read_bytes() == local


def test_a_dask_client_that_is_not_the_default_writes_the_same_csv(local, tmp_path):
    distributed = pytest.importorskip("distributed")
    # its futures are awaited on its own loop: distributed.as_completed without the
    # client's loop looks for a default client and finds none
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        result = fd.sweep(log2, 1.0, **OPTIONS, workers=client, chunk_size=8)
    result.to_csv(tmp_path / "dask.csv")
    assert (tmp_path / "dask.csv").read_bytes() == local


def test_a_map_callable_writes_the_same_csv_as_a_local_run(local, tmp_path):
    result = fd.sweep(log2, 1.0, **OPTIONS, workers=map, chunk_size=8)
    result.to_csv(tmp_path / "map.csv")
    assert (tmp_path / "map.csv").read_bytes() == local


def test_workers_and_a_checkpoint_together_commit_every_row(local, tmp_path):
    with ThreadPoolExecutor(max_workers=2) as executor:
        fd.sweep(log2, 1.0, **OPTIONS, workers=executor, checkpoint=tmp_path / "s.db")
    resumed = fd.sweep(log2, 1.0, **OPTIONS, checkpoint=tmp_path / "s.db")
    assert resumed.calls == 0
    resumed.to_csv(tmp_path / "resumed.csv")
    assert (tmp_path / "resumed.csv").read_bytes() == local


def test_an_exception_on_a_worker_reaches_the_caller():
    def broken(x):
        raise RuntimeError("broken f")

    with ThreadPoolExecutor(max_workers=2) as executor, \
            pytest.raises(RuntimeError, match="broken f"):
        fd.sweep(broken, 1.0, n=2, methods=["central2"], reference=-1 / 9, workers=executor)


def test_local_processes_need_a_picklable_f():
    with pytest.raises(TypeError, match="`f` must be picklable.*`def` at module level"):
        fd.sweep(lambda x: np.log(x + 2.0), 1.0, **OPTIONS, workers=2)


def test_an_early_exit_cancels_the_chunks_not_yet_run(tmp_path, monkeypatch):
    # a commit that fails (a full disk) ends the sweep: the chunks still queued on
    # the executor are cancelled, not run
    from finitediff.sweeps.checkpoint import Checkpoint

    counted = CountedLog()
    at_failure = []

    def full_disk(self, rows):
        at_failure.append(counted.calls)
        raise OSError("disk full")

    monkeypatch.setattr(Checkpoint, "commit", full_disk)
    with pytest.raises(OSError, match="disk full"), ThreadPoolExecutor(max_workers=1) as executor:
        # the error passes through the executor's exit, which waits for what is queued
        fd.sweep(counted, 1.0, **OPTIONS, workers=executor, checkpoint=tmp_path / "s.db")
    # one call of f per chunk: at most the chunk running beside the failed commit
    assert counted.calls - at_failure[0] <= 1
    assert fd.sweep(log2, 1.0, **OPTIONS).step.shape[2] > 10  # chunks that were not run


class CountedLog:
    """log(x + 2), counting its calls; slow enough that chunks queue behind each other."""

    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        time.sleep(0.01)
        self.calls += 1
        return log2(x)

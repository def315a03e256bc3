"""Chunks on workers: local processes, an executor, a Dask cluster, the same records."""

from __future__ import annotations

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
    with pytest.raises(TypeError, match="f must be picklable"):
        fd.sweep(lambda x: np.log(x + 2.0), 1.0, **OPTIONS, workers=2)

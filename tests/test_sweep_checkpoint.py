"""Checkpoints: finished rows survive an exception, Ctrl-C and SIGKILL, and are never
recomputed; a checkpoint of another sweep is refused."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import finitediff as fd

STEPS = np.logspace(-7, -1, 19)
OPTIONS = dict(n=2, methods=["central2", "central4"], reference=-1 / 9, steps=STEPS,
               progress=False)


class Failing:
    """log(x + 2) that raises ``error`` on its ``fail_at``-th call (counting from 1)."""

    def __init__(self, fail_at=None, error=RuntimeError):
        self.calls, self.fail_at, self.error = 0, fail_at, error

    def __call__(self, x):
        self.calls += 1
        if self.calls == self.fail_at:
            raise self.error("stop")
        return np.log(x + 2.0)


@pytest.fixture(scope="module")
def fresh():
    """The same sweep without a checkpoint, and the calls it made."""
    f = Failing()
    result = fd.sweep(f, 1.0, **OPTIONS, chunk_size=1)
    return result, f.calls


def _rows(path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT COUNT(*) FROM rows").fetchone()[0]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_an_interrupted_sweep_keeps_its_rows_and_resumes(fresh, tmp_path, error):
    path = tmp_path / "sweep.db"
    _, fresh_calls = fresh
    with pytest.raises(error):  # fail late in the grid: some rows are done, some are not
        fd.sweep(Failing(fail_at=fresh_calls - 8, error=error), 1.0, **OPTIONS, checkpoint=path,
                 key="log")
    kept = _rows(path)
    assert kept > 0
    f = Failing()
    resumed = fd.sweep(f, 1.0, **OPTIONS, checkpoint=path, key="log")
    expected, fresh_calls = fresh
    assert resumed.records == expected.records
    assert resumed.setup_calls == 0  # the setup was stored before the grid
    assert f.calls == resumed.calls < fresh_calls
    assert _rows(path) == len(expected.records)


def test_a_finished_sweep_reruns_without_calling_f(fresh, tmp_path):
    path = tmp_path / "sweep.db"
    fd.sweep(Failing(), 1.0, **OPTIONS, checkpoint=path, key="log")
    f = Failing()
    again = fd.sweep(f, 1.0, **OPTIONS, checkpoint=path, key="log")
    assert f.calls == 0 and again.calls == 0 and again.setup_calls == 0
    assert again.records == fresh[0].records


def test_without_a_key_a_rerun_calls_f_once_to_recognise_it(tmp_path):
    path = tmp_path / "sweep.db"
    fd.sweep(Failing(), 1.0, **OPTIONS, checkpoint=path)
    f = Failing()
    fd.sweep(f, 1.0, **OPTIONS, checkpoint=path)
    assert f.calls == 1


def test_a_checkpoint_of_other_parameters_is_refused(tmp_path):
    path = tmp_path / "sweep.db"
    fd.sweep(Failing(), 1.0, **OPTIONS, checkpoint=path, key="log")
    rows = _rows(path)
    differ = r"other parameters \(they differ in: methods, n, reference\)"
    with pytest.raises(ValueError, match=differ):
        fd.sweep(Failing(), 1.0, **{**OPTIONS, "n": 1, "reference": 1 / 3},
                 checkpoint=path, key="log")
    with pytest.raises(ValueError, match="differ in: scale, x"):
        fd.sweep(Failing(), 2.0, **OPTIONS, checkpoint=path, key="log")
    assert _rows(path) == rows  # nothing mixed in


def test_another_function_is_recognised_by_its_values(tmp_path):
    path = tmp_path / "sweep.db"
    fd.sweep(lambda x: np.log(x + 2.0), 1.0, **OPTIONS, checkpoint=path)
    with pytest.raises(ValueError, match="differ in: function"):
        fd.sweep(lambda x: np.log(x + 3.0), 1.0, **OPTIONS, checkpoint=path)


SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    import finitediff as fd

    log_path, checkpoint = sys.argv[1], sys.argv[2]

    def slow(x):
        with open(log_path, "a") as log:
            log.write(f"{np.size(x)}\\n")
        time.sleep(0.05)
        return np.log(x + 2.0)

    fd.sweep(slow, 1.0, n=2, methods=["central2", "central4"], reference=-1 / 9,
             steps=np.logspace(-7, -1, 19), progress=False, checkpoint=checkpoint, key="log")
""")


def test_a_sweep_killed_with_sigkill_resumes_from_its_checkpoint(fresh, tmp_path):
    script, log, path = tmp_path / "slow.py", tmp_path / "calls.log", tmp_path / "sweep.db"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    process = subprocess.Popen([sys.executable, str(script), str(log), str(path)], env=env)
    deadline = time.monotonic() + 60
    try:
        # wait until the setup and some rows of the grid are done (the grid goes a
        # chunk of points per call here, so the run's last calls are rows)
        _, fresh_calls = fresh
        while time.monotonic() < deadline and process.poll() is None:
            if log.exists() and len(log.read_text().splitlines()) >= fresh_calls - 8:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the sweep finished before it could be killed"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    kept = _rows(path)
    expected, fresh_calls = fresh
    assert 0 < kept < len(expected.records)
    f = Failing()
    resumed = fd.sweep(f, 1.0, **OPTIONS, checkpoint=path, key="log")
    assert resumed.records == expected.records
    assert 0 < f.calls < fresh_calls
    f = Failing()
    fd.sweep(f, 1.0, **OPTIONS, checkpoint=path, key="log")
    assert f.calls == 0

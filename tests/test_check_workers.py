"""check_derivatives(workers=...): the estimates run on workers, the report is the serial one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from finitediff import check_derivatives

X = np.array([0.5, 1.0, 2.0])


def f(x):  # module level: process workers can pickle it
    return np.sum(np.sin(x) * x, axis=-1)


def grad(x):
    return np.cos(x) * x + np.sin(x)


def hess(x):
    return np.diag(2 * np.cos(x) - x * np.sin(x))


def wrong_grad(x):
    return grad(x) * (1 + 1e-7 * (np.arange(3) == 1))


def _same(report, serial):
    assert report.passed == serial.passed
    assert report.nfev == serial.nfev
    for entry, expected in zip(report.entries, serial.entries, strict=True):
        assert entry.verdict == expected.verdict
        assert entry.label == expected.label
        assert entry.finite_difference == expected.finite_difference  # bit-identical


@pytest.mark.parametrize("mode", ["full", "directional"])
def test_a_thread_pool_gives_the_serial_report(mode):
    serial = check_derivatives(f, X, orders=(1, 2), grad=grad, hess=hess, mode=mode, seed=0)
    with ThreadPoolExecutor(2) as pool:
        report = check_derivatives(f, X, orders=(1, 2), grad=grad, hess=hess, mode=mode,
                                   seed=0, workers=pool)
    _same(report, serial)


def test_process_workers_give_the_serial_report_and_catch_the_same_bug():
    serial = check_derivatives(f, X, grad=wrong_grad)
    report = check_derivatives(f, X, grad=wrong_grad, workers=2)
    _same(report, serial)
    mismatched = [e.label for e in report.entries if str(e.verdict) == "mismatch"]
    assert mismatched == ["df/dx[1]"]


def test_a_hessian_without_gradient_runs_on_process_workers():
    serial = check_derivatives(f, X, orders=(2,), hess=hess)
    _same(check_derivatives(f, X, orders=(2,), hess=hess, workers=2), serial)


def test_a_lambda_with_process_workers_is_named_as_not_picklable():
    with pytest.raises(TypeError, match=r"`f` must be picklable to reach worker processes"):
        check_derivatives(lambda x: np.sum(x**2, axis=-1), X, grad=lambda x: 2 * x, workers=2)


def test_bad_workers_and_progress_are_named():
    with pytest.raises((TypeError, ValueError), match="workers"):
        check_derivatives(f, X, grad=grad, workers="many")
    with pytest.raises(TypeError, match="progress"):
        check_derivatives(f, X, grad=grad, progress="yes")

"""max_nfev: a budget of evaluations that stops the estimate early, with the best so far."""

import numpy as np
import pytest

from finitediff import Status, derivative, gradient, hessian, jacobian


def counted(f):
    def wrapped(x):
        wrapped.points += np.size(x)   # f acts elementwise: every value is a point
        return f(x)

    wrapped.points = 0
    return wrapped


def test_a_budget_below_the_first_round_stops_before_it():
    res = derivative(np.log, 1e-3, n=2, max_nfev=12)
    assert not res.success and res.status == Status.BUDGET
    assert "max_nfev" in res.message
    assert res.nfev <= 12


def test_a_budget_that_runs_out_later_keeps_the_latest_estimate():
    res = derivative(np.log, 1e-3, n=2, max_nfev=30)
    assert res.status == Status.BUDGET and not res.success
    assert np.isfinite(res.df)               # the best estimate so far, not NaN
    assert res.nfev <= 30


def test_points_evaluated_never_exceed_the_budget():
    for budget in (3, 10, 25, 40):
        f = counted(np.log)
        derivative(f, np.array([1e-3, 2.0]), n=2, max_nfev=budget)
        assert f.points <= budget


def test_a_generous_budget_changes_nothing():
    free = derivative(np.log, 1e-3, n=2)
    capped = derivative(np.log, 1e-3, n=2, max_nfev=10_000)
    assert capped.df == free.df and capped.error == free.error and capped.success


@pytest.mark.parametrize("call", [gradient, jacobian, hessian])
def test_multivariate_functions_report_the_budget_per_entry(call):
    res = call(lambda x: np.sum(np.sin(x) ** 2, axis=-1), np.linspace(0.1, 1.0, 5), max_nfev=8)
    assert np.all(np.asarray(res.status) == Status.BUDGET)
    assert "max_nfev" in res.message


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10"])
def test_the_budget_is_validated(bad):
    with pytest.raises((TypeError, ValueError), match="max_nfev"):
        derivative(np.exp, 1.0, max_nfev=bad)

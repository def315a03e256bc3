"""f(x) travels with the first points of the fast path: one call of f fewer.

A model or simulator whose calls cost more than their points (a compiled
graph's dispatch, a process start) pays per call; the gradient, Jacobian and
Hessian take f(x) in the same call as the pilot's points. The call's values
must still tell f's precision (float32 values) and an empty output.
"""

import numpy as np
import pytest

from finitediff import gradient, hessian, jacobian, jvp
from finitediff.estimators.pilot import DEEP, ROWS

PILOT = 2 * (ROWS + len(DEEP[1]))      # the pilot's points for first derivatives


class Calls:
    """f with its batches recorded."""

    def __init__(self, f):
        self.f, self.batches = f, []

    def __call__(self, points):
        self.batches.append(np.array(points))
        return self.f(points)


def bowl(points):
    return np.log1p(np.sum((points - 0.3) ** 2, axis=-1))


@pytest.mark.parametrize("d", [4, 10, 37])
def test_a_gradient_takes_two_calls_the_first_with_x_and_the_pilot(d):
    f = Calls(bowl)
    x = np.linspace(-1.0, 1.0, d)
    res = gradient(f, x)
    assert res.success.all()
    assert len(f.batches) == 2
    assert len(f.batches[0]) == PILOT + 1
    assert np.array_equal(f.batches[0][0], x)           # f(x) rides with the pilot
    assert not any(np.array_equal(point, x) for point in f.batches[1])
    u = x - 0.3
    assert np.all(np.abs(res.df - 2 * u / (1 + u @ u)) <= res.error)


def test_a_hessian_takes_f_x_with_the_pilot_too():
    f = Calls(bowl)
    x = np.linspace(-1.0, 1.0, 6)
    res = hessian(f, x)
    assert res.success.all()
    assert np.array_equal(f.batches[0][0], x)
    assert sum(np.array_equal(p, x) for batch in f.batches for p in batch) == 1
    u = x - 0.3
    s = 1 + u @ u
    exact = 2 * np.eye(6) / s - 4 * np.outer(u, u) / s**2
    assert np.all(np.abs(res.df - exact) <= res.error)


@pytest.mark.parametrize("d", [4, 12])
def test_float32_values_are_seen_in_the_merged_call(d):
    # f's precision shows only in its values: ε of float32 must reach the errors
    x = np.linspace(0.1, 0.9, d)

    def f32(points):
        return np.sum(np.sin(points.astype(np.float32)), axis=-1)

    res = gradient(f32, x)
    assert np.all(res.error >= 1e-7 * np.abs(res.df))   # not float64's 1e-15
    ok = res.success
    assert ok.any()
    assert np.all(np.abs(res.df - np.cos(x))[ok] <= res.error[ok])


@pytest.mark.parametrize("call", [
    lambda f, x: jacobian(f, x),
    lambda f, x: hessian(f, x),
    lambda f, x: jvp(f, x, np.ones_like(x)),
], ids=["jacobian", "hessian", "jvp"])
def test_a_function_with_no_outputs_gives_an_empty_result(call):
    # jvp and hessian raised numpy's "zero-size array to reduction operation"
    def nothing(points):
        return np.zeros(np.shape(points)[:-1] + (0,))

    x = np.linspace(0.0, 1.0, 5)
    res = call(nothing, x)
    assert np.size(res.df) == np.size(res.error) == 0
    assert np.shape(res.df)[0] == 0


def test_a_budget_too_small_for_the_merged_call_is_a_budget_result():
    res = gradient(bowl, np.linspace(0.0, 1.0, 8), max_nfev=10)
    assert not res.success.any()
    assert "max_nfev" in res.message or "budget" in res.message.lower()

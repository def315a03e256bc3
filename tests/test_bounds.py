"""Non-finite values near x, and `bounds`."""

import numpy as np
import pytest

from finitediff import derivative


def test_log_near_its_singularity_is_finite_and_within_error():
    x = np.array([1e-3, 1e-6, 1e-10])
    res = derivative(np.log, x)
    assert np.all(np.isfinite(res.df))
    assert np.all(np.abs(res.df - 1 / x) <= res.error)
    assert np.all(res.error <= 1e-6 / x)


def test_sqrt_near_zero_walks_below_the_non_finite_steps():
    res = derivative(np.sqrt, 1e-4)
    assert res.success
    assert abs(res.df - 0.5 / np.sqrt(1e-4)) <= res.error < 1e-8
    assert res.step < 1e-4  # every stencil point of the estimate is right of 0


def test_function_that_refuses_inputs_gets_a_one_sided_estimate():
    def simulator(x):
        return np.where(x < 1.0, np.nan, np.exp(x))

    res = derivative(simulator, 1.0)
    assert abs(res.df - np.e) <= res.error < 1e-8
    assert "one-sided" in res.message


@pytest.mark.parametrize("n", [2, 3])
def test_higher_orders_near_a_singularity_take_steps_below_its_distance(n):
    x = 0.02
    res = derivative(np.log, x, n=n)
    exact = (-1) ** (n - 1) * [1, 1, 2][n - 1] / x**n
    assert res.success and abs(res.df - exact) <= res.error
    assert 2 * res.step < x


def test_bounds_keep_every_point_inside():
    seen = []

    def f(x):
        seen.append(np.array(x, copy=True))
        return np.sqrt(x)

    res = derivative(f, 0.3, bounds=(0.25, 1.0))
    points = np.concatenate([np.ravel(s) for s in seen])
    assert points.min() >= 0.25 and points.max() <= 1.0
    assert abs(res.df - 0.5 / np.sqrt(0.3)) <= res.error < 1e-9


def test_bounds_at_their_edge_use_a_one_sided_stencil():
    seen = []

    def f(x):
        seen.append(np.array(x, copy=True))
        return np.log1p(x)

    res = derivative(f, 0.0, bounds=(0.0, np.inf))
    assert min(float(np.min(s)) for s in seen) >= 0.0
    assert abs(res.df - 1.0) <= res.error < 1e-9
    assert "one-sided stencil keeps every point inside `bounds`" in res.message


@pytest.mark.parametrize(
    ("bounds", "error", "match"),
    [
        ((1.0, 0.0), ValueError, "`bounds` must satisfy lo < hi"),
        ((2.0, 3.0), ValueError, "`x` must lie inside `bounds`"),
        ("ab", TypeError, "`bounds` must be a pair"),
    ],
)
def test_bounds_are_validated(bounds, error, match):
    with pytest.raises(error, match=match):
        derivative(np.exp, 1.0, bounds=bounds)

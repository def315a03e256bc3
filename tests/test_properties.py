"""finitediff tested with its own property-testing toolkit, against exact derivatives."""

import importlib.util

import numpy as np
import pytest
from hypothesis import example, given, note, settings
from hypothesis import strategies as st

from finitediff.testing import Expression, assert_derivative_close, strategies

DOMAIN = (-2.0, 2.0)


@st.composite
def expression_point_order(draw):
    expr = draw(strategies.expressions())
    return expr, draw(strategies.points(expr)), draw(st.integers(1, 3))


def _exact(expr: Expression, x: float, n: int) -> float:
    """The n-th derivative at x from sympy, evaluated with mpmath at 50 digits."""
    return float(expr.derivative(n).mpmath(x, dps=50))


# The fixed-step estimator (stencil at h and 2h, error |E(h) - E(2h)| / (2^p - 1)
# plus eps * sum|w f| / h^n) gives the leading-order size of the error, not a
# bound: the examples below exceed it by factors 1.001 to 43000. The adaptive
# Richardson engine (finitediff.extrapolate) is designed to bound it.
FIXED_STEP_ESTIMATOR = importlib.util.find_spec("finitediff.extrapolate") is None
FIXED_STEP_FAILURES = [
    # round-off larger than eps * sum|w f| (first derivatives at the optimal step)
    (Expression("-x + sqrt(atan(x) + 3)", DOMAIN), 2.0, 1),
    (Expression("-sin(exp(x) - 10)", DOMAIN), -1.3779861945541825, 1),
    # truncation beyond leading order (E(h) - E(2h) misses the h^(p+2) term)
    (Expression("tanh(tanh(x))", DOMAIN), 0.0, 3),
    (Expression("log(sin(x**3) + 2)", DOMAIN), -2.0, 3),
    (Expression("atan(2*x)**2", DOMAIN), 0.0, 2),
    (Expression("cos(3/(x + 3))", DOMAIN), -1.0, 2),
    # round-off of a value computed by cancellation: f(0) = sqrt(5) - sqrt(5) is 0,
    # so eps * |f| misses the rounding of the two terms (true error 43000x the estimate)
    (Expression("-sqrt(2*x + 5) + sqrt(5)", DOMAIN), 0.0, 1),
]


def _pin(cases):
    def decorate(test):
        for case in reversed(cases):
            test = example(case)(test)
        return test

    return decorate


@pytest.mark.xfail(
    FIXED_STEP_ESTIMATOR, strict=False,
    reason="the fixed-step error estimate is leading-order, not a bound; "
           "run with --runxfail to see the failing expressions",
)
@given(expression_point_order())
@_pin(FIXED_STEP_FAILURES)
def test_derivative_lands_within_its_reported_error(case):
    expr, x, n = case
    note(f"f(x) = {expr} on {tuple(expr.domain)}, n = {n}, x = {x!r}")
    assert_derivative_close(expr.numpy, x, _exact(expr, x, n), n=n)


@st.composite
def expression_and_points(draw):
    expr = draw(strategies.expressions())
    return expr, draw(st.lists(strategies.points(expr), min_size=1, max_size=4))


@pytest.mark.tf
@settings(max_examples=10)
@given(expression_and_points())
# A constant argument reached tf.cos as an int32 tensor.
@example((Expression("x/((3*x + 7)*(sin(cos(2)) + 2))", DOMAIN), [-1.8153000136629274, 0.0]))
def test_tensorflow_autodiff_matches_the_exact_derivative(case):
    tf = pytest.importorskip("tensorflow")
    expr, xs = case
    x = tf.constant(xs, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = expr.tensorflow(x)
    gradient = tape.gradient(y, x)
    exact = [_exact(expr, t, 1) for t in xs]
    np.testing.assert_allclose(y.numpy(), expr.numpy(xs), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gradient.numpy(), exact, rtol=1e-9, atol=1e-12,
                               err_msg=f"f(x) = {expr}, d/dx at x = {xs}")

"""assert_derivative_close: passes on true derivatives, explains failures."""

import re

import numpy as np
import pytest

from finitediff import derivative
from finitediff.testing import assert_derivative_close


def test_passes_for_true_derivatives_elementwise():
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    assert_derivative_close(np.sin, x, np.cos(x))
    assert_derivative_close(np.exp, x, np.exp(x), n=2)
    assert_derivative_close(np.log, 3.0, -1 / 9, n=2)


def test_default_tolerance_is_the_error_estimate():
    result = derivative(np.exp, 1.0)
    inside = result.df + 0.5 * result.error
    outside = result.df + 2.0 * result.error
    assert_derivative_close(np.exp, 1.0, inside)
    with pytest.raises(AssertionError):
        assert_derivative_close(np.exp, 1.0, outside)


def test_failure_message_shows_estimate_expected_step_and_error_bound():
    result = derivative(np.exp, 1.0, n=2)
    with pytest.raises(AssertionError) as info:
        assert_derivative_close(np.exp, 1.0, 2.7182, n=2)
    message = str(info.value)
    assert "order n=2" in message and "at 1 of 1 points" in message
    for label, value in [("estimate", result.df), ("expected", 2.7182),
                         ("step", result.step), ("error bound", result.error)]:
        assert re.search(rf"{label} +{re.escape(repr(float(value)))}", message), label


def test_failure_message_names_the_failing_elements_only():
    x = np.array([0.0, 1.0, 2.0])
    expected = np.cos(x)
    expected[1] += 1e-3
    with pytest.raises(AssertionError, match=r"at 1 of 3 points") as info:
        assert_derivative_close(np.sin, x, expected)
    assert "x[1] = 1.0" in str(info.value)
    assert "x[0]" not in str(info.value) and "x[2]" not in str(info.value)


def test_rtol_and_atol_replace_the_error_estimate():
    wrong_by_1e6 = np.cos(1.0) * (1 + 1e-6)
    with pytest.raises(AssertionError):
        assert_derivative_close(np.sin, 1.0, wrong_by_1e6)
    assert_derivative_close(np.sin, 1.0, wrong_by_1e6, rtol=1e-5)
    assert_derivative_close(np.sin, 1.0, wrong_by_1e6, atol=1e-5)
    with pytest.raises(AssertionError, match=r"atol=0.0, rtol=1e-08"):
        assert_derivative_close(np.sin, 1.0, wrong_by_1e6, rtol=1e-8)


def test_failed_estimate_fails_the_assertion():
    # finite at x alone: no stencil on either side can give an estimate
    with pytest.raises(AssertionError, match="not finite"):
        assert_derivative_close(lambda x: np.where(x == 1.0, x, np.nan), 1.0, 1.0)


def test_options_reach_derivative():
    # A non-vectorized function with extra arguments, on a one-sided stencil.
    assert_derivative_close(lambda x, a: a * float(x) ** 3, 2.0, 36.0, args=(3.0,),
                            vectorized=False, method="forward", accuracy=3)


@pytest.mark.parametrize(
    "options, error, match",
    [
        ({"rtol": -1.0}, ValueError, r"`rtol` must be non-negative"),
        ({"atol": "small"}, TypeError, r"`atol` must be None or a non-negative float"),
        ({"n": 0.5}, TypeError, r"`n` must be an integer"),
        ({"expected": [1.0, 2.0, 3.0]}, ValueError, r"`expected` must broadcast"),
        ({"expected": np.nan}, ValueError, r"`expected` must be finite"),
    ],
)
def test_invalid_arguments_are_named(options, error, match):
    arguments = {"expected": [1.0, 1.0]} | options
    expected = arguments.pop("expected")
    with pytest.raises(error, match=match):
        assert_derivative_close(np.sin, [0.0, 0.0], expected, **arguments)

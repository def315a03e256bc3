"""method="complex": machine-precision first derivatives, and refusing to return 0."""

import math

import numpy as np
import pytest

from finitediff import derivative


def test_complex_step_is_accurate_to_machine_precision():
    x = np.array([0.5, 2.0, 30.0])
    res = derivative(lambda t: np.exp(t) * np.sin(t), x, method="complex")
    exact = np.exp(x) * (np.sin(x) + np.cos(x))
    assert np.all(np.abs(res.df - exact) <= 4 * np.finfo(float).eps * np.abs(exact))
    assert np.all(np.abs(res.df - exact) <= res.error)


def test_complex_step_has_no_cancellation_where_central_differences_have():
    # Derivative 1e-9 of a function of size 1: differences lose ~7 digits.
    res = derivative(lambda t: 1 + 1e-9 * np.sin(t), 1.0, method="complex")
    assert abs(res.df - 1e-9 * math.cos(1.0)) <= 1e-24


def test_function_dropping_the_imaginary_part_raises():
    with pytest.raises(ValueError, match="drops the imaginary part"):
        derivative(lambda t: np.sin(np.real(t)), 0.5, method="complex")


def test_complex_step_supports_only_first_derivatives():
    with pytest.raises(ValueError, match="`n` must be 1 for method='complex'"):
        derivative(np.sin, 0.5, n=2, method="complex")


def test_unknown_method_names_complex_among_the_choices():
    with pytest.raises(ValueError, match="`method` must be one of .*'complex'"):
        derivative(np.sin, 0.5, method="spline")

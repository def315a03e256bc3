"""Points where f is not differentiable are reported, not averaged away."""

import numpy as np
import pytest

from finitediff import Status, derivative, gradient


def relu(x):
    return np.maximum(x, 0.0)


@pytest.mark.parametrize(("f", "forward", "backward"), [(np.abs, 1, -1), (relu, 1, 0)])
def test_kink_is_reported_with_both_one_sided_values(f, forward, backward):
    res = derivative(f, 0.0)
    assert not res.success
    assert res.status == Status.KINK
    assert "kink" in res.message
    assert f"forward derivative {forward}" in res.message
    assert f"backward derivative {backward}" in res.message


def test_kink_only_flags_the_element_at_the_kink():
    res = derivative(np.abs, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(res.success, [True, False, True])
    np.testing.assert_allclose(res.df[[0, 2]], [-1.0, 1.0], atol=1e-12)


@pytest.mark.parametrize("x", [0.3, 1.0, 2.5])
def test_smooth_functions_are_not_flagged(x):
    for f in (np.sin, np.exp, np.log, np.sqrt):
        res = derivative(f, x)
        assert res.success and res.status == Status.SUCCESS


def test_gradient_reports_a_kink_in_one_component():
    res = gradient(lambda p: np.abs(p[..., 0]) + p[..., 1] ** 2, [0.0, 1.0])
    np.testing.assert_array_equal(res.success, [False, True])
    assert "kink" in res.message

"""An explicit step: the stencil once, the error from the stencil it embeds."""

import math

import numpy as np
import pytest

from finitediff import Stencil, derivative, gradient
from finitediff.estimators.fixed import embedded_stencil


@pytest.mark.parametrize(
    ("stencil", "inner"),
    [
        (Stencil.central(1, 4), Stencil.central(1, 2)),
        (Stencil.central(2, 6), Stencil.central(2, 4)),
        (Stencil.central(3, 4), Stencil.central(3, 2)),
        (Stencil.forward(1, 3), Stencil.forward(1, 2)),
        (Stencil.backward(2, 2), Stencil.backward(2, 1)),
        (Stencil.central(1, 2), None),
        (Stencil.forward(1, 1), None),
        (Stencil.central(4, 2), None),
    ],
)
def test_embedded_stencil_drops_the_outermost_points(stencil, inner):
    assert embedded_stencil(stencil) == inner


def test_embedded_error_costs_no_extra_point():
    res = derivative(np.exp, 1.0, step=1e-2, accuracy=4)
    assert res.nfev == 5  # x, ±h, ±2h: the accuracy-4 stencil alone
    s4, s2 = Stencil.central(1, 4), Stencil.central(1, 2)
    h = 1e-2

    def apply(s):
        return sum(w * math.exp(1 + o * h) for o, w in zip(s.offsets, s.weights)) / h

    assert res.df == pytest.approx(apply(s4), rel=1e-14)
    assert res.error >= abs(apply(s4) - apply(s2))
    assert abs(res.df - math.e) <= res.error


def test_without_an_embedded_stencil_the_step_is_doubled():
    res = derivative(np.exp, 1.0, step=1e-2)  # central accuracy 2: nothing inside
    assert res.nfev == 5  # x, ±h and ±2h
    assert abs(res.df - math.e) <= res.error


@pytest.mark.parametrize("accuracy", [4, 6])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_fixed_step_errors_bound_the_truth(n, accuracy):
    x = np.linspace(-1.5, 1.5, 13)
    functions = {
        "exp": (np.exp, lambda x, n: np.exp(x)),
        "sin": (np.sin, lambda x, n: np.sin(x + n * np.pi / 2)),
        "log(x+2)": (lambda x: np.log(x + 2),
                     lambda x, n: (-1) ** (n - 1) * math.factorial(n - 1) / (x + 2) ** n),
    }
    for name, (f, exact) in functions.items():
        res = derivative(f, x, n=n, accuracy=accuracy, step=0.05)
        error = np.abs(res.df - exact(x, n))
        assert np.all(error <= res.error), (name, error / res.error)


def test_gradient_with_a_step_uses_four_points_per_component_at_accuracy_4():
    res = gradient(lambda x: np.sum(np.sin(x), axis=-1), np.linspace(0, 1, 10), step=1e-3,
                   accuracy=4)
    assert res.nfev == 41  # x, and ±h, ±2h per component
    np.testing.assert_allclose(res.df, np.cos(np.linspace(0, 1, 10)), rtol=1e-11)

"""Derivatives of numpy black boxes: analytic references, shapes, nfev, validation."""

import math

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der, rosen_hess

from finitediff import Stencil, derivative, gradient, hessian, jacobian, jvp


def log2p(x):
    return np.log(x + 2.0)


LOG2P_DERIVATIVES = [math.log(3), 1 / 3, -1 / 9, 2 / 27, -2 / 27]


@pytest.mark.parametrize("n", range(5))
def test_seed_example_log_x_plus_2(n):
    res = derivative(log2p, 1.0, n=n)
    exact = LOG2P_DERIVATIVES[n]
    assert res.success
    assert abs(res.df - exact) <= res.error
    assert abs(res.df - exact) <= 1e-5 * abs(exact)


@pytest.mark.parametrize("method", ["central", "forward", "backward"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_methods_agree_with_analytic_derivative(method, n):
    x = 0.7
    exact = [math.cos(x), -math.sin(x), -math.cos(x)][n - 1]
    res = derivative(np.sin, x, n=n, method=method, accuracy=2)
    assert abs(res.df - exact) <= max(res.error, 1e-14)
    assert abs(res.df - exact) < 1e-4


def test_array_x_is_elementwise_and_keeps_shape():
    x = np.linspace(0.1, 2.0, 12).reshape(3, 4)
    res = derivative(np.exp, x, n=2)
    assert res.df.shape == x.shape and res.error.shape == x.shape
    assert res.step.shape == x.shape and res.success.shape == x.shape
    np.testing.assert_allclose(res.df, np.exp(x), rtol=1e-6)


def test_scalar_x_gives_scalars():
    res = derivative(np.exp, 0.5)
    assert np.ndim(res.df) == 0 and np.ndim(res.error) == 0 and np.ndim(res.step) == 0


def test_args_reach_f():
    res = derivative(lambda x, a, b: a * np.sin(b * x), 0.3, args=(2.0, 3.0))
    assert abs(res.df - 6.0 * math.cos(0.9)) < 1e-8


# -- the error falls with the step at the stencil's order -------------------------
@pytest.mark.parametrize(
    ("method", "n", "accuracy"),
    [("central", 1, 2), ("central", 1, 4), ("central", 2, 2), ("central", 2, 4),
     ("central", 3, 2), ("forward", 1, 1), ("forward", 1, 3), ("backward", 2, 2)],
)
def test_loglog_error_slope_equals_accuracy(method, n, accuracy):
    x = 0.4
    exact = [None, math.exp(x), math.exp(x), math.exp(x)][n]
    steps = 0.2 * 2.0 ** -np.arange(5)
    errors = [abs(derivative(np.exp, x, n=n, method=method, accuracy=accuracy, step=h).df - exact)
              for h in steps]
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - accuracy) < 0.15, (slope, errors)


def test_explicit_step_is_the_spacing_actually_taken():
    x = 1.0
    res = derivative(np.sin, x, step=1e-3)
    assert res.step == (x + 1e-3) - x  # x ± h are exact, the division is by that h
    # The reported step reproduces df through the stencil.
    s = Stencil.central(1)
    manual = sum(w * np.sin(x + o * res.step) for o, w in zip(s.offsets, s.weights)) / res.step
    assert res.df == pytest.approx(manual, rel=1e-12)


def test_default_step_scales_with_x():
    small, large = derivative(np.log, 1.0), derivative(np.log, 1e6)
    # steps are relative to |x|: a million times larger x, far larger steps
    assert large.step / small.step > 1e4
    assert abs(large.df - 1e-6) <= max(large.error, 1e-6 * 1e-10)
    assert abs(large.df - 1e-6) < 1e-6 * 1e-8


# -- vectorized and looped evaluation are the same computation -------------------------
def test_vectorized_equals_loop_for_derivative():
    x = np.array([0.2, 1.0, 3.0])
    calls = []

    def f(points):
        calls.append(np.shape(points))
        return np.log1p(points)

    batched = derivative(f, x, n=3)
    batched_calls = calls[:]
    looped = derivative(f, x, n=3, vectorized=False)
    np.testing.assert_array_equal(batched.df, looped.df)
    np.testing.assert_array_equal(batched.error, looped.error)
    np.testing.assert_array_equal(batched.nfev, looped.nfev)
    # batched: a few calls with stacked points; looped: one call per point, of x's shape
    assert all(len(shape) == 2 for shape in batched_calls) and len(batched_calls) <= 4
    assert all(shape == x.shape for shape in calls[len(batched_calls):])


def test_vectorized_equals_loop_for_jacobian_and_hessian():
    def f_batched(x):
        return np.stack([np.sin(x[..., 0]) * x[..., 1], np.exp(x[..., 1] - x[..., 2])], axis=-1)

    def scalar_batched(x):
        return rosen(np.moveaxis(x, -1, 0))

    x = np.array([0.5, -0.3, 0.2])
    for fn, func in ((jacobian, f_batched), (hessian, scalar_batched), (gradient, scalar_batched)):
        a = fn(func, x)
        b = fn(func, x, vectorized=False)
        np.testing.assert_array_equal(a.df, b.df)
        assert a.nfev == b.nfev


# -- jacobian, gradient, hessian, jvp against analytic values ------------------------
def _rosen(x):
    return rosen(np.moveaxis(x, -1, 0))


def test_rosenbrock_hessian_at_minimum():
    res = hessian(_rosen, [1.0, 1.0])
    np.testing.assert_allclose(res.df, [[802, -400], [-400, 200]], rtol=1e-6)
    assert np.all(np.abs(res.df - [[802, -400], [-400, 200]]) <= res.error + 1e-12)
    np.testing.assert_array_equal(res.df, res.df.T)


def test_rosenbrock_hessian_and_gradient_in_five_dimensions():
    x = np.array([0.3, -0.8, 1.1, 0.5, 1.7])
    np.testing.assert_allclose(hessian(_rosen, x).df, rosen_hess(x), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(gradient(_rosen, x).df, rosen_der(x), rtol=1e-7, atol=1e-6)


def test_hessian_at_a_step_costs_four_points_a_line_and_the_centre():
    calls = []

    def f(x):
        calls.append(len(x))
        return np.sum(np.cos(x), axis=-1)

    d = 4
    res = hessian(f, np.zeros(d), step=0.01)
    assert res.nfev == sum(calls)
    np.testing.assert_allclose(res.df, -np.eye(d), atol=1e-4)
    # d + d(d-1)/2 lines, each the stencil at h and at 2h (±1, ±2), and f(x) once
    assert res.nfev == 4 * (d + d * (d - 1) // 2) + 1


def test_jacobian_shape_and_values():
    def f(x):
        return np.stack([x[..., 0] ** 2 * x[..., 1], 5 * x[..., 0] + np.sin(x[..., 1]),
                         x[..., 1] ** 3], axis=-1)

    x = np.array([1.5, -0.5])
    exact = np.array([[2 * 1.5 * -0.5, 1.5**2], [5.0, math.cos(-0.5)], [0.0, 3 * 0.25]])
    res = jacobian(f, x)
    assert res.df.shape == (3, 2)
    np.testing.assert_allclose(res.df, exact, rtol=1e-8, atol=1e-10)
    assert np.all(np.abs(res.df - exact) <= res.error + 1e-15)


def test_jacobian_of_matrix_input_keeps_both_shapes():
    x = np.arange(6.0).reshape(2, 3) / 10

    def f(points):  # (N, 2, 3) -> (N, 2): row sums of squares
        return np.sum(points**2, axis=-1)

    res = jacobian(f, x)
    assert res.df.shape == (2, 2, 3)
    expected = np.zeros((2, 2, 3))
    expected[0, 0], expected[1, 1] = 2 * x[0], 2 * x[1]
    np.testing.assert_allclose(res.df, expected, atol=1e-9)


def test_jvp_matches_jacobian_times_vector():
    def f(x):
        return np.stack([np.sin(x[..., 0] * x[..., 1]), x[..., 0] - x[..., 1] ** 2], axis=-1)

    x, v = np.array([0.7, 1.3]), np.array([0.3, -2.0])
    res = jvp(f, x, v)
    np.testing.assert_allclose(res.df, jacobian(f, x).df @ v, rtol=1e-7)
    exact = np.array([math.cos(0.91) * (1.3 * 0.3 + 0.7 * -2.0), 0.3 - 2 * 1.3 * -2.0])
    np.testing.assert_allclose(res.df, exact, rtol=1e-7)


def test_non_finite_values_are_a_status_not_an_exception():
    res = derivative(lambda x: np.where(x > 0.5, np.nan, x), 0.5, step=0.1)
    assert not res.success
    assert "not finite" in res.message or "NaN" in res.message


# -- validation: bad input names the parameter --------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": -1}, ValueError, "`n` must be >= 0"),
        ({"n": 1.0}, TypeError, "`n` must be an integer"),
        ({"step": 0.0}, ValueError, "`step` must be positive and finite"),
        ({"step": -1e-3}, ValueError, "`step` must be positive and finite"),
        ({"step": float("inf")}, ValueError, "`step` must be positive and finite"),
        ({"step": "big"}, TypeError, "`step` must be a positive float"),
        ({"method": "sideways"}, ValueError, "`method` must be one of"),
        ({"accuracy": 3}, ValueError, "`accuracy` of a central stencil must be even"),
        ({"accuracy": 0, "method": "forward"}, ValueError, "`accuracy` must be >= 1"),
        ({"args": [1]}, TypeError, "`args` must be a tuple"),
    ],
)
def test_derivative_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        derivative(np.sin, 1.0, **kwargs)


def test_messages_built_only_on_failure_still_name_the_bad_value():
    # messages that print arrays are built when raised, not on every call
    x = np.array([0.5, 1.0, 1.5])
    f = lambda p: np.sum(p**2, axis=-1)  # noqa: E731
    with pytest.raises(ValueError, match=r"`step` must be positive and finite, got array"):
        gradient(f, x, step=np.array([1e-3, -1e-3, 1e-3]))
    with pytest.raises(TypeError, match="`step` must be None or a positive float, got True"):
        gradient(f, x, step=True)
    with pytest.raises(ValueError, match=r"`step` .* to the power n=2 underflows"):
        derivative(np.sin, x, n=2, step=np.full(3, 1e-200))
    with pytest.raises(ValueError, match=r"`x` must lie inside `bounds` \(0.0, 1.2\)"):
        gradient(f, x, bounds=(0.0, 1.2))
    with pytest.raises(ValueError, match=r"`bounds` must satisfy lo < hi, got \(1.0, 0.0\)"):
        gradient(f, x, bounds=(1.0, 0.0))
    with pytest.raises(ValueError, match=r"must return a scalar for gradient, got values of "
                       r"shape \(2,\)"):
        gradient(lambda p: np.stack([p[..., 0], p[..., 1]], axis=-1), x)
    with pytest.raises(ValueError, match="`method` must be one of 'central'"):
        derivative(np.sin, 1.0, method="sideways")
    for differentiate in (gradient, hessian):   # one check of the step taken, shared
        with pytest.raises(ValueError, match=r"`step` \[0.001 0.001\] is too small to change x"):
            differentiate(f, np.array([1e20, 1.0]), step=1e-3)


def test_check_argument_builds_a_lazy_message_only_when_it_raises():
    from finitediff.errors import check_argument

    def fails():
        raise AssertionError("built although the condition held")

    check_argument(True, fails)
    with pytest.raises(TypeError, match="^built now$"):
        check_argument(False, lambda: "built now", error=TypeError)


@pytest.mark.parametrize("x", [np.nan, np.inf, [1.0, np.nan]])
def test_non_finite_x_is_rejected(x):
    with pytest.raises(ValueError, match="`x` must be finite"):
        derivative(np.sin, x)


def test_non_numeric_x_is_rejected():
    with pytest.raises(TypeError, match="`x` must hold real or complex numbers"):
        derivative(np.sin, "1.0")


def test_f_returning_wrong_shape_is_explained():
    with pytest.raises(ValueError, match="vectorized=False"):
        derivative(lambda x: np.sum(x), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="must act elementwise"):
        derivative(lambda x: x[..., :1], np.array([1.0, 2.0]))


def test_f_returning_non_numbers_is_rejected():
    with pytest.raises(TypeError, match="`f` must return real or complex numbers"):
        derivative(lambda x: np.array(["a"] * len(x)), 1.0)


def test_f_must_be_callable():
    with pytest.raises(TypeError, match="`f` must be callable"):
        derivative(3.0, 1.0)


def test_gradient_needs_scalar_output():
    with pytest.raises(ValueError, match="`f` must return a scalar for gradient"):
        gradient(lambda x: x * 2, [1.0, 2.0])


def test_hessian_of_a_vector_f_is_one_hessian_per_output():
    def f(x):
        return np.stack([x[..., 0] ** 2 * x[..., 1], np.sin(x[..., 1])], axis=-1)

    res = hessian(f, [1.0, 2.0])
    exact = np.array([[[4.0, 2.0], [2.0, 0.0]], [[0.0, 0.0], [0.0, -np.sin(2.0)]]])
    assert np.shape(res.df) == (2, 2, 2)
    assert np.all(np.abs(res.df - exact) <= res.error)


def test_jvp_validates_direction():
    with pytest.raises(ValueError, match="`v` must have the shape of x"):
        jvp(_rosen, [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="`v` must be non-zero"):
        jvp(_rosen, [1.0, 2.0], [0.0, 0.0])

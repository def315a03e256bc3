"""The adaptive default: accuracy, honest errors, cost, and an explicit step."""

import math

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der, rosen_hess
from skips import skip_without

from finitediff import Stencil, derivative, estimate_step, gradient, hessian, jacobian, jvp
from finitediff.estimators.ladder import ladder_for

skip_without("testing")

import mpmath as mp  # noqa: E402


def mp_derivative(f_mp, x, n):
    with mp.workdps(50):
        return float(mp.diff(f_mp, mp.mpf(x), n))


CASES = [
    (np.exp, mp.exp, 0.7),
    (np.log, mp.log, 0.05),
    (np.sqrt, mp.sqrt, 0.01),
    (lambda x: np.sin(50 * x), lambda x: mp.sin(50 * x), 0.3),
    (np.arctan, mp.atan, -2.0),
    (lambda x: 1 / (1 + x * x), lambda x: 1 / (1 + x * x), 0.6),
]


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize(("f", "f_mp", "x"), CASES)
def test_error_bounds_the_true_error(f, f_mp, x, n):
    res = derivative(f, x, n=n)
    exact = mp_derivative(f_mp, x, n)
    assert abs(res.df - exact) <= res.error
    assert res.error <= 1e-5 * abs(exact)
    assert res.success


@pytest.mark.parametrize(("f", "f_mp", "x"), CASES)
def test_first_derivatives_reach_near_machine_precision(f, f_mp, x):
    res = derivative(f, x)
    assert abs(res.df - mp_derivative(f_mp, x, 1)) <= 1e-11 * abs(res.df)


def test_periodic_function_at_large_argument_is_not_aliased():
    # Steps relative to |x| = 100 span several periods of sin; coarse entries
    # that agree by accident must not be chosen.
    res = derivative(np.sin, 100.0, n=3)
    assert abs(res.df + math.cos(100.0)) <= res.error < 1e-6


def test_pole_inside_the_largest_stencils_is_handled():
    res = derivative(lambda x: 1 / x, 0.01, n=3)
    assert abs(res.df - (-6 / 0.01**4)) <= res.error
    assert res.error < 1e-6 * 6 / 0.01**4


def test_first_derivative_costs_at_most_25_evaluations():
    assert derivative(np.exp, 1.0).nfev <= 25


def test_array_input_matches_scalar_calls():
    x = np.array([0.3, 1.5, 4.0])
    together = derivative(np.log, x, n=2)
    for i, xi in enumerate(x):
        alone = derivative(np.log, xi, n=2)
        assert together.df[i] == pytest.approx(alone.df, rel=1e-9)
    assert np.all(np.abs(together.df + 1 / x**2) <= together.error)


def test_explicit_step_is_used_as_given():
    res = derivative(np.exp, 1.0, step=1e-3)
    taken = (1.0 + 1e-3) - 1.0  # the spacing x + h really has from x
    assert res.step == taken
    central = (math.exp(1.0 + taken) - math.exp(1.0 - taken)) / (2 * taken)
    assert res.df == pytest.approx(central, rel=1e-12)
    assert res.nfev == 5  # x, and steps h and 2h, two points each


def test_gradient_and_hessian_of_rosenbrock_within_their_errors():
    x = np.array([0.3, 1.2, -0.7])
    grad = gradient(lambda p: rosen(p.T), x)
    assert np.all(np.abs(grad.df - rosen_der(x)) <= grad.error)
    hess = hessian(lambda p: rosen(p.T), x)
    assert np.all(np.abs(hess.df - rosen_hess(x)) <= hess.error)
    assert np.all(hess.error < 1e-5)
    scanned = hessian(lambda p: rosen(p.T), x, fast=False)
    assert np.all(np.abs(scanned.df - rosen_hess(x)) <= scanned.error)
    assert np.all(scanned.error < 1e-7)


def test_jacobian_entries_within_their_errors():
    def f(p):
        return np.stack([np.exp(p[..., 0]) * p[..., 1], np.log(p[..., 1] + p[..., 0] ** 2)], -1)

    x = np.array([0.4, 2.0])
    exact = np.array([[np.exp(0.4) * 2.0, np.exp(0.4)],
                      [0.8 / (2.0 + 0.16), 1 / (2.0 + 0.16)]])
    res = jacobian(f, x)
    assert np.all(np.abs(res.df - exact) <= res.error)


def test_jvp_within_its_error():
    x = np.array([1.0, 2.0])
    res = jvp(lambda p: np.sin(p[..., 0] * p[..., 1]), x, [1.0, -1.0])
    exact = math.cos(2.0) * (2.0 - 1.0)
    assert abs(res.df - exact) <= res.error < 1e-10


def test_estimate_step_balances_roundoff_and_truncation():
    stencil = Stencil.central(2)
    step, bound = estimate_step(stencil, np.exp, 1.0)
    estimate = (math.exp(1 + step) - 2 * math.e + math.exp(1 - step)) / step**2
    assert abs(estimate - math.e) <= bound
    # The balance for a second difference sits near ε^(1/4).
    assert 1e-5 < step < 1e-3
    # Ten times smaller or larger is worse on the predicted bound.
    assert bound < 1e-6


def test_estimate_step_validates_its_arguments():
    with pytest.raises(TypeError, match="`stencil` must be a Stencil"):
        estimate_step("central", np.exp, 1.0)
    with pytest.raises(ValueError, match="`x` must be a finite float"):
        estimate_step(Stencil.central(1), np.exp, [1.0, 2.0])


def test_noise_argument_is_validated():
    with pytest.raises(ValueError, match="`noise` must be None, .auto. or a non-negative"):
        derivative(np.exp, 1.0, noise=-1.0)


def test_order_zero_returns_the_value():
    res = derivative(np.exp, 1.0, n=0)
    assert res.df == math.exp(1.0) and res.error <= 4 * np.finfo(float).eps * math.e


def test_high_order_scales_have_ratio_root_two_and_share_points():
    scales = ladder_for(Stencil.central(4)).scales(0, 12)
    assert np.allclose(scales[:-1] / scales[1:], math.sqrt(2), rtol=1e-15)
    assert np.array_equal(2 * scales[2:], scales[:-2])  # offsets ±2 reuse the points of ±1
    assert np.array_equal(ladder_for(Stencil.central(1)).scales(0, 8), 4.0 ** -np.arange(8))


def test_fourth_derivative_costs_one_point_per_side_per_scale():
    points = []

    def counted(x):
        points.extend(np.ravel(x))
        return np.exp(np.sin(x))

    res = derivative(counted, 0.3, n=4)
    assert res.nfev == len(points) == len(set(points))
    # rows at steps s_q = √2^-q (of the top step 1/2) use ±s_q and ±2·s_q =
    # ±s_(q−2): Q rows cost 2·(Q + 2) points besides x
    rows = (res.nfev - 1) // 2 - 2
    scales = 0.5 * ladder_for(Stencil.central(4)).scales(0, rows)
    expected = {0.3} | {0.3 + o * s for s in scales for o in (-2, -1, 1, 2)}
    assert set(points) == expected


HIGHER_ORDER_CASES = [
    (lambda x: np.exp(np.sin(3 * x)), lambda x: mp.exp(mp.sin(3 * x)), 0.4, 4),
    (lambda x: 1 / (1 + 4 * x * x), lambda x: 1 / (1 + 4 * x * x), 0.9, 4),
    (lambda x: np.log(2 + np.cos(x)), lambda x: mp.log(2 + mp.cos(x)), 0.8, 4),
    (lambda x: np.sqrt(x * x + 0.3), lambda x: mp.sqrt(x * x + 0.3), 1.1, 4),
    (lambda x: 1 / (x + 2), lambda x: 1 / (x + 2), -1.97, 4),
    (np.log, mp.log, 0.004, 4),
    (lambda x: np.arctan(2 * x), lambda x: mp.atan(2 * x), 0.35, 3),
    # the base estimates' h² term is small beside their h⁴ term at the coarse
    # steps (their differences change sign there) while Richardson column 1
    # already converges: the window opens on column 1 (1.2e-7 before)
    (lambda x: np.cos(-0.09593034941191261 * np.tanh(x) + 0.03213717109575742),
     lambda x: mp.cos(-0.09593034941191261 * mp.tanh(x) + 0.03213717109575742),
     -2.3048063251753783, 4),
    # the chosen column's differences reach rounding level while still
    # shrinking at its rate: the truncation left is d / (F − 1), not d
    # (3.5e-8 before)
    (lambda x: np.arctan(-31.132958219534878 * np.arctan(x) - 0.6171551749094684),
     lambda x: mp.atan(-31.132958219534878 * mp.atan(x) - 0.6171551749094684),
     -1.9189232834302203, 4),
]


@pytest.mark.parametrize(("f", "f_mp", "x", "n"), HIGHER_ORDER_CASES)
def test_third_and_fourth_derivatives_reach_relative_error_1e_8(f, f_mp, x, n):
    res = derivative(f, x, n=n)
    exact = mp_derivative(f_mp, x, n)
    assert abs(res.df - exact) <= min(res.error, 1e-8 * abs(exact))


@pytest.mark.parametrize(("f", "x", "n", "exact"), [
    (lambda x: 1 / (x + 2), -1.97, 4, 24 / 0.03**5),  # the pole is inside every first stencil
    (lambda x: np.cos(700 * x), 0.2, 3, 700**3 * math.sin(140.0)),  # many periods per stencil
])
def test_range_moves_below_itself_when_nothing_converged(f, x, n, exact):
    res = derivative(f, x, n=n)
    assert abs(res.df - exact) <= res.error <= 1e-6 * abs(exact)


def test_jacobian_of_a_cancelling_sum_costs_six_points_a_column_within_its_error():
    # The last output sums terms that cancel (sin is odd on a symmetric grid):
    # its rounding is that of the terms, far above ε times its own size.
    x = np.linspace(-1.0, 1.0, 20)
    res = jacobian(lambda x: np.cumsum(np.sin(x), axis=-1), x)
    exact = np.tril(np.ones((20, 20))) * np.cos(x)
    assert np.all(np.abs(res.df - exact) <= res.error)
    assert res.nfev <= 6 * x.size + 30  # a pilot line, then six points a column
    assert np.max(np.abs(res.df - exact)) < 1e-12


def test_scanned_jacobian_of_a_cancelling_sum_is_within_its_error():
    x = np.linspace(-1.0, 1.0, 20)
    res = jacobian(lambda x: np.cumsum(np.sin(x), axis=-1), x, fast=False)
    exact = np.tril(np.ones((20, 20))) * np.cos(x)
    assert np.all(np.abs(res.df - exact) <= res.error)


def test_later_rounds_evaluate_only_the_directions_that_need_them():
    # Only the last column sits next to a singularity (log at 1e-3); the
    # other nine columns must not be evaluated again.
    def f(x):
        return np.concatenate([np.sin(x[..., :-1]), np.log(x[..., -1:])], axis=-1)

    x = np.append(np.linspace(0.1, 0.9, 9), 1e-3)
    easy = jacobian(np.sin, np.linspace(0.1, 0.9, 10), fast=False)
    res = jacobian(f, x, fast=False)
    exact = np.diag(np.append(np.cos(x[:-1]), 1 / x[-1]))
    assert easy.nfev < res.nfev <= easy.nfev + 3 * 23
    assert np.all(np.abs(res.df - exact) <= res.error)
    assert abs(res.df[-1, -1] - 1e3) < 1e-6

"""ECnoise estimates and derivatives of noisy functions."""

import numpy as np
import pytest

from finitediff import derivative, estimate_noise


def noisy_sin(seed, level=1e-8):
    rng = np.random.default_rng(seed)
    return lambda x: np.sin(x) + level * rng.standard_normal(np.shape(x))


@pytest.mark.parametrize("level", [1e-10, 1e-8, 1e-5])
def test_noise_level_is_found_within_a_factor_of_three(level):
    res = estimate_noise(noisy_sin(1, level), [0.5, 2.0])
    assert np.all(res.success)
    assert np.all((level / 3 < res.noise) & (res.noise < 3 * level))


def test_smooth_function_has_noise_at_rounding_level():
    res = estimate_noise(np.sin, 0.5)
    assert res.success and res.noise < 1e-15


def test_constant_function_has_zero_noise_and_says_so():
    res = estimate_noise(lambda x: np.ones_like(x), 1.0)
    assert res.noise == 0.0 and not res.success
    assert "constant" in res.message


@pytest.mark.parametrize("seed", range(10))
def test_noisy_derivative_is_within_its_error(seed):
    res = derivative(noisy_sin(seed), 0.5, noise="auto")
    assert abs(res.df - np.cos(0.5)) <= res.error < 1e-3


def test_given_noise_level_widens_the_error():
    quiet = derivative(np.sin, 0.5)
    loud = derivative(np.sin, 0.5, noise=1e-8)
    assert loud.error > 100 * quiet.error
    assert abs(loud.df - np.cos(0.5)) <= loud.error


def test_points_are_validated():
    with pytest.raises(ValueError, match="`points` must be >= 5"):
        estimate_noise(np.sin, 0.5, points=3)


# -- noise nobody declared, in the seven points of an elementwise first derivative ----------
def test_the_even_residual_cancels_the_even_powers_it_claims_to():
    from fractions import Fraction

    from finitediff.estimators.spare import EVEN_RESIDUAL

    weights = {Fraction(t): Fraction(w).limit_denominator(96) for t, w in EVEN_RESIDUAL.items()}
    for k in (0, 2, 4):
        assert sum(w * t**k for t, w in weights.items()) == 0
    assert sum(w * t**6 for t, w in weights.items()) == 60
    assert weights[Fraction(1)] == Fraction(2, 3)   # the estimate's weight on f(x ± h), times h


def test_the_odd_residual_cancels_the_odd_powers_it_claims_to():
    from fractions import Fraction

    from finitediff.estimators.spare import ODD_RESIDUAL

    weights = {Fraction(t): Fraction(w).limit_denominator(42) for t, w in ODD_RESIDUAL.items()}
    for k in range(7):   # the even powers cancel by symmetry, the odd ones by the weights
        assert sum(w * t**k for t, w in weights.items()) == 0
    assert sum(w * t**7 for t, w in weights.items()) == -960
    assert weights[Fraction(1)] == Fraction(4, 3)   # the estimate's weight on f(x ± h), times h²


def test_values_rounded_to_eight_decimals_are_not_trusted_to_a_picometre():
    # the seven values land on a lattice where the base estimates' ratio is 4 to
    # eight digits; the true slope is 3e-6 away (the error was once 7e-13)
    res = derivative(lambda t: np.round(np.exp(-t * t), 8), 0.6106236310835786)
    exact = -2 * 0.6106236310835786 * np.exp(-0.6106236310835786**2)
    assert not res.success or abs(res.df - exact) <= res.error


SMOOTH = {"sin": (np.sin, np.cos), "exp": (np.exp, np.exp),
          "atan": (np.arctan, lambda x: 1 / (1 + x * x)),
          "gauss": (lambda x: np.exp(-x * x), lambda x: -2 * x * np.exp(-x * x))}


@pytest.mark.xfail(strict=True, reason=(
    "the scan trusts stairs whose rows agree: 12 of 61 successes are outside their error, "
    "all of them from the scan (before the even part was read: 42 of 88, 30 from the "
    "seven points)"))
def test_rounded_values_never_give_a_bound_they_contradict():
    # np.round(g, k), k = 8..11: a staircase of step 10^-k. A success bounds the
    # slope of g (or the stairs' zero slope); 40 points per function and k
    rng = np.random.default_rng(7)
    bad = []
    for name in sorted(SMOOTH):
        f, slope = SMOOTH[name]
        for digits in range(8, 12):
            for x in rng.uniform(-2, 2, 40):
                res = derivative(lambda t, f=f, k=digits: np.round(f(t), k), float(x))
                true = min(abs(res.df - slope(x)), abs(res.df))
                if res.success and not true <= res.error:
                    bad.append((name, digits, float(x), float(res.df), float(res.error)))
    assert not bad


def test_undeclared_noise_of_a_few_hundred_ulps_is_mostly_bounded_or_refused():
    # sin + 1e-13·N(0, 1) with no noise= given: far above the rounding the seven
    # points assume. The even part's residual shows most of it; one residual is a
    # single reading, though, and a few estimates still slip past (38 of these
    # 200 successes did before it was read, 4 after, by at most 1.7 times)
    bad = 0
    for seed in range(200):
        x = 0.3 + seed / 100
        res = derivative(noisy_sin(seed, 1e-13), x)
        if res.success and not abs(res.df - np.cos(x)) <= res.error:
            bad += 1
    assert bad <= 5


def test_undeclared_noise_in_a_second_derivative_is_bounded_or_refused():
    # sin + 1e-13·N(0, 1), n = 2, no noise= given: the odd part's spare
    # combination at ±h..±4h (two more points, for the elements that pass the
    # other checks) shows it; without it, 7 of these 200 successes were outside
    # their error, by up to 11 times
    bad = 0
    for seed in range(200):
        x = 0.3 + seed / 100
        res = derivative(noisy_sin(seed, 1e-13), x, n=2)
        if res.success and not abs(res.df + np.sin(x)) <= res.error:
            bad += 1
    assert bad == 0


class _Sampled:
    """Lines whose values at the fast path's factors are given: ``(F, k, 1)``."""

    def __init__(self, sampled, top):
        self.sampled, self.top, self.count = sampled, np.asarray(top), sampled.shape[1]

    def sample(self, factors, which, *, slack=True):
        return self.sampled[:, which], None


def _three_lines(bump, at=1.0, h=2.0**-10):
    """Three lines of sin through 0.5 at the factors 0, ±1, ±2, ±4 of h; line 0
    carries ``bump`` at the factor ``at``."""
    from finitediff.estimators.fast import _factors

    factors, _ = _factors(1)
    sampled = np.sin(0.5 + np.multiply.outer(factors, np.full(3, h)))[..., None]
    sampled[factors.tolist().index(at), 0, 0] += bump
    return _Sampled(sampled, np.full(3, h)), factors


@pytest.mark.parametrize("bump", [3e-13, 1e-12])
def test_lines_through_one_x_share_the_largest_noise_reading(bump):
    from finitediff.estimators.fast import EVEN_WITNESS, _three_steps
    from finitediff.estimators.spare import EVEN_RESIDUAL, spare_noise

    lines, factors = _three_lines(bump)
    eps = float(np.finfo(float).eps)
    rounding = np.zeros(1)
    alone = _three_steps(lines, 1, rounding, eps)
    shared = _three_steps(lines, 1, rounding, eps, shared=True)
    assert shared.converging.all()
    reading = spare_noise(EVEN_RESIDUAL, lines.sampled, factors, eps, rounding)[:, 0]
    assert reading[0] > 0 and np.all(reading[1:] == 0)   # only line 0 shows the bump
    # alone, lines 1 and 2 know nothing of it; sharing, they take line 0's reading,
    # which sets line 0's error: ten times the reading over h, doubled (the safety
    # factor on the truncation the reading stands for)
    witness = 2 * EVEN_WITNESS * reading[0] / lines.top[0]
    assert alone.error[0, 0] >= 0.99 * witness
    assert np.all(alone.error[1:, 0] < 0.1 * witness)
    np.testing.assert_allclose(shared.error[:, 0], alone.error[0, 0], rtol=1e-3)
    assert shared.error[0, 0] == alone.error[0, 0]
    np.testing.assert_array_equal(shared.value, alone.value)


def test_a_line_that_does_not_converge_shares_no_reading():
    from finitediff.estimators.fast import _three_steps

    lines, _ = _three_lines(1e-6, at=4.0)   # the ratio of line 0 is far from 4
    eps = float(np.finfo(float).eps)
    alone = _three_steps(lines, 1, np.zeros(1), eps)
    shared = _three_steps(lines, 1, np.zeros(1), eps, shared=True)
    assert not shared.converging[0, 0] and shared.converging[1:].all()
    np.testing.assert_array_equal(shared.error, alone.error)


def test_fast_lines_take_the_rounding_the_scanned_lines_measured():
    from types import SimpleNamespace

    from finitediff import Status
    from finitediff.estimators.fast import ROUNDOFF_WEIGHT, _share_rounding

    top = np.array([1e-3, 2e-3, 1e-3])
    fast = np.array([True, True, False])
    error = np.full((3, 2), 1e-12)
    result = SimpleNamespace(error=error.copy())
    # the scanned lines: output 0 measured 1e-15 (a success) and 1e-9 (a failure,
    # not taken); output 1 measured less than the fast lines assumed
    scanned = SimpleNamespace(status=np.array([[int(Status.SUCCESS)] * 2,
                                               [int(Status.NOT_DIFFERENTIABLE)] * 2]),
                              rounding=np.array([[1e-15, 1e-17], [1e-9, 1e-9]]))
    assumed = np.array([1e-16, 1e-16])
    _share_rounding(result, scanned, fast, top, 1, assumed)
    h = top[:2]
    # the accuracy-2 first derivative's weights sum to 1: (4/h + 1/(2h))/3 per unit
    expected = ROUNDOFF_WEIGHT * (4 / h + 1 / (2 * h)) / 3 * (1e-15 - 1e-16)
    np.testing.assert_allclose(result.error[:2, 0] - 1e-12, expected, rtol=1e-12)
    assert np.all(result.error[:, 1] == 1e-12)      # nothing above what was assumed
    assert result.error[2, 0] == 1e-12              # a scanned line keeps its own error

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

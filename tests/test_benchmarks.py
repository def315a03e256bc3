"""The benchmark's batteries and its resolvability oracle."""

import sys
from pathlib import Path

import numpy as np
import pytest
from skips import skip_without

skip_without("testing")

import mpmath as mp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is not installed

from benchmarks.accuracy import best_float64  # noqa: E402
from benchmarks.battery import fresh_battery, heldout_battery, main_battery  # noqa: E402


@pytest.mark.parametrize("battery", [main_battery, heldout_battery, fresh_battery])
def test_numpy_functions_match_their_mpmath_twins(battery):
    for name, f, f_mp, points in battery():
        for x in points:
            value = float(f(np.float64(x)))
            with mp.workdps(30):
                twin = float(f_mp(mp.mpf(x)))
            assert abs(value - twin) <= 1e-12 * abs(twin) + 1e-300, name


def test_fresh_battery_is_reproducible_and_seeded():
    first = [(name, points) for name, _, _, points in fresh_battery()]
    assert len(first) == 60
    assert first == [(name, points) for name, _, _, points in fresh_battery()]
    assert first != [(name, points) for name, _, _, points in fresh_battery(seed=1)]


def test_oracle_resolves_a_smooth_derivative():
    assert best_float64(np.exp, 1.0, 1, np.e) < 1e-12
    assert best_float64(np.sin, 0.5, 4, np.sin(0.5)) < 1e-8


def test_oracle_rejects_a_derivative_lost_in_the_values():
    # d/dx tanh(16 + x) at 0 is sech(16)^2 ≈ 5e-14 while tanh is 1 - 2.5e-14:
    # float64 values near 1 are spaced 1.1e-16 apart, so no step gets 8 digits.
    exact = 1 / np.cosh(16.0) ** 2
    assert best_float64(lambda x: np.tanh(16 + x), 0.0, 1, exact) > 1e-8

"""The fast path's light pilot: one call of f shows a line's length and rounding, or refuses."""

import numpy as np
import pytest

from finitediff.estimators.lines import ElementLines
from finitediff.estimators.pilot import DEEP, ROWS, fast_scale, read_pilot, unit_reading

EPS = float(np.finfo(np.float64).eps)


class Counting:
    """f along a line through x (elementwise), with its calls and points counted."""

    def __init__(self, f):
        self.f, self.calls, self.points = f, 0, 0

    def __call__(self, points, which):
        self.calls += 1
        self.points += np.size(points)
        return self.f(points)


def line(f, x, top=0.5):
    counted = Counting(f)
    return ElementLines(counted, np.array([x]), np.array([top])), counted


@pytest.mark.parametrize("n", [1, 2])
def test_a_smooth_line_is_read_in_one_call_of_f(n):
    lines, counted = line(np.exp, 0.25)
    reading = read_pilot(lines, n, EPS)
    assert reading is not None
    assert counted.calls == 1
    assert counted.points == 2 * (ROWS + len(DEEP[n])) + 1


@pytest.mark.parametrize("n", [1, 2])
def test_the_start_halves_when_the_function_changes_twice_as_fast(n):
    # exp(1/4 + 4t) and exp(1/4 + 8t): the same function, one twice as short
    slow, _ = line(np.exp, 0.25, top=4.0)
    fast, _ = line(np.exp, 0.25, top=8.0)
    assert read_pilot(fast, n, EPS).start == read_pilot(slow, n, EPS).start / 2


@pytest.mark.parametrize("n", [1, 2])
def test_the_yardstick_is_read(n):
    unit = unit_reading(n)
    assert unit.start == 2.0 and np.isfinite(unit.quotient)


def test_a_sum_that_cancels_shows_the_rounding_of_its_terms():
    # f = (1 + sin t) − 1 near t = 1e-3: |f| ~ 1e-3, its rounding that of 1 (1.1e-16)
    lines, _ = line(lambda t: (1.0 + np.sin(t)) - 1.0, 1e-3)
    reading = read_pilot(lines, 2, EPS)
    assert reading is not None
    assert reading.rounding[0] >= 1e-17 > 10 * EPS * np.sin(1e-3)


def test_a_function_computed_exactly_keeps_the_rounding_of_its_size():
    lines, _ = line(np.exp, 0.25)
    reading = read_pilot(lines, 2, EPS)
    assert EPS * np.exp(0.25) <= reading.rounding[0] <= 20 * EPS * np.exp(0.25)


@pytest.mark.parametrize(("f", "n"), [
    (lambda t: np.abs(t - 0.3) ** 3, 2),   # a kink in the second derivative at x
    (lambda t: np.abs(t - 0.3), 1),        # a kink in f at x
    (lambda t: np.abs(t - 0.3), 2),
])
def test_a_kink_at_x_is_not_read(f, n):
    lines, _ = line(f, 0.3)
    assert read_pilot(lines, n, EPS) is None


@pytest.mark.parametrize("n", [1, 2])
def test_a_bump_between_the_shown_rows_and_the_deep_ones_is_not_read(n):
    # width 1e-4 next to x: invisible at the steps 2^-q (q < 8), seen by the deep rows
    lines, _ = line(lambda t: np.exp(t) + 1e-3 * np.exp(-((t - 0.2501) / 1e-4) ** 2), 0.25)
    assert read_pilot(lines, n, EPS) is None


def test_noise_above_the_rounding_cap_is_not_read():
    rng = np.random.default_rng(0)
    lines, _ = line(lambda t: np.exp(t) + 1e-9 * rng.standard_normal(np.shape(t)), 0.25)
    assert read_pilot(lines, 2, EPS) is None


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_values_that_are_not_finite_are_not_read():
    lines, _ = line(np.log, 0.1)   # the top rows reach below 0
    assert read_pilot(lines, 1, EPS) is None


def test_a_line_too_close_to_its_smallest_step_is_not_read():
    lines, _ = line(np.exp, 0.25)
    assert read_pilot(lines, 2, EPS, bottom=1e-8) is None


def test_the_fast_step_widens_for_values_large_against_their_variation():
    small, _ = line(np.exp, 0.25, top=8.0)
    large, _ = line(lambda t: 1e6 + np.exp(t), 0.25, top=8.0)
    plain, offset = read_pilot(small, 2, EPS), read_pilot(large, 2, EPS)
    assert offset.quotient > 1e5 * plain.quotient
    assert fast_scale(offset, 2) > fast_scale(plain, 2)


def direction_line(f, x, top=0.5):
    """One line along the first component of a vector function f of one input."""
    from finitediff.estimators.lines import DirectionLines

    return DirectionLines(f, np.array([x]), np.array([[1.0]]), np.array([top]))


def test_first_derivatives_read_the_even_part_of_every_output():
    # the second output has a kink at x that only its even part shows (its odd
    # part is t's): one output that does not read makes the whole line unread
    smooth = lambda p: np.exp(p)                                   # noqa: E731
    kinked = lambda p: np.abs(p - 0.3) + p                         # noqa: E731
    assert read_pilot(direction_line(smooth, 0.3), 1, EPS) is not None
    assert read_pilot(direction_line(kinked, 0.3), 1, EPS) is None
    both = direction_line(lambda p: np.concatenate([smooth(p), kinked(p)], axis=-1), 0.3)
    assert read_pilot(both, 1, EPS) is None
    # the even part only vets the line: with two smooth outputs, the reading is
    # the odd part's, the same as with the outputs apart
    pair = direction_line(lambda p: np.concatenate([smooth(p), np.sin(p)], axis=-1), 0.3)
    alone = [read_pilot(direction_line(g, 0.3), 1, EPS) for g in (smooth, np.sin)]
    reading = read_pilot(pair, 1, EPS)
    assert reading.start == min(r.start for r in alone)
    np.testing.assert_array_equal(reading.rounding, [r.rounding[0] for r in alone])

"""The Hessian's lines along pairs of axes, kept sparse, and what a Hessian costs."""

import numpy as np
import pytest

from finitediff import hessian
from finitediff.estimators.lines import DirectionLines
from finitediff.estimators.pairs import PairLines, Pairs


def _pairs(rng, d, shape):
    rows, cols = np.triu_indices(d, 1)
    return Pairs(np.concatenate([np.arange(d), rows]), np.concatenate([np.arange(d), cols]),
                 np.concatenate([rng.choice([-1.0, 1.0], d), rng.uniform(0.1, 1, rows.size)]),
                 np.concatenate([np.zeros(d), rng.uniform(-1, 1, rows.size)]), shape)


def test_pair_lines_build_the_points_and_rounding_of_the_dense_directions():
    rng = np.random.default_rng(1)
    x = rng.uniform(-3, 3, (3, 4)) * 10.0 ** rng.integers(-5, 5, (3, 4))
    pairs = _pairs(rng, x.size, x.shape)
    top = rng.uniform(1e-3, 1, len(pairs)) * 3.3
    moving = np.array([-4.0, -2.0, -1.0, 1.0, 2.0, 4.0]) * 2.0**-9 * 1.37
    which = np.arange(0, len(pairs), 3)
    dense = DirectionLines(np.sin, x, pairs.dense(), top)._points(moving, which)
    sparse = PairLines(np.sin, x, pairs, top)._points(moving, which)
    assert np.array_equal(dense[0], sparse[0])
    assert np.array_equal(dense[1], sparse[1])


def test_pair_lines_combine_into_the_pilot_line_of_the_dense_directions():
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, 6)
    pairs = _pairs(rng, x.size, x.shape)
    top = rng.uniform(0.1, 1, len(pairs))
    dense = DirectionLines(np.sin, x, pairs.dense(), top).combined()
    sparse = PairLines(np.sin, x, pairs, top).combined()
    np.testing.assert_allclose(sparse.directions, dense.directions, rtol=0, atol=1e-15)
    np.testing.assert_allclose(sparse.top, dense.top, rtol=1e-15)


def test_pairs_move_the_components_they_name():
    pairs = Pairs([0, 1], [0, 2], [1.0, -0.5], [0.0, 0.25], (3,))
    x = np.array([-4.0, 2.0, -8.0])
    np.testing.assert_array_equal(pairs.dense(), [[1, 0, 0], [0, -0.5, 0.25]])
    np.testing.assert_array_equal(pairs.moved(x), [4.0, 8.0])
    np.testing.assert_array_equal(pairs.largest(), [1.0, 0.5])


def _log_bowl(scales):
    rng = np.random.default_rng(len(scales))
    x, centre = rng.uniform(-1, 1, len(scales)) * scales, rng.uniform(-1, 1, len(scales)) * scales

    def f(p):
        return np.log1p(np.sum(((p - centre) / scales) ** 2, axis=-1))

    u = (x - centre) / scales
    s = 1 + u @ u
    exact = (2 * np.eye(len(u)) / s - 4 * np.outer(u, u) / s**2) / np.outer(scales, scales)
    return f, x, exact


class Counted:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(x)


def test_a_smooth_hessian_costs_two_calls_and_six_points_a_line():
    f, x, exact = _log_bowl(np.ones(10))
    counted = Counted(f)
    res = hessian(counted, x)
    lines = 10 + 45
    assert counted.calls == 2          # the centre with the pilot line, every line at once
    assert res.nfev == 1 + 22 + 6 * lines
    assert np.all(np.abs(res.df - exact) <= res.error)
    assert np.max(np.abs(res.df - exact)) <= 1e-8 * np.max(np.abs(exact))


@pytest.mark.parametrize("spread", [1e-3, 1e3])
def test_hessian_errors_bound_the_true_ones_when_the_axes_have_very_different_scales(spread):
    f, x, exact = _log_bowl(np.geomspace(1.0, spread, 8))
    res = hessian(f, x)
    assert np.all(np.abs(res.df - exact) <= res.error)
    assert np.all(res.error[res.success] <= 1e-5 * np.max(np.abs(exact)))

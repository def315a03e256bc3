"""Round-off measured from the samples: cancellation, noise, and what is not noise."""

import numpy as np

from finitediff import derivative, hessian


def _chain(x):
    return np.sum(np.sin(x[..., 1:]) * x[..., :-1], axis=-1)


def _chain_hessian(x):
    d = len(x)
    exact = np.zeros((d, d))
    for i in range(1, d):
        exact[i, i] += -np.sin(x[i]) * x[i - 1]
        exact[i, i - 1] += np.cos(x[i])
        exact[i - 1, i] += np.cos(x[i])
    return exact


def test_hessian_of_a_sum_that_cancels_stays_within_its_error():
    # f is a sum of 99 terms of both signs, pushed close to 0 at x: its
    # rounding is ε·Σ|terms|, thousands of times ε·|f|. (With round-off
    # modelled as ε·|f| alone, 9% of the entries missed their error bound and
    # the worst was off by 0.7.)
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, 100)
    x[-1] -= _chain(x) / (x[-2] * np.cos(x[-1]))
    assert abs(_chain(x)) < 0.05
    res = hessian(_chain, x)
    error = np.abs(res.df - _chain_hessian(x))
    assert np.all(error <= res.error)
    assert error.max() < 1e-9


def test_smooth_function_error_stays_at_rounding_level():
    res = derivative(np.exp, 1.0)
    assert abs(res.df - np.e) <= res.error < 1e-11 * np.e


def test_additive_noise_is_measured_without_a_hint():
    rng = np.random.default_rng(3)
    res = derivative(lambda x: np.sin(x) + 1e-10 * rng.standard_normal(np.shape(x)), 0.5)
    quiet = derivative(np.sin, 0.5)
    assert abs(res.df - np.cos(0.5)) <= res.error
    assert res.error > 100 * quiet.error


def test_fast_oscillation_is_not_taken_for_noise():
    res = derivative(lambda x: np.cos(3000 * x), 1.0)
    exact = -3000 * np.sin(3000.0)
    assert abs(res.df - exact) <= res.error < 1e-8 * abs(exact)


def test_noisy_black_box_error_bounds_hold_without_noise_hint():
    bounded = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        res = derivative(lambda x, rng=rng: np.sin(x) + 1e-8 * rng.standard_normal(np.shape(x)),
                         0.5)
        bounded += abs(res.df - np.cos(0.5)) <= res.error
    assert bounded >= 19


class _Float32Exp:
    """exp computed exactly but declared float32, as a float32 model adapter is."""

    dtype = np.float32

    def __call__(self, x):
        return np.exp(x)


def test_declared_float32_precision_floors_the_error():
    res = derivative(_Float32Exp(), 0.5)
    floor = np.finfo(np.float32).eps * np.exp(0.5) / res.step
    assert res.error >= floor
    # the values were exact all along: the step chosen for float32 rounding
    # leaves a truncation error far below the float32 floor
    assert abs(res.df - np.exp(0.5)) < 1e-3 * res.error


def test_cancellation_at_a_zero_derivative_is_inside_the_error():
    # x − sin(x) at 0: f and f' vanish, the rounding of x and sin(x) does not.
    res = derivative(lambda x: x - np.sin(x), 0.0)
    assert abs(res.df) <= res.error
    assert res.error < 1e-12

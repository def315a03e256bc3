"""scipy.differentiate's own test cases, run against finitediff.

Source: ``scipy/differentiate/tests/test_differentiate.py`` of scipy 1.17.1
(git 527eb7fd7953a1de068f94bf8b322f249b9405ae), as installed with the
package. Every case keeps scipy's function, points, order and expected value
and scipy's tolerance (``xp_assert_close``'s default ``rtol`` is
``4·sqrt(eps)`` of the dtype), calls finitediff's public API, and also checks
that every entry finitediff reports as a success is within its error.

scipy's ``order`` (the accuracy order of its stencil, odd rounded up) maps to
finitediff's ``accuracy``; ``step_direction`` to ``method`` (or to ``bounds``
where scipy uses it to keep the points inside a domain); ``initial_step`` to
``scale`` (adaptive) or ``step`` (with ``maxiter=1``, one stencil at that step).
Float32 cases: f's values are rounded to float32 (finitediff passes float64
points; an f computing in float32 returns float32 values).

Not ported, and why:

- ``test_vectorization``: the ``nit``/``nfev``/``status`` equalities count
  scipy's iterations (ported: ``df`` and ``error`` of one vectorised call equal
  those of elementwise calls, and the values against the normal pdf).
- ``test_flags``/``test_flags_preserve_shape``: the member ``exp(x)·rng.random()``
  draws one random factor per call of f (scipy calls f once per iteration,
  finitediff once in all), and ``exp`` with ``rtol=1e-14`` tests scipy's
  ``maxiter`` status; ported: the converging and the NaN members.
- ``test_convergence``: ``tolerances=`` stops scipy's iterations; finitediff
  has no stopping tolerance (ported: the accuracy the tightest setting asks for).
- ``test_step_parameters``: ``step_factor`` and the one-sided ``maxiter=1``
  equivalences are scipy's step-sequence knobs (ported: a smaller explicit
  step gives a smaller error).
- ``test_initial_step``: the vectorised ``initial_step`` array (finitediff's
  ``step`` is one float; the steps are ported one call each).
- ``test_maxiter_callback``, ``test_input_validation``, ``JacobianHessianTest.test_iv``,
  ``TestHessian.test_nfev``, ``TestHessian.test_small_rtol_warning``: scipy's
  iteration counters, callback and messages; finitediff has no such options.
- ``test_special_cases``: ``step_direction=nan`` (no equivalent: ``method`` is a string).
"""

from __future__ import annotations

import numpy as np
import pytest
from peer_checks import check, entry
from scipy import optimize, special, stats
from scipy.stats._distr_params import distcont  # scipy's own case list (private module)
from skips import skip_without

from finitediff import Status, derivative, hessian, jacobian

skip_without("testing")
import mpmath as mp  # noqa: E402


def default_rtol(dtype=np.float64) -> float:
    """xp_assert_close's default: 4·sqrt(eps) of the dtype."""
    return 4 * float(np.finfo(dtype).eps) ** 0.5


def as_dtype(f, dtype):
    """f with its values rounded to ``dtype`` (float64: f itself)."""
    if dtype == np.float64:
        return f
    return lambda x, *args: np.asarray(f(x, *args)).astype(dtype)


# -- TestDerivative -------------------------------------------------------------
@pytest.mark.parametrize("x", [0.6, np.linspace(-0.05, 1.05, 10)], ids=["scalar", "array"])
def test_basic(x):
    res = derivative(special.ndtr, x)
    check(res, stats.norm.pdf(x), rtol=default_rtol())


def _kstwobign_pdf(x: float) -> float:
    # d/dx of 1 - 2 Σ (-1)^(k-1) exp(-2k²x²), summed in mpmath
    with mp.workdps(40):
        x = mp.mpf(x)
        terms = mp.nsum(lambda k: (-1) ** (k - 1) * k * k * mp.e ** (-2 * k * k * x * x),
                        [1, mp.inf])
        return float(8 * x * terms)


def _kstwo_cdf(n: int, d):
    """P(D_n < d) by the Durbin matrix (Marsaglia, Tsang & Wang 2003), in mpmath."""
    k = int(mp.floor(n * d)) + 1
    m, h = 2 * k - 1, k - n * d
    matrix = mp.matrix(m, m)
    for i in range(m):
        for j in range(m):
            matrix[i, j] = 1 if i - j + 1 >= 0 else 0
    for i in range(m):
        matrix[i, 0] -= h ** (i + 1)
        matrix[m - 1, i] -= h ** (m - i)
    if 2 * h - 1 > 0:
        matrix[m - 1, 0] += (2 * h - 1) ** m
    for i in range(m):
        for j in range(m):
            if i - j + 1 > 0:
                matrix[i, j] /= mp.factorial(i - j + 1)
    return (matrix**n)[k - 1, k - 1] * mp.factorial(n) / mp.mpf(n) ** n


def _kstwo_pdf(x: float, n: int) -> float:
    with mp.workdps(40):
        return float(mp.diff(lambda d: _kstwo_cdf(n, d), mp.mpf(x)))


def _pearson3_pdf(x: float, skew: float) -> float:
    # a standardised gamma: shape 4/skew², rate 2/skew, shifted to mean 0
    # (mirrored for a negative skew)
    if skew < 0:
        x, skew = -x, -skew
    with mp.workdps(40):
        a, beta = mp.mpf(4) / skew**2, mp.mpf(2) / skew
        y = beta * (mp.mpf(x) + a / beta)
        return float(beta * mp.exp((a - 1) * mp.log(y) - y - mp.loggamma(a)))


#: scipy's pdf is not the exact derivative of its cdf here: kstwo's pdf is a
#: finite difference of the cdf, kstwobign's is 1e-10 off its series,
#: pearson3's (skew 0.1) 4e-13 off the gamma density it stands for.
EXACT_PDF = {
    "kstwobign": lambda x, params: _kstwobign_pdf(x),
    "kstwo": lambda x, params: _kstwo_pdf(x, *params),
    "pearson3": lambda x, params: _pearson3_pdf(x, *params),
}


#: The cdf is scipy's generic quadrature of the pdf: its error against the exact
#: integral (mpmath) moves by ~2e-14 over ±0.004 around x, so the derivative of
#: the cdf as computed differs from the pdf by ~2e-12 and neither is an exact
#: reference at the level of finitediff's error; only the peer's tolerance is checked.
NO_EXACT_DERIVATIVE = {"gausshyper"}


@pytest.mark.parametrize("case", distcont, ids=[f"{name}-{i}" for i, (name, _) in
                                                 enumerate(distcont)])
def test_accuracy(case):
    name, params = case
    dist = getattr(stats, name)(*params)
    x = dist.median() + 0.1
    with np.errstate(all="ignore"):
        res = derivative(dist.cdf, x)
        reference = dist.pdf(x)
    exact = EXACT_PDF[name](x, params) if name in EXACT_PDF else reference
    check(res, reference, rtol=default_rtol(), atol=1e-10, exact=exact,
          honesty=name not in NO_EXACT_DERIVATIVE)


@pytest.mark.parametrize("order", [1, 6])
@pytest.mark.parametrize("shape", [(), (12,), (3, 4), (3, 2, 2)], ids=str)
def test_vectorization(order, shape):
    x = np.linspace(-0.05, 1.05, 12).reshape(shape) if shape else np.float64(0.6)
    accuracy = order + order % 2  # scipy rounds odd orders up
    res = derivative(special.ndtr, x, accuracy=accuracy)
    single = [derivative(special.ndtr, xi, accuracy=accuracy) for xi in np.ravel(x)]
    np.testing.assert_allclose(np.ravel(res.df), [r.df for r in single], rtol=default_rtol())
    np.testing.assert_allclose(np.ravel(res.error), [r.error for r in single],
                               rtol=default_rtol(), atol=1e-12)
    np.testing.assert_array_equal(np.ravel(res.success), [r.success for r in single])
    check(res, stats.norm.pdf(x), rtol=default_rtol())


def _flag_members(x, member):
    # member 0 converges (x - 2.5); member 3 of scipy's test is NaN everywhere
    return np.where(member == 0, x - 2.5, np.nan)


def test_flags():
    member = np.array([0, 3])
    res = derivative(_flag_members, np.ones(2), args=(member,))
    assert res.status[1] == Status.NONFINITE and not res.success[1]
    assert res.status[0] == Status.SUCCESS
    check(entry(res, 0), 1.0, rtol=default_rtol())


def test_flags_preserve_shape():
    res = jacobian(lambda x: np.stack([x - 2.5, np.full_like(x, np.nan)], axis=-1), 1.0)
    assert res.status[1] == Status.NONFINITE and not res.success[1]
    assert res.status[0] == Status.SUCCESS
    check(entry(res, 0), 1.0, rtol=default_rtol())


def test_preserve_shape():
    def f(x):
        return np.stack([x, np.sin(3 * x), x + np.sin(10 * x), np.sin(20 * x) * (x - 1) ** 2],
                        axis=-1)

    x = 0.0
    expected = [1.0, 3 * np.cos(3 * x), 1 + 10 * np.cos(10 * x),
                20 * np.cos(20 * x) * (x - 1) ** 2 + 2 * np.sin(20 * x) * (x - 1)]
    check(jacobian(f, x), expected, rtol=default_rtol())


def test_convergence():
    # scipy: order=4 with atol=1e-6 (then rtol=1e-6) lands within 1e-6 (1e-6·ref)
    reference = stats.norm.pdf(1.0)
    res = derivative(special.ndtr, 1.0, accuracy=4)
    check(res, reference, atol=min(1e-6, 1e-6 * reference))


def test_step_parameters():
    # initial_step=0.5 vs 0.05 with maxiter=1: one order-8 stencil at that step
    reference = stats.norm.pdf(1.0)
    coarse = derivative(special.ndtr, 1.0, step=0.5, accuracy=8)
    fine = derivative(special.ndtr, 1.0, step=0.05, accuracy=8)
    assert abs(fine.df - reference) < abs(coarse.df - reference)
    check(coarse, reference, allowed=np.inf)
    check(fine, reference, allowed=np.inf)


def test_step_direction():
    def f(x):
        with np.errstate(over="ignore"):
            return np.where((x < 0) | (x > 2), np.nan, np.exp(x))

    x = np.linspace(0, 2, 10)
    res = derivative(f, x, bounds=(0.0, 2.0))
    assert np.all(res.success)
    check(res, np.exp(x), rtol=default_rtol())


@pytest.mark.parametrize("method", ["backward", "central", "forward"])
def test_vectorized_step_direction_args(method):
    x = np.broadcast_to(np.array([1.0, 2.0, 3.0, 4.0])[:, None], (4, 2)).copy()
    p = np.broadcast_to(np.array([2.0, 3.0]), (4, 2)).copy()
    res = derivative(lambda x, p: x**p, x, method=method, args=(p,))
    check(res, p * x ** (p - 1), rtol=default_rtol())


@pytest.mark.parametrize("method", ["backward", "central", "forward"])
def test_initial_step(method):
    # order=2, maxiter=1: one stencil of accuracy 2 at each step; smaller is better
    steps = np.logspace(-3, 0, 10)
    results = [derivative(np.exp, 0.0, step=float(h), accuracy=2, method=method) for h in steps]
    errors = np.array([abs(r.df - 1.0) for r in results])
    assert np.all(errors[:-1] < errors[1:])
    for res in results:
        check(res, 1.0, allowed=np.inf)


@pytest.mark.parametrize("hdir", [-1, 0, 1])
@pytest.mark.parametrize("x", [0.65, [0.65, 0.7]], ids=["scalar", "array"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_dtype(hdir, x, dtype):
    method = {-1: "backward", 0: "central", 1: "forward"}[hdir]
    x = np.asarray(x, dtype=dtype)
    res = derivative(as_dtype(np.exp, dtype), x, accuracy=4, method=method)
    exact = np.exp(x.astype(np.float64))
    check(res, exact, rtol=float(np.finfo(dtype).eps) ** 0.5)


def test_special_cases_integer_x_is_not_passed_to_f():
    def f(x):
        assert np.asarray(x).dtype.kind == "f", "f received integers"
        return x**99 - 1

    res = derivative(f, 7)
    assert res.success
    check(res, 99 * 7.0**98, rtol=default_rtol())


def test_special_cases_zero_step():
    # scipy returns NaN with status -3; finitediff refuses the step up front
    with pytest.raises(ValueError, match="step"):
        derivative(np.exp, 1.0, step=0.0)


@pytest.mark.parametrize("n", range(6))
@pytest.mark.parametrize("how", ["one-stencil", "adaptive"])
def test_special_cases_polynomials(n, how):
    # order=max(1, n) differentiates 2·x**n exactly: scipy asks for rtol=1e-15
    accuracy = max(2, n + n % 2)
    step = 0.5 if how == "one-stencil" else None  # scipy's initial_step with maxiter=1
    res = derivative(lambda x: 2 * x**n, 1.5, accuracy=accuracy, step=step)
    if how == "adaptive":
        assert res.success
    check(res, 2 * n * 1.5 ** (n - 1), rtol=1e-15)


def test_special_cases_scalar_args():
    check(derivative(lambda x, c: c * x - 1, 2.0, args=(3,)), 3.0, rtol=default_rtol())


@pytest.mark.parametrize("method", ["backward", "central", "forward"])
@pytest.mark.parametrize("f", [lambda x: (x - 1) ** 3,
                               lambda x: np.where(x > 1, (x - 1) ** 5, (x - 1) ** 3)],
                         ids=["cubic", "piecewise"])
def test_saddle_gh18811(f, method):
    # scipy marks this xfail for itself: a zero derivative to atol=1e-16
    res = derivative(f, 1.0, method=method)
    assert np.all(res.success)
    check(res, 0.0, atol=1e-16)


# -- TestJacobian ---------------------------------------------------------------
def f1(z):
    x, y = z[..., 0], z[..., 1]
    return np.stack([x**2 * y, 5 * x + np.sin(y)], axis=-1)


def df1(x, y):
    return [[2 * x * y, x**2], [5.0, np.cos(y)]]


def f2(z):
    r, phi = z[..., 0], z[..., 1]
    return np.stack([r * np.cos(phi), r * np.sin(phi)], axis=-1)


def df2(r, phi):
    return [[np.cos(phi), -r * np.sin(phi)], [np.sin(phi), r * np.cos(phi)]]


def f3(z):
    r, phi, th = z[..., 0], z[..., 1], z[..., 2]
    return np.stack([r * np.sin(phi) * np.cos(th), r * np.sin(phi) * np.sin(th),
                     r * np.cos(phi)], axis=-1)


def df3(r, phi, th):
    return [[np.sin(phi) * np.cos(th), r * np.cos(phi) * np.cos(th),
             -r * np.sin(phi) * np.sin(th)],
            [np.sin(phi) * np.sin(th), r * np.cos(phi) * np.sin(th),
             r * np.sin(phi) * np.cos(th)],
            [np.cos(phi), -r * np.sin(phi), 0.0]]


def f4(z):
    x1, x2, x3 = z[..., 0], z[..., 1], z[..., 2]
    return np.stack([x1, 5 * x3, 4 * x2**2 - 2 * x3, x3 * np.sin(x1)], axis=-1)


def df4(x1, x2, x3):
    return [[1.0, 0.0, 0.0], [0.0, 0.0, 5.0], [0.0, 8 * x2, -2.0],
            [x3 * np.cos(x1), 0.0, np.sin(x1)]]


def f5(z):
    x1, x2, x3 = z[..., 0], z[..., 1], z[..., 2]
    return np.stack([5 * x2, 4 * x1**2 - 2 * np.sin(x2 * x3), x2 * x3], axis=-1)


def df5(x1, x2, x3):
    return [[0.0, 5.0, 0.0], [8 * x1, -2 * x3 * np.cos(x2 * x3), -2 * x2 * np.cos(x2 * x3)],
            [0.0, x3, x2]]


def rosen(z):
    return optimize.rosen(np.moveaxis(z, -1, 0))


def drosen(*z):
    return optimize.rosen_der(np.array(z))


#: scipy's examples: function, Jacobian, number of inputs
EXAMPLES = {"f1": (f1, df1, 2), "f2": (f2, df2, 2), "f3": (f3, df3, 3), "f4": (f4, df4, 3),
            "f5": (f5, df5, 3), "rosen": (rosen, drosen, 5)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("size", [(), (6,), (2, 3)], ids=str)
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_examples(dtype, size, name):
    func, reference, m = EXAMPLES[name]
    atol = 1e-10 if dtype == np.float64 else 1.99e-3
    rng = np.random.default_rng(458912319542)
    x = rng.random(size=(m,) + size)
    points = x.reshape(m, -1).T.astype(dtype).astype(np.float64)  # scipy: x in dtype
    for point in points:
        res = jacobian(as_dtype(func, dtype), point)
        check(res, np.asarray(reference(*point), dtype=np.float64), rtol=default_rtol(dtype),
              atol=atol)


def test_attrs():
    # initial_step=10; every entry as computed alone (rtol=1.5e-14), and the exact values
    z = np.array([0.5, 0.25])

    def f(v):
        x, y = v[..., 0], v[..., 1]
        return np.stack([np.cos(0.5 * x) * np.cos(y), np.sin(2 * x) * y**2], axis=-1)

    res = jacobian(f, z, scale=10.0)

    def alone(i, j):  # entry (i, j) from f_i as a function of z_j alone
        def partial(t):
            v = np.broadcast_to(z, t.shape[:-1] + (2,)).copy()
            v[..., j] = t[..., 0]
            return f(v)[..., i]
        return jacobian(partial, z[j:j + 1], scale=10.0).df[0]

    alone = [[alone(i, j) for j in range(2)] for i in range(2)]
    np.testing.assert_allclose(res.df, alone, rtol=1.5e-14)
    x, y = z
    exact = [[-0.5 * np.sin(0.5 * x) * np.cos(y), -np.cos(0.5 * x) * np.sin(y)],
             [2 * np.cos(2 * x) * y**2, 2 * np.sin(2 * x) * y]]
    check(res, exact, rtol=default_rtol())


def test_step_direction_size():
    # f is NaN outside [b0, b0 + 0.25] × [b1 - 0.1, b1] × R; scipy steps inwards
    rng = np.random.default_rng(23892589425245)
    b = rng.random(3)
    eps = 1e-7

    def f(v):
        x = np.array(v, copy=True)
        x[..., 0] = np.where((x[..., 0] < b[0]) | (x[..., 0] > b[0] + 0.25), np.nan, x[..., 0])
        x[..., 1] = np.where((x[..., 1] > b[1]) | (x[..., 1] < b[1] - 0.1 - eps), np.nan,
                             x[..., 1])
        return f5(x)

    lower = [b[0], b[1] - 0.1, -np.inf]
    upper = [b[0] + 0.25, b[1], np.inf]
    res = jacobian(f, b, bounds=(lower, upper), scale=[0.25, 0.1, 0.5])
    check(res, np.array(df5(*b)), atol=1e-8)


# -- TestHessian ----------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (4,), (2, 4)], ids=str)
def test_hessian_example(shape):
    rng = np.random.default_rng(458912319542)
    x = rng.random((3,) + shape)
    for point in x.reshape(3, -1).T:
        res = hessian(rosen, point)
        check(res, optimize.rosen_hess(point), rtol=default_rtol(), atol=1e-8)


def test_hessian_float32():
    rng = np.random.default_rng(458912319542)
    x = rng.random(3).astype(np.float32).astype(np.float64)
    res = hessian(as_dtype(rosen, np.float32), x)
    reference = optimize.rosen_hess(x)
    mask = reference != 0
    allowed = np.where(mask, default_rtol(np.float32) * np.abs(reference),
                       1e-2 * np.min(np.abs(reference[mask])))
    check(res, reference, allowed=allowed)


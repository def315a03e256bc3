"""scipy.optimize's ``approx_derivative`` test cases, run against finitediff.

Source: ``scipy/optimize/tests/test__numdiff.py`` of scipy 1.17.1
(git 527eb7fd7953a1de068f94bf8b322f249b9405ae), as installed with the
package. Every case keeps scipy's function (called one point at a time,
``vectorized=False``, as scipy calls it), point, expected value and tolerance,
calls finitediff's public API and also checks that every entry finitediff
reports as a success is within its error.

scipy's methods map to finitediff's: ``'3-point'`` (scipy's default) to the
default ``method='central'``; ``'2-point'`` to ``method='forward', accuracy=1``
(a one-sided method is the case); ``'cs'`` to ``method='complex'``, which
finitediff has for the elementwise ``derivative`` only. ``abs_step`` (and a
``rel_step`` that fixes the step) maps to ``step``; ``as_linear_operator`` to
``jvp``; ``bounds`` and ``sparsity`` to finitediff's options of the same name.
Float32 outputs: f's values are rounded to float32.

Not ported, and why:

- ``method='cs'`` on functions of a vector (``test_scalar_vector``,
  ``test_vector_scalar``, ``test_vector_vector`` and their ``abs_step`` and
  linear-operator twins, the sparse ``'cs'`` runs): finitediff's complex step
  is for ``derivative`` only.
- ``test_group_columns``'s ``order`` argument, and the precomputed ``groups``
  of ``TestApproxDerivativeSparse.test_all``: finitediff groups the columns
  itself (ported: the groups of the natural order).
- ``test_correct_fp_eps``, ``test__compute_absolute_step``,
  ``TestAdjustSchemeToBounds``: scipy's private step and bound helpers.
- ``test_workers_evaluations_and_nfev`` and the ``workers=`` runs: scipy's
  map-based parallelism and nfev bookkeeping.
- ``test_wrong_dimensions``: finitediff accepts outputs of any shape.
- ``test_options``' per-component ``rel_step`` and ``f0``, ``test_tight_bounds``'
  ``rel_step=1e-6`` runs (a step wider than the bounds, which scipy shrinks),
  the alternating-sign ``rel_step`` of the sparse test and the mixed-sign
  ``abs_step`` of ``test_absolute_step_sign``: finitediff's ``step`` is one
  positive float and its direction is ``method``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse
from peer_checks import check

from finitediff import derivative, gradient, group_columns, jacobian, jvp

TWO_POINT = {"method": "forward", "accuracy": 1}
THREE_POINT: dict = {}
METHODS = {"2-point": TWO_POINT, "3-point": THREE_POINT}


# -- the functions of TestApproxDerivativesDense ---------------------------------
def fun_scalar_scalar(x):
    return np.sinh(x)


def jac_scalar_scalar(x):
    return np.cosh(x)


def fun_scalar_vector(x):
    return np.array([x[0] ** 2, np.tan(x[0]), np.exp(x[0])])


def jac_scalar_vector(x):
    return np.array([2 * x[0], np.cos(x[0]) ** -2, np.exp(x[0])]).reshape(-1, 1)


def fun_vector_scalar(x):
    return np.sin(x[0] * x[1]) * np.log(x[0])


def jac_vector_scalar(x):
    return np.array([
        x[1] * np.cos(x[0] * x[1]) * np.log(x[0]) + np.sin(x[0] * x[1]) / x[0],
        x[0] * np.cos(x[0] * x[1]) * np.log(x[0]),
    ])


def fun_vector_vector(x):
    return np.array([x[0] * np.sin(x[1]), x[1] * np.cos(x[0]), x[0] ** 3 * x[1] ** -0.5])


def jac_vector_vector(x):
    return np.array([
        [np.sin(x[1]), x[0] * np.cos(x[1])],
        [-x[1] * np.sin(x[0]), np.cos(x[0])],
        [3 * x[0] ** 2 * x[1] ** -0.5, -0.5 * x[0] ** 3 * x[1] ** -1.5],
    ])


def fun_parametrized(x, c0, c1=1.0):
    return np.array([np.exp(c0 * x[0]), np.exp(c1 * x[1])])


def jac_parametrized(x, c0, c1):
    return np.array([[c0 * np.exp(c0 * x[0]), 0], [0, c1 * np.exp(c1 * x[1])]])


def fun_with_nan(x):
    return x if np.abs(x) <= 1e-8 else np.nan


def fun_zero_jacobian(x):
    return np.array([x[0] * x[1], np.cos(x[0] * x[1])])


def jac_zero_jacobian(x):
    return np.array([[x[1], x[0]],
                     [-x[1] * np.sin(x[0] * x[1]), -x[0] * np.sin(x[0] * x[1])]])


def fun_non_numpy(x):
    return math.exp(np.asarray(x).item())


def jac(f, x, **options):
    return jacobian(f, x, vectorized=False, **options)


# -- TestApproxDerivativesDense ---------------------------------------------------
@pytest.mark.parametrize(("method", "rtol"), [("2-point", 1e-6), ("3-point", 1e-9),
                                              ("cs", 1e-12)])
@pytest.mark.parametrize("abs_step", [None, 1.49e-8], ids=["default-step", "abs_step"])
def test_scalar_scalar(method, rtol, abs_step):
    options = {"method": "complex"} if method == "cs" else dict(METHODS[method])
    res = derivative(fun_scalar_scalar, 1.0, step=abs_step, vectorized=False, **options)
    if method == "3-point" and abs_step is not None:
        # scipy's rtol=1e-9 here is below the rounding of the difference itself,
        # ε·|f|/h ≈ 1.7e-8 relative: scipy meets it by the luck of its points (x ± 1.49e-8
        # rounded; finitediff's x ± h are exact). The bound must hold all the same.
        rtol = 2e-8
    check(res, jac_scalar_scalar(1.0), rtol=rtol)


@pytest.mark.parametrize(("method", "rtol"), [("2-point", 1e-6), ("3-point", 1e-9)])
def test_scalar_vector(method, rtol):
    res = jac(fun_scalar_vector, [0.5], **METHODS[method])
    check(res, jac_scalar_vector(np.array([0.5])), rtol=rtol)


@pytest.mark.parametrize(("method", "rtol", "abs_step"), [
    ("2-point", 1e-6, None), ("3-point", 1e-7, None),
    ("2-point", 1e-6, 1.49e-8), ("3-point", 3e-9, 1.49e-8),
], ids=["2-point", "3-point", "2-point-abs_step", "3-point-abs_step"])
def test_vector_scalar(method, rtol, abs_step):
    x0 = np.array([100.0, -0.5])
    res = gradient(fun_vector_scalar, x0, step=abs_step, vectorized=False, **METHODS[method])
    check(res, jac_vector_scalar(x0), rtol=rtol)


@pytest.mark.parametrize(("method", "rtol"), [("2-point", 1e-5), ("3-point", 1e-6)])
def test_vector_vector(method, rtol):
    x0 = np.array([-100.0, 0.2])
    check(jac(fun_vector_vector, x0, **METHODS[method]), jac_vector_vector(x0), rtol=rtol)


@pytest.mark.parametrize(("method", "rtol"), [("2-point", 1e-2), ("3-point", 1e-4)])
def test_custom_rel_step(method, rtol):
    # rel_step=1e-4 with |x| < 1: an absolute step of 1e-4
    x0 = np.array([-0.1, 0.1])
    res = jac(fun_vector_vector, x0, step=1e-4, **METHODS[method])
    check(res, jac_vector_vector(x0), rtol=rtol)


@pytest.mark.parametrize(("method", "rtol"), [("2-point", 1e-6), ("3-point", 1e-9)])
def test_options(method, rtol):
    x0 = np.array([1.0, 1.0])
    c0, c1 = -1.0, 1.0
    res = jac(lambda x, c0: fun_parametrized(x, c0, c1=c1), x0, args=(c0,), bounds=(0.0, 2.0),
              **METHODS[method])
    check(res, jac_parametrized(x0, c0, c1), rtol=rtol)


def test_x0_outside_bounds_is_refused():
    # test_with_bounds_2_point and TestApproxDerivativeLinearOperator.test_exception
    with pytest.raises(ValueError, match="bounds"):
        jac(fun_vector_vector, np.array([-2.0, 0.2]), bounds=(-np.ones(2), np.ones(2)))
    with pytest.raises(ValueError, match="bounds"):
        jac(fun_vector_vector, np.array([-100.0, 0.2]), bounds=(1.0, np.inf))


def test_with_bounds_2_point():
    x0 = np.array([-1.0, 1.0])
    res = jac(fun_vector_vector, x0, bounds=(-np.ones(2), np.ones(2)), **TWO_POINT)
    check(res, jac_vector_vector(x0), rtol=1e-6)


@pytest.mark.parametrize("bounds", [None, ([1.0, 1.0], np.inf), (-np.inf, [2.0, 2.0]),
                                    ([1.0, 1.0], [2.0, 2.0])],
                         ids=["none", "lower", "upper", "both"])
def test_with_bounds_3_point(bounds):
    x0 = np.array([1.0, 2.0])
    options = {} if bounds is None else {"bounds": bounds}
    check(jac(fun_vector_vector, x0, **options), jac_vector_vector(x0), rtol=1e-9)


@pytest.mark.parametrize("method", ["2-point", "3-point"])
def test_tight_bounds(method):
    x0 = np.array([10.0, 10.0])
    res = jac(fun_vector_vector, x0, bounds=(x0 - 3e-9, x0 + 2e-9), **METHODS[method])
    # Deviation: scipy asks rtol=1e-6. Steps of at most 2e-9 at x = 10 leave
    # the rounding of f (ε·|f| ≈ 7e-14 for the entry of size 316) at about
    # 3e-5 in the derivative, 2e-6 relative: no estimate is guaranteed
    # better; ours stays inside its error bound (checked) and within 1e-4.
    check(res, jac_vector_vector(x0), rtol=1e-4)


@pytest.mark.parametrize(("method", "rtol"), [("2-point", 1e-6), ("3-point", 1e-9)])
@pytest.mark.parametrize("x0", [0.0, 1e-8])
def test_bound_switches(method, rtol, x0):
    # f is NaN outside [-1e-8, 1e-8]; rel_step=1e-6 is larger than the whole interval
    res = derivative(fun_with_nan, x0, bounds=(-1e-8, 1e-8), vectorized=False,
                     **METHODS[method])
    check(res, 1.0, rtol=rtol)


@pytest.mark.parametrize(("method", "rtol"), [("2-point", 1e-6), ("3-point", 1e-8)])
def test_non_numpy(method, rtol):
    res = derivative(fun_non_numpy, 1.0, vectorized=False, **METHODS[method])
    check(res, math.exp(1.0), rtol=rtol)


def test_non_numpy_complex_step_is_refused():
    # math.exp cannot take complex numbers: scipy raises TypeError
    with pytest.raises((TypeError, ValueError), match="complex"):
        derivative(fun_non_numpy, 1.0, method="complex", vectorized=False)


def _fp_problem():
    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 100, dtype=np.float64)
    y = rng.random(size=100, dtype=np.float64)
    return x, y


def err(p, x, y):
    return p[0] + p[1] * x - y


@pytest.mark.parametrize("method", ["2-point", "3-point"])
@pytest.mark.parametrize("variant", ["float64", "float32-input", "float32-output"])
def test_fp(method, variant):
    # the Jacobian of p0 + p1·x - y is [1, x]; scipy compares with atol=1e-3
    x, y = _fp_problem()
    p0 = np.array([-1.0, -1.0], dtype=np.float32 if variant == "float32-input" else np.float64)
    f = (lambda p, x, y: err(p, x, y).astype(np.float32)) if variant == "float32-output" else err
    res = jac(f, p0, args=(x, y), **METHODS[method])
    check(res, np.stack([np.ones_like(x), x], axis=-1), atol=1e-3)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64],
                         ids=["float16", "float32", "float64"])
def test_fp_error_bound_2_point(dtype):
    # sin at 1 by 2-point with h = sqrt(eps) of the dtype; scipy's bound on the error
    eps = float(np.finfo(dtype).eps)
    h = eps**0.5
    truncation = h / 2 * max(abs(np.sin(1.0)), abs(np.sin(1.0 + h)))
    roundoff = eps / h * max(abs(np.sin(1.0)), abs(np.sin(1.0 + h)))
    res = derivative(lambda x: np.sin(x).astype(dtype), 1.0, step=h, **TWO_POINT)
    check(res, np.cos(1.0), atol=truncation + roundoff)


def check_derivative_allowed(reference, accuracy):
    """scipy's check_derivative: max |J - J_fd| / max(1, |J_fd|) below ``accuracy``."""
    return accuracy * np.maximum(1.0, np.abs(reference))


def test_check_derivative():
    x0 = np.array([-10.0, 10.0])
    reference = jac_vector_vector(x0)
    res = jac(fun_vector_vector, x0)
    check(res, reference, allowed=check_derivative_allowed(reference, 1e-9))


def test_check_derivative_zero_jacobian():
    x0 = np.array([0.0, 0.0])
    check(jac(fun_zero_jacobian, x0), jac_zero_jacobian(x0), atol=0.0)


def test_check_derivative_with_args():
    def f(x, arg):
        assert arg == 42
        return fun_vector_vector(x)

    x0 = np.array([-10.0, 10.0])
    reference = jac_vector_vector(x0)
    res = jac(f, x0, args=(42,))
    check(res, reference, allowed=check_derivative_allowed(reference, 1e-9))


# -- TestApproxDerivativeSparse (Numerical Optimization, 2nd ed., p. 198) -----------
N = 50
LOWER = -0.1 * (1 + np.arange(N))
UPPER = 0.1 * (1 + np.arange(N))
X0 = np.where(np.arange(N) % 2 == 0, (1 - 1e-7) * LOWER, (1 - 1e-7) * UPPER)


def sparse_fun(x):
    e = x[1:] ** 3 - x[:-1] ** 2
    return np.hstack((0, 3 * e)) + np.hstack((2 * e, 0))


def sparse_jac(x):
    n = x.size
    J = np.zeros((n, n))
    J[0, 0] = -4 * x[0]
    J[0, 1] = 6 * x[1] ** 2
    for i in range(1, n - 1):
        J[i, i - 1] = -6 * x[i - 1]
        J[i, i] = 9 * x[i] ** 2 - 4 * x[i]
        J[i, i + 1] = 6 * x[i + 1] ** 2
    J[-1, -1] = 9 * x[-1] ** 2
    J[-1, -2] = -6 * x[-2]
    return J


def structure(n):
    A = np.zeros((n, n), dtype=int)
    A[0, :2] = 1
    for i in range(1, n - 1):
        A[i, i - 1:i + 2] = 1
    A[-1, -2:] = 1
    return A


@pytest.mark.parametrize("transform", [np.asarray, scipy.sparse.csr_array,
                                       scipy.sparse.csc_array, scipy.sparse.lil_array],
                         ids=["dense", "csr", "csc", "lil"])
def test_group_columns(transform):
    pattern = transform([[1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0], [0, 1, 1, 1, 0, 0],
                         [0, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 1, 1],
                         [0, 0, 0, 0, 0, 0]])
    np.testing.assert_array_equal(group_columns(pattern), [0, 1, 2, 0, 1, 2])


@pytest.mark.parametrize("method", ["2-point", "3-point"])
@pytest.mark.parametrize("lower", ["-inf", "lb"])
@pytest.mark.parametrize("upper", ["inf", "ub"])
def test_sparse_all(method, lower, upper):
    bounds = (-np.inf if lower == "-inf" else LOWER, np.inf if upper == "inf" else UPPER)
    options = {} if (lower, upper) == ("-inf", "inf") else {"bounds": bounds}
    res = jac(sparse_fun, X0, sparsity=structure(N), **options, **METHODS[method])
    assert scipy.sparse.issparse(res.df)
    check(res, sparse_jac(X0), rtol=1e-6)


@pytest.mark.parametrize("method", ["2-point", "3-point"])
def test_sparse_explicit_step(method):
    # rel_step=±1e-8 with |x| < 1: an absolute step of 1e-8
    res = jac(sparse_fun, X0, sparsity=structure(N), step=1e-8, **METHODS[method])
    check(res, sparse_jac(X0), rtol=1e-5)


@pytest.mark.parametrize("method", ["2-point", "3-point"])
def test_sparse_equivalence(method):
    dense_res = jac(sparse_fun, X0, **METHODS[method])
    sparse_res = jac(sparse_fun, X0, sparsity=np.ones((N, N), dtype=int), **METHODS[method])
    check(sparse_res, dense_res.df, rtol=5e-16, atol=7e-15, exact=sparse_jac(X0))


def test_sparse_check_derivative():
    reference = sparse_jac(X0)
    res = jac(sparse_fun, X0, bounds=(LOWER, UPPER))
    check(res, reference, allowed=check_derivative_allowed(reference, 1e-9))


# -- TestApproxDerivativeLinearOperator: J·p by jvp ----------------------------------
LINEAR_OPERATOR = {
    # name: function, point, Jacobian, rtol for 2-point and 3-point
    "scalar_scalar": (fun_scalar_scalar, np.array([1.0]),
                      lambda x: np.array([[jac_scalar_scalar(x[0])]]), 1e-5, 5e-6),
    "scalar_vector": (fun_scalar_vector, np.array([0.5]), jac_scalar_vector, 1e-5, 5e-6),
    "vector_scalar": (fun_vector_scalar, np.array([100.0, -0.5]), jac_vector_scalar, 1e-5, 5e-6),
    "vector_vector": (fun_vector_vector, np.array([-100.0, 0.2]), jac_vector_vector, 1e-5, 1e-6),
}


@pytest.mark.parametrize("draw", range(10))
@pytest.mark.parametrize("method", ["2-point", "3-point"])
@pytest.mark.parametrize("name", list(LINEAR_OPERATOR))
def test_linear_operator(name, method, draw):
    f, x0, jacobian_of, rtol_2, rtol_3 = LINEAR_OPERATOR[name]
    rng = np.random.default_rng(11290049580398)
    for _ in range(draw + 1):
        p = rng.uniform(-10, 10, size=x0.shape)
    res = jvp(f, x0, p, vectorized=False, **METHODS[method])
    check(res, np.asarray(jacobian_of(x0)).dot(p), rtol=rtol_2 if method == "2-point" else rtol_3)


# -- test_absolute_step_sign (gh-12487) ---------------------------------------------
def double_kink(x):
    # first component \\/, second /\\ at x = [-1, -1]
    return -np.abs(x[0] + 1) + np.abs(x[1] + 1)


@pytest.mark.parametrize(("method", "bounds", "expected"), [
    ("forward", None, [-1.0, 1.0]),
    ("backward", None, [1.0, -1.0]),
    ("forward", (-np.inf, -1.0), [1.0, -1.0]),  # a forward step turns back at the bound
    ("backward", (-1.0, np.inf), [-1.0, 1.0]),
], ids=["forward", "backward", "forward-upper-bound", "backward-lower-bound"])
def test_absolute_step_sign(method, bounds, expected):
    options = {} if bounds is None else {"bounds": bounds}
    res = gradient(double_kink, [-1.0, -1.0], method=method, accuracy=1, step=1e-8,
                   vectorized=False, **options)
    check(res, expected, rtol=1e-7)


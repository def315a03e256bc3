"""The two assertions every ported peer case makes.

1. The peer's own tolerance: ``|df - expected| <= allowed``, with ``allowed``
   built the way the peer's assertion builds it (numpy's ``assert_allclose``:
   ``atol + rtol·|expected|``; Julia's ``isapprox``:
   ``max(atol, rtol·max(|df|, |expected|))``; or given entry by entry).
2. Honesty: wherever finitediff reports success (``success`` may be an array),
   ``|df - exact| <= error``. ``exact`` is the true derivative at the float64
   point (analytic, or mpmath); a float64 reference carries its own rounding,
   so it may be off by ``REFERENCE_ULPS`` units in the last place.

Both are evaluated before anything is raised, so a failing case says everything
that is wrong with it in one line: where, df, expected, error, success.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import scipy.sparse

#: Rounding allowed in a reference that was itself computed in float64.
REFERENCE_ULPS = 4


def dense(value) -> np.ndarray:
    """A scipy.sparse result as a dense array; anything else as an array."""
    return value.toarray() if scipy.sparse.issparse(value) else np.asarray(value)


def numpy_allowed(expected, *, rtol=0.0, atol=0.0) -> np.ndarray:
    """numpy.testing.assert_allclose: ``atol + rtol·|expected|``."""
    return atol + rtol * np.abs(expected)


def julia_allowed(df, expected, *, rtol=0.0, atol=0.0) -> np.ndarray:
    """Julia's isapprox: ``max(atol, rtol·max(|df|, |expected|))``."""
    return np.maximum(atol, rtol * np.maximum(np.abs(df), np.abs(expected)))


def _describe(index, df, expected, error, success) -> str:
    at = "" if not index else f"[{', '.join(map(str, index))}]"
    return (f"df{at}={df[index]!r} expected={expected[index]!r} "
            f"error={error[index]!r} success={bool(success[index])}")


def check(res, expected, *, rtol=0.0, atol=0.0, allowed=None, exact=None,
          julia=False, honesty=True) -> None:
    """Assert the peer's tolerance and the honesty of ``res`` (see the module docstring).

    Parameters
    ----------
    res : DerivativeResult or namespace with df, error, success
    expected : array_like
        The peer's expected value (broadcast to the shape of ``df``).
    rtol, atol : float
        The peer's tolerance, numpy style (or Julia style with ``julia=True``).
    allowed : array_like, optional
        The peer's tolerance entry by entry, replacing rtol/atol.
    exact : array_like, optional
        Reference for the honesty check; defaults to ``expected``.
    julia : bool
        Build the tolerance as Julia's ``isapprox`` does.
    honesty : bool
        False only where no exact reference exists (the case says why).
    """
    df = dense(res.df)
    error = np.broadcast_to(dense(res.error).astype(np.float64), df.shape)
    success = np.broadcast_to(dense(res.success).astype(bool), df.shape)
    expected = np.broadcast_to(np.asarray(expected), df.shape)
    exact = expected if exact is None else np.broadcast_to(np.asarray(exact), df.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.abs(df - expected)
        if allowed is None:
            allowed = (julia_allowed(df, expected, rtol=rtol, atol=atol) if julia
                       else numpy_allowed(expected, rtol=rtol, atol=atol))
        allowed = np.broadcast_to(allowed, df.shape)
        missed = ~(gap <= allowed)
        true_error = np.abs(df - exact)
        slack = REFERENCE_ULPS * np.spacing(np.abs(exact).astype(np.float64))
        dishonest = success & ~(true_error <= error + slack) & honesty
    problems = []
    if missed.any():
        with np.errstate(invalid="ignore"):
            score = np.where(missed, np.nan_to_num(gap - allowed, nan=np.inf), -np.inf)
        worst = np.unravel_index(np.argmax(score), df.shape)
        problems.append(
            f"peer tolerance missed at {int(missed.sum())} of {df.size} entries; worst: "
            f"{_describe(tuple(worst), df, expected, error, success)} "
            f"|df-expected|={gap[tuple(worst)]:.3g} allowed={allowed[tuple(worst)]:.3g}")
    if dishonest.any():
        excess = np.where(dishonest, np.nan_to_num(true_error / np.maximum(error, 1e-300),
                                                   nan=np.inf), -np.inf)
        worst = np.unravel_index(np.argmax(excess), df.shape)
        problems.append(
            f"bound does not hold with success=True at {int(dishonest.sum())} of {df.size} "
            f"entries; worst: {_describe(tuple(worst), df, exact, error, success)} "
            f"|df-exact|={true_error[tuple(worst)]:.3g} "
            f"({true_error[tuple(worst)] / max(error[tuple(worst)], 1e-300):.3g}x the error)")
    assert not problems, " | ".join(problems)


def diagonal(res) -> SimpleNamespace:
    """The diagonal of a Hessian result (numdifftools' Hessdiag), as a result-like value."""
    def diag(a):
        a = dense(a)
        return np.diagonal(a) if a.ndim == 2 else a

    success = np.broadcast_to(dense(res.success), np.shape(dense(res.df)))
    return SimpleNamespace(df=diag(res.df), error=diag(res.error), success=diag(success))


def entry(res, index) -> SimpleNamespace:
    """One entry (or slice) of a result, as a result-like value."""
    df = dense(res.df)
    success = np.broadcast_to(dense(res.success), df.shape)
    error = np.broadcast_to(dense(res.error), df.shape)
    return SimpleNamespace(df=df[index], error=error[index], success=success[index])

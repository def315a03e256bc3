"""How an entry is judged: a tolerance from the error bound, never below a floor.

A derivative under test ``a`` and a finite-difference estimate ``d`` with
error bound ``E`` agree when ``|a − d| <= T``. Three things can make them
differ without a bug, and ``T`` covers each:

- the finite-difference error, bounded by ``E`` (the engine's bound);
- the rounding of ``a`` itself: at least ``16·ε·|a|``, more where ``a`` is a
  sum of terms that cancel. That rounding is measured: ``a`` is computed
  again at two points a few ulps away from x, and the spread of the three
  values shows how much of ``a`` is rounding (a cancelling sum rounds
  differently at each point); for a directional derivative the terms of
  the dot product ``Σ w_j u_j`` are known, and ``ε·Σ|w_j u_j|`` counts too;
- noise in f that the error bound missed: an abnormally small ``E`` must
  not raise a false alarm. Before an entry is called a mismatch its
  estimate is repeated with another stencil (the two must agree within their
  bounds, else the bound widens to cover both) and, where f may be noisy,
  the noise level σ is measured (ECnoise) and ``T`` is kept above the noise
  amplification ``σ·Σ|w| / h^n`` of the stencil at the step used.

``T = SAFETY·(E + R)`` where ``R`` is the rounding of ``a``, at least the
noise floor. With ``rtol`` / ``atol`` the tolerance is the user's,
``atol + rtol·|a|``. Either way an entry reports the smallest relative
bug it would have caught: ``(T + E) / |a|``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SAFETY", "UNDECIDED", "autodiff_rounding", "decide", "detectable", "noise_floor",
    "perturbed_points", "tolerance", "value_rounding",
]

EPS = float(np.finfo(np.float64).eps)
#: The tolerance is this multiple of (finite-difference error + rounding of the value).
SAFETY = 2.0
#: The rounding of a value under test is at least this many ε·|value|.
VALUE_ROUNDING = 16.0
#: Multiple of the spread of the value over ulp-level moves of x.
SPREAD_FACTOR = 4.0
#: Multiple of the noise amplification σ·Σ|w|/h^n kept as a floor.
NOISE_FACTOR = 10.0
#: An entry whose tolerance exceeds this fraction of its scale is undecided.
UNDECIDED = 1e-4
#: Relative moves of x (in units of ε) at which the value under test is recomputed.
PERTURBATION = 4.0


def perturbed_points(x: np.ndarray, count: int = 2) -> np.ndarray:
    """``x`` and ``count`` points a few ulps away, shape ``(count + 1, d)``.

    Deterministic (a fixed generator), so a check repeats exactly.
    """
    rng = np.random.default_rng(20240611)
    size = np.maximum(np.abs(x), np.max(np.abs(x), initial=0.0) * 1e-3 + 1e-300)
    signs = rng.choice([-1.0, 1.0], size=(count,) + x.shape)
    return np.concatenate([x[None], x + signs * PERTURBATION * EPS * size])


def value_rounding(value, *, epsilon: float = EPS) -> np.ndarray:
    """The least rounding of a computed value: ``VALUE_ROUNDING·ε·|value|``."""
    return VALUE_ROUNDING * epsilon * np.abs(value)


def autodiff_rounding(values: np.ndarray, *, epsilon: float = EPS, terms=None) -> np.ndarray:
    """Rounding of a value under test from its values at :func:`perturbed_points`.

    ``values`` has a leading axis over the points (x first). ``terms``, where
    known, is ``Σ|terms|`` of the sum that computed the value. ``epsilon`` is
    the machine epsilon of the arithmetic (float32's for a float32 model,
    whose inputs do not see ulp-level moves of a float64 x).
    """
    value = values[0]
    spread = np.max(np.abs(values - value), axis=0)
    rounding = np.maximum(value_rounding(value, epsilon=epsilon), SPREAD_FACTOR * spread)
    if terms is not None:
        rounding = np.maximum(rounding, VALUE_ROUNDING * epsilon * np.asarray(terms))
    return rounding


def noise_floor(noise, step, *, weight_sum: float = 1.0, n: int = 1) -> np.ndarray:
    """``NOISE_FACTOR·σ·Σ|w| / h^n``: what noise σ does to a stencil at step h."""
    with np.errstate(divide="ignore", invalid="ignore"):
        floor = NOISE_FACTOR * np.asarray(noise) * weight_sum / np.abs(step) ** n
    return np.where(np.isfinite(floor), floor, 0.0)


def tolerance(error, rounding, floor=0.0, *, value=None, rtol=None, atol=None) -> np.ndarray:
    """The tolerance of an entry: derived (``SAFETY·(E + R)``, at least ``floor``) or the user's."""
    if rtol is not None or atol is not None:
        return (atol or 0.0) + (rtol or 0.0) * np.abs(value)
    return np.maximum(SAFETY * (np.asarray(error) + np.asarray(rounding)), floor)


def detectable(tolerance, error, value) -> np.ndarray:
    """The smallest relative error of ``value`` that exceeds the tolerance for sure."""
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = (np.asarray(tolerance) + np.asarray(error)) / np.abs(value)
    return np.where(np.isnan(relative), np.inf, relative)


def decide(difference, tol, error, scale, usable, *, user_tolerance: bool):
    """Verdict codes per entry: 0 agree, 1 mismatch, 2 unresolved.

    Derived tolerance: a difference above ``tol`` is a mismatch; agreement is
    undecided when ``tol`` exceeds ``UNDECIDED·scale`` (the estimate cannot
    tell a bug of that size from its own error). A user tolerance: agreement
    needs the error bound within it too, a mismatch a difference above
    ``tol + error``. Where the estimate is not usable (its status says it did
    not converge, f was not finite) the entry is undecided.
    """
    difference, tol, error = (np.asarray(a, dtype=np.float64) for a in (difference, tol, error))
    if user_tolerance:
        mismatch = difference > tol + error
        agree = (difference <= tol) & (error <= tol)
    else:
        mismatch = difference > tol
        agree = ~mismatch & ~(tol > UNDECIDED * np.asarray(scale))
    codes = np.where(mismatch, 1, np.where(agree, 0, 2))
    return np.where(usable, codes, 2)

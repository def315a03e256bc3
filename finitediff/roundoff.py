"""Round-off measured from the samples an adaptive round already has.

The model ``|error of f(y)| ≈ ε·|f(y)|`` fails where f is computed by
cancellation: ``x − sin(x)`` near 0, or a loss summed over many terms of
both signs, is tiny while the rounding of its terms is not. The rounding is
in the samples, though. Along one direction the finest rows of a round hold
about a dozen values of a smooth function on a short interval; a polynomial
of modest degree fits the smooth part to far below ε, so the residual of a
least-squares fit measures the rounding. Two fits tell rounding from
curvature: the residual of a smooth function's truncation grows like
``span^(degree + 1)`` when the interval doubles, while rounding stays level
(or grows at most in proportion, where it scales with |t|). Only a residual
that passes that test is taken as a noise level; so is the noise of a noisy
black box, as long as it stays below ``MAX_RELATIVE_LEVEL·max|f|``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["measured_noise", "FIT_DEGREE", "FIT_ROWS", "LEVEL_RATIO", "MAX_RELATIVE_LEVEL"]

#: Degree of the fitted polynomial and rows (finest first) it is fitted on.
FIT_DEGREE = 8
FIT_ROWS = 6
#: A residual on the doubled interval at most this many times the fine one
#: is rounding, not curvature (curvature would give 2^(FIT_DEGREE + 1) = 512).
LEVEL_RATIO = 8.0
#: A residual above this fraction of max|f| over the round is a function the
#: polynomial cannot follow at all (many oscillations inside the interval),
#: where both fits fail alike; it is not taken for noise.
MAX_RELATIVE_LEVEL = 1e-6


def _residual(t: np.ndarray, values: np.ndarray) -> np.ndarray:
    """RMS residual per column of a least-squares polynomial fit in ``t``."""
    basis = np.vander(t / np.max(np.abs(t)), FIT_DEGREE + 1)
    q, _ = np.linalg.qr(basis)
    with np.errstate(all="ignore"):
        residual = values - q @ (q.T @ values)
        return np.sqrt(np.sum(np.abs(residual) ** 2, axis=0) / (len(t) - FIT_DEGREE - 1))


def measured_noise(factors: np.ndarray, values: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Noise level per column of ``values`` (0 where it cannot be measured).

    Parameters
    ----------
    factors : ndarray, shape ``(F,)``
        The distinct ``t = o·s_q`` of a round, sorted, as ``values`` rows.
    values : ndarray, shape ``(F, m)``
        ``f(x + t·D)`` for m output elements.
    scales : ndarray
        The round's scales, largest first.
    """
    count = values.shape[1]
    if len(scales) < FIT_ROWS + 1:
        return np.zeros(count)
    fine_span = scales[-FIT_ROWS] * np.max(np.abs(factors)) / scales[0]
    fine = np.abs(factors) <= fine_span * (1 + 1e-12)
    coarse = np.abs(factors) <= 2 * fine_span * (1 + 1e-12)
    if fine.sum() <= FIT_DEGREE + 2 or coarse.sum() <= FIT_DEGREE + 2:
        return np.zeros(count)
    level = _residual(factors[fine], values[fine])
    wider = _residual(factors[coarse], values[coarse])
    with np.errstate(invalid="ignore"):
        scale = np.max(np.where(np.isfinite(values), np.abs(values), 0.0), axis=0)
        rounding = (np.isfinite(level) & np.isfinite(wider) & (wider <= LEVEL_RATIO * level)
                    & (level <= MAX_RELATIVE_LEVEL * scale))
    return np.where(rounding, level, 0.0)

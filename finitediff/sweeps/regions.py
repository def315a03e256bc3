"""Which term dominates the error at each step: round-off, truncation, or neither.

For one method at one point, with the steps ascending:

- ``invalid``: the estimate (or the error) is not finite;
- ``truncation``: right of the optimum, and the error is more than
  ``DOMINANCE`` times the round-off the theory allows at that step
  (``ε·Σ|w|·max|f| / h^n``, a bound: rounding alone cannot explain it);
- ``roundoff``: left of the optimum, where the truncation arm,
  fitted to the rows above and extended, is below ``1/DOMINANCE`` of that
  round-off (without a truncation arm: every row left of the optimum);
- ``balanced``: the rest, around the optimum, where both terms count.

The optimum is the smallest error of the curve smoothed by a running mean
over ``WINDOW`` steps, so that a lucky cancellation deep in the round-off
region is not taken for it: for a first derivative the rounding errors of
the two values cancel exactly at a good share of the steps (an error of 0).
"""

from __future__ import annotations

import numpy as np

__all__ = ["DOMINANCE", "REGIONS", "WINDOW", "classify", "optimum_index"]

REGIONS = ("roundoff", "balanced", "truncation", "invalid")
#: How much larger one term must be than the other for it to dominate.
DOMINANCE = 100.0
#: Steps in the running mean that locates the optimum (half a decade at 8 per decade).
WINDOW = 5


def optimum_index(errors: np.ndarray) -> tuple[int, float]:
    """The row of the smallest running-mean error, and that mean; ties go to the larger
    step. ``(-1, nan)`` when no error is finite."""
    finite = np.isfinite(errors)
    if not np.any(finite):
        return -1, float("nan")
    kernel, pad = np.ones(WINDOW), WINDOW // 2

    def window_sum(values):  # the sum over each row's window, cut at the ends
        return np.convolve(np.pad(values, pad), kernel, mode="valid")

    sums = window_sum(np.where(finite, errors, 0.0))
    counts = window_sum(finite.astype(float))
    means = np.where(finite, sums / np.maximum(counts, 1), np.inf)
    best = len(means) - 1 - int(np.argmin(means[::-1]))
    return best, float(means[best])


def _extended_arm(steps: np.ndarray, errors: np.ndarray):
    """The truncation arm's line, ``step -> error``, by the median of the pairwise slopes
    in log-log (Theil–Sen, without the intervals the fit reports); None without one."""
    keep = (errors > 0) & np.isfinite(errors)
    if np.count_nonzero(keep) < 2:
        return None
    x, y = np.log10(steps[keep]), np.log10(errors[keep])
    i, j = np.triu_indices(len(x), k=1)
    slope = float(np.median((y[j] - y[i]) / (x[j] - x[i])))
    if not slope > 0:
        return None
    intercept = float(np.median(y) - slope * np.median(x))
    return lambda h: 10.0 ** (intercept + slope * np.log10(h))


def classify(steps: np.ndarray, errors: np.ndarray, roundoff: np.ndarray) -> np.ndarray:
    """The region of every row, an array of strings; ``steps`` ascending, ``roundoff``
    the theory's round-off at each step."""
    regions = np.full(steps.shape, "invalid", dtype=object)
    valid = np.isfinite(errors) & np.isfinite(steps)
    if not np.any(valid):
        return regions.astype(str)
    index = np.arange(len(steps))
    best = optimum_index(np.where(valid, errors, np.nan))[0]
    truncation = valid & (index > best) & (errors > DOMINANCE * roundoff)
    line = _extended_arm(steps[truncation], errors[truncation])
    if line is not None:
        with np.errstate(invalid="ignore"):
            roundoff_rows = valid & (index < best) & (line(steps) * DOMINANCE < roundoff)
    else:
        roundoff_rows = valid & (index < best)
    regions[valid] = "balanced"
    regions[truncation] = "truncation"
    regions[roundoff_rows] = "roundoff"
    return regions.astype(str)

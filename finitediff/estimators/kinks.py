"""Is f smooth at x? One-sided estimates from the points a ladder already has.

The central stencils average the two sides of x: at a kink of ``|x|`` they
return 0, the mean of the one-sided derivatives, and converge to it. The
ladder evaluates f at the centre and at ``±s_q`` for every row, so the
forward and backward n-th derivatives ``F_q`` and ``B_q`` come for free from
one-sided stencils on the points ``0, s_q, s_(q−1), …`` (accuracy 1). For a
smooth f their difference ``G_q = F_q − B_q`` shrinks like ``s_q``; where a
derivative of order <= n jumps at x it does not. Comparing G at two rows a
factor of at least 4 apart tells the two apart.

For the estimates that never converged, :func:`divergence` reads the finest
rows: ``|T_q|`` growing like ``s_q^-j`` is a derivative of order ``n − j``
that does not exist (a jump of f for j = n, a kink for j = n − 1).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..stencil import fornberg_weights
from .ladder import Ladder

__all__ = ["OneSided", "one_sided", "smoothness", "divergence"]

#: G must stay above this many times its rounding to count as a kink ...
KINK_ROUNDING = 10.0
#: ... and above this fraction of the one-sided values themselves.
KINK_RELATIVE = 1e-6
#: Rows compared are at least this factor apart in step.
KINK_SPAN = 4.0
#: Divergence: |T| must grow by at least s^-DIVERGENCE_EXPONENT over the rows read.
DIVERGENCE_EXPONENT = 0.5


@dataclass(frozen=True)
class OneSided:
    """Forward stencil of order n on the ladder's own positive points.

    ``points[i] = (o, j)``: the point ``o·s_(q−j)`` of the ladder (offset o of
    the row j rows up), at ``offsets[i + 1]`` in units of ``s_q``.
    """

    points: tuple
    offsets: tuple
    weights: np.ndarray


@functools.lru_cache(maxsize=64)
def one_sided(ladder: Ladder) -> OneSided | None:
    """The forward stencil (the backward one mirrors it), or None if the ladder
    has no centre or no point on one side."""
    positive = sorted(o for o in ladder.offsets if o > 0)
    if 0 not in ladder.offsets or not positive:
        return None
    n = ladder.stencil.n
    # The positive points of rows q, q−1, …: o·s_q·ratio^j; keep the n smallest distinct.
    found: dict[float, tuple] = {}
    for j in range(n + 1):
        for o in positive:
            found.setdefault(round(o * ladder.ratio**j, 9), (o, j))
    chosen = sorted(found)[:n]
    offsets = (0.0,) + tuple(float(o * ladder.ratio**j) for o, j in (found[c] for c in chosen))
    weights = fornberg_weights(offsets, n)[n]
    return OneSided(tuple(found[c] for c in chosen), offsets, weights)


def _span_rows(ladder: Ladder) -> int:
    return max(1, int(math.ceil(math.log(KINK_SPAN) / math.log(ladder.ratio) - 1e-9)))


def smoothness(sides, ladder: Ladder, row, epsilon):
    """Per element: kink flag and the one-sided values at ``row``.

    Parameters
    ----------
    sides : callable
        ``sides(q, epsilon)`` returns ``(forward, backward, rounding)``: the
        one-sided stencil values at row q per element (NaN where the row is
        out of range) and their rounding.
    row : ndarray of int
        The row the estimate was taken at, per element (-1: none).
    epsilon : float or ndarray
        The rounding of f's values relative to their size.
    """
    stencil = one_sided(ladder)
    size = row.shape[0]
    nan = np.full(size, np.nan)
    if stencil is None:
        return np.zeros(size, dtype=bool), nan, nan
    span = _span_rows(ladder)
    forward, backward, rounding = sides(row, epsilon)
    coarse_forward, coarse_backward, _ = sides(row - span, epsilon)
    with np.errstate(all="ignore"):
        gap = np.abs(forward - backward)
        coarse_gap = np.abs(coarse_forward - coarse_backward)
        ratio = ladder.ratio ** span
        # smooth: the gap shrinks like s; a kink keeps it (allow half the shrink, in log)
        kink = ((gap > KINK_ROUNDING * rounding)
                & (gap > KINK_RELATIVE * np.maximum(np.abs(forward), np.abs(backward)))
                & (gap * math.sqrt(ratio) >= coarse_gap)
                & (row - span >= 0))
    return kink & np.isfinite(gap), forward, backward


def divergence(table, steps, rows: int):
    """Exponent j of ``T ∝ s^-j`` over the finest ``rows`` rows (NaN where it does not fit).

    A jump or singularity gives estimates of one sign whose size follows a
    power of the step, ``|T_q|·s_q^j`` nearly constant; the aliased values of
    a function oscillating faster than the steps grow too, but with no steady
    sign or amplitude, and do not count.
    """
    if table.shape[0] < rows or rows < 3:
        return np.full(table.shape[1:], np.nan)
    part = table[-rows:]
    log_steps = np.log(np.abs(steps[-rows:])).reshape((rows,) + (1,) * (table.ndim - 1))
    with np.errstate(all="ignore"):
        logs = np.log(np.abs(part))
        slope = (logs[-1] - logs[0]) / (log_steps[0] - log_steps[-1])
        amplitude = logs + slope * log_steps       # log(|T|·s^j), constant for a power law
        steady = np.max(amplitude, axis=0) - np.min(amplitude, axis=0) <= math.log(2.0)
        one_sign = np.all(np.sign(part) == np.sign(part[-1]), axis=0)
    return np.where(steady & one_sign & np.isfinite(slope), slope, np.nan)

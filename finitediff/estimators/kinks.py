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
#: Rows compared are at least this factor apart in step (smooth, the gap
#: shrinks by it; at a jump it does not).
KINK_SPAN = 2.0
#: One-sided values that scatter count as an oscillation only when they
#: differ by this fraction of themselves (rounding scatters them far less).
ERRATIC_RELATIVE = 1e-2
#: A kink's gap stays within this factor over the rows compared.
STEADY = 2.0
#: Rows of gaps that must follow the power law where the rows after the
#: window are too coarse (the finest ones above rounding: f of float32 values
#: has few rows between its scale and its rounding).
DEEP_ROWS = 3
#: A gap this many times its rounding that scatters is an oscillation in the
#: part of f the central stencils cannot see.
LOUD = 100.0
#: A power law of the gaps: the least power of s, and how far the powers read
#: from consecutive pairs of rows may spread.
MIN_POWER = 0.5
POWER_SPREAD = 0.75
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
    order: int


@functools.lru_cache(maxsize=64)
def one_sided(ladder: Ladder, order: int | None = None) -> OneSided | None:
    """The forward stencil of ``order`` (default the ladder's; the backward one
    mirrors it) on the ladder's own points, or None unless the ladder is
    symmetric and has the centre. Order 0 is the value at the nearest point."""
    positive = sorted(o for o in ladder.offsets if o > 0)
    if 0 not in ladder.offsets or not positive or not ladder.symmetric:
        return None
    n = ladder.stencil.n if order is None else order
    if n == 0:
        return OneSided(((positive[0], 0),), (0.0, float(positive[0])), np.array([0.0, 1.0]), 0)
    # The positive points of rows q, q−1, …: o·s_q·ratio^j; keep the n smallest distinct.
    found: dict[float, tuple] = {}
    for j in range(n + 1):
        for o in positive:
            found.setdefault(round(o * ladder.ratio**j, 9), (o, j))
    chosen = sorted(found)[:n]
    offsets = (0.0,) + tuple(float(o * ladder.ratio**j) for o, j in (found[c] for c in chosen))
    weights = fornberg_weights(offsets, n)[n]
    return OneSided(tuple(found[c] for c in chosen), offsets, weights, n)


def _span_rows(ladder: Ladder) -> int:
    return max(1, int(math.ceil(math.log(KINK_SPAN) / math.log(ladder.ratio) - 1e-9)))


def smoothness(sides, ladder: Ladder, row, first, count: int, epsilon):
    """Per element: the lowest order j <= n whose one-sided estimates disagree
    steadily (-1: none), those one-sided values, whether the window had the
    rows to check (else the scan should go on), and where the one-sided
    estimates scatter without settling (an oscillation at x: unresolved).

    A jump of ``f^(j)`` at x (j < n: f'' of |x|·x, f' of |x|, f itself of
    sign) leaves the n-th central estimate converging to the mean of the two
    sides, so every order up to n is checked, on three rows of the trusted
    window (from ``first``), each a factor of at least 4 in step from the
    next: smooth, the gap of order j shrinks like s from row to row; at a
    jump it stays. The finest of the three is the chosen ``row`` or lower.

    Parameters
    ----------
    sides : callable
        ``sides(q, stencil, epsilon)`` returns ``(forward, backward, rounding)``:
        the one-sided stencil values at row q per element (NaN where the row
        is out of range) and their rounding.
    row, first : ndarray of int
        The row the estimate was taken at and the first row of its window, per
        element (-1: none).
    count : int
        Rows in the ladder.
    epsilon : float or ndarray
        The rounding of f's values relative to their size.
    """
    size = row.shape[0]
    order = np.full(size, -1)
    forward = np.full(size, np.nan)
    backward = np.full(size, np.nan)
    erratic = np.zeros(size, dtype=bool)
    span = _span_rows(ladder)
    shrink = math.sqrt(ladder.ratio ** span)  # half the shrink of a smooth gap, in log
    up = max((max(u for _, u in one_sided(ladder, j).points)
              for j in range(ladder.stencil.n + 1) if one_sided(ladder, j) is not None),
             default=0)
    fine = np.minimum(np.maximum(row, first + 2 * span + up), count - 1)
    usable = (row >= 0) & (fine - 2 * span >= np.maximum(first, 0) + up)
    for j in range(ladder.stencil.n + 1):
        stencil = one_sided(ladder, j)
        if stencil is None:
            return order, forward, backward, np.ones(size, dtype=bool), erratic
        rows_ = [sides(np.where(usable, fine - k * span, -1), stencil, epsilon) for k in range(3)]
        if j == 0:
            # f(x) itself must be the limit of its neighbours (the central stencils of
            # odd order never use it): a feature narrower than the steps, or a value
            # apart at x, leaves the mean of the sides a steady distance from f(x).
            # Not resolved at these rows: finer ones may show the feature.
            erratic |= usable & _apart_at_x(sides, rows_, np.where(usable, fine, -1), stencil,
                                            epsilon, shrink)
        with np.errstate(all="ignore"):
            plus = np.array([r[0] for r in rows_])      # (4, size), finest first
            minus = np.array([r[1] for r in rows_])
            rounding = np.array([r[2] for r in rows_])
            gap = np.abs(plus - minus)
            real = ((gap > KINK_ROUNDING * rounding)
                    & (gap > KINK_RELATIVE * np.maximum(np.abs(plus), np.abs(minus))))
            g0, g1, g2 = gap[:3]
            # smooth: the gap clearly shrinks into the finest row (coarser rows may
            # still be outside the range where the one-sided stencils converge).
            # The gaps of even order read f's odd part about x, those of odd order
            # its even part; the central stencils of order n see only the part of
            # n's parity, so the other part is read on these gaps alone (orders up
            # to 3: above, the one-sided stencils' rounding leaves too few rows),
            # and shrinking once is not enough: the gap of x·sin(1/x), 2|sin(1/s)|,
            # shrinks over one pair of rows by chance about a third of the time.
            shrinking = g0 * shrink < g1
            hidden = j <= 3 and j % 2 == ladder.stencil.n % 2
            if hidden:
                # the gap must follow a power law over both pairs of these rows
                # or, where they are too coarse for a smooth f (cos(10·x) at 0,
                # whose central estimates are 0 at every row), over the finest
                # rows where it stands above rounding
                shrinking = _power_law(gap[:3], span * math.log(ladder.ratio))
                deep = usable & ~shrinking & real[0] & real[1]
                if deep.any():
                    shrinking |= deep & _asymptotic(sides, stencil, epsilon, fine, count,
                                                    span, ladder.ratio)
            steady = np.maximum.reduce([g0, g1, g2]) <= STEADY * np.minimum.reduce([g0, g1, g2])
            kink = usable & real[0] & real[1] & ~shrinking & steady
            # an oscillation at x shows as a gap that neither shrinks nor holds
            # still, by a fair fraction of the one-sided values (orders 0 and 1:
            # one-sided estimates of higher orders scatter with rounding and
            # truncation alike), or, in the part the central stencils cannot
            # see (its power law was checked above), far above its rounding
            large = g0 > ERRATIC_RELATIVE * np.maximum(np.abs(plus[0]), np.abs(minus[0]))
            loud = hidden & np.all(gap[:2] > LOUD * rounding[:2], axis=0)
            scatter = usable & real[0] & real[1] & ~shrinking & ~steady
            erratic |= scatter & ((large & (j <= 1)) | loud)
        new = kink & (order < 0)
        order = np.where(new, j, order)
        last = (j == ladder.stencil.n) & (order < 0)
        forward = np.where(new | last, plus[0], forward)
        backward = np.where(new | last, minus[0], backward)
    return order, forward, backward, usable, erratic & (order < 0)


def _asymptotic(sides, stencil: OneSided, epsilon, fine, count: int, span: int,
                ratio: float):
    """Per element: the gaps ``|F − B|`` of the finest DEEP_ROWS rows (``span``
    apart, the finest at or below ``fine``) where they stand above rounding
    follow :func:`_power_law`."""
    size = fine.shape[0]
    gaps = np.full((count, size), np.nan)
    reach = (DEEP_ROWS - 1) * span   # rows above the finest of a run
    with np.errstate(all="ignore"):
        for q in range(max(0, int(fine.min()) - reach), count):
            at = np.where(q >= fine - reach, q, -1)
            plus, minus, rounding = sides(at, stencil, epsilon)
            gap = np.abs(plus - minus)
            # above rounding, and only that: the gap of order 0 (f's odd part)
            # is far below |f| on the rows where its power law shows
            gaps[q] = np.where(gap > KINK_ROUNDING * rounding, gap, np.nan)
        # the finest row q whose run q, q − span, … (DEEP_ROWS rows) all stand
        # above rounding
        rows_ = np.arange(count)[:, None]
        run = np.isfinite(gaps)
        for k in range(1, DEEP_ROWS):
            run[k * span:] &= np.isfinite(gaps[:count - k * span])
        run[:reach] = False
        run &= rows_ >= fine
        found = run.any(axis=0)
        last = count - 1 - np.argmax(run[::-1], axis=0)
        column = np.arange(size)
        finest = np.array([gaps[np.clip(last - k * span, 0, count - 1), column]
                           for k in range(DEEP_ROWS)])
    return found & _power_law(finest, span * math.log(ratio))


def _power_law(gaps, log_factor: float):
    """Per element: the gaps (finest first, rows a step factor ``e^log_factor``
    apart) follow one power of the step, ``s^p`` with p at least MIN_POWER
    (s and s³ for a smooth f, s^1.5 next to a cusp like |x|^2.5), each pair's
    p within POWER_SPREAD of every other's: a gap that scatters gives a
    different p at every pair."""
    with np.errstate(all="ignore"):
        power = np.log(gaps[1:] / gaps[:-1]) / log_factor
        fits = np.all(power >= MIN_POWER, axis=0) & (
            np.max(power, axis=0) - np.min(power, axis=0) <= POWER_SPREAD)
    return fits & np.all(np.isfinite(power), axis=0)


def _apart_at_x(sides, rows_, finest, stencil: OneSided, epsilon, shrink: float):
    """Where the mean of the order-0 sides ``(f(x+s) + f(x−s))/2`` stays a steady
    distance from f(x) over the three rows instead of closing in like s²."""
    centre_stencil = OneSided(stencil.points, stencil.offsets, np.array([1.0, 0.0]), 0)
    centre, _, _ = sides(finest, centre_stencil, epsilon)
    with np.errstate(all="ignore"):
        mean = np.array([(r[0] + r[1]) / 2 for r in rows_])        # (3, size), finest first
        rounding = np.array([r[2] for r in rows_])
        distance = np.abs(mean - centre)
        real = ((distance > KINK_ROUNDING * rounding)
                & (distance > KINK_RELATIVE * np.maximum(np.abs(mean), np.abs(centre))))
        d0, d1, d2 = distance
        shrinking = d0 * shrink < d1
        steady = np.maximum.reduce([d0, d1, d2]) <= STEADY * np.minimum.reduce([d0, d1, d2])
        return real[0] & real[1] & ~shrinking & steady


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

"""Which rows of a ladder to trust, and the best Richardson entry among them.

A ladder holds base estimates ``T_q`` of one derivative at the steps ``s_q``
(largest first). Going down the ladder an estimate passes through three
regimes: pre-asymptotic (the step is larger than the scale on which f
changes; anything goes, including estimates that look converged because the
points alias a periodic f), asymptotic (the differences ``Δ_q = T_q − T_(q−1)``
shrink by the ladder's factor ``r^p`` row after row) and rounding.

A *window* is a run of rows whose differences are asymptotic or at the
rounding level of f's values (or whose Richardson column 1 converges, where
the leading error term is still small beside the next one). It is *valid*
when every difference finer than it is explained by rounding of f at the
scale f has inside the window: a feature that shows at smaller steps (a
narrow bump, the true period of an aliased sine) invalidates every window
above it. The coarsest valid window is
used. Its estimate is the Richardson entry with the smallest likely error
among those whose column is seen to converge; the error reported is a bound:
a safety factor on the leading-order truncation estimate plus the entry's
rounding, where the rounding of f is measured from the rows below the entry,
which have stopped improving.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ladder import Ladder

__all__ = ["Choice", "choose", "neville"]

#: A difference is at rounding level when it is at most this many times the
#: rounding of the two rows it joins.
ROUNDOFF_FACTOR = 2.0
#: Safety factor on the leading-order truncation estimate of an entry.
SAFETY = 2.0
#: Multiple of an entry's propagated rounding added to its error.
ROUNDOFF_WEIGHT = 1.5
#: Differences finer than a window are rounding if the rounding of f they
#: imply is at most ROUNDING_CAP times f's size in the window; more is a
#: feature of f (cancellation and the rounding of arguments stay far below).
ROUNDING_CAP = 1e-12
#: Factor on the rounding measured from differences that stopped shrinking
#: (one sample of a random quantity, and a worst-case sum in the denominator).
MEASURED_SAFETY = 6.0
#: Implied rounding falling by this factor difference after difference, of
#: one sign, is a truncation that converges slowly (not rounding).
DRIFT = 2.0
#: Rows an estimate needs below its own before the scan may stop: they show
#: that finer steps no longer help and how large the rounding really is.
TAIL_ROWS = 2
#: Measured rounding this many times ε·|f| asks for ALERT_TAIL_ROWS rows below.
ALERT = 4.0
ALERT_TAIL_ROWS = 4
#: A finer entry replaces a coarser one only if its score is this many times smaller.
PREFER_COARSER = 2.0
#: Weight of the rounding bound when entries are compared (its typical share:
#: rounding errors rarely add up to their bound).
SCORE_ROUNDOFF = 0.3


@dataclass
class Choice:
    """Per element: the chosen value and error, its row and column, and flags."""

    value: np.ndarray
    error: np.ndarray
    row: np.ndarray
    column: np.ndarray
    found: np.ndarray     # a valid window holds an entry whose column converges
    settled: np.ndarray   # TAIL_ROWS rows below the chosen one: finer steps were tried
    size: np.ndarray      # max |f| over the window's rows
    rounding: np.ndarray  # the rounding of f's values used for the chosen entry
    first: np.ndarray     # the first (coarsest) row of the window used (-1: none)


def minimum_ratio(expected: float) -> float:
    """Least shrink factor of a difference that still counts as asymptotic."""
    return expected ** 0.5


def maximum_ratio(expected: float) -> float:
    """Largest shrink factor that counts: a vanishing term squares the factor;
    much more is a sequence turning round, not converging."""
    return 2.0 * expected ** 2


def neville(table, roundoff, steps, ladder: Ladder):
    """Richardson tables ``R[q, k]`` and their propagated rounding, shape (Q, K, m).

    The steps are not exactly geometric after rounding, so each elimination
    uses the steps it combines: for an expansion in powers of ``h^gap``
    (central stencils) this is Neville's polynomial extrapolation in
    ``t = h^gap``, exact for any steps; otherwise the term
    ``h^(order + (k−1)·gap)`` is removed with the ratio of consecutive steps.
    """
    count = table.shape[0]
    columns = min(ladder.columns, count)
    shape = (count, columns) + table.shape[1:]
    values = np.empty(shape)
    rounding = np.empty(shape)
    values[:, 0], rounding[:, 0] = table, roundoff
    for k in range(1, columns):   # entries (q < k, k) do not exist
        values[:k, k] = np.nan
        rounding[:k, k] = np.inf
    steps = np.abs(steps)
    if steps.ndim < table.ndim:
        steps = steps.reshape(steps.shape + (1,) * (table.ndim - steps.ndim))
    polynomial = ladder.order == ladder.gap
    with np.errstate(all="ignore"):
        for k in range(1, columns):
            if polynomial:
                factor = (steps[:-k] / steps[k:]) ** ladder.gap - 1.0
            else:
                exponent = ladder.order + (k - 1) * ladder.gap
                factor = (steps[k - 1:-1] / steps[k:]) ** exponent - 1.0
            fine, coarse = values[k:, k - 1], values[k - 1:-1, k - 1]
            values[k:, k] = fine + (fine - coarse) / factor
            rounding[k:, k] = (rounding[k:, k - 1] * (factor + 1.0)
                               + rounding[k - 1:-1, k - 1]) / factor
    return values, rounding


def _classify(table, roundoff, ladder: Ladder, first_column=None):
    """Per row q (>= 2): is Δ_q asymptotic after Δ_(q−1), or at rounding level?

    ``first_column`` (the Richardson column 1, ``R[q, 1]``) makes a row good
    also where its differences shrink at their own rate (from row 3 on): where
    the leading term of the base estimates' error is small beside the next one
    at the coarse steps (``c_1 h^p`` against ``c_2 h^(p+gap)``), their
    differences do not yet shrink by ``r^p``, while those of column 1, which
    removes the leading term, already shrink by ``r^(p+gap)``.
    """
    delta = np.diff(table, axis=0)                     # Δ_q at index q − 1
    with np.errstate(all="ignore"):
        small = np.abs(delta) <= ROUNDOFF_FACTOR * (roundoff[1:] + roundoff[:-1])
        ratio = delta[:-1] / delta[1:]
        shrinking = ratio >= minimum_ratio(ladder.factor(0))
    finite = np.isfinite(delta[1:]) & np.isfinite(delta[:-1])
    asymptotic = np.zeros(delta.shape, dtype=bool)
    asymptotic[1:] = shrinking & ~small[1:] & finite
    good = np.zeros(table.shape, dtype=bool)
    good[2:] = (shrinking | small[1:]) & finite
    if first_column is not None and len(table) >= 4:
        good[3:] |= _converging(np.diff(first_column[1:], axis=0), ladder.factor(1))
    return good, asymptotic, delta, small


def _converging(delta, expected):
    """Per difference after the first: it shrinks from the one before at about ``expected``."""
    with np.errstate(all="ignore"):
        ratio = delta[:-1] / delta[1:]
        return (ratio >= minimum_ratio(expected)) & (ratio <= maximum_ratio(expected))


def _drifting(delta, implied, small):
    """Per difference: it starts three of one sign, none at the ε-model's rounding,
    whose implied rounding falls by more than DRIFT each time. Rounding is as
    large at every step and of either sign: these are a slow truncation."""
    drift = np.zeros(delta.shape, dtype=bool)
    if len(delta) >= 3:
        a, b, c = delta[:-2], delta[1:-1], delta[2:]
        with np.errstate(all="ignore"):
            same = (np.sign(a) == np.sign(b)) & (np.sign(b) == np.sign(c)) & (a != 0)
            falling = (implied[:-2] > DRIFT * implied[1:-1]) & (
                implied[1:-1] > DRIFT * implied[2:])
        drift[:-2] = same & falling & ~(small[:-2] | small[1:-1] | small[2:])
    return drift


def _windows(good, delta, small, implied, magnitude, noise):
    """First and last row of the coarsest valid window per element (-1 if none)."""
    count, size = good.shape
    drift = _drifting(delta, implied, small)
    first = np.full(size, -1)
    last = np.full(size, -1)
    start = np.zeros(size, dtype=int)
    rows = np.arange(count)[:, None]
    for end in range(2, count):
        start = np.where(good[end], np.where(good[end - 1], start, end - 2), end + 1)
        is_end = good[end] if end == count - 1 else good[end] & ~good[end + 1]
        pending = is_end & (first < 0)
        if not pending.any():
            continue
        inside = (rows >= start) & (rows <= end)
        scale = np.max(np.where(inside, magnitude, 0.0), axis=0)
        explained = small | ((implied <= np.maximum(ROUNDING_CAP * scale, noise)) & ~drift)
        valid = pending & np.all(explained | (rows[1:] <= end), axis=0)
        first = np.where(valid, start, first)
        last = np.where(valid, end, last)
    return first, last


def choose(table, steps, weight, level, magnitude, ladder: Ladder, noise=0.0,
           epsilon=0.0) -> Choice:
    """The best trusted entry per element of a ladder of base estimates.

    Parameters
    ----------
    table : ndarray, shape (Q, m)
        Base estimates ``T_q``.
    steps : ndarray, shape (Q, m) or (Q, 1)
        The step of each row.
    weight : ndarray, shape (Q, m) or (Q, 1)
        ``Σ|w| / s_q^n``: how much one unit of rounding of f reaches ``T_q``.
    level : ndarray, shape (Q, m)
        The rounding of f's values at the points of row q (``ε·max|f|`` over
        them, plus what the rounding of the points themselves does).
    magnitude : ndarray, shape (Q, m)
        ``max |f|`` over the points of row q.
    ladder : Ladder
    noise : float or ndarray, shape (m,)
        A known noise level of f (standard deviation, times a safety factor):
        differences it explains count as rounding.
    epsilon : float or ndarray, shape (m,)
        The machine epsilon of f's values (for the rounding floor of an entry).
    """
    count, size = table.shape
    if count < 3:   # no window fits
        nothing = np.full(size, np.nan)
        return Choice(nothing, np.full(size, np.inf), np.full(size, -1), np.full(size, -1),
                      np.zeros(size, dtype=bool), np.zeros(size, dtype=bool), np.zeros(size),
                      nothing, np.full(size, -1))
    weight = np.broadcast_to(weight, table.shape)
    roundoff = weight * level
    values, _ = neville(table, roundoff, steps, ladder)
    good, asymptotic, delta, small = _classify(
        table, roundoff, ladder, values[:, 1] if values.shape[1] > 1 else None)
    _, unit = neville(table, weight, steps, ladder)  # rounding per unit of f's rounding
    with np.errstate(all="ignore"):
        implied = np.abs(delta) / weight[1:]          # the rounding of f a difference implies
    noise = np.broadcast_to(np.asarray(noise, dtype=float), (size,))
    first, last = _windows(good, delta, small, implied, magnitude, noise)
    rows = np.arange(count)[:, None]
    inside = (rows >= first) & (rows <= last) & (first >= 0)
    scale = np.max(np.where(inside, magnitude, 0.0), axis=0)
    cap = np.maximum(ROUNDING_CAP * scale, noise)
    # Differences after the window's last asymptotic one are rounding, except
    # those still shrinking from the one before at the truncation's rate: they
    # fall under the ε-model's rounding bound while the truncation of a high
    # derivative, shrinking by r^p a row against rounding growing by r^n, is
    # still what they show.
    tail_from = np.max(np.where(inside[1:] & asymptotic, rows[1:], first), axis=0)
    plausible = np.isfinite(implied) & (implied <= cap)
    trend = np.zeros(delta.shape, dtype=bool)
    trend[1:] = _converging(delta, ladder.factor(0))
    tail = (rows[1:] > tail_from) & plausible & ~trend
    measured = np.max(np.where(tail, implied, 0.0), axis=0)
    rounding_level = np.maximum(level, MEASURED_SAFETY * measured)
    _, rounding = neville(table, weight * rounding_level, steps, ladder)
    value, error, row, column, _ = _best(values, rounding, ladder, first, last)
    # The entries below the chosen one in its column stopped improving: their
    # differences show the rounding that column really carries.
    measured = _column_rounding(values, unit, row, column, cap)
    rounding_level = np.maximum(rounding_level, MEASURED_SAFETY * measured)
    _, rounding = neville(table, weight * rounding_level, steps, ladder)
    value, error, row, column, truncation = _best(values, rounding, ladder, first, last)
    found = np.isfinite(error)
    # f's values near x are at least as large as the largest over the rows the
    # entry combines; where f is computed by cancellation (a residual squared
    # at its zero, x − sin x at 0) its rounding follows the terms, not the
    # tiny values next to x: the entry's rounding is at least ε times that.
    elements = np.arange(size)
    q = np.clip(row, 0, count - 1)
    k = np.clip(column, 0, values.shape[1] - 1)
    used = (rows >= (q - k)[None]) & (rows <= q[None])
    largest = np.max(np.where(used, magnitude, 0.0), axis=0)
    floor = epsilon * largest * unit[q, k, elements]
    error = np.where(found, truncation + ROUNDOFF_WEIGHT * np.maximum(
        rounding[q, k, elements], floor), error)
    used = rounding_level[q, elements]
    # rounding well above ε·|f| (f computed by cancellation) is measured from a
    # few differences, which can all be small by chance: more rows settle it
    alerted = used > ALERT * level[q, elements]
    tail = np.where(alerted, ALERT_TAIL_ROWS, TAIL_ROWS)
    return Choice(value, error, row, column, found, found & (count - 1 - row >= tail),
                  scale, np.where(found, used, np.nan), np.where(found, first, -1))


def _column_rounding(values, unit, row, column, cap):
    """Per element, the largest rounding of f implied by the differences of the
    chosen column below the chosen row (0 where there are none)."""
    count, columns, size = values.shape
    found = np.zeros(size)
    k = np.clip(column, 0, columns - 1)
    elements = np.arange(size)
    with np.errstate(all="ignore"):
        for q in range(1, count):
            below = (row >= 0) & (q > row) & (q - k >= 1)
            if not below.any():
                continue
            d = np.abs(values[q, k, elements] - values[q - 1, k, elements])
            implied = d / (unit[q, k, elements] + unit[q - 1, k, elements])
            take = below & np.isfinite(implied) & (implied <= cap)
            found = np.where(take, np.maximum(found, implied), found)
    return found


def _ratio(numerator, denominator, allowed):
    with np.errstate(all="ignore"):
        return np.where(allowed, numerator / denominator, np.nan)


def _best(values, rounding, ladder, first, last):
    """Smallest-score entry per element with all its rows in ``[first, last]``.

    Entry (q, k) is compared with the one a row coarser, ``d = R[q,k] − R[q−1,k]``.
    Its error is the leading-order ``|d| / (F − 1)`` (F the column's
    convergence factor) once the column is seen to converge there: the
    difference before d or the one after it shrinks into the next by about
    F (where d is at rounding level, the rounding it may hide is added). An
    entry whose d is at rounding level but whose column is not seen to
    converge is charged ``|d|``. See :func:`_entry`.
    """
    count, columns, size = values.shape
    best = [np.full(size, v) for v in (np.nan, np.inf, np.inf, -1, -1, np.inf)]
    best_rounding = np.zeros(size, dtype=bool)
    with np.errstate(all="ignore"):
        for k in range(columns):
            for q in range(k + 1, count):
                inside = (q - k - 1 >= first) & (q <= last) & (first >= 0)
                if not inside.any():
                    continue
                at_roundoff, converging, likely, truncation = _entry(values, rounding, ladder,
                                                                     q, k, first, last)
                error = truncation + ROUNDOFF_WEIGHT * rounding[q, k]
                score = likely + SCORE_ROUNDOFF * ROUNDOFF_WEIGHT * rounding[q, k]
                # a finer entry must be clearly better: among equals the coarser one
                # keeps rows below it, which show the rounding f really has
                margin = np.where(at_roundoff & best_rounding, PREFER_COARSER, 1.0)
                better = (inside & (converging | at_roundoff) & np.isfinite(error)
                          & (score * margin < best[2]))
                for i, new in enumerate((values[q, k], error, score, q, k, truncation)):
                    best[i] = np.where(better, new, best[i])
                best_rounding = np.where(better, at_roundoff, best_rounding)
    return best[0], best[1], best[3], best[4], best[5]


def _entry(values, rounding, ladder, q, k, first, last):
    """Entry (q, k): is d at rounding level, is its column seen to converge, and
    its likely truncation error and the bound on it."""
    size = values.shape[2]
    expected = ladder.factor(k)
    low, high = minimum_ratio(expected), maximum_ratio(expected)
    d = values[q, k] - values[q - 1, k]
    at_roundoff = np.abs(d) <= ROUNDOFF_FACTOR * (rounding[q, k] + rounding[q - 1, k])
    has_coarse = (q - k - 2 >= 0) & (q - k - 2 >= first)
    previous = (np.where(has_coarse, values[q - 1, k] - values[q - 2, k], np.nan)
                if q - k - 2 >= 0 else np.full(size, np.nan))
    coarse = previous / d
    if q + 1 < values.shape[0]:
        d_fine = values[q + 1, k] - values[q, k]
        fine = _ratio(d, d_fine, q + 1 <= last)
        fine_noise = np.abs(d_fine) <= ROUNDOFF_FACTOR * (rounding[q + 1, k] + rounding[q, k])
        fine = np.where(fine_noise & (q + 1 <= last), np.inf, fine)
    else:
        fine = np.full(size, np.nan)
    coarse_ok = (coarse >= low) & (coarse <= high)
    fine_ok = (fine >= low) & (fine <= high)
    observed = np.fmax(np.where(coarse_ok, coarse, np.nan), np.where(fine_ok, fine, np.nan))
    # both neighbours, where they are asymptotic differences, must
    # shrink at the column's rate: one alone can be a sequence
    # turning round (a difference that happens to be small)
    coarse_bad = ~np.isnan(coarse) & ~coarse_ok
    fine_bad = ~np.isnan(fine) & np.isfinite(fine) & ~fine_ok
    converging = ~np.isnan(observed) & ~(coarse_bad | fine_bad)
    rate = np.fmin(observed, expected) - 1.0
    measured = np.abs(d) / rate
    # d at rounding level measures the rounding more than the truncation left
    # at row q: that is at least what the coarser difference leaves if the
    # column converges at its rate from there on
    predicted = np.where(np.isnan(previous), 0.0,
                         np.abs(previous) / (expected * (expected - 1.0)))
    # Where the column is not seen to converge, d itself bounds that
    # truncation; where it is (the coarser difference shrank into d at about
    # F), the truncation is d over F − 1 as for any converging entry, with
    # the rounding d may hide added to it
    hidden = (SAFETY * np.abs(d) + rounding[q, k] + rounding[q - 1, k]) / rate
    likely = np.where(at_roundoff, np.fmax(np.where(converging, measured, np.abs(d)), predicted),
                      measured)
    truncation = np.where(at_roundoff, np.fmax(np.where(converging, hidden, np.abs(d)),
                                               SAFETY * predicted), SAFETY * measured)
    return at_roundoff, converging, likely, truncation

"""A light pilot: one line at eleven steps in one call of f, read without a scan.

The fast path (:mod:`.fast`) needs two things from its pilot line: the
length on which f changes along it and the rounding f's values carry. A
smooth line shows both on a short ladder read at once (22 points and the
shared centre, one call of f), of the accuracy-2 central estimates ``T_q``:

- at the steps ``s_q = 2^-q`` (q < :data:`ROWS`, in units of the top step)
  the differences of the ``T_q`` shrink by 4 from row to row once the step is
  inside the asymptotic range. The first row of the first run of :data:`RUN`
  such ratios marks the length; the rows after it must go on converging or
  be at rounding level. An output whose differences are all at rounding (f
  polynomial of low degree along the line) has no length below the top step.
- at three deep steps (:data:`DEEP`), far below where truncation matters for
  a function of the lengths the run can show, the differences are rounding:
  they measure the rounding f really carries, which a sum whose terms cancel
  puts far above ``ε·|f|``.

Anything else (a value not finite, no run, a row that is neither asymptotic
nor rounding, rounding far above ``ε·|f|``) is not read here:
:func:`read_pilot` returns None and the caller scans the line instead.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import BudgetError
from ..stencil import Stencil

# the scan's: the factor on rounding measured from differences, and how far
# above the smallest scale a line allows its finest row must stay
from .scan import LATTICE
from .windows import MEASURED_SAFETY

__all__ = ["DEEP", "ROWS", "Reading", "fast_scale", "read_pilot", "unit_reading"]

#: Rows of the ladder that show the length, ``s_q = 2^-q`` for q < ROWS.
ROWS = 8
#: The deep rows per derivative order (exponents of 2): there the rounding of a
#: function of unit length is 10^4 times (n = 2; 10^3, n = 1) its truncation,
#: and still 50 times for one eight times shorter.
DEEP = {1: (-22, -24, -26), 2: (-16, -18, -20)}
#: Ratios of consecutive differences accepted as asymptotic (4 in the limit).
BAND = (3.6, 4.4)
#: Asymptotic ratios in a row that mark the start of the asymptotic range.
RUN = 3
#: A difference within this multiple of its rows' rounding is rounding; within
#: DROWNED times, it may hide what is left of the truncation.
ROUNDOFF_FACTOR = 2.0
DROWNED = 20.0
#: Rounding implied above this fraction of |f| is a feature of f, not rounding.
ROUNDING_CAP = 1e-12
#: The most the quotient widens the step (a factor, kept a power of two apart
#: from the rounding of the result to one).
WIDEST = 8.0


@functools.lru_cache(maxsize=4)
def _scales(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ladder's scales, and the factors it samples f at: ``+scales``,
    ``-scales`` and 0 (both read-only: one pair per order, shared by the calls)."""
    scales = np.ldexp(1.0, np.concatenate([-np.arange(ROWS), DEEP[n]]))
    factors = np.concatenate([scales, -scales, [0.0]])
    scales.flags.writeable = factors.flags.writeable = False
    return scales, factors


@dataclass(frozen=True)
class _Rows:
    """What the rows of the ladder for ``scales`` (Q, 1) give the estimates of the
    orders it is read for, each ``(Q, P, 1)`` (P orders): the divisor of its
    differences, the weight ``w_q`` of f's rounding in it, ``w_q + w_(q+1)`` (of
    a difference of two rows); and the width ``2·s_q`` (Q, 1) of the first
    difference."""

    orders: tuple
    scales: np.ndarray
    divisor: np.ndarray
    weight: np.ndarray
    pair_weight: np.ndarray
    width: np.ndarray


@functools.lru_cache(maxsize=8)
def _rows(ladder: int, orders: tuple) -> _Rows:
    """The :class:`_Rows` of the ladder of order ``ladder`` read for ``orders``."""
    scales = _scales(ladder)[0][:, None]
    divisor = np.stack([2 * scales if n == 1 else scales**2 for n in orders], axis=1)
    weight = np.stack([1.0 / scales if n == 1 else 4.0 / scales**2 for n in orders], axis=1)
    rows = _Rows(orders, scales, divisor, weight, weight[1:] + weight[:-1], 2 * scales)
    for field in dataclasses.fields(rows)[1:]:
        getattr(rows, field.name).flags.writeable = False
    return rows


def _table(values, size, slack, rows: _Rows, epsilon: float):
    """Base estimates ``T_q`` (Q, P, m) of the orders of ``rows``, all from the same
    values of f, and the rounding of f's values per row (Q, 1, m), from f's values
    and their sizes ``|values|``."""
    count = len(rows.scales)
    plus, minus, centre = values[:count], values[count:2 * count], values[2 * count]
    # the odd part for first derivatives, the even part for second ones
    parts = [plus - minus if n == 1 else plus + minus - 2 * centre for n in rows.orders]
    table = np.stack(parts, axis=1) / rows.divisor
    magnitude = np.maximum(np.maximum(size[:count], size[count:2 * count]), size[2 * count])
    # the points themselves are rounded off the line: f moves by |φ'|·δ
    slope = np.abs(plus - minus) / rows.width
    moved = np.maximum(slack[:count], slack[count:2 * count])[:, None] * slope
    return table, (epsilon * magnitude + moved)[:, None]


_SHOWN_ROWS = np.arange(ROWS - 1)[:, None]      # the rows of the differences Δ_i shown
_SHOWN_ROWS.flags.writeable = False


def _start(asymptotic, settled):
    """Per output, the first row of the first run of RUN asymptotic ratios after
    which every difference converges or is at rounding (-1 if none)."""
    count = len(asymptotic)
    found = asymptotic[:count - RUN + 1].copy()      # the runs, then those with a good rest
    for k in range(1, RUN):
        found &= asymptotic[k:count - RUN + 1 + k]
    # a difference after a run: its ratio to the one before is asymptotic, or it
    # is rounding; from row i + RUN on, all of them (the last run has none after it)
    fine = asymptotic | settled[1:]
    rest = np.logical_and.accumulate(fine[::-1], axis=0)[::-1]
    found[:-1] &= rest[RUN:]
    first = np.argmax(found, axis=0)
    some = found.any(axis=0)
    return first if some.all() else np.where(some, first, -1)


@dataclass(frozen=True)
class Reading:
    """What the pilot line shows: ``start``, the coarsest step (relative to the
    top) of the asymptotic range over the outputs (infinite where it begins at
    the top step or nothing but rounding shows); ``rounding``, the rounding
    of f's values per output (absolute, at least ``ε·|f|`` near x); and
    ``quotient``, the rounding of f over its variation on that length,
    ``rounding / (ε·|Δ|·start^n)`` with Δ the first difference of the run
    (the smallest over the outputs; infinite where none has a run)."""

    start: float
    rounding: np.ndarray
    quotient: float


def read_pilot(lines, n: int, epsilon: float, bottom: float = 0.0) -> Reading | None:
    """The :class:`Reading` of one line (``lines.count == 1``), or None if the
    short ladder does not show it clearly. ``bottom`` is the smallest scale the
    line allows; the ladder must stay well above it."""
    if n not in DEEP:
        return None
    scales, factors = _scales(n)
    if scales[-1] < LATTICE * bottom:
        return None
    try:
        values, slack = lines.sample(factors, np.arange(1))
    except BudgetError:
        return None
    values, slack = values[:, 0], slack[:, 0]                  # (F, m), (F,)
    if not np.isfinite(values).all() or not np.isfinite(slack).all():
        return None
    epsilon = lines.precision(epsilon)   # f(x) may have come with these points
    # for n = 1 the even part of f must behave too: a kink at x leaves the odd
    # part alone (|t| has central differences 0 at every step)
    return _read(values, slack, _rows(n, (1, 2) if n == 1 else (n,)), epsilon)


def _read(values, slack, rows: _Rows, epsilon: float) -> Reading | None:
    """:func:`read_pilot` on the values of f at ``±scales`` and 0 (of ``rows``): the
    reading of the first of the rows' orders, if the ladder shows every one of
    them clearly (the estimates of all orders side by side, (Q, P, m))."""
    weight = rows.weight
    with np.errstate(all="ignore"):
        size = np.abs(values)
        table, level = _table(values, size, slack, rows, epsilon)
        delta = table[1:] - table[:-1]                          # Δ_i = T_(i+1) − T_i
        change = np.abs(delta)
        noise = weight[1:] * level[1:] + weight[:-1] * level[:-1]
        # the rounding of f a difference implies; more than ROUNDING_CAP·|f| is
        # a feature of f (a sum that cancels carries its terms' rounding, far
        # above ε times its own size, but not that much)
        # (against the largest output: an output whose terms cancel has their
        # rounding; what passes for rounding is measured and kept in the error)
        cap = ROUNDING_CAP * size.max()
        implied = change / rows.pair_weight
        plausible = (change <= DROWNED * noise) | (implied <= cap)
        # the deep rows agree with the shown rows extrapolated to 0 (up to what
        # is left of the truncation, or rounding), and differ by rounding alone
        extrapolated = table[ROWS - 1] + delta[ROWS - 2] / 3
        gap = np.abs(table[ROWS] - extrapolated)
        agree = (gap <= change[ROWS - 2] + DROWNED * noise[ROWS - 1]) | (
            gap / rows.pair_weight[ROWS - 1] <= cap)
        if not (agree.all() and plausible[ROWS:].all()):
            return None
        shown = delta[:ROWS - 1]                                # among the rows 2^-q
        small = change[:ROWS - 1] <= ROUNDOFF_FACTOR * noise[:ROWS - 1]
        ratio = shown[:-1] / shown[1:]
        asymptotic = (ratio >= BAND[0]) & (ratio <= BAND[1]) & ~(small[:-1] | small[1:])
        start = _start(asymptotic, plausible[:ROWS - 1])
        flat = small.all(axis=0)              # at rounding throughout: no length below 1
        # an output that varies along the line only by the rounding of the
        # largest one (its terms cancel) is left to the checks of each line
        noise_only = (start < 0) & ~flat & (implied[:ROWS - 1] <= cap).all(axis=0)
        read = (start >= 0) | flat
        if not (read | noise_only).all() or not read.any(axis=-1).all():
            return None
        # the reading is the first order's: the others only had to be readable
        n = rows.orders[0]
        change, level, implied = change[:, 0], level[:, 0], implied[:, 0]
        asymptotic, start, flat, noise_only, read = (
            asymptotic[:, 0], start[0], flat[0], noise_only[0], read[0])
        # differences after the run that stopped converging show the rounding,
        # and the deep ones do
        quiet = _SHOWN_ROWS > start[None] + RUN        # after the run ...
        quiet[1:] &= ~asymptotic                           # ... and Δ_(i−1)/Δ_i not converging
        quiet |= flat | noise_only
        deep = implied[ROWS:].max(axis=0)
        measured = (np.maximum(np.where(quiet, implied[:ROWS - 1], 0.0).max(axis=0), deep)
                    if quiet.any() else np.maximum(0.0, deep))
        # the rows nearest x: the rounding f has there
        rounding = np.maximum(level[ROWS:].max(axis=0), MEASURED_SAFETY * measured)
        if noise_only.any():
            rounding = np.where(noise_only, np.maximum(rounding, rounding[read].max()),
                                rounding)
        # a run from the top row, or none at all: f is at least that long
        run = start >= 1
        row = np.minimum(np.maximum(start, 0), ROWS - 1)
        first = change[row, np.arange(row.size)]
        scale = rows.scales[row, 0]
        quotient = rounding / (epsilon * first * scale ** n)
        if not run.all():
            scale, quotient = np.where(run, scale, np.inf), np.where(run, quotient, np.inf)
    return Reading(float(scale.min()), rounding, float(quotient.min()))


def fast_scale(reading: Reading, n: int) -> float:
    """The fast path's step, relative to the top: twice the accuracy-4 stencil's
    optimal step for a unit-length function, times the line's length against
    the yardstick's, and widened by the sixth root (n = 2; fifth, n = 1) of its
    quotient against the yardstick's, up to WIDEST: f's values large against
    their variation carry rounding that a longer step divides less."""
    unit = unit_reading(n)
    length = min(1.0, reading.start / unit.start)
    ratio = reading.quotient / unit.quotient
    widen = min(ratio ** (1.0 / (n + 4)), WIDEST) if ratio > 1.0 else 1.0
    step = 2.0 * _optimal_step(n) * min(1.0, length * widen)
    # the largest power of two at most the step (the top steps are powers of two)
    return math.ldexp(0.5, math.frexp(step)[1]) if step > 0 else 0.0


@functools.lru_cache(maxsize=4)
def _optimal_step(n: int) -> float:
    """The accuracy-4 central stencil's optimal step for a unit-length function."""
    return Stencil.central(n, 4).optimal_step()


#: The yardstick line is exp(1/4 + t/2) compressed this many times (a power of
#: two), so that its start falls inside the ladder and not at its top.
COMPRESSION = 8.0


@functools.lru_cache(maxsize=4)
def unit_reading(n: int) -> Reading:
    """:func:`read_pilot`'s reading of a function of unit length (exp at 1/4,
    top 1/2, the scan's yardstick too): the one a line's is read against. It
    is read on the same function compressed, where its start is inside the
    ladder, and the start scaled back (exactly: a power of two; the quotient
    does not change)."""
    from .lines import ElementLines

    x, top = np.array([0.25]), np.array([0.5 * COMPRESSION])
    lines = ElementLines(lambda points, which: np.exp(points), x, top)
    reading = read_pilot(lines, n, float(np.finfo(np.float64).eps))
    if reading is None or not math.isfinite(reading.quotient):   # not for exp
        raise RuntimeError("the pilot's yardstick is not resolved")
    return Reading(reading.start * COMPRESSION, reading.rounding, reading.quotient)

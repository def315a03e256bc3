"""A light pilot: one line at ten steps in one call of f, read without a scan.

The fast path (:mod:`.fast`) needs two things from its pilot line: the
length on which f changes along it and the rounding f's values carry. A
smooth line shows both on a short ladder: the accuracy-2 central estimates
``T_q`` at the steps ``s_q = 2^-q`` (q = 0 … 9, in units of the top step, 20
points and the shared centre, one call of f) have differences that shrink by
4 from row to row once the step is inside the asymptotic range. The first row
of the first run of :data:`RUN` such ratios marks the length; finer rows must
go on converging or drown in rounding, and what rounding they show is
measured. An output whose differences are all at rounding level (f
polynomial of low degree along the line) has no length below the top step.

Anything else (a value not finite, no run, a finer row that is neither
asymptotic nor rounding, rounding far above ``ε·|f|``) is not read here:
:func:`read_pilot` returns None and the caller scans the line instead.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import BudgetError
from ..stencil import Stencil
from .steps import power_below

__all__ = ["ROWS", "Reading", "fast_scale", "read_pilot", "unit_reading"]

#: Rows of the ladder, ``s_q = 2^-q`` for q < ROWS: 2·ROWS points besides x.
ROWS = 10
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
#: Factor on the rounding measured from differences (as in the scan).
MEASURED_SAFETY = 6.0
#: The finest row must be this many times above the smallest scale the line
#: allows (as in the scan: nearer, f is seen on a coarse lattice of floats).
LATTICE = 512.0
#: The most the quotient widens the step (a factor, kept a power of two apart
#: from the rounding of the result to one).
WIDEST = 8.0


def _table(values, slack, n: int, epsilon: float):
    """Base estimates ``T_q`` (Q, m), their rounding per unit of f's rounding
    ``w_q`` (Q, 1), and the rounding of f's values per row (Q, m)."""
    plus, minus, centre = values[:ROWS], values[ROWS:2 * ROWS], values[2 * ROWS]
    scales = np.ldexp(1.0, -np.arange(ROWS))[:, None]
    if n == 1:
        table = (plus - minus) / (2 * scales)
        weight = 1.0 / scales
    else:
        table = (plus + minus - 2 * centre) / scales**2
        weight = 4.0 / scales**2
    magnitude = np.maximum(np.maximum(np.abs(plus), np.abs(minus)), np.abs(centre))
    # the points themselves are rounded off the line: f moves by |φ'|·δ
    slope = np.abs(plus - minus) / (2 * scales)
    moved = np.maximum(slack[:ROWS], slack[ROWS:2 * ROWS])[:, None] * slope
    return table, weight, epsilon * magnitude + moved


def _start(asymptotic, settled):
    """Per output, the first row of the first run of RUN asymptotic ratios after
    which every difference converges or is at rounding (-1 if none)."""
    count, outputs = asymptotic.shape
    start = np.full(outputs, -1)
    for i in range(count - RUN + 1):
        run = asymptotic[i:i + RUN].all(axis=0)
        # differences after the run's last one: asymptotic ratio or rounding
        rest = (asymptotic[i + RUN:] | settled[i + RUN + 1:]).all(axis=0)
        start = np.where((start < 0) & run & rest, i, start)
    return start


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
    scales = np.ldexp(1.0, -np.arange(ROWS))
    if n not in (1, 2) or scales[-1] < LATTICE * bottom:
        return None
    factors = np.concatenate([scales, -scales, [0.0]])
    try:
        values, slack = lines.sample(factors, np.arange(1))
    except BudgetError:
        return None
    values, slack = values[:, 0], slack[:, 0]                  # (F, m), (F,)
    if not np.all(np.isfinite(values)) or not np.all(np.isfinite(slack)):
        return None
    with np.errstate(all="ignore"):
        table, weight, level = _table(values, slack, n, epsilon)
        delta = np.diff(table, axis=0)                         # Δ_i = T_(i+1) − T_i
        noise = weight[1:] * level[1:] + weight[:-1] * level[:-1]
        small = np.abs(delta) <= ROUNDOFF_FACTOR * noise
        drowned = np.abs(delta) <= DROWNED * noise
        ratio = delta[:-1] / delta[1:]
        asymptotic = (ratio >= BAND[0]) & (ratio <= BAND[1]) & ~small[:-1] & ~small[1:]
        # the rounding of f a difference implies; more than ROUNDING_CAP·|f| is
        # a feature of f (a sum that cancels carries its terms' rounding, far
        # above ε times its own size, but not that much)
        implied = np.abs(delta) / (weight[1:] + weight[:-1])
        plausible = drowned | (implied <= ROUNDING_CAP * np.max(np.abs(values), axis=0))
        start = _start(asymptotic, plausible)
        flat = small.all(axis=0)              # at rounding throughout: no length below 1
        # an output that varies along the line only by the rounding of the
        # largest one (its terms cancel) is left to the checks of each line
        noise_only = (start < 0) & ~flat & np.all(
            implied <= ROUNDING_CAP * np.max(np.abs(values)), axis=0)
        read = (start >= 0) | flat
        if not np.all(read | noise_only) or not read.any():
            return None
        # differences after the run that stopped converging show the rounding
        after = np.arange(len(delta))[:, None] > start[None] + RUN
        converging = np.vstack([np.zeros_like(asymptotic[:1]), asymptotic])  # Δ_(i−1)/Δ_i
        measured = np.max(np.where((after & ~converging) | flat | noise_only, implied, 0.0),
                          axis=0)
    # the finest row's points are the nearest x: the rounding f has there
    rounding = np.maximum(level[-1], MEASURED_SAFETY * measured)
    rounding = np.where(noise_only, np.maximum(rounding, np.max(rounding[read])), rounding)
    # a run from the top row, or none at all: f is at least that long
    run = start >= 1
    row = np.clip(start, 0, ROWS - 1)
    first = np.abs(delta[row, np.arange(row.size)])
    with np.errstate(all="ignore"):
        quotient = rounding / (epsilon * first * scales[row] ** n)
    return Reading(float(np.min(np.where(run, scales[row], np.inf))), rounding,
                   float(np.min(np.where(run, quotient, np.inf))))


def fast_scale(reading: Reading, n: int) -> float:
    """The fast path's step, relative to the top: twice the accuracy-4 stencil's
    optimal step for a unit-length function, times the line's length against
    the yardstick's, and widened by the sixth root (n = 2; fifth, n = 1) of its
    quotient against the yardstick's, up to WIDEST: f's values large against
    their variation carry rounding that a longer step divides less."""
    unit = unit_reading(n)
    length = min(1.0, reading.start / unit.start)
    with np.errstate(all="ignore"):
        widen = min(max((reading.quotient / unit.quotient) ** (1.0 / (n + 4)), 1.0), WIDEST)
    return float(power_below(2.0 * _optimal_step(n) * min(1.0, length * widen)))


@functools.lru_cache(maxsize=4)
def _optimal_step(n: int) -> float:
    """The accuracy-4 central stencil's optimal step for a unit-length function."""
    return Stencil.central(n, 4).optimal_step()


#: The yardstick line is exp(1/4 + t/2) compressed this many times (a power of
#: two), so that its start falls inside the ladder and not at its top.
COMPRESSION = 16.0


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

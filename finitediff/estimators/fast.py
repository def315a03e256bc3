"""Many lines at close to the cost of a fixed stencil: a pilot, then six points a line.

A gradient, Jacobian or Hessian differentiates along many lines. Scanning
each one down its own ladder costs some twenty points a line; most lines of
one function behave alike, though. So one *pilot* line, a combination of all
directions (it changes as fast as the fastest of them), is scanned in full:
it shows the length on which f changes and the rounding f's values really
carry. Every line then gets the accuracy-2 central stencil at the steps h,
2h and 4h chosen from the pilot, six points a line (the centre shared by
all): a three-row ladder. Richardson's first column gives the accuracy-4
estimates ``R(h)`` and ``R(2h)``; ``R(h)`` is returned with the error
``2·|R(h) − R(2h)| / 15`` (the leading-order truncation of ``R(h)``, doubled),
raised by what the six points show of noise beyond rounding (the departure of
the base estimates' ratio from 4 and, for first derivatives, f's even part
where a smooth f leaves nothing: f's noise at x, so the largest reading among
the lines through it), plus the measured rounding.

Each line is then checked on its own points: the values are finite, the
base estimates converge at the rate of their leading term (their differences
shrink by 4 ± 5% from 4h to h, or are at rounding level), which shows the
steps inside the asymptotic range (a line along which f varies much faster
than along the pilot fails here), the error is small against the derivative,
and for first derivatives f is not kinked (its even part shrinks like h²,
not h). The lines that fail go to the full scan, and only they; the rounding
of f the scan measures on them, where it is above what the pilot showed, joins
the other lines' errors (it is f's at x, the same on every line).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..result import Status
from ..stencil import Stencil
from .fixed import apply_stencil
from .ladder import ladder_for
from .pilot import fast_scale, read_pilot
from .scan import LineEstimate, scan
from .spare import EVEN_RESIDUAL, odd_noise, spare_noise
from .steps import power_below

__all__ = ["FAST_CHUNK_ELEMENTS", "FAST_MIN_LINES", "fast_chunks", "fast_elements",
           "fast_scan"]

#: Below this many lines the full scan of every line is cheap enough.
FAST_MIN_LINES = 4
#: A line's truncation error must be below this fraction of its derivative's size.
AGREEMENT = 1e-6
#: The differences of the base estimates shrink by 4 from 4h to h when the
#: leading term dominates; this much either way is accepted (at the step the
#: pilot chooses a smooth line is within 1e-4 of 4).
RATIO_LOW, RATIO_HIGH = 3.8, 4.2
#: Safety factor on the truncation estimate, and the multiple of the rounding
#: bound added to the error (as in the scan).
SAFETY = 2.0
ROUNDOFF_WEIGHT = 1.5
#: Differences within this multiple of their rounding bound are rounding;
#: within DROWNED times it, they are taken to hide the h^2 term.
ROUNDOFF_FACTOR = 2.0
DROWNED = 20.0
#: A line's derivative size is at least this fraction of the largest over
#: the lines (so that a derivative that is zero does not send its line back).
FLOOR = 1e-3
#: Even part of f shrinking by less than this factor when the step halves
#: (4 when smooth, 2 at a kink) sends a first-derivative line back.
EVEN_RATIO = 3.0
#: The rounding the pilot measured (at least ε) holds along its combined line;
#: a single direction may see more of the terms cancel: a safety factor.
ROUNDING_SAFETY = 8.0
#: Rounds of the pilot's scan: it needs the length and the rounding of f, which
#: a smooth f shows in the first rounds; an output that needs more (one that
#: only rounding moves along the pilot) is left unresolved there.
PILOT_ROUNDS = 3
#: A kink needs the even part this many times above its rounding to be seen.
EVEN_ROUNDING = 10.0
#: The ratio's departure from 4, divided by this, bounds the truncation as well
#: as |R(h) − R(2h)| / 15 (it is 11¼ times that: what it adds covers noise
#: beyond the rounding, which moves both alike). First derivatives have a second
#: witness of such noise (EVEN_WITNESS) and take the departure at half weight.
DEPARTURE_DIVISOR = 4.0
#: First derivatives: f's even part at h, 2h and 4h, ``c2·t² + c4·t⁴ + c6·t⁶``,
#: has one combination free of the t² and t⁴ terms: what is left of it beyond
#: its own rounding bound is noise the six points carry (a smooth f's t⁶ term
#: is far below the truncation). Its noise is independent of the estimate's,
#: so one reading of it is weak evidence: it enters the error this many times.
#: Lines through one x (a gradient's, a Jacobian's) read the same f there: a
#: noise its values carry (the rounding of terms that cancel, which the pilot
#: may not see) shows in some lines' readings and happens to cancel in
#: others', so every line takes the largest reading among the converging lines.
EVEN_WITNESS = 10.0
#: Second derivatives have no such combination in these seven points (their
#: even part's is ``R(h) − R(2h)`` itself); elementwise, where no pilot has
#: measured the rounding, two more points at ±3h give one in the odd part
#: (its t⁷ term is left, which a smooth f keeps small at these steps).
ODD_WITNESS = 3.0


@functools.lru_cache(maxsize=16)
def _fast_stencil(n: int) -> Stencil:
    return Stencil.central(n, 4)


@functools.lru_cache(maxsize=16)
def _base_stencil(n: int) -> Stencil:
    return Stencil.central(n, 2)


#: The three steps, in units of h, stacked on a leading axis.
_STEPS = np.array([1.0, 2.0, 4.0]).reshape(3, 1, 1)
_STEPS.flags.writeable = False


@functools.lru_cache(maxsize=16)
def _factors(n: int) -> tuple[np.ndarray, dict]:
    """The factors of the top step the three steps sample f at (the base
    stencil's offsets at h, 2h and 4h, and ±2, ±1 and 0: f's even part at h
    and 2h), and per offset of the base stencil (and 0) the rows of these
    factors that hold it at h, 2h and 4h."""
    base = _base_stencil(n)
    factors = np.array(sorted({float(o * m) for o in base.support for m in (1, 2, 4)}
                              | {-2.0, -1.0, 0.0, 1.0, 2.0}))
    factors.flags.writeable = False
    row = {t: i for i, t in enumerate(factors.tolist())}
    rows = {float(o): _as_slice([row[float(o * m)] for m in (1, 2, 4)])
            for o in (*base.support, 0)}
    return factors, rows


def _as_slice(indices: list):
    """Indices in steps of one, up or down, as a slice (a view, not a copy); one
    index three times as a slice of it alone (it broadcasts); others as they are."""
    first, step = indices[0], indices[1] - indices[0]
    if step == 0 and len(set(indices)) == 1:
        return slice(first, first + 1)
    if abs(step) == 1 and indices == list(range(first, first + step * len(indices), step)):
        stop = first + step * len(indices)
        return slice(first, stop if stop >= 0 else None, step)
    return np.array(indices)


@dataclass
class _ThreeSteps:
    """Per line and output ``(L, m)``: the estimate ``R(h)``, its error, whether the
    base estimates converge, the size of f, and f's even part at h and 2h."""

    value: np.ndarray
    error: np.ndarray
    converging: np.ndarray
    magnitude: np.ndarray
    ratio: np.ndarray        # of the base estimates' differences (4 when asymptotic)
    at_rounding: np.ndarray  # both differences within rounding
    sampled: np.ndarray      # f at x + t·h, (F, k, m), for the factors t
    factors: np.ndarray
    truncation: np.ndarray   # the truncation part of the error

    @property
    def values(self) -> dict:
        """f at x + t·h per factor t."""
        return dict(zip(self.factors.tolist(), self.sampled))

    @property
    def even(self) -> np.ndarray:
        """f's even part at h, ``(f(x+h) + f(x−h))/2 − f(x)`` (first derivatives' kink check)."""
        values = self.values
        return (values[1.0] + values[-1.0]) / 2 - values[0.0]

    @property
    def even_wide(self) -> np.ndarray:
        """f's even part at 2h."""
        values = self.values
        return (values[2.0] + values[-2.0]) / 2 - values[0.0]


def _three_steps(lines, n: int, rounding: np.ndarray, epsilon: float,
                 which=None, *, shared: bool = False) -> _ThreeSteps:
    """The accuracy-2 central stencil at h, 2h and 4h (``lines.top`` is h) and the
    accuracy-4 estimates from it, for the lines ``which`` (all by default);
    ``rounding`` (per output) is the rounding of f's values, at least ``ε·|f|``
    at every point. ``shared``: the lines pass through one x, so f's noise
    there is one for all of them (:data:`EVEN_WITNESS`)."""
    which = np.arange(lines.count) if which is None else which
    base = _base_stencil(n)
    factors, rows = _factors(n)
    sampled, _ = lines.sample(factors, which, slack=False)            # (F, k, m)
    # the base stencil at h, 2h and 4h at once: f at each offset, stacked (3, k, m)
    stacked = {o: sampled[index] for o, index in rows.items()}
    scaled = _STEPS * lines.top[which][:, None]                       # (3, k, 1)
    t, relative = apply_stencil(base, stacked, scaled)
    absolute = rounding * base.weight_sum / scaled ** n
    r = np.maximum(epsilon * relative, absolute)
    r1, r2, r4 = r
    fine, wide = (4 * t[:2] - t[1:]) / 3
    d = t[:2] - t[1:]                                                  # h − 2h, 2h − 4h
    gap, pair_rounding = np.abs(d), r[:2] + r[1:]
    at_rounding = (gap <= ROUNDOFF_FACTOR * pair_rounding).all(axis=0)
    ratio = d[1] / d[0]
    # differences a few times their rounding: the h^2 term is hidden in it, and
    # the h^4 term R(h) keeps is taken as large as the h^2 term may be
    drowned = ~at_rounding & (gap <= DROWNED * pair_rounding).all(axis=0)
    in_band = (ratio >= RATIO_LOW) & (ratio <= RATIO_HIGH)
    settled = at_rounding | drowned
    converging = settled | in_band
    # R(h) is left with the h^4 term; |R(h) − R(2h)| / 15 measures it, and the
    # ratio's departure from 4 shows it too (the h^4 term against the h^2 one)
    # (each np.where below only where some element takes its other branch:
    # without one, the branch taken gives the same values)
    departure = np.abs(ratio - 4.0) / DEPARTURE_DIVISOR * gap[0]
    if settled.any():
        departure = np.where(settled, 0.0, departure)
    if n == 1:   # the even part is a second witness: the departure at half weight
        witness = spare_noise(EVEN_RESIDUAL, sampled, factors, epsilon, rounding)
        if shared:
            # f's noise at x, read by every converging line: the largest reading
            # holds for all (one line's reading may happen to cancel)
            witness = np.maximum(witness, np.max(np.where(converging, witness, 0.0), axis=0))
        departure = np.maximum(departure / 2, EVEN_WITNESS * witness / scaled[0])
    truncation = np.maximum(np.abs(fine - wide) / 15, departure)
    hidden = drowned & ~in_band
    if hidden.any():   # (the truncation is >= 0 or NaN: its maximum with 0 is itself)
        truncation = np.maximum(truncation, np.where(hidden, (gap[0] + gap[1]) / 3, 0.0))
    error = SAFETY * truncation + ROUNDOFF_WEIGHT * (4 * r1 + r2) / 3
    if at_rounding.any():
        # differences at rounding: the truncation is below it even at 4h, where the
        # rounding is 4^n times smaller; the base estimate there may be better
        wide_truncation = 4.0 / 3.0 * (gap[1] + r2 + r4)
        wide_error = SAFETY * wide_truncation + ROUNDOFF_WEIGHT * r4
        use_wide = at_rounding & (wide_error < error)
        fine = np.where(use_wide, t[2], fine)
        error = np.where(use_wide, wide_error, error)
        truncation = np.where(use_wide, wide_truncation, truncation)
    else:
        fine = fine.copy()   # an array of its own, not a view that keeps ``wide`` alive
    return _ThreeSteps(fine, error, converging, np.maximum.reduce(np.abs(sampled), axis=0),
                       ratio, at_rounding, sampled, factors, SAFETY * truncation)


@dataclass
class _Pilot:
    """What the pilot found: a relative step, and the rounding of f's values per
    output (absolute: f computed by cancellation carries the rounding of its
    terms, however small f itself is)."""

    scale: float
    rounding: np.ndarray


@functools.lru_cache(maxsize=8)
def _unit_scale(n: int) -> float:
    """The step (relative to the top) the scan chooses for a function of unit
    length (exp at 1/4, top 1/2): the yardstick the pilot's choice is read against."""
    from .lines import ElementLines

    x, top = np.array([0.25]), np.array([0.5])
    lines = ElementLines(lambda points, which: np.exp(points), x, top)
    estimate = scan(lines, ladder_for(Stencil.central(n, 2)), bottom=np.array([1e-12]),
                    epsilon=float(np.finfo(np.float64).eps))
    return float(estimate.scale[0, 0] / top[0])


def _pilot(lines, n, epsilon, bottom) -> _Pilot | None:
    """Scan one combined line; None unless it gives trusted estimates.

    Outputs the pilot leaves unresolved (an output constant along the pilot
    up to rounding: its terms cancel there) are tolerated; they take the
    largest rounding the others show, and their lines are checked on their own.
    A smooth line is read from a short ladder in one call (:mod:`.pilot`);
    the scan is for the lines that ladder cannot read.
    """
    combined = lines.combined()
    reading = read_pilot(combined, n, epsilon, float(bottom[0]))
    epsilon = lines.precision(epsilon)   # f(x) came with the pilot's points
    if reading is not None:
        return _Pilot(fast_scale(reading, n), reading.rounding)
    estimate = scan(combined, ladder_for(Stencil.central(n, 2)), bottom=bottom,
                    epsilon=epsilon, max_rounds=PILOT_ROUNDS)
    status = estimate.status[0]
    success = status == Status.SUCCESS
    if not success.any() or not np.all(success | (status == Status.UNRESOLVED)):
        return None
    # f's length along the pilot, relative to a unit-length function's
    chosen = float(np.nanmin(estimate.scale[0][success])) / float(combined.top[0])
    length = min(1.0, chosen / _unit_scale(n))
    step = float(power_below(2.0 * _fast_stencil(n).optimal_step() * length))
    rounding = np.where(success, estimate.rounding[0], np.nan)
    return _Pilot(step, np.where(success, rounding, np.nanmax(rounding)))


def fast_scan(lines, n: int, *, bottom, epsilon) -> tuple[LineEstimate, np.ndarray]:
    """Estimates for every line: fast where the checks pass, scanned where not.

    Returns the estimates and the mask of lines that went to the full scan.
    """
    with np.errstate(all="ignore"):
        return _fast_scan(lines, n, bottom=bottom, epsilon=epsilon)


def _fast_scan(lines, n: int, *, bottom, epsilon) -> tuple[LineEstimate, np.ndarray]:
    count = lines.count
    pilot = _pilot(lines, n, epsilon, bottom.min(keepdims=True))
    epsilon = lines.precision(epsilon)   # as the pilot found it
    if pilot is None:
        return scan(lines, ladder_for(Stencil.central(n, 2)), bottom=bottom,
                    epsilon=epsilon), np.ones(count, dtype=bool)
    fast_lines = lines.at_scale(pilot.scale)
    value, error, magnitude, checked = _stream(fast_lines, n, ROUNDING_SAFETY * pilot.rounding,
                                               epsilon)
    power = fast_lines.top ** n
    good = (checked.passed(value) & (fast_lines.top > bottom * lines.top)
            & np.isfinite(power) & (power > 0))
    shape = value.shape
    # fields constant over the lines are read-only broadcasts (LineEstimate.put
    # copies one before the lines sent back to the scan are stored in it)
    success, nan, zero, false, none = _constants(shape)
    result = LineEstimate(value, error, np.broadcast_to(fast_lines.top[:, None], shape),
                          success, nan, nan, np.zeros(count, dtype=np.int64), nan, magnitude,
                          zero, np.broadcast_to(pilot.rounding, shape), false, none)
    back = ~good
    if back.any():
        rest = scan(lines.subset(back), ladder_for(Stencil.central(n, 2)),
                    bottom=bottom[back], epsilon=epsilon)
        result.put(back, rest)
        _share_rounding(result, rest, good, fast_lines.top, n, ROUNDING_SAFETY * pilot.rounding)
    return result, back


def _share_rounding(result: LineEstimate, scanned: LineEstimate, fast, top, n: int,
                    assumed: np.ndarray) -> None:
    """The fast lines' errors with f's rounding at x as the scanned lines measured
    it, where that is above what they assumed (``assumed`` per output): f's
    rounding is the same on every line through x, and a scanned line can see
    what the pilot did not (the rounding of terms that cancel). The error's
    rounding part, ``ROUNDOFF_WEIGHT·(4·r(h) + r(2h))/3``, takes the excess."""
    measured = np.fmax.reduce(np.where(scanned.status == int(Status.SUCCESS), scanned.rounding,
                                       np.nan), axis=0, initial=-np.inf)
    excess = measured - assumed
    if not (fast.any() and (excess > 0).any()):
        return
    h = top[fast][:, None]
    weight = _base_stencil(n).weight_sum * (4.0 / h**n + 1.0 / (2.0 * h)**n) / 3.0
    result.error[fast] += ROUNDOFF_WEIGHT * weight * np.maximum(excess, 0.0)


@functools.lru_cache(maxsize=32)
def _constants(shape: tuple) -> tuple:
    """The values a fast estimate has on every line, over ``shape``: SUCCESS, NaN,
    0, False and -1, each read-only in the memory of one value (shared by the
    calls of one shape)."""
    return tuple(np.broadcast_to(np.array(value), shape)
                 for value in (int(Status.SUCCESS), np.nan, 0, False, -1))


#: Line × output elements of the fast path's arrays built at a time: f's
#: values at the seven factors and the estimates' intermediate arrays stay
#: within a few MiB, and the memory of a Jacobian within a few of its copies.
FAST_CHUNK_ELEMENTS = 2**18


def fast_chunks(count: int, outputs: int):
    """The lines ``0..count-1`` in consecutive slices of at most
    :data:`FAST_CHUNK_ELEMENTS` line × output elements (one line at least)."""
    size = max(1, FAST_CHUNK_ELEMENTS // max(outputs, 1))
    for start in range(0, count, size):
        yield slice(start, min(start + size, count))


@dataclass
class _Checks:
    """The fast path's checks, reduced per line while the chunks stream by:
    ``local`` holds where every output passes the checks that need no other
    line; ``loose`` is the largest truncation among the outputs whose
    truncation is above AGREEMENT of their own derivative (-inf: none), which
    must then be below AGREEMENT of the floor, FLOOR times the largest
    derivative over all lines, known only at the end."""

    local: np.ndarray
    loose: np.ndarray

    def passed(self, value: np.ndarray) -> np.ndarray:
        largest = np.fmax.reduce(np.abs(value), axis=None, initial=0.0)   # NaN left out
        # |t| <= A·max(|v|, F·G) is |t| <= A·|v| or |t| <= A·(F·G): rounding is monotone
        return self.local & (self.loose <= AGREEMENT * (FLOOR * largest))


def _stream(lines, n: int, rounding: np.ndarray, epsilon: float):
    """The six-point estimates of every line, a chunk of lines at a time.

    Returns value, error and the size of f per line and output, and the
    checks per line (:class:`_Checks`)."""
    count, outputs = lines.count, lines.outputs
    if count <= max(1, FAST_CHUNK_ELEMENTS // max(outputs, 1)):   # one chunk: no copies
        value, error, magnitude, local, loose = _chunk(lines, n, rounding, epsilon,
                                                       slice(0, count))
        return value, error, magnitude, _Checks(local, loose)
    shape = (count, outputs)
    value, error, magnitude = np.empty(shape), np.empty(shape), np.empty(shape)
    checks = _Checks(np.empty(count, dtype=bool), np.empty(count))
    for part in fast_chunks(count, outputs):
        (value[part], error[part], magnitude[part], checks.local[part],
         checks.loose[part]) = _chunk(lines, n, rounding, epsilon, part)
    return value, error, magnitude, checks


def _chunk(lines, n: int, rounding: np.ndarray, epsilon: float, part: slice):
    """Value, error and size of f for the lines ``part``, and their checks
    reduced per line (the intermediate arrays go when it returns)."""
    three = _three_steps(lines, n, rounding, epsilon, np.arange(part.start, part.stop),
                         shared=True)
    truncation = three.truncation
    # the truncation must be small (the step deep in the asymptotic range);
    # rounding, however large, is in the error as measured
    local = (three.converging & ~np.isnan(truncation) & np.isfinite(three.value)
             & np.isfinite(three.error))
    if n == 1:
        even, wide = np.abs(three.even), np.abs(three.even_wide)
        kink_rounding = EVEN_ROUNDING * epsilon * three.magnitude
        local &= ~((even > kink_rounding) & (wide < EVEN_RATIO * even))
    above = ~(truncation <= AGREEMENT * np.abs(three.value))
    if above.any():
        loose = np.maximum.reduce(np.where(above, truncation, -np.inf), axis=1, initial=-np.inf)
    else:   # every truncation within AGREEMENT of its own derivative
        loose = np.full(len(truncation), -np.inf)
    return three.value, three.error, three.magnitude, local.all(axis=1), loose


#: Elements (of an elementwise derivative) have no pilot: their step assumes
#: f changes on the scale of the top step, and stricter checks stand in for
#: the pilot's measurements: the ratio within 4 ± 1%, an error below
#: ELEMENT_AGREEMENT of the derivative, the rounding ε·|f| times
#: ELEMENT_ROUNDING_SAFETY per order (the departure of the ratio from 4, and for
#: first derivatives the even part's residual, show more rounding than that).
ELEMENT_AGREEMENT = 1e-9
ELEMENT_ROUNDING_SAFETY = {1: 1.5, 2: 2.0}
#: The elements' step, in optimal steps of the accuracy-4 stencil for a
#: function of unit length: near the balance with rounding, whose bound then
#: also covers a truncation estimate |R(h) − R(2h)| that happens to cancel
#: (larger steps, where truncation alone sets the error, were seen to miss).
ELEMENT_STEP = 2.0
ELEMENT_RATIO = (3.96, 4.04)


def fast_elements(lines, n: int, *, bottom, epsilon) -> LineEstimate:
    """Every element's derivative from six points where the checks pass (eight
    for n = 2: ±3h shows the noise), the full scan where not (f acting
    elementwise, n = 1 or 2)."""
    with np.errstate(all="ignore"):
        return _fast_elements(lines, n, bottom=bottom, epsilon=epsilon)


def _fast_elements(lines, n: int, *, bottom, epsilon) -> LineEstimate:
    count = lines.count
    # a power of two, like the top steps: x ± o·h are then exact
    scale = float(power_below(ELEMENT_STEP * _fast_stencil(n).optimal_step()))
    scaled = lines.at_scale(scale)
    element_epsilon = ELEMENT_ROUNDING_SAFETY[n] * epsilon
    three = _three_steps(scaled, n, np.zeros(lines.outputs), element_epsilon)
    value = three.value
    size = np.maximum(np.abs(value), FLOOR * np.nanmax(np.abs(value), initial=0.0))
    ok = (_in_band(three.ratio) & _other_part_scales(three.values, n, epsilon)
          & (three.truncation <= ELEMENT_AGREEMENT * size) & np.isfinite(value)
          & np.isfinite(three.error))
    if n == 1:
        even, wide = np.abs(three.even), np.abs(three.even_wide)
        rounding = EVEN_ROUNDING * epsilon * three.magnitude
        ok &= ~((even > rounding) & (wide < EVEN_RATIO * even))
    power = (lines.top * scale) ** n
    good = ok.all(axis=1) & (scale > bottom) & np.isfinite(power) & (power > 0)
    shape = value.shape
    points = np.full(count, 6, dtype=np.int64)
    error = np.array(three.error)
    if n == 2 and good.any():
        # the odd part's spare combination, at two more points (elements that passed)
        passed = np.flatnonzero(good)
        extra, _ = scaled.sample(np.array([-3.0, 3.0]), passed, slack=False)
        witness = SAFETY * ODD_WITNESS * odd_noise(three.sampled[:, passed], three.factors,
                                                    extra, element_epsilon) / power[passed, None]
        error[passed] += witness
        points[passed] += 2
        fine = (three.truncation[passed] + witness <= ELEMENT_AGREEMENT * size[passed]).all(axis=1)
        good[passed] = fine & np.isfinite(witness).all(axis=1)
    result = LineEstimate(np.array(value), error,
                          np.broadcast_to(lines.top[:, None] * scale, shape).copy(),
                          np.full(shape, int(Status.SUCCESS)), np.full(shape, np.nan),
                          np.full(shape, np.nan), points,
                          np.full(shape, np.nan), three.magnitude, np.zeros(shape, dtype=int),
                          np.full(shape, np.nan), np.zeros(shape, dtype=bool), np.full(shape, -1))
    back = ~good
    if back.any():
        rest = scan(lines.subset(back), ladder_for(Stencil.central(n, 2)), bottom=bottom[back],
                    epsilon=epsilon)
        for name in ("value", "error", "scale", "status", "forward", "backward", "divergence",
                     "size", "side", "rounding", "lattice", "kink_order"):
            getattr(result, name)[back] = getattr(rest, name)
        result.nfev[back] = points[back] + rest.nfev
    return result


def _in_band(ratio):
    return (ratio >= ELEMENT_RATIO[0]) & (ratio <= ELEMENT_RATIO[1])


def _other_part_scales(values, n: int, epsilon: float):
    """The part of f the estimate does not use scales as a smooth f's does: the
    even part ``(f(x+t) + f(x−t))/2 − f(x)`` like t² for n = 1, the odd part
    ``(f(x+t) − f(x−t))/2`` like t for n = 2 (ratios within 1% from h to 4h),
    or stays within rounding throughout. Values quantized far above ε·|f|
    (rounded outputs, a sum that cancels) pass the estimate's own ratio by
    chance now and then; both at once hardly ever."""
    if n == 1:
        parts = [(values[t] + values[-t]) / 2 - values[0.0] for t in (1.0, 2.0, 4.0)]
        expected = 4.0
    else:
        parts = [(values[t] - values[-t]) / 2 for t in (1.0, 2.0, 4.0)]
        expected = 2.0
    size = np.maximum.reduce([np.abs(values[t]) for t in (-4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0)])
    rounding = EVEN_ROUNDING * epsilon * size
    tiny = np.all([np.abs(part) <= rounding for part in parts], axis=0)
    low, high = expected * 0.99, expected * 1.01
    first, second = parts[1] / parts[0], parts[2] / parts[1]
    scaling = (first >= low) & (first <= high) & (second >= low) & (second <= high)
    return tiny | scaling

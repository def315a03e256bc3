"""Many lines at close to the cost of a fixed stencil: a pilot, then four points a line.

A gradient, Jacobian or Hessian differentiates along many lines. Scanning
each one down its own ladder costs some twenty points a line; most lines of
one function behave alike, though. So one *pilot* line, a combination of all
directions (it changes as fast as the fastest of them), is scanned in full:
it shows the length on which f changes and the rounding f's values really
carry. Every line then gets the accuracy-4 central stencil at a step chosen
from the pilot, four points a line (five for second derivatives, the centre
shared by all). Its error is taken from the accuracy-2 stencil on its inner
points, which bounds the truncation of the accuracy-4 one wherever both are
in their asymptotic range, plus the measured rounding.

Each line is then checked on its own points: the values are finite, the two
stencils agree closely enough that the step is well inside the asymptotic
range (a line along which f varies much faster than along the pilot fails
here), and for first derivatives f is not kinked (its even part shrinks like
h², not h). The lines that fail go to the full scan, and only they.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..result import Status
from ..stencil import Stencil
from .fixed import at_step
from .ladder import ladder_for
from .scan import LineEstimate, scan

__all__ = ["FAST_MIN_LINES", "fast_scan"]

#: Below this many lines the full scan of every line is cheap enough.
FAST_MIN_LINES = 4
#: The accuracy-2 and accuracy-4 estimates of a line must agree to this
#: fraction of the derivative's size: the step is then deep in the range
#: where the truncation expansion holds.
AGREEMENT = 1e-4
#: A line's derivative size is at least this fraction of the largest over
#: the lines (so that a derivative that is zero does not send its line back).
FLOOR = 1e-3
#: Even part of f shrinking by less than this factor when the step halves
#: (4 when smooth, 2 at a kink) sends a first-derivative line back.
EVEN_RATIO = 3.0
#: The rounding the pilot measured (at least ε) holds along its combined line;
#: a single direction may see more of the terms cancel: a safety factor.
ROUNDING_SAFETY = 8.0
#: A kink needs the even part this many times above its rounding to be seen.
EVEN_ROUNDING = 10.0


@functools.lru_cache(maxsize=16)
def _fast_stencil(n: int) -> Stencil:
    return Stencil.central(n, 4)


@dataclass
class _Pilot:
    """What the pilot found: a relative step, and f's rounding relative to its size."""

    scale: float
    relative_rounding: float


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
    """Scan one combined line; None if it does not give a trusted estimate."""
    combined = lines.combined()
    estimate = scan(combined, ladder_for(Stencil.central(n, 2)), bottom=bottom,
                    epsilon=epsilon)
    if not np.all(estimate.status == Status.SUCCESS):
        return None
    # f's length along the pilot, relative to a unit-length function's
    chosen = float(np.nanmin(estimate.scale)) / float(combined.top[0])
    length = min(1.0, chosen / _unit_scale(n))
    step = 2.0 * _fast_stencil(n).optimal_step() * length
    size = max(float(np.max(estimate.size)), float(np.finfo(np.float64).tiny))
    return _Pilot(step, float(np.nanmax(estimate.rounding)) / size)


def fast_scan(lines, n: int, *, bottom, epsilon) -> tuple[LineEstimate, np.ndarray]:
    """Estimates for every line: fast where the checks pass, scanned where not.

    Returns the estimates and the mask of lines that went to the full scan.
    """
    with np.errstate(all="ignore"):
        return _fast_scan(lines, n, bottom=bottom, epsilon=epsilon)


def _fast_scan(lines, n: int, *, bottom, epsilon) -> tuple[LineEstimate, np.ndarray]:
    count = lines.count
    pilot = _pilot(lines, n, epsilon, np.min(bottom, keepdims=True))
    if pilot is None:
        return scan(lines, ladder_for(Stencil.central(n, 2)), bottom=bottom,
                    epsilon=epsilon), np.ones(count, dtype=bool)
    stencil = _fast_stencil(n)
    fast_lines = lines.at_scale(pilot.scale)
    estimate = at_step(fast_lines, stencil, epsilon,
                       relative_level=ROUNDING_SAFETY * max(pilot.relative_rounding, epsilon))
    value, lower = estimate.value, estimate.lower
    with np.errstate(all="ignore"):
        size = np.maximum(np.abs(value), FLOOR * np.nanmax(np.abs(value), initial=0.0))
        agree = np.abs(value - lower) <= AGREEMENT * size
        ok = agree & np.isfinite(value) & np.isfinite(estimate.error)
        if n == 1 and estimate.even is not None:
            even, wide = np.abs(estimate.even), np.abs(estimate.even_wide)
            rounding = EVEN_ROUNDING * epsilon * estimate.magnitude
            ok &= ~((even > rounding) & (wide < EVEN_RATIO * even))
    good = ok.all(axis=1) & (fast_lines.top > bottom * lines.top)
    shape = value.shape
    result = LineEstimate(value, estimate.error, np.broadcast_to(fast_lines.top[:, None], shape),
                          np.full(shape, int(Status.SUCCESS)), np.full(shape, np.nan),
                          np.full(shape, np.nan), np.full(count, 0, dtype=np.int64),
                          np.full(shape, np.nan), estimate.magnitude, np.zeros(shape, dtype=int),
                          np.full(shape, pilot.relative_rounding), np.zeros(shape, dtype=bool),
                          np.full(shape, -1))
    result.value = np.array(result.value)
    result.error = np.array(result.error)
    result.scale = np.array(result.scale)
    back = ~good
    if back.any():
        rest = scan(lines.subset(back), ladder_for(Stencil.central(n, 2)),
                    bottom=bottom[back], epsilon=epsilon)
        for name in ("value", "error", "scale", "status", "forward", "backward", "divergence",
                     "size", "side", "rounding", "lattice", "kink_order"):
            getattr(result, name)[back] = getattr(rest, name)
    return result, back

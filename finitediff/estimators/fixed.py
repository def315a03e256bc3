"""A stencil at one given step per line, with an error beside it.

Two estimators use it. With an explicit ``step=`` the stencil is applied at
that step (made representable, so that the points ``x ± o·h`` are exact and
the division is by the spacing actually used). The fast path of the
multivariate functions (:mod:`.fast`) applies a higher-order stencil at a
step its pilot chose.

The error comes from a second estimate on the same points where possible:
a central stencil of accuracy p >= 4 embeds the one of accuracy p − 2 on its
inner points, and the difference of the two is about the truncation error of
the lower one, which bounds the higher one's. Else the stencil is applied at
2h too and the leading-order truncation is ``|T(h) − T(2h)| / (2^p − 1)``.
Rounding adds ``ε·Σ|w·f|/h^n``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..stencil import Stencil

__all__ = ["AtStep", "apply_stencil", "at_step", "embedded_stencil"]

#: Safety factor on the truncation estimate.
SAFETY = 2.0
#: Multiple of the rounding bound added to the error.
ROUNDOFF_WEIGHT = 1.5


@dataclass
class AtStep:
    """Per output element ``(L, m)``: value, error, and the pieces a check needs."""

    value: np.ndarray
    error: np.ndarray
    lower: np.ndarray        # the embedded (or 2h) estimate the error comes from
    roundoff: np.ndarray
    magnitude: np.ndarray    # max |f| over the points
    even: np.ndarray | None  # (f(h) + f(-h))/2 - f(0) and the same at 2h, for kinks
    even_wide: np.ndarray | None
    slope: np.ndarray | None  # |f(h) − f(−h)| / 2h: the first derivative along the line
    points: int = 0           # points per line besides x itself


@functools.lru_cache(maxsize=256)
def embedded_stencil(stencil: Stencil) -> Stencil | None:
    """The stencil of the same order on all but the outermost offsets, if it is
    less accurate and uses only points of the stencil."""
    if not stencil.support:
        return None
    reach = max(abs(o) for o in stencil.support)
    inner = [o for o in stencil.offsets if abs(o) < reach]
    if len(inner) < stencil.n + 1:
        return None
    inner_stencil = Stencil(inner, stencil.n)
    if not set(inner_stencil.support) <= set(stencil.support):
        return None
    return inner_stencil if inner_stencil.accuracy < stencil.accuracy else None


def apply_stencil(stencil: Stencil, values: dict, step, scale: float = 1.0):
    """The stencil at ``scale·step`` on sampled values ``{factor: f}``: the estimate
    and ``Σ|w·f| / (scale·step)^n`` (its rounding per unit of relative rounding)."""
    # Σw = 0 for n >= 1: differences from f(x) give the same sum, exactly 0 where
    # f does not change along the line
    base = values[0.0] if stencil.n >= 1 and 0.0 in values else 0.0
    total = rounding = 0
    for o, w in zip(stencil.support, stencil.support_weights.tolist()):
        value = values[o * scale]
        # (a factor of 1 multiplies exactly: such products are not formed)
        total = total + (value - base if w == 1.0 else w * (value - base))
        rounding = rounding + (np.abs(value) if abs(w) == 1.0 else abs(w) * np.abs(value))
    power = (step if scale == 1.0 else scale * step) ** stencil.n
    return total / power, rounding / power


def at_step(lines, stencil: Stencil, epsilon, which=None, relative_level=0.0) -> AtStep:
    """The stencil at factor 1 of every line (``lines.top`` is the step), with an error.

    ``relative_level`` is a rounding level of f's values relative to their
    size, measured elsewhere; the rounding bound uses it where it exceeds ε.
    """
    which = np.arange(lines.count) if which is None else which
    if stencil.support == (0,):   # f(x) itself: only its own rounding
        value, _ = lines.sample(np.zeros(1), which, slack=False)
        value = value[0] * stencil.support_weights[0]
        magnitude = np.abs(value)
        error = 2.0 * max(epsilon, relative_level) * magnitude
        return AtStep(value, error, value, error, magnitude, None, None, None, 0)
    inner = embedded_stencil(stencil)
    offsets = set(stencil.support) | {0}
    if inner is None:
        offsets |= {2 * o for o in stencil.support}
    if 1 in offsets and -1 in offsets:
        offsets |= {2, -2}  # the even part at 2h, for the kink check
    factors = np.array(sorted(float(o) for o in offsets))
    sampled, _ = lines.sample(factors, which, slack=False)     # (F, L, m)
    values = {float(t): sampled[i] for i, t in enumerate(factors)}
    step = lines.top[which][:, None]
    with np.errstate(all="ignore"):
        value, rounding = apply_stencil(stencil, values, step)
        magnitude = np.max(np.abs(sampled), axis=0)
        if inner is not None:
            lower, lower_rounding = apply_stencil(inner, values, step)
            truncation = np.abs(value - lower)
        else:
            lower, lower_rounding = apply_stencil(stencil, values, step, 2.0)
            truncation = np.abs(value - lower) / (2.0 ** stencil.accuracy - 1.0)
        roundoff = max(epsilon, relative_level) * (rounding + lower_rounding)
        if inner is None:
            # where rounding dominates, T(h) − T(2h) is rounding itself, not a
            # third of it: f's values may carry more than ε·|f|
            roundoff = np.maximum(roundoff, np.abs(value - lower))
        error = SAFETY * truncation + ROUNDOFF_WEIGHT * roundoff
        even = even_wide = slope = None
        if 1.0 in values and -1.0 in values:
            even = (values[1.0] + values[-1.0]) / 2 - values[0.0]
            even_wide = (values[2.0] + values[-2.0]) / 2 - values[0.0]
            slope = np.abs(values[1.0] - values[-1.0]) / (2 * step)
        elif 1.0 in values:
            slope = np.abs(values[1.0] - values[0.0]) / step
        elif -1.0 in values:
            slope = np.abs(values[0.0] - values[-1.0]) / step
    return AtStep(value, error, lower, roundoff, magnitude, even, even_wide, slope,
                  int(np.sum(factors != 0.0)))

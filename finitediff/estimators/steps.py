"""The top of every line's ladder, and which way a stencil may reach within bounds.

The adaptive steps start at ``scale`` (default ``0.5·max(|x|, 1)``), rounded
down to a power of two: the ladder's steps are then that power of two times
exact powers of 2 (and √2), so the stencil points are exact sums wherever the
step is a multiple of the last place of x.

With ``bounds=(lo, hi)`` every point stays inside: a central stencil is kept
while the room on the narrower side allows a top step at least
``2^-MAX_SHRINK`` of the one asked for; otherwise a one-sided stencil of the
same order points into the roomier side.
"""

from __future__ import annotations

import numpy as np

from ..errors import check_argument
from ..stencil import Stencil

__all__ = ["TOP_FRACTION", "power_below", "top_steps", "Reach", "reach"]

#: The default top step, relative to max(|x|, 1).
TOP_FRACTION = 0.5
#: A central stencil may shrink its top step by up to 2^MAX_SHRINK to fit bounds.
MAX_SHRINK = 6
#: Points stay this fraction of the room inside the bounds.
MARGIN = 1.0 - 2.0**-20


def top_steps(x: np.ndarray, scale) -> np.ndarray:
    """The top step per element: ``scale`` or ``0.5·max(|x|, 1)``, down to a power of two."""
    top = TOP_FRACTION * np.maximum(np.abs(x), 1.0) if scale is None else np.asarray(scale)
    exponent = np.floor(np.log2(top)).astype(int)
    return np.ldexp(1.0, exponent)


class Reach:
    """Per element: the stencil kind (0 central, +1 forward, -1 backward) and the top step."""

    def __init__(self, kind: np.ndarray, top: np.ndarray):
        self.kind = kind
        self.top = top


def _extent(stencil: Stencil) -> tuple[float, float]:
    offsets = stencil.support + (0,)
    return float(-min(offsets)), float(max(offsets))


def reach(stencil: Stencil, x: np.ndarray, top: np.ndarray, limits) -> Reach:
    """Stencil kinds and top steps that keep every point inside ``limits``.

    Kind 0 is ``stencil`` itself; where it does not fit, kind 1 (-1) is the
    forward (backward) stencil of the same order and accuracy, pointing into
    the roomier side (a forward ``method`` at an upper bound turns round).
    Without limits every element keeps ``stencil`` and its top.
    """
    kind = np.zeros(x.shape, dtype=int)
    if limits is None:
        return Reach(kind, top)
    lo, hi = limits
    below, above = (x - lo) * MARGIN, (hi - x) * MARGIN
    left, right = _extent(stencil)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = np.minimum(np.where(left > 0, below / left, np.inf),
                         np.where(right > 0, above / right, np.inf))
    fits = cap >= top * 2.0**-MAX_SHRINK
    one_sided = Stencil.forward(stencil.n, max(int(stencil.accuracy), 1))
    _, forward_reach = _extent(one_sided)
    kind = np.where(fits, 0, np.where(above >= below, 1, -1))
    room = np.where(kind == 1, above, below) / forward_reach
    top = np.where(fits, np.minimum(top, power_below(cap)), np.minimum(top, power_below(room)))
    check_argument(bool(np.all(top > 0)), "`bounds` leave no room to step from x")
    return Reach(kind, top)


def power_below(value) -> np.ndarray:
    """The largest power of two at most ``value`` (0 where value is 0)."""
    value = np.minimum(np.asarray(value, dtype=float), 2.0**1000)
    with np.errstate(divide="ignore"):
        exponent = np.floor(np.log2(np.where(value > 0, value, 1.0)))
    return np.where(value > 0, np.ldexp(1.0, exponent.astype(int)), 0.0) if value.size else value


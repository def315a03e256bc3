"""The ladder of steps the adaptive estimator walks down, and its base estimates.

A ladder applies one base stencil at the steps ``s_q = ratio^-q`` (q = 0, 1,
…, in units of the line's top step) and evaluates the centre too. The ratio
is chosen per derivative order so that rows share points and the rows are
dense where they matter:

- n = 1: ratio 4. The central stencil has the points ±s only, so a row costs
  two points whatever the ratio, and 4 reaches round-off in half the rows.
- n = 2: ratio 2 (±s and the centre; a row costs two points).
- n >= 3: ratio √2, so that ``2·s_q = s_(q−2)`` (built exactly with
  ``ldexp``): with the offsets ±1, ±2 a row still costs two points, and twice
  as many rows fall inside the narrow band where the round-off of a
  high-order stencil, growing like ``s^-n``, meets its truncation (for wider
  stencils the even offsets are shared).

Wider first-derivative stencils (``accuracy`` >= 4) and one-sided ones
(``method="forward"``/``"backward"``) use ratio 2 (√2 from n = 3 on), which
shares every other offset between rows.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..stencil import Stencil

__all__ = ["Ladder", "ladder_for"]

#: Richardson columns at most (the base estimate is column 0).
COLUMNS = 8


@dataclass(frozen=True)
class Ladder:
    """A base stencil at the steps ``ratio^-q`` and the expansion of its error.

    The truncation error of the base estimate expands in ``h^order,
    h^(order + gap), …`` (central stencils: order 2 and gap 2).
    """

    stencil: Stencil
    ratio: float
    order: int
    gap: int
    columns: int = COLUMNS

    @property
    def symmetric(self) -> bool:
        return set(self.stencil.offsets) == {-o for o in self.stencil.offsets}

    @functools.cached_property
    def offsets(self) -> tuple:
        """The offsets evaluated in every row: the stencil's support and the centre."""
        return tuple(sorted(set(self.stencil.support) | {0}))

    def factor(self, k: int) -> float:
        """How much the error of Richardson column k shrinks from one row to the next."""
        return self.ratio ** (self.order + k * self.gap)

    def scales(self, start: int, stop: int) -> np.ndarray:
        """``s_q`` for q in ``[start, stop)``, exact powers so that rows share points."""
        q = np.arange(start, stop)
        if self.ratio == math.sqrt(2.0):
            return np.ldexp(np.where(q % 2, math.sqrt(0.5), 1.0), -(q // 2))
        return np.ldexp(1.0, -(q * int(round(math.log2(self.ratio)))))

    def rows_to(self, scale: float) -> int:
        """The number of rows needed for the last one to be at or below ``scale``."""
        scale = min(max(scale, 1e-300), 1.0)   # also for an infinite or NaN scale
        scale = 1.0 if math.isnan(scale) else scale
        return max(int(math.ceil(-math.log(scale) / math.log(self.ratio))), 0) + 1


@functools.lru_cache(maxsize=256)
def ladder_for(stencil: Stencil) -> Ladder:
    """The ladder for a base stencil (see the module docstring)."""
    symmetric = set(stencil.offsets) == {-o for o in stencil.offsets}
    if not symmetric:
        return Ladder(stencil, math.sqrt(2.0) if stencil.n >= 3 else 2.0,
                      int(stencil.accuracy), 1)
    reach = max(abs(o) for o in stencil.support)
    if stencil.n >= 3:
        ratio = math.sqrt(2.0)
    else:
        ratio = 4.0 if stencil.n == 1 and reach == 1 else 2.0
    return Ladder(stencil, ratio, int(stencil.accuracy), 2)

"""The estimator for an explicit step: the stencil once, an error beside it.

The default estimator (``adaptive.py``) searches for its step; with a step
given, the stencil is applied at that step and the error comes from a
second estimate taken on the same points where possible.
"""

from __future__ import annotations

import functools

import numpy as np

from .directional import apply_stencil, directional_table, directional_values
from .stencil import Stencil

__all__ = ["embedded_stencil", "fixed_step_estimate"]


@functools.lru_cache(maxsize=256)
def embedded_stencil(stencil: Stencil) -> Stencil | None:
    """The stencil of the same order on all but the outermost offsets, if any.

    Central accuracy p on ``-r..r`` embeds accuracy p − 2 on ``-(r−1)..r−1``;
    a one-sided stencil embeds the one without its farthest point.
    """
    reach = max(abs(o) for o in stencil.support)
    inner = [o for o in stencil.offsets if abs(o) < reach]
    if len(inner) < stencil.n + 1:
        return None
    inner_stencil = Stencil(inner, stencil.n)
    if not set(inner_stencil.support) <= set(stencil.support):
        return None  # it would need a point the stencil does not evaluate
    return inner_stencil if inner_stencil.accuracy < stencil.accuracy else None


def fixed_step_estimate(evaluator, x, displacements, stencil):
    """``φ^(n)(0)`` at the given step, with an error estimate.

    Where the stencil embeds a lower-accuracy one on its inner points, the two
    estimates on the same points differ by about the truncation error of the
    lower one, which bounds the higher one's from above: no extra point. Else
    the stencil is applied at scale 2 too, and the truncation error of the
    scale-1 estimate is ``(E₁ − E₂)/(2^p − 1)`` to leading order. Round-off is
    the ε-weighted sum of |w·f|.
    """
    p = stencil.accuracy
    if np.isinf(p):
        table, roundoff = directional_table(evaluator, x, displacements, stencil, (1.0,))
        return table[0], roundoff[0]
    inner = embedded_stencil(stencil)
    if inner is None:
        table, roundoff = directional_table(evaluator, x, displacements, stencil, (1.0, 2.0))
        return table[0], np.abs(table[0] - table[1]) / (2.0**p - 1.0) + roundoff[0]
    gathered = directional_values(evaluator, x, displacements, stencil.support, (1.0,))
    table, roundoff = apply_stencil(gathered, stencil.support_weights, (1.0,), stencil.n)
    positions = [stencil.support.index(o) for o in inner.support]
    lower, lower_roundoff = apply_stencil(gathered[:, positions], inner.support_weights,
                                          (1.0,), inner.n)
    return table[0], np.abs(table[0] - lower[0]) + roundoff[0] + lower_roundoff[0]

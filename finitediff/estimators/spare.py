"""Noise the points of a fixed stencil carry beyond rounding, read from a spare combination.

Near x a smooth f's even part ``P(t) = (f(x+t) + f(x−t))/2 − f(x)`` is
``c2·t² + c4·t⁴ + c6·t⁶ + …`` and its odd part ``Q(t) = (f(x+t) − f(x−t))/2``
is ``c1·t + c3·t³ + c5·t⁵ + …``. Where a part is sampled at one more step than
the estimate needs, one combination of its values cancels every term the
estimate uses: a smooth f leaves only the next term in it, far below the
truncation, while noise in f's values stays whole. What the combination shows
beyond its own rounding bound is then a reading of noise that nobody declared.
Its noise is independent of the estimate's (the other part's, or other
points'), so one reading is weak evidence: the caller weighs it.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["EVEN_RESIDUAL", "ODD_RESIDUAL", "odd_noise", "spare_noise"]

#: The even part's combination free of t² and t⁴, ``64·P(h) − 20·P(2h) + P(4h)``
#: over 48 (its weights on f(x ± h) are then those of the accuracy-4 first
#: derivative, times h), as weights on f at the factors 0, ±1, ±2, ±4 of h.
EVEN_RESIDUAL = {0.0: -45 / 48, 1.0: 32 / 48, -1.0: 32 / 48, 2.0: -10 / 48, -2.0: -10 / 48,
                 4.0: 0.5 / 48, -4.0: 0.5 / 48}

#: The odd part's combination free of t, t³ and t⁵ at h, 2h, 3h and 4h,
#: ``Q(h) − Q(2h) + 3/7·Q(3h) − 1/14·Q(4h)``, times 8/3 (its weights on
#: f(x ± h) are then those of the accuracy-4 second derivative, times h²).
ODD_RESIDUAL = {t * side: side * 4 / 3 * c for t, c in ((1.0, 1.0), (2.0, -1.0), (3.0, 3 / 7),
                                                     (4.0, -1 / 14)) for side in (1.0, -1.0)}


@functools.lru_cache(maxsize=8)
def _weights(residual: tuple, factors: tuple) -> tuple[np.ndarray, np.ndarray, float]:
    """A combination's weights on f at ``factors`` (0 where it has none), as a row
    ``(1, F)``; their absolute values; and the sum of those."""
    residual = dict(residual)
    weights = np.array([[residual.get(t, 0.0) for t in factors]])
    sizes = np.abs(weights)
    weights.flags.writeable = sizes.flags.writeable = False
    return weights, sizes, float(sizes.sum())


def spare_noise(residual: dict, sampled, factors, epsilon, rounding):
    """The combination ``residual`` of f's values ``sampled`` ``(F, k, m)`` at
    ``factors`` ``(F,)``, beyond its rounding bound (``epsilon`` relative to
    each value, or ``rounding`` absolute, whichever is larger): noise, in
    units of f (the derivative's units times h^n)."""
    weights, sizes, total = _weights(tuple(residual.items()), tuple(factors.tolist()))
    flat = sampled.reshape(len(sampled), -1)
    value = np.abs(np.dot(weights, flat)).reshape(sampled.shape[1:])
    bound = np.maximum(epsilon * np.dot(sizes, np.abs(flat)).reshape(sampled.shape[1:]),
                       rounding * total)
    return np.maximum(value - bound, 0.0)


def odd_noise(sampled, factors, extra, epsilon):
    """The odd part's combination beyond its rounding bound, from values at
    ``factors`` that hold ±h, ±2h, ±4h and ``extra``, f at −3h and 3h ``(2, k, m)``."""
    values = np.concatenate([extra, sampled])
    return spare_noise(ODD_RESIDUAL, values, np.concatenate([[-3.0, 3.0], factors]),
                       epsilon, 0.0)

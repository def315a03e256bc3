"""The steps a sweep visits.

By default the grid is log-spaced, ``PER_DECADE`` steps per decade on the
powers ``10^(k/PER_DECADE)``, relative to ``scale = max(|x|, 1)`` (or the
``scale=`` given). It reaches from ``DECADES_BELOW`` decades under the
smallest unit-scale optimal step of the methods, where round-off dominates
every method by a factor of ``10^(2(n+p))`` or more, to ``DECADES_ABOVE``
decades over the largest, where truncation dominates, and no further than
``MAX_REACH·scale`` for the outermost stencil point.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import check_argument
from .methods import SweepMethod

__all__ = ["DECADES_ABOVE", "DECADES_BELOW", "MAX_REACH", "PER_DECADE", "check_steps",
           "default_steps"]

PER_DECADE = 8
DECADES_BELOW = 3.0
DECADES_ABOVE = 1.5
#: The outermost stencil point stays within this many scales of x.
MAX_REACH = 1.0


def default_steps(methods: tuple[SweepMethod, ...], epsilon: float) -> np.ndarray:
    """Unit-scale steps (multiply by the scale of x), ascending.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import Stencil
    >>> from finitediff.sweeps import SweepMethod, default_steps
    >>> steps = default_steps((SweepMethod.of(Stencil.central(2)),), np.finfo(float).eps)
    >>> f"{steps[0]:.1e} .. {steps[-1]:.1e}, {len(steps)} steps"
    '3.2e-07 .. 1.3e-02, 38 steps'
    """
    optimal = [m.unit_optimal_step(epsilon) for m in methods]
    lowest = math.log10(min(optimal)) - DECADES_BELOW
    highest = min(math.log10(max(optimal)) + DECADES_ABOVE,
                  math.log10(MAX_REACH / max(m.reach for m in methods)))
    first = math.floor(lowest * PER_DECADE)
    last = math.ceil(highest * PER_DECADE)
    return 10.0 ** (np.arange(first, last + 1) / PER_DECADE)


def check_steps(steps) -> np.ndarray:
    """User steps: a 1-d array of positive, finite, distinct floats, returned ascending."""
    try:
        array = np.asarray(steps, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`steps` must be a sequence of positive floats, got {steps!r}") from None
    check_argument(array.ndim == 1 and array.size >= 2,
                   f"`steps` must be a 1-d sequence of at least 2 steps, got shape {array.shape}")
    check_argument(bool(np.all(np.isfinite(array)) and np.all(array > 0)),
                   "`steps` must be positive and finite")
    array = np.sort(array)
    check_argument(bool(np.all(np.diff(array) > 0)), "`steps` must be distinct")
    return array

"""``estimate_step``: the step that balances round-off and truncation for a
given stencil on a given f, with a bound that was measured at that step."""

from __future__ import annotations

import math

import numpy as np

from .calculus import derivative
from .errors import check_argument
from .stencil import Stencil

__all__ = ["estimate_step"]


def estimate_step(stencil: Stencil, f, x: float, *, args: tuple = ()) -> tuple[float, float]:
    """Step balancing round-off and truncation for ``stencil`` on ``f`` at ``x``.

    The derivative ``f^(n+p)(x)`` that sets the truncation error is estimated
    with the adaptive estimator, and the size of f near x (over the points
    that estimate used, so a zero of f at x does not make the rounding look
    like nothing) sets the round-off; :meth:`Stencil.optimal_step` balances
    the two and :meth:`Stencil.error` gives the bound at that step, doubled
    for the terms the model leaves out.

    Returns
    -------
    step : float
        The balancing step (absolute), representable at x.
    error_bound : float
        The predicted error of the stencil at that step.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import Stencil, estimate_step
    >>> stencil = Stencil.central(1)
    >>> step, bound = estimate_step(stencil, np.exp, 1.0)
    >>> estimate = (np.exp(1.0 + step) - np.exp(1.0 - step)) / (2 * step)
    >>> bool(abs(estimate - np.e) <= bound < 1e-9)
    True
    """
    check_argument(isinstance(stencil, Stencil), f"`stencil` must be a Stencil, got {stencil!r}",
                   error=TypeError)
    check_argument(np.ndim(x) == 0 and math.isfinite(float(x)),
                   f"`x` must be a finite float, got {x!r}")
    x = float(x)
    with np.errstate(all="ignore"):
        value = abs(float(np.asarray(f(np.asarray(x), *args))))
        if math.isinf(stencil.accuracy):
            return 1.0, 2.0 * np.finfo(np.float64).eps * value * stencil.weight_sum
        higher = derivative(f, x, n=stencil.n + int(stencil.accuracy), args=args)
        size = max(value, _local_size(f, x, args, float(higher.step)))
        scale = max(abs(x), 1.0)
        # the next derivative too: where f^(n+p) vanishes at x (sin at 0) the
        # next term sets the truncation
        after = derivative(f, x, n=stencil.n + int(stencil.accuracy) + 1, args=args)
        derivative_size = max(abs(float(higher.df)) + float(higher.error),
                              abs(float(after.df)) + float(after.error))
        if not (math.isfinite(derivative_size) and derivative_size > 0 and size > 0):
            step = stencil.optimal_step() * scale
        else:
            step = stencil.optimal_step(f_scale=size, derivative_scale=derivative_size)
        step = float((x + step) - x) or stencil.optimal_step() * scale
        bound = 2.0 * float(stencil.error(step, f_scale=size, derivative_scale=derivative_size))
        # the model leaves out the terms after the leading one (they dominate
        # where f^(n+p) vanishes at x) and rounding beyond ε·|f|: the stencil's
        # own error at that step, measured, bounds it too
        measured = derivative(f, x, n=stencil.n, method=stencil, step=step, args=args)
    bound = max(bound, float(measured.error)) if np.isfinite(measured.error) else math.inf
    # the model rests on the two derivative estimates: without them, no bound
    trusted = bool(higher.success) and bool(after.success) and math.isfinite(bound)
    return step, bound if trusted else math.inf


def _local_size(f, x, args, step):
    """max |f| at x ± step (the size of f's terms where f itself may vanish at x)."""
    if not math.isfinite(step) or step <= 0:
        return 0.0
    with np.errstate(all="ignore"):
        values = np.asarray(f(np.array([x - step, x + step]), *args), dtype=float)
    values = values[np.isfinite(values)]
    return float(np.max(np.abs(values))) if values.size else 0.0

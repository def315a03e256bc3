"""Step-size choice from the balance of truncation and round-off error.

For a stencil of order ``n`` and accuracy ``p`` with error coefficient ``C``
and weights ``w``, the error of the estimate at step ``h`` is about

    E(h) = ε·|f|·Σ|w_j| / h^n  +  |C|·|f^(n+p)|·h^p.

With ``|f| ≈ |f^(n+p)|`` (no better information about an unseen function),
``dE/dh = 0`` gives the theory-optimal step

    h* = (n·ε·Σ|w_j| / (p·|C|)) ^ (1 / (n + p)).

Steps are relative: ``h = h* · max(|x|, 1)``, so large arguments keep the
same number of significant digits in ``x + h`` and small ones do not shrink
the step into round-off.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import check_argument
from .stencil import Stencil

__all__ = [
    "check_domain", "domain_steps", "optimal_step",
    "representable_step",
]


def optimal_step(stencil: Stencil, dtype=np.float64) -> float:
    """Theory-optimal step for ``stencil`` on a unit-scale function in ``dtype``.

    The same as ``stencil.optimal_step(dtype=dtype)``; see
    :meth:`finitediff.Stencil.error` for the error model.
    """
    return stencil.optimal_step(dtype=dtype)


def representable_step(x: np.ndarray, step: np.ndarray) -> np.ndarray:
    """The step actually taken: ``(x + h) − x``, exact in floating point."""
    return (x + step) - x


def check_domain(domain, x: np.ndarray) -> tuple[float, float]:
    """``domain=(lo, hi)`` with ``lo < hi`` and every element of ``x`` inside."""
    try:
        lo, hi = (float(bound) for bound in domain)
    except (TypeError, ValueError):
        raise TypeError(f"`domain` must be a pair (lo, hi) of floats, got {domain!r}") from None
    check_argument(lo < hi and not math.isnan(lo + hi),
                   f"`domain` must satisfy lo < hi, got {domain!r}")
    check_argument(bool(np.all((x >= lo) & (x <= hi))),
                   f"`x` must lie inside `domain` {domain!r}")
    return lo, hi


def _reach_cap(stencil: Stencil, x, lo, hi, sign):
    """Largest step keeping ``x + o·sign·h`` in ``[lo, hi]`` for every offset."""
    shrink = 1.0 - 8 * float(np.finfo(np.float64).eps)
    offsets = np.asarray(stencil.support + (0,), dtype=float) * sign[..., None]
    right = np.max(offsets, axis=-1)
    left = -np.min(offsets, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap_right = np.where(right > 0, (hi - x) / right, np.inf)
        cap_left = np.where(left > 0, (x - lo) / left, np.inf)
    return np.minimum(cap_right, cap_left) * shrink


def domain_steps(stencil: Stencil, x: np.ndarray, step: np.ndarray, domain):
    """Stencil and signed steps that keep every stencil point inside ``domain``.

    The given stencil is kept while its largest step can stay within a factor
    2^-6 of the requested one; otherwise a forward stencil of the same order
    and accuracy points into the roomier side (negative steps go backwards).
    """
    lo, hi = domain
    ones = np.ones(x.shape)
    cap = _reach_cap(stencil, x, lo, hi, ones)
    if np.all(cap >= step * 2.0**-6):
        return stencil, representable_step(x, np.minimum(step, cap))
    accuracy = stencil.accuracy if math.isfinite(stencil.accuracy) else 1
    one_sided = Stencil.forward(stencil.n, max(int(accuracy), 1))
    sign = np.where(hi - x >= x - lo, 1.0, -1.0)
    cap = _reach_cap(one_sided, x, lo, hi, sign)
    check_argument(bool(np.all(cap > 0)), f"`domain` {domain!r} leaves no room to step from x")
    return one_sided, representable_step(x, sign * np.minimum(step, cap))

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

from .stencil import Stencil

__all__ = ["optimal_step", "relative_step", "representable_step"]


def optimal_step(stencil: Stencil, dtype=np.float64) -> float:
    """Theory-optimal step for ``stencil`` on a unit-scale function in ``dtype``."""
    epsilon = float(np.finfo(dtype).eps)
    if math.isinf(stencil.accuracy):
        return 1.0  # the stencil reads f(x) only; any step gives the same answer
    n = max(stencil.n, 1)
    p = stencil.accuracy
    weight_sum = float(sum(abs(w) for w in stencil.exact_weights))
    coefficient = abs(float(stencil.error_coefficient))
    return (n * epsilon * weight_sum / (p * coefficient)) ** (1.0 / (n + p))


def relative_step(stencil: Stencil, x: np.ndarray, dtype=np.float64) -> np.ndarray:
    """``optimal_step(stencil) · max(|x|, 1)``, elementwise."""
    return optimal_step(stencil, dtype) * np.maximum(np.abs(x), 1.0)


def representable_step(x: np.ndarray, step: np.ndarray) -> np.ndarray:
    """The step actually taken: ``(x + h) − x``, exact in floating point."""
    return (x + step) - x

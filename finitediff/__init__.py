"""finitediff: numerical differentiation by finite differences.

The public API. Importing this package loads numpy and scipy only; the
TensorFlow, plotting and testing parts are imported when first used.
"""

from __future__ import annotations

from .calculus import derivative, gradient, hessian, jacobian, jvp
from .errors import FiniteDiffError, PrecisionError
from .result import DerivativeResult, Status
from .stencil import Stencil, fornberg_weights
from .step import optimal_step

__version__ = "0.1.0"

__all__ = [
    "DerivativeResult",
    "FiniteDiffError",
    "PrecisionError",
    "Status",
    "Stencil",
    "derivative",
    "fornberg_weights",
    "gradient",
    "hessian",
    "jacobian",
    "jvp",
    "optimal_step",
]

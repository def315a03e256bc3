"""finitediff: numerical differentiation by finite differences.

The public API. Importing this package loads numpy and scipy only; the
TensorFlow, plotting and testing parts are imported when first used.
"""

from __future__ import annotations

from .calculus import derivative, gradient, hessian, jacobian, jvp
from .errors import FiniteDiffError, PrecisionError
from .extrapolate import RichardsonTable, richardson
from .noise import NoiseEstimate, estimate_noise
from .result import DerivativeResult, Status
from .sparse import group_columns
from .stencil import Stencil, fornberg_weights
from .step import estimate_step, optimal_step

__version__ = "0.1.0"

__all__ = [
    "DerivativeResult",
    "FiniteDiffError",
    "NoiseEstimate",
    "PrecisionError",
    "RichardsonTable",
    "Status",
    "Stencil",
    "derivative",
    "estimate_noise",
    "estimate_step",
    "fornberg_weights",
    "gradient",
    "group_columns",
    "hessian",
    "jacobian",
    "jvp",
    "optimal_step",
    "richardson",
]

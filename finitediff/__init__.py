"""finitediff: numerical differentiation by finite differences.

The public API. Importing this package loads numpy and scipy only; the
TensorFlow, plotting and testing parts are imported when first used
(``finitediff.difference_network`` imports ``finitediff.tf`` on access).
"""

from __future__ import annotations

from .calculus import derivative, estimate_step, gradient, hessian, jacobian, jvp
from .errors import FiniteDiffError, PrecisionError, WorkerLostError
from .extrapolate import RichardsonTable, richardson
from .noise import NoiseEstimate, estimate_noise
from .result import DerivativeResult, Status
from .sparse import group_columns
from .stencil import Stencil, fornberg_weights
from .step import optimal_step

__version__ = "0.1.0"

#: Names served by finitediff.tf, imported (with TensorFlow) on first access.
_TF_NAMES = (
    "DifferenceLayer",
    "ModelFunction",
    "as_float64",
    "autodiff_derivatives",
    "black_box",
    "check_precision",
    "difference_network",
    "difference_step",
)


def __getattr__(name: str):
    if name in _TF_NAMES:
        from . import tf

        return getattr(tf, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_TF_NAMES))


__all__ = [
    "DerivativeResult",
    "FiniteDiffError",
    "NoiseEstimate",
    "PrecisionError",
    "RichardsonTable",
    "Status",
    "Stencil",
    "WorkerLostError",
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
]  # the TF names are left out so that `from finitediff import *` stays light

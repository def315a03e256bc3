"""finitediff: numerical differentiation by finite differences.

The public API. Importing this package loads numpy and scipy only; the
TensorFlow, plotting and testing parts are imported when first used
(``finitediff.difference_network`` imports ``finitediff.tf`` on access).
"""

from __future__ import annotations

from .calculus import derivative, gradient, hessian, jacobian, jvp
from .errors import FiniteDiffError, PrecisionError
from .result import DerivativeResult, Status
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
]  # the TF names are left out so that `from finitediff import *` stays light

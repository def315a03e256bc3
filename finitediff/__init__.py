"""finitediff: numerical differentiation by finite differences.

The public API. Importing this package loads numpy and scipy only. The
TensorFlow names (``finitediff.difference_network``, ...) live in
``finitediff.tf`` and import TensorFlow on first access; without it they raise
an ImportError that names the extra to install (``finitediff[tf]``).
"""

from __future__ import annotations

from .calculus import derivative, gradient, hessian, jacobian, jvp
from .check import CheckReport, TaylorResult, check_derivatives, taylor_test
from .errors import DerivativeMismatchError, FiniteDiffError, PrecisionError, WorkerLostError
from .extrapolate import RichardsonTable, richardson
from .extras import missing_modules, require_extra
from .noise import NoiseEstimate, estimate_noise
from .result import DerivativeResult, Status
from .sparse import group_columns
from .stencil import Stencil, fornberg_weights, optimal_step
from .stepsize import estimate_step
from .sweeps import SweepResult, sweep

__version__ = "0.1.0"

#: The names ``from finitediff import *`` binds: everything that needs numpy and scipy only.
__all__ = [
    "CheckReport",
    "DerivativeMismatchError",
    "DerivativeResult",
    "FiniteDiffError",
    "NoiseEstimate",
    "PrecisionError",
    "RichardsonTable",
    "Status",
    "Stencil",
    "SweepResult",
    "TaylorResult",
    "check_derivatives",
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
    "sweep",
    "taylor_test",
]

#: The public names of finitediff.tf (its ``__all__`` is this list), reached
#: lazily as ``finitediff.NAME``. They are left out of ``__all__`` so that
#: ``from finitediff import *`` works without TensorFlow and stays light.
_TF_NAMES = (
    "DifferenceLayer",
    "FlatModel",
    "ModelFunction",
    "StructuredDifferenceLayer",
    "as_float64",
    "autodiff_derivatives",
    "black_box",
    "check_precision",
    "difference_network",
    "difference_step",
    "find_low_precision",
    "flat_model",
    "network_stencils",
)


def __getattr__(name: str):
    if name in _TF_NAMES:
        require_extra("tf", f"finitediff.{name}")
        from . import tf

        return getattr(tf, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names: ``__all__``, ``__version__`` and, where TensorFlow is installed,
    the TensorFlow names (so that ``help(finitediff)`` works on a core install)."""
    tf_names = () if missing_modules("tf") else _TF_NAMES
    return sorted([*__all__, *tf_names, "__version__"])

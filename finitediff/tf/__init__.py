"""TensorFlow and Keras: difference networks, autodiff reference, precision guard.

Importing this package imports TensorFlow and Keras; ``import finitediff``
does not, and reaches these names lazily (``finitediff.difference_network``).
"""

from __future__ import annotations

from .autodiff import autodiff_derivatives
from .model import ModelFunction, black_box
from .network import DifferenceLayer, difference_network, difference_step, network_stencils
from .precision import as_float64, check_precision, find_low_precision

__all__ = [
    "DifferenceLayer",
    "ModelFunction",
    "as_float64",
    "autodiff_derivatives",
    "black_box",
    "check_precision",
    "difference_network",
    "difference_step",
    "find_low_precision",
    "network_stencils",
]

"""TensorFlow and Keras: difference networks, autodiff reference, precision guard.

Importing this package imports TensorFlow and Keras; ``import finitediff``
does not, and reaches these names lazily (``finitediff.difference_network``).
"""

from __future__ import annotations

from .autodiff import autodiff_derivatives
from .flat import FlatModel, flat_model
from .model import ModelFunction, black_box
from .network import DifferenceLayer, difference_network, difference_step, network_stencils
from .precision import as_float64, check_precision, find_low_precision
from .structured_network import StructuredDifferenceLayer

__all__ = [
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
]

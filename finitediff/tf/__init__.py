"""TensorFlow and Keras: difference networks, autodiff reference, precision guard.

Importing this package imports TensorFlow and Keras (the ``tf`` extra:
``pip install 'finitediff[tf]'``); ``import finitediff`` does not, and reaches
these names lazily (``finitediff.difference_network``). The list of public
names is kept once, in ``finitediff._TF_NAMES``.
"""

from __future__ import annotations

from ..extras import require_extra

require_extra("tf", "finitediff.tf")

# E402: after the check; F401: the names are re-exported through __all__.
from .. import _TF_NAMES  # noqa: E402
from .autodiff import autodiff_derivatives  # noqa: E402, F401
from .flat import FlatModel, flat_model  # noqa: E402, F401
from .model import ModelFunction, black_box  # noqa: E402, F401
from .network import (  # noqa: E402, F401
    DifferenceLayer,
    difference_network,
    difference_step,
    network_stencils,
)
from .precision import as_float64, check_precision, find_low_precision  # noqa: E402, F401
from .structured_network import StructuredDifferenceLayer  # noqa: E402, F401

__all__ = list(_TF_NAMES)

"""Tools for testing derivative code: hypothesis strategies and assertions.

``assert_derivative_close`` and ``assert_gradients_match`` need numpy only. The strategies and
:class:`Expression` use hypothesis, sympy and mpmath (the ``testing`` extra:
``pip install 'finitediff[testing]'``), which are imported when first used
(``finitediff.testing.strategies``, ``finitediff.testing.Expression``).
"""

from __future__ import annotations

import importlib
from typing import Any

from ..extras import missing_modules, require_extra
from .assertions import assert_derivative_close
from .gradients import assert_gradients_match

__all__ = [
    "Expression", "FUNCTIONS", "Interval", "assert_derivative_close", "assert_gradients_match",
    "strategies",
]

_LAZY = {
    "Expression": ("expressions", "Expression"),
    "Interval": ("expressions", "Interval"),
    "FUNCTIONS": ("expressions", "FUNCTIONS"),
    "strategies": ("strategies", None),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    require_extra("testing", f"{__name__}.{name}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(f"{__name__}.{module_name}")
    return module if attribute is None else getattr(module, attribute)


def __dir__() -> list[str]:
    """The public names; those that need the testing extra only where it is installed."""
    if missing_modules("testing"):
        return sorted(set(__all__) - set(_LAZY))
    return sorted(__all__)

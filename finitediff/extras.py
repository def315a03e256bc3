"""The optional parts of finitediff and the extras that install them.

``pip install finitediff`` brings numpy and scipy only. Each extra adds the
libraries of one part, e.g. ``pip install 'finitediff[tf]'``; ``all`` adds
every one. A part checks its extra when it is first imported, so a missing
library is reported with the command that installs it, not as a bare
``No module named ...``.

>>> from finitediff.extras import EXTRAS
>>> EXTRAS["tf"]
('tensorflow', 'keras')
"""

from __future__ import annotations

import importlib.util

__all__ = ["EXTRAS", "extra_of", "missing_modules", "require_extra"]

#: The modules each extra installs (the names in setup.cfg's extras_require).
EXTRAS: dict[str, tuple[str, ...]] = {
    "tf": ("tensorflow", "keras"),
    "testing": ("hypothesis", "sympy", "mpmath"),
    "plot": ("matplotlib",),
    "progress": ("tqdm",),
    "dask": ("dask", "distributed"),
}


def extra_of(module: str) -> str | None:
    """The extra that installs the top-level module `module`, or None for the core."""
    for extra, modules in EXTRAS.items():
        if module in modules:
            return extra
    return None


def missing_modules(extra: str) -> list[str]:
    """The modules of `extra` that are not installed (found without importing them)."""
    return [module for module in EXTRAS[extra] if importlib.util.find_spec(module) is None]


def require_extra(extra: str, feature: str) -> None:
    """Raise ModuleNotFoundError naming `extra` if one of its modules is missing.

    `feature` names what the user reached for (``"finitediff.difference_network"``).
    """
    missing = missing_modules(extra)
    if missing:
        names = " and ".join(filter(None, [", ".join(missing[:-1]), missing[-1]]))
        raise ModuleNotFoundError(
            f"{feature} needs {names}, which the core install leaves out: "
            f"pip install 'finitediff[{extra}]'",
            name=missing[0],
        )

"""Skip what needs an extra that is not installed, naming the extra that installs it.

A test module that needs an extra starts with ``skip_without("tf")``; a single
test calls it first thing. The suite then passes on a core install
(``pip install ".[test]"``) with those tests skipped, and runs them all once
``".[all,test]"`` is installed.
"""

from __future__ import annotations

import pytest

from finitediff.extras import EXTRAS


def skip_without(extra: str) -> None:
    """Skip the calling module or test unless every library of `extra` imports."""
    for module in EXTRAS[extra]:
        pytest.importorskip(module, reason=f"needs {module}: pip install 'finitediff[{extra}]'")

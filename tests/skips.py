"""Skip what needs an extra that is not installed, naming the extra that installs it.

A test module that needs an extra starts with ``skip_without("tf")``, before
it imports the extra's libraries; a single test is marked ``@needs("tf")``.
The suite then passes on a core install (``pip install ".[test]"``) with those
tests skipped, and runs them all once ``".[all,test]"`` is installed.
"""

from __future__ import annotations

import pytest

from finitediff.extras import EXTRAS, missing_modules


def skip_reason(module: str, extra: str) -> str:
    """Why a test skips: the missing module and the command that installs it."""
    return f"needs {module}: pip install 'finitediff[{extra}]'"


def skip_without(extra: str) -> None:
    """Skip the calling module unless every library of `extra` imports."""
    for module in EXTRAS[extra]:
        pytest.importorskip(module, reason=skip_reason(module, extra))


def needs(extra: str) -> pytest.MarkDecorator:
    """Mark a test to be skipped unless every library of `extra` is installed."""
    missing = missing_modules(extra)
    return pytest.mark.skipif(bool(missing), reason=skip_reason(" and ".join(missing), extra))

"""Shared test configuration: the hypothesis profiles every test module runs under.

Tests that need an extra skip without it (``tests/skips.py``).

``ci`` (the default) is deterministic: ``derandomize=True`` draws the same
examples on every run, so a red build is a real regression that reproduces
locally, never a lucky draw; ``print_blob=True`` prints the
``@reproduce_failure`` line for any failure. Explore with fresh random
examples by choosing another profile, e.g. ``pytest --hypothesis-profile=explore``
or ``HYPOTHESIS_PROFILE=explore pytest``, and pin what it finds with ``@example``.
"""

from __future__ import annotations

import importlib.util
import os

if importlib.util.find_spec("hypothesis"):  # the testing extra; without it those tests skip
    from hypothesis import HealthCheck, settings

    # Timing is the one thing a fixed seed does not fix: no deadline, and no
    # health check that fails a run because the shared machine was slow.
    settings.register_profile(
        "ci", deadline=None, max_examples=40, derandomize=True, print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile("dev", deadline=None, max_examples=40, print_blob=True)
    settings.register_profile("explore", deadline=None, max_examples=1000, print_blob=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

"""The derivative checker and the Taylor remainder test.

``check_derivatives`` compares derivatives under test (TensorFlow autodiff of
a model, or ``grad=`` / ``hess=`` callables) with finite differences, each
entry judged by a tolerance derived from the finite-difference error bound;
``taylor_test`` checks a gradient without any step by the slope of the
Taylor remainder. Importing this package loads numpy only: TensorFlow when f
is a TF object, matplotlib in ``TaylorResult.plot``.
"""

from __future__ import annotations

from .checker import check_derivatives
from .report import CheckReport, Entry, Finding, FindingKind, Verdict
from .taylor import TaylorResult, taylor_test

__all__ = [
    "CheckReport",
    "Entry",
    "Finding",
    "FindingKind",
    "TaylorResult",
    "Verdict",
    "check_derivatives",
    "taylor_test",
]

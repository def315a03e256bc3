"""Exception types and the argument checks every public function shares.

All user-facing validation goes through the helpers here so that messages
have one shape: they name the parameter, say what was expected and what was
received.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "BudgetError",
    "DerivativeMismatchError",
    "FiniteDiffError",
    "PrecisionError",
    "WorkerLostError",
    "check_argument",
    "check_int",
    "check_positive_int",
    "check_nonnegative_int",
    "check_finite_array",
    "check_numeric_array",
    "check_choice",
    "check_step",
]


class FiniteDiffError(Exception):
    """Base class of the errors finitediff raises on its own account."""


class PrecisionError(ValueError, FiniteDiffError):
    """A model or function computes in a precision too low for differencing."""


class DerivativeMismatchError(AssertionError, FiniteDiffError):
    """A derivative check failed: a derivative disagrees with its finite-difference estimate.

    Raised by :meth:`finitediff.check.CheckReport.raise_if_failed`; an
    ``AssertionError``, so that a test that calls it fails rather than errors.
    The message names the order, the entry, both values, the step and the
    tolerance of every failing entry, and every failing finding.
    """


class WorkerLostError(RuntimeError, FiniteDiffError):
    """A worker died while evaluating f (killed, out of memory, an exit inside f)."""


class BudgetError(FiniteDiffError):
    """The evaluation budget ``max_nfev`` does not allow the next batch (internal:
    the estimators catch it and return the best estimate so far)."""


def check_argument(condition: bool, message: str | Callable[[], str], *,
                   error: type = ValueError) -> None:
    """Raise ``error(message)`` unless ``condition`` holds. A message that prints
    arrays or shapes is better passed as a function that builds it: it is then
    built only when it is raised, not on every call that passes."""
    if not condition:
        raise error(message() if callable(message) else message)


def _is_integer(value: Any) -> bool:
    # a plain int first: the check against the abstract Integral is slow
    return type(value) is int or (isinstance(value, numbers.Integral)
                                  and not isinstance(value, bool))


def check_int(name: str, value: Any, minimum: int) -> int:
    """An integer (not a bool) of at least ``minimum``."""
    if not _is_integer(value):   # the messages (a repr) only when needed
        raise TypeError(f"`{name}` must be an integer, got {value!r} of type "
                        f"{type(value).__name__}")
    if not value >= minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value}")
    return int(value)


def check_nonnegative_int(name: str, value: Any) -> int:
    return check_int(name, value, 0)


def check_positive_int(name: str, value: Any) -> int:
    return check_int(name, value, 1)


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    check_argument(
        value in choices,
        lambda: f"`{name}` must be one of {', '.join(map(repr, choices))}, got {value!r}",
    )
    return value


def check_numeric_array(name: str, value: Any, *, complex_allowed: bool = False) -> np.ndarray:
    """``value`` as an array of booleans, integers or floats (or complex numbers, if
    allowed), its dtype kept; TypeError naming ``name`` otherwise."""
    kinds, what = ("biufc", "real or complex numbers") if complex_allowed else ("biuf",
                                                                                "real numbers")
    try:
        array = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy raises many things
        raise TypeError(f"`{name}` must be array-like of {what}: {exc}") from exc
    if array.dtype.kind not in kinds:   # the message (a dtype's name) only when needed
        raise TypeError(f"`{name}` must hold {what}, got an array of dtype {array.dtype}")
    return array


def check_finite_array(name: str, value: Any) -> np.ndarray:
    """Convert to a float64 array; complain about non-numeric or non-finite values."""
    array = check_numeric_array(name, value).astype(np.float64)
    if not np.all(np.isfinite(array)):  # the message (a repr) only when needed
        raise ValueError(f"`{name}` must be finite, got {value!r}")
    return array


def check_step(step: Any) -> float | None:
    """``None`` (choose automatically) or a positive finite float."""
    if step is None:
        return None
    check_argument(
        isinstance(step, numbers.Real) and not isinstance(step, bool),
        f"`step` must be None or a positive float, got {step!r}",
        error=TypeError,
    )
    check_argument(
        math.isfinite(step) and step > 0,
        f"`step` must be positive and finite, got {step!r}",
    )
    return float(step)

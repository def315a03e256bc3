"""Assertions for users' test suites: a derivative agrees with a known value."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..calculus import derivative
from ..errors import check_argument, check_finite_array

__all__ = ["assert_derivative_close"]

#: Failing points listed in an assertion message before "and k more".
_SHOWN = 5


def _tolerance_option(name: str, value) -> float:
    check_argument(
        isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool),
        f"`{name}` must be None or a non-negative float, got {value!r}",
        error=TypeError,
    )
    check_argument(value >= 0 and np.isfinite(value),
                   f"`{name}` must be non-negative and finite, got {value!r}")
    return float(value)


def assert_derivative_close(
    f: Callable,
    x,
    expected,
    *,
    n: int = 1,
    rtol: float | None = None,
    atol: float | None = None,
    accuracy: int = 2,
    method: str = "central",
    step: float | None = None,
    args: tuple = (),
    vectorized: bool = True,
) -> None:
    """Assert that the finite-difference ``n``-th derivative of ``f`` at ``x`` is ``expected``.

    The derivative is estimated with :func:`finitediff.derivative` (``accuracy``,
    ``method``, ``step``, ``args`` and ``vectorized`` are passed on). By
    default the estimate must lie within its own error estimate of
    ``expected``; with ``rtol`` or ``atol`` the tolerance is
    ``atol + rtol * |expected|`` instead (a missing one counts as 0).

    Raises
    ------
    AssertionError
        If any element disagrees, or the estimate failed; the message gives,
        per failing point, the estimate, the expected value, the difference,
        the step, the error bound and the tolerance.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff.testing import assert_derivative_close
    >>> assert_derivative_close(np.sin, [0.0, 1.0], np.cos([0.0, 1.0]))
    >>> assert_derivative_close(np.exp, 1.0, 2.7182, n=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    AssertionError: derivative of order n=2 differs from the expected value at 1 of 1 points ...
    """
    expected_array = check_finite_array("expected", expected)
    if rtol is not None:
        rtol = _tolerance_option("rtol", rtol)
    if atol is not None:
        atol = _tolerance_option("atol", atol)
    result = derivative(f, x, n=n, accuracy=accuracy, method=method, step=step, args=args,
                        vectorized=vectorized)
    estimate = np.asarray(result.df, dtype=np.float64)
    try:
        expected_array = np.broadcast_to(expected_array, estimate.shape)
    except ValueError:
        raise ValueError(
            f"`expected` must broadcast to the shape of x, {estimate.shape}, "
            f"got shape {expected_array.shape}"
        ) from None
    error = np.broadcast_to(np.asarray(result.error, dtype=np.float64), estimate.shape)
    step_taken = np.broadcast_to(np.asarray(result.step, dtype=np.float64), estimate.shape)
    success = np.broadcast_to(np.asarray(result.success, dtype=bool), estimate.shape)
    if rtol is None and atol is None:
        tolerance = error
        rule = "the error bound"
    else:
        tolerance = (atol or 0.0) + (rtol or 0.0) * np.abs(expected_array)
        rule = f"atol + rtol*|expected| with atol={atol or 0.0!r}, rtol={rtol or 0.0!r}"
    difference = np.abs(estimate - expected_array)
    failing = ~(difference <= tolerance) | ~success
    if not failing.any():
        return
    xs = np.broadcast_to(np.asarray(x, dtype=np.float64), estimate.shape)
    where = np.argwhere(failing)
    lines = [
        f"derivative of order n={n} differs from the expected value at {len(where)} of "
        f"{estimate.size} points (tolerance: {rule})"
    ]
    for index in map(tuple, where[:_SHOWN]):
        label = f"x[{', '.join(map(str, index))}]" if index else "x"
        lines += [
            f"  at {label} = {float(xs[index])!r}:",
            f"    estimate    {float(estimate[index])!r}",
            f"    expected    {float(expected_array[index])!r}",
            f"    difference  {float(difference[index])!r}",
            f"    step        {float(step_taken[index])!r}",
            f"    error bound {float(error[index])!r}",
            f"    tolerance   {float(tolerance[index])!r}",
        ]
    if len(where) > _SHOWN:
        lines.append(f"  and {len(where) - _SHOWN} more")
    lines.append(f"  finitediff: {result.message}")
    raise AssertionError("\n".join(lines))

"""``assert_gradients_match``: the derivative checker as a test assertion."""

from __future__ import annotations

from collections.abc import Callable

from ..check import CheckReport, check_derivatives

__all__ = ["assert_gradients_match"]


def assert_gradients_match(f: Callable, x, **options) -> CheckReport:
    """Assert that the derivatives of ``f`` at ``x`` match finite differences.

    Runs :func:`finitediff.check_derivatives` with ``options`` (``grad=``,
    ``hess=``, ``orders=``, ``mode=``, ``rtol=``, ...) and raises
    :class:`~finitediff.DerivativeMismatchError`, an ``AssertionError``,
    unless the check passed; the message names, per failing entry, the
    order, the entry, both values, the step and the tolerance. Returns the
    report otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff.testing import assert_gradients_match
    >>> f = lambda x: np.sum(x**3, axis=-1)
    >>> _ = assert_gradients_match(f, [1.0, 2.0], grad=lambda x: 3 * x**2)
    >>> try:
    ...     assert_gradients_match(f, [1.0, 2.0], grad=lambda x: 3 * x**2 + 1e-6)
    ... except AssertionError as error:
    ...     print(str(error).splitlines()[1][:68])
      order 1, df/dx[0]: mismatch: given 3.000001, finite difference 3.0
    """
    report = check_derivatives(f, x, **options)
    report.raise_if_failed()
    return report

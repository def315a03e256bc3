"""The complex-step derivative: ``f'(x) ≈ Im f(x + ih) / h``.

For f real on the real axis and analytic near x, ``Im f(x + ih) / h = f'(x)
− h² f'''(x)/6 + …`` has no subtractive cancellation, so a tiny ``h`` gives
``f'`` to rounding. It needs f to carry the imaginary part through, and to
be analytic: a black box that drops the imaginary part is refused, and one
that is not analytic (``abs``, ``real``, comparisons inside) gives a wrong
answer that looks perfect, so every estimate is checked against a real
central difference on four more points: where the two disagree beyond the
difference's own error, the result is ``UNRESOLVED`` and says why.
"""

from __future__ import annotations

import numpy as np

from .errors import check_argument
from .evaluate import Evaluator
from .outcome import finish, settle
from .result import DerivativeResult, Status

__all__ = ["complex_step_derivative", "SMALL_STEP", "CHECK_STEP"]

#: Complex step relative to ``max(|x|, 1)``.
SMALL_STEP = 1e-20
#: Complex step (relative) whose difference to the small one measures the h² term.
LARGE_STEP = 1e-3
#: Real central differences at this relative step (at most |x|/4) and twice it
#: check the result.
CHECK_STEP = 2.0**-10


def complex_step_derivative(evaluator: Evaluator, x: np.ndarray, step, tolerance
                            ) -> DerivativeResult:
    """First derivative by the complex step; see ``derivative(method="complex")``."""
    check_argument(x.dtype.kind != "c", "method='complex' needs real x")
    scale = np.maximum(np.abs(x), 1.0)
    small = step if step is not None else SMALL_STEP * scale
    large = np.maximum(LARGE_STEP * scale, small * 2.0)
    # within a quarter of |x| of x: singular points at 0 (log, sqrt, 1/x) stay outside
    check = np.where(x != 0, np.minimum(CHECK_STEP * scale, np.abs(x) / 4), CHECK_STEP * scale)
    check = (x + check) - x
    offsets = np.stack([1j * small, 1j * large, check, -check, 2 * check, -2 * check])
    if x.size == 0:
        return finish(x, x, x, np.zeros(x.shape, dtype=np.int64), np.zeros(x.shape, dtype=int))
    points = (x + offsets).reshape((6, -1))
    try:
        values = evaluator.elementwise(points, np.arange(x.size), x)
    except TypeError as exc:
        raise ValueError(f"method='complex' needs f to accept complex input: {exc}") from exc
    values = values.reshape((6,) + x.shape)
    check_argument(np.iscomplexobj(values), "method='complex' cannot be used: f returned real "
                   "values for complex input (it drops the imaginary part). Use "
                   "method='central'.")
    check_argument(not np.any(np.imag(values[2:])), "method='complex' needs f real on the real "
                   "axis, and f returned complex values at real points; use method='central'")
    estimate, coarse = values[0].imag / small, values[1].imag / large
    eps = evaluator.epsilon
    truncation = np.abs(estimate - coarse) * (small / large) ** 2
    error = truncation + 8 * eps * np.abs(estimate) + eps * np.abs(values[0].real) / scale
    # the real check: central differences at h and 2h, Richardson-combined
    real = values[2:].real
    near = (real[0] - real[1]) / (2 * check)
    far = (real[2] - real[3]) / (4 * check)
    central = near + (near - far) / 3
    central_error = 2 * np.abs(near - far) + 8 * eps * np.max(np.abs(real), axis=0) / check
    with np.errstate(invalid="ignore"):
        disagree = np.abs(estimate - central) > error + central_error
    finite = np.isfinite(estimate) & np.isfinite(error)
    status = np.where(finite, Status.SUCCESS, Status.NONFINITE)
    status = np.where(finite & disagree, Status.UNRESOLVED, status)
    status = settle(estimate, error, status, np.abs(values[0].real) / scale, tolerance)
    notes = ["by the complex step, checked against a real central difference"]
    if np.any(finite & disagree):
        notes.append("the complex step disagrees with a real central difference: f is not "
                     "analytic at x (abs, real parts or comparisons inside?); use "
                     "method='central'")
    return finish(estimate, error, small, np.full(x.shape, len(offsets)), status, notes=notes)

"""The complex-step derivative: ``f'(x) ≈ Im f(x + ih) / h``.

For f real-analytic near x, ``Im f(x + ih) / h = f'(x) − h² f'''(x)/6 + …``
has no subtractive cancellation, so a tiny ``h`` gives ``f'`` to machine
precision. It needs f to carry the imaginary part through; a black box that
drops it (``np.real`` inside, a C extension, a float32 model) would give 0,
so that is detected and refused.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import check_argument, check_finite_array, check_step
from .evaluate import Evaluator
from .result import DerivativeResult, Status

__all__ = ["complex_step_derivative"]

_EPS = float(np.finfo(np.float64).eps)
#: Complex steps relative to ``max(|x|, 1)``: the estimate, and a larger one
#: whose difference to it measures the ``h²`` term.
SMALL_STEP = 1e-20
LARGE_STEP = 1e-3


def _dropped(values: np.ndarray) -> str | None:
    if values.dtype.kind != "c":
        return "f returned real values for complex input (it drops the imaginary part)"
    return None


def complex_step_derivative(
    f: Callable, x, *, n: int = 1, step: float | None = None, args: tuple = (),
    vectorized: bool = True, workers=None, progress: bool | None = None,
) -> DerivativeResult:
    """First derivative by the complex step; see ``derivative(method="complex")``."""
    check_argument(n == 1, f"`n` must be 1 for method='complex', got {n!r}")
    x = check_finite_array("x", x)
    step = check_step(step)
    scale = np.maximum(np.abs(x), 1.0)
    small = np.full(x.shape, step) if step is not None else SMALL_STEP * scale
    large = np.maximum(LARGE_STEP * scale, small * 2.0)
    points = np.stack([x + 1j * small, x + 1j * large])
    evaluator = Evaluator(f, args, vectorized=vectorized, point_shape=x.shape, workers=workers,
                          progress=progress)
    try:
        values = evaluator(points)
    except TypeError as exc:
        raise ValueError(f"method='complex' needs f to accept complex input: {exc}") from exc
    problem = _dropped(values)
    check_argument(problem is None, f"method='complex' cannot be used: {problem}. "
                   "Use method='central' for this function.")
    check_argument(
        evaluator.out_shape == x.shape,
        f"`f` must act elementwise: it returned shape {evaluator.out_shape} for a point of "
        f"shape {x.shape}; use jacobian for functions of a vector",
    )
    estimate, coarse = values[0].imag / small, values[1].imag / large
    # The h² term at the large step, scaled down to the small one.
    truncation = np.abs(estimate - coarse) * (small / large) ** 2
    error = truncation + 8 * _EPS * np.abs(estimate) + _EPS * np.abs(values[0].real) / scale
    finite = np.isfinite(estimate) & np.isfinite(error)
    status = np.where(finite, Status.SUCCESS, Status.NONFINITE).astype(np.int64)
    message = "derivative estimated by the complex step"
    if not finite.all():
        message += f"; f was not finite at {int((~finite).sum())} point(s)"
    return DerivativeResult(
        df=_scalar(estimate), error=_scalar(error), step=_scalar(small), nfev=evaluator.points,
        success=_scalar(finite), status=_scalar(status), message=message,
    )


def _scalar(array: np.ndarray):
    return array[()] if array.ndim == 0 else array

"""The options every public function shares, validated in one place.

Each check names the parameter, says what was expected and what came, and
refuses what cannot be computed before anything is computed (a stencil of a
million points, a step that does not move x).
"""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass

import numpy as np

from .errors import check_argument, check_int, check_numeric_array
from .stencil import Stencil

__all__ = [
    "Method", "MAX_POINTS", "check_point", "check_scale", "check_bounds", "check_tolerance",
    "check_max_nfev", "check_noise", "check_step", "method_for",
]

#: The most points a stencil may have (``n + accuracy`` for the standard
#: ones): beyond, the weights' exact arithmetic takes seconds and the result
#: is dominated by rounding in any float precision.
MAX_POINTS = 64
#: Method names and what they mean.
METHODS = ("central", "forward", "backward", "complex")


@dataclass(frozen=True)
class Method:
    """How a derivative is taken: a stencil, or the complex step (``stencil=None``)."""

    stencil: Stencil | None
    n: int

    @property
    def complex_step(self) -> bool:
        return self.stencil is None


@functools.lru_cache(maxsize=256)
def _standard(method: str, n: int, accuracy: int) -> Method:
    """The method of a named stencil (built once: a Method and its Stencil are values)."""
    if method == "central":
        stencil = Stencil.central(n, accuracy)
    else:
        stencil = (Stencil.forward(n, accuracy) if method == "forward"
                   else Stencil.backward(n, accuracy))
    return Method(stencil, n)


def method_for(method, n=None, accuracy=None, *, order: int | None = None) -> Method:
    """The method of a call: a name with ``n`` and ``accuracy``, or a :class:`Stencil`.

    ``order`` fixes the derivative order (gradients: 1, Hessians: 2); then
    ``n`` is not an option. An option the method does not use is an error.
    """
    if isinstance(method, Stencil):
        check_argument(accuracy is None, "`accuracy` cannot be given with a Stencil as "
                       f"`method`: the stencil has accuracy {method.accuracy}")
        if n is not None:
            check_argument(check_int("n", n, 0) == method.n,
                           f"`n`={n} disagrees with the Stencil given as `method` (n={method.n})")
        if order is not None:
            check_argument(method.n == order, f"`method` must be a stencil of order {order} "
                           f"here, got a stencil of order {method.n}")
        check_argument(math.isfinite(method.accuracy) or method.n == 0,
                       f"`method` {method!r} is exact only for order 0")
        return Method(method, method.n)
    if not (isinstance(method, str) and method in METHODS):   # the message only when needed
        error = ValueError if isinstance(method, str) else TypeError
        raise error(f"`method` must be one of {', '.join(map(repr, METHODS))} or a Stencil, "
                    f"got {method!r}")
    n = order if order is not None else (1 if n is None else check_int("n", n, 0))
    if method == "complex":
        check_argument(n == 1, f"`n` must be 1 for method='complex', got {n}")
        check_argument(accuracy is None, "`accuracy` does not apply to method='complex' (the "
                       "complex step is exact to rounding at its tiny step)")
        return Method(None, 1)
    default = 2 if method == "central" else 1
    accuracy = default if accuracy is None else check_int("accuracy", accuracy, 1)
    if method == "central" and accuracy % 2 != 0:
        raise ValueError(f"`accuracy` of a central stencil must be even, got {accuracy}")
    points = n + accuracy
    if points > MAX_POINTS:
        raise ValueError(f"`n` + `accuracy` = {points} asks for a stencil of more than "
                         f"{MAX_POINTS} points; in float64 such a stencil is all rounding "
                         f"(got n={n}, accuracy={accuracy})")
    return _standard(method, n, accuracy)


def check_point(name: str, value) -> np.ndarray:
    """A finite real or complex array (float64 or complex128); empty is allowed."""
    array = check_numeric_array(name, value, complex_allowed=True)
    array = array.astype(np.complex128 if array.dtype.kind == "c" else np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"`{name}` must be finite, got {value!r}")
    return array


def _positive(name: str, value, shape) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a positive float or an array of them, "
                        f"got {value!r}") from None
    check_argument(np.all(np.isfinite(array)) and np.all(array > 0),
                   lambda: f"`{name}` must be positive and finite, got {value!r}")
    try:
        return np.broadcast_to(array, shape)
    except ValueError:
        raise ValueError(f"`{name}` must be a scalar or broadcast to the shape of x, {shape}, "
                         f"got shape {array.shape}") from None


def check_scale(scale, shape) -> np.ndarray | None:
    """``scale``: the largest step tried, scalar or per element/component."""
    return None if scale is None else _positive("scale", scale, shape)


def check_step(step, shape, n: int = 1) -> np.ndarray | None:
    """``step``: an explicit step, scalar or per element/component, whose n-th
    power (the stencil divides by it) does not underflow."""
    if step is None:
        return None
    check_argument(not isinstance(step, bool), lambda: "`step` must be None or a positive "
                   f"float, got {step!r}", error=TypeError)
    steps = _positive("step", step, shape)
    with np.errstate(under="ignore"):
        check_argument(bool(np.all(steps.astype(float) ** max(n, 1) > np.finfo(float).tiny)),
                       lambda: f"`step` {step!r} to the power n={n} underflows (below "
                       f"{np.finfo(float).tiny:.3g}): the stencil cannot divide by it")
    return steps


def check_bounds(bounds, x: np.ndarray):
    """``bounds=(lo, hi)``: scalars or arrays broadcast to x, lo < hi, x inside."""
    if bounds is None:
        return None
    try:
        lo, hi = bounds
        lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), x.shape)
        hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), x.shape)
    except (TypeError, ValueError):
        raise TypeError(f"`bounds` must be a pair (lo, hi) of floats or of arrays that "
                        f"broadcast to the shape of x, {x.shape}, got {bounds!r}") from None
    check_argument(not np.any(np.isnan(lo) | np.isnan(hi)) and np.all(lo < hi),
                   lambda: f"`bounds` must satisfy lo < hi, got {bounds!r}")
    check_argument(x.dtype.kind != "c", "`bounds` applies to real x only")
    check_argument(bool(np.all((x >= lo) & (x <= hi))),
                   lambda: f"`x` must lie inside `bounds` {bounds!r}")
    return lo, hi


def _nonnegative_float(name: str, value) -> float:
    check_argument(isinstance(value, numbers.Real) and not isinstance(value, bool),
                   f"`{name}` must be None or a non-negative float, got {value!r}",
                   error=TypeError)
    check_argument(math.isfinite(value) and value >= 0,
                   f"`{name}` must be None or a non-negative float, got {value!r}")
    return float(value)


def check_tolerance(tolerance) -> float | None:
    """``tolerance``: the largest acceptable error bound (absolute)."""
    return None if tolerance is None else _nonnegative_float("tolerance", tolerance)


def check_noise(noise):
    """``noise``: None, ``"auto"`` or the standard deviation of f's noise."""
    if noise is None or (isinstance(noise, str) and noise == "auto"):
        return noise
    try:
        value = float(noise)
    except (TypeError, ValueError):
        value = math.nan
    check_argument(math.isfinite(value) and value >= 0 and not isinstance(noise, (bool, str)),
                   f"`noise` must be None, 'auto' or a non-negative float, got {noise!r}")
    return value


def check_max_nfev(max_nfev) -> int | None:
    """``max_nfev``: None, or the most points f may be evaluated at."""
    return None if max_nfev is None else check_int("max_nfev", max_nfev, 1)

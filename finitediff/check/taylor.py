"""The Taylor remainder test: a gradient checked by a slope, with no step to choose.

Along a direction v the remainder

    r(h) = |f(x + h·v) − f(x) − h·∇f·v|

falls like ``h²`` when the gradient is right and like ``h`` when it is
wrong (``h³`` with the Hessian term ``− h²/2·vᵀHv`` subtracted and right).
``r`` is computed at ``h = H·2^-k``, k = 0..39, in one call of f; the
asymptotic window is found from the data: the points above the round-off
level (``ε·Σ|terms|`` and f's measured noise, times :data:`FLOOR_FACTOR`),
and among them the run at the small-h end (leaving out at most
:data:`TRIM` steps nearest round-off) whose local slopes
``log2(r_k / r_(k+1))`` stay within :data:`STEADY` of their median. The
slope is fitted over that window by least squares, with its standard error.

The test is step-free but not as sensitive as an error-bounded finite
difference: an error e in ``∇f·v`` shows where ``|e|·h`` exceeds both the
round-off ``ε·|f|`` and the curvature term ``c·h²``, which needs
``|e| > sqrt(ε·|f|·|c|)`` roughly: relative errors below about 1e-7 go
unseen on a function of size 1 (``detectable`` reports the bound met).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import check_argument, check_finite_array
from ..noise import estimate_noise
from .function import FlatFunction, is_tensorflow_object

__all__ = ["TaylorResult", "taylor_test"]

EPS = float(np.finfo(np.float64).eps)
#: Steps ``H·2^-k``, k = 0..STEPS-1.
STEPS = 40
#: A remainder counts where it exceeds this multiple of its round-off level.
FLOOR_FACTOR = 10.0
#: Steps nearest round-off the window may leave out.
TRIM = 3
#: Local slopes in the window stay within this distance of their median.
STEADY = 0.1
#: Points the window needs at least.
MIN_WINDOW = 4
#: The fitted slope passes within max(SLOPE_TOLERANCE, 3·standard error) of the expected one.
SLOPE_TOLERANCE = 0.1


@dataclass(frozen=True)
class TaylorResult:
    """What :func:`taylor_test` measured.

    Attributes
    ----------
    steps, remainders : ndarray
        The table: h (decreasing) and the remainder at h.
    floor : ndarray
        The round-off level of each remainder.
    slopes : ndarray
        Local log-log slopes between consecutive steps.
    window : (int, int)
        ``[start, stop)`` indices of the asymptotic window in ``steps``.
    slope, slope_error : float
        Least-squares slope over the window and its standard error (NaN if no window).
    expected : int
        2 (gradient), 3 (gradient and Hessian).
    status : str
        ``"passed"``, ``"failed"`` (the slope is not the expected one) or
        ``"undecided"`` (no window of steady slope above round-off).
    detectable : float
        Roughly the smallest relative error in ``∇f·v`` that would show:
        ``min over h of max(fitted remainder, round-off level) / h``, over ``|∇f·v|``.
    message : str
    direction : ndarray
    """

    steps: np.ndarray
    remainders: np.ndarray
    floor: np.ndarray
    slopes: np.ndarray
    window: tuple
    slope: float
    slope_error: float
    expected: int
    status: str
    detectable: float
    message: str
    direction: np.ndarray

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        lines = [f"Taylor test {self.status}: {self.message}",
                 f"{'h':>10} {'remainder':>11} {'round-off':>10} {'slope':>6}"]
        start, stop = self.window
        for k, (h, r, floor) in enumerate(zip(self.steps, self.remainders, self.floor)):
            slope = f"{self.slopes[k]:6.2f}" if k < len(self.slopes) else ""
            mark = " *" if start <= k < stop else ""
            lines.append(f"{h:10.3e} {r:11.3e} {floor:10.2e} {slope:>6}{mark}")
        lines.append("* the asymptotic window")
        return "\n".join(lines)

    def plot(self, path=None):
        """The remainder against h on log-log axes, with the fit; returns the Figure.

        Uses matplotlib's object API (no pyplot, no window); saves to ``path`` if given.
        """
        from matplotlib.figure import Figure  # the plot extra, imported here only

        figure = Figure(figsize=(6.0, 4.0))
        axes = figure.subplots()
        positive = self.remainders > 0
        axes.loglog(self.steps[positive], self.remainders[positive], "o-", ms=3,
                    label="remainder")
        axes.loglog(self.steps, self.floor, ":", label=f"{FLOOR_FACTOR:g}× round-off level")
        start, stop = self.window
        if stop > start and math.isfinite(self.slope):
            h = self.steps[start:stop]
            anchor = self.remainders[stop - 1] / h[-1] ** self.slope
            axes.loglog(h, anchor * h**self.slope, "-", lw=3, alpha=0.5,
                        label=f"fit: slope {self.slope:.3f} ± {self.slope_error:.3f}")
            expected = self.remainders[stop - 1] * (h / h[-1]) ** self.expected
            axes.loglog(h, expected, "--", label=f"slope {self.expected}")
        axes.set_xlabel("h")
        axes.set_ylabel("Taylor remainder")
        axes.set_title(f"Taylor test: {self.status}")
        axes.legend()
        if path is not None:
            figure.savefig(path)
        return figure


def _value_at(call, x: np.ndarray, name: str, shape: tuple) -> np.ndarray:
    value = call(x.reshape(shape)) if callable(call) else call
    value = check_finite_array(name, value)
    check_argument(value.size == int(np.prod(shape, dtype=np.int64)) * (
        x.size if name == "hess" else 1),
        f"`{name}` must have {'shape x.shape + x.shape' if name == 'hess' else 'the shape of x'}"
        f", got shape {value.shape}")
    return value.reshape(-1) if name == "grad" else value.reshape(x.size, x.size)


def _function(f, shape: tuple, vectorized: bool) -> FlatFunction:
    if is_tensorflow_object(f):
        from .problem import tensorflow_function

        return tensorflow_function(f, np.zeros(shape))[0]
    return FlatFunction(f, shape, vectorized=vectorized)


def _autodiff_gradient(f, x: np.ndarray, shape: tuple) -> np.ndarray:
    from ..tf.reference import AutodiffReference

    jacobian = AutodiffReference(f, shape).jacobian(x[None])
    return np.zeros(x.size) if jacobian is None else jacobian[0, 0]


def taylor_test(
    f: Callable,
    grad,
    x,
    *,
    direction=None,
    hess=None,
    seed=None,
    vectorized: bool = True,
) -> TaylorResult:
    """Check a gradient (and a Hessian) by the slope of the Taylor remainder.

    Parameters
    ----------
    f : callable
        Scalar function, ``(N, *x.shape) -> (N,)`` (``vectorized``) or one
        point to a scalar; or a Keras model / TF callable.
    grad : callable or array_like or None
        ``grad(x)`` or its value at x (shape of x). None for a TF f: autodiff.
    x : array_like
    direction : array_like, optional
        v; default a random unit vector (``seed``).
    hess : callable or array_like, optional
        ``hess(x)`` or its value (``x.shape + x.shape``): the remainder then
        subtracts ``h²/2·vᵀHv`` and should fall like ``h³``.

    Returns
    -------
    TaylorResult
        The table, the window, the fitted slope with its standard error,
        ``passed``, and ``plot()``.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import taylor_test
    >>> f = lambda x: np.sum(np.exp(x), axis=-1)
    >>> result = taylor_test(f, np.exp, [0.1, 0.2], seed=0)
    >>> result.passed, round(result.slope, 1)
    (True, 2.0)
    >>> taylor_test(f, lambda x: np.exp(x) * 1.001, [0.1, 0.2], seed=0).status
    'failed'
    """
    x = check_finite_array("x", x)
    check_argument(callable(f), f"`f` must be callable, got {f!r}", error=TypeError)
    shape, flat = x.shape, x.reshape(-1)
    function = _function(f, shape, vectorized)
    if grad is None:
        check_argument(is_tensorflow_object(f), "`grad` is required unless f is a Keras "
                       "model or TF function (then autodiff is tested)", error=TypeError)
        gradient = _autodiff_gradient(f, flat, shape)
    else:
        gradient = _value_at(grad, flat, "grad", shape)
    hessian = None if hess is None else _value_at(hess, flat, "hess", shape)
    if direction is None:
        v = np.random.default_rng(seed).standard_normal(flat.size)
        v /= np.linalg.norm(v)
    else:
        v = check_finite_array("direction", direction).reshape(-1)
        check_argument(v.size == flat.size and np.any(v != 0),
                       f"`direction` must be a non-zero array of the shape of x, {shape}")
    return _measure(function, flat, v, gradient, hessian)


def _measure(function, x, v, gradient, hessian) -> TaylorResult:
    top = 0.5 * max(float(np.max(np.abs(x))), 1.0) / float(np.max(np.abs(v)))
    steps = top * 2.0 ** -np.arange(STEPS)
    values = function(np.concatenate([x[None], x + steps[:, None] * v]))
    check_argument(values.shape[1] == 1, f"`f` must be scalar, got {values.shape[1]} values")
    base, values = values[0, 0], values[1:, 0]
    slope_term = steps * float(gradient @ v)
    curvature = np.zeros(STEPS) if hessian is None else 0.5 * steps**2 * float(v @ hessian @ v)
    remainders = np.abs(values - base - slope_term - curvature)
    noise = estimate_noise(function.along(x, v, 0), 0.0).noise
    rounding = EPS * (np.abs(values) + abs(base) + np.abs(slope_term) + np.abs(curvature))
    floor = FLOOR_FACTOR * np.maximum(rounding, np.nan_to_num(float(noise)))
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = np.log2(remainders[:-1] / remainders[1:])
    expected = 2 if hessian is None else 3
    return _fit(steps, remainders, floor, slopes, expected, v, abs(float(gradient @ v)))


def _steady_from(stop: int, above: np.ndarray, slopes: np.ndarray) -> int:
    """The start of the longest run ending at ``stop`` whose local slopes are steady."""
    start = stop - 1
    while start > 0 and above[start - 1]:
        window = slopes[start - 1:stop - 1]
        if np.max(np.abs(window - np.median(window))) > STEADY:
            break
        start -= 1
    return start


def _window(remainders, floor, slopes) -> tuple[int, int]:
    """The asymptotic window: steady slopes, above round-off, at the small-h end.

    The window ends at the smallest step above round-off, or up to
    :data:`TRIM` steps before it (those closest to round-off wobble); of
    these the longest steady window is taken.
    """
    above = remainders > floor
    if not above.any():
        return 0, 0
    last = int(np.flatnonzero(above)[-1]) + 1
    candidates = [stop for stop in range(last, max(last - TRIM, 0) - 1, -1)
                  if stop >= 1 and above[stop - 1]]
    windows = [(_steady_from(stop, above, slopes), stop) for stop in candidates]
    return max(windows, key=lambda window: window[1] - window[0])


def _fit(steps, remainders, floor, slopes, expected, v, along) -> TaylorResult:
    start, stop = _window(remainders, floor, slopes)
    count = stop - start
    slope = slope_error = math.nan
    detectable = math.nan
    if count >= 2:
        log_h, log_r = np.log(steps[start:stop]), np.log(remainders[start:stop])
        slope, intercept = np.polyfit(log_h, log_r, 1)
        residual = log_r - (slope * log_h + intercept)
        spread = np.sum((log_h - log_h.mean()) ** 2)
        slope_error = math.sqrt(np.sum(residual**2) / max(count - 2, 1) / spread)
        # an error e in ∇f·v adds e·h: it shows where e·h exceeds both the fitted
        # remainder and the round-off level, at the best step
        model = np.exp(intercept) * steps**slope
        detectable = float(np.min(np.maximum(model, floor) / steps)) / max(
            along, np.finfo(float).tiny)
    if stop == 0:
        status, message = "passed", (
            "the remainder is at round-off for every step: f equals its Taylor model to "
            "rounding")
    elif count < MIN_WINDOW:
        status, message = "undecided", (
            f"no window of {MIN_WINDOW} steps with a steady slope above round-off "
            f"(found {count})")
    else:
        tolerance = max(SLOPE_TOLERANCE, 3.0 * slope_error)
        status = "passed" if abs(slope - expected) <= tolerance else "failed"
        culprit = "gradient" if slope < 1.5 else "Hessian"
        message = (f"slope {slope:.3f} ± {slope_error:.3f} over {count} steps "
                   f"(h from {steps[start]:.2e} to {steps[stop - 1]:.2e}), expected "
                   f"{expected}" + ("" if status == "passed" else
                                    f": the {culprit} is wrong along this direction"))
    return TaylorResult(steps, remainders, floor, slopes, (start, stop), float(slope),
                        float(slope_error), expected, status, float(detectable), message,
                        v)

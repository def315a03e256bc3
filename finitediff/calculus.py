"""Derivatives of black-box callables, composed from one primitive.

The primitive (``directional.py``) differentiates ``φ_r(t) = f(x + t·D_r)``
at ``t = 0`` for a set of displacements ``D_r``, with a stencil applied at
several step scales ``t = s_q``; every point of every direction and scale goes
to ``f`` in one stacked call. Everything public is a choice of displacements:

- ``derivative``: one displacement, the per-element step ``h`` (f elementwise);
- ``jvp``: one displacement ``h·v``;
- ``jacobian`` / ``gradient``: ``h_j·e_j`` for every input component;
- ``hessian``: ``h_i·e_i`` and ``h_i·e_i + h_j·e_j`` with a second-order stencil;
  by polarisation ``∂²f/∂x_i∂x_j = (φ''_ij − φ''_i − φ''_j) / (2 h_i h_j)``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from .adaptive import TOP_STEP, AdaptiveEstimate, adaptive_estimate
from .complexstep import complex_step_derivative
from .errors import (
    check_argument,
    check_choice,
    check_finite_array,
    check_nonnegative_int,
    check_positive_int,
    check_step,
)
from .evaluate import Evaluator
from .fixed import fixed_step_estimate
from .noise import sample_noise
from .result import DerivativeResult, Status
from .sparse import check_sparsity, group_columns, scatter
from .stencil import Stencil
from .step import check_domain, domain_steps, optimal_step, representable_step
from .structured import is_structured, structured_call

__all__ = [
    "derivative", "jvp", "gradient", "jacobian", "hessian", "estimate_step",
]

METHODS = ("central", "forward", "backward")


def _estimate(evaluator, x, displacements, stencil, fixed: bool, *, elementwise=False,
              noise=None) -> AdaptiveEstimate:
    """The engine: a fixed step when the user gave one, else the adaptive estimator."""
    if not fixed and np.isfinite(stencil.accuracy):  # n = 0 reads f(x): nothing to adapt
        return adaptive_estimate(evaluator, x, displacements, stencil,
                                 elementwise=elementwise, noise=noise)
    value, error = fixed_step_estimate(evaluator, x, displacements, stencil)
    flags = np.zeros(value.shape, dtype=bool)
    nan = np.full(value.shape, np.nan)
    return AdaptiveEstimate(value, error, np.ones(value.shape), flags, flags, flags, nan, nan)


# -- validation shared by the public functions ---------------------------------
def make_stencil(method: str, n: int, accuracy: int) -> Stencil:
    """The stencil of a method, order and accuracy; validated, built once."""
    method = check_choice("method", method, METHODS)
    n = check_nonnegative_int("n", n)
    accuracy = check_positive_int("accuracy", accuracy)
    return _stencil(method, n, accuracy)


@functools.lru_cache(maxsize=256)
def _stencil(method: str, n: int, accuracy: int) -> Stencil:
    # exact weights and moments are computed once per stencil, not per call
    if method == "central":
        return Stencil.central(n, accuracy)
    return Stencil.forward(n, accuracy) if method == "forward" else Stencil.backward(n, accuracy)


def _steps(stencil: Stencil, x: np.ndarray, step) -> np.ndarray:
    """The step (``step`` given) or the top of the adaptive range (``step=None``)."""
    step = check_step(step)
    if step is None:
        return representable_step(x, TOP_STEP * np.maximum(np.abs(x), 1.0))
    check_argument(
        bool(np.all(representable_step(x, np.full(x.shape, step)) > 0)),
        f"`step` {step!r} is too small to change x in floating point",
    )
    return np.full(x.shape, step)  # honoured exactly as given


def _notes(estimate: AdaptiveEstimate, kink, forward, backward) -> str:
    """The message parts: one-sided stencils, shrunk steps, kinks (with both sides)."""
    notes = []
    count = int(np.sum(estimate.one_sided))
    if count:
        notes.append(f"f was not finite at central stencil points; {count} estimate(s) "
                     "use a one-sided stencil")
    count = int(np.sum(estimate.shrunk & ~estimate.one_sided))
    if count:
        notes.append(f"the step was shrunk for {count} estimate(s) (f non-finite at larger "
                     "steps, or the first range of steps fell short of the error wanted)")
    kink = np.atleast_1d(kink)
    if np.any(kink):
        forward = np.atleast_1d(forward)[kink]
        backward = np.atleast_1d(backward)[kink]
        notes.append(f"f has a kink (is not differentiable) at {int(kink.sum())} point(s): "
                     f"forward derivative {forward[0]:.6g} and backward derivative "
                     f"{backward[0]:.6g} disagree beyond their errors")
    return "; ".join(notes)


def _result(df, error, step, nfev: int, note: str = "", kink=None) -> DerivativeResult:
    df = np.asarray(df)
    error = np.asarray(error, dtype=np.float64)
    finite = np.isfinite(df) & np.isfinite(error)
    status = np.where(finite, Status.SUCCESS, Status.NONFINITE).astype(np.int64)
    if kink is not None:
        status = np.where(np.asarray(kink) > 0, Status.KINK, status).astype(np.int64)
    success = status == Status.SUCCESS
    if finite.all():
        message = "derivative estimated"
    else:
        message = (f"no finite estimate for {int((~finite).sum())} of {finite.size} "
                   "elements (f not finite at any usable stencil point); they are NaN")
    if note:
        message = f"{message}; {note}"
    return DerivativeResult(
        df=_unwrap(df), error=_unwrap(error), step=_unwrap(np.asarray(step)), nfev=int(nfev),
        success=_unwrap(success), status=_unwrap(status), message=message,
    )


def _unwrap(array: np.ndarray):
    """0-d arrays become numpy scalars, as numpy's own reductions return."""
    return array[()] if array.ndim == 0 else array


# -- the public functions ------------------------------------------------------
def derivative(
    f: Callable,
    x,
    *,
    n: int = 1,
    accuracy: int = 2,
    method: str = "central",
    step: float | None = None,
    args: tuple = (),
    vectorized: bool = True,
    domain: tuple[float, float] | None = None,
    noise: float | str | None = None,
    workers=None,
    progress: bool | None = None,
    wrt=None,
    training: bool = False,
) -> DerivativeResult:
    """Elementwise ``n``-th derivative of ``f`` at ``x``.

    ``f`` acts elementwise (like ``np.sin``): with ``vectorized=True`` it gets
    an array of shape ``(N, *x.shape)`` holding N stencil points and must
    return the same shape; with ``vectorized=False`` it is called once per
    point with an array of the shape of ``x``.

    Parameters
    ----------
    f : callable
        ``f(x, *args)``.
    x : array_like
        Where to differentiate; the result has its shape.
    n : int, optional
        Derivative order (default 1).
    accuracy : int, optional
        Order of the truncation error of the base stencil, ``O(h^accuracy)``;
        even for central. Richardson extrapolation raises it further.
    method : {"central", "forward", "backward", "complex"}
        Stencil family, or the complex step ``Im f(x + ih) / h`` (n = 1 only;
        f must carry complex numbers through, else ValueError).
    step : float, optional
        Absolute step, used exactly as given. The stencil is applied once; its
        error is the difference to the lower-accuracy stencil it embeds on its
        inner points (accuracy >= 4 central, >= 2 one-sided: no extra point),
        or else to the same stencil at ``2h``, plus ε-level round-off. That is
        a leading-order size, not a measured bound: for f computed with
        cancellation (long sums, neural networks) prefer the default.
        By default (None) the adaptive estimator: the stencil at the steps
        ``H·2^-q``, q = 0..10, with ``H = 0.5·max(|x|, 1)`` (for n >= 3 at
        ``H·2^(-q/2)``, q = 2..11), all in one call of f,
        Richardson-extrapolated; the entry with the smallest error that is
        consistent with every finer step is returned. Where f is non-finite
        at stencil points, where the best entry needs smaller steps, or where
        nothing converged, further rounds move the range down (at most 4
        rounds), and a first derivative falls back to a one-sided estimate
        from the same points.
    args : tuple, optional
        Extra arguments for ``f``.
    vectorized : bool, optional
        Whether f takes a leading batch axis.
    domain : (float, float), optional
        Keep every stencil point inside ``[lo, hi]``; near an edge a forward
        stencil pointing inwards is used.
    noise : float or "auto", optional
        Standard deviation of noise in f. ``"auto"`` estimates it first with
        :func:`estimate_noise` (costs up to 27 more evaluations); the error
        estimate and the choice of step then account for it.
    workers : int, Executor, map-like callable, dask Client or str, optional
        Where f runs: None (here), ``n`` local processes, any
        ``concurrent.futures.Executor``, ``map(fn, iterable)``, a
        ``dask.distributed.Client`` or a scheduler address ``"tcp://host:port"``
        (see :func:`finitediff.workers.resolve_workers`). The points go out in
        chunks; ``df``, ``error`` and ``nfev`` equal the serial run's.
    progress : bool, optional
        A tqdm bar while chunks run on workers (default: on a terminal, for
        more than a few chunks).
    wrt, training : optional
        Keras models and TF functions only: what to differentiate (input
        names, ``"weights"`` or variables) and whether to call the model in
        training mode; with several inputs or outputs the result is per
        output and per input (see the README, "Models with several inputs
        and outputs").

    Returns
    -------
    DerivativeResult
        ``error`` is an estimated bound on ``|df − f^(n)(x)|``. At a kink
        (``|x|`` at 0) the result has ``success=False``, ``status=Status.KINK``
        and a message naming the forward and backward derivatives.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import derivative
    >>> res = derivative(np.log, 3.0)
    >>> bool(abs(res.df - 1/3) <= res.error < 1e-12)
    True
    >>> res = derivative(np.log, 1e-6, n=2)  # a singularity 1e-6 away
    >>> bool(abs(res.df + 1e12) <= res.error < 1e-5 * 1e12)
    True
    >>> res = derivative(np.abs, 0.0)  # a kink: both one-sided values are named
    >>> bool(res.success), "forward derivative 1 and backward derivative -1" in res.message
    (False, True)
    """
    if is_structured(f, x, wrt, training):
        return structured_call("derivative", f, x, wrt=wrt, training=training, n=n,
                               accuracy=accuracy, method=method, step=step, args=args,
                               vectorized=vectorized, domain=domain, noise=noise)
    check_choice("method", method, METHODS + ("complex",))
    if method == "complex":
        return complex_step_derivative(f, x, n=n, step=step, args=args, vectorized=vectorized,
                                       workers=workers, progress=progress)
    stencil = make_stencil(method, n, accuracy)
    x = check_finite_array("x", x)
    h = _steps(stencil, x, step)
    noise = _noise_level(noise)
    note = ""
    if domain is not None:
        chosen, h = domain_steps(stencil, x, h, check_domain(domain, x))
        if chosen != stencil:
            note = "a one-sided stencil keeps every point inside `domain`"
        stencil = chosen
    evaluator = Evaluator(f, args, vectorized=vectorized, point_shape=x.shape, workers=workers,
                          progress=progress)
    if noise == "auto":
        noise = np.nan_to_num(sample_noise(evaluator, x)[0], nan=0.0)[None]
    estimate = _estimate(evaluator, x, h[None], stencil, step is not None, elementwise=True,
                         noise=noise)
    check_argument(
        evaluator.out_shape == x.shape,
        f"`f` must act elementwise: it returned shape {evaluator.out_shape} for a point of "
        f"shape {x.shape}; use jacobian for functions of a vector",
    )
    scale = h**stencil.n
    return _result(estimate.value[0] / scale, estimate.error[0] / scale,
                   np.abs(estimate.scale[0] * h), evaluator.points,
                   "; ".join(filter(None, [note, _notes(estimate, estimate.kink[0],
                                                        estimate.forward[0] / h,
                                                        estimate.backward[0] / h)])),
                   kink=estimate.kink[0])


def _noise_level(noise):
    if noise is None or (isinstance(noise, str) and noise == "auto"):
        return noise
    check_argument(
        isinstance(noise, (int, float, np.floating)) and not isinstance(noise, bool),
        f"`noise` must be None, 'auto' or a non-negative float, got {noise!r}", error=TypeError,
    )
    check_argument(np.isfinite(noise) and noise >= 0,
                   f"`noise` must be None, 'auto' or a non-negative float, got {noise!r}")
    return float(noise)


def jvp(
    f: Callable,
    x,
    v,
    *,
    accuracy: int = 2,
    method: str = "central",
    step: float | None = None,
    args: tuple = (),
    vectorized: bool = True,
    workers=None,
    progress: bool | None = None,
) -> DerivativeResult:
    """Directional derivative ``J(x)·v`` of ``f`` at ``x`` along ``v``.

    The step is taken along ``v / max|v|`` and scaled by the largest ``|x_i|``
    that ``v`` moves, so it is relative as in :func:`derivative`. ``step`` in
    the result is the length (in max-norm) of the displacement. ``workers`` and
    ``progress`` as in :func:`derivative`.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import jvp
    >>> res = jvp(lambda x: np.sum(x**2, axis=-1), [1.0, 2.0], [1.0, 1.0])
    >>> bool(abs(res.df - 6.0) < 1e-8)
    True
    """
    stencil = make_stencil(method, 1, accuracy)
    x = check_finite_array("x", x)
    v = check_finite_array("v", v)
    check_argument(v.shape == x.shape, f"`v` must have the shape of x, {x.shape}, got {v.shape}")
    norm = float(np.max(np.abs(v))) if v.size else 0.0
    check_argument(norm > 0, "`v` must be non-zero")
    moved = np.abs(x[v != 0])
    length = _steps(stencil, np.array(moved.max()), step)
    displacement = representable_step(x, length * v / norm)
    evaluator = Evaluator(f, args, vectorized=vectorized, point_shape=x.shape, workers=workers,
                          progress=progress)
    estimate = _estimate(evaluator, x, displacement[None], stencil, step is not None)
    scale = length / norm
    return _result(estimate.value[0] / scale, estimate.error[0] / scale,
                   estimate.scale[0] * length, evaluator.points,
                   _notes(estimate, estimate.kink[0], estimate.forward[0] / scale,
                          estimate.backward[0] / scale), kink=estimate.kink[0])


def _unit_displacements(h: np.ndarray) -> np.ndarray:
    """``h_j·e_j`` for every component j, shape ``(size, *h.shape)``."""
    return (np.eye(h.size) * h.ravel()).reshape((h.size,) + h.shape)


def _sparse_jacobian(f, x, sparsity, stencil, step, args, vectorized, workers=None,
                     progress=None) -> DerivativeResult:
    """Jacobian on a sparsity pattern: one direction per group of independent columns."""
    check_argument(x.ndim == 1, f"`x` must be 1-d with `sparsity`, got shape {x.shape}")
    pattern = check_sparsity(sparsity, None, x.size)
    groups = group_columns(pattern)
    h = _steps(stencil, x, step)
    displacements = np.zeros((int(groups.max()) + 1 if x.size else 0, x.size))
    displacements[groups, np.arange(x.size)] = h
    evaluator = Evaluator(f, args, vectorized=vectorized, point_shape=x.shape, workers=workers,
                          progress=progress)
    estimate = _estimate(evaluator, x, displacements, stencil, step is not None)
    check_argument(
        evaluator.out_shape == (pattern.shape[0],),
        f"`f` must return a vector of {pattern.shape[0]} values (the rows of `sparsity`), "
        f"got shape {evaluator.out_shape}",
    )
    df = scatter(pattern, groups, estimate.value, h)
    error = scatter(pattern, groups, estimate.error, h)
    used = scatter(pattern, groups, estimate.scale, 1.0 / h)
    finite = bool(np.all(np.isfinite(df.data)) and np.all(np.isfinite(error.data)))
    status = Status.SUCCESS if finite else Status.NONFINITE
    return DerivativeResult(
        df=df, error=error, step=used, nfev=evaluator.points, success=finite,
        status=int(status), message=f"sparse Jacobian from {displacements.shape[0]} column "
        f"group(s) of {x.size} columns" + ("" if finite else "; some entries are not finite"),
    )


def jacobian(
    f: Callable,
    x,
    *,
    accuracy: int = 2,
    method: str = "central",
    step: float | None = None,
    args: tuple = (),
    vectorized: bool = True,
    sparsity=None,
    workers=None,
    progress: bool | None = None,
    wrt=None,
    training: bool = False,
) -> DerivativeResult:
    """Jacobian of ``f: R^d → R^m`` at ``x``; ``df[i, j] = ∂f_i/∂x_j``.

    ``df`` has shape ``(*out_shape, *x.shape)``. With ``vectorized=True``, f
    gets points stacked on a leading axis, ``(N, *x.shape)``, and returns
    ``(N, *out_shape)``. With ``step=None`` every entry gets the adaptive
    estimator (all columns in one batched call); ``step`` in the result is
    then the step of each entry.

    ``sparsity`` (a boolean ``(m, d)`` array or scipy.sparse matrix) marks
    the entries that may be non-zero: columns with no row in common share
    evaluations (Curtis–Powell–Reid grouping) and ``df``, ``error`` and
    ``step`` are scipy.sparse CSR matrices. A tridiagonal Jacobian costs the
    evaluations of 3 columns whatever its size. ``workers`` and ``progress``
    as in :func:`derivative`.

    ``wrt`` and ``training`` as in :func:`derivative` (Keras models only).

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import jacobian
    >>> f = lambda x: np.stack([x[..., 0] * x[..., 1], np.sin(x[..., 0])], axis=-1)
    >>> res = jacobian(f, [1.0, 2.0])
    >>> bool(np.allclose(res.df, [[2.0, 1.0], [np.cos(1.0), 0.0]]))
    True
    """
    if is_structured(f, x, wrt, training):
        return structured_call("jacobian", f, x, wrt=wrt, training=training, accuracy=accuracy,
                               method=method, step=step, args=args, vectorized=vectorized,
                               sparsity=sparsity)
    stencil = make_stencil(method, 1, accuracy)
    x = check_finite_array("x", x)
    if sparsity is not None:
        return _sparse_jacobian(f, x, sparsity, stencil, step, args, vectorized, workers,
                                progress)
    h = _steps(stencil, x, step)
    evaluator = Evaluator(f, args, vectorized=vectorized, point_shape=x.shape, workers=workers,
                          progress=progress)
    estimate = _estimate(evaluator, x, _unit_displacements(h), stencil, step is not None)
    out_ndim = len(evaluator.out_shape)
    scale = h.reshape((h.size,) + (1,) * out_ndim)

    def arrange(a, divide=True):  # (size, *out) -> (*out, *x.shape)
        a = a / scale if divide else a
        return np.moveaxis(a, 0, -1).reshape(evaluator.out_shape + x.shape)

    kink = arrange(estimate.kink, divide=False)
    return _result(arrange(estimate.value), arrange(estimate.error),
                   arrange(estimate.scale * np.abs(scale), divide=False), evaluator.points,
                   _notes(estimate, kink, arrange(estimate.forward), arrange(estimate.backward)),
                   kink=kink)


def gradient(
    f: Callable,
    x,
    *,
    accuracy: int = 2,
    method: str = "central",
    step: float | None = None,
    args: tuple = (),
    vectorized: bool = True,
    workers=None,
    progress: bool | None = None,
    wrt=None,
    training: bool = False,
) -> DerivativeResult:
    """Gradient of a scalar ``f`` at ``x``; ``df`` has the shape of ``x``.

    ``workers`` and ``progress`` as in :func:`derivative`; ``wrt`` and ``training``
    as in :func:`derivative` (Keras models only).

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import gradient
    >>> res = gradient(lambda x: np.sum(x**3, axis=-1), [1.0, 2.0])
    >>> bool(np.allclose(res.df, [3.0, 12.0]))
    True
    """
    if is_structured(f, x, wrt, training):
        return structured_call("gradient", f, x, wrt=wrt, training=training, accuracy=accuracy,
                               method=method, step=step, args=args, vectorized=vectorized)
    result = jacobian(f, x, accuracy=accuracy, method=method, step=step, args=args,
                      vectorized=vectorized, workers=workers, progress=progress)
    shape = np.shape(result.df)
    check_argument(
        shape == np.shape(x),  # x was validated by jacobian
        f"`f` must return a scalar for gradient, got values of shape "
        f"{shape[:len(shape) - np.ndim(x)]}; use jacobian",
    )
    return result


def hessian(
    f: Callable,
    x,
    *,
    accuracy: int = 2,
    method: str = "central",
    step: float | None = None,
    args: tuple = (),
    vectorized: bool = True,
    workers=None,
    progress: bool | None = None,
    wrt=None,
    training: bool = False,
) -> DerivativeResult:
    """Hessian of a scalar ``f`` at ``x``, symmetric, shape ``(*x.shape, *x.shape)``.

    ``wrt`` and ``training`` as in :func:`derivative` (Keras models only).

    Diagonal entries are second derivatives along ``e_i``; mixed entries come
    from second derivatives along ``e_i + e_j`` by polarisation, a true
    second-order stencil for the mixed partial: ``d² + d + 1`` points per scale
    for ``d`` inputs with the default stencil. ``workers`` and ``progress``
    as in :func:`derivative`.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import hessian
    >>> from scipy.optimize import rosen
    >>> res = hessian(lambda x: rosen(x.T), [1.0, 1.0])
    >>> bool(np.allclose(res.df, [[802, -400], [-400, 200]], rtol=1e-6))
    True
    """
    if is_structured(f, x, wrt, training):
        return structured_call("hessian", f, x, wrt=wrt, training=training, accuracy=accuracy,
                               method=method, step=step, args=args, vectorized=vectorized)
    stencil = make_stencil(method, 2, accuracy)
    x = check_finite_array("x", x)
    h = _steps(stencil, x, step)
    d = x.size
    rows, cols = np.triu_indices(d, k=1)
    single = _unit_displacements(h)
    pairs = single[rows] + single[cols]
    evaluator = Evaluator(f, args, vectorized=vectorized, point_shape=x.shape, workers=workers,
                          progress=progress)
    estimate = _estimate(evaluator, x, np.concatenate([single, pairs]), stencil,
                         step is not None)
    value, error = estimate.value, estimate.error
    check_argument(
        evaluator.out_shape == (),
        f"`f` must return a scalar for hessian, got values of shape {evaluator.out_shape}",
    )
    flat = h.ravel()
    diagonal, mixed = value[:d], value[d:]
    diagonal_error, mixed_error = error[:d], error[d:]
    df = np.diag(diagonal / flat**2)
    err = np.diag(diagonal_error / flat**2)
    denominator = 2.0 * flat[rows] * flat[cols]
    df[rows, cols] = (mixed - diagonal[rows] - diagonal[cols]) / denominator
    err[rows, cols] = (mixed_error + diagonal_error[rows] + diagonal_error[cols]) / denominator
    df[cols, rows] = df[rows, cols]
    err[cols, rows] = err[rows, cols]
    shape = x.shape + x.shape
    flags = np.zeros(d * d, dtype=bool)
    return _result(df.reshape(shape), err.reshape(shape), h, evaluator.points,
                   _notes(estimate, flags, flags, flags))


def estimate_step(stencil: Stencil, f, x: float, *, args: tuple = ()) -> tuple[float, float]:
    """Step balancing round-off and truncation for ``stencil`` on ``f`` at ``x``.

    The derivative ``f^(n+p)(x)`` that sets the truncation error is estimated
    with the adaptive estimator, ``|f(x)|`` sets the round-off; minimising

        E(h) = ε·|f|·Σ|w_j| / h^n  +  |C|·|f^(n+p)|·h^p

    gives ``h* = (n·ε·|f|·Σ|w_j| / (p·|C|·|f^(n+p)|))^(1/(n+p))`` and the
    bound ``E(h*)``.

    Returns
    -------
    step : float
        The balancing step (absolute).
    error_bound : float
        ``E(step)``, the predicted error of the stencil at that step.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import Stencil, estimate_step
    >>> stencil = Stencil.central(1)
    >>> step, bound = estimate_step(stencil, np.exp, 1.0)
    >>> estimate = (np.exp(1.0 + step) - np.exp(1.0 - step)) / (2 * step)
    >>> bool(abs(estimate - np.e) <= bound < 1e-9)
    True
    """
    check_argument(isinstance(stencil, Stencil), f"`stencil` must be a Stencil, got {stencil!r}",
                   error=TypeError)
    check_argument(np.ndim(x) == 0 and math.isfinite(float(x)),
                   f"`x` must be a finite float, got {x!r}")
    x = float(x)
    epsilon = float(np.finfo(np.float64).eps)
    n, p = stencil.n, stencil.accuracy
    weight_sum = float(sum(abs(w) for w in stencil.exact_weights))
    coefficient = abs(float(stencil.error_coefficient))
    value = abs(float(f(np.asarray(x), *args)))
    noise = epsilon * max(value, np.finfo(np.float64).tiny)
    if math.isinf(p):
        return 1.0, noise * weight_sum
    higher = abs(float(derivative(f, x, n=n + int(p), args=args, vectorized=True).df))
    if not math.isfinite(higher) or higher == 0.0:
        step = optimal_step(stencil) * max(abs(x), 1.0)
    else:
        step = (max(n, 1) * noise * weight_sum / (p * coefficient * higher)) ** (1.0 / (n + p))
    step = float(representable_step(np.asarray(x), np.asarray(step)))
    bound = noise * weight_sum / step**n + coefficient * higher * step**p
    # The sum bounds the round-off of every term; double it for the unknown
    # higher-order terms and the error of the estimated derivative.
    return step, 2.0 * bound

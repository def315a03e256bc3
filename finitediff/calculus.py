"""Derivatives of black-box callables: the public functions.

Each one is a choice of lines through x and a way to combine their
derivatives; the estimators do the rest (``finitediff.estimators``):

- ``derivative``: every element of x is a line (f acts elementwise);
- ``jvp``: one line along v;
- ``jacobian`` / ``gradient``: a line along each input component;
- ``hessian``: second derivatives along ``e_i`` and ``e_i + e_j``; by
  polarisation ``∂²f/∂x_i∂x_j = (φ''_ij − φ''_i − φ''_j) / 2``.

Along a line the adaptive scan (default) or one stencil at an explicit
``step`` gives the derivative with an error bound; gradients, Jacobians and
Hessians of many lines take the fast path (a pilot line, then six points a
line, the full scan only for lines that fail its checks).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .complexstep import complex_step_derivative
from .elementwise import elementwise_derivative
from .errors import BudgetError, check_argument
from .estimators.route import along_directions, combine_complex, estimate_lines
from .estimators.steps import top_steps
from .evaluate import Evaluator
from .hessians import hessian
from .jacobians import jacobian_of, prepare, safe_centre
from .options import (
    check_bounds,
    check_max_nfev,
    check_noise,
    check_point,
    check_scale,
    check_step,
    check_tolerance,
    method_for,
)
from .outcome import empty_result, finish, settle
from .result import DerivativeResult, Status
from .structured import is_structured, structured_call

__all__ = ["derivative", "jvp", "gradient", "jacobian", "hessian"]


# -- lines to estimates ----------------------------------------------------------


# -- the elementwise derivative ------------------------------------------------------
def derivative(
    f: Callable,
    x,
    *,
    n: int | None = None,
    accuracy: int | None = None,
    method="central",
    step=None,
    scale=None,
    bounds=None,
    tolerance: float | None = None,
    noise=None,
    args: tuple = (),
    vectorized: bool = True,
    workers=None,
    progress: bool | None = None,
    max_nfev: int | None = None,
    wrt=None,
    training: bool = False,
) -> DerivativeResult:
    """Elementwise ``n``-th derivative of ``f`` at ``x``.

    ``f`` acts elementwise (like ``np.sin``). With ``vectorized=True`` it gets
    the points stacked on a leading axis, ``(N, *x.shape)``; once only some
    elements still need points, it gets those flattened, ``(N, k)`` (array
    arguments in ``args`` with the shape of x are cut to match). With
    ``vectorized=False`` it is called once per point with an array of the
    shape of x.

    Parameters
    ----------
    f : callable
        ``f(x, *args)``; a Keras model with one input feature or a TF function
        works too.
    x : array_like
        Where to differentiate, real or (for f analytic) complex; the result
        has its shape.
    n : int, optional
        Derivative order (default 1).
    accuracy : int, optional
        Truncation order of the base stencil, ``O(h^accuracy)`` (default 2;
        even for central). Richardson extrapolation raises it further.
    method : {"central", "forward", "backward", "complex"} or Stencil
        The stencil family, any :class:`~finitediff.Stencil` (then ``n`` and
        ``accuracy`` come from it), or the complex step ``Im f(x + ih) / h``
        (n = 1; f must be analytic and carry complex numbers through; every
        result is checked against a real difference).
    step : float or array_like, optional
        An explicit step, used as given after rounding it so that ``x ± h`` are
        exact (the division is by the spacing actually used). The stencil is
        applied once; its error is the difference to the lower-accuracy stencil
        it embeds, or to itself at 2h: a leading-order size, not a measured
        bound. By default (None) the adaptive estimator (README, "Accuracy
        engine"): the stencil at steps ``scale·r^-q`` going down until the
        rounding of f is seen, Richardson-extrapolated; the best entry of the
        trusted window is returned with an error bound.
    scale : float or array_like, optional
        The largest step the adaptive estimator tries, a length on which f
        changes appreciably around x (default ``0.5·max(|x|, 1)``; it is
        rounded down to a power of two). Give it for f with a narrow feature
        at large x.
    bounds : (lo, hi), optional
        Keep every point inside ``[lo, hi]`` (scalars or arrays broadcast to
        x); near an edge a one-sided stencil points inwards.
    tolerance : float, optional
        The largest acceptable error bound: above it a result is INACCURATE.
    noise : float or "auto", optional
        Standard deviation of noise in f. ``"auto"`` estimates it first with
        :func:`estimate_noise` (up to 27 more evaluations per element).
    args : tuple, optional
        Extra arguments for f.
    vectorized : bool, optional
        Whether f takes a leading batch axis.
    workers : int, Executor, map-like callable, dask Client or str, optional
        Where f runs: None (here), ``n`` local processes, any
        ``concurrent.futures.Executor``, ``map(fn, iterable)``, a
        ``dask.distributed.Client`` or a scheduler address (see
        :func:`finitediff.workers.resolve_workers`). Results equal the serial run's.
    progress : bool, optional
        A progress bar while chunks run on workers.
    max_nfev : int, optional
        A budget of evaluations: when the next round would exceed it, the
        estimate so far is returned with ``Status.BUDGET``.
    wrt, training : optional
        Keras models and TF functions only: what to differentiate (input
        names, ``"weights"`` or variables) and whether to call the model in
        training mode (README, "Models with several inputs and outputs").

    Returns
    -------
    DerivativeResult
        ``df``, ``error`` (a bound on ``|df − f^(n)(x)|`` where ``success``),
        ``step`` (of the chosen estimate), ``nfev`` (per element), ``success``,
        ``status`` and ``message``, elementwise. ``success`` is True only where
        the bound is trusted; otherwise ``status`` says why (``KINK``,
        ``NOT_DIFFERENTIABLE``, ``UNRESOLVED``, ``INACCURATE``, ``NONFINITE``,
        ``BUDGET``) and the message names the first such element.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import derivative
    >>> res = derivative(np.log, 3.0)
    >>> bool(abs(res.df - 1/3) <= res.error < 1e-11)
    True
    >>> res = derivative(np.sin, 1e9)                # no trust in |x| as f's length
    >>> bool(abs(res.df - np.cos(1e9)) <= res.error < 1e-9)
    True
    >>> res = derivative(np.abs, 0.0)                # a kink: both one-sided values are named
    >>> bool(res.success), "forward derivative 1 and backward derivative -1" in res.message
    (False, True)
    """
    if is_structured(f, x, wrt, training):
        return structured_call("derivative", f, x, wrt=wrt, training=training, n=n,
                               accuracy=accuracy, method=method, step=step, args=args,
                               vectorized=vectorized, bounds=bounds, noise=noise, scale=scale,
                               tolerance=tolerance)
    x = check_point("x", x)
    chosen = method_for(method, n, accuracy)
    step = check_step(step, x.shape, chosen.n)
    scale = check_scale(scale, x.shape)
    check_argument(step is None or scale is None, "`scale` sets the range of the adaptive "
                   "steps; it cannot be combined with an explicit `step`")
    limits = check_bounds(bounds, x)
    tolerance = check_tolerance(tolerance)
    noise = check_noise(noise)
    evaluator = Evaluator(f, args, vectorized=vectorized, point_shape=x.shape, workers=workers,
                          progress=progress, max_nfev=check_max_nfev(max_nfev))
    if chosen.complex_step:
        check_argument(limits is None and noise is None and scale is None,
                       "`bounds`, `noise` and `scale` do not apply to method='complex'")
        return complex_step_derivative(evaluator, x, step, tolerance)
    if x.size == 0:
        return empty_result(x.shape, np.zeros(x.shape, dtype=np.int64))
    return elementwise_derivative(evaluator, x, chosen.stencil, step, scale, limits, noise,
                                  tolerance)


# -- lines along directions ---------------------------------------------------------


def jvp(f: Callable, x, v, *, accuracy=None, method="central", step=None, scale=None,
        tolerance=None, args: tuple = (), vectorized: bool = True, workers=None,
        progress=None, max_nfev=None) -> DerivativeResult:
    """Directional derivative ``J(x)·v`` of ``f`` at ``x`` along ``v``.

    The line is ``x + t·v/max|v|``; its top step is ``scale`` or
    ``0.5·max(|x_i|, 1)`` over the components v moves. ``step`` in the result
    is the step along ``v/max|v|``. Options as in :func:`jacobian`.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import jvp
    >>> res = jvp(lambda x: np.sum(x**2, axis=-1), [1.0, 2.0], [1.0, 1.0])
    >>> bool(abs(res.df - 6.0) <= res.error)
    True
    """
    x, evaluator = prepare(f, x, args, vectorized, workers, progress, max_nfev)
    chosen = method_for(method, None, accuracy, order=1)
    check_argument(not chosen.complex_step, "method='complex' applies to derivative only")
    v = check_point("v", v)
    check_argument(v.shape == x.shape, f"`v` must have the shape of x, {x.shape}, got {v.shape}")
    norm = float(np.max(np.abs(v))) if v.size else 0.0
    check_argument(norm > 0, "`v` must be non-zero")
    step = check_step(step, ())
    scale = check_scale(scale, ())
    tolerance = check_tolerance(tolerance)
    # the top step along v/max|v|: no component moves by more than the top
    # step it would have alone (half of max(|x_i|, 1))
    with np.errstate(divide="ignore"):
        room = np.min(np.maximum(np.abs(x), 1.0)[v != 0] / (np.abs(v[v != 0]) / norm))
    top = top_steps(np.array([room]), scale) if step is None else np.array([float(step)])
    try:
        estimate, centre = along_directions(evaluator, x, (v / norm)[None], top,
                                            chosen.stencil, step_given=step is not None,
                                            kinds=np.zeros(1, int), fast=False)
    except BudgetError:
        nan = np.full(np.shape(safe_centre(evaluator, x)), np.nan)
        return finish(nan, np.full(nan.shape, np.inf), nan, evaluator.points,
                      np.full(nan.shape, int(Status.BUDGET)))
    shape = np.shape(centre)
    if not np.size(centre):   # no outputs
        return empty_result(shape, evaluator.points)
    value, error, status = combine_complex(estimate, np.iscomplexobj(centre))
    value, error = value[0].reshape(shape) * norm, error[0].reshape(shape) * norm
    status = settle(value, error, status[0].reshape(shape),
                    np.max(estimate.size) * norm / top[0], tolerance)
    return finish(value, error, np.max(estimate.scale), evaluator.points, status,
                  forward=estimate.forward[0].reshape(shape) * norm,
                  backward=estimate.backward[0].reshape(shape) * norm,
                  divergence=estimate.divergence[0].reshape(shape))


def jacobian(
    f: Callable,
    x,
    *,
    accuracy: int | None = None,
    method="central",
    step=None,
    scale=None,
    bounds=None,
    tolerance: float | None = None,
    args: tuple = (),
    vectorized: bool = True,
    sparsity=None,
    workers=None,
    progress: bool | None = None,
    max_nfev: int | None = None,
    fast: bool = True,
    wrt=None,
    training: bool = False,
) -> DerivativeResult:
    """Jacobian of ``f: R^d → R^m`` at ``x``; ``df[i, j] = ∂f_i/∂x_j``.

    ``df`` has shape ``(*out_shape, *x.shape)``; ``error``, ``step``,
    ``success`` and ``status`` are per entry. With ``vectorized=True`` f gets
    points stacked on a leading axis, ``(N, *x.shape)``, and returns
    ``(N, *out_shape)``.

    With ``step=None`` and the default stencil, a Jacobian of 4 or more
    columns takes the fast path (``fast=True``): a pilot line along all
    columns at once is scanned in full, then every column gets the
    accuracy-2 central stencil at h, 2h and 4h, a step chosen from the pilot
    (6 points a column): the accuracy-4 Richardson estimate, its error from
    the difference of two of them and the rounding the pilot measured;
    columns that fail its checks (f much faster along them, a kink,
    non-finite values) are scanned in full. ``fast=False`` scans every
    column in full (about 20 points a column): error bounds closer to the
    true error, what a derivative checker needs.

    ``scale``, ``step`` and ``bounds`` are per component (scalars or arrays
    of x's shape); ``bounds=(lo, hi)`` keeps every point inside, one-sided
    stencils pointing inwards where a component sits at a bound. ``sparsity``
    (a boolean ``(m, d)`` array or scipy.sparse matrix) marks the entries
    that may be non-zero: columns with no row in common share evaluations
    (Curtis–Powell–Reid grouping), the pattern is checked against the
    outputs each group moves, and ``df``, ``error``, ``step`` are
    scipy.sparse CSR matrices. Other options as in :func:`derivative`.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import jacobian
    >>> f = lambda x: np.stack([x[..., 0] * x[..., 1], np.sin(x[..., 0])], axis=-1)
    >>> res = jacobian(f, [1.0, 2.0])
    >>> exact = np.array([[2.0, 1.0], [np.cos(1.0), 0.0]])
    >>> bool(np.all(np.abs(res.df - exact) <= res.error))
    True
    """
    if is_structured(f, x, wrt, training):
        return structured_call("jacobian", f, x, wrt=wrt, training=training, accuracy=accuracy,
                               method=method, step=step, args=args, vectorized=vectorized,
                               sparsity=sparsity, scale=scale, bounds=bounds,
                               tolerance=tolerance)
    x, evaluator = prepare(f, x, args, vectorized, workers, progress, max_nfev)
    chosen = method_for(method, None, accuracy, order=1)
    check_argument(not chosen.complex_step, "method='complex' applies to derivative only")
    if sparsity is not None:
        from .sparse import as_sparse, check_sparsity, group_columns, sparse_jacobian

        pattern = check_sparsity(sparsity, None, x.size)
        if x.ndim == 1 and x.size and group_columns(pattern).max() + 1 == x.size:
            # no two columns share a group: the dense Jacobian on the pattern
            dense = jacobian_of(evaluator, x, chosen, step, scale, bounds, tolerance,
                                default=fast and accuracy is None and method == "central")
            return as_sparse(dense, pattern)
        return sparse_jacobian(evaluator, x, sparsity, chosen.stencil, check_step(step, x.shape),
                               check_scale(scale, x.shape), check_tolerance(tolerance),
                               estimate_lines, check_bounds(bounds, x))
    return jacobian_of(evaluator, x, chosen, step, scale, bounds, tolerance,
                       default=fast and accuracy is None and method == "central")


def gradient(
    f: Callable,
    x,
    *,
    accuracy: int | None = None,
    method="central",
    step=None,
    scale=None,
    bounds=None,
    tolerance: float | None = None,
    args: tuple = (),
    vectorized: bool = True,
    workers=None,
    progress: bool | None = None,
    max_nfev: int | None = None,
    fast: bool = True,
    wrt=None,
    training: bool = False,
) -> DerivativeResult:
    """Gradient of a scalar ``f`` at ``x``; ``df`` has the shape of ``x``.

    Options as in :func:`jacobian`; ``wrt`` and ``training`` as in
    :func:`derivative` (Keras models only).

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import gradient
    >>> res = gradient(lambda x: np.sum(x**3, axis=-1), [1.0, 2.0])
    >>> bool(np.all(np.abs(res.df - [3.0, 12.0]) <= res.error))
    True
    """
    if is_structured(f, x, wrt, training):
        return structured_call("gradient", f, x, wrt=wrt, training=training, accuracy=accuracy,
                               method=method, step=step, args=args, vectorized=vectorized,
                               scale=scale, bounds=bounds, tolerance=tolerance)
    result = jacobian(f, x, accuracy=accuracy, method=method, step=step, scale=scale,
                      bounds=bounds, tolerance=tolerance, args=args, vectorized=vectorized,
                      workers=workers, progress=progress, max_nfev=max_nfev, fast=fast)
    shape = np.shape(result.df)
    check_argument(
        shape == np.shape(x),  # x was validated by jacobian
        lambda: f"`f` must return a scalar for gradient, got values of shape "
        f"{shape[:len(shape) - np.ndim(x)]}; use jacobian",
    )
    return result

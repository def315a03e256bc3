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
Hessians of many lines take the fast path (a pilot line, then four points a
line, the full scan only for lines that fail its checks).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .complexstep import complex_step_derivative
from .errors import BudgetError, check_argument
from .estimators.fast import FAST_MIN_LINES, fast_elements, fast_scan
from .estimators.fixed import at_step
from .estimators.ladder import ladder_for
from .estimators.lines import DirectionLines, ElementLines, Units, bottom_scales
from .estimators.scan import LineEstimate, scan
from .estimators.steps import reach, top_steps
from .evaluate import Evaluator
from .noise import sample_noise
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
from .outcome import finish, settle
from .result import DerivativeResult, Status
from .stencil import Stencil
from .structured import is_structured, structured_call

__all__ = ["derivative", "jvp", "gradient", "jacobian", "hessian", "estimate_step"]


# -- lines to estimates ----------------------------------------------------------
#: Multiple of the rounding the arguments cause, in the error of an explicit step.
ROUNDING_WEIGHT = 1.5

#: An estimated noise level (``noise="auto"``: nine samples) is uncertain by
#: about a factor of two; it is taken this many times larger.
AUTO_NOISE_SAFETY = 2.0


def _estimate(lines, stencil: Stencil, *, bottom, epsilon, step_given: bool, fast,
              noise=0.0, condition=None) -> LineEstimate:
    """Every line's n-th derivative: one stencil at the given steps, the fast path, or the scan."""
    if not math.isfinite(stencil.accuracy):   # order 0 at a node: f(x) itself
        return _at_steps(lines, stencil, epsilon)
    if step_given:
        return _at_steps(lines, stencil, epsilon, condition)
    if fast == "elements" and stencil == Stencil.central(stencil.n) and stencil.n <= 2 \
            and not np.any(noise):
        return fast_elements(lines, stencil.n, bottom=bottom, epsilon=epsilon)
    if fast is True and lines.count >= FAST_MIN_LINES:
        return fast_scan(lines, stencil.n, bottom=bottom, epsilon=epsilon)[0]
    return scan(lines, ladder_for(stencil), bottom=bottom, epsilon=epsilon, noise=noise)


def _at_steps(lines, stencil: Stencil, epsilon, condition=None) -> LineEstimate:
    """An explicit step: the stencil once per line (``lines.top`` is the step).

    Nothing below the step is sampled, so the rounding of f cannot be
    measured; besides ``ε·|f|`` it is taken to include what rounding the
    arguments does, ``ε·Σ_i |x_i|·|∂f/∂x_i|`` (``condition(lines, slope)`` gives
    that sum per line and output from the lines' first differences).
    """
    estimate = at_step(lines, stencil, epsilon)
    error = estimate.error
    if condition is not None and estimate.slope is not None:
        size = condition(lines, estimate.slope)                     # (L, m)
        power = lines.top[:, None] ** stencil.n
        error = error + ROUNDING_WEIGHT * epsilon * size * stencil.weight_sum / power
    shape = estimate.value.shape
    finite = np.isfinite(estimate.value) & np.isfinite(error)
    return LineEstimate(estimate.value, error,
                        np.broadcast_to(lines.top[:, None], shape).copy(),
                        np.where(finite, int(Status.SUCCESS), int(Status.NONFINITE)),
                        np.full(shape, np.nan), np.full(shape, np.nan),
                        np.full(lines.count, estimate.points, dtype=np.int64),
                        np.full(shape, np.nan), estimate.magnitude, np.zeros(shape, dtype=int),
                        np.full(shape, np.nan), np.zeros(shape, dtype=bool), np.full(shape, -1))


def _merge(into: LineEstimate, part: LineEstimate, mask) -> None:
    for name in ("value", "error", "scale", "status", "forward", "backward", "divergence",
                 "size", "side", "rounding", "lattice", "kink_order"):
        getattr(into, name)[mask] = getattr(part, name)
    into.nfev[mask] = part.nfev


def _empty(count: int, outputs: int) -> LineEstimate:
    shape = (count, outputs)
    return LineEstimate(np.full(shape, np.nan), np.full(shape, np.inf), np.full(shape, np.nan),
                        np.full(shape, int(Status.NONFINITE)), np.full(shape, np.nan),
                        np.full(shape, np.nan), np.zeros(count, dtype=np.int64),
                        np.full(shape, np.nan), np.zeros(shape), np.zeros(shape, dtype=int),
                        np.full(shape, np.nan), np.zeros(shape, dtype=bool), np.full(shape, -1))


def _by_kind(make_lines, kinds, stencil: Stencil, **options) -> LineEstimate:
    """Estimates per line, each group of lines with its stencil (central, forward, backward)."""
    total = None
    for kind in (0, 1, -1):
        mask = kinds == kind
        if not mask.any():
            continue
        lines = make_lines(mask)
        if total is None:
            total = _empty(len(kinds), lines.outputs)
        used = stencil if kind == 0 else _one_sided(stencil, kind)
        # per-line options (the bottom step, a noise level) follow the lines chosen
        chosen = {name: (value[mask] if isinstance(value, np.ndarray) and value.ndim
                         and len(value) == len(kinds) else value)
                  for name, value in options.items()}
        _merge(total, _estimate(lines, used, **chosen), mask)
    return total


def _one_sided(stencil: Stencil, kind: int) -> Stencil:
    accuracy = max(int(stencil.accuracy), 1)
    return (Stencil.forward(stencil.n, accuracy) if kind > 0
            else Stencil.backward(stencil.n, accuracy))


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
        empty = np.zeros(x.shape)
        return finish(empty, empty, empty, np.zeros(x.shape, dtype=np.int64),
                      np.zeros(x.shape, dtype=int))
    return _elementwise(evaluator, x, chosen.stencil, step, scale, limits, noise, tolerance)


def _elementwise(evaluator, x, stencil, step, scale, limits, noise, tolerance):
    with np.errstate(all="ignore"):   # infinities and NaN from f's values are handled
        return _elementwise_quiet(evaluator, x, stencil, step, scale, limits, noise, tolerance)


def _elementwise_quiet(evaluator, x, stencil, step, scale, limits, noise, tolerance):
    flat = x.ravel()

    def evaluate(points, which):
        return evaluator.elementwise(points, which, x)
    centre = evaluate(flat[None], np.arange(flat.size))[0]
    outputs = 2 if np.iscomplexobj(centre) else 1
    top = top_steps(flat, None if scale is None else scale.ravel())
    placed = reach(stencil, flat, top if step is None else _representable(flat, step.ravel()),
                   None if limits is None else (limits[0].ravel(), limits[1].ravel()))
    notes = []
    level = 0.0
    if noise == "auto":
        level = AUTO_NOISE_SAFETY * np.nan_to_num(sample_noise(evaluator, x)[0], nan=0.0).ravel()
    elif noise is not None:
        level = noise
    n = stencil.n

    def lines(mask):
        return ElementLines(evaluate, flat, placed.top[mask], np.flatnonzero(mask), centre,
                            outputs)

    try:
        estimate = _by_kind(lines, placed.kind, stencil,
                            bottom=bottom_scales(flat, placed.top, n),
                            epsilon=evaluator.epsilon, step_given=step is not None,
                            fast="elements", noise=level, condition=_elementwise_condition)
    except BudgetError:
        return _out_of_budget(x, evaluator)
    if np.any(placed.kind != 0):
        notes.append("a one-sided stencil keeps every point inside `bounds` for "
                     f"{int(np.sum(placed.kind != 0))} element(s)")
    if step is None and limits is None:
        estimate, fallback = _one_sided_fallback(estimate, lines, placed, stencil, flat, n,
                                                 evaluator.epsilon)
        if fallback:
            notes.append(f"f is not finite on one side of x: {fallback} element(s) use a "
                         "one-sided stencil")
    notes.extend(_lattice_note(estimate))
    value, error = estimate.value, estimate.error
    if outputs == 2:
        value = value[:, 0] + 1j * value[:, 1]
        error = np.hypot(error[:, 0], error[:, 1])
        status = np.min(estimate.status, axis=1)
        forward = backward = divergence = None
    else:
        value, error, status = value[:, 0], error[:, 0], estimate.status[:, 0]
        forward, backward = estimate.forward[:, 0], estimate.backward[:, 0]
        divergence = estimate.divergence[:, 0]
    size = np.max(estimate.size, axis=1) / placed.top**n
    status = settle(value, error, status, size, tolerance)
    shape = x.shape
    return finish(value.reshape(shape), error.reshape(shape),
                  np.max(estimate.scale, axis=1).reshape(shape), _nfev(estimate, shape),
                  status.reshape(shape), forward=_shaped(forward, shape),
                  backward=_shaped(backward, shape), divergence=_shaped(divergence, shape),
                  notes=notes)


def _lattice_note(estimate: LineEstimate) -> list:
    count = int(np.sum(estimate.lattice & (estimate.status != Status.SUCCESS)))
    if not count:
        return []
    return [f"{count} estimate(s) converge only at steps of a few units in the last place of "
            "x, where f is seen on a lattice of floats too coarse to tell its derivative from "
            "aliasing (unresolved)"]


def _elementwise_condition(lines, slope):
    """``|x_i|·|f'(x_i)|`` per element: what rounding x_i inside f does to f, per ε."""
    return np.abs(lines.x[lines.indices])[:, None] * slope


def _shaped(array, shape):
    return None if array is None else array.reshape(shape)


def _nfev(estimate: LineEstimate, shape):
    return (estimate.nfev + 1).reshape(shape)  # the centre counts once per element


def _representable(x, step):
    """The step actually taken, ``(x + h) − x``: then ``x ± o·h`` are exact."""
    taken = (x + step) - x
    check_argument(bool(np.all(taken > 0)), f"`step` {step} is too small to change x in "
                   "floating point")
    return taken


def _one_sided_fallback(estimate, lines, placed, stencil, flat, n, epsilon):
    """Redo, with a one-sided stencil, the central estimates that failed because f is
    not finite on one side of x (log near 0, sqrt at 0). Returns the count redone."""
    failed = ((estimate.status[:, 0] == Status.NONFINITE)
              | (estimate.status[:, 0] == Status.UNRESOLVED))
    side = estimate.side[:, 0]
    redo = failed & (side != 0) & (placed.kind == 0)
    if not redo.any() or not math.isfinite(stencil.accuracy):
        return estimate, 0
    for kind in (1, -1):
        mask = redo & (side == kind)
        if not mask.any():
            continue
        one_sided = _one_sided(stencil, kind)
        part = scan(lines(mask), ladder_for(one_sided), epsilon=epsilon,
                    bottom=bottom_scales(flat[mask], placed.top[mask], n))
        nfev = estimate.nfev[mask] + part.nfev
        _merge(estimate, part, mask)
        estimate.nfev[mask] = nfev
    return estimate, int(redo.sum())


def _out_of_budget(x, evaluator):
    nan = np.full(x.shape, np.nan)
    return finish(nan, np.full(x.shape, np.inf), nan,
                  np.full(x.shape, evaluator.points // max(x.size, 1)),
                  np.full(x.shape, int(Status.BUDGET)))


# -- lines along directions ---------------------------------------------------------
def _prepare(f, x, args, vectorized, workers, progress, max_nfev):
    x = check_point("x", x)
    evaluator = Evaluator(f, args, vectorized=vectorized, point_shape=x.shape, workers=workers,
                          progress=progress, max_nfev=check_max_nfev(max_nfev))
    return x, evaluator


def _directions(evaluator, x, directions, top, stencil, *, step_given, kinds, fast,
                centre=None):
    """Every direction's derivative (LineEstimate) and f(x) (evaluated here unless given)."""
    lines = DirectionLines(evaluator, x, directions, top, centre)
    centre = lines._centre.get()
    if isinstance(directions, Units):
        moved = np.abs(x.reshape(-1))[directions.components]
    else:
        moved = np.max(np.abs(x.reshape(1, -1)) * (directions.reshape(len(directions), -1) != 0),
                       axis=1, initial=0.0)
    bottom = bottom_scales(moved, top, stencil.n)
    estimate = _by_kind(lines.subset, kinds, stencil, bottom=bottom, epsilon=evaluator.epsilon,
                        step_given=step_given, fast=fast)
    return estimate, centre


def _combine_complex(estimate: LineEstimate, complex_values: bool):
    """value, error, status per (line, output), complex parts recombined."""
    if not complex_values:
        return estimate.value, estimate.error, estimate.status
    half = estimate.value.shape[1] // 2
    value = estimate.value[:, :half] + 1j * estimate.value[:, half:]
    error = np.hypot(estimate.error[:, :half], estimate.error[:, half:])
    status = np.minimum(estimate.status[:, :half], estimate.status[:, half:])
    return value, error, status


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
    x, evaluator = _prepare(f, x, args, vectorized, workers, progress, max_nfev)
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
        estimate, centre = _directions(evaluator, x, (v / norm)[None], top, chosen.stencil,
                                       step_given=step is not None, kinds=np.zeros(1, int),
                                       fast=False)
    except BudgetError:
        nan = np.full(np.shape(_safe_centre(evaluator, x)), np.nan)
        return finish(nan, np.full(nan.shape, np.inf), nan, evaluator.points,
                      np.full(nan.shape, int(Status.BUDGET)))
    value, error, status = _combine_complex(estimate, np.iscomplexobj(centre))
    shape = np.shape(centre)
    value, error = value[0].reshape(shape) * norm, error[0].reshape(shape) * norm
    status = settle(value, error, status[0].reshape(shape),
                    np.max(estimate.size) * norm / top[0], tolerance)
    return finish(value, error, np.max(estimate.scale), evaluator.points, status,
                  forward=estimate.forward[0].reshape(shape) * norm,
                  backward=estimate.backward[0].reshape(shape) * norm,
                  divergence=estimate.divergence[0].reshape(shape))


def _safe_centre(evaluator, x):
    try:
        return evaluator(x[None])[0]
    except BudgetError:
        return np.zeros(())


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
    accuracy-4 central stencil at a step chosen from it (4 points a column),
    its error from the accuracy-2 stencil inside it, a bound that holds but
    is loose (often 10^4–10^6 times the true error); columns that fail its
    checks (f much faster along them, a kink, non-finite values) are scanned
    in full. ``fast=False`` scans every column in full (about 20 points a
    column): error bounds within about 10× of the true error, what a
    derivative checker needs.

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
    x, evaluator = _prepare(f, x, args, vectorized, workers, progress, max_nfev)
    chosen = method_for(method, None, accuracy, order=1)
    check_argument(not chosen.complex_step, "method='complex' applies to derivative only")
    if sparsity is not None:
        from .sparse import as_sparse, check_sparsity, group_columns, sparse_jacobian

        pattern = check_sparsity(sparsity, None, x.size)
        if x.ndim == 1 and x.size and group_columns(pattern).max() + 1 == x.size:
            # no two columns share a group: the dense Jacobian on the pattern
            dense = _jacobian(evaluator, x, chosen, step, scale, bounds, tolerance,
                              default=fast and accuracy is None and method == "central")
            return as_sparse(dense, pattern)
        return sparse_jacobian(evaluator, x, sparsity, chosen.stencil, check_step(step, x.shape),
                               check_scale(scale, x.shape), check_tolerance(tolerance),
                               _estimate, check_bounds(bounds, x))
    return _jacobian(evaluator, x, chosen, step, scale, bounds, tolerance,
                     default=fast and accuracy is None and method == "central")


def _jacobian(evaluator, x, chosen, step, scale, bounds, tolerance, default):
    with np.errstate(all="ignore"):   # infinities and NaN from f's values are handled
        return _jacobian_quiet(evaluator, x, chosen, step, scale, bounds, tolerance, default)


def _jacobian_quiet(evaluator, x, chosen, step, scale, bounds, tolerance, default):
    step = check_step(step, x.shape, 1)
    scale = check_scale(scale, x.shape)
    limits = check_bounds(bounds, x)
    tolerance = check_tolerance(tolerance)
    flat = x.ravel()
    d = flat.size
    stencil = chosen.stencil
    top = top_steps(flat, None if scale is None else scale.ravel()) if step is None else \
        _representable(flat, step.ravel()) if d else np.zeros(0)
    placed = reach(stencil, flat, top, None if limits is None else
                   (limits[0].ravel(), limits[1].ravel()))
    directions = Units(np.arange(d), x.shape)
    try:
        centre = evaluator(x[None])[0]
        if d == 0 or np.size(centre) == 0:   # no inputs, or no outputs
            shape = np.shape(centre) + x.shape
            empty = np.zeros(shape)
            return finish(empty, empty, empty, evaluator.points, np.zeros(shape, dtype=int))
        estimate, centre = _directions(evaluator, x, directions, placed.top, stencil,
                                       step_given=step is not None, kinds=placed.kind,
                                       fast=default and step is None, centre=centre)
    except BudgetError:
        return _budget_result(evaluator, x)
    value, error, status = _combine_complex(estimate, np.iscomplexobj(centre))
    out = np.shape(centre)

    def arrange(array):  # (d, m) -> (*out, *x.shape)
        return np.moveaxis(np.asarray(array).reshape((d,) + out), 0, -1).reshape(out + x.shape)

    if step is not None and np.isrealobj(value):
        # nothing below the step is sampled: the rounding x's components cause
        # inside f, ε·Σ_j |x_j|·|∂f/∂x_j|, joins every entry's error
        condition = np.abs(flat) @ np.abs(value)                        # (m,)
        error = error + ROUNDING_WEIGHT * evaluator.epsilon * condition[None] * (
            stencil.weight_sum / placed.top[:, None])
    size = np.max(estimate.size, axis=1, keepdims=True) / placed.top[:, None]
    status = settle(value, error, status, size, tolerance)
    forward = estimate.forward if not np.iscomplexobj(centre) else None
    notes = _lattice_note(estimate)
    if np.any(placed.kind != 0):
        notes.append(f"a one-sided stencil keeps every point inside `bounds` for "
                     f"{int(np.sum(placed.kind != 0))} component(s)")
    return finish(arrange(value), arrange(error), arrange(estimate.scale[:, :value.shape[1]]),
                  evaluator.points, arrange(status),
                  forward=None if forward is None else arrange(forward),
                  backward=None if forward is None else arrange(estimate.backward),
                  divergence=None if forward is None else arrange(estimate.divergence),
                  notes=notes)


def _budget_result(evaluator, x):
    shape = (evaluator.out_shape or ()) + x.shape
    nan = np.full(shape, np.nan)
    return finish(nan, np.full(shape, np.inf), nan, evaluator.points,
                  np.full(shape, int(Status.BUDGET)))


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
        f"`f` must return a scalar for gradient, got values of shape "
        f"{shape[:len(shape) - np.ndim(x)]}; use jacobian",
    )
    return result


def hessian(
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
    """Hessian of ``f`` at ``x``, symmetric, shape ``(*x.shape, *x.shape)``.

    For a vector-valued f it is the Hessian of every output, shape
    ``(*out_shape, *x.shape, *x.shape)``, all from the same points.

    Diagonal entries are second derivatives along ``e_i``; mixed entries
    come from second derivatives along ``a_i·e_i + a_j·e_j`` (``a`` the
    components' top steps over the larger one) by polarisation:
    ``H_ij = (φ'' − a_i² H_ii − a_j² H_jj) / (2 a_i a_j)``. With the default
    stencil and 4 or more lines the fast path of :func:`jacobian` applies.
    ``bounds`` point each line's stencil into the room it has. Options as in
    :func:`jacobian`.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import hessian
    >>> from scipy.optimize import rosen
    >>> res = hessian(lambda x: rosen(x.T), [1.0, 1.0])
    >>> bool(np.all(np.abs(res.df - [[802, -400], [-400, 200]]) <= res.error))
    True
    """
    if is_structured(f, x, wrt, training):
        return structured_call("hessian", f, x, wrt=wrt, training=training, accuracy=accuracy,
                               method=method, step=step, args=args, vectorized=vectorized,
                               scale=scale, bounds=bounds, tolerance=tolerance)
    x, evaluator = _prepare(f, x, args, vectorized, workers, progress, max_nfev)
    chosen = method_for(method, None, accuracy, order=2)
    check_argument(not chosen.complex_step, "method='complex' applies to derivative only")
    from .hessians import hessian_lines

    return hessian_lines(evaluator, x, chosen.stencil, check_step(step, x.shape, 2),
                         check_scale(scale, x.shape), check_bounds(bounds, x),
                         check_tolerance(tolerance),
                         default=fast and accuracy is None and method == "central",
                         directions=_directions, budget=_budget_result)


def estimate_step(stencil: Stencil, f, x: float, *, args: tuple = ()) -> tuple[float, float]:
    """Step balancing round-off and truncation for ``stencil`` on ``f`` at ``x``.

    The derivative ``f^(n+p)(x)`` that sets the truncation error is estimated
    with the adaptive estimator, and the size of f near x (over the points
    that estimate used, so a zero of f at x does not make the rounding look
    like nothing) sets the round-off; :meth:`Stencil.optimal_step` balances
    the two and :meth:`Stencil.error` gives the bound at that step, doubled
    for the terms the model leaves out.

    Returns
    -------
    step : float
        The balancing step (absolute), representable at x.
    error_bound : float
        The predicted error of the stencil at that step.

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
    with np.errstate(all="ignore"):
        value = abs(float(np.asarray(f(np.asarray(x), *args))))
        if math.isinf(stencil.accuracy):
            return 1.0, 2.0 * np.finfo(np.float64).eps * value * stencil.weight_sum
        higher = derivative(f, x, n=stencil.n + int(stencil.accuracy), args=args)
        size = max(value, _local_size(f, x, args, float(higher.step)))
        scale = max(abs(x), 1.0)
        # the next derivative too: where f^(n+p) vanishes at x (sin at 0) the
        # next term sets the truncation
        after = derivative(f, x, n=stencil.n + int(stencil.accuracy) + 1, args=args)
        derivative_size = max(abs(float(higher.df)) + float(higher.error),
                              abs(float(after.df)) + float(after.error))
        if not (math.isfinite(derivative_size) and derivative_size > 0 and size > 0):
            step = stencil.optimal_step() * scale
        else:
            step = stencil.optimal_step(f_scale=size, derivative_scale=derivative_size)
        step = float((x + step) - x) or stencil.optimal_step() * scale
        bound = 2.0 * float(stencil.error(step, f_scale=size, derivative_scale=derivative_size))
        # the model leaves out the terms after the leading one (they dominate
        # where f^(n+p) vanishes at x) and rounding beyond ε·|f|: the stencil's
        # own error at that step, measured, bounds it too
        measured = derivative(f, x, n=stencil.n, method=stencil, step=step, args=args)
    bound = max(bound, float(measured.error)) if np.isfinite(measured.error) else math.inf
    # the model rests on the two derivative estimates: without them, no bound
    trusted = bool(higher.success) and bool(after.success) and math.isfinite(bound)
    return step, bound if trusted else math.inf


def _local_size(f, x, args, step):
    """max |f| at x ± step (the size of f's terms where f itself may vanish at x)."""
    if not math.isfinite(step) or step <= 0:
        return 0.0
    with np.errstate(all="ignore"):
        values = np.asarray(f(np.array([x - step, x + step]), *args), dtype=float)
    values = values[np.isfinite(values)]
    return float(np.max(np.abs(values))) if values.size else 0.0

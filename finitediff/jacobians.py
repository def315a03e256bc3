"""The Jacobian's columns as lines: the evaluator prepared, one line per input
component, the results arranged per output and input."""

from __future__ import annotations

import numpy as np

from .errors import BudgetError, check_argument
from .estimators.lines import Units
from .estimators.route import ROUNDING_WEIGHT, along_directions, combine_complex, lattice_note
from .estimators.steps import reach, top_steps
from .evaluate import Evaluator
from .options import (
    check_bounds,
    check_max_nfev,
    check_point,
    check_scale,
    check_step,
    check_tolerance,
)
from .outcome import empty_result, finish, settle
from .result import Status

__all__ = ["budget_result", "jacobian_of", "prepare", "representable", "safe_centre"]


def prepare(f, x, args, vectorized, workers, progress, max_nfev):
    x = check_point("x", x)
    evaluator = Evaluator(f, args, vectorized=vectorized, point_shape=x.shape, workers=workers,
                          progress=progress, max_nfev=check_max_nfev(max_nfev))
    return x, evaluator


def safe_centre(evaluator, x):
    try:
        return evaluator(x[None])[0]
    except BudgetError:
        return np.zeros(())


def representable(x, step):
    """The step actually taken, ``(x + h) − x``: then ``x ± o·h`` are exact."""
    taken = (x + step) - x
    check_argument(bool(np.all(taken > 0)),
                   lambda: f"`step` {step} is too small to change x in floating point")
    return taken


def jacobian_of(evaluator, x, chosen, step, scale, bounds, tolerance, default):
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
        representable(flat, step.ravel()) if d else np.zeros(0)
    placed = reach(stencil, flat, top, None if limits is None else
                   (limits[0].ravel(), limits[1].ravel()))
    directions = Units(np.arange(d), x.shape)
    try:
        if d:   # f(x) comes with the first points sent to f (one call fewer)
            estimate, centre = along_directions(evaluator, x, directions, placed.top, stencil,
                                                step_given=step is not None, kinds=placed.kind,
                                                fast=default and step is None)
        else:
            centre = evaluator(x[None])[0]
    except BudgetError:
        return budget_result(evaluator, x)
    if d == 0 or np.size(centre) == 0:   # no inputs, or no outputs
        return empty_result(np.shape(centre) + x.shape, evaluator.points)
    value, error, status = combine_complex(estimate, np.iscomplexobj(centre))
    out = np.shape(centre)

    def arrange(array):  # (d, m) -> (*out, *x.shape)
        return np.asarray(array).reshape(d, -1).T.reshape(out + x.shape)

    if step is not None and np.isrealobj(value):
        # nothing below the step is sampled: the rounding x's components cause
        # inside f, ε·Σ_j |x_j|·|∂f/∂x_j|, joins every entry's error
        condition = np.abs(flat) @ np.abs(value)                        # (m,)
        error = error + ROUNDING_WEIGHT * evaluator.epsilon * condition[None] * (
            stencil.weight_sum / placed.top[:, None])
    size = np.max(estimate.size, axis=1, keepdims=True) / placed.top[:, None]
    status = settle(value, error, status, size, tolerance)
    forward = estimate.forward if not np.iscomplexobj(centre) else None
    notes = lattice_note(estimate)
    if np.any(placed.kind != 0):
        notes.append(f"a one-sided stencil keeps every point inside `bounds` for "
                     f"{int(np.sum(placed.kind != 0))} component(s)")
    # the fast path's steps are one per line, broadcast over the outputs: the
    # result gets an array of its own
    steps = arrange(estimate.scale[:, :value.shape[1]])
    return finish(arrange(value), arrange(error),
                  steps if steps.flags.writeable else np.array(steps),
                  evaluator.points, arrange(status),
                  forward=None if forward is None else arrange(forward),
                  backward=None if forward is None else arrange(estimate.backward),
                  divergence=None if forward is None else arrange(estimate.divergence),
                  notes=notes)


def budget_result(evaluator, x):
    shape = (evaluator.out_shape or ()) + x.shape
    nan = np.full(shape, np.nan)
    return finish(nan, np.full(shape, np.inf), nan, evaluator.points,
                  np.full(shape, int(Status.BUDGET)))

"""The elementwise derivative: every element of x a line of its own (f acts
elementwise), with the one-sided fallback where f is not finite on one side."""

from __future__ import annotations

import math

import numpy as np

from .errors import BudgetError
from .estimators.ladder import ladder_for
from .estimators.lines import ElementLines, bottom_scales
from .estimators.route import by_kind, lattice_note, merge_estimates, one_sided_stencil
from .estimators.scan import LineEstimate, scan
from .estimators.steps import reach, top_steps
from .jacobians import representable
from .noise import sample_noise
from .outcome import finish, settle
from .result import Status

__all__ = ["elementwise_derivative"]


#: An estimated noise level (``noise="auto"``: nine samples) is uncertain by
#: about a factor of two; it is taken this many times larger.
AUTO_NOISE_SAFETY = 2.0


def elementwise_derivative(evaluator, x, stencil, step, scale, limits, noise, tolerance):
    with np.errstate(all="ignore"):   # infinities and NaN from f's values are handled
        return _elementwise_quiet(evaluator, x, stencil, step, scale, limits, noise, tolerance)


def _elementwise_quiet(evaluator, x, stencil, step, scale, limits, noise, tolerance):
    flat = x.ravel()

    def evaluate(points, which):
        return evaluator.elementwise(points, which, x)
    centre = evaluate(flat[None], np.arange(flat.size))[0]
    outputs = 2 if np.iscomplexobj(centre) else 1
    top = top_steps(flat, None if scale is None else scale.ravel())
    placed = reach(stencil, flat, top if step is None else representable(flat, step.ravel()),
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
        estimate = by_kind(lines, placed.kind, stencil,
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
    notes.extend(lattice_note(estimate))
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


def _elementwise_condition(lines, slope):
    """``|x_i|·|f'(x_i)|`` per element: what rounding x_i inside f does to f, per ε."""
    return np.abs(lines.x[lines.indices])[:, None] * slope


def _shaped(array, shape):
    return None if array is None else array.reshape(shape)


def _nfev(estimate: LineEstimate, shape):
    return (estimate.nfev + 1).reshape(shape)  # the centre counts once per element


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
        one_sided = one_sided_stencil(stencil, kind)
        part = scan(lines(mask), ladder_for(one_sided), epsilon=epsilon,
                    bottom=bottom_scales(flat[mask], placed.top[mask], n))
        nfev = estimate.nfev[mask] + part.nfev
        merge_estimates(estimate, part, mask)
        estimate.nfev[mask] = nfev
    return estimate, int(redo.sum())


def _out_of_budget(x, evaluator):
    nan = np.full(x.shape, np.nan)
    return finish(nan, np.full(x.shape, np.inf), nan,
                  np.full(x.shape, evaluator.points // max(x.size, 1)),
                  np.full(x.shape, int(Status.BUDGET)))

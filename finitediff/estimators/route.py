"""Lines to estimates: which estimator each line gets, and their records merged.

An explicit step gets the stencil once (:mod:`.fixed`); the default stencil
on many lines the fast paths (:mod:`.fast`); the rest the scan
(:mod:`.scan`). Lines near a bound get one-sided stencils, each group of
lines its own. Used by the public functions in :mod:`finitediff.calculus`.
"""

from __future__ import annotations

import math

import numpy as np

from ..result import Status
from ..stencil import Stencil
from .fast import FAST_MIN_LINES, fast_elements, fast_scan
from .fixed import at_step
from .ladder import ladder_for
from .lines import DirectionLines, NoOutputs, Units, bottom_scales
from .scan import LineEstimate, scan

__all__ = ["ROUNDING_WEIGHT", "along_directions", "at_steps", "by_kind", "combine_complex",
           "empty_estimate", "estimate_lines", "lattice_note", "merge_estimates",
           "one_sided_stencil"]


#: Multiple of the rounding the arguments cause, in the error of an explicit step.
ROUNDING_WEIGHT = 1.5


def estimate_lines(lines, stencil: Stencil, *, bottom, epsilon, step_given: bool, fast,
              noise=0.0, condition=None) -> LineEstimate:
    """Every line's n-th derivative: one stencil at the given steps, the fast path, or the scan."""
    if not math.isfinite(stencil.accuracy):   # order 0 at a node: f(x) itself
        return at_steps(lines, stencil, epsilon)
    if step_given:
        return at_steps(lines, stencil, epsilon, condition)
    if fast == "elements" and stencil == Stencil.central(stencil.n) and stencil.n <= 2 \
            and not np.any(noise):
        return fast_elements(lines, stencil.n, bottom=bottom, epsilon=epsilon)
    if _fast_lines(lines.count, stencil, step_given, fast):
        return fast_scan(lines, stencil.n, bottom=bottom, epsilon=epsilon)[0]
    return scan(lines, ladder_for(stencil), bottom=bottom, epsilon=epsilon, noise=noise)


def _fast_lines(count: int, stencil: Stencil, step_given: bool, fast) -> bool:
    """Whether :func:`estimate_lines` takes the lines to :func:`fast_scan`."""
    return (fast is True and not step_given and count >= FAST_MIN_LINES
            and math.isfinite(stencil.accuracy))


def at_steps(lines, stencil: Stencil, epsilon, condition=None) -> LineEstimate:
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


def merge_estimates(into: LineEstimate, part: LineEstimate, mask) -> None:
    into.put(mask, part)
    into.nfev[mask] = part.nfev


def empty_estimate(count: int, outputs: int) -> LineEstimate:
    shape = (count, outputs)
    return LineEstimate(np.full(shape, np.nan), np.full(shape, np.inf), np.full(shape, np.nan),
                        np.full(shape, int(Status.NONFINITE)), np.full(shape, np.nan),
                        np.full(shape, np.nan), np.zeros(count, dtype=np.int64),
                        np.full(shape, np.nan), np.zeros(shape), np.zeros(shape, dtype=int),
                        np.full(shape, np.nan), np.zeros(shape, dtype=bool), np.full(shape, -1))


def by_kind(make_lines, kinds, stencil: Stencil, **options) -> LineEstimate:
    """Estimates per line, each group of lines with its stencil (central, forward, backward)."""
    total = None
    for kind in (0, 1, -1):
        mask = kinds == kind
        if not mask.any():
            continue
        lines = make_lines(mask)
        used = stencil if kind == 0 else one_sided_stencil(stencil, kind)
        if mask.all():   # one group: its estimate is the whole, no copy into another
            return estimate_lines(lines, used, **options)
        if total is None:
            total = empty_estimate(len(kinds), lines.outputs)
        # per-line options (the bottom step, a noise level) follow the lines chosen
        chosen = {name: (value[mask] if isinstance(value, np.ndarray) and value.ndim
                         and len(value) == len(kinds) else value)
                  for name, value in options.items()}
        merge_estimates(total, estimate_lines(lines, used, **chosen), mask)
    return total


def one_sided_stencil(stencil: Stencil, kind: int) -> Stencil:
    accuracy = max(int(stencil.accuracy), 1)
    return (Stencil.forward(stencil.n, accuracy) if kind > 0
            else Stencil.backward(stencil.n, accuracy))


def along_directions(evaluator, x, directions, top, stencil, *, step_given, kinds, fast,
                     centre=None, lines=DirectionLines):
    """Every direction's derivative (LineEstimate) and f(x) (evaluated here unless given).

    ``lines`` makes the lines from the directions (a :class:`DirectionLines`
    or one that knows a sparser kind of direction; such directions give the
    largest ``|x_c|`` they move with a method ``moved(x)``).
    """
    lines = lines(evaluator, x, directions, top, centre)
    if not (np.all(kinds == 0) and _fast_lines(len(directions), stencil, step_given, fast)):
        # the estimators read f's precision (ε) from the start: f(x) first shows it;
        # the fast path reads it after its pilot, whose call evaluates f(x) too
        lines._centre.get()
    if isinstance(directions, Units):
        moved = np.abs(x.reshape(-1))[directions.components]
    elif hasattr(directions, "moved"):
        moved = directions.moved(x)
    else:
        moved = np.max(np.abs(x.reshape(1, -1)) * (directions.reshape(len(directions), -1) != 0),
                       axis=1, initial=0.0)
    bottom = bottom_scales(moved, top, stencil.n)

    def chosen(mask):   # every line (one kind of stencil throughout): the lines themselves
        return lines if mask.all() else lines.subset(mask)

    try:   # f(x) comes with the first points sent to f, unless given
        estimate = by_kind(chosen, kinds, stencil, bottom=bottom, epsilon=evaluator.epsilon,
                           step_given=step_given, fast=fast)
    except NoOutputs:   # f(x) is empty: nothing to estimate
        estimate = empty_estimate(len(directions), 0)
    return estimate, lines._centre.get()


def combine_complex(estimate: LineEstimate, complex_values: bool):
    """value, error, status per (line, output), complex parts recombined."""
    if not complex_values:
        return estimate.value, estimate.error, estimate.status
    half = estimate.value.shape[1] // 2
    value = estimate.value[:, :half] + 1j * estimate.value[:, half:]
    error = np.hypot(estimate.error[:, :half], estimate.error[:, half:])
    status = np.minimum(estimate.status[:, :half], estimate.status[:, half:])
    return value, error, status


def lattice_note(estimate: LineEstimate) -> list:
    count = int(np.sum(estimate.lattice & (estimate.status != Status.SUCCESS)))
    if not count:
        return []
    return [f"{count} estimate(s) converge only at steps of a few units in the last place of "
            "x, where f is seen on a lattice of floats too coarse to tell its derivative from "
            "aliasing (unresolved)"]

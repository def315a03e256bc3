"""The adaptive estimator: a geometric sequence of steps, Richardson, the best entry.

For every direction ``D_r`` the stencil is applied at the scales
``s_q = 2^-q`` (q = 0..10; ``2^(-q/2)``, q = 2..11, for n >= 3, see
:func:`step_scales`) on ``φ_r(t) = f(x + t·D_r)``; the scales share points,
and every point goes to f in one call. The Richardson table of these
estimates gives, per output element, the entry with the smallest error
estimate.

A second round runs where the first could not deliver: where f was
non-finite at stencil points (a domain edge, a singularity) the range of
scales moves below the failing ones; where the best entry sat at the small
end of the range with a poor error the range moves down part of its length;
and where no entry converged at all (the error is a sizeable fraction of the
value: a pole or many periods inside every stencil) the range moves below
itself. For a
first derivative the centre is also evaluated, so forward and backward
estimates come from the same points: they stand in where the central
stencil meets non-finite values on one side, and their disagreement flags a
kink.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .directional import apply_stencil, directional_samples
from .extrapolate import richardson
from .roundoff import measured_noise
from .stencil import Stencil

__all__ = ["AdaptiveEstimate", "adaptive_estimate", "step_scales", "NUM_SCALES", "TOP_STEP"]

_EPS = float(np.finfo(np.float64).eps)

#: Number of step scales per round (ratio 2 between them) for n < HIGH_ORDER.
NUM_SCALES = 11
#: From this derivative order on, the ratio is √2: HIGH_ORDER_SCALES scales
#: ``2^(-q/2)`` from q = HIGH_ORDER_START.
HIGH_ORDER = 3
HIGH_ORDER_SCALES = 10
HIGH_ORDER_START = 2
#: The largest step, relative to ``max(|x|, 1)``.
TOP_STEP = 0.5
#: Rounds at most: the first, then ranges moved to smaller steps.
MAX_ROUNDS = 4
#: Relative error above which another round is tried.
RETRY_ERROR = 1e-10
#: Relative error above which no entry of the range counts as converged
#: (unless the error is ROUNDOFF_DOMINATED times the round-off or less).
UNRESOLVED_ERROR = 1e-3
ROUNDOFF_DOMINATED = 100.0
#: A poor best entry among the finest EDGE_ROWS rows asks for smaller steps.
EDGE_ROWS = 2
#: Output elements (directions × outputs) whose Richardson tables are built
#: together; bounds the memory of large Jacobians and Hessians.
CHUNK_ELEMENTS = 2**14
#: One-sided estimates that differ by more than this many times their
#: combined error (and by this relative amount) indicate a kink.
KINK_FACTOR = 10.0
KINK_RELATIVE = 1e-6


@dataclass
class AdaptiveEstimate:
    """Per output element ``(R, *out)``: value, error, scale of the chosen entry, notes."""

    value: np.ndarray
    error: np.ndarray
    scale: np.ndarray
    one_sided: np.ndarray
    shrunk: np.ndarray
    kink: np.ndarray
    forward: np.ndarray
    backward: np.ndarray


def _symmetric(stencil: Stencil) -> bool:
    offsets = set(stencil.offsets)
    return offsets == {-o for o in offsets}


def step_scales(n: int) -> np.ndarray:
    """The scales of one round for derivative order ``n``, largest first.

    For n <= 2 they are ``2^-q``, q = 0..10. The round-off of an n-th
    derivative stencil grows like ``h^-n``, so for n >= 3 the steps where it
    balances the truncation error form a narrow band; there the ratio is
    ``√2`` (``2^(-q/2)``, q = 2..11), which puts twice as many rows into the
    band. The offsets ±1, ±2 of those stencils still share points between
    rows (``2·s_q = s_(q-2)``, built exactly with ``ldexp``), so a row still
    costs one point per side; the narrower range is widened by later rounds.
    """
    if n < HIGH_ORDER:
        return 2.0 ** -np.arange(NUM_SCALES)
    q = np.arange(HIGH_ORDER_SCALES) + HIGH_ORDER_START
    return np.ldexp(np.where(q % 2, np.sqrt(0.5), 1.0), -(q // 2))


def _best(stencil: Stencil, gathered, positions, scales, noise):
    """Best Richardson entry ``(value, error, q)`` of ``stencil`` on gathered values."""
    support = [stencil.offsets.index(o) for o in stencil.support]
    part = gathered[:, [positions[stencil.offsets[i]] for i in support]]
    table, roundoff = apply_stencil(part, stencil.support_weights, scales, stencil.n, noise)
    step = 2 if _symmetric(stencil) else 1
    columns = 1 + max(1, 12 // step)
    ratio = float(scales[0] / scales[1])
    extrapolated = richardson(table, ratio=ratio, order=int(stencil.accuracy), step=step,
                              columns=columns, roundoff=roundoff)
    entry = extrapolated.best_entry()
    with np.errstate(invalid="ignore"):
        # Not converged: the error is large against the value and is not round-off.
        unresolved = ~((entry.error <= UNRESOLVED_ERROR * np.abs(entry.value))
                       | (entry.error <= ROUNDOFF_DOMINATED * entry.roundoff))
    return (entry.value, entry.error, scales[entry.q]), unresolved


def _round(evaluator, x, displacements, stencil, scales, noise):
    """One batched round: central (or given) stencil plus, for n = 1, both one-sided.

    All points reach f in one call; the Richardson tables are then built for
    at most ``CHUNK_ELEMENTS`` output elements at a time, so a large Jacobian
    never holds every table (or every gathered value) at once.
    """
    offsets = sorted(set(stencil.support) | ({0} if stencil.n == 1 else set()))
    per_factor, inverse = directional_samples(evaluator, x, displacements, offsets, scales)
    shape = per_factor.shape[1:]  # (R, *out)
    flat = per_factor.reshape(len(per_factor), -1)
    factors = np.unique(np.multiply.outer(scales, np.asarray(offsets, dtype=np.float64)))
    level = measured_noise(factors, flat, scales)
    with np.errstate(invalid="ignore"):
        magnitude = np.max(np.where(np.isfinite(flat), np.abs(flat), 0.0), axis=0)
    epsilon = np.finfo(evaluator.dtype).eps
    if epsilon > np.finfo(np.float64).eps:
        # f computes in a lower precision (a float32 model accepted as such):
        # its rounding is at least that precision's ε·max|f| along each direction.
        level = np.maximum(level, epsilon * magnitude)
    if noise is not None:
        level = np.maximum(level, np.broadcast_to(noise, shape).reshape(-1))
    positions = {o: i for i, o in enumerate(offsets)}
    pieces = []
    for start in range(0, max(flat.shape[1], 1), CHUNK_ELEMENTS):
        part = slice(start, start + CHUNK_ELEMENTS)
        pieces.append(_round_part(stencil, flat[:, part][inverse], positions, scales,
                                  level[part]))

    def join(*parts):
        return np.concatenate(parts, axis=-1).reshape(shape)

    main = tuple(join(*items) for items in zip(*(piece[0] for piece in pieces)))
    sides = None
    if pieces[0][1] is not None:
        sides = tuple(tuple(join(*items) for items in zip(*(piece[1][side] for piece in pieces)))
                      for side in range(2))
    return (main, sides, join(*(piece[2] for piece in pieces)),
            join(*(piece[3] for piece in pieces)), magnitude.reshape(shape))


def _round_part(stencil, gathered, positions, scales, noise):
    """:func:`_round` on gathered values ``(Q, O, m)`` of m output elements."""
    main, unresolved = _best(stencil, gathered, positions, scales, noise)
    sides = None
    offsets = list(positions)
    if stencil.n == 1 and min(offsets) < 0 < max(offsets):
        sides = (_best(Stencil([0, 1], 1), gathered, positions, scales, noise)[0],
                 _best(Stencil([-1, 0], 1), gathered, positions, scales, noise)[0])
    bad = ~np.isfinite(gathered).all(axis=1)  # (Q, m): a stencil point was non-finite
    rows = np.arange(len(scales))[:, None]
    failing = np.where(bad.any(axis=0), np.max(np.where(bad, rows, -1), axis=0), -1)
    return main, sides, failing, unresolved


def _combine(main, sides, failing):
    """Central where it is trusted; a one-sided estimate where the central one failed."""
    value, error, scale = (np.array(a, copy=True) for a in main)
    one_sided = np.zeros(value.shape, dtype=bool)
    if sides is not None:
        for side_value, side_error, side_scale in sides:
            better = (failing >= 0) & (side_error < error)
            value = np.where(better, side_value, value)
            error = np.where(better, side_error, error)
            scale = np.where(better, side_scale, scale)
            one_sided |= better
    return value, error, scale, one_sided


def _kink(sides, value):
    if sides is None:
        return np.zeros(np.shape(value), dtype=bool)
    (forward, forward_error, _), (backward, backward_error, _) = sides
    gap = np.abs(forward - backward)
    with np.errstate(invalid="ignore"):
        return (np.isfinite(gap) & (gap > KINK_FACTOR * (forward_error + backward_error))
                & (gap > KINK_RELATIVE * np.maximum(np.abs(forward), np.abs(backward))))


def _retry_factor(error, value, failing, unresolved, scale, scales, elementwise):
    """Per output element, how much to shrink the step for a second round (1 = none).

    Without ``elementwise`` the factor is shared by all outputs of a direction,
    so it has shape ``(R, 1, …)``. Factors are relative to the top scale.
    """
    count = len(scales)
    relative = scales / scales[0]
    ratio = scales[0] / scales[1]
    with np.errstate(invalid="ignore"):
        poor = ~(error <= RETRY_ERROR * np.abs(value))
    at_edge = scale <= scales[max(count - EDGE_ROWS, 0)]
    shrink = np.where(poor & at_edge, relative[max(count - 4, 0)], 1.0)
    # Nothing converged anywhere in the range: move the whole range below it.
    shrink = np.where(unresolved & ~at_edge, relative[-1] / ratio, shrink)
    below_failure = relative[failing] / ratio
    shrink = np.where(poor & (failing >= 0), np.minimum(shrink, below_failure), shrink)
    if elementwise or shrink.ndim == 1:
        return shrink
    return shrink.min(axis=tuple(range(1, shrink.ndim)), keepdims=True)


def _rescaled(outcome, power):
    """A round's results along ``c·D`` expressed along ``D``: divide by ``c^n``."""
    main, sides, failing, unresolved, magnitude = outcome
    value, error, scale = main
    sides = None if sides is None else tuple((v / power, e / power, s) for v, e, s in sides)
    return (value / power, error / power, scale), sides, failing, unresolved, magnitude


def _roundoff_floor(stencil: Stencil, magnitude, scale):
    """``ε·Σ|w|·max|f| / s^n``: the least round-off an estimate at scale s can have.

    ``max|f|`` is taken over the whole first round, not over the chosen
    stencil's points: where f is computed by cancellation (``x − sin x`` near
    0) its values near x are tiny while the rounding of its terms is not, and
    the far points show the size of those terms. Applied to the reported
    error only, after the choice of entry, so it never changes a value.
    """
    weight = float(np.sum(np.abs(stencil.support_weights)))
    with np.errstate(divide="ignore", invalid="ignore"):
        floor = _EPS * weight * magnitude / np.abs(scale) ** stencil.n
    return np.where(np.isfinite(floor), floor, 0.0)


def _prefer_finer(old_value, old_error, new_value, new_error):
    """Take the finer round where it is tighter or where the two disagree.

    Returns the mask and the error to report for the finer value. Where the
    rounds disagree beyond both errors one of them is wrong, and nothing tells
    which (round-off in a value computed by cancellation looks like a
    converged table): the error then covers the coarser round too.
    """
    with np.errstate(invalid="ignore"):
        gap = np.abs(new_value - old_value)
        disagree = gap > old_error + new_error
        covering = np.where(disagree, np.maximum(new_error, gap + old_error), new_error)
    return np.isfinite(new_error) & ((new_error < old_error) | disagree), covering


def adaptive_estimate(
    evaluator, x, displacements, stencil: Stencil, *, elementwise: bool = False, noise=None,
) -> AdaptiveEstimate:
    """``φ_r^(n)(0)`` with an error bound, per output element, in up to ``MAX_ROUNDS`` rounds.

    ``elementwise`` says that output element ``i`` depends only on input
    element ``i`` (``derivative``), so each element may get its own retry step.
    """
    scales = step_scales(stencil.n)
    main, sides, failing, unresolved, magnitude = _round(evaluator, x, displacements, stencil,
                                                         scales, noise)
    value, error, scale, one_sided = _combine(main, sides, failing)
    kink = _kink(sides, value)
    shrunk = np.zeros(value.shape, dtype=bool)
    total = np.ones(1)
    latest_scale = scale
    for _ in range(MAX_ROUNDS - 1):
        factor = _retry_factor(error, value, failing, unresolved, latest_scale, scales,
                               elementwise)
        if not np.any(factor < 1):
            break
        total = total * factor
        # Only the directions that asked for smaller steps go to f again (a
        # derivative has one direction, and its elements keep their own steps).
        rows = (np.arange(len(displacements)) if elementwise else
                np.flatnonzero(np.reshape(factor, len(displacements)) < 1))
        along = total.reshape(displacements.shape if elementwise else
                              (-1,) + (1,) * (displacements.ndim - 1))[rows]
        outcome = _round(evaluator, x, displacements[rows] * along, stencil, scales, noise)
        # φ along the shrunk displacement is φ(c·t): its n-th derivative is c^n φ^(n).
        main2, sides2, failing2, unresolved2, _ = _rescaled(outcome, total[rows]**stencil.n)
        value2, error2, scale2, one_sided2 = _combine(main2, sides2, failing2)
        better, error2 = _prefer_finer(value[rows], error[rows], value2, error2)

        def update(old, new, better=better, rows=rows):
            old = np.array(old, copy=True)
            old[rows] = np.where(better, new, old[rows])
            return old

        value, error = update(value, value2), update(error, error2)
        scale = update(scale, scale2 * total[rows])
        one_sided = update(one_sided, one_sided2)
        shrunk[rows] |= better
        if sides is not None:
            kink = update(kink, _kink(sides2, value2))
            sides = [tuple(update(old, new) for new, old in zip(pair2, pair1))
                     for pair2, pair1 in zip(sides2, sides)]
        # Directions left out of this round are settled.
        failing = np.full(value.shape, -1)
        unresolved = np.zeros(value.shape, dtype=bool)
        latest_scale = np.full(value.shape, scales[0])
        failing[rows], unresolved[rows], latest_scale[rows] = failing2, unresolved2, scale2
    error = np.maximum(error, _roundoff_floor(stencil, magnitude, scale))
    forward = sides[0][0] if sides is not None else np.full(value.shape, np.nan)
    backward = sides[1][0] if sides is not None else np.full(value.shape, np.nan)
    return AdaptiveEstimate(value, error, scale, one_sided, shrunk, kink, forward, backward)

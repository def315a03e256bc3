"""The adaptive estimator: walk down a ladder of steps until a trusted window shows.

Every line ``φ_l(t) = f(x + t·D_l)`` (an element of x for ``derivative``, a
direction for the others) is sampled at the points of the ladder's rows,
largest step first, and the rows go to :func:`~.windows.choose`. A line is
done when each of its output elements has a trusted estimate with rows below
it that no longer help (the rounding of f is seen, not assumed) and f looks
smooth at x (:func:`~.kinks.smoothness`). Lines that are not done get more
rows, further down, in rounds of growing size: only they go to f again, and
all points of a round go in one call. Where the ladder reaches the smallest
step that still moves x, or estimates grow without bound over many rows, the
line stops and says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import BudgetError
from ..result import Status
from .kinks import divergence, smoothness
from .ladder import Ladder
from .rows import Samples, rows_of, sides_of
from .windows import choose

__all__ = ["LineEstimate", "PER_ELEMENT", "scan", "first_scale", "MAX_OCTAVES"]

#: Lines scanned together at most (more go in chunks of this many).
SCAN_CHUNK = 2**15
#: How far below its top a line may go, in octaves (halvings of the step).
MAX_OCTAVES = 64
#: The first round reaches this many times the base stencil's optimal step
#: for a unit-scale function: deep enough for most smooth f, the rest asks
#: for more rows.
FIRST_DEPTH = 32.0
#: Rows in the first round at least (a window needs three, its check two more).
MIN_ROWS = 6
#: Rows added in the second round; each later round doubles it.
EXTRA_ROWS = 2
#: A window must start this many times above the smallest step a line allows
#: (a couple of units in the last place of x): nearer, f is seen on too coarse
#: a lattice of floats to tell its derivative from aliasing.
LATTICE = 512.0
#: A known noise level explains differences up to this many standard deviations.
NOISE_SIGMAS = 4.0
#: Octaves over which estimates must keep growing (or a kink persist) before
#: the scan stops early and says so.
PERSISTENT_OCTAVES = 12.0


#: The fields of a :class:`LineEstimate` that are per line and output element.
PER_ELEMENT = ("value", "error", "scale", "status", "forward", "backward", "divergence",
               "size", "side", "rounding", "lattice", "kink_order")


@dataclass
class LineEstimate:
    """Per output element ``(L, m)``: value, error, chosen step, status, one-sided values."""

    value: np.ndarray
    error: np.ndarray
    scale: np.ndarray
    status: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    nfev: np.ndarray      # per line: points evaluated for it (the centre not counted)
    divergence: np.ndarray  # exponent j of |T| ~ s^-j where nothing converged (NaN otherwise)
    size: np.ndarray      # max |f| over the rows of the window used
    side: np.ndarray      # where nothing converged: +1 (-1) if f is finite only above (below) x
    rounding: np.ndarray  # the rounding of f's values the error accounts for
    lattice: np.ndarray   # the estimate rests on steps of a few units in the last place
    kink_order: np.ndarray  # the lowest order whose one-sided estimates disagree (-1: none)

    def put(self, mask, part: LineEstimate, names=PER_ELEMENT) -> None:
        """Store ``part``'s fields ``names`` at the lines ``mask``. A field that is
        a read-only view (a constant broadcast over the lines, as the fast
        path gives) becomes an array of its own first."""
        for name in names:
            target = getattr(self, name)
            if not target.flags.writeable:
                target = np.array(target)
                setattr(self, name, target)
            target[mask] = getattr(part, name)


def first_scale(ladder: Ladder) -> float:
    """The scale (relative to the top step) the first round reaches."""
    return min(1.0, FIRST_DEPTH * ladder.stencil.optimal_step())


def scan(lines, ladder: Ladder, *, bottom, epsilon, noise=0.0, max_rounds: int = 8
         ) -> LineEstimate:
    """See :func:`_scan`; floating-point warnings of the arithmetic on f's values
    (infinities and NaN where f overflows or leaves its domain) stay here."""
    count = lines.count
    with np.errstate(all="ignore"):
        if count <= SCAN_CHUNK:
            return _scan(lines, ladder, bottom=bottom, epsilon=epsilon, noise=noise,
                         max_rounds=max_rounds)
        # a chunk of lines at a time: the tables stay in cache-sized pieces
        bottom = np.broadcast_to(np.asarray(bottom, dtype=float), (count,))
        noise = np.broadcast_to(np.asarray(noise, dtype=float), (count,))
        parts = []
        for start in range(0, count, SCAN_CHUNK):
            mask = np.zeros(count, dtype=bool)
            mask[start:start + SCAN_CHUNK] = True
            parts.append(_scan(lines.subset(mask), ladder, bottom=bottom[mask],
                               epsilon=epsilon, noise=noise[mask], max_rounds=max_rounds))
        return LineEstimate(*(np.concatenate([getattr(part, name) for part in parts])
                              for name in LineEstimate.__dataclass_fields__))


def _scan(lines, ladder: Ladder, *, bottom, epsilon, noise, max_rounds) -> LineEstimate:
    """Estimate ``φ_l^(n)(0)`` for every line and output element, with an error bound.

    Parameters
    ----------
    lines
        ``lines.count`` lines of ``lines.outputs`` output elements;
        ``lines.sample(factors, which)`` returns the values of f at
        ``x + t·D_l`` for every factor t and line l in ``which``, shape
        ``(F, len(which), outputs)``, and how far the points were rounded off
        the line (in units of t, shape ``(F, len(which))``).
    ladder : Ladder
    bottom : ndarray, shape (L,)
        The smallest scale each line may use (below it the step no longer
        moves x by enough, or ``s^n`` underflows).
    epsilon : float
        The machine epsilon of f's values.
    noise : float or ndarray, shape (L,)
        A known noise level of f along each line (standard deviation).
    """
    count_lines, outputs = lines.count, lines.outputs
    shape = (count_lines, outputs)
    result = LineEstimate(np.full(shape, np.nan), np.full(shape, np.inf), np.full(shape, np.nan),
                          np.full(shape, int(Status.UNRESOLVED)), np.full(shape, np.nan),
                          np.full(shape, np.nan), np.zeros(count_lines, dtype=np.int64),
                          np.full(shape, np.nan), np.zeros(shape), np.zeros(shape, dtype=int),
                          np.full(shape, np.nan), np.zeros(shape, dtype=bool),
                          np.full(shape, -1))
    noise = np.broadcast_to(np.asarray(noise, dtype=float), (count_lines,))
    if count_lines == 0 or outputs == 0:
        return result
    bottom = np.maximum(np.asarray(bottom, dtype=float), 2.0**-MAX_OCTAVES)
    limit = ladder.rows_to(float(np.min(bottom)))
    samples = Samples(lines, np.arange(count_lines))
    rows = min(max(ladder.rows_to(first_scale(ladder)), MIN_ROWS), limit)
    extra = EXTRA_ROWS
    last = None   # the pending lines' records of the latest round
    persistent = max(2, int(math.ceil(PERSISTENT_OCTAVES / math.log2(ladder.ratio))))
    for round_ in range(max_rounds):
        scales = ladder.scales(0, rows)
        factors = np.unique(np.concatenate([np.multiply.outer(
            scales, np.asarray(ladder.offsets, dtype=float)).ravel(), [0.0]]))
        try:
            samples.extend(factors)
        except BudgetError:
            # max_nfev reached: the pending lines keep the best entry so far
            if last is not None:
                _record(result, samples, np.ones(samples.which.size, dtype=bool), *last,
                        outputs)
            result.status[samples.which] = int(Status.BUDGET)
            break
        pending_bottom = bottom[samples.which]
        scales, steps, table, weight, magnitude, moved = rows_of(ladder, samples, rows,
                                                               pending_bottom,
                                                               lines.top[samples.which],
                                                               epsilon)
        size = table.shape[1] * outputs
        line_noise = noise[samples.which]
        level = np.maximum(epsilon * magnitude + moved, line_noise[None, :, None])
        choice = choose(table.reshape(rows, size), np.repeat(steps, outputs, axis=1),
                        np.repeat(weight, outputs, axis=1), level.reshape(rows, size),
                        magnitude.reshape(rows, size), ladder,
                        noise=NOISE_SIGMAS * np.repeat(line_noise, outputs), epsilon=epsilon)
        # A window whose coarsest step is a few units in the last place of x
        # rests on the lattice of floats: a function periodic below that
        # spacing aliases into a smooth-looking one there, and no sample can
        # tell. It is not trusted.
        window_top = scales[np.clip(choice.first, 0, rows - 1)]
        coarse = choice.found & (window_top < LATTICE * np.repeat(pending_bottom, outputs))
        choice.found = choice.found & ~coarse
        # the rounding f really has (measured by the window), relative to its size
        relative = np.where(np.isfinite(choice.rounding) & (choice.size > 0),
                            choice.rounding / np.where(choice.size > 0, choice.size, 1.0), 0.0)
        kink_order, forward, backward, checked, erratic = smoothness(
            sides_of(ladder, samples, rows, lines.top), ladder, choice.row, choice.first, rows,
            np.maximum(epsilon, relative))
        kink = kink_order >= 0
        # one-sided values that scatter: f oscillates at x (x·sin(1/x)); not trusted
        choice.found = choice.found & ~erratic
        # lines at their bottom, or out of rounds, stop whatever they show
        exhausted = np.repeat((scales[-1] <= pending_bottom * ladder.ratio)
                              | (rows >= limit) | (round_ == max_rounds - 1), outputs)
        slope = divergence(table.reshape(rows, size), scales, min(persistent, rows))
        diverging = ~choice.found & (slope >= 0.5)
        kink_rows = choice.row  # a kink seen at the chosen row persists down to the finest
        settled = choice.found & choice.settled & checked & ~kink
        persistent_kink = choice.found & kink & (rows - 1 - kink_rows >= persistent)
        element_done = settled | persistent_kink | exhausted | (diverging & (rows >= persistent))
        line_done = element_done.reshape(-1, outputs).all(axis=1)
        if line_done.any():
            _record(result, samples, line_done, choice, kink, forward, backward, slope,
                    steps[:, line_done], table.reshape(rows, size), outputs)
            result.kink_order[samples.which[line_done]] = kink_order[
                np.repeat(line_done, outputs)].reshape(-1, outputs)
            result.lattice[samples.which[line_done]] = coarse[
                np.repeat(line_done, outputs)].reshape(-1, outputs)
            samples.keep(~line_done)
        pending = np.repeat(~line_done, outputs)
        last = (_subset(choice, pending), kink[pending], forward[pending], backward[pending],
                slope[pending], steps[:, ~line_done], table.reshape(rows, size)[:, pending])
        if samples.which.size == 0:
            break
        rows = min(rows + extra, limit)
        extra *= 2
    return result


def _subset(choice, mask):
    """A Choice restricted to the elements of ``mask``."""
    return type(choice)(**{name: getattr(choice, name)[mask]
                           for name in choice.__dataclass_fields__})


def _record(result, samples, done, choice, kink, forward, backward, slope, steps, table, outputs):
    """Store the estimates of the lines that are done (mask ``done`` over pending lines)."""
    lines = samples.which[done]
    elements = np.repeat(done, outputs)
    found = choice.found[elements]
    value = choice.value[elements]
    error = choice.error[elements]
    row = choice.row[elements]
    flat = table[:, elements]
    finite = np.isfinite(flat)
    last = np.where(finite.any(axis=0), flat.shape[0] - 1 - np.argmax(finite[::-1], axis=0), 0)
    latest = flat[last, np.arange(flat.shape[1])]
    status = np.where(found, int(Status.SUCCESS), int(Status.UNRESOLVED))
    status = np.where(found & kink[elements], int(Status.KINK), status)
    slope_done = slope[elements]
    status = np.where(~found & (slope_done >= 0.5), int(Status.NOT_DIFFERENTIABLE), status)
    status = np.where(~found & ~finite.any(axis=0), int(Status.NONFINITE), status)
    # f undefined at x itself (0·sin(1/0)): whatever the sides show, no derivative at x
    centre, _ = samples.at(np.zeros(1))
    undefined = ~np.isfinite(centre[0][done].reshape(-1))
    defined_near = np.isfinite(samples.values[:, done]).any(axis=0).reshape(-1)
    status = np.where(undefined & defined_near, int(Status.NOT_DIFFERENTIABLE), status)
    chosen_scale = np.where(row >= 0, steps[np.clip(row, 0, len(steps) - 1),
                                            np.arange(len(row)) // outputs], np.nan)
    reshape = (len(lines), outputs)
    result.value[lines] = np.where(found, value, latest).reshape(reshape)
    result.error[lines] = np.where(found, error, np.inf).reshape(reshape)
    result.scale[lines] = chosen_scale.reshape(reshape)
    result.status[lines] = status.reshape(reshape)
    result.forward[lines] = forward[elements].reshape(reshape)
    result.backward[lines] = backward[elements].reshape(reshape)
    result.divergence[lines] = np.where(found, np.nan, slope_done).reshape(reshape)
    result.nfev[lines] = samples.nfev[done]
    result.size[lines] = choice.size[elements].reshape(reshape)
    result.rounding[lines] = choice.rounding[elements].reshape(reshape)
    result.side[lines] = _finite_side(samples, done, outputs).reshape(reshape)


def _finite_side(samples, done, outputs):
    """+1 where f is finite at the smallest positive factor but not the negative one, -1
    the reverse, 0 otherwise (per element of the lines that are done)."""
    keys = samples.keys
    values = samples.values[:, done]                      # (F, k, m)
    positive, negative = keys > 0, keys < 0
    side = np.zeros(values.shape[1:], dtype=int)
    if positive.any() and negative.any():
        plus = np.isfinite(values[np.flatnonzero(positive)[0]])
        minus = np.isfinite(values[np.flatnonzero(negative)[-1]])
        side = np.where(plus & ~minus, 1, np.where(minus & ~plus, -1, 0))
    return side.reshape(-1)

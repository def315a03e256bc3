"""Judging a table of derivatives against its finite-difference estimate.

The steps, per entry:

1. tolerance from the error bound and the rounding of the value under test
   (:mod:`.tolerance`), verdict from the difference;
2. an entry about to be called a mismatch is estimated again with another
   stencil, and f's noise along its line is measured: the error widens to
   cover both estimates, the tolerance stays above the noise floor, and the
   verdict is taken again (a false alarm from an abnormally small error
   bound ends here);
3. at a kink (the engine's status) the forward and backward derivatives are
   estimated: a value between them is what a correct autodiff returns (a
   subgradient) and agrees; any other is undecided. Neither fails the check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..result import Status
from .estimates import Estimate
from .report import Entry, Verdict
from .tolerance import (
    autodiff_rounding,
    decide,
    detectable,
    noise_floor,
    tolerance,
    value_rounding,
)

__all__ = ["Table", "judge"]

#: Suspected mismatches per table estimated a second time (the worst first).
MAX_CONFIRM = 256
#: Suspected mismatches per table whose noise level is measured (the worst first).
MAX_NOISE = 4
_VERDICTS = (Verdict.AGREE, Verdict.MISMATCH, Verdict.UNRESOLVED)


@dataclass
class Table:
    """Values under test, ``(R, C)``, and how to name and scale their entries.

    ``values`` has a leading axis over :func:`~.tolerance.perturbed_points`
    (the value at x first), from which the rounding is measured; ``terms``
    is ``Σ|terms|`` where the value is a known sum.
    """

    order: int
    values: np.ndarray
    scale: np.ndarray
    label: Callable[[int, int], str]
    epsilon: float
    terms: np.ndarray | None = None
    index: Callable[[int, int], tuple] = lambda row, col: (row, col)

    @property
    def value(self) -> np.ndarray:
        return self.values[0]


def _worst(mask: np.ndarray, ratio: np.ndarray, limit: int):
    rows, cols = np.nonzero(mask)
    order = np.argsort(-ratio[rows, cols], kind="stable")[:limit]
    return rows[order], cols[order]


def judge(table: Table, source, estimate: Estimate, *, rtol=None, atol=None) -> list[Entry]:
    """Entries with verdicts for every cell of ``table``; ``source`` re-estimates cells."""
    value = table.value
    rounding = autodiff_rounding(table.values, epsilon=table.epsilon, terms=table.terms)
    fd, error = estimate.df.copy(), estimate.error.copy()
    floor = np.zeros(value.shape)
    user = rtol is not None or atol is not None

    def verdicts():
        tol = tolerance(error, rounding, floor, value=value, rtol=rtol, atol=atol)
        return tol, decide(np.abs(value - fd), tol, error, table.scale, estimate.usable,
                           user_tolerance=user)

    tol, codes = verdicts()
    suspects = (codes == 1) & ~estimate.kink
    if suspects.any():
        _confirm(source, estimate, suspects, np.abs(value - fd) / tol, error, floor)
        tol, codes = verdicts()
    notes = np.full(value.shape, "", dtype=object)
    kinks = estimate.kink & estimate.usable
    if kinks.any():
        # x moved by ulps crosses the kink: the spread says nothing about rounding there
        at_kink = value_rounding(value, epsilon=table.epsilon)
        _judge_kinks(source, kinks, value, at_kink, fd, error, tol, codes, notes, rtol, atol)
    notes[(value == 0) & (codes == 1)] = "autodiff gives 0 where f changes"
    _explain_undecided(codes, notes, estimate, tol, table.scale)
    found = detectable(tol, error, value)
    return [
        Entry(order=table.order, label=table.label(r, c), autodiff=float(value[r, c]),
              finite_difference=float(fd[r, c]), error=float(error[r, c]),
              tolerance=float(tol[r, c]), step=float(estimate.step[r, c]),
              verdict=_VERDICTS[codes[r, c]], detectable=float(found[r, c]),
              note=notes[r, c], index=table.index(r, c), at_kink=bool(kinks[r, c]))
        for r, c in np.ndindex(value.shape)
    ]


def _confirm(source, estimate, suspects, ratio, error, floor) -> None:
    """Widen ``error`` to cover a second estimate; raise ``floor`` to the noise level."""
    rows, cols = _worst(suspects, ratio, MAX_CONFIRM)
    second = source.confirm(rows, cols)
    first_error = error[rows, cols]
    gap = np.abs(estimate.df[rows, cols] - second.df)
    with np.errstate(invalid="ignore"):
        widened = np.where(gap > first_error + second.error,
                           np.maximum(first_error, gap + second.error), first_error)
    error[rows, cols] = np.where(second.usable, widened, np.inf)
    rows, cols = rows[:MAX_NOISE], cols[:MAX_NOISE]
    levels = source.noise(rows, cols)
    floor[rows, cols] = noise_floor(levels, estimate.step[rows, cols],
                                    weight_sum=source.noise_floor_weights(rows, cols),
                                    n=source.n)


def _explain_undecided(codes, notes, estimate, tol, scale) -> None:
    for r, c in zip(*np.nonzero((codes == 2) & (notes == ""))):
        if not estimate.usable[r, c]:
            status = int(estimate.status[r, c])
            name = Status(status).name if status in Status._value2member_map_ else status
            notes[r, c] = (f"undecided: the finite-difference estimate is not usable "
                           f"(status {name}, value {estimate.df[r, c]:.3g})")
        else:
            notes[r, c] = (f"undecided: the tolerance {tol[r, c]:.2g} is not small against "
                           f"the size of this entry, its row and f ({scale[r, c]:.2g})")


def _judge_kinks(source, kinks, value, rounding, fd, error, tol, codes, notes, rtol, atol):
    """At a kink: agree between the one-sided derivatives, else undecided; never a failure."""
    rows, cols = np.nonzero(kinks)
    sides = source.one_sided(rows, cols)
    if sides is None:
        codes[rows, cols] = 2
        notes[rows, cols] = "kink: f is not differentiable here"
        return
    forward, backward = sides
    low, high = np.minimum(forward.df, backward.df), np.maximum(forward.df, backward.df)
    nearest = np.clip(value[rows, cols], low, high)
    side_error = np.maximum(forward.error, backward.error)
    side_tol = tolerance(side_error, rounding[rows, cols], value=value[rows, cols],
                         rtol=rtol, atol=atol)
    usable = forward.usable & backward.usable
    inside = usable & (np.abs(value[rows, cols] - nearest) <= side_tol)
    fd[rows, cols], error[rows, cols], tol[rows, cols] = nearest, side_error, side_tol
    codes[rows, cols] = np.where(inside, 0, 2)
    for k, (r, c) in enumerate(zip(rows, cols)):
        where = "between them (a subgradient)" if inside[k] else "outside them"
        notes[r, c] = (f"kink: one-sided derivatives {backward.df[k]:.6g} (backward) and "
                       f"{forward.df[k]:.6g} (forward); autodiff lies {where}; the finite "
                       "difference shown is the nearest point between them")

"""Richardson extrapolation of a sequence of estimates with error estimates.

Estimates ``T_q = T(h_q)`` taken at steps ``h_q = h_0 / ratio^q`` of a method
whose error expands as ``c_0 h^p + c_1 h^(p + d) + c_2 h^(p + 2d) + …`` are
combined column by column,

    R[q, k] = R[q, k-1] + (R[q, k-1] − R[q-1, k-1]) / (ratio^(p + (k-1)·d) − 1),

each column removing one more term. The difference between neighbouring
entries estimates the error of the less accurate one and so bounds the error
of the more accurate one while the expansion holds; the round-off carried into
``R[q, k]`` grows by the sum of the absolute combination coefficients.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .errors import check_argument, check_positive_int

__all__ = ["BestEntry", "RichardsonTable", "richardson"]

_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class RichardsonTable:
    """Extrapolation table ``values[q, k]`` with ``errors[q, k]`` (inf where undefined).

    Attributes
    ----------
    values : ndarray, shape ``(Q, K, *S)``
        ``values[q, 0]`` are the inputs; column ``k`` is extrapolated ``k`` times.
    errors : ndarray, shape ``(Q, K, *S)``
        Estimated bound on ``|values[q, k] − limit|``; ``inf`` where the entry
        is undefined (``k > q``) or has too few neighbours to be checked.
    roundoff : ndarray, shape ``(Q, K, *S)``
        Round-off carried into each entry.
    """

    values: np.ndarray
    errors: np.ndarray
    roundoff: np.ndarray

    def best(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per element, the tightest entry consistent with every finer one.

        Entry ``(q, k)`` stands for the interval ``value ± error``. It is a
        candidate only if its interval meets the interval of every entry at a
        finer step (``q' > q``): at smaller steps f is closer to its Taylor
        expansion, so a coarse entry that disagrees with them is an accident
        (a pole inside the stencil, a periodic f sampled at its period).
        Among the candidates the smallest error wins. Returns
        ``(value, error, q)``; :meth:`best_entry` also gives ``k`` and the
        round-off of the entry.
        """
        entry = self.best_entry()
        return entry.value, entry.error, entry.q

    def best_entry(self) -> BestEntry:
        """The entry chosen by :meth:`best`, with its column and its round-off."""
        consistent = _consistent(self.values, self.errors)
        errors = np.where(consistent & ~np.isnan(self.errors), self.errors, np.inf)
        flat_errors = errors.reshape((-1,) + errors.shape[2:])
        index = _first_argmin(flat_errors)[None]

        def pick(array):
            return np.take_along_axis(array.reshape(flat_errors.shape), index, axis=0)[0]

        columns = self.values.shape[1]
        return BestEntry(pick(self.values), pick(errors), index[0] // columns,
                         index[0] % columns, pick(self.roundoff))


class BestEntry(NamedTuple):
    """One chosen entry per element: value, error, row ``q``, column ``k``, round-off."""

    value: np.ndarray
    error: np.ndarray
    q: np.ndarray
    k: np.ndarray
    roundoff: np.ndarray


def _first_argmin(rows: np.ndarray) -> np.ndarray:
    """``np.argmin(rows, axis=0)``, one row at a time (fast for many elements)."""
    lowest = np.full(rows.shape[1:], np.inf)
    index = np.zeros(rows.shape[1:], dtype=np.intp)
    for i, row in enumerate(rows):
        lower = row < lowest
        lowest = np.where(lower, row, lowest)
        index[lower] = i
    return index


def _consistent(values: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """Whether each entry's interval meets the intervals of all entries at finer steps.

    Per row, the highest lower end and the lowest upper end of its finite
    intervals; a suffix maximum (minimum) over the finer rows gives what an
    entry's interval must reach.
    """
    with np.errstate(invalid="ignore"):
        lower, upper = values - errors, values + errors
        trusted = np.isfinite(lower) & np.isfinite(upper)
        row_lower = np.max(np.where(trusted, lower, -np.inf), axis=1)
        row_upper = np.min(np.where(trusted, upper, np.inf), axis=1)
        # over rows strictly finer than q: shift by one, then accumulate from the end
        finer_lower = np.concatenate([row_lower[1:], np.full_like(row_lower[:1], -np.inf)])
        finer_upper = np.concatenate([row_upper[1:], np.full_like(row_upper[:1], np.inf)])
        highest_lower = np.maximum.accumulate(finer_lower[::-1], axis=0)[::-1]
        lowest_upper = np.minimum.accumulate(finer_upper[::-1], axis=0)[::-1]
        return (upper >= highest_lower[:, None]) & (lower <= lowest_upper[:, None])


def _gap(gap: int | None, step: int | None) -> int:
    """``gap``, or the deprecated ``step`` it replaces (with a warning)."""
    if step is None:
        return 2 if gap is None else gap
    warnings.warn("richardson(step=...) is deprecated: the gap between the exponents of the "
                  "error expansion is now `gap=`", DeprecationWarning, stacklevel=3)
    check_argument(gap is None, "pass `gap` only: `step` is its deprecated name",
                   error=TypeError)
    return step


def _check(ratio: float, order: int, gap: int, columns: int | None, count: int) -> int:
    check_argument(math.isfinite(ratio) and ratio > 1, f"`ratio` must be > 1, got {ratio!r}")
    check_positive_int("order", order)
    check_positive_int("gap", gap)
    check_argument(count >= 1, "`estimates` must hold at least one estimate")
    if columns is None:
        return count
    return min(check_positive_int("columns", columns), count)


def richardson(
    estimates,
    *,
    ratio: float = 2.0,
    order: int = 2,
    gap: int | None = None,
    columns: int | None = None,
    roundoff=None,
    safety: float = 2.0,
    step: int | None = None,
) -> RichardsonTable:
    """Richardson-extrapolate estimates taken at steps shrinking by ``ratio``.

    Parameters
    ----------
    estimates : array_like, shape ``(Q, *S)``
        ``T(h_0 / ratio^q)``, largest step first; non-finite entries are
        skipped (every entry built on them gets an infinite error).
    ratio : float, optional
        Ratio of consecutive steps (default 2).
    order : int, optional
        Leading order ``p`` of the error (2 for a central stencil).
    gap : int, optional
        Gap ``d`` between the exponents of the error expansion: 2 (the
        default) for symmetric stencils, 1 otherwise.
    columns : int, optional
        Number of columns ``K`` (default: as many as estimates).
    roundoff : array_like, shape ``(Q, *S)``, optional
        Round-off of each estimate; propagated through the table.
    safety : float, optional
        Factor on the difference-based truncation estimate.
    step : int, optional
        Deprecated name of ``gap`` (a DeprecationWarning); it is not a step
        size.

    Returns
    -------
    RichardsonTable

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import richardson
    >>> steps = 0.1 / 2.0 ** np.arange(5)
    >>> central = (np.exp(steps) - np.exp(-steps)) / (2 * steps)
    >>> roundoff = np.finfo(float).eps * np.exp(steps) / steps  # ε·Σ|w f| / h
    >>> value, error, _ = richardson(central, order=2, gap=2, roundoff=roundoff).best()
    >>> bool(abs(value - 1.0) <= error < 1e-11)
    True
    """
    table = np.asarray(estimates, dtype=np.result_type(np.asarray(estimates), np.float64))
    gap = _gap(gap, step)
    columns = _check(ratio, order, gap, columns, table.shape[0] if table.ndim else 0)
    noise = np.zeros(table.shape) if roundoff is None else np.abs(np.asarray(roundoff, float))
    count = table.shape[0]
    shape = (count, columns) + table.shape[1:]
    values = np.full(shape, np.nan, dtype=table.dtype)
    rounding = np.full(shape, np.inf)
    values[:, 0], rounding[:, 0] = table, noise
    for k in range(1, columns):
        factor = ratio ** (order + (k - 1) * gap) - 1.0
        fine, coarse = values[k:, k - 1], values[k - 1:-1, k - 1]
        values[k:, k] = fine + (fine - coarse) / factor
        rounding[k:, k] = (rounding[k:, k - 1] * (factor + 1.0)
                           + rounding[k - 1:-1, k - 1]) / factor
    return RichardsonTable(values, _errors(values, rounding, safety), rounding)


def _neighbour_masks(count: int, columns: int) -> tuple[np.ndarray, ...]:
    """Which neighbours each entry ``(q, k)`` has, and which entries are trusted."""
    q, k = np.meshgrid(np.arange(count), np.arange(columns), indexing="ij")
    coarser = q - 1 >= k
    finer = q + 1 < count
    side = k >= 1  # (q, k-1) and (q-1, k-1)
    number = coarser.astype(int) + finer + 2 * side
    trusted = (q >= 1) & (k <= np.minimum(q, columns - 1)) & (number >= 2 + (finer & side))
    return coarser, finer, side, trusted


def _errors(values: np.ndarray, rounding: np.ndarray, safety: float) -> np.ndarray:
    """Error bound of every entry: safety × the largest difference to its neighbours.

    Entry ``(q, k)`` is compared with ``(q, k-1)`` (one extrapolation less),
    ``(q-1, k)`` and ``(q+1, k)`` (same column, the coarser and the finer step)
    and ``(q-1, k-1)``; an entry with fewer than two such neighbours is not
    trusted (infinite error). The finer neighbour catches sequences that only
    look converged at coarse steps (a periodic f sampled at its period).
    """
    count, columns = values.shape[:2]
    coarser, finer, side, trusted = _neighbour_masks(count, columns)
    extra = (1,) * (values.ndim - 2)

    def shifted(dq: int, dk: int, present: np.ndarray) -> np.ndarray:
        # values[q + dq, k + dk] where present, else values[q, k] (a zero difference)
        other = np.array(values, copy=True)
        rows = slice(max(dq, 0), count + min(dq, 0))
        cols = slice(max(dk, 0), columns + min(dk, 0))
        target = (slice(max(-dq, 0), count - max(dq, 0)),
                  slice(max(-dk, 0), columns - max(dk, 0)))
        other[target] = values[rows, cols]
        return np.where(present.reshape(present.shape + extra), other, values)

    with np.errstate(invalid="ignore"):
        spread = np.abs(values - shifted(-1, 0, coarser))
        spread = np.maximum(spread, np.abs(values - shifted(1, 0, finer)))
        spread = np.maximum(spread, np.abs(values - shifted(0, -1, side)))
        spread = np.maximum(spread, np.abs(values - shifted(-1, -1, side)))
        error = safety * spread + 4.0 * rounding + 2 * _EPS * np.abs(values)
        usable = trusted.reshape(trusted.shape + extra) & np.isfinite(error)
        return np.where(usable, error, np.inf)

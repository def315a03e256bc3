"""The Hessian from second derivatives along lines, by polarisation (one per output).

Along ``e_i`` the second derivative is ``H_ii``. Along
``u = σ_i a_i e_i + σ_j a_j e_j`` (``a`` the components' top steps over the
larger of the two, ``σ = ±1`` the side a component may step to within
bounds) it is ``a_i² H_ii + 2 σ_i σ_j a_i a_j H_ij + a_j² H_jj``, which gives
``H_ij``; its error bound collects the three bounds it is made of, and an
entry is trusted only if the three lines it comes from are.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import BudgetError, check_argument
from .estimators.pairs import PairLines, Pairs
from .estimators.route import along_directions
from .estimators.steps import Reach, reach, top_steps
from .jacobians import budget_result, prepare, representable
from .options import check_bounds, check_scale, check_step, check_tolerance, method_for
from .outcome import empty_result, finish, settle
from .result import DerivativeResult, Status
from .stencil import Stencil
from .structured import is_structured, structured_call

__all__ = ["hessian", "hessian_lines"]

_SUCCESS = int(Status.SUCCESS)   # a plain int: arrays compare with it without a conversion


@functools.lru_cache(maxsize=8)
def _pairs_of(d: int):
    """The rows and columns of the entries above the diagonal of a (d, d) matrix."""
    rows, cols = np.triu_indices(d, k=1)
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


@functools.lru_cache(maxsize=8)
def _line_components(d: int):
    """The components the d axes and the pairs move, first and second (an axis
    moves one: its own, twice)."""
    rows, cols = _pairs_of(d)
    axes = np.arange(d)
    first, second = np.concatenate([axes, rows]), np.concatenate([axes, cols])
    first.flags.writeable = second.flags.writeable = False
    return first, second


@functools.lru_cache(maxsize=8)
def _entry_lines(d: int) -> np.ndarray:
    """Per entry of a (d, d) matrix, the line it is read from: ``i`` on the
    diagonal, ``d + k`` for the k-th pair ``(rows[k], cols[k])`` and its mirror."""
    rows, cols = _pairs_of(d)
    lines = np.empty((d, d), dtype=np.intp)
    lines[np.arange(d), np.arange(d)] = np.arange(d)
    lines[rows, cols] = lines[cols, rows] = d + np.arange(rows.size)
    lines.flags.writeable = False
    return lines


#: Hessians of up to this many components keep the lines of their top steps
#: between calls (those steps are powers of two, shared by most points near
#: one another); beyond, the lines are rebuilt every call.
CACHED_COMPONENTS = 64


@dataclass(frozen=True)
class _Lines:
    """The d axes and d(d−1)/2 pairs a Hessian differentiates along, and what
    polarisation takes from them (per pair ``rows[k] < cols[k]``)."""

    directions: Pairs        # in x of its shape
    tops: np.ndarray         # the top step of each line
    kinds: np.ndarray        # each line's stencil: 0 central, 1 forward along σ·u
    rows: np.ndarray
    cols: np.ndarray
    flip: np.ndarray         # σ_i σ_j
    a_i2: np.ndarray         # a_i²
    a_j2: np.ndarray         # a_j²
    denominator: np.ndarray  # 2 a_i a_j
    floor: np.ndarray        # min(top_i, top_j)² per entry (d, d)


def _lines(flat, shape, placed, limits, stencil) -> _Lines:
    """The :class:`_Lines` of x (flat, of ``shape``) with the stencil kinds and
    top steps ``placed`` within ``limits``."""
    if limits is None and flat.size <= CACHED_COMPONENTS and not placed.kind.any():
        return _central_lines(tuple(shape), placed.top.tobytes())
    return _build_lines(flat, shape, placed, limits, stencil)


@functools.lru_cache(maxsize=16)
def _central_lines(shape: tuple, top: bytes) -> _Lines:
    """The lines of central stencils with the top steps ``top`` (float64 bytes),
    built once (read-only: shared by the calls)."""
    top = np.frombuffer(top, dtype=np.float64)
    lines = _build_lines(None, shape, Reach(np.zeros(top.size, dtype=int), top), None, None)
    pairs = lines.directions
    for array in (pairs.first, pairs.second, pairs.a, pairs.b,
                  *(getattr(lines, field.name) for field in dataclasses.fields(lines)[1:])):
        array.flags.writeable = False
    return lines


def _build_lines(flat, shape, placed, limits, stencil) -> _Lines:
    d = placed.top.size
    if placed.kind.any():
        sign = np.where(placed.kind < 0, -1.0, 1.0)
        kind = np.where(placed.kind == 0, 0, 1)   # 1: a forward stencil along σ·e
    else:   # central stencils throughout
        sign, kind = np.ones(d), np.zeros(d, dtype=int)
    rows, cols = _pairs_of(d)
    top = np.maximum(placed.top[rows], placed.top[cols])
    a_i, a_j = placed.top[rows] / top, placed.top[cols] / top
    pair_kind = np.maximum(kind[rows], kind[cols])
    pair_top = top
    if limits is not None and np.any(pair_kind == 1):
        # a forward stencil reaches further than the central one each component fits
        lo, hi = limits
        room = np.where(sign > 0, hi - flat, flat - lo)
        forward = Stencil.forward(2, max(int(stencil.accuracy), 1))
        extent = max(forward.support)
        cap = np.minimum(room[rows] / (a_i * extent), room[cols] / (a_j * extent))
        pair_top = np.where(pair_kind == 1, np.minimum(pair_top, cap), pair_top)
    directions = Pairs(*_line_components(d), np.concatenate([sign, sign[rows] * a_i]),
                       np.concatenate([np.zeros(d), sign[cols] * a_j]), shape)
    return _Lines(directions, np.concatenate([placed.top, pair_top]),
                  np.concatenate([kind, pair_kind]), rows, cols, sign[rows] * sign[cols],
                  a_i**2, a_j**2, 2.0 * a_i * a_j,
                  np.minimum.outer(placed.top, placed.top) ** 2)


def hessian_lines(evaluator, x, stencil, step, scale, limits, tolerance, *, default,
                  directions, budget):
    """The Hessian of a scalar f at x (see :func:`finitediff.hessian`)."""
    flat = x.ravel()
    d = flat.size
    top = (top_steps(flat, None if scale is None else scale.ravel()) if step is None
           else representable(flat, step.ravel()))
    flat_limits = None if limits is None else (limits[0].ravel(), limits[1].ravel())
    placed = reach(stencil, flat, top, flat_limits)
    lines = _lines(flat, x.shape, placed, flat_limits, stencil)
    try:
        if d:   # f(x) comes with the first points sent to f (one call fewer)
            estimate, centre = directions(evaluator, x, lines.directions, lines.tops, stencil,
                                          step_given=step is not None, kinds=lines.kinds,
                                          fast=default and step is None, lines=PairLines)
        else:
            centre = evaluator(x[None])[0]
    except BudgetError:
        return budget(evaluator, x)
    out = np.shape(centre)
    if d == 0 or not np.size(centre):   # no inputs, or no outputs
        return empty_result(out + x.shape * 2, evaluator.points)
    # per line and output: (L, m) -> per output a (d, d) matrix, (m, d, d)
    value, error, status = estimate.value, estimate.error, estimate.status
    size = estimate.size.max(axis=0)
    m = value.shape[1]
    if np.iscomplexobj(centre):  # real and imaginary parts came as outputs of their own
        m //= 2
        value = value[:, :m] + 1j * value[:, m:]
        error = np.hypot(error[:, :m], error[:, m:])
        status = np.minimum(status[:, :m], status[:, m:])
        size = np.maximum(size[:m], size[m:])
    df, err, codes = _polarise(value, error, status, d, lines)
    steps = estimate.scale[:, :m].T[:, _entry_lines(d)]          # (m, d, d), each line's
    size = size[:, None, None] / lines.floor[None]
    codes = settle(df, err, codes, size, tolerance)
    shape = out + x.shape * 2
    notes = []
    if placed.kind.any():
        notes.append("one-sided stencils keep every point inside `bounds` for "
                     f"{int(np.sum(placed.kind != 0))} component(s)")
    return finish(df.reshape(shape), err.reshape(shape), steps.reshape(shape), evaluator.points,
                  codes.reshape(shape), notes=notes)


def _polarise(value, error, status, d, lines: _Lines):
    """Hessians ``(m, d, d)`` from second derivatives along the lines ``(L, m)``."""
    value, error, status = value.T, error.T, status.T       # (m, L)
    diagonal, pair = value[:, :d], value[:, d:]
    diagonal_error, pair_error = error[:, :d], error[:, d:]
    rows, cols, a_i2, a_j2 = lines.rows, lines.cols, lines.a_i2, lines.a_j2
    with np.errstate(all="ignore"):
        mixed = lines.flip * (
            pair - a_i2 * diagonal[:, rows] - a_j2 * diagonal[:, cols]) / lines.denominator
        mixed_error = (pair_error + a_i2 * diagonal_error[:, rows]
                       + a_j2 * diagonal_error[:, cols]) / lines.denominator
    if not (status == _SUCCESS).all():   # a pair's entry: the worst of its three lines
        worst = _worst(status[:, d:], status[:, :d][:, rows], status[:, :d][:, cols])
        status = np.concatenate([status[:, :d], worst], axis=1)
    # per entry, its line's: the diagonal's own, a pair's (and its mirror's) polarised
    entries = _entry_lines(d)
    df = np.concatenate([diagonal, mixed.astype(value.dtype, copy=False)], axis=1)[:, entries]
    err = np.concatenate([diagonal_error, mixed_error], axis=1).astype(float, copy=False)
    return df, err[:, entries], status.astype(np.int64, copy=False)[:, entries]


def _worst(*statuses):
    """The first failing status among several per entry (SUCCESS if none fails)."""
    result = np.full(statuses[0].shape, _SUCCESS)
    for status in reversed(statuses):
        result = np.where(status != _SUCCESS, status, result)
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
    x, evaluator = prepare(f, x, args, vectorized, workers, progress, max_nfev)
    chosen = method_for(method, None, accuracy, order=2)
    check_argument(not chosen.complex_step, "method='complex' applies to derivative only")
    return hessian_lines(evaluator, x, chosen.stencil, check_step(step, x.shape, 2),
                         check_scale(scale, x.shape), check_bounds(bounds, x),
                         check_tolerance(tolerance),
                         default=fast and accuracy is None and method == "central",
                         directions=along_directions, budget=budget_result)

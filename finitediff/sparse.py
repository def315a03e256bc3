"""Sparse Jacobians: structurally independent columns share evaluations.

Columns ``j`` and ``k`` of a Jacobian with sparsity pattern ``P`` can be
perturbed together when no row has non-zeros in both: the directional
derivative along ``h_j e_j + h_k e_k`` then holds ``J_ij h_j`` in the rows of
column j and ``J_ik h_k`` in those of column k (Curtis, Powell and Reid,
"On the estimation of sparse Jacobian matrices", 1974). Columns are grouped
greedily, in order, as scipy's ``approx_derivative`` does; a banded pattern
(every row's columns within a span of w) takes ``j mod (w + 1)`` at once.

The outputs a group of columns does not reach are computed anyway: they must
not change along the group's direction, and where they do the pattern is
wrong and :func:`sparse_jacobian` says so instead of returning a wrong matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from .errors import check_argument

__all__ = ["as_sparse", "group_columns", "check_sparsity", "sparse_jacobian"]


def check_sparsity(sparsity, rows_hint: int | None, columns: int) -> scipy.sparse.csc_matrix:
    """The pattern as a boolean CSC matrix with ``columns`` columns."""
    if scipy.sparse.issparse(sparsity):
        pattern = scipy.sparse.csc_matrix(sparsity, dtype=bool)
    else:
        array = np.asarray(sparsity)
        check_argument(array.ndim == 2, f"`sparsity` must be a 2-d array or scipy.sparse matrix, "
                       f"got shape {array.shape}")
        pattern = scipy.sparse.csc_matrix(array != 0)
    check_argument(pattern.shape[1] == columns,
                   f"`sparsity` must have one column per element of x ({columns}), "
                   f"got shape {pattern.shape}")
    if rows_hint is not None:
        check_argument(pattern.shape[0] == rows_hint,
                       f"`sparsity` must have one row per output ({rows_hint}), "
                       f"got shape {pattern.shape}")
    return pattern


def group_columns(sparsity) -> np.ndarray:
    """Columns with no row in common share a group: ``groups[j]`` for every column j.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import group_columns
    >>> tridiagonal = np.eye(6) + np.eye(6, k=1) + np.eye(6, k=-1)
    >>> group_columns(tridiagonal).tolist()
    [0, 1, 2, 0, 1, 2]
    """
    pattern = scipy.sparse.csr_matrix(sparsity, dtype=bool)
    pattern.sort_indices()
    rows, columns = pattern.shape
    counts = np.diff(pattern.indptr)
    if columns == 0:
        return np.zeros(0, dtype=np.int64)
    filled = counts > 0
    if filled.any():
        starts = pattern.indptr[:-1][filled]
        first = pattern.indices[starts]
        last = pattern.indices[starts + counts[filled] - 1]
        span = int(np.max(last - first))
        if span + 1 <= 2 * int(counts.max()):
            return np.arange(columns, dtype=np.int64) % (span + 1)
    return _greedy(pattern.tocsc(), columns)


def _greedy(pattern, columns):
    """Greedy colouring of the column intersection graph, columns in order."""
    graph = (pattern.T @ pattern).tocsr()
    groups = np.full(columns, -1, dtype=np.int64)
    for column in range(columns):
        neighbours = graph.indices[graph.indptr[column]:graph.indptr[column + 1]]
        taken = set(groups[neighbours].tolist())
        group = 0
        while group in taken:
            group += 1
        groups[column] = group
    return groups


def scatter(pattern, groups: np.ndarray, per_group: np.ndarray,
            column_scale: np.ndarray) -> scipy.sparse.csr_matrix:
    """``J_ij = per_group[groups[j], i] / column_scale[j]`` on the pattern, as CSR."""
    coo = pattern.tocoo()
    data = per_group[groups[coo.col], coo.row] / column_scale[coo.col]
    return scipy.sparse.csr_matrix((data, (coo.row, coo.col)), shape=pattern.shape)


#: An output a group does not reach must not move by more than this many of
#: its error bounds along the group's direction.
PATTERN_CHECK = 10.0


def as_sparse(result, pattern):
    """A dense Jacobian result on a sparsity pattern, as CSR matrices (the check
    of the pattern: the dense result must vanish off it, within its error)."""
    coo = pattern.tocoo()
    df, error = np.asarray(result.df), np.asarray(result.error)
    off = np.ones(df.shape, dtype=bool)
    off[coo.row, coo.col] = False
    with np.errstate(invalid="ignore"):
        moving = off & (np.abs(df) > PATTERN_CHECK * error)
    if moving.any():
        row, col = (int(i) for i in np.argwhere(moving)[0])
        raise ValueError(f"`sparsity` is wrong: entry ({row}, {col}) is {df[row, col]:.6g} "
                         f"± {error[row, col]:.2g}, where the pattern has none")

    def on_pattern(array):
        array = np.asarray(array)
        return scipy.sparse.csr_matrix((array[coo.row, coo.col], (coo.row, coo.col)),
                                       shape=pattern.shape)

    status = np.asarray(result.status)[coo.row, coo.col]
    worst = int(status[status != 0][0]) if np.any(status != 0) else 0
    return type(result)(df=on_pattern(df), error=on_pattern(error), step=on_pattern(result.step),
                        nfev=result.nfev, success=bool(worst == 0), status=worst,
                        message=result.message)


def _probe(lines, pattern, groups, value, error, scale_of, top, estimate_lines, stencil,
           evaluator, bottom_scales):
    """One more line, along all columns with alternating signs, against what the
    pattern predicts for it: a pattern that misses entries shows here even
    where every output is reached by every group (the identity for a dense f)."""
    coo = pattern.tocoo()
    signs = np.where(np.arange(pattern.shape[1]) % 3 == 1, -1.0, 1.0)
    length = float(np.max(top))
    weights = signs * top / length
    direction = weights / np.max(np.abs(weights))
    rows = pattern.shape[0]
    slope = value[groups[coo.col], coo.row] / scale_of[coo.col]
    slope_error = error[groups[coo.col], coo.row] / np.abs(scale_of[coo.col])
    predicted = np.zeros(rows, dtype=value.dtype)
    predicted_error = np.zeros(rows)
    np.add.at(predicted, coo.row, slope * direction[coo.col])
    np.add.at(predicted_error, coo.row, slope_error * np.abs(direction[coo.col]))
    probe = lines._like(direction[None], np.array([length]))
    measured = estimate_lines(probe, stencil, epsilon=evaluator.epsilon, step_given=False,
                              fast=False, bottom=bottom_scales(
                                  np.array([np.max(np.abs(lines.x))]), np.array([length]),
                                  stencil.n))
    along, along_error = measured.value[0], measured.error[0]
    if np.iscomplexobj(value):
        along = along[:rows] + 1j * along[rows:]
        along_error = np.hypot(along_error[:rows], along_error[rows:])
    gap = np.abs(along - predicted)
    with np.errstate(invalid="ignore"):
        wrong = gap > PATTERN_CHECK * (along_error + predicted_error) + 1e-300
    if np.any(wrong & np.isfinite(gap)):
        row = int(np.flatnonzero(wrong)[0])
        raise ValueError(f"`sparsity` is wrong: along all columns at once output {row} changes "
                         f"by {along[row]:.6g} per unit step, where the pattern's "
                         f"entries give {predicted[row]:.6g} (± {predicted_error[row]:.2g}); "
                         "f depends on inputs the pattern leaves out")


def _placed(stencil, x, top, limits):
    """The stencil for every group, each column's top step and the side it steps to.

    Without bounds the given stencil and +1; with bounds that force a column
    to one side, every group takes the forward stencil along directions whose
    components point into each column's room (its sign).
    """
    from .estimators.steps import power_below, reach
    from .stencil import Stencil

    if limits is None:
        return stencil, top, np.ones(x.size)
    placed = reach(stencil, x, top, limits)
    if np.all(placed.kind == 0):
        return stencil, placed.top, np.ones(x.size)
    sign = np.where(placed.kind < 0, -1.0, 1.0)
    forward = Stencil.forward(stencil.n, max(int(stencil.accuracy), 1))
    lo, hi = limits
    room = np.where(sign > 0, hi - x, x - lo)
    top = np.minimum(top, power_below(room / max(forward.support)))
    check_argument(bool(np.all(top > 0)), "`bounds` leave no room to step from x")
    return forward, top, sign


def sparse_jacobian(evaluator, x, sparsity, stencil, step, scale, tolerance, estimate_lines,
                    limits=None):
    """Jacobian on a sparsity pattern: one line per group of independent columns."""
    from .estimators.lines import DirectionLines, bottom_scales
    from .estimators.steps import top_steps
    from .outcome import finish, settle
    from .result import Status

    check_argument(x.ndim == 1, f"`x` must be 1-d with `sparsity`, got shape {x.shape}")
    pattern = check_sparsity(sparsity, None, x.size)
    groups = group_columns(pattern)
    count = int(groups.max()) + 1 if x.size else 0
    top = top_steps(x, scale) if step is None else (x + step) - x
    check_argument(bool(np.all(top > 0)), "`step` is too small to change x in floating point")
    stencil, top, sign = _placed(stencil, x, top, limits)
    group_top = np.zeros(count)
    np.maximum.at(group_top, groups, top)
    directions = np.zeros((count, x.size))
    directions[groups, np.arange(x.size)] = sign * top / group_top[groups]
    lines = DirectionLines(evaluator, x, directions, group_top)
    centre = lines._centre.get()
    check_argument(np.shape(centre) == (pattern.shape[0],),
                   f"`f` must return a vector of {pattern.shape[0]} values (the rows of "
                   f"`sparsity`), got shape {np.shape(centre)}")
    moved = np.zeros(count)
    np.maximum.at(moved, groups, np.abs(x))
    estimate = estimate_lines(lines, stencil, bottom=bottom_scales(moved, group_top, stencil.n),
                              epsilon=evaluator.epsilon, step_given=step is not None, fast=False)
    value, error = estimate.value, estimate.error               # (groups, rows)
    status = estimate.status
    if np.iscomplexobj(centre):  # real and imaginary parts come as two outputs each
        half = value.shape[1] // 2
        value = value[:, :half] + 1j * value[:, half:]
        error = np.hypot(error[:, :half], error[:, half:])
        status = np.minimum(status[:, :half], status[:, half:])
    reached = np.zeros((count, pattern.shape[0]), dtype=bool)
    coo = pattern.tocoo()
    reached[groups[coo.col], coo.row] = True
    with np.errstate(invalid="ignore"):
        moving = ~reached & (np.abs(value) > PATTERN_CHECK * error) & np.isfinite(value)
    if moving.any():
        group, row = (int(i) for i in np.argwhere(moving)[0])
        columns = np.flatnonzero(groups == group)[:6].tolist()
        raise ValueError(f"`sparsity` is wrong: output {row} changes (by {value[group, row]:.3g} "
                         f"± {error[group, row]:.2g} per unit step) along columns {columns} of "
                         f"one group, where the pattern has no entry; "
                         f"{int(moving.sum())} such output(s) in all")
    scale_of = sign * top / group_top[groups]
    _probe(lines, pattern, groups, value, error, scale_of, top, estimate_lines, stencil,
           evaluator, bottom_scales)
    df = scatter(pattern, groups, value, scale_of)
    err = scatter(pattern, groups, error, np.abs(scale_of))
    used = scatter(pattern, groups, estimate.scale[:, :value.shape[1]], np.abs(1.0 / scale_of))
    status = status[groups[coo.col], coo.row]
    size = (np.max(estimate.size, axis=1) / group_top)[groups[coo.col]]
    status = settle(np.abs(value[groups[coo.col], coo.row] / scale_of[coo.col]),
                    error[groups[coo.col], coo.row] / np.abs(scale_of[coo.col]), status, size,
                    tolerance)
    worst = int(status[status != Status.SUCCESS][0]) if np.any(status != Status.SUCCESS) else 0
    result = finish(np.zeros(()), np.zeros(()), np.zeros(()), evaluator.points, status)
    message = (f"sparse Jacobian from {count} column group(s) of {x.size} columns; "
               + result.message)
    return type(result)(df=df, error=err, step=used, nfev=evaluator.points,
                        success=bool(worst == 0), status=worst, message=message)

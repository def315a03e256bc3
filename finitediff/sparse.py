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

__all__ = ["group_columns", "check_sparsity", "sparse_jacobian"]


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


def sparse_jacobian(evaluator, x, sparsity, stencil, step, scale, tolerance, estimate_lines):
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
    group_top = np.zeros(count)
    np.maximum.at(group_top, groups, top)
    directions = np.zeros((count, x.size))
    directions[groups, np.arange(x.size)] = top / group_top[groups]
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
    scale_of = top / group_top[groups]
    df = scatter(pattern, groups, value, scale_of)
    err = scatter(pattern, groups, error, scale_of)
    used = scatter(pattern, groups, estimate.scale, 1.0 / scale_of)
    status = estimate.status[groups[coo.col], coo.row]
    size = (np.max(estimate.size, axis=1) / group_top)[groups[coo.col]]
    status = settle(np.asarray(df[coo.row, coo.col]).ravel(),
                    np.asarray(err[coo.row, coo.col]).ravel(), status, size, tolerance)
    worst = int(status[status != Status.SUCCESS][0]) if np.any(status != Status.SUCCESS) else 0
    result = finish(np.zeros(()), np.zeros(()), np.zeros(()), evaluator.points, status)
    message = (f"sparse Jacobian from {count} column group(s) of {x.size} columns; "
               + result.message)
    return type(result)(df=df, error=err, step=used, nfev=evaluator.points,
                        success=bool(worst == 0), status=worst, message=message)

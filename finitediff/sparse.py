"""Sparse Jacobians: structurally independent columns share evaluations.

Columns ``j`` and ``k`` of a Jacobian with sparsity pattern ``P`` can be
perturbed together when no row has non-zeros in both: the directional
derivative along ``h_j e_j + h_k e_k`` then holds ``J_ij h_j`` in the rows of
column j and ``J_ik h_k`` in those of column k (Curtis, Powell and Reid,
"On the estimation of sparse Jacobian matrices", 1974). Columns are grouped
greedily, in order, as scipy's ``approx_derivative`` does.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from .errors import check_argument

__all__ = ["group_columns", "check_sparsity"]


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
    """Greedy Curtis–Powell–Reid grouping: ``groups[j]`` for every column j.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import group_columns
    >>> tridiagonal = np.eye(6) + np.eye(6, k=1) + np.eye(6, k=-1)
    >>> group_columns(tridiagonal).tolist()
    [0, 1, 2, 0, 1, 2]
    """
    pattern = scipy.sparse.csc_matrix(sparsity, dtype=bool)
    rows, columns = pattern.shape
    groups = np.full(columns, -1, dtype=np.int64)
    used: list[np.ndarray] = []  # rows touched by each group
    for column in range(columns):
        touched = pattern.indices[pattern.indptr[column]:pattern.indptr[column + 1]]
        for group, mask in enumerate(used):
            if not mask[touched].any():
                groups[column] = group
                mask[touched] = True
                break
        else:
            mask = np.zeros(rows, dtype=bool)
            mask[touched] = True
            used.append(mask)
            groups[column] = len(used) - 1
    return groups


def scatter(pattern: scipy.sparse.csc_matrix, groups: np.ndarray, per_group: np.ndarray,
            column_scale: np.ndarray) -> scipy.sparse.csr_matrix:
    """``J_ij = per_group[groups[j], i] / column_scale[j]`` on the pattern, as CSR."""
    coo = pattern.tocoo()
    data = per_group[groups[coo.col], coo.row] / column_scale[coo.col]
    return scipy.sparse.csr_matrix((data, (coo.row, coo.col)), shape=pattern.shape)

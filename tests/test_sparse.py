"""Sparse Jacobians: Curtis–Powell–Reid grouping and scipy.sparse results."""

import numpy as np
import pytest
import scipy.sparse

from finitediff import group_columns, jacobian


def tridiagonal_f(x):
    y = x**3
    y[..., 1:] += np.sin(x[..., :-1])
    y[..., :-1] += x[..., 1:] ** 2
    return y


def tridiagonal_exact(x):
    return np.diag(3 * x**2) + np.diag(np.cos(x[:-1]), -1) + np.diag(2 * x[1:], 1)


def pattern(size):
    return scipy.sparse.diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(size, size))


def test_groups_never_share_a_row():
    rng = np.random.default_rng(3)
    dense = rng.random((30, 20)) < 0.15
    groups = group_columns(dense)
    for g in np.unique(groups):
        assert dense[:, groups == g].sum(axis=1).max() <= 1


def test_tridiagonal_needs_three_groups():
    assert group_columns(pattern(50)).max() == 2


def test_sparse_jacobian_matches_dense_and_is_sparse():
    x = np.linspace(0.1, 2.0, 40)
    res = jacobian(tridiagonal_f, x, sparsity=pattern(40))
    assert scipy.sparse.issparse(res.df)
    exact = tridiagonal_exact(x)
    assert np.all(np.abs(res.df.toarray() - exact) <= res.error.toarray())
    dense = jacobian(tridiagonal_f, x)
    np.testing.assert_allclose(res.df.toarray(), dense.df, atol=1e-10)


def test_tridiagonal_of_size_1000_costs_about_three_columns():
    x = np.linspace(0.1, 2.0, 1000)
    sparse = jacobian(tridiagonal_f, x, sparsity=pattern(1000))
    three = jacobian(lambda p: tridiagonal_f(np.concatenate(
        [p, np.broadcast_to(x[3:], p.shape[:-1] + (997,))], -1))[..., :3], x[:3])
    # three lines either way (their ladders may end a round apart), and one more
    # along all columns at once that checks the pattern
    assert sparse.nfev <= 1.6 * three.nfev
    assert np.abs(sparse.df.toarray() - tridiagonal_exact(x)).max() < 1e-9


def test_boolean_array_pattern_is_accepted():
    x = np.array([0.5, 1.0, 1.5])
    res = jacobian(tridiagonal_f, x, sparsity=tridiagonal_exact(x) != 0)
    np.testing.assert_allclose(res.df.toarray(), tridiagonal_exact(x), atol=1e-10)


def test_pattern_shape_is_validated():
    with pytest.raises(ValueError, match="`sparsity` must have one column per element of x"):
        jacobian(tridiagonal_f, np.ones(3), sparsity=np.eye(4))

"""Sparse Jacobian cost: a tridiagonal Jacobian of size 1000, grouped columns.

"finitediff 3 columns" is the dense Jacobian of the first three columns only:
the sparse estimate of all 1000 columns costs the same evaluations.

Usage (from the repository root): python -m benchmarks.sparse
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse
from scipy.optimize._numdiff import approx_derivative

import finitediff

SIZE = 1000


def f(x):
    y = x**3
    y[..., 1:] += np.sin(x[..., :-1])
    y[..., :-1] += x[..., 1:] ** 2
    return y


def exact(x):
    return (scipy.sparse.diags(3 * x**2) + scipy.sparse.diags(np.cos(x[:-1]), -1)
            + scipy.sparse.diags(2 * x[1:], 1)).toarray()


class Counted:
    def __init__(self, f):
        self.f, self.points = f, 0

    def __call__(self, x):
        self.points += 1 if np.ndim(x) == 1 else np.shape(x)[0]
        return self.f(x)


def main():
    x = np.linspace(0.1, 2.0, SIZE)
    pattern = scipy.sparse.diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(SIZE, SIZE))
    reference = exact(x)
    rows = []
    for label, run in [
        ("finitediff sparse", lambda: finitediff.jacobian(f, x, sparsity=pattern)),
        ("finitediff 3 columns", lambda: finitediff.jacobian(
            lambda p: f(np.concatenate([p, np.broadcast_to(x[3:], p.shape[:-1] + (SIZE - 3,))],
                                       -1)), x[:3])),
    ]:
        start = time.perf_counter()
        res = run()
        seconds = time.perf_counter() - start
        df = res.df.toarray() if scipy.sparse.issparse(res.df) else res.df
        error = (np.abs(df - reference[:, :df.shape[1]]).max()
                 if df.shape[1] == SIZE or label.endswith("columns") else np.nan)
        rows.append((label, res.nfev, error, seconds))
    counted = Counted(f)
    start = time.perf_counter()
    approx = approx_derivative(counted, x, method="3-point", sparsity=pattern)
    rows.append(("scipy approx_derivative sparse", counted.points,
                 np.abs(approx.toarray() - reference).max(), time.perf_counter() - start))
    print(f"tridiagonal Jacobian, size {SIZE}")
    print(f"{'method':<32} {'f evaluations':>13} {'max abs error':>13} {'seconds':>8}")
    for label, nfev, error, seconds in rows:
        print(f"{label:<32} {nfev:>13} {error:>13.1e} {seconds:>8.2f}")


if __name__ == "__main__":
    main()

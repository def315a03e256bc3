"""Cost of large dense Jacobians and Hessians: time, peak memory, evaluations, error.

Usage (from the repository root): python -m benchmarks.dense [--size 1000] [--hessian-size 150]

Each case runs in a fresh interpreter so that its peak resident memory is its
own. The Jacobian is that of ``cumsum(sin(x))`` (lower triangular, 1000×1000
by default); the Hessian is that of ``log(1 + Σ (x_i − c_i)²)`` (dense).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import numpy as np

import finitediff


def jacobian_case(size: int):
    x = np.random.default_rng(0).uniform(-1, 1, size)
    res = finitediff.jacobian(lambda x: np.cumsum(np.sin(x), axis=-1), x)
    return res, np.tril(np.ones((size, size))) * np.cos(x)


def hessian_case(size: int):
    rng = np.random.default_rng(1)
    x, centre = rng.uniform(-1, 1, size), rng.uniform(-1, 1, size)
    res = finitediff.hessian(lambda x: np.log1p(np.sum((x - centre) ** 2, axis=-1)), x)
    u = x - centre
    s = 1 + np.sum(u**2)
    return res, 2 * np.eye(size) / s - 4 * np.outer(u, u) / s**2


def run(case: str, size: int) -> None:
    start = time.perf_counter()
    res, exact = (jacobian_case if case == "jacobian" else hessian_case)(size)
    elapsed = time.perf_counter() - start
    error = np.abs(res.df - exact)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(f"{case:<8} {size:>5}x{size:<5} {elapsed:>7.1f} {peak:>8.0f} {res.nfev:>9} "
          f"{error.max():>9.1e} {np.mean(error <= res.error):>8.2%}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--hessian-size", type=int, default=150)
    parser.add_argument("--case", choices=["jacobian", "hessian"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        run(args.case, args.size)
        return
    print(f"{'case':<8} {'size':>11} {'time s':>7} {'peak MiB':>8} {'nfev':>9} "
          f"{'max error':>9} {'bounded':>8}")
    for case, size in (("jacobian", args.size), ("hessian", args.hessian_size)):
        subprocess.run([sys.executable, "-m", "benchmarks.dense", "--case", case,
                        "--size", str(size)], check=True)


if __name__ == "__main__":
    main()

"""Finite-difference weights: finitediff against findiff and numdifftools.

For every stencil, the exact rational weights (finitediff, exact=True, checked
against published tables in tests/test_stencil.py) are the reference. Printed
per tool: the largest error relative to max|w|, how many of the weights that
are exactly zero the tool returns as exact zeros, and the time per table.

    python -m benchmarks.weights        (from the repository root, with the bench extra)
"""

from __future__ import annotations

import timeit

import findiff
import numpy as np
from numdifftools.fornberg import fd_weights

from finitediff import Stencil, fornberg_weights


def cases():
    for n in range(1, 5):
        for accuracy in (2, 4, 6, 8):
            yield f"central n={n} acc={accuracy}", Stencil.central(n, accuracy)
    for n in range(1, 5):
        for accuracy in (1, 2, 4, 6):
            yield f"forward n={n} acc={accuracy}", Stencil.forward(n, accuracy)
    yield "staggered n=1, ±1/2 ±3/2 ±5/2", Stencil([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5], 1)
    yield "irregular n=2, 0 .1 .3 .7 1.5", Stencil([0.0, 0.1, 0.3, 0.7, 1.5], 2)
    chebyshev = tuple(float(np.cos(np.pi * (2 * k + 1) / 18)) for k in range(9))
    yield "Chebyshev 9 nodes n=3", Stencil(chebyshev, 3)


def tools(stencil):
    offsets = [float(o) for o in stencil.offsets]
    n = stencil.n
    return {
        "finitediff": lambda: fornberg_weights(offsets, n)[n],
        "findiff": lambda: np.asarray(
            findiff.coefficients(deriv=n, offsets=offsets)["coefficients"]),
        "numdifftools": lambda: fd_weights(np.asarray(offsets), 0.0, n),
    }


def time_per_call(fn, budget: float = 0.01) -> float:
    """Best of three runs of about ``budget`` seconds each."""
    timer = timeit.Timer(fn)
    once = max(timer.timeit(3) / 3, 1e-7)
    number = max(1, int(budget / once))
    return min(timer.repeat(3, number)) / number


def main() -> None:
    names = ["finitediff", "findiff", "numdifftools"]
    totals = {name: {"time": [], "zeros": 0, "worst": 0.0} for name in names}
    zero_total = 0
    header = f"{'stencil':32} " + " ".join(f"{name + ' err':>17} {'µs':>7}" for name in names)
    print(header)
    print("-" * len(header))
    for label, stencil in cases():
        exact = np.array([float(w) for w in stencil.exact_weights])
        zero = np.array([w == 0 for w in stencil.exact_weights])
        zero_total += int(zero.sum())
        scale = np.max(np.abs(exact))
        cells = []
        for name, fn in tools(stencil).items():
            weights = fn()
            error = float(np.max(np.abs(weights - exact)) / scale)
            seconds = time_per_call(fn)
            record = totals[name]
            record["worst"] = max(record["worst"], error)
            record["zeros"] += int(np.sum(weights[zero] == 0.0))
            record["time"].append(seconds)
            cells.append(f"{error:>17.1e} {seconds * 1e6:>7.1f}")
        print(f"{label:32} " + " ".join(cells))
    print()
    base = np.median(totals["finitediff"]["time"])
    print(f"{'tool':14} {'worst rel. error':>17} {'exact zeros kept':>17} "
          f"{'median µs/table':>16} {'time / finitediff':>18}")
    for name in names:
        record = totals[name]
        median = np.median(record["time"])
        print(f"{name:14} {record['worst']:>17.1e} {record['zeros']:>8}/{zero_total:<8} "
              f"{median * 1e6:>16.1f} {median / base:>18.2f}")
    exact_time = np.median([time_per_call(lambda s=s: fornberg_weights(s.offsets, s.n, exact=True))
                            for _, s in cases()])
    print(f"finitediff exact=True (rational arithmetic): median {exact_time * 1e6:.1f} µs/table, "
          "error 0 by construction")


if __name__ == "__main__":
    main()

"""Command line: ``finitediff`` runs the built-in example.

A thin layer over the library: parse arguments, call, print a table.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from .calculus import derivative

EXAMPLE_NAME = "log(x + 2)"


def _example_function(x):
    return np.log(x + 2.0)


def _example_exact(n: int, x: float) -> float:
    # d^n/dx^n log(x + 2) = (-1)^(n-1) (n-1)! / (x + 2)^n for n >= 1
    if n == 0:
        return math.log(x + 2.0)
    return (-1) ** (n - 1) * math.factorial(n - 1) / (x + 2.0) ** n


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finitediff",
        description=f"Derivatives of {EXAMPLE_NAME} by finite differences, "
        "with error estimates, next to the exact values.",
    )
    parser.add_argument("--x", type=float, default=1.0, help="where to differentiate (default 1)")
    parser.add_argument("--max-order", type=int, default=4, help="highest order (default 4)")
    parser.add_argument("--accuracy", type=int, default=2, help="stencil accuracy (default 2)")
    return parser


def example_table(x: float, max_order: int, accuracy: int) -> str:
    header = (f"{'n':>2}  {'estimate':>22}  {'exact':>22}  {'true error':>10}  "
              f"{'error est.':>10}  {'step':>9}  {'nfev':>4}")
    lines = [f"Derivatives of {EXAMPLE_NAME} at x = {x:g}", header, "-" * len(header)]
    for n in range(max_order + 1):
        res = derivative(_example_function, x, n=n, accuracy=accuracy)
        exact = _example_exact(n, x)
        estimate = float(res.df)
        lines.append(
            f"{n:>2}  {estimate:>22.15g}  {exact:>22.15g}  {abs(estimate - exact):>10.2e}  "
            f"{float(res.error):>10.2e}  {float(res.step):>9.2e}  {res.nfev:>4}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        print(example_table(args.x, args.max_order, args.accuracy))
    except (ValueError, TypeError) as exc:
        print(f"finitediff: error: {exc}", file=sys.stderr)
        return 2
    return 0

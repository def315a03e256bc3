"""Accuracy benchmark: finitediff vs numdifftools vs scipy.differentiate.

Usage (from the repository root): python -m benchmarks.accuracy [--show-failures]

Prints one table per battery (all orders, and first derivatives only, where
scipy.differentiate takes part). References come from mpmath.diff at 60
digits. "bounded" is the share of cases with |estimate − reference| <= the
tool's own error estimate.
"""

from __future__ import annotations

import argparse
import time
import warnings

import mpmath as mp
import numdifftools as nd
import numpy as np
from scipy.differentiate import derivative as scipy_derivative

import finitediff
from benchmarks.battery import heldout_battery, main_battery

ORDERS = (1, 2, 3, 4)


class Counted:
    """Wrap f and count the points it is evaluated at."""

    def __init__(self, f):
        self.f, self.points = f, 0

    def __call__(self, x, *args):
        self.points += np.size(x)
        return self.f(x, *args)


def reference(f_mp, x: float, n: int) -> float:
    with mp.workdps(60):
        return float(mp.diff(f_mp, mp.mpf(x), n))


def run_finitediff(f, x, n):
    res = finitediff.derivative(f, x, n=n)
    return float(res.df), float(res.error), res.nfev


def run_numdifftools(f, x, n):
    counted = Counted(f)
    out = nd.Derivative(counted, n=n, full_output=True)(x)
    return float(out.estimate), float(out.error_estimate), counted.points


def run_scipy(f, x, n):
    if n != 1:
        return None
    res = scipy_derivative(f, x)
    return float(res.df), float(res.error), int(res.nfev)


TOOLS = {"finitediff": run_finitediff, "numdifftools": run_numdifftools, "scipy": run_scipy}


def measure(battery, orders):
    rows = {name: [] for name in TOOLS}
    for name, f, f_mp, points in battery:
        for x in points:
            for n in orders:
                ref = reference(f_mp, x, n)
                for tool, run in TOOLS.items():
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        out = run(f, x, n)
                    if out is not None:
                        rows[tool].append((name, x, n, ref) + out)
    return rows


def summary(cases):
    ref = np.array([c[3] for c in cases])
    est = np.array([c[4] for c in cases])
    err = np.array([c[5] for c in cases])
    nfev = np.array([c[6] for c in cases])
    bad = ~np.isfinite(est)
    with np.errstate(all="ignore"):
        absolute = np.abs(est - ref)
        relative = np.where(ref != 0, absolute / np.abs(ref), absolute)
    relative = np.where(bad, np.inf, relative)
    bounded = absolute <= err
    return (len(cases), np.median(relative), np.percentile(relative, 90, method="higher"),
            np.mean(relative <= 1e-8), np.median(nfev), np.mean(bounded), int(bad.sum()))


def table(title, rows, keep):
    print(f"\n{title}")
    print(f"{'tool':<13} {'cases':>5} {'median rel':>10} {'p90 rel':>9} {'<=1e-8':>7} "
          f"{'med nfev':>8} {'bounded':>7} {'NaN/inf':>7}")
    for tool, cases in rows.items():
        cases = [c for c in cases if keep(c)]
        if not cases:
            continue
        count, median, p90, within, nfev, bounded, bad = summary(cases)
        print(f"{tool:<13} {count:>5} {median:>10.1e} {p90:>9.1e} {within:>7.1%} "
              f"{nfev:>8.0f} {bounded:>7.1%} {bad:>7}")


def failures(rows, limit=12):
    cases = rows["finitediff"]
    worst = []
    for name, x, n, ref, est, err, _ in cases:
        rel = abs(est - ref) / abs(ref) if ref else abs(est - ref)
        if not (rel <= 1e-8) or not (abs(est - ref) <= err):
            worst.append((rel, name, x, n, est, ref, err))
    worst.sort(key=lambda w: -w[0] if np.isfinite(w[0]) else -np.inf)
    for rel, name, x, n, est, ref, err in worst[:limit]:
        print(f"  {name:<32} x={x:<8.3g} n={n} rel={rel:.1e} "
              f"err/true={err / max(abs(est - ref), 1e-300):.2g}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    for title, battery in (("main battery", main_battery()),
                           ("held-out battery (random compositions)", heldout_battery())):
        rows = measure(battery, ORDERS)
        table(f"{title}: orders 1-4", rows, lambda c: True)
        table(f"{title}: first derivatives", rows, lambda c: c[2] == 1)
        if args.show_failures:
            failures(rows)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

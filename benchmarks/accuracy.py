"""Accuracy benchmark: finitediff vs numdifftools vs scipy.differentiate.

Usage (from the repository root):
python -m benchmarks.accuracy [--show-failures] [--seed N | --seeds 0 1 2]

Prints one table per battery (all orders, and first derivatives only, where
scipy.differentiate takes part). References come from mpmath.diff at 60
digits. "est/true" is the median ratio of the reported error to the true one
(how loose the estimate is). "bounded" is the share of cases with
|estimate − reference| <= the
tool's own error estimate.

"resolvable" cases are those where relative error 1e-8 can be reached at all
from the float64 values of f: some central stencil of accuracy 2, 4, 6 or 8,
at some step on a fine grid (ratio 2^(1/4)), applied to the float64 values of
f with exact weights and an extended-precision sum, lands within 1e-8 of the
reference. The oracle picks the step knowing the answer, so it is lenient: a
case it calls resolvable may still be out of reach of any practical rule.
The "<=1e-8 res" column is the share among those cases; "<=1e-8" counts all.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import NamedTuple

import mpmath as mp
import numpy as np
from scipy.differentiate import derivative as scipy_derivative

import finitediff
from benchmarks.battery import fresh_battery, heldout_battery, main_battery
from finitediff import Stencil

ORDERS = (1, 2, 3, 4)


class Estimate(NamedTuple):
    """What a tool returns for one derivative."""

    df: float
    error: float
    nfev: int


class Case(NamedTuple):
    """One derivative by one tool, next to its reference."""

    name: str
    x: float
    n: int
    reference: float
    estimate: float
    error: float
    nfev: int
    resolvable: bool


class Summary(NamedTuple):
    """One row of a table: one tool on the cases of a battery."""

    cases: int
    median_relative: float
    p90_relative: float
    within: float  # share with relative error <= 1e-8
    within_resolvable: float  # the same among the resolvable cases
    median_nfev: float
    p90_nfev: float
    bounded: float  # share with |estimate - reference| <= error
    non_finite: int
    resolvable: int
    looseness: float  # median reported / true error


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


ORACLE_ACCURACIES = (2, 4, 6, 8)
ORACLE_STEPS = 2.0 ** (-np.arange(0, 200) / 4)  # 1 down to 2^-49.75, times max(|x|, 1)


def best_float64(f, x: float, n: int, ref: float) -> float:
    """Smallest relative error of any oracle stencil and step on float64 values of f."""
    best = np.inf
    steps = (x + ORACLE_STEPS * max(abs(x), 1.0)) - x
    for accuracy in ORACLE_ACCURACIES:
        stencil = Stencil.central(n, accuracy)
        offsets = np.array(stencil.offsets, dtype=float)
        weights = np.array([np.longdouble(w.numerator) / np.longdouble(w.denominator)
                            for w in stencil.exact_weights])
        with np.errstate(all="ignore"):
            values = np.asarray(f(x + np.multiply.outer(steps, offsets)), dtype=np.longdouble)
            estimates = (values @ weights) / np.asarray(steps, np.longdouble) ** n
            relative = np.abs(estimates - ref) / abs(ref) if ref else np.abs(estimates)
        relative = relative[np.isfinite(relative)]
        if relative.size:
            best = min(best, float(relative.min()))
    return best


def run_finitediff(f, x, n):
    res = finitediff.derivative(f, x, n=n)
    return Estimate(float(res.df), float(res.error), res.nfev)


def run_numdifftools(f, x, n):
    import numdifftools as nd  # a peer (bench extra), needed only to run it

    counted = Counted(f)
    out = nd.Derivative(counted, n=n, full_output=True)(x)
    return Estimate(float(out.estimate), float(out.error_estimate), counted.points)


def run_scipy(f, x, n):
    if n != 1:
        return None
    res = scipy_derivative(f, x)
    return Estimate(float(res.df), float(res.error), int(res.nfev))


TOOLS = {"finitediff": run_finitediff, "numdifftools": run_numdifftools, "scipy": run_scipy}


def measure(battery, orders):
    rows = {name: [] for name in TOOLS}
    for name, f, f_mp, points in battery:
        for x in points:
            for n in orders:
                ref = reference(f_mp, x, n)
                resolvable = best_float64(f, x, n, ref) <= 1e-8
                for tool, run in TOOLS.items():
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        out = run(f, x, n)
                    if out is not None:
                        rows[tool].append(Case(name, x, n, ref, *out, resolvable))
    return rows


def summary(cases: list[Case]) -> Summary:
    ref = np.array([c.reference for c in cases])
    est = np.array([c.estimate for c in cases])
    err = np.array([c.error for c in cases])
    nfev = np.array([c.nfev for c in cases])
    bad = ~np.isfinite(est)
    with np.errstate(all="ignore"):
        absolute = np.abs(est - ref)
        relative = np.where(ref != 0, absolute / np.abs(ref), absolute)
    relative = np.where(bad, np.inf, relative)
    resolvable = np.array([c.resolvable for c in cases], dtype=bool)
    bounded = absolute <= err
    within = relative <= 1e-8
    within_resolvable = np.mean(within[resolvable]) if resolvable.any() else np.nan
    # how loose the estimate is: reported / true error, where both are positive
    with np.errstate(all="ignore"):
        loose = err / absolute
    loose = loose[np.isfinite(loose) & (absolute > 0)]
    looseness = np.median(loose) if loose.size else np.nan
    return Summary(len(cases), np.median(relative), np.percentile(relative, 90, method="higher"),
                   np.mean(within), within_resolvable, np.median(nfev),
                   np.percentile(nfev, 90, method="higher"), np.mean(bounded), int(bad.sum()),
                   int(resolvable.sum()), looseness)


def table(title, rows, keep):
    header = (f"{'tool':<13} {'cases':>5} {'median rel':>10} {'p90 rel':>9} {'<=1e-8':>7} "
              f"{'<=1e-8 res':>10} {'med nfev':>8} {'p90 nfev':>8} {'bounded':>7} "
              f"{'est/true':>8} {'NaN/inf':>7}")
    lines = []
    for tool, cases in rows.items():
        cases = [c for c in cases if keep(c)]
        if not cases:
            continue
        s = summary(cases)
        lines.append(f"{tool:<13} {s.cases:>5} {s.median_relative:>10.1e} "
                     f"{s.p90_relative:>9.1e} {s.within:>7.1%} {s.within_resolvable:>10.1%} "
                     f"{s.median_nfev:>8.0f} {s.p90_nfev:>8.0f} {s.bounded:>7.1%} "
                     f"{s.looseness:>8.3g} {s.non_finite:>7}")
    count = len([c for c in rows["finitediff"] if keep(c)])
    resolvable = sum(c.resolvable for c in rows["finitediff"] if keep(c))
    print(f"\n{title} ({resolvable} of {count} cases resolvable)")
    print(header)
    print("\n".join(lines))


def failures(rows, limit=20):
    worst = []
    for c in rows["finitediff"]:
        absolute = abs(c.estimate - c.reference)
        rel = absolute / abs(c.reference) if c.reference else absolute
        if not (rel <= 1e-8) or not (absolute <= c.error):
            worst.append((rel, c, c.error / max(absolute, 1e-300)))
    worst.sort(key=lambda w: -w[0] if np.isfinite(w[0]) else -np.inf)
    for rel, c, ratio in worst[:limit]:
        print(f"  {c.name:<36} x={c.x:<8.3g} n={c.n} rel={rel:.1e} err/true={ratio:.2g} "
              f"nfev={c.nfev} {'resolvable' if c.resolvable else 'unresolvable'}")


def batteries(seed: int | None):
    """The default batteries (seed None), or the held-out and fresh ones drawn from `seed`."""
    if seed is None:
        return (("main battery", main_battery()),
                ("held-out battery (random compositions)", heldout_battery()),
                ("fresh battery (random families)", fresh_battery()))
    return ((f"held-out battery, seed {seed}", heldout_battery(seed=seed)),
            (f"fresh battery, seed {seed}", fresh_battery(seed=seed)))


def seed_summary(summaries):
    """finitediff on every battery of every seed, one line each."""
    width = max(len(title) for title, _ in summaries)
    print("\nfinitediff, orders 1-4: share <= 1e-8 / among resolvable / median nfev / "
          "bounded / NaN")
    for title, s in summaries:
        print(f"{title:<{width}}  {s.within:>6.1%} / {s.within_resolvable:>6.1%} / "
              f"{s.median_nfev:>2.0f} / {s.bounded:>6.1%} / {s.non_finite}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-failures", action="store_true")
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=None,
                       help="draw the held-out and fresh batteries from this seed instead "
                            "(the main battery is left out)")
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="S",
                       help="run several seeds in turn, 0 standing for the default batteries "
                            "(--seeds 0 1 2: the default run, then --seed 1 and --seed 2), "
                            "and end with a line per battery for finitediff")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    summaries = []
    for seed in [None if s == 0 else s for s in args.seeds] if args.seeds else [args.seed]:
        for title, battery in batteries(seed):
            rows = measure(battery, ORDERS)
            table(f"{title}: orders 1-4", rows, lambda c: True)
            table(f"{title}: first derivatives", rows, lambda c: c.n == 1)
            if args.show_failures:
                failures(rows)
            summaries.append((title, summary(rows["finitediff"])))
    if args.seeds:
        seed_summary(summaries)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

"""Hostile-input honesty probe: how often does finitediff claim a bound that does not hold?

Usage (from the repository root):
python -m benchmarks.hostile [--seed N] [--cases K] [--no-peers]

Draws K cases (default 100) from each family of hostile inputs: huge and tiny
x (1e-300 to 1e300), narrow Gaussian bumps and tanh steps at random offsets
and widths relative to x, jumps, kinks and cusps at x and near it,
oscillations like x·sin(1/x) and fast sines, functions computed with
cancellation, noise of random amplitude, f returning float32 values (or
computing in float32), f scaled by 1e-300 to 1e300, polynomials of high
degree, orders n = 1..4, gradients / Jacobians / Hessians of sums of such
terms with per-component scales 1e-6..1e6, and empty and 0-d arrays.

Every case runs finitediff with its defaults. References are analytic where
the derivative does not exist (it is then NaN, so any success is a
violation) and mpmath otherwise: ``mp.diff`` at two working precisions that
must agree to 1e-20 relative, or the case is drawn again. Per family the
table counts the cases, the successes, the VIOLATIONS (success=True with
``|df − exact| > error``, the worst bug: the bound is the product), the
results with success=False, and the exceptions by type. Every violation is
then printed as a one-liner that reproduces it with ``import numpy as np``
and ``from finitediff import *``. The univariate cases also run through
numdifftools.Derivative and scipy.differentiate.derivative (first
derivatives only), whose violations are counted side by side
(``--no-peers`` skips them). Deterministic for a seed; the cases are drawn
by ``benchmarks/hostile_cases.py``.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import time
import warnings
from dataclasses import dataclass

import numpy as np

import finitediff
from benchmarks.hostile_cases import FAMILIES, Case, draw_cases


# -- running and judging ---------------------------------------------------------------------
@dataclass
class Outcome:
    case: Case
    result: object = None
    exception: str = ""
    violations: int = 0
    failures: int = 0
    entries: int = 0
    worst: tuple = ()  # (ratio true/error, df, error, exact) of the worst violating entry
    peers: dict = dataclasses.field(default_factory=dict)  # tool -> "violation", "ok", ...


def run(case: Case, peers: bool = True) -> Outcome:
    scope = {"np": np}
    f = eval(case.f, scope)  # sources are built by benchmarks.hostile_cases
    x = eval(case.x, scope) if isinstance(case.x, str) else case.x
    options = {"n": case.n} if case.call == "derivative" else {}
    outcome = Outcome(case)
    if peers and case.call == "derivative" and isinstance(case.x, float):
        run_peers(outcome, eval(case.f, scope))  # a fresh f: noise streams start afresh
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outcome.result = getattr(finitediff, case.call)(f, x, **options)
    except Exception as exc:  # counted by type: the probe reports every crash
        outcome.exception = type(exc).__name__
        return outcome
    judge(outcome)
    return outcome


def run_numdifftools(f, x: float, n: int):
    """numdifftools' estimate and error estimate; it has no success flag."""
    import numdifftools as nd  # a peer (bench extra), needed only to run it

    out = nd.Derivative(f, n=n, full_output=True)(x)
    return float(out.estimate), float(out.error_estimate), True


def run_scipy(f, x: float, n: int):
    """scipy.differentiate.derivative: first derivatives only."""
    if n != 1:
        return None
    from scipy.differentiate import derivative as scipy_derivative

    res = scipy_derivative(f, x)
    return float(res.df), float(res.error), bool(res.success)


PEERS = {"numdifftools": run_numdifftools, "scipy": run_scipy}


def run_peers(outcome: Outcome, f) -> None:
    """Each peer on a univariate case: "violation", "success", "failure" or "exception"."""
    case = outcome.case
    for name, peer in PEERS.items():
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out = peer(f, case.x, case.n)
        except Exception:  # a crash of a peer is counted, not raised
            outcome.peers[name] = "exception"
            continue
        if out is None:
            continue
        df, error, success = out
        if not success:
            outcome.peers[name] = "failure"
        else:
            outcome.peers[name] = "success" if abs(df - case.exact) <= error else "violation"


def judge(outcome: Outcome) -> None:
    res, case = outcome.result, outcome.case
    df = np.asarray(res.df)
    error = np.asarray(res.error, dtype=float)
    exact = np.asarray(case.exact)
    if df.shape != exact.shape:  # a wrong shape is a failure to answer
        outcome.exception = f"shape {df.shape} != {exact.shape}"
        return
    success = np.broadcast_to(np.asarray(res.success, dtype=bool), df.shape)
    with np.errstate(all="ignore"):
        true_error = np.abs(df - exact)
        violating = success & ~(true_error <= error)
    outcome.entries = df.size
    outcome.violations = int(violating.sum())
    outcome.failures = int((~success).sum())
    if outcome.violations:
        with np.errstate(all="ignore"):
            ratio = np.where(violating, np.nan_to_num(true_error / error, nan=np.inf), -1.0)
        worst = np.unravel_index(int(np.argmax(ratio)), df.shape)
        outcome.worst = (float(ratio[worst]), df[worst], error[worst], exact[worst], worst)


def table(outcomes: list[Outcome]) -> str:
    by_family = collections.defaultdict(list)
    for outcome in outcomes:
        by_family[outcome.case.family].append(outcome)
    header = (f"{'family':<17} {'cases':>5} {'success':>7} {'VIOLATION':>9} "
              f"{'success=False':>13} {'exceptions':>10}  exception types")
    lines = [header, "-" * len(header)]
    totals = np.zeros(5, dtype=int)
    for family in FAMILIES:
        group = by_family.get(family, [])
        kinds = collections.Counter(o.exception for o in group if o.exception)
        row = np.array([
            len(group),
            sum(1 for o in group if not o.exception and not o.failures),
            sum(1 for o in group if o.violations),
            sum(1 for o in group if o.failures),
            sum(kinds.values()),
        ])
        totals += row
        kinds_text = ", ".join(f"{name} x{count}" for name, count in kinds.most_common())
        lines.append(f"{family:<17} {row[0]:>5} {row[1]:>7} {row[2]:>9} {row[3]:>13} "
                     f"{row[4]:>10}  {kinds_text}".rstrip())
    lines.append("-" * len(header))
    lines.append(f"{'all':<17} {totals[0]:>5} {totals[1]:>7} {totals[2]:>9} {totals[3]:>13} "
                 f"{totals[4]:>10}")
    return "\n".join(lines)


def peer_table(outcomes: list[Outcome]) -> str:
    """Violations / cases of every tool on the univariate cases, side by side."""
    by_family = collections.defaultdict(list)
    for outcome in outcomes:
        if outcome.peers:
            by_family[outcome.case.family].append(outcome)
    header = (f"{'family':<17} {'finitediff':>11} {'numdifftools':>12} "
              f"{'finitediff n=1':>14} {'scipy n=1':>10}")
    lines = [header, "-" * len(header)]
    for family, group in by_family.items():
        first = [o for o in group if "scipy" in o.peers]
        cells = [
            _share(sum(bool(o.violations) for o in group), len(group)),
            _share(sum(o.peers["numdifftools"] == "violation" for o in group), len(group)),
            _share(sum(bool(o.violations) for o in first), len(first)),
            _share(sum(o.peers["scipy"] == "violation" for o in first), len(first)),
        ]
        lines.append(f"{family:<17} {cells[0]:>11} {cells[1]:>12} {cells[2]:>14} "
                     f"{cells[3]:>10}")
    return "\n".join(lines)


def _share(count: int, total: int) -> str:
    return f"{count}/{total}"


def describe(outcome: Outcome) -> str:
    ratio, df, error, exact, index = outcome.worst
    res = outcome.result
    where = f" entry {tuple(int(i) for i in index)}" if index else ""
    status = np.asarray(res.status)[index] if np.ndim(res.status) else res.status
    return (f"[{outcome.case.family}]{where} df={df:.6g} error={error:.3g} exact={exact:.6g} "
            f"|df-exact|/error={ratio:.3g} ({outcome.violations}/{outcome.entries} entries) "
            f"status={int(status)}\n    {outcome.case.one_liner()}\n"
            f"    message: {res.message[:160]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the draw (default 0)")
    parser.add_argument("--cases", type=int, default=100,
                        help="cases per family (default 100)")
    parser.add_argument("--no-peers", action="store_true",
                        help="run finitediff only (numdifftools and scipy are skipped)")
    args = parser.parse_args(argv)
    if args.cases < 1:
        parser.error(f"--cases must be >= 1, got {args.cases}")
    start = time.perf_counter()
    cases = draw_cases(args.seed, args.cases)
    drawn = time.perf_counter()
    outcomes = [run(case, peers=not args.no_peers) for case in cases]
    finished = time.perf_counter()
    print(f"hostile probe, seed {args.seed}, {args.cases} cases per family "
          f"(references {drawn - start:.0f} s, runs {finished - drawn:.0f} s)\n")
    print(table(outcomes))
    if not args.no_peers:
        print("\nViolations / cases on the univariate families, all tools with their defaults "
              "(numdifftools has no success flag: every estimate counts as claimed; "
              "scipy.differentiate computes first derivatives only):\n")
        print(peer_table(outcomes))
    violations = [o for o in outcomes if o.violations]
    violations.sort(key=lambda o: (list(FAMILIES).index(o.case.family), -o.worst[0]))
    print(f"\n{len(violations)} violations (success=True, |df - exact| > error):")
    for outcome in violations:
        print(describe(outcome))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How many of the peers' own test cases finitediff passes.

Runs the four ported suites in ``tests/peers/`` with pytest (in this process)
and prints, per suite, the cases ported, passing and failing (and why they
fail: the peer's tolerance missed, a bound that does not hold with
``success=True``, or an exception), then every failing case with the first
line of its failure message.

    python -m benchmarks.peers            # the table and the failing cases
    python -m benchmarks.peers --full     # whole failure messages
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUITES = {
    "scipy.differentiate": "tests/peers/test_scipy_differentiate.py",
    "scipy.optimize._numdiff": "tests/peers/test_scipy_numdiff.py",
    "numdifftools": "tests/peers/test_numdifftools.py",
    "FiniteDifferences.jl": "tests/peers/test_finitedifferences_jl.py",
}


class Outcomes:
    """A pytest plugin that keeps each test's outcome and failure message."""

    def __init__(self):
        self.outcome: dict[str, str] = {}
        self.message: dict[str, str] = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            if self.outcome.get(report.nodeid) in ("failed", "error"):
                return  # keep the first failure (a teardown error adds nothing)
            failed = report.outcome == "failed"
            self.outcome[report.nodeid] = ("error" if failed and report.when != "call"
                                           else report.outcome)
            if failed:
                self.message[report.nodeid] = _first_line(report)


    def pytest_collectreport(self, report):
        if report.failed:  # a suite that does not even import counts as failing
            self.outcome[report.nodeid] = "error"
            self.message[report.nodeid] = "collection failed: " + _first_line(report)


def _first_line(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return " ".join(text.split())


def run(files: list[str]) -> Outcomes:
    outcomes = Outcomes()
    pytest.main([*files, "-p", "no:terminal", "-p", "no:cacheprovider",
                 "-o", "addopts="], plugins=[outcomes])
    return outcomes


def kinds(message: str) -> set[str]:
    """What a failure message says went wrong."""
    found = set()
    if "bound does not hold" in message:
        found.add("bound")
    if "peer tolerance missed" in message:
        found.add("tolerance")
    return found or {"other"}


def table(outcomes: Outcomes) -> list[tuple]:
    """Per suite: ported, passing, failing, and failing by kind (bound, tolerance, other)."""
    counts = defaultdict(lambda: defaultdict(int))
    for nodeid, outcome in outcomes.outcome.items():
        suite = counts[nodeid.split("::")[0]]
        suite[outcome] += 1
        for kind in kinds(outcomes.message.get(nodeid, "")) if outcome != "passed" else ():
            suite[kind] += 1
    rows = []
    for name, path in SUITES.items():
        c = counts[path]
        ported = c["passed"] + c["failed"] + c["error"]
        rows.append((name, ported, c["passed"], c["failed"] + c["error"], c["bound"],
                     c["tolerance"], c["other"]))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="whole failure messages")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    outcomes = run([str(ROOT / path) for path in SUITES.values()])
    seconds = time.perf_counter() - start
    rows = table(outcomes)
    print(f"\nfinitediff on the peers' own test cases ({seconds:.1f} s)")
    header = ("ported", "passing", "failing", "bound", "tolerance", "other")
    print(f"{'suite':<26}" + "".join(f"{h:>10}" for h in header))
    for name, *numbers in rows:
        print(f"{name:<26}" + "".join(f"{v:>10}" for v in numbers))
    totals = [sum(row[i] for row in rows) for i in range(1, 7)]
    print(f"{'all':<26}" + "".join(f"{v:>10}" for v in totals))
    print("failing = the peer's tolerance missed (tolerance), a bound that does not hold "
          "with success=True (bound; a case may do both), or an exception (other)")
    for suite, path in SUITES.items():
        failing = [n for n in outcomes.message if n.startswith(path)]
        if failing:
            print(f"\nfailing in {suite}:")
        for nodeid in failing:
            message = outcomes.message[nodeid]
            if not args.full and len(message) > 400:
                message = message[:400] + " ..."
            print(f"  {nodeid.split('::', 1)[1]}: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

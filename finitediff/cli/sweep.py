"""``finitediff sweep EXPR --at X --n N``: the error against the step, per method."""

from __future__ import annotations

import argparse
import math
import re

from ..extras import require_extra
from ..sweeps import sweep
from ..sweeps.fit import format_slope
from . import arguments
from .derivative import expression_at
from .exact import exact_derivatives
from .output import emit_json, error_text, table

__all__ = ["DESCRIPTION", "SUMMARY", "add_arguments", "run", "summary", "summary_table"]

#: Steps per chunk: several chunks, so that a progress bar can show on long sweeps.
CHUNK_STEPS = 8
#: Seconds to wait for a Dask scheduler.
CONNECT_TIMEOUT = 10
_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*://\S+|[^\s:/]+:\d+")
_METHOD = re.compile(r"(central|forward|backward)([1-9]\d?)|complex")

EXAMPLES = """\
examples:
  finitediff sweep "log(x + 2)" --at 1 --n 2
  finitediff sweep "log(x + 2)" --at 1 --n 2 --plot sweep.png --csv sweep.csv
  finitediff sweep "sin(x)" --at 0.5 --n 1 --methods central2,central4,complex
  finitediff sweep "exp(x)" --at 0 --n 2 --checkpoint sweep.db --workers 2
"""


SUMMARY = "sweep the step: truncation and round-off arms per method"
DESCRIPTION = """\
Measure the error of finite-difference estimates of an expression's n-th
derivative over log-spaced steps, for several methods, against the exact value
(sympy) or the adaptive engine's estimate. Prints each method's optimal step
and the fitted slopes of the truncation and round-off arms next to the theory.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's own options (:mod:`finitediff.cli.main` adds ``--json``)."""
    parser.add_argument("expression", help="an expression in one variable, as in 'log(x + 2)'")
    parser.add_argument("--at", required=True, type=arguments.point, metavar="X",
                        help="the point (a number)")
    parser.add_argument("--n", type=arguments.order, default=1, metavar="N",
                        help="derivative order (default 1)")
    parser.add_argument("--methods", type=_methods, metavar="M,M,...",
                        help="e.g. central2,central4,forward1,backward2,complex (default "
                        "central 2, 4, 6, forward 1, and the complex step for n = 1)")
    parser.add_argument("--plot", metavar="PNG", help="save the log-log plot (matplotlib)")
    parser.add_argument("--csv", metavar="CSV", help="write every row as CSV")
    parser.add_argument("--checkpoint", metavar="PATH",
                        help="an SQLite file: finished rows are kept, a rerun resumes")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=arguments.positive_int, metavar="N",
                       help="run the chunks in N local processes")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the chunks on a Dask cluster, e.g. tcp://host:8786")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _methods(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise argparse.ArgumentTypeError("--methods: no method given")
    for name in names:
        match = _METHOD.fullmatch(name)
        if not match:
            raise argparse.ArgumentTypeError(
                f"--methods: {name!r} is not a method: central<P>, forward<P>, backward<P> "
                "(P the accuracy) or complex")
        if match.group(1) == "central" and int(match.group(2)) % 2:
            raise argparse.ArgumentTypeError(f"--methods: {name}: central stencils have an "
                                             "even accuracy")
    return names


def _client(address: str):
    if not _ADDRESS.fullmatch(address):
        raise ValueError(f"--scheduler: expected a Dask scheduler address such as "
                         f"tcp://host:8786, got {address!r}")
    require_extra("dask", "--scheduler")
    from distributed import Client

    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise OSError(f"--scheduler: could not connect to {address!r}: {exc}") from None


def summary(result) -> list[dict]:
    """Per method: the measured optimum and both fitted arms next to the theory."""
    return [{"method": fit.method, "optimal_step": fit.measured_step,
             "error_at_optimum": fit.measured_error, "predicted_step": fit.predicted_step,
             "engine_step": fit.engine_step,
             "truncation": {"slope": fit.truncation.slope, "uncertainty":
                            fit.truncation.uncertainty, "theory": fit.truncation.theory_slope},
             "roundoff": {"slope": fit.roundoff.slope, "uncertainty": fit.roundoff.uncertainty,
                          "theory": fit.roundoff.theory_slope},
             "_fit": fit} for fit in result.fit() if fit.point == 0]


def summary_table(result) -> str:
    rows = [(m["method"], error_text(m["optimal_step"]), error_text(m["error_at_optimum"]),
             format_slope(m["_fit"].truncation), format_slope(m["_fit"].roundoff),
             error_text(m["predicted_step"]))
            for m in summary(result)]
    return table(("method", "optimal step", "error there", "truncation slope (theory)",
                  "round-off slope (theory)", "theory's step"), rows, left=(0, 3, 4))


def _reference(expression, x: float, n: int):
    exact = exact_derivatives(expression, [x], [(0,) * n])[(0,) * n]
    return ("auto", exact.reason) if exact.value is None else (exact.value, "")


def run(args) -> int:
    if args.at.names is not None and len(args.at.names) != 1:
        raise ValueError("--at: sweep takes an expression in one variable")
    expression = expression_at(args.expression, args.at)
    if args.plot:
        require_extra("plot", "--plot")
    x = args.at.values[0]
    reference, note = _reference(expression, x, args.n)
    client = _client(args.scheduler) if args.scheduler else None
    try:
        result = sweep(expression, x, n=args.n, methods=args.methods, reference=reference,
                       checkpoint=args.checkpoint, key=f"finitediff-cli:{expression.text}",
                       workers=client or args.workers, chunk_size=CHUNK_STEPS,
                       progress=False if args.no_progress or args.json else None)
    finally:
        if client is not None:
            client.close()
    if args.plot:
        result.plot(args.plot)
    if args.csv:
        result.to_csv(args.csv)
    _report(args, expression, result, note)
    return 0


def _report(args, expression, result, note: str) -> None:
    reference = float(result.reference[0])
    kind = {"given": "exact, sympy", "estimate": "the adaptive engine's estimate"}.get(
        result.reference_kind, result.reference_kind)
    if args.json:
        methods = [{k: v for k, v in m.items() if k != "_fit"} for m in summary(result)]
        emit_json({"expression": expression.text, "at": args.at.values[0], "n": args.n,
                   "reference": reference, "reference_kind": kind,
                   "reference_error": float(result.reference_error[0]),
                   "steps": int(result.step.shape[2]), "calls": result.calls,
                   "methods": methods, "plot": args.plot, "csv": args.csv,
                   "checkpoint": args.checkpoint})
        return
    error = float(result.reference_error[0])
    print(f"sweep of the derivative of order {args.n} of {expression.text} at "
          f"{args.at.describe(expression.variables)}: {result.step.shape[2]} steps, "
          f"{len(result.methods)} methods, {result.calls} calls of f")
    print(f"reference {reference:.15g} ({kind}"
          + (f", error {error:.1e})" if error > 0 and math.isfinite(error) else ")"))
    if note:
        print(f"exact value n/a: {note}")
    print(summary_table(result))
    for label, path in (("plot", args.plot), ("csv", args.csv), ("checkpoint", args.checkpoint)):
        if path:
            print(f"{label}: {path}")

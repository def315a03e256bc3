"""``finitediff`` with no arguments: the seed example in full.

Derivatives 0–4 of ``log(x + 2)`` at ``x = 1`` from a difference network,
from the adaptive engine and from TF autodiff side by side, with error
estimates and the exact values; then a step sweep of the second derivative,
saved as a PNG. Without TensorFlow it shows the engine and names the extra.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile

from ..calculus import derivative
from ..extras import missing_modules
from ..sweeps import sweep
from . import arguments
from .derivative import expression_at
from .output import emit_json, error_text, table, value_text
from .sweep import summary, summary_table

__all__ = ["DESCRIPTION", "SUMMARY", "add_arguments", "exact_value", "run"]

FUNCTION = "log(x + 2)"
FORMULA = "d^n/dx^n log(x + 2) = (-1)^(n-1) (n-1)! / (x + 2)^n"
#: The order of the sweep.
SWEEP_ORDER = 2

EXAMPLES = """\
examples:
  finitediff                              the same as `finitediff example`
  finitediff example --x 0.5 --max-order 3
  finitediff --plot sweep.png --json
"""


SUMMARY = "the built-in example (what `finitediff` runs)"
DESCRIPTION = f"""\
Derivatives of {FUNCTION} from a Keras difference network, the adaptive engine
and TF autodiff side by side, with error estimates and exact values; then a
step sweep of the derivative of order {SWEEP_ORDER}, saved as a PNG.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's own options (:mod:`finitediff.cli.main` adds ``--json``)."""
    parser.add_argument("--x", type=lambda t: arguments.number(t, option="--x"), default=1.0,
                        help="where to differentiate (default 1)")
    parser.add_argument("--max-order", type=arguments.order, default=4, metavar="N",
                        help="highest order (default 4)")
    parser.add_argument("--accuracy", type=arguments.positive_int, default=2, metavar="P",
                        help="stencil accuracy, even (default 2)")
    parser.add_argument("--plot", metavar="PNG",
                        help="where to save the sweep's plot (default: a new temporary folder)")
    parser.add_argument("--no-tf", action="store_true",
                        help="leave out the difference network and TF autodiff")


def exact_value(n: int, x: float) -> float:
    """``d^n/dx^n log(x + 2)``: ``(-1)^(n-1) (n-1)! / (x + 2)^n`` for n >= 1."""
    if n == 0:
        return math.log(x + 2.0)
    return (-1) ** (n - 1) * math.factorial(n - 1) / (x + 2.0) ** n


def _entry(estimate, error, exact, step, evals, status="") -> dict:
    return {"estimate": estimate, "error": error, "true_error": abs(estimate - exact),
            "step": step, "evals": evals, "status": status}


def _tensorflow_part(x: float, orders, accuracy: int) -> tuple[dict, str]:
    missing = missing_modules("tf")
    if missing:
        return {}, (f"the difference network and TF autodiff need {' and '.join(missing)}: "
                    "pip install 'finitediff[tf]'")
    from .example_tf import autodiff_values, network_estimates, seed_model

    model = seed_model()
    return {"network": network_estimates(model, x, orders, accuracy),
            "autodiff": autodiff_values(model, x, orders)}, ""


def _rows(x: float, orders, accuracy: int, tf_part: dict) -> list[dict]:
    expression = expression_at(FUNCTION, arguments.Point(None, (x,)))
    rows = []
    for n in orders:
        exact = exact_value(n, x)
        result = derivative(expression, x, n=n, accuracy=accuracy)
        row = {"n": n, "exact": exact, "network": None, "autodiff": None,
               "engine": _entry(float(result.df), float(result.error), exact,
                                float(result.step), int(result.nfev),
                                "success" if result.success else result.message)}
        if tf_part:
            net = tf_part["network"][n]
            row["network"] = _entry(net.estimate, net.error, exact, net.step, net.points)
            value = tf_part["autodiff"][n]
            row["autodiff"] = _entry(value, None, exact, None, None)
        rows.append(row)
    return rows


def _sweep(x: float, path: str | None) -> tuple[object, str | None, str]:
    expression = expression_at(FUNCTION, arguments.Point(None, (x,)))
    result = sweep(expression, x, n=SWEEP_ORDER, reference=exact_value(SWEEP_ORDER, x),
                   progress=False)
    if missing_modules("plot"):
        return result, None, "the plot needs matplotlib: pip install 'finitediff[plot]'"
    if path is None:
        path = os.path.join(tempfile.mkdtemp(prefix="finitediff-"), "sweep_log.png")
    result.plot(path)
    return result, path, ""


def _print_rows(x: float, rows: list[dict], note: str) -> None:
    print(f"Derivatives of {FUNCTION} at x = {x:g}; exact: {FORMULA}")
    names = (("network", "difference network"), ("engine", "adaptive engine"),
             ("autodiff", "TF autodiff"))
    cells = []
    for row in rows:
        cells.append((str(row["n"]), "exact", value_text(row["exact"]), "", "", "", ""))
        for key, name in names:
            entry = row[key]
            if entry is not None:
                cells.append(("", name, value_text(entry["estimate"]),
                              error_text(entry["error"]) if entry["error"] is not None else "",
                              error_text(entry["true_error"]),
                              f"{entry['step']:.2e}" if entry["step"] is not None else "",
                              str(entry["evals"]) if entry["evals"] is not None else ""))
    print(table(("n", "source", "value", "error est.", "true error", "step", "evals"), cells,
                left=(1,)))
    if rows and rows[0]["network"] is not None:
        print(f"The network evaluates the model once, on {rows[0]['network']['evals']} points "
              "shared by all orders (steps h and 2h; the error estimate compares them).")
    for row in rows:
        if row["engine"]["status"] != "success":
            print(f"not trusted: n = {row['n']}: {row['engine']['status']}")
    if note:
        print(f"Not shown: {note}")


def run(args) -> int:
    if args.accuracy % 2:
        raise ValueError(f"--accuracy must be even (central stencils), got {args.accuracy}")
    if not args.x > -2.0:
        raise ValueError(f"--x must be above -2, the edge of the domain of {FUNCTION}, "
                         f"got {args.x:g}")
    orders = tuple(range(args.max_order + 1))
    tf_part, note = ({}, "TensorFlow (--no-tf)") if args.no_tf else _tensorflow_part(
        args.x, orders, args.accuracy)
    rows = _rows(args.x, orders, args.accuracy, tf_part)
    result, path, plot_note = _sweep(args.x, args.plot)
    trusted = all(row["engine"]["status"] == "success" for row in rows)
    if args.json:
        methods = [{k: v for k, v in m.items() if k != "_fit"} for m in summary(result)]
        emit_json({"function": FUNCTION, "x": args.x, "exact": FORMULA, "orders": rows,
                   "tensorflow": note or None, "trusted": trusted,
                   "sweep": {"n": SWEEP_ORDER, "methods": methods, "plot": path,
                             "plot_note": plot_note or None}})
        return 0 if trusted else 1
    _print_rows(args.x, rows, note)
    print()
    print(f"Step sweep of the derivative of order {SWEEP_ORDER} (reference: the exact value):")
    print(summary_table(result))
    print(f"plot: {path}" if path else f"plot not drawn: {plot_note}")
    return 0 if trusted else 1

"""``finitediff derivative EXPR --at X``: estimates with error bounds next to exact values."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from ..calculus import derivative, gradient, hessian
from ..result import Status
from . import arguments
from .exact import ExactValue, exact_derivatives
from .expressions import Expression, parse_expression
from .output import NA, emit_json, error_text, table, value_text

__all__ = ["DESCRIPTION", "SUMMARY", "add_arguments", "expression_at", "run"]

EXAMPLES = """\
examples:
  finitediff derivative "log(x + 2)" --at 1 --n 0-4
  finitediff derivative "sin(x)/x" --at 0.5 --accuracy 4 --json
  finitediff derivative "abs(x)" --at 0                    (a kink: exit status 1)
  finitediff derivative "x**2*y + exp(x*y)" --at x=1,y=2 --gradient
  finitediff derivative "x**2*y + exp(x*y)" --at x=1,y=2 --hessian
"""


SUMMARY = "estimate derivatives of an expression, with error bounds"
DESCRIPTION = """\
Estimate derivatives of an expression by finite differences (the adaptive
engine), with error bounds, steps, evaluations and status, next to the exact
value from sympy where it exists. Expressions use numbers, variables, pi, e,
+ - * / **, parentheses and the functions exp, log, sqrt, sin, cos, tan, ...;
nothing else is evaluated.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's own options (:mod:`finitediff.cli.main` adds ``--json``)."""
    parser.add_argument("expression", help="the expression, as in 'sin(x) * exp(-x)'")
    parser.add_argument("--at", required=True, type=arguments.point, metavar="X",
                        help="the point: a number, or name=value pairs such as x=1,y=2")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--n", type=arguments.orders, default=(1,), metavar="N",
                      help="derivative order(s): 2, 0-4 or 1,3 (default 1)")
    kind.add_argument("--gradient", action="store_true", help="the gradient in every variable")
    kind.add_argument("--hessian", action="store_true", help="the Hessian in every variable")
    parser.add_argument("--accuracy", type=arguments.positive_int, metavar="P",
                        help="truncation order of the stencil (default 2; even for central)")
    parser.add_argument("--method", choices=("central", "forward", "backward", "complex"),
                        default="central", help="the stencil family (default central)")
    parser.add_argument("--scale", type=arguments.positive_number, metavar="S",
                        help="the largest step tried (default 0.5*max(|x|, 1))")


def expression_at(text: str, at: arguments.Point, *, vector: bool = False) -> Expression:
    """The checked expression, with a value for each of its variables, finite at ``at``."""
    expression = parse_expression(text, at.names, vector=vector)
    if len(at.values) != len(expression.variables):
        raise ValueError(f"--at gives {len(at.values)} values for the variables "
                         f"{', '.join(expression.variables)}")
    point = np.array(at.values)
    value = expression(point if vector or len(at.values) > 1 else point[0])
    if not np.isfinite(value):
        raise ValueError(f"{text} is {float(value)} at {at.describe(expression.variables)}: "
                         "the point is outside the function's domain")
    return expression


@dataclass(frozen=True)
class Row:
    """One estimated value next to its exact value."""

    label: str
    key: tuple
    estimate: float
    error: float
    step: float
    nfev: int
    status: Status
    exact: ExactValue

    @property
    def true_error(self) -> float | None:
        return None if self.exact.value is None else abs(self.estimate - self.exact.value)

    def to_dict(self) -> dict:
        return {"label": self.label, "estimate": self.estimate, "error": self.error,
                "exact": self.exact.value, "exact_note": self.exact.reason or None,
                "true_error": self.true_error, "step": self.step, "nfev": self.nfev,
                "success": self.status is Status.SUCCESS, "status": self.status.name.lower()}


def _options(args) -> dict:
    return {"accuracy": args.accuracy, "method": args.method, "scale": args.scale}


def _order_rows(expression: Expression, x: float, args) -> tuple[list, list]:
    rows, messages = [], []
    name = expression.variables[0]
    for n in args.n:
        result = derivative(expression, x, n=n, **_options(args))
        label = "f" if n == 0 else f"d{n if n > 1 else ''}f/d{name}{n if n > 1 else ''}"
        rows.append((label, (0,) * n, result.df, result.error, result.step, result.nfev,
                     result.status))
        if not result.success:
            messages.append(f"n = {n}: {result.message}")
    return rows, messages


def _label(names, key) -> str:
    if len(key) == 1:
        return f"df/d{names[key[0]]}"
    i, j = key
    return f"d2f/d{names[i]}2" if i == j else f"d2f/d{names[i]}d{names[j]}"


def _vector_rows(expression: Expression, x: np.ndarray, args) -> tuple[list, list]:
    if args.hessian:
        result = hessian(expression, x, **_options(args))
        keys = [(i, j) for i in range(x.size) for j in range(i, x.size)]
        steps = np.broadcast_to(result.step, result.df.shape)
    else:
        result = gradient(expression, x, **_options(args))
        keys = [(i,) for i in range(x.size)]
        steps = result.step
    rows = [(_label(expression.variables, key), key, result.df[key], result.error[key],
             steps[key], result.nfev, np.asarray(result.status)[key]) for key in keys]
    messages = [] if np.all(result.success) else [result.message]
    return rows, messages


def _heading(expression: Expression, args) -> str:
    what = "Hessian" if args.hessian else "gradient" if args.gradient else "derivatives"
    steps = "adaptive steps" if args.method != "complex" else "complex step"
    return (f"{what} of {expression.text} at {args.at.describe(expression.variables)} "
            f"({args.method}{'' if args.accuracy is None else f', accuracy {args.accuracy}'}"
            f", {steps})")


def _print(heading: str, rows: list[Row], messages: list[str]) -> None:
    header = ("value", "estimate", "error bound", "exact", "true error", "step", "evals",
              "status")
    cells = [(row.label, value_text(row.estimate), error_text(row.error),
              value_text(row.exact.value), error_text(row.true_error), f"{row.step:.2e}",
              str(row.nfev), row.status.name.lower()) for row in rows]
    print(heading)
    print(table(header, cells, left=(0, 7)))
    notes = sorted({row.exact.reason for row in rows if row.exact.reason})
    for note in notes:
        print(f"exact {NA}: {note}")
    for message in messages:
        print(f"not trusted: {message}")


def run(args) -> int:
    vector = args.gradient or args.hessian
    expression = expression_at(args.expression, args.at, vector=vector)
    x = np.array(args.at.values)
    found, messages = (_vector_rows(expression, x, args) if vector
                       else _order_rows(expression, float(x[0]), args))
    exact = exact_derivatives(expression, x, [key for _, key, *_ in found])
    rows = [Row(label, key, float(estimate), float(error), float(step), int(nfev),
                Status(int(status)), exact[key])
            for label, key, estimate, error, step, nfev, status in found]
    trusted = all(row.status is Status.SUCCESS for row in rows)
    if args.json:
        emit_json({"expression": expression.text, "variables": expression.variables,
                   "at": list(args.at.values), "method": args.method,
                   "accuracy": args.accuracy, "results": [row.to_dict() for row in rows],
                   "messages": messages, "trusted": trusted})
    else:
        _print(_heading(expression, args), rows, messages)
    return 0 if trusted else 1

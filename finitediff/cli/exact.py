"""Exact derivatives of a checked expression, by sympy, evaluated at high precision.

The sympy expression is built node by node from the whitelisted tree of
:mod:`finitediff.cli.expressions` (never from the text): ``sympy.Symbol``,
``sympy.Integer``, ``sympy.Float`` and the functions of :data:`SYMPY_FUNCTIONS`.
Each power is checked as it is built, after sympy has simplified its parts,
so that ``9**(9**(x - x + 9))`` is refused before sympy would compute a
huge integer. Derivatives are evaluated with ``evalf`` at ``DIGITS``
digits at the float64 point, under a time limit.

An exact value is "n/a" (``None``, with the reason) where it does not exist
or cannot be had: a kink of ``abs`` at the point, a value that is not a
finite real number, sympy missing, or the time limit.
"""

from __future__ import annotations

import ast
import contextlib
import math
import signal
import threading
from dataclasses import dataclass

from ..extras import missing_modules
from .expressions import MAX_EXPONENT, Expression, ExpressionError

__all__ = ["DIGITS", "TIME_LIMIT", "ExactValue", "exact_derivatives", "to_sympy"]

#: Significant digits of the evaluation.
DIGITS = 30
#: Seconds sympy may take for the exact values of one command.
TIME_LIMIT = 10.0
#: Where |argument of abs| is below this at the point, the point is its kink.
KINK_TOLERANCE = 1e-25
#: Largest exact rational a constant power may produce, in bits.
MAX_BITS = 100_000


@dataclass(frozen=True)
class ExactValue:
    """The exact value, or None with the reason it is not available."""

    value: float | None
    reason: str = ""


class _TimeLimit(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception`` in sympy eats it."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Interrupt pure-Python work after ``seconds`` (POSIX main thread; elsewhere no limit)."""
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def interrupt(signum, frame):
        raise _TimeLimit

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _functions(sympy) -> dict:
    return {
        "exp": sympy.exp, "expm1": lambda a: sympy.exp(a) - 1, "log": sympy.log,
        "log1p": lambda a: sympy.log(1 + a), "log2": lambda a: sympy.log(a, 2),
        "log10": lambda a: sympy.log(a, 10), "sqrt": sympy.sqrt, "abs": sympy.Abs,
        "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "asin": sympy.asin,
        "acos": sympy.acos, "atan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh,
        "tanh": sympy.tanh, "asinh": sympy.asinh, "acosh": sympy.acosh,
        "atanh": sympy.atanh, "erf": sympy.erf, "erfc": sympy.erfc,
    }


def _power(sympy, base, exponent, node: ast.BinOp):
    """``base**exponent``, refused where sympy would build a huge number."""
    if exponent.is_Number and not abs(exponent) <= MAX_EXPONENT:
        raise ExpressionError(f"the exponent in {ast.unparse(node)!r} simplifies to "
                              f"{exponent}: a constant exponent must be at most "
                              f"{MAX_EXPONENT} in size")
    if base.is_Rational and exponent.is_Rational:
        bits = max(abs(base.p).bit_length(), base.q.bit_length()) * abs(exponent)
        if bits > MAX_BITS:
            raise ExpressionError(f"the constant {ast.unparse(node)!r} is too large to "
                                  "compute exactly")
    return sympy.Pow(base, exponent)


def _number(sympy, value):
    if isinstance(value, int):
        return sympy.Integer(value)
    return sympy.Float(value, 17) if not float(value).is_integer() else sympy.Integer(int(value))


def to_sympy(expression: Expression):
    """The sympy expression of ``expression``'s tree and its symbols (real)."""
    import sympy

    symbols = {name: sympy.Symbol(name, real=True) for name in expression.variables}
    functions = _functions(sympy)
    constants = {"pi": sympy.pi, "e": sympy.E}

    def build(node):
        if isinstance(node, ast.Constant):
            return _number(sympy, node.value)
        if isinstance(node, ast.Name):
            return symbols[node.id] if node.id in symbols else constants[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            return functions[node.func.id](build(node.args[0]))
        left, right = build(node.left), build(node.right)
        if isinstance(node.op, ast.Pow):
            return _power(sympy, left, right, node)
        return {ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
                ast.Mult: lambda: left * right, ast.Div: lambda: left / right}[type(node.op)]()

    return build(expression.tree), [symbols[name] for name in expression.variables]


def sympy_missing() -> str:
    """Why exact values are unavailable on this install ('' where sympy is installed)."""
    missing = missing_modules("testing")
    if "sympy" in missing or "mpmath" in missing:
        return "exact values need sympy: pip install 'finitediff[testing]'"
    return ""


def _at_point(sympy, derivative, substitutions: dict, kinks: list) -> ExactValue:
    for argument in kinks:
        if abs(argument.evalf(DIGITS, subs=substitutions)) < KINK_TOLERANCE:
            return ExactValue(None, f"abs({argument}) has a kink at this point")
    value = derivative.evalf(DIGITS, subs=substitutions)
    if not value.is_number or not value.is_real or not value.is_finite:
        return ExactValue(None, f"the exact value is {value}, not a finite real number")
    number = float(value)
    if not math.isfinite(number):
        return ExactValue(None, f"the exact value {value} overflows float64")
    return ExactValue(number)


def exact_derivatives(expression: Expression, point, wanted) -> dict:
    """Exact derivatives at ``point`` (floats, one per variable): ``{key: ExactValue}``.

    ``wanted`` lists keys, each a tuple of variable indices to differentiate
    by in turn (``()`` is the value, ``(0, 0)`` the second derivative in the
    first variable). Raises ExpressionError where building the expression
    is refused.
    """
    reason = sympy_missing()
    if reason:
        return {key: ExactValue(None, reason) for key in wanted}
    import sympy

    results = {}
    try:
        with _time_limit(TIME_LIMIT):
            expr, symbols = to_sympy(expression)
            substitutions = {s: sympy.Rational(float(v)) for s, v in zip(symbols, point)}
            kinks = [a.args[0] for a in expr.atoms(sympy.Abs)]
            derivatives = {(): expr}
            for key in sorted(wanted, key=len):
                if key not in derivatives:
                    derivatives[key] = sympy.diff(_lower(derivatives, key, symbols),
                                                  symbols[key[-1]])
                results[key] = (_at_point(sympy, derivatives[key], substitutions, kinks)
                                if key else _at_point(sympy, expr, substitutions, []))
    except _TimeLimit:
        reason = f"sympy took longer than {TIME_LIMIT:g} s"
        return {key: results.get(key, ExactValue(None, reason)) for key in wanted}
    return results


def _lower(derivatives: dict, key: tuple, symbols) -> object:
    """The derivative one order below ``key`` (computed on the way if missing)."""
    import sympy

    below = key[:-1]
    if below not in derivatives:
        derivatives[below] = sympy.diff(_lower(derivatives, below, symbols), symbols[below[-1]])
    return derivatives[below]

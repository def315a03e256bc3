"""Expressions in one variable with exact derivatives, for property tests.

An :class:`Expression` is a sympy expression in ``x`` and an interval
``domain`` on which it is finite and smooth. It evaluates in float64 with
numpy, on tensors with TensorFlow (differentiable by autodiff) and at high
precision with mpmath; ``derivative(n)`` is the exact symbolic derivative.

Random expressions are assembled from :class:`Term` values by the functions at
the bottom of this module. A term carries bounds on its value over the domain
(interval arithmetic), and every operation that could meet a singularity
shifts its argument by an integer until the bounds keep it away:

- ``log``, ``sqrt`` and fractional powers get an argument ``>= 1`` on the
  whole domain, so ``log(x)`` on ``[-2, 2]`` becomes ``log(x + 3)``;
- divisors and negative powers get ``|argument| >= 1``;
- a term whose bounds exceed ``MAX_MAGNITUDE`` is divided by an integer, so
  ``exp`` of ``exp`` cannot overflow and ``sin`` never sees a huge argument.

These margins hold on the closed domain, which is why every point of the
domain is safe, and a stencil reaching a little outside it too.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..extras import require_extra

require_extra("testing", "finitediff.testing.expressions")

import mpmath  # noqa: E402
import numpy as np  # noqa: E402
import sympy  # noqa: E402

from ..errors import check_argument, check_nonnegative_int  # noqa: E402

__all__ = ["Expression", "Interval", "Term", "FUNCTIONS", "EXPONENTS", "VARIABLE"]

#: The variable every expression is written in.
VARIABLE = sympy.Symbol("x")

#: Bound on |term| over the domain before a term is divided down.
MAX_MAGNITUDE = 10.0

#: Exponents of the power operation.
EXPONENTS = (2, 3, -1, sympy.Rational(3, 2), sympy.Rational(-1, 2))


@dataclass(frozen=True)
class Interval:
    """The closed interval ``[lower, upper]`` of real numbers."""

    lower: float
    upper: float

    def __post_init__(self):
        for name in ("lower", "upper"):
            value = getattr(self, name)
            check_argument(
                isinstance(value, numbers.Real) and math.isfinite(value),
                f"`domain` bounds must be finite real numbers, got {name}={value!r}",
            )
        check_argument(
            self.lower < self.upper,
            f"`domain` must have lower < upper, got ({self.lower!r}, {self.upper!r})",
        )

    def __contains__(self, value) -> bool:
        return bool(self.lower <= value <= self.upper)

    def __iter__(self):
        return iter((self.lower, self.upper))


def as_interval(domain) -> Interval:
    """An :class:`Interval` from an Interval or a ``(lower, upper)`` pair."""
    if isinstance(domain, Interval):
        return domain
    try:
        lower, upper = domain
    except (TypeError, ValueError):
        raise TypeError(f"`domain` must be a (lower, upper) pair, got {domain!r}") from None
    return Interval(float(lower), float(upper))


class Expression:
    """A smooth function of one variable ``x`` on an interval, with exact derivatives.

    Parameters
    ----------
    expr : sympy.Expr or str
        The expression in the symbol ``x``; a string is parsed by sympy, so
        ``Expression("log(x + 2)", domain=(-1, 1))`` pins a falsifying example.
    domain : Interval or (float, float)
        Where the expression is finite and smooth. It is taken on trust.

    Examples
    --------
    >>> from finitediff.testing import Expression
    >>> e = Expression("log(x + 2)", domain=(-1, 1))
    >>> e.derivative(2)
    Expression('-1/(x + 2)**2', domain=(-1.0, 1.0))
    >>> float(e.numpy(0.0))
    0.6931471805599453
    """

    def __init__(self, expr, domain):
        if isinstance(expr, str):
            try:
                expr = sympy.sympify(expr, locals={"x": VARIABLE})
            except (sympy.SympifyError, SyntaxError, TypeError) as exc:
                raise ValueError(f"`expr` could not be parsed: {expr!r} ({exc})") from None
        check_argument(
            isinstance(expr, sympy.Expr),
            f"`expr` must be a sympy expression or a string, got {expr!r}",
            error=TypeError,
        )
        check_argument(
            expr.free_symbols <= {VARIABLE},
            f"`expr` must depend on x only, got symbols "
            f"{sorted(map(str, expr.free_symbols - {VARIABLE}))}",
        )
        self._expr = expr
        self._domain = as_interval(domain)
        self._derivatives: dict[int, Expression] = {0: self}

    @property
    def sympy(self) -> sympy.Expr:
        """The symbolic expression, in the symbol ``VARIABLE``."""
        return self._expr

    @property
    def domain(self) -> Interval:
        """The closed interval on which the expression is finite and smooth."""
        return self._domain

    def derivative(self, n: int = 1) -> Expression:
        """The exact ``n``-th derivative, on the same domain."""
        n = check_nonnegative_int("n", n)
        if n not in self._derivatives:
            if n == 1:
                first = Expression(sympy.diff(self._expr, VARIABLE), self._domain)
            else:  # one order at a time, so every lower order is cached on the way
                first = self.derivative(n - 1).derivative(1)
            self._derivatives[n] = first
        return self._derivatives[n]

    # -- evaluation -------------------------------------------------------------
    @cached_property
    def _numpy_function(self) -> Callable:
        return sympy.lambdify(VARIABLE, self._expr, modules="numpy")

    @cached_property
    def _mpmath_function(self) -> Callable:
        return sympy.lambdify(VARIABLE, self._expr, modules="mpmath")

    @cached_property
    def _tensorflow_function(self) -> Callable:
        # TensorFlow ops reject integer tensors: a constant such as sin(cos(2))
        # would reach tf.cos as int32, so constants are evaluated to floats first.
        # sympy.N leaves numeric terms inside arguments (exp(x + atan(2)), sqrt(2)) exact
        constants = self._expr.replace(lambda e: e.is_number and not e.is_Atom,
                                       lambda e: sympy.Float(e.evalf(20), 20))
        return sympy.lambdify(VARIABLE, sympy.N(constants, 17), modules="tensorflow")

    def numpy(self, x) -> np.ndarray:
        """Elementwise float64 value at ``x`` (any shape); the result has the shape of x."""
        x = np.asarray(x, dtype=np.float64)
        value = np.asarray(self._numpy_function(x), dtype=np.float64)
        return value + np.zeros_like(x)  # a constant expression returns a scalar

    def tensorflow(self, x):
        """Elementwise value of a tensor ``x``, differentiable by TensorFlow autodiff."""
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        if not x.dtype.is_floating:
            x = tf.cast(x, tf.float64)
        return self._tensorflow_function(x) + tf.zeros_like(x)

    def mpmath(self, x, *, dps: int = 50) -> mpmath.mpf:
        """Value at the scalar ``x`` (taken exactly) with at least ``dps`` decimal digits.

        A higher working precision already in force (as inside ``mpmath.diff``)
        is kept.
        """
        with mpmath.workdps(max(dps, mpmath.mp.dps)):
            return +mpmath.mpf(self._mpmath_function(mpmath.mpf(x)))

    # -- value semantics ----------------------------------------------------------
    def __str__(self) -> str:
        return str(self._expr)

    def __repr__(self) -> str:
        return f"Expression({str(self._expr)!r}, domain=({self._domain.lower!r}, " \
               f"{self._domain.upper!r}))"

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Expression):
            return NotImplemented
        return self._expr == other._expr and self._domain == other._domain

    def __hash__(self) -> int:
        return hash((Expression, self._expr, self._domain))


# -- building random expressions safely -------------------------------------------
@dataclass(frozen=True)
class Term:
    """A sympy expression with bounds ``low <= expr <= high`` over the domain."""

    expr: sympy.Expr
    low: float
    high: float


def variable(domain: Interval) -> Term:
    return Term(VARIABLE, domain.lower, domain.upper)


def constant(value: int) -> Term:
    return Term(sympy.Integer(value), float(value), float(value))


def _shift(term: Term, amount: int) -> Term:
    return Term(term.expr + amount, term.low + amount, term.high + amount)


def at_least_one(term: Term) -> Term:
    """``term + c`` with the smallest integer ``c >= 0`` making it ``>= 1`` on the domain."""
    return term if term.low >= 1 else _shift(term, math.ceil(1 - term.low))


def away_from_zero(term: Term) -> Term:
    """The term itself if ``|term| >= 1`` on the domain, else shifted to ``>= 1``."""
    return term if term.low >= 1 or term.high <= -1 else at_least_one(term)


def tame(term: Term) -> Term:
    """Divide by an integer so that ``|term| <= MAX_MAGNITUDE`` on the domain."""
    magnitude = max(abs(term.low), abs(term.high))
    if magnitude <= MAX_MAGNITUDE:
        return term
    divisor = math.ceil(magnitude / MAX_MAGNITUDE)
    return Term(term.expr / divisor, term.low / divisor, term.high / divisor)


def _monotone(function, sympy_function) -> Callable[[Term], Term]:
    return lambda t: Term(sympy_function(t.expr), function(t.low), function(t.high))


def _periodic(sympy_function) -> Callable[[Term], Term]:
    return lambda t: Term(sympy_function(t.expr), -1.0, 1.0)


_UNARY: dict[str, Callable[[Term], Term]] = {
    "exp": _monotone(math.exp, sympy.exp),
    "log": lambda t: _monotone(math.log, sympy.log)(at_least_one(t)),
    "sqrt": lambda t: _monotone(math.sqrt, sympy.sqrt)(at_least_one(t)),
    "sin": _periodic(sympy.sin),
    "cos": _periodic(sympy.cos),
    "tanh": _monotone(math.tanh, sympy.tanh),
    "atan": _monotone(math.atan, sympy.atan),
}

#: Names of the unary functions random expressions may use.
FUNCTIONS = tuple(_UNARY)


def apply_function(name: str, term: Term) -> Term:
    return tame(_UNARY[name](term))


def _product_bounds(a: Term, b: Term) -> tuple[float, float]:
    corners = (a.low * b.low, a.low * b.high, a.high * b.low, a.high * b.high)
    return min(corners), max(corners)


def add(a: Term, b: Term) -> Term:
    return tame(Term(a.expr + b.expr, a.low + b.low, a.high + b.high))


def subtract(a: Term, b: Term) -> Term:
    return tame(Term(a.expr - b.expr, a.low - b.high, a.high - b.low))


def multiply(a: Term, b: Term) -> Term:
    return tame(Term(a.expr * b.expr, *_product_bounds(a, b)))


def divide(a: Term, b: Term) -> Term:
    b = away_from_zero(b)
    reciprocal = Term(1 / b.expr, 1 / b.high, 1 / b.low)
    return tame(Term(a.expr / b.expr, *_product_bounds(a, reciprocal)))


def power(base: Term, exponent) -> Term:
    exponent = sympy.sympify(exponent)
    if not exponent.is_integer:
        base = at_least_one(base)  # a fractional power needs a positive base
    elif exponent < 0:
        base = away_from_zero(base)
    value = float(exponent)
    ends = (base.low**value, base.high**value)
    low, high = min(ends), max(ends)
    if exponent.is_integer and exponent % 2 == 0 and base.low < 0 < base.high:
        low = 0.0
    return tame(Term(base.expr**exponent, low, high))


#: The binary operations, by the symbol they print with.
OPERATIONS: dict[str, Callable[[Term, Term], Term]] = {
    "+": add, "-": subtract, "*": multiply, "/": divide,
}

"""Expressions typed on the command line, parsed into a whitelisted tree.

``parse_expression("sin(x) * exp(-x)")`` reads the text with
``ast.parse(text, mode="eval")`` and accepts only numbers, variables, the
constants ``pi`` and ``e``, ``+ - * / **``, unary ``+ -``, parentheses and
calls of the named functions in :data:`FUNCTIONS` with positional
arguments. Anything else (attribute access, subscripts, lambdas,
comprehensions, keyword arguments, strings, unknown names) is refused with
a :class:`ExpressionError` naming it, and nothing is evaluated: the text
never reaches ``eval`` or sympy's parser. Long or deeply nested text and
huge constant exponents are refused before the tree is walked or built.

The resulting :class:`Expression` is a numpy callable evaluated by walking
the checked tree (no code is generated); :mod:`finitediff.cli.exact` builds
the sympy expression from the same tree.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "Expression",
    "ExpressionError",
    "parse_expression",
]

#: Longest expression accepted, in characters.
MAX_LENGTH = 1000
#: Deepest nesting of brackets accepted (checked on the text, before parsing).
MAX_NESTING = 40
#: Deepest tree accepted (operators, calls and parentheses), checked before the walk.
MAX_DEPTH = 100
#: Integers above 2**1024 do not fit a float64.
MAX_INT_BITS = 1024
#: Largest |exponent| accepted where the exponent is a constant.
MAX_EXPONENT = 1000


class ExpressionError(ValueError):
    """The expression is malformed or uses something outside the whitelist."""


def _special(name: str):
    def call(value):
        import scipy.special  # core dependency; loaded only when an expression uses it

        return getattr(scipy.special, name)(value)

    call.__name__ = name
    return call


#: The functions an expression may call (one positional argument each), by name.
FUNCTIONS = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "log2": np.log2,
    "log10": np.log10, "sqrt": np.sqrt, "abs": np.abs,
    "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "erf": _special("erf"), "erfc": _special("erfc"),
}

#: Named constants.
CONSTANTS = {"pi": math.pi, "e": math.e}

#: The float functions used to fold constant exponents (``math`` raises on overflow).
_FOLD = {"exp": math.exp, "expm1": math.expm1, "log": math.log, "log1p": math.log1p,
         "log2": math.log2, "log10": math.log10, "sqrt": math.sqrt, "abs": abs,
         "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin,
         "acos": math.acos, "atan": math.atan, "sinh": math.sinh, "cosh": math.cosh,
         "tanh": math.tanh, "asinh": math.asinh, "acosh": math.acosh, "atanh": math.atanh,
         "erf": math.erf, "erfc": math.erfc}

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.UAdd: "+", ast.USub: "-"}
_REFUSED = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "subscripts (a[i])",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.IfExp: "if-else",
    ast.NamedExpr: "assignments (:=)", ast.Starred: "starred arguments",
    ast.List: "lists", ast.Tuple: "tuples", ast.Set: "sets", ast.Dict: "dicts",
    ast.JoinedStr: "strings", ast.Await: "await", ast.Yield: "yield",
}
_ALLOWED = ("numbers, variables, pi, e, + - * / **, parentheses and the functions "
            + ", ".join(sorted(FUNCTIONS)))


# -- checks on the text and the tree --------------------------------------------------
def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; at most "
                              f"{MAX_LENGTH} are accepted")
    depth = deepest = 0
    for char in text:
        depth += (char in "([{") - (char in ")]}")
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise ExpressionError(f"the expression nests brackets {deepest} deep; at most "
                              f"{MAX_NESTING} levels are accepted")


def _parse(text: str) -> ast.expr:
    if not text.strip():
        raise ExpressionError("the expression is empty")
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"the expression {text!r} is not valid syntax{where}: "
                              f"{exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"the expression cannot be parsed: {exc}") from None


def _check_depth(tree: ast.expr) -> None:
    """Refuse trees deeper than MAX_DEPTH (an explicit stack: no recursion here)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression nests more than {MAX_DEPTH} levels deep "
                                  "(operators, calls and parentheses)")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _describe(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every parsed node
        return type(node).__name__


def _check_node(node: ast.AST) -> None:
    """Refuse any node outside the whitelist (children are checked by the caller's walk)."""
    if isinstance(node, (ast.expr_context, ast.operator, ast.unaryop)):
        return  # Load, Add, USub, ...: the BinOp and UnaryOp checks judge operators
    if isinstance(node, ast.Constant):
        value = node.value
        if type(value) not in (int, float):
            raise ExpressionError(f"{value!r} is not allowed: only real numbers are")
        if (isinstance(value, float) and not math.isfinite(value)) or (
                isinstance(value, int) and value.bit_length() > MAX_INT_BITS):
            raise ExpressionError("a number in the expression overflows float64: numbers "
                                  "must be below 1.8e308 in size")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ExpressionError(f"the operator in {_describe(node)!r} is not allowed: "
                                  f"use {_ALLOWED}")
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise ExpressionError(f"the operator in {_describe(node)!r} is not allowed: "
                                  f"use {_ALLOWED}")
    elif isinstance(node, ast.Call):
        _check_call(node)
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ExpressionError(f"unknown name {node.id!r}: names must not start with '_'")
    else:
        what = _REFUSED.get(type(node), type(node).__name__)
        raise ExpressionError(f"{what} not allowed in an expression: {_describe(node)!r}; "
                              f"use {_ALLOWED}")


def _check_call(node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(f"only named functions can be called, as in sin(x): "
                              f"{_describe(node.func)!r} is not allowed")
    name = node.func.id
    if name not in FUNCTIONS:
        raise ExpressionError(f"unknown function {name!r}: the functions are "
                              + ", ".join(sorted(FUNCTIONS)))
    if node.keywords:
        raise ExpressionError(f"{name}() takes positional arguments only: "
                              f"{_describe(node)!r}")
    if len(node.args) != 1:
        raise ExpressionError(f"{name}() takes 1 argument, got {len(node.args)}: "
                              f"{_describe(node)!r}")


class _Overflow(Exception):
    pass


def _fold(node: ast.expr) -> float | None:
    """The float value of a constant subtree, None if it holds a variable or is undefined.

    Raises _Overflow where the value overflows float64.
    """
    try:
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return CONSTANTS.get(node.id)
        if isinstance(node, ast.UnaryOp):
            value = _fold(node.operand)
            return None if value is None else (-value if isinstance(node.op, ast.USub)
                                               else value)
        if isinstance(node, ast.Call):
            value = _fold(node.args[0])
            return None if value is None else float(_FOLD[node.func.id](value))
        left, right = _fold(node.left), _fold(node.right)
        if left is None or right is None:
            return None
        op = type(node.op)
        if op is ast.Pow:
            return math.pow(left, right)
        return {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right,
                ast.Div: left / right if right else math.nan}[op]
    except OverflowError:
        raise _Overflow from None
    except (ValueError, ZeroDivisionError):
        return None


def _check_exponent(node: ast.BinOp) -> None:
    try:
        exponent = _fold(node.right)
    except _Overflow:
        exponent = math.inf
    if exponent is not None and not abs(exponent) <= MAX_EXPONENT:
        raise ExpressionError(f"the exponent in {_describe(node)!r} is too large: a constant "
                              f"exponent must be at most {MAX_EXPONENT} in size")


def _walk(tree: ast.expr) -> tuple[list[str], list[str]]:
    """Check every node; return the free names and the functions referred to without a call."""
    names: list[str] = []
    uncalled: list[str] = []
    called = set()
    for node in ast.walk(tree):
        _check_node(node)
        if isinstance(node, ast.Call):
            called.add(id(node.func))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            _check_exponent(node)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in called:
            if node.id in FUNCTIONS:
                uncalled.append(node.id)
            elif node.id not in CONSTANTS and node.id not in names:
                names.append(node.id)
    return names, uncalled


def _variables(free: list[str], variables) -> tuple[str, ...]:
    if variables is None:
        if len(free) > 1:
            raise ExpressionError(
                f"the expression has the variables {', '.join(free)}: give a value for each, "
                f"as in --at {','.join(f'{name}=1' for name in free)}")
        return tuple(free) or ("x",)
    variables = tuple(variables)
    for name in variables:
        if not name.isidentifier() or name.startswith("_") or name in FUNCTIONS \
                or name in CONSTANTS:
            raise ExpressionError(f"{name!r} cannot be a variable: a variable is a name that "
                                  "does not start with '_' and is not a function or constant")
    unknown = [name for name in free if name not in variables]
    if unknown:
        raise ExpressionError(f"unknown name {unknown[0]!r}: the variables are "
                              f"{', '.join(variables)}; the constants pi, e")
    return variables


# -- the expression ------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Expression:
    """A checked expression: callable on numpy arrays, picklable (by its text).

    With one variable it acts elementwise: ``expr(points)`` has the shape of
    ``points``. With several variables, or ``vector=True``, the last axis of
    ``points`` holds them: ``(..., d) -> (...)``.
    """

    text: str
    variables: tuple[str, ...]
    tree: ast.expr = field(repr=False)
    vector: bool = False

    def __call__(self, points):
        points = np.asarray(points)
        if len(self.variables) == 1 and not self.vector:
            values = {self.variables[0]: points}
            shape = points.shape
        else:
            values = {name: points[..., i] for i, name in enumerate(self.variables)}
            shape = points.shape[:-1]
        with np.errstate(all="ignore"):
            result = _evaluate(self.tree, values)
        return np.broadcast_to(result, shape).copy() if np.shape(result) != shape else result

    def __reduce__(self):
        return (parse_expression, (self.text, self.variables, self.vector))

    def __str__(self) -> str:
        return self.text


def _evaluate(node: ast.expr, values: dict):
    """numpy evaluation of a checked tree (depth <= MAX_DEPTH)."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id] if node.id in values else CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.Call):
        return FUNCTIONS[node.func.id](_evaluate(node.args[0], values))
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    op = type(node.op)
    if op is ast.Pow:
        return np.power(left, right)
    return {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
            ast.Div: np.divide}[op](left, right)


def parse_expression(text: str, variables=None, vector: bool = False) -> Expression:
    """Check ``text`` against the whitelist and return the :class:`Expression`.

    ``variables`` names the variables in order; by default the expression's
    single free name (``x`` if it has none). ``vector``: the points hold the
    variables on their last axis even when there is one. Raises :class:`ExpressionError`
    (a ValueError) naming what is wrong.

    Examples
    --------
    >>> from finitediff.cli.expressions import parse_expression
    >>> expr = parse_expression("log(x + 2)")
    >>> float(expr(1.0))
    1.0986122886681098
    >>> parse_expression("__import__('os').system('ls')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    finitediff.cli.expressions.ExpressionError: only named functions can be called, ...
    """
    _check_text(text)
    tree = _parse(text)
    _check_depth(tree)
    free, uncalled = _walk(tree)
    if uncalled:
        raise ExpressionError(f"{uncalled[0]} is a function: call it, as in {uncalled[0]}(x)")
    return Expression(text.strip(), _variables(free, variables), tree, bool(vector))

"""Hypothesis strategies for testing derivative code against exact answers.

Each strategy is a small function with keyword-only options that are checked
when it is called, not when the first example is drawn, and that raises
``hypothesis.errors.InvalidArgument`` naming the option, as
``hypothesis.extra.numpy`` does.

>>> from hypothesis import given
>>> from finitediff.testing import strategies
>>> @given(strategies.expressions(max_depth=2))
... def test_exact_first_derivative(expr):
...     assert str(expr.derivative(1))
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterable

from ..extras import require_extra

require_extra("testing", "finitediff.testing.strategies")

import mpmath  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import InvalidArgument  # noqa: E402

from ..errors import check_argument  # noqa: E402
from ..stencil import Stencil  # noqa: E402
from . import expressions as _expressions  # noqa: E402
from .expressions import FUNCTIONS, Expression, Interval, Term  # noqa: E402

__all__ = ["MAX_DEPTH", "expressions", "points", "stencils", "steps"]

#: Greatest ``max_depth`` of :func:`expressions`: trees of up to 2^8 leaves.
#: Past 10 an example can take seconds to build and differentiate, and at 12
#: hypothesis gives up on slow generation.
MAX_DEPTH = 8

#: Constants at the leaves of random expressions.
_CONSTANTS = st.integers(min_value=1, max_value=5)


def _check(condition: bool, message: str) -> None:
    check_argument(condition, message, error=InvalidArgument)


def _check_int(name: str, value, minimum: int) -> int:
    _check(
        isinstance(value, numbers.Integral) and not isinstance(value, bool),
        f"`{name}` must be an integer, got {value!r} of type {type(value).__name__}",
    )
    _check(value >= minimum, f"`{name}` must be >= {minimum}, got {value}")
    return int(value)


def _check_real(name: str, value) -> float:
    _check(
        isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value),
        f"`{name}` must be a finite real number, got {value!r}",
    )
    return float(value)


# -- expressions -------------------------------------------------------------------
def expressions(
    *,
    max_depth: int = 3,
    functions: Iterable[str] | None = None,
    domain: tuple[float, float] = (-2.0, 2.0),
) -> st.SearchStrategy[Expression]:
    """Random smooth expressions in ``x`` with exact derivatives.

    Compositions of ``+ - * /``, integer and fractional powers and the unary
    ``functions``, at most ``max_depth`` operations deep, each an
    :class:`~finitediff.testing.Expression` finite and smooth on ``domain``.
    Arguments of ``log``, ``sqrt`` and fractional powers are shifted to be
    ``>= 1``, divisors to ``|d| >= 1``, and large terms divided down, so the
    derivatives stay moderate. Every expression depends on ``x``; examples
    shrink toward ``x`` itself.

    Parameters
    ----------
    max_depth : int, optional
        Greatest nesting of operations (0 gives only ``x`` and constants), at
        most ``MAX_DEPTH`` (8).
    functions : iterable of str, optional
        Unary functions to use, a subset of ``finitediff.testing.FUNCTIONS``
        (default: all of them); empty for rational expressions and powers only.
    domain : (float, float), optional
        The interval the expressions are smooth on (default ``(-2, 2)``).
    """
    max_depth = _check_int("max_depth", max_depth, 0)
    _check(
        max_depth <= MAX_DEPTH,
        f"`max_depth` must be <= {MAX_DEPTH} (deeper expressions take seconds each to "
        f"build and differentiate), got {max_depth}",
    )
    if functions is None:
        names = FUNCTIONS
    else:
        _check(
            not isinstance(functions, str),
            f"`functions` must be a collection of names, got the string {functions!r}",
        )
        names = tuple(functions)
        unknown = [name for name in names if name not in FUNCTIONS]
        _check(
            not unknown,
            f"`functions` must be names from {', '.join(FUNCTIONS)}; unknown: "
            f"{', '.join(map(repr, unknown))}",
        )
    try:
        interval = _expressions.as_interval(domain)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(str(exc)) from None
    # Constant expressions are legal but say nothing about derivatives.
    terms = _named_terms(max_depth, tuple(dict.fromkeys(names)), interval)
    return terms.filter(lambda term: term.expr.has(_expressions.VARIABLE)).map(
        lambda term: Expression(term.expr, interval)
    )


@st.composite
def _named_terms(draw, depth: int, functions: tuple[str, ...], domain: Interval) -> Term:
    """:func:`_terms` under a one-line repr.

    The strategy of each level holds the level below in three branches, so
    its repr grows fourfold per level (53 kB at depth 4, 14 MB at depth 8);
    hypothesis computes the repr of a filtered strategy when the filter
    rejects a draw, and warns about its size (an error under ``-W error``).
    """
    return draw(_terms(depth, functions, domain))


@functools.lru_cache(maxsize=32)  # the tree of strategies is built once, not per draw
def _terms(depth: int, functions: tuple[str, ...], domain: Interval) -> st.SearchStrategy:
    """Terms of at most ``depth`` operations; leaves come first so examples shrink to them."""
    leaves = st.one_of(
        st.just(_expressions.variable(domain)), _CONSTANTS.map(_expressions.constant)
    )
    if depth == 0:
        return leaves
    inner = _terms(depth - 1, functions, domain)
    branches = [leaves]
    if functions:
        branches.append(
            st.builds(_expressions.apply_function, st.sampled_from(functions), inner)
        )
    operations = _expressions.OPERATIONS
    branches.append(
        st.builds(lambda op, a, b: operations[op](a, b), st.sampled_from(tuple(operations)),
                  inner, inner)
    )
    branches.append(
        st.builds(_expressions.power, inner, st.sampled_from(_expressions.EXPONENTS))
    )
    return st.one_of(branches)


# -- points ---------------------------------------------------------------------------
def points(
    expr: Expression, *, max_order: int = 4, bound: float = 1e6
) -> st.SearchStrategy[float]:
    """Floats in ``expr.domain`` where ``expr`` and its derivatives are moderate.

    A point is kept if the derivatives of orders ``0..max_order``, computed
    numerically with mpmath at 30 digits (``mpmath.diffs``, no overflow), are
    finite and at most ``bound`` in magnitude. For expressions from
    :func:`expressions` that holds by construction almost everywhere; the
    check guards the rest and hand-written expressions.
    """
    _check(
        isinstance(expr, Expression),
        f"`expr` must be a finitediff.testing.Expression, got {expr!r}",
    )
    max_order = _check_int("max_order", max_order, 0)
    bound = _check_real("bound", bound)
    _check(bound > 0, f"`bound` must be positive, got {bound!r}")

    def moderate(x: float) -> bool:
        with mpmath.workdps(30):
            try:
                values = mpmath.diffs(lambda t: expr.mpmath(t, dps=30), x, max_order)
                return all(mpmath.isfinite(v) and abs(v) <= bound for v in values)
            except (ValueError, ZeroDivisionError):  # mpmath met a singularity
                return False

    lower, upper = expr.domain
    return st.floats(lower, upper, allow_nan=False, allow_infinity=False).filter(moderate)


# -- stencils and steps -------------------------------------------------------------
def stencils(*, max_n: int = 4, max_points: int = 9) -> st.SearchStrategy[Stencil]:
    """Stencils of derivative order ``0..max_n`` on ``n + 1..max_points`` distinct integer offsets.

    Offsets lie in ``[-max_points, max_points]``; examples shrink toward small
    orders on offsets near zero.
    """
    max_n = _check_int("max_n", max_n, 0)
    max_points = _check_int("max_points", max_points, 1)
    _check(
        max_points >= max_n + 1,
        f"`max_points` must be >= max_n + 1 = {max_n + 1} (a stencil of order n needs "
        f"n + 1 points), got {max_points}",
    )
    offsets = st.integers(-max_points, max_points)

    def of_order(n: int) -> st.SearchStrategy[Stencil]:
        grids = st.lists(offsets, min_size=n + 1, max_size=max_points, unique=True)
        return grids.map(lambda grid: Stencil(grid, n))

    return st.integers(0, max_n).flatmap(of_order)


def steps(*, min_value: float = 1e-6, max_value: float = 1e-1) -> st.SearchStrategy[float]:
    """Step sizes in ``[min_value, max_value]``, spread evenly in their logarithm."""
    min_value = _check_real("min_value", min_value)
    max_value = _check_real("max_value", max_value)
    _check(min_value > 0, f"`min_value` must be positive, got {min_value!r}")
    _check(
        max_value >= min_value,
        f"`max_value` must be >= min_value = {min_value!r}, got {max_value!r}",
    )
    low, high = math.log10(min_value), math.log10(max_value)
    return st.floats(low, high).map(lambda e: min(max(10.0**e, min_value), max_value))

"""finitediff.testing: the strategies and Expression, checked against independent references."""

import subprocess
import sys
from fractions import Fraction
from math import factorial

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from finitediff.testing import FUNCTIONS, Expression, Interval, strategies

DOMAIN = (-2.0, 2.0)


@st.composite
def expressions_and_points(draw, **options):
    expr = draw(strategies.expressions(**options))
    return expr, draw(strategies.points(expr))


def _modules_after(statement: str) -> set:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True).stdout
    return set(output.split())


# -- imports -------------------------------------------------------------------------
def test_import_finitediff_loads_no_sympy_hypothesis_or_tensorflow():
    modules = _modules_after("import finitediff")
    assert "numpy" in modules
    assert not {"sympy", "hypothesis", "mpmath", "tensorflow"} & modules


def test_assertions_load_no_sympy():
    modules = _modules_after("from finitediff.testing import assert_derivative_close")
    assert "finitediff.testing.assertions" in modules
    assert not {"sympy", "tensorflow"} & modules


def test_strategies_load_sympy_but_not_tensorflow():
    modules = _modules_after("from finitediff.testing import strategies")
    assert "sympy" in modules and "hypothesis" in modules
    assert "tensorflow" not in modules


# -- validation when a strategy is built -------------------------------------------------
@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: strategies.expressions(max_depth=-1), r"`max_depth` must be >= 0, got -1"),
        (lambda: strategies.expressions(max_depth=2.5), r"`max_depth` must be an integer"),
        (lambda: strategies.expressions(functions=["sin", "tan"]),
         r"`functions` must be names from .*unknown: 'tan'"),
        (lambda: strategies.expressions(functions="sin"), r"`functions` must be a collection"),
        (lambda: strategies.expressions(domain=(1.0, -1.0)), r"`domain` must have lower < upper"),
        (lambda: strategies.expressions(domain=(0.0, np.inf)), r"`domain` bounds must be finite"),
        (lambda: strategies.points("log(x)"), r"`expr` must be a finitediff.testing.Expression"),
        (lambda: strategies.points(Expression("x", DOMAIN), max_order=-1),
         r"`max_order` must be >= 0"),
        (lambda: strategies.points(Expression("x", DOMAIN), bound=0.0),
         r"`bound` must be positive"),
        (lambda: strategies.stencils(max_n=-1), r"`max_n` must be >= 0"),
        (lambda: strategies.stencils(max_n=4, max_points=4),
         r"`max_points` must be >= max_n \+ 1 = 5"),
        (lambda: strategies.stencils(max_points=True), r"`max_points` must be an integer"),
        (lambda: strategies.steps(min_value=0.0), r"`min_value` must be positive"),
        (lambda: strategies.steps(min_value=1e-3, max_value=1e-4),
         r"`max_value` must be >= min_value"),
        (lambda: strategies.steps(max_value=np.nan), r"`max_value` must be a finite real"),
    ],
)
def test_invalid_options_raise_when_the_strategy_is_built(build, match):
    with pytest.raises(InvalidArgument, match=match):
        build()  # no example is drawn: the check happens at construction


# -- Expression ----------------------------------------------------------------------------
def test_expression_from_string_and_its_derivative():
    expr = Expression("log(x + 2)", domain=(-1, 1))
    assert str(expr) == "log(x + 2)"
    assert expr.domain == Interval(-1.0, 1.0) and 0.5 in expr.domain and 1.5 not in expr.domain
    assert str(expr.derivative(1)) == "1/(x + 2)"
    assert expr.derivative(0) is expr
    assert float(expr.derivative(3).mpmath(0)) == pytest.approx(2 / 8, rel=1e-15)


def test_expression_rejects_bad_input():
    with pytest.raises(ValueError, match=r"`expr` must depend on x only, got symbols \['y'\]"):
        Expression("x + y", DOMAIN)
    with pytest.raises(ValueError, match=r"`expr` could not be parsed"):
        Expression("log(x +", DOMAIN)
    with pytest.raises(TypeError, match=r"`domain` must be a \(lower, upper\) pair"):
        Expression("x", 2.0)
    with pytest.raises(TypeError, match=r"`n` must be an integer"):
        Expression("x", DOMAIN).derivative(1.0)


def test_numpy_value_of_a_constant_has_the_shape_of_x():
    values = Expression("3", DOMAIN).numpy(np.zeros((2, 3)))
    assert values.shape == (2, 3) and values.dtype == np.float64 and np.all(values == 3.0)


def _same_function(a: Expression, b: Expression) -> bool:
    # sympy may regroup a parsed string (2*(x + 3) becomes 2*x + 6): compare values.
    grid = np.linspace(a.domain.lower, a.domain.upper, 7)
    return a.domain == b.domain and all(
        abs(a.mpmath(t, dps=30) - b.mpmath(t, dps=30)) <= 1e-25 * max(1, abs(a.mpmath(t)))
        for t in grid
    )


@given(strategies.expressions())
def test_str_is_readable_and_parses_back(expr):
    assert _same_function(Expression(str(expr), expr.domain), expr)
    assert _same_function(eval(repr(expr), {"Expression": Expression}), expr)
    assert "x" in str(expr)  # every generated expression depends on x


@given(strategies.expressions(functions=["sin", "exp"]))
def test_only_the_chosen_functions_appear(expr):
    used = {type(f).__name__ for f in expr.sympy.atoms(sympy.Function)}
    assert used <= {"sin", "exp"}


def test_depth_zero_is_the_variable():
    assert find(strategies.expressions(max_depth=0), lambda e: True) == Expression("x", DOMAIN)


@pytest.mark.parametrize(
    "functions, predicate, simplest",
    [
        (["log"], lambda e: "log" in str(e), {"log(x + 3)"}),
        (["sin", "exp"], lambda e: "sin" in str(e) and "exp" in str(e),
         {"sin(exp(x))", "exp(sin(x))"}),
        (["atan"], lambda e: "atan" in str(e), {"atan(x)"}),
        ([], lambda e: e.sympy.is_polynomial() and sympy.degree(e.sympy) >= 3, {"x**3"}),
    ],
)
def test_examples_shrink_to_simple_expressions(functions, predicate, simplest):
    found = find(strategies.expressions(functions=functions), predicate,
                 settings=settings(database=None, max_examples=500))
    assert str(found) in simplest


def test_singular_functions_are_shifted_to_the_domain():
    # log, sqrt and 1/u meet x only after a shift keeping their argument >= 1 on [-2, 2].
    simplest = find(strategies.expressions(functions=[]), lambda e: "/" in str(e) and
                    "x" in str(e.sympy.as_numer_denom()[1]),
                    settings=settings(database=None, max_examples=500))
    # the simplest such example is 1/(x + 3) or x/(x + 3), as the search happens to go
    assert str(simplest.sympy.as_numer_denom()[1]) == "x + 3"


@given(expressions_and_points())
def test_points_are_in_the_domain_with_finite_derivatives(case):
    expr, x = case
    assert x in expr.domain
    for n in range(5):
        assert np.isfinite(expr.derivative(n).numpy(x))


@given(expressions_and_points(domain=(0.5, 10.0)))
def test_custom_domain(case):
    expr, x = case
    assert expr.domain == Interval(0.5, 10.0) and 0.5 <= x <= 10.0
    assert np.isfinite(expr.derivative(1).numpy(x))


@given(expressions_and_points())
def test_numpy_value_agrees_with_mpmath(case):
    expr, x = case
    exact = float(expr.mpmath(x))
    assert expr.numpy(x) == pytest.approx(exact, rel=1e-10, abs=1e-12)


@given(expressions_and_points(), st.integers(1, 3))
def test_exact_derivative_agrees_with_mpmath_diff(case, n):
    expr, x = case
    with mpmath.workdps(40):
        numeric = mpmath.diff(lambda t: expr.mpmath(t, dps=40), x, n)
    exact = expr.derivative(n).mpmath(x, dps=40)
    assert abs(exact - numeric) <= mpmath.mpf(10) ** -25 * max(1, abs(exact))


# -- stencils and steps ----------------------------------------------------------------
@given(strategies.stencils(max_n=3, max_points=6))
def test_stencils_respect_the_limits(stencil):
    assert 0 <= stencil.n <= 3 and stencil.n + 1 <= stencil.size <= 6
    assert all(isinstance(o, int) and abs(o) <= 6 for o in stencil.offsets)


@given(strategies.stencils())
def test_stencil_moments_reproduce_the_derivative(stencil):
    # Independent of Fornberg's recurrence: sum_j w_j o_j^m / m! = [m == n] for m < size.
    for m in range(stencil.size):
        moment = sum(Fraction(w) * Fraction(o) ** m
                     for o, w in zip(stencil.offsets, stencil.exact_weights)) / factorial(m)
        assert moment == (1 if m == stencil.n else 0)


def test_stencils_shrink_to_the_smallest_grid():
    found = find(strategies.stencils(), lambda s: s.n == 2)
    assert found.size == 3 and found.n == 2


@given(strategies.steps(min_value=1e-8, max_value=1e-2))
def test_steps_lie_in_the_range(step):
    assert 1e-8 <= step <= 1e-2


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_steps_spread_over_decades():
    exponents = {int(np.floor(np.log10(s))) for s in
                 [strategies.steps(min_value=1e-8, max_value=1.0).example() for _ in range(60)]}
    assert len(exponents) >= 4


def test_functions_constant_lists_the_unary_functions():
    assert set(FUNCTIONS) == {"exp", "log", "sqrt", "sin", "cos", "tanh", "atan"}


@pytest.mark.tf
def test_tensorflow_value_keeps_float_dtype_with_integer_constants():
    tf = pytest.importorskip("tensorflow")
    expr = Expression("sin(cos(2)) + 3*x", DOMAIN)
    for dtype in (tf.float32, tf.float64):
        value = expr.tensorflow(tf.constant([0.5, 1.0], dtype=dtype))
        assert value.dtype == dtype
        np.testing.assert_allclose(value.numpy(), expr.numpy([0.5, 1.0]),
                                   rtol=1e-6 if dtype == tf.float32 else 1e-15)
    constant = Expression("2", DOMAIN).tensorflow(tf.constant([[1.0, 2.0]], tf.float64))
    assert constant.shape == (1, 2) and constant.dtype == tf.float64

"""Expressions from the command line: a whitelisted tree, nothing else runs."""

import builtins
import math
import pickle
import time

import numpy as np
import pytest
from cli_run import assert_usage_error, run
from skips import needs

from finitediff.cli.exact import exact_derivatives
from finitediff.cli.expressions import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    ExpressionError,
    parse_expression,
)

MARKER = "MARKER"

#: Each would run code, read attributes or cost without bound if it were evaluated.
MALICIOUS = [
    f"__import__('os').system('touch {MARKER}')",
    f"open('{MARKER}', 'w')",
    f"exec(\"open('{MARKER}', 'w')\")",
    f"eval(\"open('{MARKER}', 'w')\")",
    "().__class__.__bases__[0].__subclasses__()",
    "x.real",
    "sin.__globals__",
    "x[0]",
    "(lambda: 1)()",
    "[x for x in (1, 2)]",
    "{x for x in (1, 2)}",
    "(x for x in (1, 2))",
    "{'a': x}",
    "(x, x)",
    "'text'",
    "f'{x}'",
    "x if x else 1",
    "x < 1",
    "x and x",
    "not x",
    "~x",
    "x % 2",
    "x // 2",
    "x @ x",
    "(y := 1)",
    "sin(x=1)",
    "sin(*[x])",
    "sin(x, x)",
    "sinn(x)",
    "globals()",
    "__builtins__",
    "True",
    "1j * x",
    "1e400 * x",
    "1" * 400 + " * x",
    "9**9**9",
    "10**10**10 * x",
    "2**(10**400)",
    "x**100000",
    "(" * 500 + "x" + ")" * 500,
    "-" * 150 + "x",
    "x + " * 300 + "x",
]


@pytest.mark.parametrize("text", MALICIOUS)
def test_refused_expressions_exit_2_and_run_nothing(text, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "derivative", text, "--at", "1")
    assert_usage_error(status, out, err)
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize("text", MALICIOUS)
def test_refused_expressions_cost_nothing(text):
    start = time.perf_counter()
    with pytest.raises(ExpressionError):
        parse_expression(text)
    assert time.perf_counter() - start < 0.5


def _forbid_eval_and_exec(monkeypatch):
    """eval and exec of source text raise; code objects (module imports) still run."""
    import scipy.special  # noqa: F401 - its import builds dataclasses from text: import first

    for name in ("eval", "exec"):
        original = getattr(builtins, name)

        def guarded(source, *args, _original=original, **kwargs):
            if isinstance(source, (str, bytes)):
                raise AssertionError(f"source text was evaluated: {source!r}")
            return _original(source, *args, **kwargs)

        monkeypatch.setattr(builtins, name, guarded)


def test_the_parser_never_calls_eval_or_exec(monkeypatch):
    _forbid_eval_and_exec(monkeypatch)
    expr = parse_expression("log(x + 2) * sin(pi * x) ** 2 - erf(x) / 3")
    x = np.array([0.3, 1.5])
    expected = np.log(x + 2) * np.sin(np.pi * x) ** 2 - np.array([math.erf(v) for v in x]) / 3
    np.testing.assert_allclose(expr(x), expected, rtol=1e-15)


@needs("testing")
def test_exact_values_are_found_without_eval_or_exec(monkeypatch, capsys):
    import sympy  # noqa: F401 - imported before eval and exec are forbidden

    _forbid_eval_and_exec(monkeypatch)
    status, out, _ = run(capsys, "derivative", "log(x + 2) * erf(x)", "--at", "1", "--n", "0-2")
    assert status == 0
    assert "n/a" not in out


@pytest.mark.parametrize(("text", "message"), [
    ("sinn(x)", "unknown function 'sinn'"),
    ("x.real", "attribute access"),
    ("x[0]", "subscripts"),
    ("(lambda: 1)()", "only named functions can be called"),
    ("lambda: 1", "lambda"),
    ("[x for x in (1,)]", "comprehensions"),
    ("9**9**9", "exponent"),
    ("x**1001", "exponent"),
    ("(" * 41 + "x" + ")" * 41, "nests brackets 41 deep"),
    ("x" + " " * MAX_LENGTH, f"at most {MAX_LENGTH}"),
    ("-" * (MAX_DEPTH + 1) + "x", f"more than {MAX_DEPTH} levels"),
    ("sin", "sin is a function"),
    ("x +", "not valid syntax"),
    ("", "empty"),
    ("_x", "must not start with '_'"),
    ("1e400", "a number in the expression overflows float64"),
    ("9" * 400, "a number in the expression overflows float64"),
    ("x * y", "the variables x, y"),
])
def test_refusals_name_what_is_wrong(text, message):
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace("*", r"\*")):
        parse_expression(text)


def test_unknown_names_are_refused_when_the_variables_are_declared():
    with pytest.raises(ExpressionError, match="unknown name 'y': the variables are x"):
        parse_expression("x * y", ("x",))


def test_a_constant_exponent_up_to_the_limit_is_accepted():
    assert parse_expression("x**1000")(np.array([1.0])) == 1.0


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_evaluates_like_its_numpy_counterpart(name):
    x = np.array([0.5, 1.5])  # inside the domain of each function at one point at least
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = FUNCTIONS[name](x)
    np.testing.assert_array_equal(parse_expression(f"{name}(x)")(x), expected)


def test_several_variables_are_read_from_the_last_axis():
    expr = parse_expression("x**2 * y", ("x", "y"))
    points = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(expr(points), [2.0, 36.0])


def test_a_constant_expression_has_the_shape_of_the_points():
    assert parse_expression("2 * pi")(np.zeros((3, 2))).shape == (3, 2)


def test_expressions_pickle_by_their_text():
    expr = parse_expression("exp(-t) * t", ("t",))
    again = pickle.loads(pickle.dumps(expr))
    assert (again.text, again.variables) == ("exp(-t) * t", ("t",))
    assert again(np.array(2.0)) == expr(np.array(2.0))


@needs("testing")
@pytest.mark.parametrize("text", ["9**(9**(x - x + 9))", "x**(x - x + 1001)",
                                  "((x - x + 3)**999)**(x - x - 100)"])
def test_a_huge_power_hidden_behind_cancellation_is_refused_before_sympy_builds_it(text):
    # sympy simplifies x - x + 9 to 9 and would then compute 9**387420489 exactly
    start = time.perf_counter()
    with pytest.raises(ExpressionError, match="exponent|too large"):
        exact_derivatives(parse_expression(text), [1.0], [()])
    assert time.perf_counter() - start < 5


@needs("testing")
def test_a_huge_power_that_numpy_finds_finite_exits_2(capsys):
    status, out, err = run(capsys, "derivative", "((x - x + 3)**999)**(x - x - 100)", "--at", "1")
    assert_usage_error(status, out, err, "too large")

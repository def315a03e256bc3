"""`finitediff derivative`: estimates within their bounds of the exact values, exit codes, JSON."""

import math
import sys

import pytest
from cli_run import assert_usage_error, run, strict_json
from skips import needs

from finitediff.cli import exact


def log_derivative(n: int, x: float) -> float:
    """d^n/dx^n log(x + 2), in closed form."""
    return math.log(x + 2) if n == 0 else (-1) ** (n - 1) * math.factorial(n - 1) / (x + 2) ** n


def results(capsys, *argv):
    status, out, err = run(capsys, "derivative", *argv, "--json")
    return status, strict_json(out)["results"]


@needs("testing")
def test_orders_0_to_4_hold_the_exact_value_within_their_error_bound(capsys):
    status, rows = results(capsys, "log(x + 2)", "--at", "1", "--n", "0-4")
    assert status == 0
    assert [row["label"] for row in rows] == ["f", "df/dx", "d2f/dx2", "d3f/dx3", "d4f/dx4"]
    for n, row in enumerate(rows):
        exact_value = log_derivative(n, 1.0)
        assert row["exact"] == pytest.approx(exact_value, rel=1e-15, abs=1e-300)
        assert row["success"] and row["status"] == "success"
        assert abs(row["estimate"] - exact_value) <= row["error"]
        assert row["true_error"] == abs(row["estimate"] - row["exact"])


@needs("testing")
def test_the_table_shows_each_order_with_its_exact_value(capsys):
    status, out, err = run(capsys, "derivative", "log(x + 2)", "--at", "1", "--n", "0-2")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("derivatives of log(x + 2) at x = 1")
    rows = {line.split()[0]: line.split() for line in lines[3:]}
    assert set(rows) == {"f", "df/dx", "d2f/dx2"}
    assert float(rows["d2f/dx2"][3]) == pytest.approx(-1 / 9, rel=1e-14)
    assert rows["d2f/dx2"][-1] == "success"


@needs("testing")
def test_gradient_and_hessian_of_two_variables_match_the_closed_forms(capsys):
    e2 = math.exp(2)
    expected = {"df/dx": 4 + 2 * e2, "df/dy": 1 + e2,
                "d2f/dx2": 4 + 4 * e2, "d2f/dxdy": 2 + 3 * e2, "d2f/dy2": e2}
    for flag in ("--gradient", "--hessian"):
        status, rows = results(capsys, "x**2*y + exp(x*y)", "--at", "x=1,y=2", flag)
        assert status == 0
        for row in rows:
            assert row["exact"] == pytest.approx(expected[row["label"]], rel=1e-15)
            assert abs(row["estimate"] - row["exact"]) <= row["error"]
    assert {row["label"] for row in rows} == {"d2f/dx2", "d2f/dxdy", "d2f/dy2"}


@needs("testing")
def test_a_kink_exits_1_and_has_no_exact_derivative(capsys):
    status, out, err = run(capsys, "derivative", "abs(x - 1)", "--at", "1")
    assert status == 1
    assert "kink" in out and "exact n/a: abs(x - 1) has a kink at this point" in out
    assert "not trusted: n = 1:" in out


def test_a_point_outside_the_domain_exits_2(capsys):
    status, out, err = run(capsys, "derivative", "log(x)", "--at", "-1")
    assert_usage_error(status, out, err, "log(x) is nan at x = -1",
                       "outside the function's domain")


@pytest.mark.parametrize(("argv", "fragment"), [
    (["x", "--at", "1.2.3"], "'1.2.3' is not a number"),
    (["x", "--at", "nan"], "'nan' is not a number"),
    (["x", "--at", "1e999"], "out of the float64 range"),
    (["x", "--at", "x=1,x=2"], "x is given twice"),
    (["x*y", "--at", "x=1"], "unknown name 'y'"),
    (["x", "--at", "1", "--n", "11"], "above the highest"),
    (["x", "--at", "1", "--n", "3-1"], "empty"),
    (["x", "--at", "1", "--method", "complex", "--n", "2"], "complex"),
    (["x", "--at", "1", "--accuracy", "3"], "accuracy"),
    (["x", "--at", "1", "--scale", "-1"], "must be positive"),
    (["x", "--at", "1", "--gradient", "--hessian"], "not allowed with"),
    (["x"], "--at"),
])
def test_bad_arguments_exit_2_naming_the_problem(capsys, argv, fragment):
    status, out, err = run(capsys, "derivative", *argv)
    assert status == 2 and out == "" and "Traceback" not in err
    assert fragment in err


def test_a_value_starting_with_a_dash_is_not_taken_for_an_option(capsys):
    status, out, _ = run(capsys, "derivative", "-x**3", "--at", "-1e-1", "--json")
    assert status == 0
    row = strict_json(out)["results"][0]
    assert abs(row["estimate"] + 3 * (-0.1) ** 2) <= row["error"]


def test_without_sympy_the_estimates_stay_and_the_exact_value_names_the_extra(
        capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)
    status, rows = results(capsys, "sin(x)", "--at", "0.5")
    assert status == 0
    assert rows[0]["exact"] is None
    assert "pip install 'finitediff[testing]'" in rows[0]["exact_note"]
    assert abs(rows[0]["estimate"] - math.cos(0.5)) <= rows[0]["error"]


@needs("testing")
def test_exact_values_give_up_at_the_time_limit(capsys, monkeypatch):
    monkeypatch.setattr(exact, "TIME_LIMIT", 1e-3)
    status, rows = results(capsys, "exp(sin(exp(cos(x))))", "--at", "0.5", "--n", "0-6")
    assert status == 0
    assert any("sympy took longer than" in (row["exact_note"] or "") for row in rows)


@needs("testing")
def test_json_is_strict_when_values_are_not_finite(capsys):
    status, rows = results(capsys, "sqrt(x)", "--at", "0")
    assert status == 1
    assert rows[0]["exact"] is None and rows[0]["status"] != "success"

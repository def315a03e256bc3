"""The speed benchmark (benchmarks/speed.py): its counts, exact answers and verdicts."""

import ast
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize._numdiff import approx_derivative

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks/ is not installed

from benchmarks.speed import (  # noqa: E402
    CASES,
    FD,
    SCIPY_3,
    Counted,
    Measured,
    Trial,
    _share,
    best_of,
    format_target,
    measure,
    scored,
)

COMPLEX_STEP = 1e-30


def complex_step_jacobian(f, x):
    """∂f/∂x_j = Im f(x + i·h·e_j) / h, exact to rounding for f analytic: (m, d), or
    (d,) for a scalar f."""
    points = x + 1j * COMPLEX_STEP * np.eye(x.size)
    return np.imag(f(points)).T / COMPLEX_STEP


def test_counted_f_counts_calls_and_points_of_a_batch():
    counted = Counted(lambda x: np.sum(x, axis=-1), point_size=3)
    counted(np.ones((5, 3)))
    counted(np.ones(3))
    assert (counted.calls, counted.points) == (2, 6)


def test_counted_elementwise_f_counts_every_value_as_a_point():
    counted = Counted(np.sin)
    counted(np.ones((4, 7)))
    assert (counted.calls, counted.points) == (1, 28)


def test_scipy_three_point_gradient_costs_two_calls_per_component_and_one():
    measured = measure(CASES["loop"].build(16, SCIPY_3))
    assert (measured.calls, measured.points) == (33, 33)
    assert measured.per == pytest.approx(33 / 16)


def test_time_inside_f_is_part_of_the_time():
    def slow_sum(x):
        time.sleep(0.005)
        return np.sum(x)

    counted = Counted(slow_sum, 2)
    point = np.ones(2)
    trial = Trial(lambda: approx_derivative(counted, point), counted,
                  lambda: np.ones(2), elements=2, point=point)
    measured = measure(trial)
    assert 5 * 0.005 <= measured.in_f <= measured.seconds


def test_derivative_case_exact_answer_matches_the_complex_step():
    trial = CASES["derivative"].build(50, FD)
    reference = np.imag(trial.counted.f(trial.point + 1j * COMPLEX_STEP)) / COMPLEX_STEP
    np.testing.assert_allclose(trial.exact(), reference, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("key", ["rosenbrock", "jacobian"])
def test_vector_case_exact_answer_matches_the_complex_step(key):
    trial = CASES[key].build(12, FD)
    reference = complex_step_jacobian(trial.counted.f, trial.point)
    np.testing.assert_allclose(trial.exact(), reference.reshape(trial.exact().shape),
                               rtol=1e-13, atol=1e-13)


def test_sparse_case_exact_entries_match_the_complex_step_on_the_pattern():
    trial = CASES["sparse"].build(9, FD)
    reference = complex_step_jacobian(trial.counted.f, trial.point)
    rows, cols = np.nonzero(np.abs(np.eye(9, k=-1)) + np.eye(9) + np.eye(9, k=1))
    order = np.lexsort((cols, rows))  # the CSR order of the pattern
    np.testing.assert_allclose(trial.exact(), reference[rows[order], cols[order]], rtol=1e-14)
    assert np.count_nonzero(reference) == rows.size  # nothing off the tridiagonal


def test_hessian_case_exact_answer_matches_differences_of_complex_step_gradients():
    trial = CASES["hessian10"].build(6, FD)
    x, h = trial.point, 1e-5

    def gradient(point):  # f is scalar: one value per point, (d,)
        return complex_step_jacobian(trial.counted.f, point)

    columns = [(gradient(x + h * e) - gradient(x - h * e)) / (2 * h) for e in np.eye(x.size)]
    np.testing.assert_allclose(trial.exact(), np.array(columns).T, rtol=1e-8, atol=1e-8)


def test_score_counts_entries_within_their_reported_error():
    score = scored([1.0, 2.0, 3.5], [0.1, 0.1, 0.1], [True, True, False], [1.0, 2.05, 3.0])
    assert score["within"] == pytest.approx(2 / 3)
    assert score["success"] == pytest.approx(2 / 3)
    assert score["error"] == pytest.approx(0.5 / 3.0)


def test_rounds_keep_the_best_time_and_the_highest_peak():
    first = Measured(seconds=2.0, in_f=1.5, calls=7, peak=100.0)
    kept = best_of(first, Measured(seconds=1.0, in_f=0.5, calls=7, peak=120.0))
    assert (kept.seconds, kept.in_f, kept.peak, kept.calls) == (1.0, 0.5, 120.0, 7)
    kept = best_of(first, Measured(seconds=3.0, in_f=2.5, calls=7, peak=90.0))
    assert (kept.seconds, kept.in_f, kept.peak) == (2.0, 1.5, 100.0)
    assert not best_of(first, Measured(failure="timeout")).ok


def test_share_is_never_rounded_up_to_all():
    assert _share(1.0) == "100%"
    assert _share(1 - 1e-5) == "99.999%"
    assert _share(None) == "–"


@pytest.mark.parametrize("calls, word", [(121, "MET"), (122, "NOT MET")])
def test_vectorized_false_target_is_six_calls_per_input_and_25(calls, word):
    rows = {FD: Measured(seconds=1.0, calls=calls), SCIPY_3: Measured(seconds=1.0, calls=33)}
    line = format_target(CASES["loop"], rows, 16)
    assert line.split(": ")[-1].startswith(f"{word} (")


def test_a_failed_row_misses_its_target_and_says_why():
    rows = {FD: Measured(failure="MemoryError: too big"), SCIPY_3: Measured(seconds=1.0)}
    assert "NOT MET (MemoryError: too big)" in format_target(CASES["jacobian"], rows, 2000)


def test_hessian_target_needs_ten_times_every_peer():
    rows = {FD: Measured(seconds=1.0), "numdifftools.Hessian": Measured(seconds=30.0),
            "scipy.differentiate.hessian": Measured(seconds=9.0)}
    assert "NOT MET" in format_target(CASES["hessian10"], rows, 10)
    rows["scipy.differentiate.hessian"] = Measured(seconds=10.0)
    assert ": MET" in format_target(CASES["hessian10"], rows, 10)


def test_quick_run_prints_every_row_and_a_verdict_per_case(capsys):
    from benchmarks.speed import main

    main(["--quick"])
    out = capsys.readouterr().out
    for case in CASES.values():
        assert case.title.format(size=case.quick) in out
        for method in case.methods:
            row = next(line for line in out.splitlines() if line.startswith(f"  {method} "))
            if not method.startswith("numdifftools"):  # a peer of the bench extra
                assert "Error" not in row and "timeout" not in row, row
    assert out.count("  target: ") == len(CASES)


@pytest.mark.parametrize("name", ["speed.py", "keras_gradient.py"])
def test_benchmark_uses_the_public_api_only(name):
    tree = ast.parse((ROOT / "benchmarks" / name).read_text())
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    assert {m for m in modules if m.startswith("finitediff")} <= {"finitediff", "finitediff.tf"}

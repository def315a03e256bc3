"""The derivative checker on numpy callables with grad= / hess= (no TensorFlow)."""

import json

import numpy as np
import pytest

import finitediff.check.judge as judge_module
from finitediff import (
    CheckReport,
    DerivativeMismatchError,
    FiniteDiffError,
    check_derivatives,
)
from finitediff.check import FindingKind, Verdict
from finitediff.check.estimates import Estimate, JacobianOf
from finitediff.testing import assert_gradients_match

X = np.array([0.5, 1.0, 2.0])


def f(x):
    return np.sum(np.sin(x) * x, axis=-1)


def grad(x):
    return np.cos(x) * x + np.sin(x)


def hess(x):
    return np.diag(2 * np.cos(x) - x * np.sin(x))


def wrong_in(index, relative, function=grad):
    """``function`` with entry ``index`` off by ``relative``."""
    def wrong(x):
        value = np.array(function(x), dtype=float)
        value[index] *= 1 + relative
        return value
    return wrong


def vector_f(x):
    return np.stack([x[..., 0] * x[..., 1], np.exp(x[..., 1]), np.sin(x[..., 0])], axis=-1)


def vector_jacobian(x):
    return np.array([[x[1], x[0]], [0.0, np.exp(x[1])], [np.cos(x[0]), 0.0]])


# -- verdicts ----------------------------------------------------------------------
def test_a_correct_gradient_passes_with_every_entry_agreeing():
    report = check_derivatives(f, X, grad=grad)
    assert report.passed
    assert [e.verdict for e in report.entries] == [Verdict.AGREE] * 3
    assert not report.findings


@pytest.mark.parametrize("relative", [1e-3, 1e-5, 1e-7, -1e-7])
def test_a_gradient_wrong_in_one_entry_is_caught_and_named_first(relative):
    report = check_derivatives(f, X, grad=wrong_in(1, relative))
    assert not report.passed
    worst = report.entries[0]
    assert (worst.label, worst.verdict) == ("df/dx[1]", Verdict.MISMATCH)
    assert [e.verdict for e in report.entries[1:]] == [Verdict.AGREE] * 2


def test_each_entry_reports_the_smallest_relative_bug_it_could_detect():
    report = check_derivatives(f, X, grad=grad)
    for entry in report.entries:
        assert entry.detectable == pytest.approx(
            (entry.tolerance + entry.error) / abs(entry.autodiff))
        assert entry.detectable < 1e-9  # a smooth float64 function: far below 1e-7


def test_the_tolerance_covers_the_error_bound_and_the_rounding_of_the_value():
    report = check_derivatives(f, X, grad=grad)
    for entry in report.entries:
        assert entry.tolerance >= 2 * entry.error
        assert entry.tolerance >= 16 * np.finfo(float).eps * abs(entry.autodiff)
        assert abs(entry.finite_difference - grad(X)[entry.index[1]]) <= entry.error


def test_rtol_and_atol_replace_the_derived_tolerance():
    loose = check_derivatives(f, X, grad=wrong_in(1, 1e-7), rtol=1e-6)
    assert loose.passed
    for entry in loose.entries:
        assert entry.tolerance == pytest.approx(1e-6 * abs(entry.autodiff))
    strict = check_derivatives(f, X, grad=wrong_in(1, 1e-7), atol=1e-12)
    assert [e.label for e in strict.mismatches] == ["df/dx[1]"]


def test_a_user_tolerance_below_the_error_bound_leaves_entries_unresolved():
    report = check_derivatives(f, X, grad=grad, atol=1e-300)
    assert {e.verdict for e in report.entries} <= {Verdict.UNRESOLVED, Verdict.AGREE}
    assert report.unresolved and not report.passed


def test_a_jacobian_of_a_vector_function_is_checked_entry_by_entry():
    x = np.array([0.3, -0.7])
    assert check_derivatives(vector_f, x, grad=vector_jacobian).passed
    report = check_derivatives(vector_f, x, grad=lambda p: vector_jacobian(p) + np.array(
        [[0, 0], [0, 1e-6], [0, 0]]))
    assert [e.label for e in report.mismatches] == ["df[1]/dx[1]"]
    assert len(report.entries) == 6


def test_a_function_taking_one_point_at_a_time_is_checked_with_vectorized_false():
    report = check_derivatives(lambda x: float(np.sum(np.sin(x) * x)), X, grad=grad,
                               vectorized=False)
    assert report.passed


def test_a_stationary_point_agrees_rather_than_staying_undecided():
    report = check_derivatives(lambda x: np.sum(x**2, axis=-1), [0.0, 0.0],
                               grad=lambda x: 2 * x)
    assert report.passed
    assert all(e.verdict is Verdict.AGREE for e in report.entries)


# -- second derivatives ------------------------------------------------------------
def test_a_correct_hessian_passes_checked_against_the_gradient():
    report = check_derivatives(f, X, grad=grad, hess=hess, orders=(1, 2))
    assert report.passed
    assert sorted({e.order for e in report.entries}) == [1, 2]
    assert len([e for e in report.entries if e.order == 2]) == 9


def test_a_hessian_wrong_in_one_mixed_entry_is_caught():
    def wrong(x):
        h = hess(x) + np.outer([1, 0, 0], [0, 1, 0]) * 1e-7
        return h + h.T - np.diag(np.diag(h))  # the mixed pair (0, 1) and (1, 0)
    report = check_derivatives(f, X, grad=grad, hess=wrong, orders=(2,))
    assert sorted(e.label for e in report.mismatches) == ["d2f/dx[0]dx[1]", "d2f/dx[1]dx[0]"]


def test_a_hessian_without_a_gradient_is_checked_against_second_differences_of_f():
    assert check_derivatives(f, X, hess=hess, orders=(2,)).passed
    report = check_derivatives(f, X, hess=lambda x: hess(x) * (1 + 1e-6), orders=(2,))
    assert {e.label for e in report.mismatches} == {
        "d2f/dx[0]dx[0]", "d2f/dx[1]dx[1]", "d2f/dx[2]dx[2]"}


# -- findings ------------------------------------------------------------------
def test_a_kink_is_reported_and_does_not_fail_the_check():
    report = check_derivatives(lambda x: np.sum(np.abs(x), axis=-1), [0.0, 1.0], grad=np.sign)
    assert report.passed
    (finding,) = report.findings
    assert finding.kind is FindingKind.KINK and not finding.fails
    entry = next(e for e in report.entries if e.label == "df/dx[0]")
    assert "-1 (backward) and 1 (forward)" in entry.note
    assert "between them" in entry.note


def test_a_value_outside_the_one_sided_derivatives_at_a_kink_is_undecided_not_failed():
    report = check_derivatives(lambda x: np.sum(np.abs(x), axis=-1), [0.0, 1.0],
                               grad=lambda x: np.sign(x) + 3.0 * (x == 0))
    entry = next(e for e in report.entries if e.label == "df/dx[0]")
    assert entry.verdict is Verdict.UNRESOLVED and "outside them" in entry.note
    assert report.passed  # a kink is not a failure, whatever autodiff returns there


@pytest.mark.parametrize("seed", range(6))
def test_noise_in_f_never_raises_a_false_alarm(seed):
    rng = np.random.default_rng(seed)

    def noisy(x):
        return np.sum(np.sin(x), axis=-1) + 1e-7 * rng.standard_normal(x.shape[0])

    report = check_derivatives(noisy, rng.uniform(-2, 2, 4), grad=np.cos)
    assert not report.mismatches


def test_an_abnormally_small_error_bound_is_caught_by_the_second_estimate(monkeypatch):
    full = JacobianOf.full

    def too_small(self):  # the engine's bound, pretended a million times too small
        estimate = full(self)
        return Estimate(estimate.df, estimate.error * 1e-6, estimate.step, estimate.status)

    monkeypatch.setattr(JacobianOf, "full", too_small)
    report = check_derivatives(f, X, grad=grad)
    assert not report.mismatches


def test_without_the_second_estimate_the_same_bound_would_raise_a_false_alarm(monkeypatch):
    full = JacobianOf.full
    monkeypatch.setattr(JacobianOf, "full", lambda self: Estimate(
        *(lambda e: (e.df, e.error * 1e-6, e.step, e.status))(full(self))))
    monkeypatch.setattr(judge_module, "_confirm", lambda *args: None)
    assert check_derivatives(f, X, grad=grad).mismatches  # so the previous test is not vacuous


def test_an_entry_the_estimate_cannot_resolve_is_unresolved_and_fails():
    rng = np.random.default_rng(0)

    def very_noisy(x):
        return np.sum(np.sin(x), axis=-1) + 1e-3 * rng.standard_normal(x.shape[0])

    report = check_derivatives(very_noisy, X, grad=np.cos)
    assert not report.mismatches
    assert report.unresolved and not report.passed
    assert all(e.note.startswith("undecided") for e in report.unresolved)
    with pytest.raises(DerivativeMismatchError, match="unresolved"):
        report.raise_if_failed()


# -- the report ----------------------------------------------------------------
def test_str_prints_a_table_worst_first_with_every_column():
    text = str(check_derivatives(f, X, grad=wrong_in(2, 1e-5)))
    lines = text.splitlines()
    assert lines[0].startswith("derivative check FAILED")
    header = lines[1].split()
    assert header[:3] == ["order", "entry", "given"] and header[-3:] == [
        "tolerance", "verdict", "step"]
    assert "df/dx[2]" in lines[2] and "mismatch" in lines[2]


def test_to_dict_is_json_serialisable_and_keeps_every_entry():
    report = check_derivatives(lambda x: np.sum(x**2, axis=-1), [0.0, 1.0],
                               grad=lambda x: 2 * x + np.array([0, 1e-3]))
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["passed"] is False and data["counts"]["mismatch"] == 1
    assert {e["label"] for e in data["entries"]} == {"df/dx[0]", "df/dx[1]"}
    assert data["entries"][0]["verdict"] == "mismatch"
    assert data["entries"][1]["detectable"] is None  # autodiff 0: no relative bug to state


def test_raise_if_failed_names_order_entry_values_step_and_tolerance():
    report = check_derivatives(f, X, grad=wrong_in(1, 1e-6))
    entry = report.mismatches[0]
    with pytest.raises(DerivativeMismatchError) as raised:
        report.raise_if_failed()
    message = str(raised.value)
    for piece in ("order 1", "df/dx[1]", repr(entry.autodiff), repr(entry.finite_difference),
                  f"step {entry.step:.3g}", f"tolerance {entry.tolerance:.3g}"):
        assert piece in message


def test_a_mismatch_error_is_an_assertion_error_and_a_finitediff_error():
    assert issubclass(DerivativeMismatchError, AssertionError)
    assert issubclass(DerivativeMismatchError, FiniteDiffError)


def test_a_passing_report_raises_nothing():
    report = check_derivatives(f, X, grad=grad)
    assert isinstance(report, CheckReport)
    report.raise_if_failed()


def test_assert_gradients_match_returns_the_report_or_raises_an_assertion_error():
    assert assert_gradients_match(f, X, grad=grad).passed
    with pytest.raises(AssertionError, match=r"df/dx\[0\]: mismatch"):
        assert_gradients_match(f, X, grad=wrong_in(0, 1e-6))


# -- directional mode ------------------------------------------------------------
@pytest.fixture(scope="module")
def wide():
    """A scalar function of 300 inputs with a dense Hessian."""
    d = 300
    a = np.random.default_rng(3).normal(size=(d, d)) / np.sqrt(d)
    x = np.random.default_rng(4).normal(size=d)

    def value(p):
        return np.sum(np.tanh(p @ a.T), axis=-1)

    def gradient(p):
        return a.T @ (1 - np.tanh(a @ p) ** 2)

    def hessian(p):
        t = np.tanh(a @ p)
        return a.T @ (np.diag(-2 * t * (1 - t**2)) @ a)

    return value, gradient, hessian, x


def test_directional_mode_passes_a_correct_gradient_and_hessian(wide):
    value, gradient, hessian, x = wide
    report = check_derivatives(value, x, grad=gradient, hess=hessian, orders=(1, 2),
                               mode="directional", seed=0)
    assert report.passed
    assert [e.label for e in report.entries if e.order == 1] in (["v'Ju #0", "v'Ju #1"],
                                                                 ["v'Ju #1", "v'Ju #0"])


def test_directional_mode_names_the_faulty_entry_by_bisection(wide):
    value, gradient, _, x = wide
    report = check_derivatives(value, x, grad=wrong_in(137, 1e-6, gradient),
                               mode="directional", seed=0)
    named = [e for e in report.mismatches if "bisection" in e.note]
    assert [e.label for e in named] == ["df/dx[137]"]
    assert named[0].autodiff == pytest.approx(gradient(x)[137] * (1 + 1e-6), rel=1e-12)
    assert named[0].finite_difference == pytest.approx(gradient(x)[137], rel=1e-9)


def test_directional_mode_names_a_wrong_mixed_hessian_entry(wide):
    value, gradient, hessian, x = wide

    def wrong(p):
        h = hessian(p)
        h[5, 200] += 1e-5
        return h

    report = check_derivatives(value, x, grad=gradient, hess=wrong, orders=(2,),
                               mode="directional", seed=1)
    assert "d2f/dx[5]dx[200]" in [e.label for e in report.mismatches]


def test_directional_cost_does_not_grow_with_the_input_dimension():
    costs = []
    for d in (10, 1000):
        scale = np.linspace(0.5, 1.5, d)
        report = check_derivatives(lambda x, s=scale: np.sum(np.sin(x * s), axis=-1),
                                   np.full(d, 0.3), grad=lambda x, s=scale: s * np.cos(x * s),
                                   mode="directional", seed=1)
        assert report.passed
        costs.append(report.nfev)
    assert costs[0] == costs[1]


def test_directional_mode_is_reproducible_from_its_seed(wide):
    value, gradient, _, x = wide
    run = [check_derivatives(value, x, grad=gradient, mode="directional", seed=s).to_dict()
           for s in (7, 7, 8)]
    assert run[0] == run[1] and run[0] != run[2]


# -- arguments ----------------------------------------------------------------
@pytest.mark.parametrize("options, error, match", [
    ({"orders": (3,)}, ValueError, "`orders` may hold 1"),
    ({"orders": ()}, TypeError, "`orders` must be a non-empty tuple"),
    ({"mode": "fast"}, ValueError, "`mode` must be one of"),
    ({"rtol": -1.0}, ValueError, "`rtol` must be non-negative"),
    ({"atol": "1e-8"}, TypeError, "`atol` must be None or a non-negative float"),
    ({"wrt": "weights"}, ValueError, "`wrt` must be None"),
    ({"seed": 1.5}, TypeError, "`seed` must be None, an int"),
    ({"directions": 0}, ValueError, "`directions` must be >= 1"),
    ({"grad": 3.0}, TypeError, "`grad` must be None or a callable"),
    ({"vectorized": "yes"}, TypeError, "`vectorized` must be a bool"),
])
def test_bad_arguments_are_named(options, error, match):
    with pytest.raises(error, match=match):
        check_derivatives(f, X, **{"grad": grad, **options})


def test_a_numpy_function_without_grad_is_refused_with_the_reason():
    with pytest.raises(TypeError, match="`grad` is required: f is a numpy callable"):
        check_derivatives(f, X)


def test_order_two_of_a_vector_function_is_refused():
    with pytest.raises(ValueError, match="order 2 needs a scalar f"):
        check_derivatives(vector_f, [0.3, 0.4], grad=vector_jacobian,
                          hess=lambda x: np.eye(2), orders=(2,))


def test_directional_order_two_needs_the_gradient():
    with pytest.raises(TypeError, match="pass `grad` as well as `hess`"):
        check_derivatives(f, X, hess=hess, orders=(2,), mode="directional")


def test_a_gradient_of_the_wrong_shape_is_named():
    with pytest.raises(ValueError, match="`grad` must return 3 values"):
        check_derivatives(f, X, grad=lambda x: np.zeros(2))


def test_a_non_finite_x_is_refused():
    with pytest.raises(ValueError, match="`x` must be finite"):
        check_derivatives(f, [0.0, np.nan], grad=grad)


def test_directional_mode_reads_the_faulty_output_off_the_jvp():
    x = np.array([0.3, -0.7])
    report = check_derivatives(vector_f, x, grad=lambda p: vector_jacobian(p) + np.array(
        [[0, 0], [0, 1e-6], [0, 0]]), mode="directional", seed=2)
    assert [e.label for e in report.mismatches if "bisection" in e.note] == ["df[1]/dx[1]"]

"""Step-size sweeps of numpy functions: the V-curve, its regions, the fit, the records."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

import finitediff as fd
from finitediff import Stencil
from finitediff.sweeps import REGIONS, SweepResult


def log2(x):
    return np.log(x + 2.0)


#: Exact derivatives of log(x + 2): (-1)^(k-1) (k-1)! / (x + 2)^k.
def log2_derivative(k: int, x: float = 1.0) -> float:
    return (-1) ** (k - 1) * math.factorial(k - 1) / (x + 2.0) ** k


class Counting:
    """A vectorized function that records how many points each call received."""

    def __init__(self, f=log2):
        self.f = f
        self.sizes: list[int] = []

    def __call__(self, x):
        self.sizes.append(np.size(x))
        return self.f(x)


@pytest.fixture(scope="module")
def seed() -> SweepResult:
    """The seed example: log(x + 2) at 1, n = 2, against the exact derivative."""
    return fd.sweep(log2, 1.0, n=2, reference=log2_derivative(2))


# -- what the issue asks to show ------------------------------------------------
def test_seed_central2_optimum_lies_between_1e5_and_1e3_with_error_below_1e8(seed):
    best = {o.method: o for o in seed.best()}["central2"]
    assert 1e-5 < best.step < 1e-3
    assert best.error <= 1e-8


def test_seed_central2_fitted_slopes_are_2_and_minus_2_within_their_uncertainty(seed):
    fit = seed.fit().get("central2")
    assert abs(fit.truncation.slope - 2) <= 0.3
    assert abs(fit.roundoff.slope + 2) <= 0.5
    assert abs(fit.truncation.slope - fit.truncation.theory_slope) <= fit.truncation.uncertainty
    assert abs(fit.roundoff.slope - fit.roundoff.theory_slope) <= fit.roundoff.uncertainty
    assert fit.truncation.agrees and fit.roundoff.agrees


def test_every_default_method_of_the_seed_agrees_with_theory_on_both_arms(seed):
    for fit in seed.fit():
        assert fit.truncation.agrees, fit
        assert fit.roundoff.agrees, fit
        assert fit.truncation.uncertainty < 0.3 and fit.roundoff.uncertainty < 1.0


def test_fitted_truncation_constant_matches_theory_within_a_factor_of_two(seed):
    # theory: |C|·|f^(n+p)(x)| with C from Stencil.error_coefficient and f^(n+p) from the
    # adaptive engine (orders up to 8, a few digits suffice); here against the exact one
    for fit, method in zip(seed.fit(), seed.methods):
        exact = abs(float(method.error_coefficient)) * abs(
            log2_derivative(method.truncation_order))
        assert fit.truncation.theory_constant == pytest.approx(exact, rel=1e-4)
        assert 0.5 < fit.truncation.constant / exact < 2, fit.method


def test_roundoff_theory_is_an_upper_level_of_the_measured_roundoff(seed):
    # ε·Σ|w|·|f| / h^n bounds the rounding of the values: the fitted arm lies below it
    for fit in seed.fit():
        assert fit.roundoff.constant < fit.roundoff.theory_constant, fit.method


def test_predicted_optimal_step_is_stencil_optimal_step_with_the_true_scales(seed):
    fit = seed.fit().get("central4")
    expected = Stencil.central(2, 4).optimal_step(f_scale=math.log(3),
                                                  derivative_scale=abs(log2_derivative(6)))
    assert fit.predicted_step == pytest.approx(expected, rel=1e-5)  # f^(6) is estimated
    assert fit.predicted_step / 10 < fit.measured_step < fit.predicted_step * 10


# -- defaults -------------------------------------------------------------------
def test_default_methods_are_central_2_4_6_and_forward_1(seed):
    assert seed.method_names == ("central2", "central4", "central6", "forward1")


def test_default_methods_add_the_complex_step_for_a_first_derivative():
    result = fd.sweep(np.sin, 0.5, reference=math.cos(0.5))
    assert result.method_names[-1] == "complex"
    best = {o.method: o for o in result.best()}
    assert best["complex"].error <= 2e-16


def test_complex_step_is_left_out_when_f_drops_the_imaginary_part():
    result = fd.sweep(lambda x: np.sin(np.real(x)), 0.5, reference=math.cos(0.5))
    assert "complex" not in result.method_names


def test_asking_for_the_complex_step_of_a_real_only_f_is_refused():
    with pytest.raises(ValueError, match="complex step needs f to accept complex input"):
        fd.sweep(lambda x: np.sin(np.real(x)), 0.5, methods=["complex"], reference=1.0)


def test_default_steps_reach_roundoff_and_truncation_for_every_method(seed):
    for m, method in enumerate(seed.methods):
        regions = set(seed.region[0, m])
        assert {"roundoff", "truncation"} <= regions, method.name


def test_default_steps_are_8_per_decade_relative_to_x():
    small = fd.sweep(log2, 1.0, n=2, methods=["central2"], reference=-1 / 9)
    large = fd.sweep(lambda x: np.log(x + 2e3), 1e3, n=2, methods=["central2"], reference=0.0)
    ratios = small.step[0, 0, 1:] / small.step[0, 0, :-1]
    assert np.allclose(ratios, 10 ** (1 / 8), rtol=1e-6)
    assert np.allclose(large.step[0, 0] / small.step[0, 0], 1e3, rtol=1e-6)


def test_steps_given_are_absolute_and_rounded_to_the_step_taken():
    steps = [1e-4, 2.0**-10, 1e-2]
    result = fd.sweep(log2, 1.0, n=2, steps=steps, methods=["central2"], reference=-1 / 9)
    taken = [(1.0 + h) - 1.0 for h in sorted(steps)]
    assert result.step[0, 0].tolist() == taken
    assert taken[1] == 2.0**-10 and taken[0] != 1e-4


# -- how f is called ------------------------------------------------------------
def test_a_vectorized_f_is_called_once_for_the_whole_grid():
    f = Counting()
    result = fd.sweep(f, 1.0, n=2, reference=-1 / 9)
    assert result.calls == 1
    # every distinct point once: offsets ±1..±3 at every step cover all four stencils,
    # and x itself is one point for all of them
    steps = result.step.shape[2]
    assert f.sizes[-1] == 6 * steps + 1


def test_a_complex_step_method_costs_one_more_call():
    result = fd.sweep(np.sin, 0.5, reference=math.cos(0.5))
    assert result.calls == 2


def test_estimates_equal_the_stencil_applied_by_hand(seed):
    h = seed.step[0, 0]
    by_hand = (log2(1.0 - h) - 2 * log2(1.0) + log2(1.0 + h)) / h**2
    assert np.array_equal(seed.estimate[0, 0], by_hand)


def test_any_stencil_is_a_method_with_exact_weights():
    stencil = Stencil([-1, 0, 2], n=1)
    result = fd.sweep(log2, 1.0, methods=[stencil], reference=1 / 3)
    assert result.method_names == ("stencil(-1,0,2)",)
    h = result.step[0, 0]
    w = [float(Fraction(w)) for w in stencil.exact_weights]
    by_hand = (w[0] * log2(1.0 - h) + w[1] * log2(1.0) + w[2] * log2(1.0 + 2 * h)) / h
    assert np.allclose(result.estimate[0, 0], by_hand, rtol=0, atol=1e-15 / h)


def test_unvectorized_f_gives_the_same_records():
    vectorized = fd.sweep(log2, 1.0, n=2, methods=["central4"], reference=-1 / 9)
    looped = fd.sweep(lambda x: math.log(x + 2.0), 1.0, n=2, methods=["central4"],
                      reference=-1 / 9, vectorized=False)
    assert vectorized.records == looped.records


# -- points, directions, references -----------------------------------------------
def test_many_points_are_swept_each_against_its_own_reference():
    x = np.array([0.0, 1.0, 5.0])
    result = fd.sweep(np.exp, x, methods=["central2"], reference=np.exp)
    assert result.step.shape[:2] == (3, 1)
    assert np.array_equal(result.reference, np.exp(x))
    for optimum in result.best():
        assert optimum.error / np.exp(x[optimum.point]) < 1e-9


def test_directional_derivative_along_a_direction():
    def f(points):
        return np.sum(np.sin(points), axis=-1)

    x, v = np.array([0.3, 0.7]), np.array([1.0, 2.0])
    exact = math.cos(0.3) + 2 * math.cos(0.7)
    result = fd.sweep(f, x, direction=v, methods=["central4"], reference=exact)
    assert result.best()[0].error < 1e-11
    assert result.fit().get("central4").truncation.agrees


def test_auto_reference_is_the_adaptive_estimate_with_its_error():
    result = fd.sweep(log2, 1.0, n=2, methods=["central2"])
    assert result.reference_kind == "estimate"
    assert abs(result.reference[0] + 1 / 9) <= result.reference_error[0] < 1e-9


def test_callable_reference_is_exact():
    result = fd.sweep(np.sin, [0.1, 0.2], methods=["central2"], reference=np.cos)
    assert result.reference_kind == "exact"
    assert np.array_equal(result.reference, np.cos([0.1, 0.2]))


# -- records, regions, CSV ----------------------------------------------------------
def test_records_are_tidy_rows_with_the_error_and_relative_error(seed):
    records = seed.records
    assert len(records) == seed.step.size
    row = records[0]
    assert row.method == "central2" and row.point == 0
    assert row.error == abs(row.estimate + 1 / 9)
    assert row.relative_error == pytest.approx(row.error * 9, rel=1e-15)
    assert {r.region for r in records} <= set(REGIONS)


def test_regions_run_roundoff_then_balanced_then_truncation(seed):
    order = {"roundoff": 0, "balanced": 1, "truncation": 2}
    for m in range(len(seed.methods)):
        ranks = [order[r] for r in seed.region[0, m]]
        assert ranks == sorted(ranks)


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
def test_nonfinite_estimates_are_invalid():
    # log(x) at 0.5: the central stencils reach below 0 at the largest steps
    result = fd.sweep(np.log, 0.5, methods=["central6"], reference=2.0)
    invalid = result.region[0, 0] == "invalid"
    assert invalid.any()
    assert not np.isfinite(result.estimate[0, 0][invalid]).any()


def test_to_csv_writes_every_record_exactly(seed, tmp_path):
    path = tmp_path / "sweep.csv"
    seed.to_csv(path)
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == len(seed.records)
    for row, record in zip(rows, seed.records):
        assert float(row["step"]) == record.step and float(row["error"]) == record.error
        assert row["method"] == record.method and row["region"] == record.region


def test_best_is_not_a_lucky_cancellation_deep_in_roundoff():
    result = fd.sweep(log2, 1.0, methods=["central2"], reference=1 / 3)
    assert np.any(result.error[0, 0][result.step[0, 0] < 1e-7] == 0)  # lucky zeros exist
    assert 1e-6 < result.best()[0].step < 1e-4


def test_fit_table_has_a_row_per_method(seed):
    table = seed.fit().table()
    assert table.count("\n| 0 | ") == len(seed.methods)
    assert "central2" in table and "(2)" in table and "(-2)" in table


# -- arguments ---------------------------------------------------------------------
@pytest.mark.parametrize(("options", "error", "match"), [
    ({"n": 0}, ValueError, "`n` must be >= 1"),
    ({"steps": [1e-3, -1e-3]}, ValueError, "`steps` must be positive"),
    ({"steps": [1e-3, 1e-3]}, ValueError, "`steps` must be distinct"),
    ({"methods": ["central3"]}, ValueError, "`accuracy` of a central stencil must be even"),
    ({"methods": ["simpson"]}, TypeError, "`methods` entries must be a Stencil"),
    ({"methods": [Stencil.central(2)]}, ValueError, "stencil of order 2, but the sweep"),
    ({"reference": "exact"}, ValueError, "`reference` must be 'auto'"),
    ({"reference": [1.0, 2.0]}, ValueError, r"`reference` must hold one value per point \(1\)"),
    ({"methods": 3}, TypeError, "`methods` must be a sequence"),
    ({"workers": "many"}, ValueError, "`workers` must be None or 1.*got the string 'many'"),
    ({"workers": 0}, ValueError, "`workers` must be None or 1.*got 0"),
    ({"workers": 2.5}, TypeError, "`workers` must be None or 1.*of type float"),
    ({"progress": "yes"}, TypeError, "`progress` must be None, True or False"),
    ({"chunk_size": 0}, ValueError, "`chunk_size` must be >= 1"),
    ({"direction": [0.0, 0.0]}, ValueError, "`direction` must be a non-zero vector"),
    ({"direction": [1.0, 0.0, 0.0]}, ValueError, r"`x` must have shape \(3,\)"),
    ({"scale": -1.0}, ValueError, "`scale` must be positive"),
    ({"checkpoint": 3}, TypeError, "`checkpoint` must be a path"),
])
def test_bad_arguments_are_refused_with_a_message_naming_them(options, error, match):
    with pytest.raises(error, match=match):
        fd.sweep(np.sin, 0.5, **{"reference": 1.0, **options})


def test_f_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match="`f` must be callable"):
        fd.sweep(3.0, 0.5)


def test_f_returning_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="one value per point"):
        fd.sweep(lambda x: np.ones(3), 0.5, methods=["central2"], reference=1.0)


# -- the package -----------------------------------------------------------------------
def test_sweep_is_a_public_function():
    assert callable(fd.sweep) and "sweep" in fd.__all__


def test_import_loads_no_plotting_progress_sqlite_or_tensorflow():
    heavy = ("matplotlib", "tqdm", "sqlite3", "tensorflow", "keras", "distributed", "dask")
    code = f"import sys, finitediff\nprint([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_progress_bar_is_shown_when_asked(capsys):
    pytest.importorskip("tqdm")
    fd.sweep(log2, 1.0, n=2, methods=["central2"], reference=-1 / 9, chunk_size=4,
             progress=True)
    assert "sweep" in capsys.readouterr().err


def test_no_progress_bar_for_a_quick_sweep(capsys):
    fd.sweep(log2, 1.0, n=2, methods=["central2"], reference=-1 / 9, chunk_size=4)
    assert capsys.readouterr().err == ""


def test_slope_uncertainties_cover_theory_without_being_vacuous():
    # 25 points, 4 methods, 2 arms: the uncertainties are calibrated if nearly every
    # slope lies within its uncertainty of the theory while the uncertainties stay small
    x = np.linspace(0.0, 3.0, 25)
    result = fd.sweep(log2, x, n=2, reference=lambda x: -1 / (x + 2) ** 2)
    arms = [arm for fit in result.fit() for arm in (fit.truncation, fit.roundoff)]
    agree = sum(arm.agrees for arm in arms)
    assert agree >= 0.95 * len(arms)
    assert np.median([fit.roundoff.uncertainty for fit in result.fit()]) < 0.3
    assert np.median([fit.truncation.uncertainty for fit in result.fit()]) < 0.1


def test_the_optimum_is_the_smallest_mean_over_five_neighbouring_steps():
    from finitediff.sweeps.regions import optimum_index

    errors = np.array([1.0, 0.0, 1.0, 1.0, 1.0, 0.2, 0.1, 0.2, 0.3, 5.0])
    assert optimum_index(errors) == (6, pytest.approx(0.36))  # not the lucky 0 at 1
    assert optimum_index(np.array([3.0, 2.0, np.nan])) == (1, 2.5)
    assert optimum_index(np.array([np.nan, np.nan]))[0] == -1

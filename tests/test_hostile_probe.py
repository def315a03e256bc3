"""The hostile probe's cases, references and verdicts (benchmarks/hostile*.py)."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from skips import skip_without

skip_without("testing")  # the probe's references are mpmath's
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is not installed

import mpmath as mp  # noqa: E402

from benchmarks.hostile import Outcome, judge, main  # noqa: E402
from benchmarks.hostile_cases import FAMILIES, Case, draw_cases, reference  # noqa: E402
from finitediff import DerivativeResult  # noqa: E402


def test_draw_is_deterministic_for_a_seed_and_differs_between_seeds():
    first = draw_cases(0, 3)
    assert len(first) == 3 * len(FAMILIES)
    assert [c.one_liner() for c in first] == [c.one_liner() for c in draw_cases(0, 3)]
    assert [c.one_liner() for c in first] != [c.one_liner() for c in draw_cases(1, 3)]


@pytest.mark.parametrize("f_mp, x, n, exact", [
    (mp.sin, 1e300, 1, math.cos(1e300)),  # libm reduces the argument exactly
    (lambda t: mp.exp(-t), -1.96e-230, 2, 1.0),  # tiny x, unit-scale function
    (lambda t: t**3, 1.9e270, 2, 6 * 1.9e270),  # huge values, huge x
    (mp.log, 1e-300, 1, 1e300),  # a singularity 1e-300 away
], ids=["sin-1e300", "exp-tiny-x", "cube-huge-x", "log-1e-300"])
def test_reference_matches_closed_forms(f_mp, x, n, exact):
    assert reference(f_mp, x, n) == pytest.approx(exact, rel=1e-12)


def test_bump_reference_is_the_analytic_derivative():
    x = 1 + 5e-5
    with mp.workdps(50):
        t = (mp.mpf(x) - 1) / mp.mpf(1e-4)
        exact = float(-2 * t / mp.mpf(1e-4) * mp.exp(-t * t))
    assert reference(lambda s: mp.exp(-((s - 1) / mp.mpf(1e-4)) ** 2), x, 1) == \
        pytest.approx(exact, rel=1e-14)


def _outcome(df, error, success, exact):
    result = DerivativeResult(df=np.asarray(df), error=np.asarray(error), step=np.ones(1),
                              nfev=1, success=np.asarray(success), status=np.asarray(0),
                              message="")
    outcome = Outcome(Case("test", "derivative", "np.sin", 0.0, exact), result)
    judge(outcome)
    return outcome


def test_a_success_outside_its_bound_is_a_violation():
    assert _outcome(1.0, 1e-3, True, 1.01).violations == 1
    assert _outcome(1.0, 2e-2, True, 1.01).violations == 0


def test_a_success_where_no_derivative_exists_is_a_violation():
    assert _outcome(0.0, 1e300, True, math.nan).violations == 1


def test_a_failure_is_never_a_violation():
    outcome = _outcome(0.0, 1e-3, False, 5.0)
    assert outcome.violations == 0 and outcome.failures == 1


def test_probe_prints_a_row_per_family_and_the_violations(capsys):
    main(["--seed", "0", "--cases", "1", "--no-peers"])
    out = capsys.readouterr().out
    for family in FAMILIES:
        assert family in out
    assert "violations (success=True, |df - exact| > error)" in out

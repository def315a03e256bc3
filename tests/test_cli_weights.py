"""`finitediff weights`: exact rational weights and error coefficients (Fornberg's tables)."""

import pytest
from cli_run import run, strict_json


def weights(capsys, *argv):
    status, out, err = run(capsys, "weights", *argv, "--json")
    assert status == 0, err
    return strict_json(out)


@pytest.mark.parametrize(("argv", "offsets", "expected", "accuracy", "coefficient"), [
    # Fornberg (1988), table 1, and the leading terms of the Taylor expansion
    (["--n", "2", "--accuracy", "4"], [-2, -1, 0, 1, 2],
     ["-1/12", "4/3", "-5/2", "4/3", "-1/12"], 4, "-1/90"),
    (["--n", "1"], [-1, 0, 1], ["-1/2", "0", "1/2"], 2, "1/6"),
    (["--n", "1", "--accuracy", "2", "--forward"], [0, 1, 2], ["-3/2", "2", "-1/2"], 2, "-1/3"),
    (["--n", "1", "--backward"], [-1, 0], ["-1", "1"], 1, "-1/2"),
    (["--n", "1", "--offsets", "-1/2,1/2"], ["-1/2", "1/2"], ["-1", "1"], 2, "1/24"),
])
def test_weights_accuracy_and_error_coefficient_are_exact(capsys, argv, offsets, expected,
                                                          accuracy, coefficient):
    found = weights(capsys, *argv)
    assert found["offsets"] == offsets
    assert found["weights"] == expected
    assert found["accuracy"] == accuracy
    assert found["error_coefficient"] == coefficient


def test_the_table_prints_rationals_and_their_float64_values(capsys):
    status, out, _ = run(capsys, "weights", "--n", "2", "--accuracy", "4")
    assert status == 0
    assert "-1/12  -0.083333333333333329" in out
    assert "accuracy 4: error ~ C f^(6)(x) h^4, C = -1/90" in out


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--offsets", "0,0"], "distinct"),
    (["--offsets", "1/0"], "divides by zero"),
    (["--offsets", "a,b"], "'a' is not a number"),
    (["--n", "2", "--offsets", "0,1"], "at least n + 1 = 3 points"),
    (["--n", "2", "--accuracy", "3"], "must be even"),
    (["--offsets", "-1,1", "--accuracy", "2"], "--accuracy cannot be combined"),
    (["--offsets", ",".join(map(str, range(40)))], "at most 32 points"),
    (["--forward", "--backward"], "not allowed with"),
    (["--n", "x"], "not a derivative order"),
])
def test_bad_stencils_exit_2_naming_the_problem(capsys, argv, fragment):
    status, out, err = run(capsys, "weights", *argv)
    assert status == 2 and out == "" and "Traceback" not in err
    assert fragment in err

"""The package as a user meets it: a light import and the command line."""

import math
import re
import subprocess
import sys

import finitediff
from finitediff.cli import main

HEAVY = ("tensorflow", "keras", "matplotlib", "dask", "sympy")


def test_import_does_not_load_heavy_libraries():
    code = (
        "import sys, finitediff\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_are_exported():
    for name in finitediff.__all__:
        assert hasattr(finitediff, name), name


def test_cli_example_prints_every_order_within_its_error(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "log(x + 2)" in out
    rows = [line.split() for line in out.splitlines() if re.match(r"^\s*\d\s", line)]
    exact = [math.log(3), 1 / 3, -1 / 9, 2 / 27, -2 / 27]
    assert [int(r[0]) for r in rows] == [0, 1, 2, 3, 4]
    for row in rows:
        n, estimate, shown_exact, error_estimate = int(row[0]), *map(float, row[1:3]), float(row[4])
        assert abs(shown_exact - exact[n]) <= 1e-14
        # the printed estimate has 15 digits: allow for that rounding
        assert abs(estimate - exact[n]) <= error_estimate + 1e-14


def test_cli_reports_bad_arguments_without_a_traceback(capsys):
    assert main(["--accuracy", "3"]) == 2
    assert "`accuracy`" in capsys.readouterr().err

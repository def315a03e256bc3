"""`finitediff` with no arguments: network, engine and autodiff side by side, then a sweep."""

import contextlib
import io
import math
import re
import shutil
import sys
from pathlib import Path

import pytest
from cli_run import run, strict_json
from skips import needs

from finitediff.cli.example import exact_value

EXACT = [math.log(3), 1 / 3, -1 / 9, 2 / 27, -2 / 27]


def test_the_closed_form_is_the_known_series():
    assert [exact_value(n, 1.0) for n in range(5)] == pytest.approx(EXACT, rel=1e-15)


def _remove_plot(out: str) -> None:
    """Delete the temporary folder the example saved its plot in."""
    found = re.search(r"^plot: (.*)$", out, flags=re.M)
    if found:
        shutil.rmtree(Path(found.group(1)).parent)


def _rows(out: str) -> dict[tuple[int, str], list[str]]:
    """(n, source) -> the cells of that row of the table."""
    rows, n = {}, None
    for line in out.splitlines():
        found = re.match(r"^(\d)?\s+(exact|difference network|adaptive engine|TF autodiff)\s+"
                         r"(.*)$", line)
        if found:
            n = int(found.group(1)) if found.group(1) else n
            rows[(n, found.group(2))] = found.group(3).split()
    return rows


def test_without_tensorflow_the_engine_part_runs_and_the_extra_is_named(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    status, out, err = run(capsys)
    _remove_plot(out)
    assert status == 0, err
    rows = _rows(out)
    assert {source for _, source in rows} == {"exact", "adaptive engine"}
    for n in range(5):
        estimate, error, true_error = map(float, rows[(n, "adaptive engine")][:3])
        assert abs(estimate - EXACT[n]) <= error + 1e-15 * abs(EXACT[n])  # 15 printed digits
    assert "pip install 'finitediff[tf]'" in out
    assert "Step sweep of the derivative of order 2" in out


@pytest.fixture(scope="module")
def seed_json(tmp_path_factory):
    """The example with TensorFlow, as JSON (run once)."""
    pytest.importorskip("tensorflow", reason="needs tensorflow: pip install 'finitediff[tf]'")
    from finitediff.cli import main

    plot = tmp_path_factory.mktemp("example") / "sweep.png"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(["--json", "--plot", str(plot)])
    return status, strict_json(stdout.getvalue()), plot


@needs("tf")
def test_every_source_gives_each_order_within_its_error(seed_json):
    status, found, _ = seed_json
    assert status == 0 and found["trusted"] and found["tensorflow"] is None
    for row, exact in zip(found["orders"], EXACT):
        assert row["exact"] == pytest.approx(exact, rel=1e-15)
        for source in ("network", "engine"):
            entry = row[source]
            assert abs(entry["estimate"] - exact) <= entry["error"], (row["n"], source)
        assert row["autodiff"]["estimate"] == pytest.approx(exact, rel=1e-14)


@needs("tf")
def test_the_network_evaluates_the_model_once_for_all_orders(seed_json):
    _, found, _ = seed_json
    assert {row["network"]["evals"] for row in found["orders"]} == {10}  # 5 points at h and 2h
    assert len({row["network"]["step"] for row in found["orders"]}) == 1


@needs("tf")
def test_the_sweep_plot_is_saved_where_asked(seed_json):
    _, found, plot = seed_json
    assert found["sweep"]["plot"] == str(plot)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    truncation = {m["method"]: m["truncation"] for m in found["sweep"]["methods"]}
    assert abs(truncation["central2"]["slope"] - 2) <= truncation["central2"]["uncertainty"]


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--x", "-3"], "above -2"),
    (["--accuracy", "3"], "must be even"),
    (["--max-order", "x"], "not a derivative order"),
    (["--x", "abc"], "not a number"),
])
def test_bad_example_options_exit_2(capsys, argv, fragment):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "" and fragment in err

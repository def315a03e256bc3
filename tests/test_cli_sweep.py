"""`finitediff sweep`: optimum and fitted slopes per method, plot, CSV, checkpoint, workers."""

import csv
import sys

import pytest
from cli_run import assert_usage_error, run, strict_json
from skips import needs

ARGS = ("sweep", "log(x + 2)", "--at", "1", "--n", "2")


def sweep_json(capsys, *extra):
    status, out, err = run(capsys, *ARGS, *extra, "--json")
    assert status == 0, err
    return strict_json(out)


@needs("testing")
def test_slopes_agree_with_the_theory_against_the_exact_reference(capsys):
    found = sweep_json(capsys)
    assert found["reference"] == pytest.approx(-1 / 9, rel=1e-15)
    assert found["reference_kind"] == "exact, sympy"
    methods = {m["method"]: m for m in found["methods"]}
    assert set(methods) == {"central2", "central4", "central6", "forward1"}
    for method in methods.values():
        arm = method["truncation"]
        assert abs(arm["slope"] - arm["theory"]) <= arm["uncertainty"], method["method"]
        assert method["roundoff"]["theory"] == -2
    assert 1e-5 < methods["central2"]["optimal_step"] < 1e-3
    assert methods["central2"]["error_at_optimum"] < 1e-8


@needs("testing")
def test_the_table_lists_each_method_with_its_slopes(capsys):
    status, out, _ = run(capsys, *ARGS)
    assert status == 0
    assert "reference -0.111111111111111 (exact, sympy)" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("central2")]
    assert len(rows) == 1 and rows[0][-1] != "n/a"
    assert "(2)" in rows[0] and "(-2)" in rows[0]


@needs("plot")
def test_plot_and_csv_are_written(capsys, tmp_path):
    png, table = tmp_path / "sweep.png", tmp_path / "sweep.csv"
    found = sweep_json(capsys, "--plot", str(png), "--csv", str(table))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(table) as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == found["steps"] * len(found["methods"])
    assert {row["method"] for row in rows} == {m["method"] for m in found["methods"]}


def test_a_rerun_from_the_checkpoint_calls_f_no_more(capsys, tmp_path):
    checkpoint = str(tmp_path / "sweep.db")
    first = sweep_json(capsys, "--checkpoint", checkpoint)
    again = sweep_json(capsys, "--checkpoint", checkpoint)
    assert first["calls"] > 0 and again["calls"] == 0
    assert again["methods"] == first["methods"]


def test_local_processes_give_the_same_rows(capsys, tmp_path):
    serial, parallel = tmp_path / "serial.csv", tmp_path / "parallel.csv"
    sweep_json(capsys, "--csv", str(serial))
    sweep_json(capsys, "--csv", str(parallel), "--workers", "2")
    assert serial.read_bytes() == parallel.read_bytes()


@needs("dask")
def test_a_dask_scheduler_gives_the_same_rows(capsys, tmp_path):
    from distributed import LocalCluster

    serial, remote = tmp_path / "serial.csv", tmp_path / "remote.csv"
    sweep_json(capsys, "--csv", str(serial))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        sweep_json(capsys, "--csv", str(remote), "--scheduler", cluster.scheduler_address)
    assert serial.read_bytes() == remote.read_bytes()


@pytest.mark.parametrize(("argv", "fragment"), [
    (["sweep", "x*y", "--at", "x=1,y=2"], "one variable"),
    (["sweep", "x", "--at", "1", "--methods", "central3"], "central3: central stencils"),
    (["sweep", "x", "--at", "1", "--methods", "os.system"], "'os.system' is not a method"),
    (["sweep", "x", "--at", "1", "--scheduler", "nonsense"], "tcp://host:8786"),
    (["sweep", "x", "--at", "1", "--workers", "0"], "not a positive integer"),
    (["sweep", "x", "--at", "1", "--workers", "2", "--scheduler", "tcp://a:1"],
     "not allowed with"),
])
def test_bad_sweeps_exit_2_naming_the_problem(capsys, argv, fragment):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "" and "Traceback" not in err
    assert fragment in err


def test_a_plot_without_matplotlib_names_the_extra_before_sweeping(capsys, monkeypatch,
                                                                    tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, out, err = run(capsys, *ARGS, "--plot", str(tmp_path / "p.png"))
    assert_usage_error(status, out, err, "pip install 'finitediff[plot]'")

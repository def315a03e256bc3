"""The installed console script and ``python -m finitediff``, in fresh processes."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_run import run, strict_json
from skips import needs

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL_MODULES = ("tensorflow", "keras", "sympy", "mpmath", "matplotlib", "hypothesis",
                    "tqdm", "dask", "distributed")


def _script() -> str:
    """The ``finitediff`` console script of this interpreter's environment."""
    found = shutil.which("finitediff", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the finitediff console script is not installed: pip install -e .")
    return found


def _run(command, cwd=ROOT, timeout=120) -> subprocess.CompletedProcess:
    # this tree's package first, whichever copy the script was installed from
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_the_script_prints_its_version():
    import finitediff

    completed = _run([_script(), "--version"])
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"finitediff {finitediff.__version__}"


@pytest.mark.parametrize("command", ["example", "derivative", "weights", "sweep", "check"])
def test_every_command_has_help_with_an_example(command, capsys):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    usage, examples = out.split("examples:")
    assert usage.startswith(f"usage: finitediff {command}")
    assert examples.strip().startswith("finitediff")


def test_the_help_lists_the_commands_and_the_exit_status(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0
    for command in ("example", "derivative", "weights", "sweep", "check"):
        assert f"    {command}" in out
    assert "exit status: 0 success, 1 an estimate is not trustworthy or a check failed" in out


def test_a_malicious_expression_exits_2_from_the_script_and_runs_nothing(tmp_path):
    completed = _run([_script(), "derivative", "__import__('os').system('touch MARKER')",
                      "--at", "1"], cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.startswith("finitediff: error: only named functions can be called")
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "MARKER").exists()


def test_python_dash_m_runs_the_same_command_line():
    completed = _run([sys.executable, "-m", "finitediff", "weights", "--n", "2", "--json"])
    assert completed.returncode == 0
    assert strict_json(completed.stdout)["weights"] == ["1", "-2", "1"]


def test_usage_errors_exit_2_with_the_usage_on_stderr():
    completed = _run([_script(), "derivative", "x"])
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "the following arguments are required: --at" in completed.stderr


@needs("testing")
def test_an_untrustworthy_estimate_exits_1_from_the_script():
    completed = _run([_script(), "derivative", "abs(x)", "--at", "0", "--json"])
    assert completed.returncode == 1
    assert strict_json(completed.stdout)["results"][0]["status"] == "kink"


def test_importing_the_command_line_and_running_weights_loads_no_optional_library():
    code = ("import sys\nfrom finitediff.cli import main\n"
            "main(['weights', '--n', '1'])\n"
            f"print([m for m in {OPTIONAL_MODULES!r} if m in sys.modules])")
    completed = _run([sys.executable, "-c", code])
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-1] == "[]"


@needs("tf")
@needs("plot")
def test_the_no_argument_run_finishes_within_a_minute(tmp_path):
    start = time.perf_counter()
    completed = _run([_script()], cwd=tmp_path, timeout=120)
    elapsed = time.perf_counter() - start
    assert completed.returncode == 0, completed.stderr
    assert elapsed < 60
    for source in ("difference network", "adaptive engine", "TF autodiff"):
        assert completed.stdout.count(source) == 5
    plot = Path(completed.stdout.splitlines()[-1].removeprefix("plot: "))
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shutil.rmtree(plot.parent)


def test_on_a_core_install_the_example_runs_and_names_each_missing_extra():
    code = (f"import sys\nfor m in {OPTIONAL_MODULES!r}: sys.modules[m] = None\n"
            "from finitediff.cli import main\nsys.exit(main([]))")
    completed = _run([sys.executable, "-c", code])
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.count("adaptive engine") == 5
    assert not re.search(r"^\s+(TF autodiff|difference network)\s+-?\d", completed.stdout,
                         flags=re.M)  # no rows from the TensorFlow sources
    assert "pip install 'finitediff[tf]'" in completed.stdout
    assert "plot not drawn: the plot needs matplotlib: pip install 'finitediff[plot]'" in \
        completed.stdout

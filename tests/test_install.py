"""What ``pip install finitediff`` brings, and what each extra adds.

The core is numpy and scipy. Each optional part checks its extra when first
used and names it in the ImportError; finitediff/extras.py lists the modules
of each extra, setup.cfg the requirements, and the two must agree.
"""

import configparser
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from finitediff.extras import EXTRAS

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL_MODULES = sorted(module for modules in EXTRAS.values() for module in modules)


def _requirements(section: str, key: str) -> list[Requirement]:
    """The requirements setup.cfg lists under `key` of `section`."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return [Requirement(line) for line in config[section][key].split("\n") if line.strip()]


def _extras_require() -> dict[str, list[Requirement]]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return {extra: _requirements("options.extras_require", extra)
            for extra in config["options.extras_require"]}


def _without_optional_modules(code: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter where no optional module can be imported."""
    block = f"import sys\nfor m in {OPTIONAL_MODULES!r}: sys.modules[m] = None\n"
    return subprocess.run([sys.executable, "-c", block + code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_core_requires_numpy_and_scipy_only():
    assert sorted(req.name for req in _requirements("options", "install_requires")) == [
        "numpy", "scipy"]


def _installed_from_this_tree() -> importlib.metadata.Distribution:
    """The installed distribution, if its metadata was built from this tree (else skip)."""
    try:
        distribution = importlib.metadata.distribution("finitediff")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("finitediff is not installed: pip install . to check its metadata")
    origin = json.loads(distribution.read_text("direct_url.json") or "{}").get("url")
    built_here = Path(distribution.locate_file("")).resolve() == ROOT  # in-tree egg-info
    if not built_here and origin != ROOT.as_uri():
        pytest.skip(f"the installed finitediff comes from {origin or 'an index'}, not {ROOT}")
    return distribution


def test_installed_metadata_requires_numpy_and_scipy_only_unconditionally():
    requirements = [Requirement(line) for line in _installed_from_this_tree().requires or []]
    unconditional = sorted(req.name for req in requirements if req.marker is None)
    assert unconditional == ["numpy", "scipy"], (
        f"the installed metadata requires {unconditional}: built before setup.cfg changed? "
        "pip install -e . again")


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_each_extra_installs_the_modules_finitediff_checks_for(extra):
    assert sorted(req.name for req in _extras_require()[extra]) == sorted(EXTRAS[extra])


def test_all_extra_is_every_optional_part():
    extras = _extras_require()
    every_part = {str(req) for extra in EXTRAS for req in extras[extra]}
    assert {str(req) for req in extras["all"]} == every_part


def test_test_extra_holds_only_the_test_runner_and_linter():
    assert sorted(req.name for req in _extras_require()["test"]) == ["pytest", "ruff"]


def test_core_install_differentiates_and_star_imports():
    completed = _without_optional_modules(
        "import numpy as np\n"
        "from finitediff import *\n"
        "res = derivative(np.sin, 1.0)\n"
        "print(bool(abs(res.df - np.cos(1.0)) <= res.error), Stencil.central(1).accuracy)"
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["True", "2"]


def test_help_works_and_dir_advertises_only_what_resolves_on_a_core_install():
    completed = _without_optional_modules(
        "import pydoc, finitediff, finitediff.testing\n"
        "pydoc.render_doc(finitediff), pydoc.render_doc(finitediff.testing)\n"
        "print(sorted(set(dir(finitediff)) - set(finitediff.__all__)), dir(finitediff.testing))"
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == (
        "['__version__'] ['assert_derivative_close', 'assert_gradients_match']")


@pytest.mark.parametrize(("name", "extra"), [
    ("finitediff.difference_network", "tf"),
    ("finitediff.testing.strategies", "testing"),
    ("finitediff.testing.Expression", "testing"),
])
def test_an_optional_name_without_its_extra_raises_import_error_naming_it(name, extra):
    completed = _without_optional_modules(
        f"import finitediff, finitediff.testing\n"
        f"try:\n    {name}\n"
        f"except ImportError as error:\n    print(error)\n"
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(f"{name} needs ")
    assert f"pip install 'finitediff[{extra}]'" in completed.stdout


@pytest.mark.parametrize(("module", "extra"), [
    ("finitediff.tf.network", "tf"),
    ("finitediff.testing.strategies", "testing"),
    ("finitediff.testing.expressions", "testing"),
])
def test_importing_an_optional_module_without_its_extra_names_it(module, extra):
    completed = _without_optional_modules(f"import {module}")
    assert completed.returncode != 0
    assert completed.stderr.splitlines()[-1].startswith("ModuleNotFoundError: finitediff.")
    assert f"pip install 'finitediff[{extra}]'" in completed.stderr

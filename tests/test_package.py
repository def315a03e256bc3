"""The package as a user meets it: a light import, one list of public names.

The command line has its own tests: tests/test_cli_*.py.
"""

import inspect
import subprocess
import sys

from skips import needs

import finitediff
from finitediff.extras import EXTRAS

OPTIONAL_MODULES = sorted(module for modules in EXTRAS.values() for module in modules)


def test_import_does_not_load_optional_libraries():
    code = (
        "import sys, finitediff\n"
        f"print([m for m in {OPTIONAL_MODULES!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_star_import_binds_all_without_tensorflow():
    code = (
        "import sys as _sys\n"
        "from finitediff import *\n"
        "print(sorted(k for k in dir() if not k.startswith('_')), 'tensorflow' in _sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"{sorted(finitediff.__all__)} False"


def test_dir_advertises_all_and_the_version():
    assert set(finitediff.__all__) | {"__version__"} <= set(dir(finitediff))


@needs("tf")
def test_dir_advertises_the_tensorflow_names_where_tensorflow_is_installed():
    assert set(dir(finitediff)) == {*finitediff.__all__, *finitediff._TF_NAMES, "__version__"}


def test_internals_are_not_advertised():
    # submodules (calculus, adaptive, ...) and helpers imported by __init__ stay out of dir()
    for name in dir(finitediff):
        assert not name.startswith("_") or name == "__version__", name
    assert not {"calculus", "adaptive", "evaluate", "extras", "require_extra"} & set(
        dir(finitediff))


def test_every_advertised_name_resolves_to_a_documented_object_of_the_package():
    for name in dir(finitediff):
        obj = getattr(finitediff, name)
        if name == "__version__":
            continue
        assert not inspect.ismodule(obj), name
        assert obj.__module__.startswith("finitediff."), name
        assert inspect.getdoc(obj), name


@needs("tf")
def test_finitediff_tf_exports_exactly_its_public_names():
    import finitediff.tf as fdtf

    defined = {name for name, obj in vars(fdtf).items()
               if not name.startswith("_") and not inspect.ismodule(obj)
               and getattr(obj, "__module__", "").startswith("finitediff.tf.")}
    assert sorted(fdtf.__all__) == sorted(defined) == sorted(finitediff._TF_NAMES)


def test_every_folder_of_the_package_is_a_package():
    """setuptools' ``find:`` ships only folders with an ``__init__.py``."""
    from pathlib import Path

    root = Path(finitediff.__file__).parent
    folders = [p for p in root.rglob("*") if p.is_dir() and p.name != "__pycache__"]
    assert folders, "the package has subpackages"
    missing = [str(p.relative_to(root)) for p in folders if not (p / "__init__.py").exists()]
    assert missing == [], f"folders without __init__.py (not installed): {missing}"

"""`import finitediff` must not import TensorFlow or Keras; the TF names load on access."""

import subprocess
import sys
from pathlib import Path

import pytest
from skips import needs

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def test_import_finitediff_loads_no_tensorflow_or_keras():
    out = _run(
        "import sys, numpy as np, finitediff\n"
        "finitediff.derivative(np.sin, 1.0)\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    assert out == "[]"


@pytest.mark.tf
@needs("tf")
def test_tf_names_are_reachable_lazily_from_the_package():
    out = _run(
        "import sys, finitediff\n"
        "assert 'tensorflow' not in sys.modules\n"
        "net = finitediff.difference_network\n"
        "print(net.__module__, 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    assert out == "finitediff.tf.network True True"


def test_unknown_attribute_still_raises_attribute_error():
    import finitediff

    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        finitediff.no_such_name  # noqa: B018

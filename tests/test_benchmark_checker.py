"""The peers of the checker benchmark judge as they are documented to."""

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is not installed

from benchmarks.checker import (  # noqa: E402
    Case,
    _tf_scaled_identity,
    run_tf_compute_gradient,
    run_torch_style,
)

pytestmark = pytest.mark.tf


def _case(relative):
    import tensorflow as tf

    identity = _tf_scaled_identity(relative, 1, 3)
    return Case("sin", "bug", lambda x: tf.reduce_sum(tf.sin(identity(x)), axis=-1),
                np.array([0.3, 0.6, 0.9]))


@pytest.mark.parametrize("tool", [run_torch_style, run_tf_compute_gradient])
def test_a_peer_passes_a_right_gradient_and_flags_a_gross_bug(tool):
    assert not tool(_case(0.0)).flagged
    assert tool(_case(1e-2)).flagged


def test_the_torch_style_check_lets_through_what_its_rtol_allows():
    assert not run_torch_style(_case(5e-4)).flagged  # |a − n| <= 1e-5 + 1e-3·|n|

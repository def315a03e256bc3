"""The Keras gradient benchmark (benchmarks/keras_gradient.py): verdicts, per-round ratios."""

import sys
from pathlib import Path

from skips import skip_without

skip_without("tf")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is not installed

from benchmarks.keras_gradient import (  # noqa: E402
    AD_GRAPH,
    DEFAULT,
    MODEL_ALONE,
    default_verdicts,
    round_ratios,
)


def test_round_ratios_divide_each_round_by_its_own_autodiff_time():
    rounds = [{DEFAULT: 4.5, MODEL_ALONE: 3.0, AD_GRAPH: 0.5},
              {DEFAULT: 6.0, MODEL_ALONE: 3.6, AD_GRAPH: 0.4}]
    [line] = round_ratios(rounds)
    assert "the default 9.0 15.0;" in line
    assert "the model alone 6.0 9.0" in line


def test_verdict_needs_the_ratio_the_error_and_every_bound():
    met, slow, loose, unheld = (default_verdicts(*case, {"plain-graph": 1.0})[0] for case in (
        (9.9, 1e-11, 100, 100), (10.1, 1e-11, 100, 100), (9.9, 2e-10, 100, 100),
        (9.9, 1e-11, 99, 100)))
    assert ": MET (9.9×" in met
    assert all("NOT MET" in line for line in (slow, loose, unheld))

"""The figure of a sweep: saved when asked, returned, no window."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import finitediff as fd  # noqa: E402


@pytest.fixture(scope="module")
def result():
    return fd.sweep(lambda x: np.log(x + 2.0), 1.0, n=2, reference=-1 / 9)


def test_plot_returns_a_figure_with_an_overview_and_a_panel_per_method(result):
    from matplotlib.figure import Figure

    figure = result.plot()
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 1 + len(result.methods)
    overview = figure.axes[0]
    assert [line.get_label() for line in overview.get_legend().get_lines()] == list(
        result.method_names)
    assert overview.get_xscale() == "log" and overview.get_yscale() == "log"


def test_plot_saves_a_png_when_given_a_path(result, tmp_path):
    result.plot(tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_shades_the_regions_of_each_method(result):
    from matplotlib.patches import Polygon, Rectangle

    figure = result.plot()
    for ax, m in zip(figure.axes[1:], range(len(result.methods))):
        spans = [p for p in ax.patches if isinstance(p, (Polygon, Rectangle))]
        runs = 1 + np.count_nonzero(result.region[0, m][1:] != result.region[0, m][:-1])
        assert len(spans) == runs


def test_plot_of_a_point_that_does_not_exist_is_refused(result):
    with pytest.raises(ValueError, match="`point` must be an index below 1"):
        result.plot(point=3)


def test_plot_never_opens_a_window(result):
    loaded = "matplotlib.pyplot" in sys.modules
    figures = sys.modules["matplotlib.pyplot"].get_fignums() if loaded else None
    result.plot()
    if loaded:  # pyplot came from elsewhere: plot() registered no figure with it
        assert sys.modules["matplotlib.pyplot"].get_fignums() == figures
    else:
        assert "matplotlib.pyplot" not in sys.modules

"""The figure of a sweep (matplotlib, imported only here; never opens a window).

Top: every method's error against the step, log-log, its measured optimum
marked. Below, one panel per method: the regions shaded, the rows, the two
fitted arms (solid) and the theory's lines (dashed), the optimum marked.
"""

from __future__ import annotations

import math
import os

import numpy as np
from matplotlib.figure import Figure

from .fit import format_slope

__all__ = ["REGION_COLOURS", "plot_sweep"]

REGION_COLOURS = {"roundoff": "#cfe0f3", "balanced": "#e8e8e8", "truncation": "#f8dcc4",
                  "invalid": "#f4b6b6"}


def _region_spans(steps: np.ndarray, regions: np.ndarray):
    """``(region, left, right)`` for each run of equal regions, split halfway (in log)
    between neighbouring steps."""
    logs = np.log10(steps)
    edges = np.concatenate([[logs[0] - (logs[1] - logs[0]) / 2],
                            (logs[1:] + logs[:-1]) / 2,
                            [logs[-1] + (logs[-1] - logs[-2]) / 2]])
    start = 0
    for i in range(1, len(regions) + 1):
        if i == len(regions) or regions[i] != regions[start]:
            yield regions[start], 10 ** edges[start], 10 ** edges[i]
            start = i


def _positive(values: np.ndarray) -> np.ndarray:
    return np.where(values > 0, values, np.nan)


def _panel(ax, result, fit, optimum, p: int, m: int, colour) -> None:
    steps, errors = result.step[p, m], result.error[p, m]
    finite = np.isfinite(steps)
    if np.count_nonzero(finite) >= 2:
        for region, left, right in _region_spans(steps[finite], result.region[p, m][finite]):
            ax.axvspan(left, right, color=REGION_COLOURS[region], lw=0, zorder=0)
    ax.loglog(steps, _positive(errors), "o", ms=3, color=colour, zorder=3)
    for arm, region in ((fit.truncation, "truncation"), (fit.roundoff, "roundoff")):
        rows = result.step[p, m][result.region[p, m] == region]
        if math.isfinite(arm.slope) and rows.size:
            span = np.array([rows.min(), rows.max()])
            ax.loglog(span, arm.fitted(span), "-", color="black", lw=1.2, zorder=4)
        theory = arm.theory(steps[finite])
        if np.all(np.isfinite(theory)) and np.any(theory > 0):
            ax.loglog(steps[finite], _positive(theory), "--", color="dimgray", lw=1, zorder=2)
    if math.isfinite(optimum.step):
        ax.loglog([optimum.step], [optimum.error], "*", ms=12, color="gold",
                  markeredgecolor="black", zorder=5)
    shown = errors[np.isfinite(errors) & (errors > 0)]
    if shown.size:
        ax.set_ylim(shown.min() / 10, shown.max() * 10)
    slopes = f"{format_slope(fit.truncation, '±')} / {format_slope(fit.roundoff, '±')}"
    ax.set_title(f"{fit.method}: {slopes}", fontsize=9)
    ax.set_xlabel("step")


def _overview(ax, result, best, p: int, colours) -> None:
    for m, method in enumerate(result.methods):
        ax.loglog(result.step[p, m], _positive(result.error[p, m]), "-o", ms=2.5, lw=1,
                  color=colours[m], label=method.name)
        optimum = best[m]
        if math.isfinite(optimum.step):
            ax.loglog([optimum.step], [optimum.error], "*", ms=13, color=colours[m],
                      markeredgecolor="black", zorder=5)
    ax.set_xlabel("step")
    ax.set_ylabel("|estimate − reference|")
    ax.legend(fontsize=8, ncol=len(result.methods))
    ax.grid(True, which="major", alpha=0.3)


def plot_sweep(result, path=None, *, point: int = 0) -> Figure:
    """Plot one point of a sweep; save to ``path`` if given; return the Figure.

    Stars mark the measured optimum (:meth:`SweepResult.best`); in the
    panels, blue, grey, orange and red shade the ``roundoff``, ``balanced``,
    ``truncation`` and ``invalid`` regions, solid lines are the fitted arms
    and dashed lines the theory's; a panel's title gives the fitted slopes
    of the truncation and round-off arms, each with its uncertainty and,
    in parentheses, the theory's.
    """
    points = result.step.shape[0]
    if not (isinstance(point, int) and 0 <= point < points):
        raise ValueError(f"`point` must be an index below {points}, got {point!r}")
    fits = [f for f in result.fit() if f.point == point]
    best = [o for o in result.best() if o.point == point]
    count = len(result.methods)
    figure = Figure(figsize=(3.2 * max(count, 3), 7.5))
    mosaic = [["all"] * count, [str(m) for m in range(count)]]
    # a fixed layout: a layout engine measures every log tick label, seconds per figure
    axes = figure.subplot_mosaic(mosaic, height_ratios=[1.3, 1], gridspec_kw=dict(
        left=0.06, right=0.99, top=0.95, bottom=0.07, hspace=0.3, wspace=0.3))
    colours = [f"C{m}" for m in range(count)]
    _overview(axes["all"], result, best, point, colours)
    where = f"x = {result.x[point]}" if result.direction is None else f"point {point}"
    axes["all"].set_title(f"error of the derivative of order {result.n} at {where} "
                          f"(reference: {result.reference_kind})")
    for m in range(count):
        ax = axes[str(m)]
        _panel(ax, result, fits[m], best[m], point, m, colours[m])
    if path is not None:
        figure.savefig(os.fspath(path), dpi=110)
    return figure

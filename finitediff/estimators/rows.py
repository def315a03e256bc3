"""The rows a scan reads: f sampled along lines, and the base estimates per row.

:class:`Samples` keeps the values of f at every factor of the top step
sampled so far, per line and output; :func:`rows_of` turns them into the
base estimates of the ladder's rows (with their steps, weights and the
rounding of their points), leaving out rows below what f's values resolve;
:func:`sides_of` gives the one-sided estimates the kink checks read.
"""

from __future__ import annotations

import math

import numpy as np

from .ladder import Ladder

__all__ = ["Samples", "rows_of", "sides_of"]

#: A row where f does not move at all is below f's resolution when the row
#: above, scaled down, expects a change of this many times its rounding.
QUANTUM_MARGIN = 16.0
#: ... and whose estimates held within this factor over this factor in step.
TREND_SPAN = 4.0


class Samples:
    """The values of f along the pending lines at every factor evaluated so far."""

    def __init__(self, lines, which):
        self.lines = lines
        self.which = which
        self.keys = np.zeros(0)
        self.values = np.zeros((0, len(which), lines.outputs))
        self.slack = np.zeros((0, len(which)))
        self.nfev = np.zeros(len(which), dtype=np.int64)

    def extend(self, factors):
        new = np.setdiff1d(factors, self.keys)
        if new.size:
            values, slack = self.lines.sample(new, self.which)
            self.nfev += np.count_nonzero(new)
            keys = np.concatenate([self.keys, new])
            order = np.argsort(keys, kind="stable")
            self.keys = keys[order]
            self.values = np.concatenate([self.values, values])[order]
            self.slack = np.concatenate([self.slack, slack])[order]

    def keep(self, mask):
        self.which = self.which[mask]
        self.values = self.values[:, mask]
        self.slack = self.slack[:, mask]
        self.nfev = self.nfev[mask]

    def at_each(self, factors, line, output):
        """The value at ``factors[i]`` on pending line ``line[i]``, output
        ``output[i]`` (1-d arrays of one length); NaN where not evaluated."""
        factors = np.asarray(factors, dtype=float)
        index = np.clip(np.searchsorted(self.keys, factors), 0, max(len(self.keys) - 1, 0))
        values = self.values[index, line, output]
        return np.where(self.keys[index] != factors, np.nan, values)

    def at(self, factors):
        """Values (…, L, m) and slack (…, L) at factors of any shape; NaN where a
        factor was not evaluated."""
        factors = np.asarray(factors, dtype=float)
        index = np.clip(np.searchsorted(self.keys, factors), 0, max(len(self.keys) - 1, 0))
        values, slack = self.values[index], self.slack[index]
        missing = self.keys[index] != factors
        if np.any(missing):
            values = np.where(missing[(...,) + (None,) * 2], np.nan, values)
        return values, slack


def _below_resolution(table, power, still, scales, ratio: float, n: int, resolution
                      ) -> np.ndarray:
    """Rows (Q, L, m) where f has the same value at every point although the
    estimates above hold steady (a derivative that is not 0) and, scaled down,
    say f should have moved by many times its rounding (``resolution``): f's
    values are quantized far above ε·|f| (a sum that cancels against a large
    constant) and their exact zero differences say nothing about the derivative.
    Where the estimates above shrink towards 0 (x − sin x at 0) or the change
    expected is within rounding (a constant f, a tiny derivative) the rows stay."""
    rows = np.arange(len(scales))[:, None, None]
    above = np.maximum.accumulate(np.where(still, -1, rows), axis=0)  # last row that moved
    source = np.maximum(above, 0)
    span = max(1, math.ceil(math.log(TREND_SPAN) / math.log(ratio) - 1e-9))
    with np.errstate(all="ignore"):
        last = np.take_along_axis(table, source, axis=0)
        earlier = np.take_along_axis(table, np.maximum(source - span, 0), axis=0)
        steady = (source >= span) & (np.abs(last) * TREND_SPAN >= np.abs(earlier))
        shrink = scales[:, None, None] / scales[source]
        expected = np.abs(last) * np.take_along_axis(power[..., None], source, axis=0) * shrink**n
    return still & (above >= 0) & steady & (expected > QUANTUM_MARGIN * resolution)


def rows_of(ladder: Ladder, samples: Samples, count: int, bottom, top, epsilon):
    """Steps, base estimates, weights, rounding of the points, magnitudes of rows 0..count-1.

    Estimates are per unit length along each line (``top`` is its top step),
    so that a large top step cannot overflow them.
    """
    stencil = ladder.stencil
    n = stencil.n
    scales = ladder.scales(0, count)
    support = np.asarray(stencil.support, dtype=float)
    points = np.multiply.outer(scales, np.asarray(ladder.offsets, dtype=float))  # (Q, O)
    values, slack = samples.at(points)                     # (Q, O, L, m), (Q, O, L)
    where = [ladder.offsets.index(o) for o in stencil.support]
    steps = np.multiply.outer(scales, top)                 # (Q, L)
    with np.errstate(all="ignore"):
        power = steps ** n
        # Σw = 0 for n >= 1: differences from f(x) give the same sum, exactly 0
        # where f does not change along the line
        centre = values[0, ladder.offsets.index(0)] if n >= 1 else 0.0
        table = np.einsum("o,qolm->qlm", stencil.support_weights, values[:, where] - centre)
        table /= power[..., None]
        magnitude = np.max(np.abs(values), axis=1)         # (Q, L, m)
        # The rounding of the points themselves: a coordinate off by δ moves
        # f by about |φ'|·δ; φ' from the row's outermost points.
        plus, minus = ladder.offsets.index(max(support)), ladder.offsets.index(min(support))
        slope = np.abs(values[:, plus] - values[:, minus]) / (
            (support.max() - support.min()) * steps)[..., None]
        moved = np.max(slack, axis=1)[..., None] * np.where(np.isfinite(slope), slope, 0.0)
        weight = stencil.weight_sum / power                # (Q, L)
    # rows finer than a line allows, and rows whose h^n overflows (every
    # estimate would be 0 there, whatever f does)
    beyond = (scales[:, None] < bottom[None, :]) | ~np.isfinite(power)
    if n >= 1:
        still = np.all(values[:, where] == centre, axis=1)
        quantized = _below_resolution(table, power, still, scales, ladder.ratio, n,
                                      epsilon * magnitude * stencil.weight_sum)
        beyond = beyond[..., None] | quantized
    else:
        beyond = beyond[..., None]
    table = np.where(beyond, np.nan, table)
    return scales, steps, table, weight, magnitude, moved


def sides_of(ladder, samples, count, top):
    """The one-sided stencil values per element at given rows (for the kink check)."""

    def sides(row, stencil, epsilon):
        size = row.shape[0]
        ok = (row >= 0) & (row < count)
        outputs = samples.values.shape[2]
        element = np.arange(size)
        line, output = element // outputs, element % outputs
        q = np.where(ok, row, 0)
        scales = ladder.scales(0, count)
        centre, _ = samples.at(np.zeros(1))
        total_f = stencil.weights[0] * centre[0][line, output]
        total_b = stencil.weights[0] * centre[0][line, output]
        magnitude = np.abs(centre[0][line, output])
        for weight, (offset, up) in zip(stencil.weights[1:], stencil.points):
            valid = q - up >= 0
            scale = scales[np.clip(q - up, 0, count - 1)]
            vp = samples.at_each(offset * scale, line, output)
            vm = samples.at_each(-offset * scale, line, output)
            total_f = total_f + weight * np.where(valid, vp, np.nan)
            total_b = total_b + weight * np.where(valid, vm, np.nan)
            magnitude = np.maximum(magnitude, np.maximum(np.abs(vp), np.abs(vm)))
        n = stencil.order
        step = scales[q] * top[samples.which][line]
        forward = np.where(ok, total_f / step**n, np.nan)
        backward = np.where(ok, (-1) ** n * total_b / step**n, np.nan)
        rounding = 2 * epsilon * magnitude * np.sum(np.abs(stencil.weights)) / step**n
        return forward, backward, rounding

    return sides

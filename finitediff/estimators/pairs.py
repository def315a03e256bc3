"""Directions that move one or two components, ``a·e_i + b·e_j``, kept sparse.

The Hessian differentiates along ``d`` axes and ``d(d−1)/2`` pairs of axes.
As dense arrays those directions are ``(L, d)`` with at most two non-zeros a
row, and every point built from them touches all ``d`` components of every
direction. :class:`Pairs` keeps the two components and their coefficients;
:class:`PairLines` builds the points by setting two components of a copy of
x, and gives them the same rounding off the line (``slack``) as
:class:`~.lines.DirectionLines` would.
"""

from __future__ import annotations

import numpy as np

from .lines import DirectionLines, alternating

__all__ = ["PairLines", "Pairs"]


class Pairs:
    """Directions ``a_l·e_(first_l) + b_l·e_(second_l)`` (flat indices into x of
    shape ``shape``); an axis is ``second = first`` with ``b = 0``."""

    def __init__(self, first, second, a, b, shape: tuple):
        self.first, self.second = np.asarray(first), np.asarray(second)
        self.a, self.b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        self.shape = tuple(shape)
        self._pilot = None   # (top steps, the pilot line along them), the last asked for
        self._moving = None  # where a and b are not 0 (None: everywhere)

    def __len__(self) -> int:
        return self.first.size

    def __getitem__(self, which) -> Pairs:
        return Pairs(self.first[which], self.second[which], self.a[which], self.b[which],
                     self.shape)

    def dense(self) -> np.ndarray:
        """The directions as an array ``(L, *shape)``."""
        out = np.zeros((len(self), int(np.prod(self.shape))))
        rows = np.arange(len(self))
        out[rows, self.second] = self.b
        out[rows, self.first] += self.a
        return out.reshape((len(self),) + self.shape)

    def largest(self) -> np.ndarray:
        return np.maximum(np.abs(self.a), np.abs(self.b))

    def pilot(self, top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The pilot line of these directions with the top steps ``top``: all of
        them at once, with alternating signs, each weighted by its top step,
        normalised (``(1, *shape)``, read-only), and its top step ``(1,)``. Kept
        for the same ``top`` array (a Hessian's cached lines ask again)."""
        if self._pilot is None or self._pilot[0] is not top:
            largest = float(top.max())
            signs = alternating(top / largest)
            # the first components' terms, then the second ones', summed in that order
            direction = np.bincount(np.concatenate([self.first, self.second]),
                                    np.concatenate([signs * self.a, signs * self.b]),
                                    minlength=int(np.prod(self.shape)))
            norm = float(np.abs(direction).max())
            direction = direction.reshape(self.shape)[None] / norm
            pilot_top = np.array([largest * norm])
            direction.flags.writeable = pilot_top.flags.writeable = False
            self._pilot = (top, (direction, pilot_top))
        return self._pilot[1]

    def moved(self, x) -> np.ndarray:
        """The largest ``|x_c|`` over the components each direction moves."""
        if self._moving is None:   # computed once per directions
            moving = self.a != 0, self.b != 0
            self._moving = tuple(None if mask.all() else mask for mask in moving)
        moving_a, moving_b = self._moving
        flat = np.abs(np.asarray(x).reshape(-1))
        first, second = flat[self.first], flat[self.second]
        return np.maximum(first if moving_a is None else np.where(moving_a, first, 0.0),
                          second if moving_b is None else np.where(moving_b, second, 0.0))


class PairLines(DirectionLines):
    """:class:`~.lines.DirectionLines` along :class:`Pairs`."""

    def _like(self, directions, top):
        return PairLines(self.evaluate, self.x, directions, top, self._centre)

    def combined(self):
        if not isinstance(self.directions, Pairs):
            return super().combined()
        direction, top = self.directions.pilot(self.top)
        return DirectionLines(self.evaluate, self.x, direction, top, self._centre)

    def _points(self, moving, which, slack: bool = True):
        if not isinstance(self.directions, Pairs):
            return super()._points(moving, which, slack)
        pairs = self.directions[which]
        base = self.x.reshape(-1)
        flat = np.empty((len(moving), len(which), base.size), dtype=base.dtype)
        flat[...] = base
        moves = np.multiply.outer(moving, self.top[which])                 # (F, k)
        rows = np.arange(len(which))
        along_a, along_b = moves * pairs.a, moves * pairs.b
        base_a, base_b = base[pairs.first], base[pairs.second]
        moved_a, moved_b = base_a + along_a, base_b + along_b
        # the second component first: on an axis (second = first, b = 0) the first wins
        flat[:, rows, pairs.second] = moved_b
        flat[:, rows, pairs.first] = moved_a
        if not slack:
            return flat.reshape((-1,) + self.x.shape), None
        # each point's rounding off its line (the second component's only where it
        # moves: on an axis it is the first)
        with np.errstate(invalid="ignore"):
            off_a = np.abs((moved_a - base_a) - along_a)
            off_b = np.abs((moved_b - base_b) - along_b)
            off = np.maximum(off_a, np.where(pairs.b != 0, off_b, 0.0))
            off = off / pairs.largest()
        return flat.reshape((-1,) + self.x.shape), off

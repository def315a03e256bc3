"""Lines through x: what the estimators differentiate along.

A line is ``φ_l(t) = f(x + t·top_l·U_l)`` for a direction ``U_l`` and a top
step ``top_l``; estimates are of the derivative along ``U_l``.
:class:`ElementLines` serves ``derivative``: f acts elementwise, so element
i of x is a line of its own and all lines move at once in one array; later
rounds send only the pending elements, flattened, to f.
:class:`DirectionLines` serves the others: each line moves x along a
direction, every point of every line goes to f stacked on a leading axis,
and the centre ``f(x)``, shared by all lines, is evaluated once.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ElementLines", "DirectionLines", "NoOutputs", "Units", "alternating", "bottom_scales"]

#: A step must move the coordinates it changes by this many units in the
#: last place (below, the points are mostly rounding).
MIN_ULPS = 2.0
#: Input elements of the points built at a time (the rest goes chunk by chunk).
CHUNK_ELEMENTS = 2**22


_TINY = float(np.finfo(np.float64).tiny)
#: The spacing of floats in [2^1023, the largest float].
_TOP_SPACING = 2.0**971


def bottom_scales(x_moved: np.ndarray, top: np.ndarray, n: int) -> np.ndarray:
    """The smallest scale (relative to ``top``) per line: MIN_ULPS·ulp of the
    largest coordinate it moves, and ``h^n`` clear of underflow."""
    with np.errstate(over="ignore", divide="ignore"):
        ulp = _spacing(np.abs(x_moved))
        floor = np.maximum(MIN_ULPS * ulp, _TINY ** (1.0 / max(n, 1)) * 1e4)
        return np.where(top > 0, floor / np.abs(top), np.inf)


def _spacing(magnitude: np.ndarray) -> np.ndarray:
    """The spacing of floats at ``magnitude`` (finite, >= 0; the smallest subnormal
    at 0), also at the largest float, where numpy's ``spacing`` overflows to
    inf (with a warning the caller silences)."""
    return np.minimum(np.spacing(magnitude), _TOP_SPACING)


class ElementLines:
    """Elements of x as lines, ``x_i + t·top_i`` (f acts elementwise).

    ``evaluate(points, which)`` gets the points ``(F, k)`` of the elements
    ``which`` (flat indices into x) and returns f's values there. ``indices``
    picks the elements these lines are (all of x by default). Complex values
    are split into their real and imaginary parts, two outputs per line.
    """

    def __init__(self, evaluate, x: np.ndarray, top: np.ndarray, indices=None,
                 centre=None, outputs: int = 1):
        self.evaluate = evaluate
        self.x = x.ravel()
        self.indices = np.arange(self.x.size) if indices is None else np.asarray(indices)
        self.top = np.asarray(top, dtype=float).ravel()
        self.count = self.indices.size
        self.centre = centre
        self.outputs = outputs

    def precision(self, assumed: float) -> float:
        """ε of f's values (the caller's: f(x) was evaluated before these lines)."""
        return assumed

    def at_scale(self, scale: float):
        """The same lines with their top steps times ``scale``."""
        return ElementLines(self.evaluate, self.x, self.top * scale, self.indices, self.centre,
                            self.outputs)

    def subset(self, mask):
        """The lines selected by ``mask``."""
        return ElementLines(self.evaluate, self.x, self.top[mask], self.indices[mask],
                            self.centre, self.outputs)

    def sample(self, factors, which, *, slack: bool = True):
        """f's values at ``x + t·top`` for the factors t ``(F,)`` on the lines ``which``,
        ``(F, k, m)``, and the points' rounding off the lines ``(F, k)`` (None
        unless ``slack``)."""
        index = self.indices[which]
        x, top = self.x[index], self.top[which]
        moves = np.multiply.outer(factors, top)
        points = x + moves
        zero = factors == 0
        values = np.empty(points.shape, dtype=np.complex128 if self.outputs == 2 else float)
        if self.centre is not None and zero.any():
            values[zero] = self.centre[index]
            values[~zero] = self.evaluate(points[~zero], index)
        else:
            values[:] = self.evaluate(points, index)
        off = None
        if slack:
            with np.errstate(invalid="ignore"):
                off = np.abs((points - x) - moves)
        if self.outputs == 2:
            return np.stack([values.real, values.imag], axis=-1), off
        return values[..., None], off


class NoOutputs(Exception):
    """f(x) has no elements: there is nothing to differentiate (the caller
    returns an empty result)."""


class _Centre:
    """f(x), evaluated once and shared by every set of lines through x.

    Unless given, it is evaluated with the first points the lines send to f,
    in the same call (:meth:`along_with`): a model or simulator whose calls
    cost more than their points saves one.
    """

    def __init__(self, evaluate, x, value=None):
        self.evaluate, self.x, self.value = evaluate, x, value
        self._parts = self._complex = None

    def get(self):
        if self.value is None:
            self.value = np.asarray(self.evaluate(self.x[None]))[0]
        return self.value

    def along_with(self, points: np.ndarray) -> np.ndarray:
        """f at ``points`` ``(N, *S)``, and f(x) in the same call if not known yet."""
        if self.value is not None:
            return np.asarray(self.evaluate(points))
        values = np.asarray(self.evaluate(np.concatenate([self.x[None], points])))
        self.value = values[0]
        return values[1:]

    def parts(self) -> np.ndarray:
        """f(x) flat, complex values as their real parts then their imaginary parts
        (the outputs of every line; computed once)."""
        if self._parts is None:
            self._parts = _real_parts(self.get().reshape(-1))
            if not self._parts.size:
                raise NoOutputs
        return self._parts

    def is_complex(self) -> bool:
        """Whether f's values are complex (computed once)."""
        if self._complex is None:
            self._complex = bool(np.iscomplexobj(self.get()))
        return self._complex


class Units:
    """The unit directions ``e_j`` for the components ``j`` (flat indices into x),
    without building an identity matrix."""

    def __init__(self, components: np.ndarray, shape: tuple):
        self.components = np.asarray(components)
        self.shape = tuple(shape)

    def __len__(self) -> int:
        return self.components.size

    def __getitem__(self, which) -> Units:
        return Units(self.components[which], self.shape)

    def dense(self) -> np.ndarray:
        size = int(np.prod(self.shape))
        out = np.zeros((len(self), size))
        out[np.arange(len(self)), self.components] = 1.0
        return out.reshape((len(self),) + self.shape)

    def largest(self) -> np.ndarray:
        return np.ones(len(self))


def _largest(directions) -> np.ndarray:
    if isinstance(directions, Units):
        return directions.largest()
    return np.abs(directions).max(axis=tuple(range(1, directions.ndim)))


class DirectionLines:
    """Lines ``x + t·top_l·U_l`` for directions ``U`` (an array ``(L, *x.shape)`` or
    :class:`Units`).

    ``evaluate(points)`` maps stacked points ``(N, *x.shape)`` to ``(N, *out)``;
    points go to it a chunk of lines at a time, so that memory stays bounded
    by :data:`CHUNK_ELEMENTS` input elements. The centre (t = 0) is evaluated
    once and shared, also by the lines made from these with :meth:`combined`,
    :meth:`at_scale` and :meth:`subset`.
    """

    def __init__(self, evaluate, x: np.ndarray, directions, top: np.ndarray, centre=None):
        self.evaluate = evaluate
        self.x = x
        self.directions = directions
        self.top = np.asarray(top, dtype=float)
        self.count = len(directions)
        self._centre = centre if isinstance(centre, _Centre) else _Centre(evaluate, x, centre)

    @property
    def complex(self) -> bool:
        return self._centre.is_complex()

    def precision(self, assumed: float) -> float:
        """ε of f's values: f(x) (evaluated now, unless known) shows a precision
        lower than ``assumed`` (float32 values)."""
        self._centre.get()
        return max(assumed, float(getattr(self.evaluate, "epsilon", assumed)))

    @property
    def outputs(self) -> int:
        """Output elements per line (real and imaginary parts count apart)."""
        return self._centre.parts().size

    def _like(self, directions, top):
        return DirectionLines(self.evaluate, self.x, directions, top, self._centre)

    def subset(self, mask):
        """The lines selected by ``mask``."""
        return self._like(self.directions[mask], self.top[mask])

    def at_scale(self, scale: float):
        """The same lines with their top steps times ``scale``."""
        return self._like(self.directions, self.top * scale)

    def combined(self):
        """One line along all directions at once, with alternating signs, each
        weighted by its top step (the largest top is the combined line's)."""
        top = float(self.top.max())
        signs = alternating(self.top / top)
        if isinstance(self.directions, Units):
            direction = np.zeros(self.x.size)
            np.add.at(direction, self.directions.components, signs)
            direction = direction.reshape(self.x.shape)
        else:
            direction = np.tensordot(signs, self.directions, axes=1)
        norm = float(np.abs(direction).max())
        return self._like(direction[None] / norm, np.array([top * norm]))

    def _points(self, moving, which, slack: bool = True):
        """Stacked points ``(F·k, *S)`` and their rounding off the lines ``(F, k)``
        (None unless ``slack``)."""
        top = self.top[which]
        count = len(which)
        if isinstance(self.directions, Units):
            components = self.directions.components[which]
            flat = np.empty((len(moving), count, self.x.size), dtype=self.x.dtype)
            flat[...] = self.x.reshape(-1)
            moves = np.multiply.outer(moving, top)                 # (F, k)
            rows = np.arange(count)
            base = self.x.reshape(-1)[components]
            flat[:, rows, components] = base + moves
            off = np.abs((flat[:, rows, components] - base) - moves) if slack else None
            return flat.reshape((-1,) + self.x.shape), off
        extra = (1,) * self.x.ndim
        directions = self.directions[which]
        moves = (moving.reshape((-1, 1) + extra) * top.reshape((1, -1) + extra)
                 * directions[None])
        points = self.x + moves                                    # (F, k, *S)
        if not slack:
            return points.reshape((-1,) + self.x.shape), None
        axes = tuple(range(2, points.ndim))
        with np.errstate(invalid="ignore"):
            off = np.abs((points - self.x) - moves)
            off = off.max(axis=axes) if axes else off
            off = off / _largest(directions)
        return points.reshape((-1,) + self.x.shape), off

    def sample(self, factors, which, *, slack: bool = True):
        """f's values at ``x + t·top_l·U_l`` for the factors t ``(F,)`` on the lines
        ``which``, ``(F, k, m)``, and the points' rounding off the lines ``(F, k)``
        (None unless ``slack``)."""
        zero = factors == 0
        nonzero = ~zero
        moving = factors[nonzero]
        offs = np.zeros((len(factors), len(which))) if slack else None
        out = None
        start = 0
        while moving.size and start < len(which):
            # the points of a chunk, or f's values there, whichever is larger (f's
            # size is known after the first chunk, whose call evaluates f(x) too)
            known = self._centre.value is not None
            width = max(self.x.size, self._centre.parts().size if known else 1, 1)
            part = which[start:start + max(1, CHUNK_ELEMENTS // max(1, moving.size * width))]
            points, off = self._points(moving, part, slack)
            values = self._centre.along_with(points)
            if out is None:
                out = self._empty(factors, which)
            values = values.reshape(len(moving), len(part), -1)
            values = _real_parts(values) if self.complex else values.real
            out[nonzero, start:start + len(part)] = values
            if slack:
                offs[nonzero, start:start + len(part)] = off
            start += len(part)
        if out is None:
            out = self._empty(factors, which)
        out[zero] = self._centre.parts()
        return out, offs

    def _empty(self, factors, which) -> np.ndarray:
        return np.empty((len(factors), len(which), self.outputs))


def alternating(weights: np.ndarray) -> np.ndarray:
    """``weights`` with every second sign flipped, ``+w_0, −w_1, +w_2, ...`` (in place)."""
    weights[1::2] *= -1.0
    return weights


def _real_parts(values: np.ndarray) -> np.ndarray:
    """Complex values as their real parts followed by their imaginary parts."""
    if not np.iscomplexobj(values):
        return values
    return np.concatenate([values.real, values.imag], axis=-1)

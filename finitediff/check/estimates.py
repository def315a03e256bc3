"""The finite-difference side of a check, from the public engine API.

Each class here estimates one kind of table by finite differences and
answers the questions a check asks about single entries of it:

- :class:`JacobianOf`: ``∂b_i/∂x_j`` of a flat function b (f for order 1,
  the gradient under test for order 2), from :func:`finitediff.jacobian`;
- :class:`HessianOf`: ``∂²f/∂x_i∂x_j`` of a scalar f, from :func:`finitediff.hessian`
  (order 2 when no gradient callable is at hand);
- :class:`ProjectedOf`: ``vₖᵀ J uₖ`` along directions, from :func:`finitediff.jvp`.

Beyond the estimate (value, error bound, step and status per entry, whatever
shape the engine returned them in) they give what the engine does not offer
per entry: a second, independent estimate of chosen entries with another
stencil (:data:`CONFIRM_ACCURACY`), one-sided derivatives at kinks, and the
noise level of f along the line of an entry (ECnoise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..calculus import hessian, jacobian, jvp
from ..noise import estimate_noise
from ..result import DerivativeResult, Status

__all__ = ["Estimate", "HessianOf", "JacobianOf", "ProjectedOf", "USABLE"]

#: Statuses whose value and error are used; any other leaves the entry undecided.
USABLE = (int(Status.SUCCESS), int(Status.KINK), int(Status.INACCURATE))
#: Accuracy of the second, independent estimate that confirms a mismatch.
CONFIRM_ACCURACY = 4
#: The macroscopic move of :meth:`secant_scale`, relative to ``max(|x_j|, 1)``.
SECANT_STEP = 0.5


@dataclass(frozen=True)
class Estimate:
    """Finite-difference estimates; every array has the shape of the table."""

    df: np.ndarray
    error: np.ndarray
    step: np.ndarray
    status: np.ndarray

    @property
    def usable(self) -> np.ndarray:
        return np.isin(self.status, USABLE) & np.isfinite(self.df) & np.isfinite(self.error)

    @property
    def kink(self) -> np.ndarray:
        return self.status == int(Status.KINK)


def _per_entry(a, shape: tuple, dtype) -> np.ndarray:
    """One value per entry, from one value for the call or one per entry."""
    a = np.asarray(a, dtype=dtype)
    return np.full(shape, a.reshape(-1)[0]) if a.size == 1 else a.reshape(shape).copy()


def _estimate(result: DerivativeResult, shape: tuple, step=None) -> Estimate:
    df = np.asarray(result.df, dtype=np.float64).reshape(shape)
    return Estimate(df, _per_entry(result.error, df.shape, np.float64),
                    _per_entry(result.step if step is None else step, df.shape, np.float64),
                    _per_entry(result.status, df.shape, np.int64))


class _Counted:
    """Counts the evaluations of every engine call it makes."""

    def __init__(self, function, x: np.ndarray, run: dict | None = None):
        self.function, self.x = function, x
        self.run = dict(run or {})  # where the engine's calls evaluate f: workers, progress
        self.nfev = 0

    def _count(self, result: DerivativeResult) -> DerivativeResult:
        self.nfev += int(result.nfev)
        return result

    def _moves(self, directions: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """``max(|b(x ± H·u) − b(x)|)`` per direction u (rows), ``(K, m)``; 0 where not finite."""
        displaced = lengths[:, None] * directions
        points = np.concatenate([self.x[None], self.x + displaced, self.x - displaced])
        values = self.function(points)
        self.nfev += len(points)
        count = len(directions)
        change = np.maximum(np.abs(values[1:count + 1] - values[0]),
                            np.abs(values[count + 1:] - values[0]))
        return np.where(np.isfinite(change), change, 0.0)

    def noise(self, rows, cols, *, direction=None) -> np.ndarray:
        """σ of b_i near x along e_j (or ``direction[j]``) per pair; NaN where none is found.

        The line is ``x + t·max(|x_j|, 1)·e_j``: the sampling width is relative.
        """
        levels = []
        for row, col in zip(rows, cols):
            if direction is None:
                line = np.zeros(self.x.size)
                line[col] = max(abs(float(self.x[col])), 1.0)
            else:
                line = direction[col]
            found = estimate_noise(self.function.along(self.x, line, row), 0.0)
            self.nfev += int(found.nfev)
            levels.append(float(found.noise))
        return np.array(levels)


class JacobianOf(_Counted):
    """``∂b_i/∂x_j`` of a flat function b, ``(m, d)``."""

    n = 1
    weight_sum = 1.0  # Σ|w| of the central first-derivative stencil

    def full(self) -> Estimate:
        result = jacobian(self.function, self.x, fast=False, **self.run)  # tight bounds
        return _estimate(self._count(result), (-1, self.x.size))

    def secant_scale(self) -> np.ndarray:
        """How much b changes along each x_j over a macroscopic step H_j, per H_j: ``(m, d)``.

        ``H_j = SECANT_STEP·max(|x_j|, 1)``. The size a derivative entry is
        judged against where the entry and its row vanish (a stationary point).
        """
        lengths = SECANT_STEP * np.maximum(np.abs(self.x), 1.0)
        return (self._moves(np.eye(self.x.size), lengths) / lengths[:, None]).T

    def _columns(self, cols, **options) -> tuple[Estimate, np.ndarray]:
        columns = np.unique(cols)
        result = self._count(jacobian(self.function.restricted(self.x, columns),
                                      self.x[columns], fast=False, **options, **self.run))
        return _estimate(result, (-1, columns.size)), np.searchsorted(columns, cols)

    def confirm(self, rows, cols) -> Estimate:
        """A second estimate of the entries ``(rows, cols)`` with another stencil."""
        estimate, position = self._columns(cols, accuracy=CONFIRM_ACCURACY)
        return _pick(estimate, rows, position)

    def one_sided(self, rows, cols) -> tuple[Estimate, Estimate]:
        """Forward and backward estimates of the entries ``(rows, cols)``."""
        forward, position = self._columns(cols, method="forward")
        backward, _ = self._columns(cols, method="backward")
        return _pick(forward, rows, position), _pick(backward, rows, position)

    def noise_floor_weights(self, rows, cols) -> np.ndarray:
        return np.full(len(rows), self.weight_sum)


class _FirstOutput:
    """The first output of a flat function, ``(N,)``: a class, so that it pickles."""

    def __init__(self, function):
        self.function = function

    def __call__(self, points):
        return self.function(points)[:, 0]


class HessianOf(_Counted):
    """``∂²f/∂x_i∂x_j`` of a scalar flat function f, ``(d, d)``."""

    n = 2

    def _scalar(self, function):
        return _FirstOutput(function)

    def full(self) -> Estimate:
        return self._block(None)[0]

    def secant_scale(self) -> np.ndarray:
        """``max|f(x ± H_j e_j) − f(x)| / H_j²``, the larger of the two variables: ``(d, d)``."""
        lengths = SECANT_STEP * np.maximum(np.abs(self.x), 1.0)
        scale = self._moves(np.eye(self.x.size), lengths)[:, 0] / lengths**2
        return np.maximum.outer(scale, scale)

    def _block(self, variables, **options) -> tuple[Estimate, np.ndarray | None]:
        if variables is None:
            result = hessian(self._scalar(self.function), self.x, fast=False, **options,
                             **self.run)
            size = self.x.size
        else:
            result = hessian(self._scalar(self.function.restricted(self.x, variables)),
                             self.x[variables], fast=False, **options, **self.run)
            size = variables.size
        self._count(result)
        step = np.asarray(result.step, dtype=np.float64).reshape(-1)
        if step.size == size:  # one step per variable: an entry's is the larger of its two
            step = np.maximum.outer(step, step)
        return _estimate(result, (size, size), step), variables

    def confirm(self, rows, cols) -> Estimate:
        variables = np.unique(np.concatenate([rows, cols]))
        estimate, _ = self._block(variables, accuracy=CONFIRM_ACCURACY)
        return _pick(estimate, np.searchsorted(variables, rows), np.searchsorted(variables, cols))

    def one_sided(self, rows, cols):
        return None  # the engine flags no kinks in Hessians

    def noise(self, rows, cols, *, direction=None) -> np.ndarray:
        return super().noise(np.zeros(len(rows), dtype=np.int64), cols)

    def noise_floor_weights(self, rows, cols) -> np.ndarray:
        # (1, -2, 1) on the diagonal; a mixed entry combines three such stencils
        return np.where(np.asarray(rows) == np.asarray(cols), 4.0, 12.0)


class ProjectedOf(_Counted):
    """``vₖᵀ J uₖ`` for directions ``uₖ`` (rows of ``directions``) and weights ``vₖ``.

    Entry ``(0, k)`` of a ``(1, K)`` table; :attr:`per_output` keeps ``J·uₖ``
    for every output, with its errors, to tell which outputs disagree.
    """

    n = 1
    weight_sum = 1.0

    def __init__(self, function, x, directions: np.ndarray, weights: np.ndarray,
                 run: dict | None = None):
        super().__init__(function, x, run)
        self.directions, self.weights = directions, weights
        self.per_output: list[Estimate] = []

    def _along(self, k: int, **options) -> Estimate:
        result = self._count(jvp(self.function, self.x, self.directions[k], **options,
                                 **self.run))
        return _estimate(result, (-1,))

    def _project(self, estimates, ks) -> Estimate:
        weights = self.weights[ks]
        df = np.array([[w @ e.df for w, e in zip(weights, estimates)]])
        error = np.array([[np.abs(w) @ e.error for w, e in zip(weights, estimates)]])
        # the engine's step is the max-norm of the displacement; in units of t along u:
        step = np.array([[float(np.max(e.step)) / float(np.max(np.abs(self.directions[k])))
                          for k, e in zip(ks, estimates)]])
        status = np.array([[_worst(e.status[w != 0]) for w, e in zip(weights, estimates)]])
        return Estimate(df, error, step, status)

    def full(self) -> Estimate:
        self.per_output = [self._along(k) for k in range(len(self.directions))]
        return self._project(self.per_output, np.arange(len(self.directions)))

    def secant_scale(self) -> np.ndarray:
        """``|v·(b(x ± H·u) − b(x))| / H`` per direction, ``(1, K)``, H as for the Jacobian."""
        length = SECANT_STEP * max(float(np.max(np.abs(self.x))), 1.0)
        moves = self._moves(self.directions, np.full(len(self.directions), length))
        return (np.abs(moves) @ np.abs(self.weights.T)).diagonal()[None] / length

    def confirm(self, rows, cols) -> Estimate:
        estimate = self._project([self._along(k, accuracy=CONFIRM_ACCURACY) for k in cols], cols)
        return Estimate(*(a[0] for a in (estimate.df, estimate.error, estimate.step,
                                         estimate.status)))

    def one_sided(self, rows, cols) -> tuple[Estimate, Estimate]:
        sides = []
        for method in ("forward", "backward"):
            estimate = self._project([self._along(k, method=method) for k in cols], cols)
            sides.append(Estimate(*(a[0] for a in (estimate.df, estimate.error,
                                                   estimate.step, estimate.status))))
        return sides[0], sides[1]

    def noise(self, rows, cols, *, direction=None) -> np.ndarray:
        levels = []
        for k in cols:
            output = int(np.argmax(np.abs(self.weights[k])))
            level = super().noise([output], [k], direction=self.directions)
            levels.append(float(level[0]) * float(np.sum(np.abs(self.weights[k]))))
        return np.array(levels)

    def noise_floor_weights(self, rows, cols) -> np.ndarray:
        return np.full(len(rows), self.weight_sum)


def _worst(status: np.ndarray) -> int:
    """One status for a combination of entries: the first unusable, else KINK, else SUCCESS."""
    status = np.asarray(status).reshape(-1)
    bad = status[~np.isin(status, USABLE)]
    if bad.size:
        return int(bad[0])
    return int(Status.KINK) if np.any(status == int(Status.KINK)) else int(Status.SUCCESS)


def _pick(estimate: Estimate, rows, cols) -> Estimate:
    return Estimate(estimate.df[rows, cols], estimate.error[rows, cols],
                    estimate.step[rows, cols], estimate.status[rows, cols])

"""How points reach the user's function.

Every estimator hands a stacked array of points, shape ``(N, *x.shape)``, to
an :class:`Evaluator`. With ``vectorized=True`` the function receives the
points in one call (leading batch axis), split into chunks only to bound
memory; with ``vectorized=False`` it is called once per point. With
``workers`` the points go out in chunks through :mod:`finitediff.workers`,
with the same values, checks and counts.

For ``derivative`` f acts elementwise, and :meth:`Evaluator.elementwise`
sends the points of the pending elements only: ``(N, *x.shape)`` while every
element is pending, ``(N, k)`` for the k elements still pending after that
(array arguments in ``args`` with the shape of x are cut to match).

The evaluator also notes the precision of f's values: a function returning
float32 rounds at float32's epsilon, and the error estimates must know.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .adapters import adapter_for
from .errors import BudgetError, check_argument
from .workers import check_progress, map_points, resolve_workers

__all__ = ["Evaluator", "MAX_ELEMENTS_PER_CALL", "adapt"]

#: Upper bound on the input elements sent to f in one vectorized call.
MAX_ELEMENTS_PER_CALL = 2**22


def adapt(f: Callable, point_shape: tuple) -> Callable:
    """``f`` itself, or for an object an adapter is registered for (a Keras
    model, a TF function: :mod:`finitediff.adapters`), a batched float64 callable."""
    adapter = adapter_for(f)
    return f if adapter is None else adapter.bind(f, point_shape)


def _as_numeric(value: Any, what: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except Exception as exc:
        raise TypeError(f"`f` must return numbers; {what} could not be converted: {exc}") from exc
    if array.dtype.kind not in "biufc":   # the message (a dtype's name) only when needed
        raise TypeError(f"`f` must return real or complex numbers, {what} has dtype "
                        f"{array.dtype}")
    return array


class Evaluator:
    """Calls ``f(point, *args)`` on stacked points and counts the points.

    Parameters
    ----------
    f : callable
        The user's function.
    args : tuple
        Extra positional arguments for ``f``.
    vectorized : bool
        Whether ``f`` maps ``(N, *point_shape)`` to ``(N, *out_shape)``.
    point_shape : tuple of int
        Shape of one point (the shape of ``x``).
    workers, progress : optional
        Where f runs (see :func:`finitediff.workers.resolve_workers`) and
        whether a progress bar is shown while it does.
    max_nfev : int, optional
        Refuse (:class:`~finitediff.errors.BudgetError`) a batch that would
        take the points evaluated beyond this.
    """

    def __init__(self, f: Callable, args: tuple, *, vectorized: bool, point_shape: tuple,
                 workers=None, progress: bool | None = None, max_nfev: int | None = None):
        if not callable(f):
            raise TypeError(f"`f` must be callable, got {f!r}")
        check_argument(
            isinstance(args, tuple), f"`args` must be a tuple, got {type(args).__name__}",
            error=TypeError,
        )
        self.f = adapt(f, tuple(point_shape))
        self.args = args
        self.vectorized = bool(vectorized)
        self.point_shape = tuple(point_shape)
        self.point_size = max(1, math.prod(self.point_shape))   # input elements of a point
        self.out_shape: tuple | None = None
        self.calls = 0
        self.points = 0
        self.max_nfev = max_nfev
        self.subsets: bool | None = None  # whether f takes elements of x alone (derivative)
        self.value_dtype = np.dtype(getattr(self.f, "dtype", np.float64))
        self.backend = resolve_workers(workers)
        self.progress = check_progress(progress)

    @property
    def dtype(self) -> np.dtype:
        """The precision f computes in (float32 for a float32 model or float32 values)."""
        return self.value_dtype

    @property
    def epsilon(self) -> float:
        """The machine epsilon of f's values."""
        return _epsilon(self.value_dtype)

    def reserve(self, count: int) -> None:
        """Refuse ``count`` more points beyond the budget ``max_nfev``."""
        if self.max_nfev is not None and self.points + count > self.max_nfev:
            raise BudgetError(f"{count} more points would exceed max_nfev={self.max_nfev} "
                              f"({self.points} evaluated)")

    def __call__(self, points: np.ndarray) -> np.ndarray:
        count = points.shape[0]
        self.reserve(count)
        with np.errstate(all="ignore"):
            if count and not self.backend.serial:
                values = self._on_workers(points)
            elif self.vectorized:
                values = self._batched(points)
            else:
                values = (np.stack([self._one(point) for point in points]) if count
                          else np.zeros((0,) + (self.out_shape or ())))
        self.points += count
        return self._real(values)

    def elementwise(self, points: np.ndarray, which: np.ndarray, x: np.ndarray) -> np.ndarray:
        """f (acting elementwise) at points ``(N, k)`` for the flat elements ``which`` of x."""
        count, k = points.shape
        full = k == x.size
        if not self.vectorized:
            # one call per point, with x's shape: the other elements sit at x
            stacked = np.repeat(x.reshape(1, -1).astype(np.result_type(x, points)), count,
                                axis=0)
            stacked[:, which] = points
            values = self(stacked.reshape((count,) + x.shape)).reshape(count, -1)
            return values[:, which]
        self.reserve(count * k)
        if not full and self.subsets is not False:
            try:
                values = self._elementwise_call(points, _cut(self.args, x.shape, which))
                if np.shape(values) == points.shape:
                    self.subsets = True
                    self.points += count * k
                    return self._real(np.asarray(values).reshape(count, k))
            except (ValueError, TypeError, IndexError):
                if self.subsets:
                    raise  # f took subsets before: this is its own error
            # f needs points of x's shape (it uses arrays shaped like x): the other
            # elements sit at x from now on
            self.subsets = False
        if not full:
            stacked = np.repeat(x.reshape(1, -1).astype(np.result_type(x, points)), count,
                                axis=0)
            stacked[:, which] = points
            values = self._elementwise_call(stacked.reshape((count,) + x.shape), self.args)
            values = _as_numeric(values, "the value of a batch")
            check_argument(values.shape == (count,) + x.shape,
                           lambda: f"`f` must act elementwise: it returned shape "
                           f"{values.shape} for points of shape {(count,) + x.shape}")
            self.points += count * k
            return self._real(values.reshape(count, -1)[:, which])
        batch = points.reshape((count,) + x.shape)
        values = _as_numeric(self._elementwise_call(batch, self.args), "the value of a batch")
        check_argument(
            values.shape == batch.shape,
            lambda: f"`f` must act elementwise: it returned shape {values.shape} for points "
            f"of shape {batch.shape}; use jacobian for functions of a vector, or pass "
            "vectorized=False if f takes one point at a time",
        )
        self.points += count * k
        return self._real(values.reshape(count, k))

    # -- the calls ------------------------------------------------------------
    def _elementwise_call(self, batch, args):
        with np.errstate(all="ignore"):
            if self.backend.serial:
                return self._call(batch, args)
            return map_points(self.f, batch, self.backend, args=args, vectorized=True,
                              progress=self.progress)

    def _call(self, batch, args):
        self.calls += 1
        try:
            return self.f(batch, *args)
        except TypeError as exc:
            if self.calls > 1:
                raise
            raise TypeError(
                f"`f` raised TypeError on a batch of points of shape {batch.shape} ({exc}); "
                "with vectorized=True f gets many points stacked on a leading axis. "
                "Pass vectorized=False if f takes one point at a time (math.sin, a scalar "
                "function)") from exc

    def _one(self, point: np.ndarray) -> np.ndarray:
        self.calls += 1
        value = _as_numeric(self.f(point, *self.args), "the value at one point")
        self._check_out_shape(value.shape, "for one point")
        return value

    def _batched(self, points: np.ndarray) -> np.ndarray:
        chunk = max(1, MAX_ELEMENTS_PER_CALL // self.point_size)
        if 0 < points.shape[0] <= chunk:   # one call
            return self._checked_batch(self._call(points, self.args), points, counted=True)
        parts = []
        for start in range(0, points.shape[0], chunk):
            block = points[start:start + chunk]
            parts.append(self._checked_batch(self._call(block, self.args), block, counted=True))
        if not parts:
            return np.zeros((0,) + (self.out_shape or ()))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _on_workers(self, points: np.ndarray) -> np.ndarray:
        size = self.point_size
        checked = self._checked_batch if self.vectorized else self._checked_points
        return map_points(self.f, points, self.backend, args=self.args,
                          vectorized=self.vectorized, progress=self.progress,
                          max_points=max(1, MAX_ELEMENTS_PER_CALL // size), convert=checked)

    def _checked_points(self, values: np.ndarray, block: np.ndarray) -> np.ndarray:
        self.calls += len(block)
        values = _as_numeric(values, "the values at the points")
        self._check_out_shape(values.shape[1:], "for one point")
        return values

    def _checked_batch(self, value, block: np.ndarray, counted: bool = False) -> np.ndarray:
        if not counted:
            self.calls += 1
        value = _as_numeric(value, "the value of a batch")
        if not (value.ndim >= 1 and value.shape[0] == block.shape[0]):
            raise ValueError(
                f"`f` returned shape {value.shape} for a batch of shape {block.shape}; with "
                f"vectorized=True, f must map an array of shape (N, *x.shape) to (N, ...) "
                f"(leading batch axis). Pass vectorized=False if f takes one point at a time.")
        self._check_out_shape(value.shape[1:], "per point")
        return value

    def _check_out_shape(self, shape: tuple, how: str) -> None:
        if self.out_shape is None:
            self.out_shape = tuple(shape)
        elif tuple(shape) != self.out_shape:
            raise ValueError(f"`f` returned shape {tuple(shape)} {how}, but shape "
                             f"{self.out_shape} before; f must return the same shape at "
                             "every point")

    def _real(self, values: np.ndarray) -> np.ndarray:
        """float64 (or complex128) values; notes a lower precision of f's values."""
        values = np.asarray(values)
        if values.dtype.kind == "f" and values.dtype != self.value_dtype and np.finfo(
                values.dtype).eps > np.finfo(self.value_dtype).eps:
            self.value_dtype = values.dtype
        if values.dtype.kind == "c":
            return values.astype(np.complex128, copy=False)
        return values.astype(np.float64, copy=False)


@functools.lru_cache(maxsize=16)
def _epsilon(dtype: np.dtype) -> float:
    return float(np.finfo(dtype).eps)


def _cut(args: tuple, shape: tuple, which: np.ndarray) -> tuple:
    """``args`` for the pending elements: arrays of x's shape are cut to ``which``."""
    cut = []
    for arg in args:
        if isinstance(arg, np.ndarray) and arg.shape == shape and arg.ndim > 0:
            cut.append(arg.reshape(-1)[which])
        else:
            cut.append(arg)
    return tuple(cut)

"""The function under check as the engine sees it: flat points in, flat values out.

The checker works on flattened shapes: ``x`` of shape ``S`` is a vector of
``d = prod(S)`` entries and a value of shape ``O`` a vector of
``m = prod(O)`` entries, so a Jacobian is always ``(m, d)``.
:class:`FlatFunction` wraps the user's callable (vectorized or not, a numpy
function or a TF model's black-box adapter) accordingly, and builds the
functions of fewer variables the checker needs: f with only some inputs
free (:meth:`restricted`), f along a line through x (:meth:`along`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import check_argument

__all__ = ["FlatFunction", "is_tensorflow_object", "returns_tensorflow"]

_TF_ROOTS = {"keras", "tensorflow", "tf_keras"}


def is_tensorflow_object(f) -> bool:
    """A Keras model, layer or TF function, told by its classes' modules (no TF import)."""
    roots = {cls.__module__.split(".")[0] for cls in type(f).__mro__}
    return bool(roots & _TF_ROOTS) or type(f).__module__.startswith("finitediff.tf.")


def returns_tensorflow(value) -> bool:
    """Whether a value f returned is a TensorFlow tensor (a plain function of TF ops)."""
    return type(value).__module__.split(".")[0] in _TF_ROOTS


class FlatFunction:
    """``(N, d)`` points to ``(N, m)`` values, for a callable on ``(N, *S)`` or on ``S``.

    Parameters
    ----------
    f : callable
        Maps ``(N, *S)`` to ``(N, *O)`` (``vectorized``) or ``S`` to ``O``.
    point_shape : tuple
        ``S``.
    vectorized : bool

    Attributes
    ----------
    dtype : numpy dtype
        The precision f computes in (f's own ``dtype`` attribute, as a black
        box of a float32 model has; float64 otherwise), read by the engine's
        round-off model.
    returned_tensorflow : bool or None
        Whether f returned a TensorFlow tensor on its first call.
    """

    def __init__(self, f: Callable, point_shape: tuple, *, vectorized: bool = True):
        self.f = f
        self.point_shape = tuple(point_shape)
        self.vectorized = bool(vectorized)
        self.out_shape: tuple | None = None
        self.returned_tensorflow: bool | None = None
        self.known_dtype: np.dtype | None = None

    @property
    def dtype(self) -> np.dtype:
        """``known_dtype`` when set (the reference's finding), else f's own ``dtype``."""
        if self.known_dtype is not None:
            return self.known_dtype
        return np.dtype(getattr(self.f, "dtype", np.float64))

    def _raw(self, points):
        raw = self.f(points)
        if self.returned_tensorflow is None:
            self.returned_tensorflow = returns_tensorflow(raw)
        return np.asarray(raw, dtype=np.float64)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=np.float64)
        count = points.shape[0]
        shaped = points.reshape((count,) + self.point_shape)
        if self.vectorized:
            values = self._raw(shaped)
            check_argument(
                values.ndim >= 1 and values.shape[0] == count,
                f"`f` returned shape {values.shape} for a batch of {count} points of shape "
                f"{self.point_shape}; with vectorized=True f must take (N, *x.shape) and return "
                "(N, ...). Pass vectorized=False if f takes one point at a time.")
            out = values.shape[1:]
        else:
            values = np.stack([self._raw(point) for point in shaped])
            out = values.shape[1:]
        if self.out_shape is None:
            self.out_shape = tuple(out)
        return values.reshape(count, -1)

    def value(self, x: np.ndarray) -> np.ndarray:
        """f at one flat point, flat."""
        return self(x[None])[0]

    def restricted(self, x: np.ndarray, columns) -> _Restricted:
        """f of the inputs ``columns`` only, the others held at ``x``."""
        return _Restricted(self, x, np.asarray(columns, dtype=np.int64))

    def along(self, x: np.ndarray, direction: np.ndarray, output: int) -> _Line:
        """``t ↦ f_output(x + t·direction)``, elementwise in t (for ECnoise)."""
        return _Line(self, x, direction, int(output))


class _Restricted:
    """``(N, k)`` values of the free inputs to ``(N, m)``."""

    def __init__(self, function: FlatFunction, x: np.ndarray, columns: np.ndarray):
        self.function, self.x, self.columns = function, x, columns

    @property
    def dtype(self) -> np.dtype:
        return self.function.dtype

    def __call__(self, points: np.ndarray) -> np.ndarray:
        full = np.repeat(self.x[None], points.shape[0], axis=0)
        full[:, self.columns] = points
        return self.function(full)


class _Line:
    def __init__(self, function: FlatFunction, x, direction, output: int):
        self.function, self.x, self.direction, self.output = function, x, direction, output

    @property
    def dtype(self) -> np.dtype:
        return self.function.dtype

    def __call__(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        points = self.x[None] + t.reshape(-1, 1) * self.direction[None]
        return self.function(points)[:, self.output].reshape(t.shape)

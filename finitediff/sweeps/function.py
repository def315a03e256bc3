"""The function a sweep differentiates, as one batched callable.

:class:`BatchFunction` takes stacked points, shape ``(U, *point_shape)``, and
returns one value per point, ``(U,)``: in one call of ``f`` when ``f`` is
vectorized, else one call per point. A point is a scalar for an elementwise
``f`` and a vector ``(d,)`` along ``direction=``. Keras models and TF
functions go through :func:`finitediff.black_box`, imported only for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import check_argument

__all__ = ["BatchFunction", "is_keras_model", "is_tensorflow_object"]


def _class_roots(f: Any) -> set[str]:
    return {cls.__module__.split(".")[0] for cls in type(f).__mro__}


def is_tensorflow_object(f: Any) -> bool:
    """A Keras model, TF function or finitediff model adapter, told by its classes' modules.

    Reads module names only, so plain numpy callables never import TensorFlow.
    """
    return bool(_class_roots(f) & {"keras", "tensorflow", "tf_keras"}) or (
        type(f).__module__.startswith("finitediff.tf."))


def is_keras_model(f: Any) -> bool:
    if "keras" not in _class_roots(f):
        return False
    import keras

    return isinstance(f, keras.Model)


class BatchFunction:
    """``f`` on stacked points, one value per point, counting its calls.

    Parameters
    ----------
    f : callable
        The user's function (a Keras model or TF function is wrapped in
        :func:`finitediff.black_box`).
    point_shape : tuple
        ``()`` for an elementwise ``f``, ``(d,)`` along a direction.
    vectorized : bool
        Whether ``f`` maps ``(U, *point_shape)`` to ``(U,)`` in one call.
    """

    def __init__(self, f: Callable, *, point_shape: tuple, vectorized: bool):
        check_argument(callable(f), f"`f` must be callable, got {f!r}", error=TypeError)
        self.tensorflow = is_tensorflow_object(f)
        if self.tensorflow:
            from ..tf import black_box  # imports TensorFlow, only for TF objects

            f, vectorized = black_box(f), True
        self.f = f
        self.point_shape = tuple(point_shape)
        self.vectorized = bool(vectorized)
        self.calls = 0

    def cost(self, count: int) -> int:
        """The calls of f that ``count`` points take."""
        return 1 if self.vectorized else count

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """One value per point; adds to :attr:`calls` (not thread-safe: evaluators count
        their own calls with :meth:`cost`)."""
        points = np.asarray(points)
        if self.vectorized:
            self.calls += 1
            values = self._checked(self.f(points), (points.shape[0],))
        else:
            self.calls += points.shape[0]
            values = [self._checked(self.f(point), ()) for point in points]
            values = np.array(values).reshape(points.shape[0])
        return values

    @staticmethod
    def _checked(value, shape: tuple) -> np.ndarray:
        try:
            array = np.asarray(value)
        except Exception as exc:
            raise TypeError(f"`f` must return numbers: {exc}") from exc
        check_argument(array.dtype.kind in "biufc",
                       f"`f` must return real or complex numbers, got dtype {array.dtype}",
                       error=TypeError)
        if array.shape != shape and array.size == int(np.prod(shape)):
            array = array.reshape(shape)  # e.g. (U, 1) from a model with one output unit
        check_argument(array.shape == shape,
                       f"`f` must return one value per point: shape {shape} expected, got "
                       f"{array.shape}")
        return array.astype(np.complex128 if array.dtype.kind == "c" else np.float64,
                            copy=False)

    def accepts_complex(self, points: np.ndarray) -> bool:
        """Whether ``f`` carries an imaginary part through (the complex step needs it)."""
        if self.tensorflow:
            return False
        try:
            with np.errstate(all="ignore"):
                values = self(points.astype(np.complex128) + 1e-20j)
        except (TypeError, ValueError):
            return False
        return values.dtype.kind == "c" and bool(np.any(values.imag != 0))

    def __repr__(self) -> str:
        return f"BatchFunction({self.f!r}, point_shape={self.point_shape})"

"""The derivatives under test: user callables, or TensorFlow autodiff.

A reference answers, at a stack of flat points ``(P, d)``: the Jacobian
``(P, m, d)``, the Hessian ``(P, d, d)`` of a scalar f, products with
directions (``jvp``, ``vjp``, ``hvp``), and the gradient as a function
(finite differences of it check the Hessian). ``None`` means "autodiff
found no path from the input to the output".

:class:`CallableReference` evaluates the ``grad=`` and ``hess=`` callables
(scipy's ``check_grad`` case); TensorFlow objects get
:class:`finitediff.tf.reference.AutodiffReference`, imported only for them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import check_argument
from .function import FlatFunction

__all__ = ["CallableReference"]

class CallableReference:
    """The user's ``grad`` (``x -> ∂f/∂x``, shape ``O + S``) and ``hess`` (``S + S``).

    Both take one point of the shape of x. Products are formed from the
    full matrices, which the callables return anyway.
    """

    name = "grad= / hess= callables"
    epsilon = float(np.finfo(np.float64).eps)

    def __init__(self, grad: Callable | None, hess: Callable | None, point_shape: tuple,
                 out_size: int):
        self.grad, self.hess = grad, hess
        self.point_shape = tuple(point_shape)
        self.size = int(np.prod(self.point_shape, dtype=np.int64))
        self.out_size = out_size

    def available(self, order: int) -> bool:
        return (self.grad if order == 1 else self.hess) is not None

    def _matrix(self, call, name: str, point: np.ndarray, rows: int) -> np.ndarray:
        value = np.asarray(call(point.reshape(self.point_shape)), dtype=np.float64)
        check_argument(
            value.size == rows * self.size,
            f"`{name}` must return {rows * self.size} values (shape of f's value + shape of x"
            f"{', twice' if name == 'hess' else ''}), got shape {value.shape}")
        return value.reshape(rows, self.size)

    def jacobian(self, points: np.ndarray) -> np.ndarray:
        return np.stack([self._matrix(self.grad, "grad", p, self.out_size) for p in points])

    def hessian(self, points: np.ndarray) -> np.ndarray:
        return np.stack([self._matrix(self.hess, "hess", p, self.size) for p in points])

    def jvp(self, points: np.ndarray, u: np.ndarray) -> np.ndarray:
        return self.jacobian(points) @ u

    def vjp(self, points: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.einsum("m,pmd->pd", v, self.jacobian(points))

    def hvp(self, points: np.ndarray, u: np.ndarray) -> np.ndarray:
        return self.hessian(points) @ u

    def hessian_vjp(self, points: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.einsum("i,pij->pj", v, self.hessian(points))

    def gradient_function(self) -> FlatFunction | None:
        """The gradient as a function of x (one point at a time), if ``grad`` was given."""
        if self.grad is None:
            return None
        return FlatFunction(self.grad, self.point_shape, vectorized=False)

    def precision_findings(self) -> list:
        return []

    def blocking_ops(self, order: int = 1) -> list:
        return []

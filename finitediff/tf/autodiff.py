"""Reference derivatives by TensorFlow autodiff (nested ``GradientTape``)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from ..errors import check_argument, check_finite_array, check_nonnegative_int

__all__ = ["autodiff_derivatives"]


def _input_size(model_or_fn) -> int | None:
    """Number of input features of a Keras model, None for other callables."""
    if isinstance(model_or_fn, keras.Model):
        return int(np.prod(model_or_fn.inputs[0].shape[1:]))
    return None


def _scalar_outputs(values: tf.Tensor, batch: int) -> tf.Tensor:
    values = tf.reshape(values, (batch, -1))
    check_argument(values.shape[1] == 1,
                   f"autodiff_derivatives needs a scalar output per sample, got "
                   f"{values.shape[1]} values")
    return values[:, 0]


def _tower(call, flat: tf.Tensor, top: int, as_column: bool) -> list[tf.Tensor]:
    """``[f, f', …, f^(top)]`` at ``flat``, each gradient recorded by the tapes around it.

    Sample i depends on x_i only, so the gradient of the sum is elementwise.
    """
    if top == 0:
        values = call(tf.reshape(flat, (-1, 1)) if as_column else flat)
        return [_scalar_outputs(values, flat.shape[0])]
    with tf.GradientTape() as tape:
        tape.watch(flat)
        lower = _tower(call, flat, top - 1, as_column)
        total = tf.reduce_sum(lower[-1])
    gradient = tape.gradient(total, flat)
    return lower + [tf.zeros_like(flat) if gradient is None else gradient]


def _elementwise(call, x: np.ndarray, orders: tuple[int, ...], as_column: bool):
    """Derivatives of any order of an elementwise scalar function, by nested tapes."""
    flat = tf.constant(x.reshape(-1), tf.float64)
    derivatives = _tower(call, flat, max(orders), as_column)
    return [derivatives[k].numpy().reshape(x.shape) for k in orders]


def _vector(model, x: np.ndarray, orders: tuple[int, ...], size: int):
    """Value, gradient and Hessian of a model of ``size`` inputs, per sample."""
    check_argument(max(orders) <= 2, f"for vector inputs autodiff_derivatives gives orders "
                   f"0, 1 and 2 (value, gradient, Hessian), got {orders}")
    single = x.shape == (size,)
    points = tf.constant(x.reshape(-1, size), tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(points)
        with tf.GradientTape() as inner:
            inner.watch(points)
            values = _scalar_outputs(model(points), points.shape[0])
            total = tf.reduce_sum(values)
        gradient = inner.gradient(total, points)
    hessian = outer.batch_jacobian(gradient, points) if 2 in orders else None
    results = {0: values.numpy(), 1: gradient.numpy(),
               2: None if hessian is None else hessian.numpy()}
    return [results[k][0] if single else results[k] for k in orders]


def autodiff_derivatives(model_or_fn, x, *, orders=(1, 2, 3, 4)) -> list[np.ndarray]:
    """Derivatives of ``model_or_fn`` at ``x`` by TensorFlow autodiff, in float64.

    Parameters
    ----------
    model_or_fn : keras.Model or callable
        A Keras model, or a function of a float64 tensor built from TF ops.
    x : array_like
        For a model with one input feature, and for callables (which must act
        elementwise), any array of points: every order is available.
        For a model with ``d > 1`` input features, one point ``(d,)`` or a
        batch ``(B, d)``: orders 0, 1, 2 (value, gradient, Hessian).
    orders : sequence of int
        Derivative orders, returned in this order.

    Returns
    -------
    list of ndarray
        One float64 array per order: of the shape of ``x`` for scalar inputs;
        ``x.shape[:-1]``, ``x.shape`` and ``x.shape + (d,)`` for the value,
        gradient and Hessian of vector inputs.

    Examples
    --------
    >>> import tensorflow as tf
    >>> from finitediff import autodiff_derivatives
    >>> first, third = autodiff_derivatives(tf.math.log, 2.0, orders=(1, 3))
    >>> float(first), float(third)
    (0.5, 0.25)
    """
    orders = tuple(check_nonnegative_int("orders", k) for k in orders)
    check_argument(len(orders) >= 1, "`orders` must hold at least one derivative order")
    check_argument(callable(model_or_fn), f"`model_or_fn` must be callable, got "
                   f"{model_or_fn!r}", error=TypeError)
    x = check_finite_array("x", x)
    size = _input_size(model_or_fn)
    if size is None or size == 1:
        return _elementwise(model_or_fn, x, orders, as_column=size == 1)
    check_argument(x.shape[-1:] == (size,), f"`x` must have {size} features in its last axis "
                   f"for this model, got shape {x.shape}")
    return _vector(model_or_fn, x, orders, size)

"""Reference derivatives by TensorFlow autodiff (nested ``GradientTape``).

Models with several inputs or outputs, ``wrt=`` (input names, ``"weights"``
or variables) and ``training=`` are read as by the finite-difference
functions (:mod:`finitediff.tf.structure`), and the results are arranged the
same way: values ``[out]``, Jacobians ``[out][inp]`` and Hessians
``[out][inp_i][inp_j]``.
"""

from __future__ import annotations

import functools

import keras
import numpy as np
import tensorflow as tf

from ..errors import check_argument, check_finite_array, check_nonnegative_int
from .calling import call_model
from .layout import Layout
from .structure import flatten_outputs, needs_structure, read_inputs, read_outputs, select_inputs
from .variables import select_variables, wants_variables

__all__ = ["autodiff_derivatives"]


def _input_size(model_or_fn) -> int | None:
    """Number of input features of a Keras model, None for other callables."""
    if isinstance(model_or_fn, keras.Model) and getattr(model_or_fn, "inputs", None):
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


def _flat_jacobian(tape, values: list, sources: list) -> tf.Tensor:
    """``(M, D)``: the gradients of the M scalar ``values`` with respect to all sources.

    ``values`` must have been taken apart while ``tape`` recorded. One
    gradient per value, so that a tape around this one records them (a
    Hessian); ``tape.jacobian`` in eager mode breaks that chain.
    """
    rows = []
    for value in values:
        blocks = tape.gradient(value, sources,
                               unconnected_gradients=tf.UnconnectedGradients.ZERO)
        rows.append(tf.concat([tf.reshape(block, (-1,)) for block in blocks], axis=0))
    return tf.stack(rows)


def _structured_sources(model, x, wrt, training):
    """The sources, a function calling the model on them, their parts, the level, the batch."""
    if wants_variables(wrt):
        inputs = read_inputs(model, x, batched=True)
        arguments = inputs.assemble([tf.cast(tf.constant(f.value), f.dtype)
                                     for f in inputs.feeds])
        call_model(model, arguments, training=training)  # builds a subclassed model
        variables, parts, level = select_variables(model, wrt)
        # a tape watches the tf.Variable behind a Keras variable
        sources = [v.value if isinstance(v, keras.Variable) else v for v in variables]
        evaluate = functools.partial(call_model, model, arguments, training=training)
        return sources, evaluate, parts, level, None  # outputs are whole, not per sample
    inputs, parts, level = select_inputs(read_inputs(model, x), wrt)
    by_key = {feed.key: feed for feed in inputs.feeds}
    sources = [tf.constant(np.asarray(by_key[p.key].value, dtype=np.float64)) for p in parts]

    def evaluate():
        given = dict(zip([p.key for p in parts], sources))
        tensors = [tf.cast(tf.reshape(given[f.key], (1, *f.shape)), f.dtype) if f.differentiated
                   else tf.cast(tf.constant(f.value.reshape((1, *f.shape))), f.dtype)
                   for f in inputs.feeds]
        return call_model(model, inputs.assemble(tensors), training=training)

    return sources, evaluate, parts, level, 1


def _structured(model, x, orders: tuple[int, ...], wrt, training: bool) -> list:
    """Values, Jacobians and Hessians per output and input, arranged like finitediff's."""
    check_argument(max(orders) <= 2, f"per output and input autodiff_derivatives gives orders "
                   f"0, 1 and 2 (value, Jacobian, Hessian), got {orders}")
    sources, evaluate, parts, input_level, batch = _structured_sources(model, x, wrt, training)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(sources)
        with tf.GradientTape(persistent=True) as inner:
            inner.watch(sources)
            values = evaluate()
            flat = tf.concat([tf.reshape(tf.cast(v, tf.float64), (-1,))
                              for _, v in flatten_outputs(values, model)[0]], axis=0)
            scalars = tf.unstack(flat)
        jacobian = _flat_jacobian(inner, scalars, sources) if max(orders) >= 1 else None
        entries = None if jacobian is None else tf.unstack(tf.reshape(jacobian, (-1,)))
    hessian = None
    if 2 in orders:
        hessian = tf.reshape(_flat_jacobian(outer, entries, sources),
                             (flat.shape[0], jacobian.shape[1], -1))
    outputs, output_level, _ = read_outputs(values, model, batch=batch)
    layout = Layout(parts, outputs, input_level, output_level)
    arranged = {0: lambda: layout.arrange(flat.numpy(), ("out",)),
                1: lambda: layout.arrange(jacobian.numpy(), ("out", "in")),
                2: lambda: layout.arrange(hessian.numpy(), ("out", "in", "in"))}
    return [arranged[k]() for k in orders]


def autodiff_derivatives(model_or_fn, x, *, orders=(1, 2, 3, 4), wrt=None,
                         training: bool = False) -> list:
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
    wrt, training : optional
        As for :func:`finitediff.jacobian`. With ``x`` a dict or a list of
        arrays, a model with several inputs or outputs, ``wrt=`` or
        ``training=True``: ``x`` is one sample (the batch, for variables),
        orders 0, 1, 2 give the values ``[out]``, the Jacobian ``[out][inp]``
        (shape ``output_shape + input_shape``) and the Hessian
        ``[out][inp_i][inp_j]``, keyed as finitediff's results.

    Returns
    -------
    list of ndarray
        One float64 array per order: of the shape of ``x`` for scalar inputs;
        ``x.shape[:-1]``, ``x.shape`` and ``x.shape + (d,)`` for the value,
        gradient and Hessian of vector inputs. Per output and input as above.

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
    if needs_structure(model_or_fn, x, wrt, training):
        return _structured(model_or_fn, x, orders, wrt, training)
    x = check_finite_array("x", x)
    size = _input_size(model_or_fn)
    call = functools.partial(call_model, model_or_fn)  # inference mode
    if size is None or size == 1:
        return _elementwise(call, x, orders, as_column=size == 1)
    check_argument(x.shape[-1:] == (size,), f"`x` must have {size} features in its last axis "
                   f"for this model, got shape {x.shape}")
    return _vector(call, x, orders, size)

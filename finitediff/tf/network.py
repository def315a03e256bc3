"""Difference networks: a Keras model that outputs derivatives of another.

For a model ``f`` and orders ``k``, the network evaluates ``f`` once at every
distinct offset ``o`` of the union of the central stencils of the requested
orders, ``x + o·h·e_j`` for every input component ``j``, and combines

    ∂^k f/∂x_j^k (x) ≈ h_j^-k · Σ_o w_ko · f(x + o·h_j·e_j),

with exact Fornberg weights ``w_ko`` on the whole union (so lower orders get
a higher accuracy for free: orders 0–4 at ``accuracy=2`` share the points
``-2..2``, and orders 1 and 2 come out with accuracy 4), or on the integer
``offsets`` given. The step actually used is ``h = (x + eps) − x``, exactly
representable at ``x``, and the network divides by that ``h``; a fed
``eps_reciprocal`` is checked against ``1/eps`` (to ``RECIPROCAL_TOLERANCE``),
not trusted.

Called eagerly, the layer runs its computation as one graph traced once per
input shape and compiled with XLA when the model's ops allow (see
:mod:`finitediff.tf.jit`); inside a graph (a ``tf.function``, ``fit``,
``predict``) it adds its ops to that graph.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ..errors import check_argument, check_step
from .calling import call_model
from .difference_stencils import (
    check_offsets,
    check_orders,
    difference_step,
    network_stencils,
    shared_weights,
)
from .fed_steps import assert_fed_steps, check_fed_steps
from .jit import CompiledFunction
from .precision import check_precision
from .structure import needs_structure

__all__ = ["DifferenceLayer", "difference_network", "difference_step", "network_stencils",
           "check_fed_steps"]


class StencilLayer(keras.layers.Layer):
    """What every difference layer shares: the model, the stencils of the orders on one
    union of offsets, the step (fixed, or fed per sample), the configuration Keras saves,
    and the graph eager calls run through (:meth:`_compute`, in the subclass)."""

    def __init__(self, model, orders=(0, 1, 2), accuracy=2, step=None, batched=True,
                 jit_compile=True, offsets=None, **kwargs):
        kwargs.setdefault("dtype", "float64")
        super().__init__(**kwargs)
        if isinstance(model, dict):
            model = keras.saving.deserialize_keras_object(model)
        self.model = model
        self.orders = check_orders(orders)
        self.accuracy = accuracy
        self.step = check_step(step)
        self.batched = bool(batched)
        self.jit_compile = bool(jit_compile)
        self._graph = None
        self.stencils = network_stencils(self.orders, accuracy, offsets=offsets)
        self.stencil_offsets = None if offsets is None else list(check_offsets(offsets))
        self.shifts, self.weights_by_order, self.centre_weight = shared_weights(self.stencils)

    def build(self, *args, **kwargs):
        self.built = True

    def get_config(self):
        config = super().get_config()
        config.update(
            model=keras.saving.serialize_keras_object(self.model),
            orders=list(self.orders), accuracy=self.accuracy, step=self.step,
            batched=self.batched, jit_compile=self.jit_compile, offsets=self.stencil_offsets,
        )
        return config

    @property
    def graph(self) -> CompiledFunction:
        """The graph eager calls run through (built on first use)."""
        if self._graph is None:
            self._graph = CompiledFunction(self._compute, self.model,
                                           jit_compile=self.jit_compile)
        return self._graph

    def _compute(self, *args):
        raise NotImplementedError


@keras.saving.register_keras_serializable(package="finitediff")
class DifferenceLayer(StencilLayer):
    """Evaluates ``model`` on a stencil around ``x`` and returns derivatives.

    Called as ``layer(x, eps, eps_reciprocal)`` (``step=None``) or
    ``layer(x)`` (fixed ``step``); returns a list with one tensor per order.
    See :func:`difference_network`. An eager call runs through
    :attr:`graph`, a :class:`~finitediff.tf.jit.CompiledFunction` (XLA unless
    ``jit_compile=False`` or the model's ops do not compile).
    """

    def __init__(self, model, orders=(0, 1, 2), accuracy=2, step=None, batched=True,
                 jit_compile=True, offsets=None, **kwargs):
        super().__init__(model, orders, accuracy, step, batched, jit_compile, offsets, **kwargs)
        self.point_shape = tuple(self.model.input_shape[1:])
        self.size = int(np.prod(self.point_shape))
        self.scalar = self.size == 1

    # -- the computation ----------------------------------------------------
    def _steps(self, x, eps):
        """Per-component step actually taken and its reciprocal, shape ``(B, size)``."""
        flat = ops.reshape(x, (-1, self.size))
        eps = ops.cast(eps, "float64")
        taken = (flat + eps) - flat
        return taken, 1.0 / taken

    def _points(self, x, taken):
        """``x + o·h_j·e_j`` for every nonzero offset o and component j: ``(O·size, B, *I)``."""
        flat = ops.reshape(x, (-1, self.size))
        eye = ops.eye(self.size, dtype="float64")
        # (size, B, size): row j moves component j by h_j.
        moves = eye[:, None, :] * ops.transpose(taken)[:, :, None]
        offsets = ops.convert_to_tensor(np.array(self.shifts, dtype=np.float64))
        shifted = flat[None, None] + offsets[:, None, None, None] * moves[None]
        count = len(self.shifts) * self.size
        return ops.reshape(shifted, (count, -1) + self.point_shape)

    def _evaluate(self, x, points):
        """f at the centre, ``(B, *O)``, and at every point, ``(O, size, B, *O)``."""
        count = len(self.shifts) * self.size
        if self.batched:
            stacked = ops.concatenate([x[None], points], axis=0)
            batch = ops.shape(x)[0]
            values = call_model(self.model, ops.reshape(stacked, (-1,) + self.point_shape))
            values = ops.reshape(values, (count + 1, batch) + tuple(values.shape[1:]))
            centre, shifted = values[0], values[1:]
        else:
            centre = call_model(self.model, x)
            shifted = ops.stack([call_model(self.model, points[i]) for i in range(count)])
        out_shape = tuple(centre.shape[1:])
        shifted = ops.reshape(shifted, (len(self.shifts), self.size, -1) + out_shape)
        return centre, shifted

    def call(self, x, eps=None, eps_reciprocal=None):
        if tf.executing_eagerly():
            if self.step is None:
                check_fed_steps(np.asarray(x), np.asarray(eps), np.asarray(eps_reciprocal))
            return self.graph(x, eps, eps_reciprocal)
        if self.step is None:  # inside a graph: the same checks as graph ops
            x = assert_fed_steps(x, eps, eps_reciprocal)
        return self._compute(x, eps, eps_reciprocal)

    def _compute(self, x, eps=None, eps_reciprocal=None):
        x = ops.cast(x, "float64")
        if self.step is not None:
            eps = ops.full((ops.shape(x)[0], 1), self.step, dtype="float64")
        taken, reciprocal = self._steps(x, eps)
        centre, shifted = self._evaluate(x, self._points(x, taken))
        out_rank = len(centre.shape) - 1
        outputs = []
        for k in self.orders:
            if k == 0:
                outputs.append(centre)
                continue
            weights = ops.convert_to_tensor(np.array(self.weights_by_order[k]))
            total = ops.tensordot(weights, shifted, axes=1)  # (size, B, *O)
            total = total + self.centre_weight[k] * centre[None]
            scale = ops.transpose(reciprocal**k)  # (size, B)
            derivative = total * ops.reshape(scale, ops.shape(scale) + (1,) * out_rank)
            derivative = ops.moveaxis(derivative, 0, 1)  # (B, size, *O)
            if self.scalar:
                derivative = derivative[:, 0]
            else:
                derivative = ops.reshape(
                    derivative, (-1,) + self.point_shape + tuple(centre.shape[1:]))
            outputs.append(derivative)
        return outputs


def difference_network(model: keras.Model, *, orders=(0, 1, 2), accuracy: int = 2,
                       step: float | None = None, batched: bool = True,
                       allow_float32: bool = False, jit_compile: bool = True,
                       offsets=None, wrt=None, training: bool = False) -> keras.Model:
    """A Keras model that outputs the derivatives of ``model`` of the given orders.

    Parameters
    ----------
    model : keras.Model
        A built model with one input of shape ``(batch, *I)`` and one output,
        or a functional model with several inputs or outputs (see below).
    orders : sequence of int
        Derivative orders; the outputs come in this order.
    accuracy : int
        Minimum truncation order of every stencil (even unless ``offsets``
        are given).
    step : float, optional
        With None the network has the inputs ``eps`` and ``eps_reciprocal``
        (float64, shape ``(batch, 1)``, one step per sample; see
        :func:`difference_step` for a good value). The network divides by the
        step actually taken, ``(x + eps) − x``; ``eps`` must be positive and
        change ``x``, and ``eps_reciprocal`` must be ``1/eps`` (checked by
        :func:`check_fed_steps`; ValueError otherwise). With a float, the step is a
        constant of the network and ``x`` is its only input.
    batched : bool
        True: all shifted inputs are stacked into one call of ``model``.
        False: ``model`` is called once per stencil point.
    allow_float32 : bool
        Accept a model computing below float64 (with a warning) instead of
        raising :class:`~finitediff.PrecisionError`.
    jit_compile : bool
        Run eager calls through a graph compiled with XLA (True), falling
        back to a plain graph if XLA cannot compile the model's ops; with
        False the graph is plain. Inside a ``tf.function`` or ``fit`` the
        enclosing graph decides.
    offsets : sequence of int, optional
        The stencil points in steps, shared by all orders (see
        :func:`network_stencils`); by default the union of the central
        stencils of ``accuracy``.
    wrt : str or list of str, optional
        The inputs to differentiate (default: every float input); the others
        (integer ids, masks) are passed through unchanged.
    training : bool
        Call ``model`` in training mode (default: inference mode).

    Returns
    -------
    keras.Model
        Outputs a list in the order of ``orders``. Order 0 is the model's
        output ``(batch, *O)``; order ``k >= 1`` is ``(batch, *I, *O)``, the
        k-th partial derivative along each input component, or ``(batch, *O)``
        when the model has a single input feature.

        A model with several inputs or outputs (or a call with ``wrt`` or
        ``training=True``) gives a network whose inputs are a dict: the
        model's inputs by name and, with ``step=None``, ``eps_<name>`` and
        ``eps_reciprocal_<name>`` (shape ``(batch, 1)``) for every
        differentiated input (for a single-input model: ``[x, eps,
        eps_reciprocal]`` as above). Order 0 is the model's outputs; order
        ``k >= 1`` is ``[out][inp]`` of shape ``(batch, *I, *O)``, without the
        output level for a model returning one tensor and without the input
        level when ``wrt`` names one input
        (:mod:`finitediff.tf.structured_network`).

    Examples
    --------
    >>> import keras, numpy as np
    >>> from finitediff import difference_network
    >>> x = keras.Input((1,), dtype="float64")
    >>> model = keras.Model(x, keras.ops.log(x + 2.0))
    >>> net = difference_network(model, orders=(1, 2), step=1e-4)
    >>> first, second = net(np.array([[1.0]]))
    >>> bool(abs(float(first[0, 0]) - 1 / 3) < 1e-8)
    True
    """
    check_argument(isinstance(model, keras.Model),
                   f"`model` must be a keras.Model, got {type(model).__name__}", error=TypeError)
    if needs_structure(model, None, wrt, training):
        from .structured_network import structured_difference_network  # builds on this module

        return structured_difference_network(
            model, orders=orders, accuracy=accuracy, step=step, batched=batched,
            allow_float32=allow_float32, jit_compile=jit_compile, offsets=offsets, wrt=wrt,
            training=training)
    check_argument(len(getattr(model, "inputs", None) or []) == 1 and
                   len(getattr(model, "outputs", None) or []) == 1,
                   "`model` must be a built model that declares its input and output (a "
                   "functional or Sequential model)")
    step = check_step(step)
    check_precision(model, allow_float32=allow_float32)
    layer = DifferenceLayer(model, orders=orders, accuracy=accuracy, step=step, batched=batched,
                            jit_compile=jit_compile, offsets=offsets, name="difference")
    x = keras.Input(batch_shape=model.inputs[0].shape, dtype="float64", name="x")
    if step is None:
        eps = keras.Input(shape=(1,), dtype="float64", name="eps")
        eps_reciprocal = keras.Input(shape=(1,), dtype="float64", name="eps_reciprocal")
        inputs = [x, eps, eps_reciprocal]
        outputs = layer(x, eps, eps_reciprocal)
    else:
        inputs = x
        outputs = layer(x)
    return keras.Model(inputs, outputs, name=f"difference_network_{model.name}")

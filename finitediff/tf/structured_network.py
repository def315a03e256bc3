"""Difference networks of models with several inputs or outputs.

For each differentiated input ``I`` (every float input, or those ``wrt``
names) and each component ``j`` of it, the model is evaluated at
``x_I + o·h_I·e_j`` for every nonzero offset ``o`` of the stencil union
(:func:`~finitediff.tf.network.network_stencils`), every other input as
given; the centre once for all. Each input has its own step per sample:
``eps_I`` as fed, the step actually used ``(x_I + eps_I) − x_I``.

The network's outputs are a list in the order of ``orders``: order 0 is the
model's outputs; order ``k >= 1`` is ``[out][inp]`` of shape
``(batch, *I, *O)``, the k-th partial derivative of output ``out`` along
each component of input ``inp`` (no input axes for an input of one feature),
as for a network of a single-input model. The output level is dropped for a
model returning a single tensor, the input level when ``wrt`` names one input.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from ..errors import check_argument, check_step
from .calling import call_model
from .flat import flat_model
from .network import StencilLayer
from .structure import declared_inputs, flatten_outputs

__all__ = ["StructuredDifferenceLayer", "structured_difference_network"]


def _output_structure(model) -> tuple[list, bool]:
    """The output keys of a model that declares its outputs, and whether they are a structure."""
    try:
        outputs = model.output
    except (AttributeError, ValueError):  # a Sequential never called
        outputs = model.outputs[0] if len(model.outputs) == 1 else list(model.outputs)
    items, structured = flatten_outputs(outputs, model)
    return [key for key, _ in items], structured


@keras.saving.register_keras_serializable(package="finitediff")
class StructuredDifferenceLayer(StencilLayer):
    """Evaluates ``model`` around its inputs and returns derivatives per output and input.

    Called as ``layer(inputs, eps, eps_reciprocal)`` (dicts keyed by input
    name; ``step=None``) or ``layer(inputs)`` (fixed ``step``). See
    :func:`structured_difference_network`.
    """

    def __init__(self, model, orders=(0, 1, 2), accuracy=2, step=None, batched=True,
                 jit_compile=True, offsets=None, differentiated=(), input_level=True,
                 training=False, **kwargs):
        super().__init__(model, orders, accuracy, step, batched, jit_compile, offsets, **kwargs)
        self.training = bool(training)
        self.kind, declared = declared_inputs(self.model)
        self.names = [name for name, _ in declared]
        self.shapes = {name: tuple(tensor.shape[1:]) for name, tensor in declared}
        self.differentiated = list(differentiated)
        self.input_level = bool(input_level)
        self.output_keys, self.output_level = _output_structure(self.model)

    def get_config(self):
        config = super().get_config()
        config.update(differentiated=self.differentiated, input_level=self.input_level,
                      training=self.training)
        return config

    def call(self, inputs, eps=None, eps_reciprocal=None):
        if tf.executing_eagerly():
            return self.graph(inputs, eps, eps_reciprocal)
        return self._compute(inputs, eps, eps_reciprocal)

    # -- the computation ----------------------------------------------------
    def _shifted(self, value, name, eps, eps_reciprocal):
        """Points ``(count, B, *I)``, each moving one component of ``name``; ``1/h`` per sample."""
        shape = self.shapes[name]
        size = int(np.prod(shape, dtype=np.int64))
        flat = tf.reshape(value, (-1, size))
        if self.step is not None:
            step = tf.fill((tf.shape(flat)[0], 1), tf.constant(self.step, tf.float64))
            step_reciprocal = 1.0 / step
        else:
            step = tf.cast(eps[name], tf.float64)
            step_reciprocal = tf.cast(eps_reciprocal[name], tf.float64)
        taken = (flat + step) - flat
        # step/taken is 1 exactly when the step is representable at x
        reciprocal = step_reciprocal * (step / taken)
        moves = tf.eye(size, dtype=tf.float64)[:, None, :] * tf.transpose(taken)[:, :, None]
        offsets = tf.constant(np.array(self.shifts, dtype=np.float64))
        shifted = flat[None, None] + offsets[:, None, None, None] * moves[None]
        return tf.reshape(shifted, (len(self.shifts) * size, -1) + shape), reciprocal

    def _call(self, values: dict):
        arguments = [values[name] for name in self.names]
        if self.kind == "dict":
            arguments = dict(zip(self.names, arguments))
        elif self.kind == "tensor":
            arguments = arguments[0]
        outputs = call_model(self.model, arguments, training=self.training)
        return [value for _, value in flatten_outputs(outputs, self.model)[0]]

    def _evaluate(self, blocks: list[dict], counts: list[int]) -> list[list]:
        """Per output, per block: the values ``(count, B, *O)``."""
        def flat_block(block, name):
            return tf.reshape(block[name], (-1,) + self.shapes[name])

        if self.batched:
            stacked = {name: tf.concat([flat_block(b, name) for b in blocks], axis=0)
                       for name in self.names}
            outputs = self._call(stacked)
            total = sum(counts)
            return [tf.split(tf.reshape(v, (total, -1) + tuple(v.shape[1:])), counts, axis=0)
                    for v in outputs]
        per_point = [self._call({name: b[name][i] for name in self.names})
                     for b, count in zip(blocks, counts) for i in range(count)]
        result, start = [], 0
        for count in counts:
            result.append([tf.stack([p[o] for p in per_point[start:start + count]])
                           for o in range(len(self.output_keys))])
            start += count
        return [list(blocks_of_output) for blocks_of_output in zip(*result)]

    def _compute(self, inputs, eps=None, eps_reciprocal=None):
        x = {name: tf.convert_to_tensor(inputs[name]) for name in self.names}
        for name in self.differentiated:
            x[name] = tf.cast(x[name], tf.float64)
        blocks, counts, reciprocals = [{name: x[name][None] for name in self.names}], [1], {}
        for name in self.differentiated:
            points, reciprocals[name] = self._shifted(x[name], name, eps, eps_reciprocal)
            count = int(points.shape[0])
            blocks.append({n: points if n == name else tf.broadcast_to(
                x[n][None], tf.concat([[count], tf.shape(x[n])], axis=0)) for n in self.names})
            counts.append(count)
        values = self._evaluate(blocks, counts)
        return [self._order(k, values, reciprocals) for k in self.orders]

    def _derivative(self, k: int, centre, shifted, reciprocal, name):
        """``(B, *I, *O)``: the k-th partials of one output along each component of ``name``."""
        out_shape = tuple(centre.shape[1:])
        size = int(reciprocal.shape[1])
        shifted = tf.reshape(shifted, (len(self.shifts), size, -1) + out_shape)
        weights = tf.constant(np.array(self.weights_by_order[k]))
        total = tf.tensordot(weights, shifted, axes=1) + self.centre_weight[k] * centre[None]
        scale = tf.transpose(reciprocal**k)  # (size, B)
        total = total * tf.reshape(scale, tf.concat([tf.shape(scale), [1] * len(out_shape)], 0))
        total = tf.transpose(total, [1, 0] + list(range(2, 2 + len(out_shape))))
        if size == 1:
            return total[:, 0]
        return tf.reshape(total, (-1,) + self.shapes[name] + out_shape)

    def _order(self, k: int, values: list[list], reciprocals: dict):
        """Order k as the network outputs it: ``[out]`` (k = 0) or ``[out][inp]``."""
        def per_input(o: int):
            centre = values[o][0][0]
            found = {name: self._derivative(k, centre, values[o][1 + i], reciprocals[name], name)
                     for i, name in enumerate(self.differentiated)}
            return found if self.input_level else found[self.differentiated[0]]

        def per_output(make):
            found = {key: make(o) for o, key in enumerate(self.output_keys)}
            return found if self.output_level else found[self.output_keys[0]]

        if k == 0:
            return per_output(lambda o: values[o][0][0])
        return per_output(per_input)


def _probe_x(kind: str, declared: list):
    """A point of the declared shapes (0.5 for floats, 0 otherwise) for the precision check."""
    values = {}
    for name, tensor in declared:
        shape = tuple(tensor.shape[1:])
        check_argument(all(isinstance(s, int) for s in shape),
                       f"a difference network needs fully known input shapes; input {name!r} "
                       f"has shape {shape}")
        floating = tf.as_dtype(tensor.dtype).is_floating
        values[name] = np.full(shape, 0.5) if floating else np.zeros(shape, dtype=np.int64)
    if kind == "dict":
        return values
    return list(values.values()) if kind == "list" else next(iter(values.values()))


def structured_difference_network(model, *, orders=(0, 1, 2), accuracy: int = 2,
                                  step: float | None = None, batched: bool = True,
                                  allow_float32: bool = False, jit_compile: bool = True,
                                  offsets=None, wrt=None, training: bool = False) -> keras.Model:
    """The difference network of a model with several inputs or outputs (see the module)."""
    declared = declared_inputs(model)
    check_argument(declared is not None, "`model` must declare its inputs (a functional or "
                   "Sequential model) to build a difference network", error=TypeError)
    kind, items = declared
    step = check_step(step)
    # reads wrt, checks the dtypes and the precision as the derivative functions do
    layout = flat_model(model, _probe_x(kind, items), wrt=wrt, training=training,
                        jit_compile=jit_compile, allow_float32=allow_float32).layout
    differentiated = [part.key for part in layout.inputs]
    layer = StructuredDifferenceLayer(
        model, orders=orders, accuracy=accuracy, step=step, batched=batched,
        jit_compile=jit_compile, offsets=offsets, differentiated=differentiated,
        input_level=layout.input_level, training=training, name="difference")
    inputs = {name: keras.Input(batch_shape=tensor.shape, dtype=tensor.dtype, name=name)
              for name, tensor in items}
    if kind == "tensor":
        name = items[0][0]
        if step is not None:
            return keras.Model(inputs[name], layer(inputs),
                               name=f"difference_network_{model.name}")
        eps = keras.Input(shape=(1,), dtype="float64", name="eps")
        eps_reciprocal = keras.Input(shape=(1,), dtype="float64", name="eps_reciprocal")
        outputs = layer(inputs, {name: eps}, {name: eps_reciprocal})
        return keras.Model([inputs[name], eps, eps_reciprocal], outputs,
                           name=f"difference_network_{model.name}")
    feeds = dict(inputs)
    if step is None:
        eps = {n: keras.Input(shape=(1,), dtype="float64", name=f"eps_{n}")
               for n in differentiated}
        eps_reciprocal = {n: keras.Input(shape=(1,), dtype="float64", name=f"eps_reciprocal_{n}")
                          for n in differentiated}
        feeds.update({f"eps_{n}": eps[n] for n in differentiated})
        feeds.update({f"eps_reciprocal_{n}": eps_reciprocal[n] for n in differentiated})
        outputs = layer(inputs, eps, eps_reciprocal)
    else:
        outputs = layer(inputs)
    return keras.Model(feeds, outputs, name=f"difference_network_{model.name}")

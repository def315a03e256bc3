"""Derivatives with respect to weights: the gradient checker a custom layer needs.

References are TF autodiff (``GradientTape``), which for the custom layer
uses its hand-written gradient. After every call, also one that fails
midway, the weights are bit-identical to what they were.
"""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from finitediff import gradient, hessian, jacobian  # noqa: E402
from finitediff.tf import autodiff_derivatives, flat_model  # noqa: E402

pytestmark = pytest.mark.tf

BATCH = np.array([[0.3, -0.2, 0.5], [-0.4, 0.1, 0.2]])


def _scaled_tanh(correct: bool):
    """``scale · tanh(x @ kernel)`` with a hand-written gradient (wrong if not ``correct``)."""

    @tf.custom_gradient
    def forward(x, kernel, scale):
        activation = tf.tanh(x @ kernel)

        def backward(upstream):
            # the buggy version forgets the derivative of tanh
            slope = (1.0 - activation**2) if correct else 1.0
            pre = upstream * scale * slope
            return (pre @ tf.transpose(kernel), tf.transpose(x) @ pre,
                    tf.reduce_sum(upstream * activation, axis=0))

        return scale * activation, backward

    return forward


class ScaledTanh(keras.layers.Layer):
    """A custom layer whose gradient is written by hand (tf.custom_gradient)."""

    def __init__(self, units: int, correct: bool = True, **kwargs):
        super().__init__(dtype="float64", **kwargs)
        self.units = units
        self.forward = _scaled_tanh(correct)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale")

    def call(self, inputs):
        # read the variables first: the custom gradient sees tensors
        return self.forward(inputs, tf.identity(self.kernel), tf.identity(self.scale))


def _model(layer, seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    x = keras.Input((3,), dtype="float64")
    hidden = layer(x)
    total = keras.layers.Dense(1, dtype="float64", name="head")(hidden)
    return keras.Model(x, keras.ops.sum(total, axis=0, keepdims=True), name=layer.name)


@pytest.fixture(scope="module")
def dense_model():
    return _model(keras.layers.Dense(4, activation="tanh", dtype="float64", name="dense"), 31)


@pytest.fixture(scope="module")
def custom_model():
    return _model(ScaledTanh(4, name="scaled_tanh"), 32)


def _snapshot(model) -> list[bytes]:
    return [v.numpy().tobytes() for v in model.variables]


def _tape_gradient(model) -> dict:
    with tf.GradientTape() as tape:
        value = model(BATCH)
    grads = tape.gradient(value, model.trainable_variables)
    return {v.path: g.numpy() for v, g in zip(model.trainable_variables, grads)}


@pytest.mark.parametrize("name", ["dense_model", "custom_model"])
def test_weight_gradient_matches_autodiff_to_1e_9(name, request):
    model = request.getfixturevalue(name)
    result = gradient(model, BATCH, wrt="weights")
    expected = _tape_gradient(model)
    assert list(result.df) == list(expected)  # keyed by variable path, in the model's order
    for path, exact in expected.items():
        assert result.df[path].shape == exact.shape
        relative = np.max(np.abs(result.df[path] - exact)) / np.max(np.abs(exact))
        assert relative <= 1e-9, path
        assert np.all(np.abs(result.df[path] - exact) <= result.error[path]), path


@pytest.mark.parametrize("name", ["dense_model", "custom_model"])
def test_weights_are_bit_identical_after_the_call(name, request):
    model = request.getfixturevalue(name)
    before = _snapshot(model)
    gradient(model, BATCH, wrt="weights")
    assert _snapshot(model) == before


def test_a_wrong_hand_written_gradient_is_caught():
    model = _model(ScaledTanh(4, correct=False, name="buggy"), 32)
    result = gradient(model, BATCH, wrt="weights")
    claimed = _tape_gradient(model)
    kernel = "buggy/kernel"
    assert np.any(np.abs(result.df[kernel] - claimed[kernel]) > 100 * result.error[kernel])
    # the bug is in the kernel's and the input's gradient only: the scale's agrees
    scale = "buggy/scale"
    assert np.all(np.abs(result.df[scale] - claimed[scale]) <= result.error[scale])


def test_autodiff_reference_per_variable_matches_the_tape(custom_model):
    expected = _tape_gradient(custom_model)
    jac = autodiff_derivatives(custom_model, BATCH, orders=(1,), wrt="weights")[0]
    for path, exact in expected.items():
        np.testing.assert_allclose(jac[path], exact, rtol=1e-14)


def test_weight_hessian_matches_autodiff():
    keras.utils.set_random_seed(33)
    x = keras.Input((2,), dtype="float64")
    model = keras.Model(x, keras.ops.sum(
        keras.layers.Dense(2, activation="tanh", dtype="float64", name="small")(x), axis=0,
        keepdims=True)[:, :1])
    batch = np.array([[0.5, -0.3], [0.2, 0.8]])
    result = hessian(model, batch, wrt="weights")
    expected = autodiff_derivatives(model, batch, orders=(2,), wrt="weights")[0]
    for first in expected:
        for second in expected[first]:
            exact = expected[first][second]
            assert result.df[first][second].shape == exact.shape
            np.testing.assert_allclose(result.df[first][second], exact, rtol=1e-6, atol=1e-8)


def test_a_list_of_variables_and_a_single_variable(dense_model):
    kernel = dense_model.get_layer("dense").kernel
    result = gradient(dense_model, BATCH, wrt=[kernel])
    assert list(result.df) == ["dense/kernel"]
    alone = gradient(dense_model, BATCH, wrt=kernel)  # one variable: no level
    np.testing.assert_array_equal(alone.df, result.df["dense/kernel"])


def test_jacobian_of_every_output_value_with_respect_to_weights(dense_model):
    per_sample = keras.Model(dense_model.inputs, dense_model.get_layer("head").output)
    result = jacobian(per_sample, BATCH, wrt="weights")
    kernel = result.df["dense/kernel"]
    assert kernel.shape == (2, 1, 3, 4)  # output (batch 2, 1 unit) + kernel (3, 4)
    with tf.GradientTape() as tape:
        values = per_sample([BATCH])
    exact = tape.jacobian(values, dense_model.get_layer("dense").kernel).numpy()
    np.testing.assert_allclose(kernel, exact, rtol=1e-8, atol=1e-12)


def test_tf_function_with_its_own_variables():
    weights = tf.Variable([0.5, -1.5], dtype=tf.float64, name="w")
    offset = tf.Variable(0.25, dtype=tf.float64, name="b")
    loss = tf.function(lambda x: tf.reduce_sum(tf.exp(x * weights)) + offset**2)
    result = gradient(loss, np.array([1.0, 2.0]), wrt=[weights, offset])
    np.testing.assert_allclose(result.df["w"], [1.0, 2.0] * np.exp([0.5, -3.0]), rtol=1e-10)
    np.testing.assert_allclose(result.df["b"], 0.5, rtol=1e-10)


def test_a_subclassed_model_is_built_before_its_weights_are_read():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__(dtype="float64")
            self.dense = keras.layers.Dense(1, dtype="float64")

        def call(self, inputs):
            return keras.ops.sum(self.dense(inputs) ** 2, axis=0)

    keras.utils.set_random_seed(34)
    model = Tiny()
    result = gradient(model, BATCH, wrt="weights")
    assert set(result.df) == {v.path for v in model.trainable_variables}
    expected = _tape_gradient(model)
    for path, exact in expected.items():
        np.testing.assert_allclose(result.df[path], exact, rtol=1e-9)


# -- raising midway ---------------------------------------------------------------------
class Fragile(keras.layers.Layer):
    """Fails (inside the graph) once its kernel moves more than ``limit`` from where it was."""

    def __init__(self, limit: float, **kwargs):
        super().__init__(dtype="float64", **kwargs)
        self.limit = limit

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 1), initializer="ones")
        self.start = self.kernel.numpy().copy()

    def call(self, inputs):
        def check(kernel):
            if np.max(np.abs(kernel - self.start)) > self.limit:
                raise RuntimeError("kernel out of range")
            return kernel

        kernel = tf.numpy_function(check, [tf.identity(self.kernel)],
                                   tf.float64, stateful=True)
        return inputs @ tf.reshape(kernel, self.kernel.shape)


def test_weights_are_restored_when_the_model_raises_midway():
    x = keras.Input((3,), dtype="float64")
    model = keras.Model(x, keras.ops.sum(Fragile(1e-3, name="fragile")(x), axis=0,
                                         keepdims=True))
    before = _snapshot(model)
    flat = flat_model(model, BATCH, wrt="weights")
    small = flat.x + 1e-4 * np.eye(flat.x.size)[:2]  # inside the limit: fine
    np.testing.assert_allclose(flat.function(small), model(BATCH).numpy() + 1e-4 * np.sum(
        BATCH[:, :2], axis=0)[:, None], rtol=1e-12)
    assert _snapshot(model) == before
    with pytest.raises(Exception, match="kernel out of range"):
        gradient(model, BATCH, wrt="weights")  # the first points move the kernel by 0.5
    assert _snapshot(model) == before

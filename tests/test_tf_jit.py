"""CompiledFunction: XLA first, a plain graph when XLA cannot compile, errors kept."""

import numpy as np
import pytest
from skips import skip_without

skip_without("tf")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from finitediff.tf.jit import CompiledFunction, xla_failed  # noqa: E402

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def double():
    x = keras.Input((1,), dtype="float64")
    return keras.Model(x, x * 2.0, name="double")


def test_xla_graph_is_traced_once_per_shape(double):
    function = CompiledFunction(double, double)
    np.testing.assert_array_equal(function(tf.constant([[1.5]], tf.float64)), [[3.0]])
    function(tf.constant([[2.5]], tf.float64))
    assert function.jit_compile and function.trace_count == 1
    function(tf.constant([[1.0], [2.0]], tf.float64))
    assert function.trace_count == 2


def test_an_error_of_both_graphs_is_raised_and_xla_stays_on(double):
    def broken(points):
        raise tf.errors.InvalidArgumentError(None, None, "the model's own error")

    function = CompiledFunction(broken, double)
    with pytest.raises(tf.errors.InvalidArgumentError, match="the model's own error"):
        function(tf.constant([[1.0]], tf.float64))
    assert function.jit_compile and not xla_failed(double)


def test_an_op_without_xla_kernel_switches_to_the_plain_graph_for_the_model():
    x = keras.Input((1,), dtype="float64")
    model = keras.Model(x, x + 1.0, name="plus_one")

    def numpy_sin(points):
        values = tf.numpy_function(np.sin, [model(points)], tf.float64)
        return tf.reshape(values, tf.shape(points))

    function = CompiledFunction(numpy_sin, model)
    values = function(tf.constant([[0.5]], tf.float64))
    np.testing.assert_allclose(values, [[np.sin(1.5)]], rtol=1e-15)
    assert not function.jit_compile and xla_failed(model)
    assert not CompiledFunction(model, model).jit_compile  # remembered for the model

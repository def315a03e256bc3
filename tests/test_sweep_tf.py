"""Keras models and TF functions swept through difference networks, against autodiff."""

from __future__ import annotations

import pytest

pytest.importorskip("tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import finitediff as fd  # noqa: E402

pytestmark = pytest.mark.tf


class CountCalls(keras.layers.Layer):
    """The identity, counting how many times the model runs (inside graphs too)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                     dtype="int64", name="count")

    def call(self, x):
        self.count.assign_add(1)
        return x


@pytest.fixture(scope="module")
def seed_model():
    """The seed's model, log(x + 2), with a counter of its executions."""
    x = keras.Input((1,), dtype="float64")
    counter = CountCalls(dtype="float64")
    return keras.Model(x, keras.ops.log(counter(x) + 2.0)), counter


@pytest.fixture(scope="module")
def swept(seed_model):
    model, counter = seed_model
    before = int(counter.count.numpy())
    result = fd.sweep(model, 1.0, n=2, progress=False)
    return result, int(counter.count.numpy()) - before


def test_the_seed_model_is_swept_in_one_model_call_per_method(swept):
    result, executions = swept
    assert result.calls == len(result.methods) == 4
    # the rest: the precision probe, f(x), autodiff twice, the engine's steps
    assert executions == result.calls + result.setup_calls


def test_the_seed_model_is_swept_against_autodiff(swept):
    result, _ = swept
    assert result.reference_kind == "autodiff"
    assert result.reference[0] == pytest.approx(-1 / 9, rel=1e-15)
    assert np.all(result.reference_error == 0)


def test_the_model_sweep_shows_the_same_v_curve_as_numpy(swept):
    result, _ = swept
    best = {o.method: o for o in result.best()}["central2"]
    assert 1e-5 < best.step < 1e-3 and best.error <= 1e-8
    fit = result.fit().get("central2")
    assert fit.truncation.agrees and fit.roundoff.agrees
    assert abs(fit.truncation.slope - 2) <= 0.3 and abs(fit.roundoff.slope + 2) <= 0.5


def test_network_estimates_equal_the_numpy_stencil_up_to_roundoff(swept):
    result, _ = swept
    numpy_result = fd.sweep(lambda x: np.log(x + 2.0), 1.0, n=2, reference=-1 / 9)
    assert np.array_equal(result.step, numpy_result.step)  # the same steps taken
    # the network sums in its own order: the two differ by rounding, ε·Σ|w|·|f|/h^n
    h = result.step[0]
    bound = np.array([m.weight_sum for m in result.methods])[:, None] * 2.3e-16 * 1.2 / h**2
    assert np.all(np.abs(result.estimate[0] - numpy_result.estimate[0]) <= 4 * bound)


def test_a_tf_function_is_swept_as_a_black_box_in_one_call():
    function = tf.function(lambda x: tf.math.log(x + 2.0))
    result = fd.sweep(function, 1.0, n=2, methods=["central2", "central4"], progress=False)
    assert result.calls == 1
    assert result.reference_kind == "autodiff"
    assert {o.method: o for o in result.best()}["central2"].error <= 1e-8


def test_workers_are_refused_for_a_keras_model(seed_model):
    with pytest.raises(ValueError, match="`workers` cannot be used with a Keras model"):
        fd.sweep(seed_model[0], 1.0, workers=2)


def test_a_model_of_several_inputs_needs_a_direction():
    x = keras.Input((2,), dtype="float64")
    model = keras.Model(x, keras.ops.sum(keras.ops.sin(x), axis=1, keepdims=True))
    with pytest.raises(ValueError, match="needs `direction=`"):
        fd.sweep(model, [0.1, 0.2])
    result = fd.sweep(model, [0.1, 0.2], direction=[1.0, 1.0], methods=["central4"],
                      progress=False)
    assert result.reference_kind == "autodiff"
    assert result.reference[0] == pytest.approx(np.cos(0.1) + np.cos(0.2), rel=1e-14)
    assert result.best()[0].error < 1e-11

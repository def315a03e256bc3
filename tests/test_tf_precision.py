"""The precision guard: float32 models are refused with a message saying what to change."""

import warnings

import numpy as np
import pytest
from skips import skip_without

skip_without("tf")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from finitediff import PrecisionError, derivative  # noqa: E402
from finitediff.evaluate import Evaluator  # noqa: E402
from finitediff.tf import (  # noqa: E402
    as_float64,
    autodiff_derivatives,
    black_box,
    check_precision,
    find_low_precision,
)

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def float32_model():
    keras.utils.set_random_seed(7)
    return keras.Sequential([keras.Input((1,)), keras.layers.Dense(8, activation="tanh"),
                             keras.layers.Dense(1)], name="float32_mlp")


@pytest.fixture(scope="module")
def float32_input_model():
    x = keras.Input((1,))  # float32: rounds every input although the layer is float64
    return keras.Model(x, keras.layers.Dense(1, dtype="float64")(x), name="float32_input")


@pytest.fixture(scope="module")
def casting_model():
    # float64 everywhere in the config; the rounding is found only by probing.
    x = keras.Input((1,), dtype="float64")
    rounded = keras.ops.cast(keras.ops.cast(x, "float32"), "float64")
    return keras.Model(x, keras.ops.sin(rounded), name="casting")


def test_float32_model_raises_precision_error_naming_the_fix(float32_model):
    with pytest.raises(PrecisionError, match=r"weights are float32.*as_float64\(model\)"):
        derivative(float32_model, 0.5)


def test_precision_error_is_a_value_error(float32_model):
    with pytest.raises(ValueError, match="computes below float64"):
        check_precision(float32_model)


def test_float32_input_is_found_by_config_and_by_probing(float32_input_model):
    findings = find_low_precision(float32_input_model)
    assert any("has dtype float32, which rounds every input" in f for f in findings)
    assert any("rounded below float64 on the way in" in f for f in findings)


def test_rounding_inside_the_model_is_found_by_probing(casting_model):
    with pytest.raises(PrecisionError, match="inputs are rounded below float64"):
        derivative(casting_model, 1.0)


def test_tf_function_that_casts_to_float32_is_refused():
    function = tf.function(lambda z: tf.cast(tf.exp(tf.cast(z, tf.float32)), tf.float64))
    with pytest.raises(PrecisionError, match="compute in tf.float64 throughout"):
        derivative(function, 1.0)


def test_float64_model_passes_the_guard():
    x = keras.Input((2,), dtype="float64")
    model = keras.Model(x, keras.layers.Dense(1, dtype="float64")(x))
    assert find_low_precision(model) == []
    assert check_precision(model) == np.float64


def test_allow_float32_warns_and_reports_float32(float32_model):
    with pytest.warns(UserWarning, match="computes below float64.*float32 steps"):
        function = black_box(float32_model, allow_float32=True)
    assert function.dtype == np.float32
    assert Evaluator(function, (), vectorized=True, point_shape=()).dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, when the adapter was built
        result = derivative(function, 0.5)
    reference = autodiff_derivatives(float32_model, 0.5, orders=(1,))[0]
    assert abs(result.df - reference) <= 1e-2 * abs(reference) + 1e-3


def test_as_float64_copies_weights_and_passes_the_guard(float32_model):
    copy = as_float64(float32_model)
    assert copy is not float32_model
    assert all(w.dtype == "float64" for w in copy.weights)
    assert copy.inputs[0].dtype == "float64"
    for original, converted in zip(float32_model.get_weights(), copy.get_weights()):
        np.testing.assert_array_equal(original.astype(np.float64), converted)
    assert find_low_precision(copy) == []
    x = np.linspace(-1, 1, 5)[:, None]
    np.testing.assert_allclose(copy(x), float32_model(x.astype(np.float32)), rtol=1e-5)
    # and now finite differences agree with autodiff to float64 accuracy
    result = derivative(copy, 0.3)
    reference = autodiff_derivatives(copy, 0.3, orders=(1,))[0]
    assert abs(result.df - reference) <= 1e-8 * abs(reference)


def test_as_float64_fixes_a_float32_input(float32_input_model):
    copy = as_float64(float32_input_model)
    assert find_low_precision(copy) == []


def test_as_float64_needs_a_keras_model():
    with pytest.raises(TypeError, match="`model` must be a keras.Model"):
        as_float64(lambda x: x)

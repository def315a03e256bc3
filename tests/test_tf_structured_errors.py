"""What cannot work with a structured model is refused up front, naming what to change."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from finitediff import derivative, gradient, hessian, jacobian  # noqa: E402

pytestmark = pytest.mark.tf

X = {"ids": np.array([1, 2]), "a": np.array([0.1, 0.2])}


@pytest.fixture(scope="module")
def model():
    """Inputs ids (int32) and a (2 floats); outputs value (3 floats) and label (int)."""
    ids = keras.Input((2,), dtype="int32", name="ids")
    a = keras.Input((2,), dtype="float64", name="a")
    value = keras.ops.concatenate([a, keras.ops.sum(a, -1, keepdims=True)], -1)
    value = value * keras.ops.cast(keras.ops.sum(ids, -1, keepdims=True), "float64")
    return keras.Model({"ids": ids, "a": a}, {"value": value}, name="ids_and_a")


@pytest.fixture(scope="module")
def int_output_model():
    a = keras.Input((2,), dtype="float64", name="a")
    return keras.Model(a, [a * 2.0, keras.ops.argmax(a, axis=-1)], name="with_argmax")


def test_differentiating_an_integer_input_is_refused(model):
    with pytest.raises(ValueError, match=r"`wrt` names the input 'ids' of dtype int32: only "
                                         r"float inputs can be differentiated"):
        jacobian(model, X, wrt="ids")


def test_a_model_without_float_inputs_points_to_weights():
    ids = keras.Input((2,), dtype="int32", name="ids")
    embedded = keras.layers.Embedding(5, 1, dtype="float64")(ids)
    only_ids = keras.Model(ids, keras.ops.sum(embedded, axis=(1, 2)))
    with pytest.raises(ValueError, match=r"no float input to differentiate.*wrt='weights'"):
        jacobian(only_ids, {"ids": np.array([1, 2])})


def test_a_non_float_output_is_refused(int_output_model):
    with pytest.raises(TypeError, match=r"output 'argmax' of the model has dtype int32: only "
                                        r"float outputs can be differentiated"):
        jacobian(int_output_model, np.array([0.1, 0.2]))


def test_a_dict_missing_an_input_is_refused(model):
    with pytest.raises(ValueError, match=r"`x` is missing the input\(s\) 'ids' of the model "
                                         r"\(it takes 'ids', 'a'\)"):
        jacobian(model, {"a": np.array([0.1, 0.2])})


def test_a_dict_with_an_unknown_key_is_refused(model):
    with pytest.raises(ValueError, match=r"`x` has key\(s\) 'b' that are not inputs"):
        jacobian(model, {**X, "b": np.zeros(2)})


def test_an_array_for_a_model_with_two_inputs_is_refused(model):
    with pytest.raises(ValueError, match=r"`x` must hold one value per input of the model"):
        jacobian(model, np.zeros(2))


def test_a_list_for_a_model_taking_a_dict_is_refused(model):
    with pytest.raises(ValueError, match=r"the model takes a dict keyed by input name"):
        jacobian(model, [np.array([1, 2]), np.array([0.1, 0.2])])


def test_a_batch_of_samples_is_refused_with_a_hint(model):
    with pytest.raises(ValueError, match=r"`x\['a'\]` has shape \(2, 2\) but the model's input "
                                         r"'a' takes \(2,\) per sample \(`x` holds one sample"):
        jacobian(model, {"ids": np.array([1, 2]), "a": np.array([[0.1, 0.2], [0.3, 0.4]])})


def test_an_unknown_wrt_name_lists_the_inputs(model):
    with pytest.raises(ValueError, match=r"`wrt` 'b' is not an input of the model; its inputs "
                                         r"are 'ids', 'a'"):
        jacobian(model, X, wrt="b")


def test_non_finite_x_is_refused(model):
    with pytest.raises(ValueError, match=r"`x\['a'\]` must be finite"):
        jacobian(model, {"ids": np.array([1, 2]), "a": np.array([np.nan, 0.2])})


def test_gradient_of_a_vector_output_points_to_jacobian(model):
    with pytest.raises(ValueError, match=r"must return a scalar for gradient, got output "
                                         r"'value' of shape \(3,\) per sample; use jacobian"):
        gradient(model, X)


def test_args_cannot_be_passed_to_a_structured_model(model):
    with pytest.raises(TypeError, match=r"`args` cannot be passed to a Keras model"):
        hessian(model, X, args=(1.0,))


def test_sparsity_is_not_available_per_output_and_input(model):
    with pytest.raises(ValueError, match=r"`sparsity` is not available per output and input"):
        jacobian(model, X, sparsity=np.ones((3, 2), dtype=bool))


def test_complex_step_is_refused_for_a_model(model):
    with pytest.raises(ValueError, match=r"method='complex' needs f to carry complex numbers"):
        derivative(model, X, method="complex")


def test_training_must_be_a_bool(model):
    with pytest.raises(TypeError, match=r"`training` must be True or False, got 1"):
        jacobian(model, X, training=1)


def test_wrt_is_for_keras_models_only():
    with pytest.raises(TypeError, match=r"`wrt` and `training` apply to Keras models and TF "
                                        r"functions"):
        gradient(lambda x: np.sum(x**2, axis=-1), [1.0, 2.0], wrt=0)


def test_a_dict_x_is_for_keras_models_only():
    with pytest.raises(TypeError, match=r"`x` is a dict: only Keras models and TF functions"):
        gradient(lambda x: x, {"a": 1.0})


def test_a_model_failing_on_x_is_reported_as_a_bad_x():
    class NeedsB(keras.Model):
        def call(self, inputs):
            return inputs["a"] * inputs["b"]

    with pytest.raises(ValueError, match=r"the model could not be called with `x` as given "
                                         r"\(KeyError"):
        jacobian(NeedsB(dtype="float64"), {"a": np.array([1.0])})


def test_an_output_without_the_batch_axis_points_to_weights():
    function = tf.function(lambda x: tf.reduce_sum(x))  # sums over the stacked points
    with pytest.raises(ValueError, match=r"must keep the batch axis.*use wrt='weights'"):
        gradient(function, [np.array([1.0, 2.0])])

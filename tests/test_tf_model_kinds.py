"""Models as people build them: subclassed, never built, integer inputs, training-mode layers."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from finitediff import PrecisionError, gradient, jacobian  # noqa: E402
from finitediff.tf import autodiff_derivatives, flat_model  # noqa: E402

pytestmark = pytest.mark.tf


class TwoInputs(keras.Model):
    """A subclassed model taking {"a": (2,), "b": (1,)}; no `inputs` attribute, never built."""

    def __init__(self, **kwargs):
        super().__init__(dtype="float64", **kwargs)
        self.hidden = keras.layers.Dense(5, activation="tanh", dtype="float64")
        self.out = keras.layers.Dense(1, dtype="float64")

    def call(self, inputs):
        return self.out(self.hidden(keras.ops.concatenate([inputs["a"], inputs["b"]], -1)))


class Float32(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        return self.dense(inputs)


class TrainingByDefault(keras.Model):
    """Dropout and BatchNormalization, and a call that defaults to training=True."""

    def __init__(self, **kwargs):
        super().__init__(dtype="float64", **kwargs)
        self.dense = keras.layers.Dense(4, activation="tanh", dtype="float64")
        self.drop = keras.layers.Dropout(0.5, dtype="float64")
        self.norm = keras.layers.BatchNormalization(dtype="float64")
        self.out = keras.layers.Dense(1, dtype="float64")

    def call(self, inputs, training=True):
        hidden = self.drop(self.dense(inputs), training=training)
        return self.out(self.norm(hidden, training=training))


@pytest.fixture(scope="module")
def embedding_model():
    """Integer ids (embedded) and a float input; one scalar output."""
    keras.utils.set_random_seed(21)
    ids = keras.Input((2,), dtype="int32", name="ids")
    dense = keras.Input((3,), dtype="float64", name="dense")
    embedded = keras.layers.Flatten(dtype="float64")(
        keras.layers.Embedding(10, 2, dtype="float64")(ids))
    hidden = keras.layers.Dense(4, activation="tanh", dtype="float64")(
        keras.ops.concatenate([embedded, dense], -1))
    return keras.Model({"ids": ids, "dense": dense},
                       keras.layers.Dense(1, dtype="float64")(hidden), name="embedding")


X_EMBEDDING = {"ids": np.array([3, 7]), "dense": np.array([0.1, -0.2, 0.4])}


# -- subclassed models --------------------------------------------------------------
def test_subclassed_model_never_built_matches_autodiff():
    keras.utils.set_random_seed(22)
    model = TwoInputs()
    x = {"a": np.array([0.1, 0.2]), "b": np.array([0.5])}
    result = gradient(model, x)  # builds it on the first call
    expected = autodiff_derivatives(model, x, orders=(1,))[0]
    for name in ("a", "b"):
        assert np.shape(result.df[name]) == np.shape(x[name])
        np.testing.assert_allclose(result.df[name], expected[name], rtol=1e-9)
        assert np.all(np.abs(result.df[name] - expected[name]) <= result.error[name])


def test_float32_subclassed_model_raises_precision_error_with_an_array():
    # used to crash with "'Float32' object has no attribute 'inputs'"
    with pytest.raises(PrecisionError, match=r"computes below float64: weights are float32"):
        gradient(Float32(), np.ones(3))


def test_float32_subclassed_model_raises_precision_error_with_a_dict():
    class DictFloat32(Float32):
        def call(self, inputs):
            return self.dense(inputs["a"])

    with pytest.raises(PrecisionError, match=r"weights are float32.*outputs are float32"):
        gradient(DictFloat32(), {"a": np.ones(3)})


def test_float32_model_is_accepted_by_the_adapter_with_allow_float32():
    keras.utils.set_random_seed(24)

    class DictFloat32(Float32):
        def call(self, inputs):
            return keras.ops.tanh(self.dense(inputs["a"]))

    model = DictFloat32()
    x = {"a": np.array([0.5, -0.25, 1.0])}
    with pytest.raises(PrecisionError, match=r"allow_float32=True to finitediff.tf.flat_model"):
        gradient(model, x)
    with pytest.warns(UserWarning, match="computes below float64"):
        flat = flat_model(model, x, allow_float32=True)
    assert flat.function.dtype == np.float32
    result = flat.restructure(jacobian(flat.function, flat.x))
    exact = autodiff_derivatives(model, x, orders=(1,))[0]["a"]
    assert np.all(np.abs(result.df["a"] - exact) <= result.error["a"])  # float32-sized
    assert np.max(result.error["a"]) > 1e-9


def test_subclassed_model_with_two_outputs_asks_for_wrt():
    class Pair(keras.Model):
        def call(self, inputs):
            return [keras.ops.sin(inputs), keras.ops.cos(inputs)]

    model = Pair(dtype="float64")
    with pytest.raises(ValueError, match=r"returned 2 outputs for an array `x`; pass `wrt=`"):
        jacobian(model, np.array([0.3, 0.4]))
    result = jacobian(model, np.array([0.3, 0.4]), wrt=0)
    np.testing.assert_allclose(result.df[1], -np.diag(np.sin([0.3, 0.4])), atol=1e-10)


def test_list_of_arrays_for_a_subclassed_model_is_a_list_of_inputs():
    class Product(keras.Model):
        def call(self, inputs):
            first, second = inputs
            return keras.ops.sum(first * second, axis=-1, keepdims=True)

    result = gradient(Product(dtype="float64"), [np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    np.testing.assert_allclose(result.df[0], [3.0, 4.0], rtol=1e-10)
    np.testing.assert_allclose(result.df[1], [1.0, 2.0], rtol=1e-10)


# -- integer inputs -----------------------------------------------------------------
def test_integer_input_is_held_fixed_and_not_differentiated(embedding_model):
    result = gradient(embedding_model, X_EMBEDDING)
    assert list(result.df) == ["dense"]  # the ids are not a differentiated input
    expected = autodiff_derivatives(embedding_model, X_EMBEDDING, orders=(1,))[0]
    np.testing.assert_allclose(result.df["dense"], expected["dense"], rtol=1e-9)
    assert np.all(np.abs(result.df["dense"] - expected["dense"]) <= result.error["dense"])


def test_integer_input_reaches_the_model_unchanged(embedding_model):
    flat = flat_model(embedding_model, X_EMBEDDING)
    other = flat_model(embedding_model, {"ids": np.array([4, 7]), "dense": X_EMBEDDING["dense"]})
    direct = embedding_model({"ids": X_EMBEDDING["ids"][None], "dense": X_EMBEDDING["dense"][None]})
    np.testing.assert_allclose(flat.function(flat.x[None]), direct, rtol=1e-14)
    traces = flat.trace_count
    assert not np.allclose(other.function(other.x[None]), direct)  # the ids matter
    assert other.trace_count == traces  # new ids, the same graph


# -- training mode ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def training_model():
    keras.utils.set_random_seed(23)
    model = TrainingByDefault()
    model(np.zeros((4, 3)), training=False)  # build
    return model


def test_model_defaulting_to_training_runs_in_inference_mode(training_model):
    x = np.array([0.2, -0.1, 0.3])
    first, second = gradient(training_model, x), gradient(training_model, x)
    np.testing.assert_array_equal(first.df, second.df)  # no dropout: deterministic
    with tf.GradientTape() as tape:
        point = tf.constant(x[None])
        tape.watch(point)
        value = training_model(point, training=False)
    np.testing.assert_allclose(first.df, tape.gradient(value, point).numpy()[0], rtol=1e-9)


def test_training_true_says_the_derivatives_are_not_reproducible(training_model):
    result = jacobian(training_model, np.array([0.2, -0.1, 0.3]), training=True)
    assert "training mode (training=True)" in result.message
    assert "'dropout'" in result.message and "not reproducible" in result.message


def test_training_true_leaves_the_batch_statistics_as_they_were(training_model):
    before = [v.numpy().tobytes() for v in training_model.variables]
    jacobian(training_model, np.array([0.2, -0.1, 0.3]), training=True)
    assert [v.numpy().tobytes() for v in training_model.variables] == before

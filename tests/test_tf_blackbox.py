"""Keras models and TF functions as black boxes for derivative/gradient/jacobian/hessian."""

import numpy as np
import pytest
from skips import skip_without

skip_without("tf")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from finitediff import derivative, gradient, hessian, jacobian  # noqa: E402
from finitediff.evaluate import Evaluator, adapt  # noqa: E402
from finitediff.tf import autodiff_derivatives, black_box  # noqa: E402
from finitediff.tf.jit import xla_failed  # noqa: E402
from finitediff.tf.model import cached_black_box  # noqa: E402

pytestmark = pytest.mark.tf

SEED_EXACT = [np.log(3.0), 1 / 3, -1 / 9, 2 / 27, -2 / 27]  # log(x + 2) at x = 1


@pytest.fixture(scope="module")
def log_model():
    x = keras.Input((1,), dtype="float64")
    return keras.Model(x, keras.ops.log(x + 2.0), name="log_shift")


@pytest.fixture(scope="module")
def mlp():
    keras.utils.set_random_seed(5)
    x = keras.Input((4,), dtype="float64")
    hidden = keras.layers.Dense(12, activation="tanh", dtype="float64")(x)
    return keras.Model(x, keras.layers.Dense(1, dtype="float64")(hidden), name="mlp4")


@pytest.fixture(scope="module")
def two_outputs():
    x = keras.Input((2,), dtype="float64")
    out = keras.ops.stack([x[:, 0] * x[:, 1], keras.ops.sin(x[:, 0])], axis=-1)
    return keras.Model(x, out, name="two_outputs")


# -- the seed example -----------------------------------------------------------
# The issue's tolerances for the default (adaptive) call.
@pytest.mark.parametrize("order, tolerance", [
    (0, 1e-8), (1, 1e-8), (2, 1e-8), (3, 1e-8), (4, 1e-7),
])
def test_seed_derivative_of_keras_model_meets_issue_tolerance(log_model, order, tolerance):
    result = derivative(log_model, 1.0, n=order)
    assert abs(result.df / SEED_EXACT[order] - 1) <= tolerance
    assert abs(result.df - SEED_EXACT[order]) <= result.error


@pytest.mark.parametrize("order, tolerance", [(1, 1e-8), (2, 1e-8), (3, 1e-8), (4, 1e-7)])
def test_seed_derivative_of_keras_model_at_accuracy_6(log_model, order, tolerance):
    result = derivative(log_model, 1.0, n=order, accuracy=6)
    assert abs(result.df / SEED_EXACT[order] - 1) <= tolerance  # measured <= 3.1e-8


def test_scalar_model_acts_elementwise_on_arrays(log_model):
    x = np.array([[0.0, 1.0], [2.0, 5.0]])
    result = derivative(log_model, x)
    assert result.df.shape == x.shape
    np.testing.assert_allclose(result.df, 1 / (x + 2), rtol=1e-9)


# -- a few batched calls, a graph that stops retracing ------------------------------
def test_points_reach_the_model_in_a_few_batched_calls_traced_at_most_twice():
    x = keras.Input((1,), dtype="float64")
    model = keras.Model(x, keras.ops.exp(x) * x)
    first = derivative(model, 1.0, n=2)
    function = cached_black_box(model)
    assert function.calls <= 4 and function.trace_count <= 2  # f(x), then the ladder rounds
    traces = function.trace_count
    second = derivative(model, -0.5, n=2)  # another x
    derivative(model, [1.0, 2.0], n=2)     # another shape: the graph has generalised
    assert function.trace_count == traces
    assert first.nfev > 1 and second.nfev > 1
    np.testing.assert_allclose([first.df, second.df],
                               [3 * np.e, 1.5 * np.exp(-0.5)], rtol=1e-7)


def test_gradient_of_a_vector_model_retraces_not_at_a_new_point(mlp):
    function = cached_black_box(mlp)
    gradient(mlp, np.zeros(4))
    traces = function.trace_count
    gradient(mlp, np.full(4, 0.3))
    assert function.trace_count == traces


def test_vectorized_false_calls_the_model_once_per_point(log_model):
    function = black_box(log_model)
    looped = derivative(function, 1.0, vectorized=False)
    assert function.calls == looped.nfev
    assert abs(looped.df - 1 / 3) <= 1e-9


# -- XLA, and the plain graph where XLA cannot compile --------------------------
class BesselJ0(keras.layers.Layer):
    """tf.math.special.bessel_j0 has no XLA kernel on CPU."""

    def call(self, inputs):
        return tf.math.special.bessel_j0(inputs)


@pytest.fixture(scope="module")
def bessel_model():
    x = keras.Input((1,), dtype="float64")
    return keras.Model(x, BesselJ0(dtype="float64")(x), name="bessel")


def test_model_runs_through_xla_and_stops_retracing():
    x = keras.Input((1,), dtype="float64")
    model = keras.Model(x, keras.ops.sin(x) * x)
    function = black_box(model)
    first = derivative(function, 1.0)
    assert function.jit_compile and function.trace_count <= 2
    traces = function.trace_count
    derivative(function, 2.0)
    assert function.trace_count == traces
    assert abs(first.df - (np.cos(1.0) + np.sin(1.0))) <= 1e-10


def test_model_with_an_op_xla_cannot_compile_falls_back_to_a_plain_graph(bessel_model):
    scipy_special = pytest.importorskip("scipy.special")
    function = black_box(bessel_model)
    assert function.jit_compile  # not tried yet
    first = derivative(function, 1.5)
    assert not function.jit_compile and xla_failed(bessel_model)
    traces = function.trace_count
    assert traces <= 2  # the plain graph, generalised after a second batch size
    second = derivative(function, 0.5)  # another x: no new trace
    assert function.trace_count == traces
    np.testing.assert_allclose([first.df, second.df], -scipy_special.j1([1.5, 0.5]),
                               rtol=1e-9)


def test_xla_failure_is_remembered_for_the_model(bessel_model):
    derivative(black_box(bessel_model), 1.0)
    again = black_box(bessel_model)  # a new adapter of the same model
    assert not again.jit_compile  # no second XLA attempt
    derivative(again, 1.0)
    assert not again.jit_compile and again.trace_count <= 2


def test_jit_compile_false_uses_a_plain_graph(log_model):
    function = black_box(log_model, jit_compile=False)
    result = derivative(function, 1.0)
    assert not function.jit_compile and function.trace_count <= 2
    assert abs(result.df - 1 / 3) <= 1e-10


# -- gradient, jacobian, hessian against autodiff -------------------------------
def test_gradient_and_hessian_of_a_keras_model_match_autodiff(mlp):
    x = np.array([0.2, -0.4, 0.9, 0.1])
    _, ad_gradient, ad_hessian = autodiff_derivatives(mlp, x, orders=(0, 1, 2))
    np.testing.assert_allclose(gradient(mlp, x).df, ad_gradient, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(hessian(mlp, x).df, ad_hessian, rtol=1e-5, atol=1e-6)


def test_jacobian_of_a_two_output_model_is_analytic(two_outputs):
    result = jacobian(two_outputs, [1.0, 2.0])
    np.testing.assert_allclose(result.df, [[2.0, 1.0], [np.cos(1.0), 0.0]], atol=1e-9)


def test_jacobian_of_a_scalar_input_model_with_two_outputs():
    x = keras.Input((1,), dtype="float64")
    model = keras.Model(x, keras.ops.concatenate([keras.ops.sin(x), x**2], axis=-1))
    result = jacobian(model, 0.5)
    np.testing.assert_allclose(result.df, [np.cos(0.5), 1.0], rtol=1e-9)


def test_tf_function_is_a_black_box():
    function = tf.function(lambda z: tf.sin(z) * z)
    result = derivative(function, [0.5, 1.0])
    x = np.array([0.5, 1.0])
    np.testing.assert_allclose(result.df, np.cos(x) * x + np.sin(x), rtol=1e-9)


# -- the hook -----------------------------------------------------------------------
def test_numpy_callables_are_not_adapted():
    assert adapt(np.sin, ()) is np.sin


def test_evaluator_reports_float64_for_a_float64_model(log_model):
    assert Evaluator(log_model, (), vectorized=True, point_shape=()).dtype == np.float64


def test_args_cannot_be_passed_to_a_model(log_model):
    with pytest.raises(TypeError, match="`args` cannot be passed to a Keras model"):
        derivative(log_model, 1.0, args=(2.0,))


def test_points_must_fit_the_model_input(mlp):
    with pytest.raises(ValueError, match=r"do not fit the model's input shape \(4,\)"):
        gradient(mlp, np.zeros(3))

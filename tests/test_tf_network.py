"""Difference networks: values against analytic derivatives and TF autodiff."""

import numpy as np
import pytest
from skips import skip_without

skip_without("tf")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from finitediff import PrecisionError, Stencil  # noqa: E402
from finitediff.tf import (  # noqa: E402
    DifferenceLayer,
    autodiff_derivatives,
    difference_network,
    difference_step,
)
from finitediff.tf.network import network_stencils  # noqa: E402

pytestmark = pytest.mark.tf

SEED_EXACT = [np.log(3.0), 1 / 3, -1 / 9, 2 / 27, -2 / 27]  # log(x + 2) at x = 1


def _feed(x, step):
    x = np.asarray(x, dtype=np.float64)
    eps = np.full((x.shape[0], 1), step)
    return [x, eps, 1.0 / eps]


@pytest.fixture(scope="module")
def log_model():
    x = keras.Input((1,), dtype="float64")
    return keras.Model(x, keras.ops.log(x + 2.0), name="log_shift")


@pytest.fixture(scope="module")
def mlp():
    keras.utils.set_random_seed(3)
    x = keras.Input((3,), dtype="float64")
    hidden = keras.layers.Dense(16, activation="tanh", dtype="float64")(x)
    hidden = keras.layers.Dense(16, activation="tanh", dtype="float64")(hidden)
    return keras.Model(x, keras.layers.Dense(1, dtype="float64")(hidden), name="mlp")


@pytest.fixture(scope="module")
def seed_network(log_model):
    return difference_network(log_model, orders=(0, 1, 2, 3, 4))


# -- the seed example -----------------------------------------------------------
def test_seed_network_reproduces_log_derivatives_at_default_accuracy(seed_network):
    step = difference_step(range(5), accuracy=2)
    values = [float(v[0, 0]) for v in seed_network(_feed([[1.0]], step))]
    errors = np.abs(np.array(values) / SEED_EXACT - 1)
    # measured: 0, 1.2e-11, 1.4e-10, 1.2e-5, 6.5e-6 (XLA); 2e-16, 1.2e-11, 6e-11,
    # 1.2e-5, 1.2e-5 (plain graph)
    assert errors[0] <= 1e-15
    assert np.all(errors[1:3] <= 1e-9)
    assert np.all(errors[3:] <= 5e-5)


def test_seed_network_at_accuracy_6_is_accurate_to_1e_7_for_every_order(log_model):
    net = difference_network(log_model, orders=range(5), accuracy=6)
    values = [float(v[0, 0]) for v in net(_feed([[1.0]], difference_step(range(5), 6)))]
    assert np.all(np.abs(np.array(values) / SEED_EXACT - 1) <= 1e-7)  # measured <= 2.6e-8


def test_autodiff_reproduces_seed_derivatives_to_rounding(log_model):
    values = autodiff_derivatives(log_model, 1.0, orders=(0, 1, 2, 3, 4))
    np.testing.assert_allclose([float(v) for v in values], SEED_EXACT, rtol=4e-16)


def test_network_agrees_with_autodiff_on_many_inputs(seed_network, log_model):
    x = np.linspace(-1.0, 3.0, 7)[:, None]  # x + 2 >= 1: unit-scale derivatives
    step = difference_step(range(5))
    network = seed_network(_feed(x, step))
    reference = autodiff_derivatives(log_model, x, orders=range(5))
    for order, (value, exact) in enumerate(zip(network, reference)):
        tolerance = 1e-8 if order <= 2 else 1e-3
        np.testing.assert_allclose(np.asarray(value), exact, rtol=tolerance,
                                   err_msg=f"order {order}")


# -- structure ------------------------------------------------------------------
def test_orders_0_to_4_share_five_points_with_exact_fornberg_weights():
    stencils = network_stencils(range(5))
    assert {s.offsets for s in stencils.values()} == {(-2, -1, 0, 1, 2)}
    assert stencils[1].exact_weights == Stencil.central(1, accuracy=4).exact_weights
    assert stencils[4].exact_weights == Stencil.central(4, accuracy=2).exact_weights


def test_outputs_follow_the_order_of_orders(log_model):
    x = [[0.5], [1.5]]
    forward = difference_network(log_model, orders=(0, 1, 2))(_feed(x, 1e-3))
    shuffled = difference_network(log_model, orders=(2, 0, 1))(_feed(x, 1e-3))
    for a, b in zip((forward[2], forward[0], forward[1]), shuffled):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_offsets_give_one_stencil_for_every_order_with_exact_weights():
    stencils = network_stencils((1, 2), offsets=(2, 0, -1, 1))
    assert stencils[1] == Stencil([-1, 0, 1, 2], 1)
    assert stencils[1].accuracy == 3 and stencils[2].accuracy == 2


def test_offsets_must_reach_accuracy():
    with pytest.raises(ValueError, match=r"give order 1 accuracy 3, below `accuracy`=4"):
        network_stencils((1,), accuracy=4, offsets=(-1, 0, 1, 2))
    with pytest.raises(TypeError, match="`offsets` must be integers"):
        network_stencils((1,), offsets=(-0.5, 0.5))


def test_gradient_on_offsets_has_the_measured_convergence_order_3(mlp):
    # Independent reference: autodiff; the error must fall as h^3 (a log-log
    # slope of 3) between steps where truncation dominates round-off.
    x = np.array([[0.1, -0.3, 0.7]])
    _, exact = autodiff_derivatives(mlp, x, orders=(0, 1))
    errors = []
    for step in (0.08, 0.04):
        net = difference_network(mlp, orders=(1,), offsets=(-1, 0, 1, 2), step=step)
        errors.append(np.max(np.abs(np.asarray(net(x))[..., 0] - exact)))
    assert 2.6 <= np.log2(errors[0] / errors[1]) <= 3.4


def test_batched_and_per_point_networks_agree(log_model):
    x = [[0.25], [1.0], [2.5]]
    step = difference_step(range(5))
    batched = difference_network(log_model, orders=range(5))(_feed(x, step))
    looped = difference_network(log_model, orders=range(5), batched=False)(_feed(x, step))
    for order, (a, b) in enumerate(zip(batched, looped)):
        # the same points; only last-bit differences of the model, scaled by h^-k
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=0,
                                   err_msg=f"order {order}")


def test_fixed_step_network_has_x_as_only_input_and_matches_fed_step(log_model):
    fixed = difference_network(log_model, orders=(1, 2), step=1e-3)
    assert [t.name for t in fixed.inputs] == ["x"]
    fed = difference_network(log_model, orders=(1, 2))
    assert [t.name for t in fed.inputs] == ["x", "eps", "eps_reciprocal"]
    x = np.array([[0.5], [2.0]])
    for a, b in zip(fixed(x), fed(_feed(x, 1e-3))):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-14)


def test_step_actually_used_is_the_representable_one():
    # f(x) = x at x = 1e6: x + eps is rounded, so dividing by the nominal eps
    # would be off by 4.7e-8; the step actually taken gives 1 to rounding.
    x = keras.Input((1,), dtype="float64")
    identity = keras.Model(x, x * 1.0)
    net = difference_network(identity, orders=(1,))
    eps = 1e-3
    assert (1e6 + eps) - 1e6 != eps
    value = float(net(_feed([[1e6]], eps))[0, 0])
    assert abs(value - 1.0) <= 1e-12


def test_vector_inputs_give_partials_along_each_component(mlp):
    x = np.array([[0.1, -0.3, 0.7], [0.5, 0.2, -0.4]])
    step = difference_step((0, 1, 2))
    value, first, second = difference_network(mlp, orders=(0, 1, 2))(_feed(x, step))
    assert value.shape == (2, 1)
    assert first.shape == second.shape == (2, 3, 1)
    _, gradient, hessian = autodiff_derivatives(mlp, x, orders=(0, 1, 2))
    # accuracy 2 at the step chosen for order 2: truncation ~h² ≈ 1e-8
    np.testing.assert_allclose(np.asarray(first)[..., 0], gradient, rtol=1e-6, atol=1e-9)
    diagonal = np.diagonal(hessian, axis1=1, axis2=2)
    np.testing.assert_allclose(np.asarray(second)[..., 0], diagonal, rtol=1e-6, atol=1e-8)


# -- XLA ---------------------------------------------------------------------------
class BesselJ0(keras.layers.Layer):
    """tf.math.special.bessel_j0 has no XLA kernel on CPU."""

    def call(self, inputs):
        return tf.math.special.bessel_j0(inputs)


def test_eager_call_runs_through_xla_traced_once_per_shape(log_model):
    net = difference_network(log_model, orders=(1,), step=1e-3)
    graph = net.get_layer("difference").graph
    first = net(np.array([[1.0]]))
    assert graph.jit_compile and graph.trace_count == 1
    net(np.array([[2.0]]))  # another x, same shape
    assert graph.trace_count == 1
    net(np.array([[1.0], [2.0]]))  # another batch size: one new trace
    assert graph.trace_count == 2
    assert abs(float(first[0, 0]) - 1 / 3) <= 1e-6


def test_network_of_a_model_xla_cannot_compile_uses_a_plain_graph():
    scipy_special = pytest.importorskip("scipy.special")
    x = keras.Input((1,), dtype="float64")
    model = keras.Model(x, BesselJ0(dtype="float64")(x))
    net = difference_network(model, orders=(1,), accuracy=4, step=1e-3)
    graph = net.get_layer("difference").graph
    value = float(net(np.array([[1.5]]))[0, 0])
    assert not graph.jit_compile and graph.trace_count == 1
    net(np.array([[0.5]]))
    assert graph.trace_count == 1
    assert abs(value + scipy_special.j1(1.5)) <= 1e-10


def test_jit_compile_false_network_matches_the_xla_one(mlp):
    x = np.array([[0.1, -0.3, 0.7], [0.5, 0.2, -0.4]])
    plain = difference_network(mlp, orders=(1, 2), step=1e-3, jit_compile=False)
    compiled = difference_network(mlp, orders=(1, 2), step=1e-3)
    # the same points: last-bit differences of the model, amplified by h^-k
    for a, b, tolerance in zip(plain(x), compiled(x), (1e-11, 1e-8)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=tolerance)
    assert not plain.get_layer("difference").graph.jit_compile
    assert compiled.get_layer("difference").graph.jit_compile


# -- a Keras citizen --------------------------------------------------------------
@pytest.mark.parametrize("step, offsets", [(None, None), (1e-3, None), (1e-3, (-1, 0, 1, 2))],
                         ids=["fed-step", "fixed-step", "offsets"])
def test_save_and_load_round_trips_with_safe_mode(mlp, tmp_path, step, offsets):
    net = difference_network(mlp, orders=(0, 1, 2), step=step, offsets=offsets)
    path = tmp_path / "net.keras"
    net.save(path)
    loaded = keras.models.load_model(path)  # safe_mode=True by default
    x = np.array([[0.1, -0.3, 0.7]])
    feed = x if step is not None else _feed(x, 1e-3)
    for a, b in zip(net(feed), loaded(feed)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert isinstance(loaded.get_layer("difference"), DifferenceLayer)
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in loaded.layers)


def test_gradients_flow_to_the_wrapped_weights():
    # f(x) = a·x² + b·x as Dense(1) on the features (x², x); f'(x) = 2a·x + b,
    # so d f'(x)/d(a, b) = (2x, 1) and the bias gets no gradient from f'.
    x = keras.Input((1,), dtype="float64")
    layer = keras.layers.Dense(1, dtype="float64")
    model = keras.Model(x, layer(keras.ops.concatenate([x * x, x], axis=-1)))
    net = difference_network(model, orders=(1,), step=1e-3)
    point = tf.constant([[1.5]], tf.float64)
    with tf.GradientTape() as tape:
        first = net(point)
        total = tf.reduce_sum(first)
    kernel_grad, bias_grad = tape.gradient(total, [layer.kernel, layer.bias])
    np.testing.assert_allclose(kernel_grad.numpy()[:, 0], [3.0, 1.0], rtol=1e-9)
    assert abs(float(bias_grad[0])) <= 1e-9


def test_training_through_the_network_fits_a_derivative():
    keras.utils.set_random_seed(0)
    x = keras.Input((1,), dtype="float64")
    layer = keras.layers.Dense(1, dtype="float64")
    model = keras.Model(x, layer(keras.ops.concatenate([x * x, x], axis=-1)))
    net = difference_network(model, orders=(1,), step=1e-3)
    net.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    points = np.linspace(-1, 1, 32)[:, None]
    target = 2 * 0.75 * points - 0.5  # f'(x) of f = 0.75 x² − 0.5 x
    before = net.evaluate(points, target, verbose=0)
    net.fit(points, target, epochs=40, batch_size=32, verbose=0)
    after = net.evaluate(points, target, verbose=0)
    assert after < 1e-3 * before
    np.testing.assert_allclose(layer.kernel.numpy()[:, 0], [0.75, -0.5], atol=0.02)


# -- arguments ------------------------------------------------------------------
def test_orders_must_be_distinct(log_model):
    with pytest.raises(ValueError, match="`orders` must be distinct"):
        difference_network(log_model, orders=(1, 1))


def test_accuracy_must_be_even(log_model):
    with pytest.raises(ValueError, match="`accuracy` must be even"):
        difference_network(log_model, accuracy=3)


def test_model_must_be_a_keras_model():
    with pytest.raises(TypeError, match="`model` must be a keras.Model, got function"):
        difference_network(lambda x: x)


def test_float32_model_is_refused(log_model):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    with pytest.raises(PrecisionError, match="weights are float32"):
        difference_network(model)

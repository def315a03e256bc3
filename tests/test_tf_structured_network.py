"""Difference networks of models with several inputs and outputs, against autodiff."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from finitediff.tf import autodiff_derivatives, difference_network, difference_step  # noqa: E402

pytestmark = pytest.mark.tf

ORDERS = (0, 1, 2)
RNG = np.random.default_rng(41)
T = RNG.normal(scale=0.5, size=(3, 1))
S = RNG.normal(scale=0.5, size=(3, 2))


@pytest.fixture(scope="module")
def two_by_two():
    keras.utils.set_random_seed(42)
    t = keras.Input((1,), dtype="float64", name="t")
    s = keras.Input((2,), dtype="float64", name="s")
    hidden = keras.layers.Dense(6, activation="tanh", dtype="float64")(
        keras.ops.concatenate([t, s], axis=-1))
    u = keras.layers.Dense(1, dtype="float64", name="u")(hidden)
    v = keras.layers.Dense(3, activation="tanh", dtype="float64", name="v")(hidden * t)
    return keras.Model([t, s], [u, v], name="two_by_two")


@pytest.fixture(scope="module")
def network(two_by_two):
    return difference_network(two_by_two, orders=ORDERS, accuracy=4)


def _feed(step: float) -> dict:
    eps = np.full((3, 1), step)
    return {"t": T, "s": S, "eps_t": eps, "eps_reciprocal_t": 1 / eps,
            "eps_s": eps, "eps_reciprocal_s": 1 / eps}


@pytest.fixture(scope="module")
def references(two_by_two):
    """Per sample: autodiff values, Jacobians and Hessians."""
    return [autodiff_derivatives(two_by_two, {"t": T[b, 0], "s": S[b]}, orders=ORDERS)
            for b in range(3)]


@pytest.fixture(scope="module")
def outputs(network):
    return network(_feed(difference_step(ORDERS, 4)))


def _relative(value, exact) -> float:
    return float(np.max(np.abs(np.asarray(value) - exact)) / np.max(np.abs(exact)))


def test_network_takes_the_inputs_by_name_and_a_step_per_input(network):
    assert sorted(t.name for t in network.inputs) == [
        "eps_reciprocal_s", "eps_reciprocal_t", "eps_s", "eps_t", "s", "t"]


def test_order_0_is_the_model_output(two_by_two, outputs):
    u, v = two_by_two([T, S])
    # the network's XLA graph and the eager call round alike up to an ulp or two
    np.testing.assert_allclose(outputs[0]["u"], u, rtol=1e-13)
    np.testing.assert_allclose(outputs[0]["v"], v, rtol=1e-13)


def test_order_1_matches_the_autodiff_jacobian(outputs, references):
    first = outputs[1]
    assert first["v"]["s"].shape == (3, 2, 3)  # (batch, *I, *O)
    assert first["v"]["t"].shape == (3, 3)  # t has one feature: no input axis
    # at the step balancing orders 0-2 (accuracy 4); measured <= 2.7e-9
    for b, (_, jac, _) in enumerate(references):
        assert _relative(first["v"]["s"][b], jac["v"]["s"].T) <= 1e-8
        assert _relative(first["u"]["s"][b, :, 0], jac["u"]["s"]) <= 1e-8
        assert _relative(first["v"]["t"][b], jac["v"]["t"]) <= 1e-8
        assert _relative(first["u"]["t"][b, 0], jac["u"]["t"]) <= 1e-8


def test_order_2_matches_the_autodiff_hessian_diagonal(outputs, references):
    second = outputs[2]
    for b, (_, _, hess) in enumerate(references):
        diagonal = np.stack([np.diag(hess["v"]["s"]["s"][k]) for k in range(3)], axis=-1)
        assert _relative(second["v"]["s"][b], diagonal) <= 1e-6
        assert _relative(second["u"]["t"][b, 0], hess["u"]["t"]["t"]) <= 1e-6
        assert _relative(second["v"]["t"][b], hess["v"]["t"]["t"]) <= 1e-6


def test_per_point_network_agrees_with_the_batched_one(two_by_two, outputs):
    per_point = difference_network(two_by_two, orders=ORDERS, accuracy=4, batched=False,
                                   jit_compile=False)  # a plain graph compiles faster
    values = per_point(_feed(difference_step(ORDERS, 4)))
    for k in (1, 2):
        for out in ("u", "v"):
            for inp in ("t", "s"):
                np.testing.assert_allclose(values[k][out][inp], outputs[k][out][inp],
                                           rtol=1e-6, atol=1e-9)


def test_wrt_one_input_passes_the_other_through(two_by_two, references):
    network = difference_network(two_by_two, orders=(1,), step=1e-5, wrt="s")
    assert sorted(t.name for t in network.inputs) == ["s", "t"]  # fixed step: no eps
    first = network({"t": T, "s": S})
    assert set(first) == {"u", "v"} and first["v"].shape == (3, 2, 3)
    for b, (_, jac, _) in enumerate(references):
        assert _relative(first["v"][b], jac["v"]["s"].T) <= 1e-8


def test_integer_input_is_held_fixed_in_the_network():
    keras.utils.set_random_seed(43)
    ids = keras.Input((2,), dtype="int32", name="ids")
    a = keras.Input((1,), dtype="float64", name="a")
    embedded = keras.layers.Flatten(dtype="float64")(
        keras.layers.Embedding(5, 2, dtype="float64")(ids))
    value = keras.ops.sum(embedded, -1, keepdims=True) * keras.ops.sin(a)
    model = keras.Model({"ids": ids, "a": a}, value)
    network = difference_network(model, orders=(1,), step=1e-4)
    ids_value, a_value = np.array([[1, 4], [2, 3]]), np.array([[0.3], [-0.6]])
    first = network({"ids": ids_value, "a": a_value})["a"]  # the model takes a dict
    assert first.shape == (2, 1)  # a has one feature: (batch, *O)
    weights = model.layers[1].embeddings.numpy()
    expected = weights[ids_value].sum(axis=(1, 2))[:, None] * np.cos(a_value)
    np.testing.assert_allclose(first, expected, rtol=1e-7)


def test_single_input_two_outputs_keeps_x_eps_eps_reciprocal():
    x = keras.Input((2,), dtype="float64", name="x")
    model = keras.Model(x, {"sum": keras.ops.sum(x**2, -1, keepdims=True), "sin": keras.ops.sin(x)})
    network = difference_network(model, orders=(1, 2))
    eps = np.full((1, 1), 1e-3)
    first, second = network([np.array([[0.5, 1.0]]), eps, 1 / eps])
    np.testing.assert_allclose(first["sum"][0, :, 0], [1.0, 2.0], rtol=1e-6)
    np.testing.assert_allclose(first["sin"][0], np.diag(np.cos([0.5, 1.0])), atol=1e-6)
    np.testing.assert_allclose(second["sum"][0, :, 0], [2.0, 2.0], rtol=1e-5)


def test_save_and_load_round_trip(network, outputs, tmp_path):
    path = tmp_path / "structured.keras"
    network.save(path)
    loaded = keras.models.load_model(path)  # safe_mode: a registered layer, no Lambda
    again = loaded(_feed(difference_step(ORDERS, 4)))
    np.testing.assert_allclose(again[2]["v"]["s"], outputs[2]["v"]["s"], rtol=1e-12)

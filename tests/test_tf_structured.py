"""Keras models with several inputs and outputs: results per output and input, against autodiff."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from finitediff import derivative, gradient, hessian, jacobian  # noqa: E402
from finitediff.tf import autodiff_derivatives, flat_model  # noqa: E402

pytestmark = pytest.mark.tf

X = {"t": 0.3, "s": np.array([0.2, -0.5])}


@pytest.fixture(scope="module")
def two_by_two():
    """Inputs t (1 feature) and s (2); outputs u (one unit) and v (3 units)."""
    keras.utils.set_random_seed(11)
    t = keras.Input((1,), dtype="float64", name="t")
    s = keras.Input((2,), dtype="float64", name="s")
    hidden = keras.layers.Dense(6, activation="tanh", dtype="float64")(
        keras.ops.concatenate([t, s], axis=-1))
    u = keras.layers.Dense(1, dtype="float64", name="u")(hidden)
    v = keras.layers.Dense(3, activation="tanh", dtype="float64", name="v")(hidden * t)
    return keras.Model([t, s], [u, v], name="two_by_two")


@pytest.fixture(scope="module")
def two_scalars():
    """Inputs t and s as above; two scalar outputs u and w (a physics-informed network's shape)."""
    keras.utils.set_random_seed(12)
    t = keras.Input((1,), dtype="float64", name="t")
    s = keras.Input((2,), dtype="float64", name="s")
    hidden = keras.layers.Dense(6, activation="tanh", dtype="float64")(
        keras.ops.concatenate([t, s], axis=-1))
    u = keras.layers.Dense(1, dtype="float64", name="u")(hidden)
    w = keras.layers.Dense(1, dtype="float64", name="w")(hidden * hidden)
    return keras.Model({"t": t, "s": s}, {"u": u, "w": w}, name="two_scalars")


@pytest.fixture(scope="module")
def reference(two_by_two):
    """Autodiff values, Jacobian and Hessian of two_by_two at X, per output and input."""
    return autodiff_derivatives(two_by_two, X, orders=(0, 1, 2))


def _pairs(nested, depth):
    """(keys, array) for every leaf of a nested dict of the given depth."""
    if depth == 0:
        yield (), np.asarray(nested)
        return
    for key, value in nested.items():
        for keys, leaf in _pairs(value, depth - 1):
            yield (key,) + keys, leaf


def _leaf(nested, keys):
    for key in keys:
        nested = nested[key]
    return np.asarray(nested)


def _assert_close(result, expected, depth, rtol):
    """Every leaf within rtol of the reference (relative to the largest entry) and its error."""
    for keys, df in _pairs(result.df, depth):
        exact = _leaf(expected, keys)
        assert df.shape == exact.shape, keys
        scale = max(float(np.max(np.abs(exact))), 1e-300)
        assert np.max(np.abs(df - exact)) <= rtol * scale, keys
        assert np.all(np.abs(df - exact) <= _leaf(result.error, keys)), keys


# -- the reference itself ---------------------------------------------------------
def test_autodiff_reference_matches_a_plain_gradient_tape(two_by_two, reference):
    t, s = tf.constant([[X["t"]]], tf.float64), tf.constant([X["s"]], tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([t, s])
        u, v = two_by_two([t, s])
    _, jac, _ = reference
    np.testing.assert_allclose(jac["u"]["s"], tape.jacobian(u, s).numpy().reshape(2))
    np.testing.assert_allclose(jac["v"]["t"], tape.jacobian(v, t).numpy().reshape(3))
    np.testing.assert_allclose(jac["v"]["s"], tape.jacobian(v, s).numpy().reshape(3, 2))


def test_autodiff_hessian_is_symmetric_across_inputs(reference):
    hess = reference[2]
    # t is a scalar: both blocks are (output, s)
    np.testing.assert_allclose(hess["v"]["t"]["s"], hess["v"]["s"]["t"], atol=1e-15)
    np.testing.assert_allclose(hess["v"]["s"]["s"], np.swapaxes(hess["v"]["s"]["s"], -1, -2),
                               atol=1e-15)


# -- jacobian, gradient, hessian, derivative ------------------------------------
def test_jacobian_per_output_and_input_matches_autodiff(two_by_two, reference):
    result = jacobian(two_by_two, X)
    assert {o: {i: np.shape(a) for i, a in d.items()} for o, d in result.df.items()} == {
        "u": {"t": (), "s": (2,)}, "v": {"t": (3,), "s": (3, 2)}}
    _assert_close(result, reference[1], depth=2, rtol=1e-9)


def test_every_field_of_the_result_is_arranged_alike(two_by_two):
    result = jacobian(two_by_two, X)
    for field in ("error", "step", "success", "status"):
        assert np.shape(getattr(result, field)["v"]["s"]) == (3, 2), field
    assert bool(np.all(result.success["v"]["s"])) and result.nfev > 0


def test_gradient_of_two_scalar_outputs_matches_autodiff(two_scalars):
    result = gradient(two_scalars, X)
    expected = autodiff_derivatives(two_scalars, X, orders=(1,))[0]
    assert np.shape(result.df["w"]["s"]) == (2,) and np.shape(result.df["u"]["t"]) == ()
    _assert_close(result, expected, depth=2, rtol=1e-9)


def test_hessian_per_output_and_input_pair_matches_autodiff(two_by_two, reference):
    result = hessian(two_by_two, X)
    assert np.shape(result.df["v"]["t"]["s"]) == (3, 2)  # output + t (scalar) + s
    assert np.shape(result.df["v"]["s"]["s"]) == (3, 2, 2)
    assert np.shape(result.step["v"]["s"]["s"]) == (3, 2, 2)  # the step of every entry
    _assert_close(result, reference[2], depth=3, rtol=1e-6)


def test_hessian_of_every_output_shares_the_model_evaluations(two_by_two):
    flat = flat_model(two_by_two, X)
    one = hessian(lambda p: flat.function(p)[..., 0], flat.x)
    result = hessian(two_by_two, X)
    assert result.nfev == one.nfev  # 4 output values, the points evaluated once


def test_derivative_of_order_two_is_each_pure_second_partial(two_by_two, reference):
    result = derivative(two_by_two, X, n=2)
    hess = reference[2]
    diagonal_v = np.stack([np.diag(hess["v"]["s"]["s"][k]) for k in range(3)])
    expected = {"u": {"t": hess["u"]["t"]["t"], "s": np.diag(hess["u"]["s"]["s"])},
                "v": {"t": hess["v"]["t"]["t"], "s": diagonal_v}}
    _assert_close(result, expected, depth=2, rtol=1e-6)


def test_derivative_of_order_one_is_the_jacobian(two_by_two, reference):
    _assert_close(derivative(two_by_two, X), reference[1], depth=2, rtol=1e-9)


def test_derivative_along_a_scalar_input_costs_one_stencil(two_scalars):
    # d/dt along t only: the evaluations of one line (a scalar derivative's full
    # scan at most, about 25; both inputs would cost twice that)
    result = derivative(two_scalars, X, n=2, wrt="t")
    assert result.nfev <= 30
    hess = autodiff_derivatives(two_scalars, X, orders=(2,), wrt="t")[0]
    for name in ("u", "w"):
        assert abs(result.df[name] - hess[name]) <= result.error[name]


# -- keys and levels ----------------------------------------------------------------
def test_wrt_one_name_drops_the_input_level(two_by_two, reference):
    result = jacobian(two_by_two, X, wrt="s")
    assert set(result.df) == {"u", "v"} and np.shape(result.df["v"]) == (3, 2)
    np.testing.assert_allclose(result.df["v"], reference[1]["v"]["s"], rtol=1e-8)


def test_wrt_a_list_keeps_the_input_level_in_its_order(two_by_two):
    result = jacobian(two_by_two, X, wrt=["s", "t"])
    assert list(result.df["u"]) == ["s", "t"]


def test_wrt_by_position(two_by_two, reference):
    result = jacobian(two_by_two, X, wrt=1)
    np.testing.assert_allclose(result.df["u"], reference[1]["u"]["s"], rtol=1e-8)


def test_list_x_is_keyed_by_the_input_names(two_by_two, reference):
    result = jacobian(two_by_two, [np.array([0.3]), X["s"]])
    assert set(result.df["u"]) == {"t", "s"} and np.shape(result.df["u"]["t"]) == (1,)
    np.testing.assert_allclose(result.df["v"]["s"], reference[1]["v"]["s"], rtol=1e-8)


def test_single_input_single_output_model_still_returns_plain_arrays():
    x = keras.Input((3,), dtype="float64")
    model = keras.Model(x, keras.ops.sum(keras.ops.sin(x), axis=-1, keepdims=True))
    result = gradient(model, [0.1, 0.2, 0.3])
    assert isinstance(result.df, np.ndarray) and result.df.shape == (3,)
    np.testing.assert_allclose(result.df, np.cos([0.1, 0.2, 0.3]), rtol=1e-10)


def test_tf_function_taking_a_dict_is_differentiated_by_key():
    function = tf.function(lambda d: d["a"] ** 2 * tf.reduce_sum(tf.sin(d["b"]), -1,
                                                                 keepdims=True))
    result = gradient(function, {"a": np.array([2.0]), "b": np.array([0.1, 0.4])})
    np.testing.assert_allclose(result.df["a"], [4 * (np.sin(0.1) + np.sin(0.4))], rtol=1e-10)
    np.testing.assert_allclose(result.df["b"], 4 * np.cos([0.1, 0.4]), rtol=1e-10)


# -- graphs -------------------------------------------------------------------------
def test_graph_is_traced_once_per_shape_across_calls(two_by_two):
    jacobian(two_by_two, X)
    traces = flat_model(two_by_two, X).trace_count
    jacobian(two_by_two, {"t": -0.7, "s": np.array([1.0, 2.0])})
    assert flat_model(two_by_two, X).trace_count == traces


def test_flat_function_takes_points_on_a_leading_axis(two_by_two):
    flat = flat_model(two_by_two, X)
    assert flat.x.shape == (3,) and flat.layout.output_size == 4
    points = flat.x + np.array([[0.0, 0.0, 0.0], [0.1, -0.2, 0.3]])
    values = flat.function(points)
    u, v = two_by_two([points[:, :1], points[:, 1:]])
    # the XLA graph and the eager call round alike up to an ulp
    np.testing.assert_allclose(values, np.concatenate([u, v], axis=1), rtol=1e-14)
    np.testing.assert_allclose(flat.function(points[1]), values[1], rtol=1e-14)


def test_the_adapter_with_the_engine_gives_the_public_result(two_by_two):
    flat = flat_model(two_by_two, X)
    via_adapter = flat.restructure(jacobian(flat.function, flat.x))
    direct = jacobian(two_by_two, X)
    for out in ("u", "v"):
        for inp in ("t", "s"):
            np.testing.assert_array_equal(via_adapter.df[out][inp], direct.df[out][inp])
            np.testing.assert_array_equal(via_adapter.error[out][inp], direct.error[out][inp])

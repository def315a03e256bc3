"""The autodiff reference itself, against analytic derivatives."""

import numpy as np
import pytest
from skips import skip_without

skip_without("tf")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from finitediff.tf import autodiff_derivatives  # noqa: E402

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def cubic_model():
    # f(x) = x0³ + x1³ + x0·x1·x2: gradient and Hessian in closed form.
    x = keras.Input((3,), dtype="float64")
    value = keras.ops.sum(x[:, :2] ** 3, axis=-1) + x[:, 0] * x[:, 1] * x[:, 2]
    return keras.Model(x, keras.ops.expand_dims(value, -1))


def test_any_order_of_an_elementwise_function():
    x = np.array([0.3, 1.2])
    orders = (0, 1, 2, 3, 4, 5, 6)
    values = autodiff_derivatives(tf.sin, x, orders=orders)
    cycle = [np.sin(x), np.cos(x), -np.sin(x), -np.cos(x)]
    for k, value in zip(orders, values):
        np.testing.assert_allclose(value, cycle[k % 4], rtol=1e-15, err_msg=f"order {k}")
        assert value.dtype == np.float64 and value.shape == x.shape


def test_orders_beyond_a_polynomial_degree_are_zero():
    values = autodiff_derivatives(lambda z: z**2, 3.0, orders=(2, 3, 4))
    assert [float(v) for v in values] == [2.0, 0.0, 0.0]


def test_gradient_and_hessian_of_a_vector_model(cubic_model):
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    value, grad, hess = autodiff_derivatives(cubic_model, x, orders=(0, 1, 2))
    a, b, c = x.T
    np.testing.assert_allclose(value, a**3 + b**3 + a * b * c)
    np.testing.assert_allclose(grad, np.stack([3 * a**2 + b * c, 3 * b**2 + a * c, a * b], -1))
    expected = np.array([[[6 * a[i], c[i], b[i]], [c[i], 6 * b[i], a[i]], [b[i], a[i], 0.0]]
                         for i in range(2)])
    np.testing.assert_allclose(hess, expected)


def test_a_single_point_gives_unbatched_shapes(cubic_model):
    grad, hess = autodiff_derivatives(cubic_model, [1.0, 2.0, 3.0], orders=(1, 2))
    assert grad.shape == (3,) and hess.shape == (3, 3)


def test_vector_inputs_stop_at_the_hessian(cubic_model):
    with pytest.raises(ValueError, match="for vector inputs autodiff_derivatives gives orders "
                                         "0, 1 and 2"):
        autodiff_derivatives(cubic_model, [1.0, 2.0, 3.0], orders=(3,))


def test_wrong_number_of_features_is_named(cubic_model):
    with pytest.raises(ValueError, match=r"`x` must have 3 features in its last axis"):
        autodiff_derivatives(cubic_model, [1.0, 2.0])


def test_orders_must_be_nonnegative_integers():
    with pytest.raises(ValueError, match="`orders` must be >= 0, got -1"):
        autodiff_derivatives(tf.sin, 1.0, orders=(-1,))

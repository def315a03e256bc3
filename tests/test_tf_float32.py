"""A float32 model accepted with allow_float32: errors sized by float32's epsilon."""

import warnings

import numpy as np
import pytest
from skips import skip_without

skip_without("tf")

import keras  # noqa: E402

from finitediff import derivative  # noqa: E402
from finitediff.tf import black_box  # noqa: E402

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def exp_model32():
    x = keras.Input((1,), dtype="float32")
    return keras.Model(x, keras.ops.exp(x), name="exp32")


@pytest.mark.parametrize("n", [1, 2])
def test_float32_model_error_bounds_its_float32_result(exp_model32, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        function = black_box(exp_model32, allow_float32=True)
    res = derivative(function, 0.5, n=n)
    exact = np.exp(0.5)
    assert abs(res.df - exact) <= res.error
    # float32 differences cannot be as good as float64 ones; the bound says so
    assert res.error > 1e-9 * exact
    assert abs(res.df - exact) < 1e-2 * exact

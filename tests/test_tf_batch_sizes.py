"""Batches padded to a few sizes: XLA compiles a few graphs, and the values do not change."""

import numpy as np
import pytest
from skips import skip_without

skip_without("tf")

import keras  # noqa: E402

from finitediff import gradient  # noqa: E402
from finitediff.tf import autodiff_derivatives, black_box, flat_model  # noqa: E402
from finitediff.tf.batch_sizes import SIZES_PER_OCTAVE, pad_rows, padded_size  # noqa: E402

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def mlp():
    keras.utils.set_random_seed(11)
    x = keras.Input((6,), dtype="float64")
    hidden = keras.layers.Dense(16, activation="tanh", dtype="float64")(x)
    return keras.Model(x, keras.layers.Dense(1, dtype="float64")(hidden), name="mlp6")


# -- the sizes --------------------------------------------------------------------
def test_one_row_stays_one_and_2_to_16_rows_go_as_16():
    assert [padded_size(n) for n in range(0, 17)] == [0, 1] + [16] * 15


def test_padding_adds_at_most_a_sixteenth_above_16_rows():
    counts = np.arange(17, 5000)
    sizes = np.array([padded_size(int(n)) for n in counts])
    assert np.all(sizes >= counts)
    assert np.all(sizes <= counts * (1 + 1 / SIZES_PER_OCTAVE))


def test_sizes_up_to_4096_rows_are_sixteen_per_doubling():
    sizes = {padded_size(n) for n in range(1, 4097)}
    assert SIZES_PER_OCTAVE == 16
    assert len(sizes) == 2 + 8 * 16  # 1 and 16; then 16 per octave to 4096


def test_pad_rows_repeats_the_first_point():
    batch = np.arange(6.0).reshape(3, 2)
    padded = pad_rows(batch, 5)
    np.testing.assert_array_equal(padded, [[0, 1], [2, 3], [4, 5], [0, 1], [0, 1]])
    assert pad_rows(batch, 3) is batch


# -- the model adapter ----------------------------------------------------------------
def test_many_batch_sizes_compile_a_few_graphs_from_one_trace(mlp):
    function = black_box(mlp)
    rng = np.random.default_rng(0)
    for count in [*range(1, 17), *range(100, 140)]:
        function(rng.normal(size=(count, 6)))
    assert function.jit_compile and function.trace_count == 1
    sizes = {shape[0] for shape in function.compiled_sizes}
    # 12 graphs for 56 batch sizes: steps of 4 rows from 64 to 128, of 8 above
    assert sizes == {1, 16, 100, 104, 108, 112, 116, 120, 124, 128, 136, 144}


def test_padded_values_equal_the_model_at_each_point(mlp):
    function = black_box(mlp)
    points = np.random.default_rng(1).normal(size=(37, 6))  # padded to 38 rows
    values = function(points)
    assert values.shape == (37,)
    assert (38, 6) in function.compiled_sizes
    reference = mlp(points, training=False).numpy()[:, 0]
    # different batch sizes may take different matrix kernels: rounding only
    np.testing.assert_allclose(values, reference, rtol=0, atol=8 * np.finfo(float).eps
                               * np.max(np.abs(reference)))


def test_without_xla_the_batch_is_not_padded(mlp):
    function = black_box(mlp, jit_compile=False)
    function(np.zeros((37, 6)))
    assert not function.jit_compile and function.compiled_sizes == set()


def test_gradient_through_padded_batches_keeps_every_bound(mlp):
    x = np.array([0.3, -0.7, 0.1, 0.9, -0.2, 0.5])
    result = gradient(mlp, x)
    reference = autodiff_derivatives(mlp, x, orders=(1,))[0]
    assert np.all(np.abs(result.df - reference) <= result.error)
    assert np.max(np.abs(result.df - reference)) <= 1e-9 * np.max(np.abs(reference))


# -- flat models ------------------------------------------------------------------------
def test_flat_model_pads_in_inference_mode(mlp):
    flat = flat_model(mlp, np.zeros(6))
    values = flat.function(np.random.default_rng(2).normal(size=(37, 6)))
    assert values.shape == (37, 1) and flat.samples == 37
    assert (38, 6) in flat.compiled_sizes


def test_flat_model_in_training_mode_sends_the_batch_as_it_is():
    keras.utils.set_random_seed(3)
    x = keras.Input((3,), dtype="float64")
    normalised = keras.layers.BatchNormalization(dtype="float64")(x)
    model = keras.Model(x, keras.layers.Dense(1, dtype="float64")(normalised))
    flat = flat_model(model, np.zeros(3), training=True)
    points = np.random.default_rng(4).normal(size=(5, 3))
    values = flat.function(points)
    # the batch statistics are those of the five points: no pad rows among them
    reference = model(points, training=True).numpy()
    np.testing.assert_allclose(values, reference, rtol=1e-12, atol=1e-12)
    assert all(shape[0] == 5 for shape in flat.compiled_sizes)

"""The derivative checker on Keras models and TF functions (reference: TF autodiff)."""

import subprocess
import sys

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from finitediff import check_derivatives, taylor_test  # noqa: E402
from finitediff.check import FindingKind, Verdict  # noqa: E402

pytestmark = pytest.mark.tf

X = np.array([0.5, 1.0, 2.0])


def _mlp(inputs, activation="tanh", dtype="float64", seed=0, width=8):
    keras.utils.set_random_seed(seed)
    x = keras.Input((inputs,), dtype=dtype)
    h = keras.layers.Dense(width, activation=activation, dtype=dtype)(x)
    h = keras.layers.Dense(width, activation=activation, dtype=dtype)(h)
    return keras.Model(x, keras.layers.Dense(1, dtype=dtype)(h))


@pytest.fixture(scope="module")
def mlp():
    return _mlp(3)


def _sine_with_gradient_bug(relative, entry=1):
    """sum(x·sin x) whose custom gradient is off by ``relative`` in one entry."""
    @tf.custom_gradient
    def f(x):
        def gradient(upstream):
            true = tf.cos(x) * x + tf.sin(x)
            bug = 1 + relative * tf.one_hot(entry, 3, dtype=tf.float64)
            return upstream[:, None] * true * bug
        return tf.reduce_sum(tf.sin(x) * x, axis=-1), gradient
    return f


def test_a_float64_model_passes_orders_one_and_two(mlp):
    report = check_derivatives(mlp, X, orders=(1, 2))
    assert report.passed, str(report)
    assert report.reference == "TensorFlow autodiff"
    assert len(report.entries) == 3 + 9
    assert max(e.detectable for e in report.entries if e.order == 1) < 1e-9


@pytest.mark.parametrize("relative", [1e-3, 1e-7])
def test_a_custom_gradient_wrong_in_one_entry_is_caught(relative):
    report = check_derivatives(_sine_with_gradient_bug(relative), X)
    assert [e.label for e in report.mismatches] == ["df/dx[1]"]


def test_a_hessian_wrong_in_one_mixed_entry_is_caught():
    # f = Σ x·sin x + x0·x1·x2 with a hand-written gradient that is right, but whose
    # first component holds x1 fixed (stop_gradient): autodiff's ∂g0/∂x1 is 0, not x2
    @tf.custom_gradient
    def f(x):
        def gradient(upstream):
            x0, x1, x2 = x[:, 0], x[:, 1], x[:, 2]
            mixed = tf.stack([tf.stop_gradient(x1) * x2, x0 * x2, x0 * x1], axis=-1)
            return upstream[:, None] * (tf.cos(x) * x + tf.sin(x) + mixed)
        value = tf.reduce_sum(tf.sin(x) * x, axis=-1) + x[:, 0] * x[:, 1] * x[:, 2]
        return value, gradient

    report = check_derivatives(f, X, orders=(1, 2))
    assert all(e.verdict is Verdict.AGREE for e in report.entries if e.order == 1)
    assert [e.label for e in report.mismatches] == ["d2f/dx[0]dx[1]"]
    assert report.mismatches[0].finite_difference == pytest.approx(X[2], rel=1e-9)
    assert "tf.stop_gradient" in report.findings[0].message


def test_a_numpy_function_inside_is_a_missing_gradient_named_by_its_op():
    def f(x):
        return tf.reduce_sum(tf.numpy_function(np.sin, [x], tf.float64), axis=-1)

    report = check_derivatives(f, X)
    (finding,) = report.findings
    assert finding.kind is FindingKind.NO_GRADIENT and finding.fails
    assert "returns None" in finding.message and "tf.numpy_function" in finding.message
    assert all(e.note == "autodiff gives 0 where f changes" for e in report.entries)


def test_a_numpy_function_beside_differentiable_ops_is_named_with_the_mismatches():
    def f(x):
        return tf.reduce_sum(tf.tanh(x) + tf.numpy_function(np.sin, [x], tf.float64), axis=-1)

    report = check_derivatives(f, X)
    assert len(report.mismatches) == 3
    (finding,) = report.findings
    assert finding.kind is FindingKind.NO_GRADIENT and "PyFunc" in finding.message


@pytest.mark.parametrize("blocker, named", [
    (lambda x: tf.stop_gradient(x) ** 2, "tf.stop_gradient"),
    (lambda x: (tf.cast(tf.cast(x * 2.0**40, tf.int64), tf.float64) / 2.0**40) ** 2,
     "a cast to int64"),
])
def test_stop_gradient_and_integer_casts_are_missing_gradients(blocker, named):
    # x² computed from x held fixed, or from x rounded to 2^-40 through an integer
    report = check_derivatives(lambda x: tf.reduce_sum(blocker(x) + x, axis=-1),
                               np.array([0.4321, 1.2345]))
    assert not report.passed
    (finding,) = report.findings
    assert finding.kind is FindingKind.NO_GRADIENT and named in finding.message


@pytest.mark.parametrize("activation", [tf.nn.relu, lambda x: tf.nn.leaky_relu(x, 0.2)])
def test_relu_and_leaky_relu_at_zero_are_kinks_not_failures(activation):
    weights = tf.constant([1.0, 2.0, 3.0], tf.float64)
    report = check_derivatives(lambda x: tf.reduce_sum(activation(x) * weights, axis=-1),
                               [0.0, 1.0, -1.0])
    assert report.passed
    (finding,) = report.findings
    assert finding.kind is FindingKind.KINK and finding.labels == ("df/dx[0]",)


def test_a_float32_model_fails_with_the_fix():
    report = check_derivatives(_mlp(3, dtype="float32"), X)
    assert not report.passed
    (finding,) = report.findings
    assert finding.kind is FindingKind.PRECISION and finding.fails
    assert "float32" in finding.message and "as_float64" in finding.message
    assert not report.mismatches  # a float32 model is reported as such, not as wrong


def test_a_large_constant_in_a_float64_model_is_not_mistaken_for_float32():
    # 1e6 + tanh(0.01·Σx): a shift of 2^-30 in x changes f by less than half an ulp of
    # 1e6, as rounded float32 inputs would; but f's change is below its resolution
    x = keras.Input((3,), dtype="float64")
    layer = keras.layers.Dense(1, activation="tanh", use_bias=False, dtype="float64",
                               kernel_initializer=keras.initializers.Constant(0.01))
    report = check_derivatives(keras.Model(x, layer(x) + 1e6), X)
    assert not any(f.kind is FindingKind.PRECISION for f in report.findings)
    assert not report.mismatches


def test_directional_mode_on_a_model(mlp):
    report = check_derivatives(mlp, X, orders=(1, 2), mode="directional", seed=0)
    assert report.passed and len(report.entries) == 4


def test_directional_mode_names_a_wrong_input_gradient_by_bisection():
    d, entry = 64, 41
    model = _mlp(d, width=4)

    @tf.custom_gradient
    def scaled(x):  # the identity, with a gradient off by 1e-6 in one input
        def gradient(upstream):
            return upstream * (1 + 1e-6 * tf.one_hot(entry, d, dtype=tf.float64))
        return tf.identity(x), gradient

    x = np.random.default_rng(0).normal(size=d)
    report = check_derivatives(lambda p: model(scaled(p)), x, mode="directional", seed=0)
    assert [e.label for e in report.mismatches if "bisection" in e.note] == [f"df/dx[{entry}]"]


def test_a_plain_function_of_tf_ops_is_recognised_and_differentiated():
    report = check_derivatives(lambda x: tf.reduce_sum(tf.sin(x) * x, axis=-1), X)
    assert report.passed and report.reference == "TensorFlow autodiff"


def test_a_model_with_one_input_feature_acts_elementwise():
    x = keras.Input((1,), dtype="float64")
    model = keras.Model(x, keras.ops.log(x + 2.0))
    report = check_derivatives(model, [0.0, 1.0])
    assert report.passed
    assert sorted(e.label for e in report.entries) == [
        "df[0]/dx[0]", "df[0]/dx[1]", "df[1]/dx[0]", "df[1]/dx[1]"]


def test_taylor_test_uses_autodiff_for_a_model(mlp):
    assert taylor_test(mlp, None, X, seed=0).passed


def test_checking_a_numpy_function_does_not_import_tensorflow():
    code = ("import sys, numpy as np, finitediff as fd\n"
            "fd.check_derivatives(lambda x: np.sum(x**2, axis=-1), [1.0, 2.0], "
            "grad=lambda x: 2 * x)\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False False"

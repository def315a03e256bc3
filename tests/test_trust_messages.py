"""Issue 8, messages: bad input gets a clear error naming the parameter; nothing hangs or leaks.

One test per item of the issue's "Messages that mislead or crash" (the CLI
and subclassed-Keras-model items belong to other issues): empty ``x``, a
scalar-only f called vectorized, a step whose power underflows, bounds
narrower than any step, RuntimeWarnings, orders and accuracies that cannot
be computed, ``expressions(max_depth=...)``, and the fed steps of a
difference network.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from skips import skip_without
from trust_checks import assert_honest

from finitediff import derivative, gradient

skip_without("testing")
from hypothesis import given, settings  # noqa: E402
from hypothesis.errors import InvalidArgument  # noqa: E402

from finitediff.testing import strategies  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


# -- empty and scalar-only input ------------------------------------------------------
@pytest.mark.parametrize("shape", [(0,), (0, 3)])
def test_empty_x_gives_an_empty_result(shape):
    # was numpy's "cannot reshape array of size 0 into shape (0)"
    res = derivative(np.sin, np.zeros(shape))
    for name in ("df", "error", "success", "status"):
        assert np.shape(getattr(res, name)) == shape, name


def test_gradient_of_an_empty_x_is_empty():
    res = gradient(lambda p: np.sum(p, axis=-1), np.zeros(0))
    assert np.shape(res.df) == np.shape(res.error) == (0,)


@pytest.mark.parametrize("call", [
    lambda: derivative(math.sin, 1.0),
    lambda: gradient(lambda p: math.sin(p[0]) + p[1], [1.0, 2.0]),
], ids=["derivative", "gradient"])
def test_a_scalar_only_function_called_vectorized_is_told_to_pass_vectorized_false(call):
    # was numpy's "only 0-dimensional arrays can be converted to Python scalars"
    with pytest.raises((TypeError, ValueError), match="vectorized=False"):
        call()


# -- steps and bounds that leave nothing to compute -------------------------------------
def test_a_step_whose_power_underflows_is_not_called_f_not_finite():
    # h**4 = 1e-360 underflows to 0; was "f not finite at any usable stencil point"
    try:
        res = derivative(np.exp, 0.0, n=4, step=1e-90)
    except ValueError as exc:
        assert "`step`" in str(exc)
        return
    assert not res.success
    assert "not finite" not in res.message and "underflow" in res.message


def test_bounds_narrower_than_any_step_are_not_called_f_not_finite():
    # nine floats wide at 0.5; was a success of 0.625 ± 8.9, and "f not finite" for
    # narrower ones
    try:
        res = derivative(np.sin, 0.5, bounds=(0.5, 0.5 + 1e-15))
    except ValueError as exc:
        assert "`bounds`" in str(exc)
        return
    assert "not finite" not in res.message
    assert_honest(res, np.cos(0.5), relative_error_below_one=True)


# -- no warnings from points the user did not ask for ---------------------------------
@pytest.mark.parametrize("call", [
    lambda: derivative(np.exp, 705.0),  # exp overflows past 709.78
    lambda: derivative(np.log, 1e-300),  # log of negative stencil points
    lambda: derivative(np.sqrt, 0.0),
    lambda: derivative(np.sin, 1e300),
    lambda: derivative(np.exp, 0.0, n=4, step=1e-90),  # h**4 underflows
    lambda: gradient(lambda p: np.log(p[..., 0]) + p[..., 1], [1e-300, 1.0]),
], ids=["exp-705", "log-1e-300", "sqrt-0", "sin-1e300", "step-underflow", "gradient-log"])
def test_no_numpy_runtime_warning_reaches_the_user(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            call()
        except ValueError:  # a refusal naming a parameter is fine; a warning is not
            pass


# -- refuse what cannot be computed, before computing ----------------------------------
def _timed_in_subprocess(call: str, timeout: float = 10.0) -> tuple[str, str, float]:
    """Run ``call`` in a fresh interpreter: (exception type or "", message, seconds).

    A subprocess, so that a call that hangs or eats memory is killed.
    """
    script = (
        "import json, time\nimport numpy as np\nfrom finitediff import derivative\n"
        "start = time.perf_counter()\n"
        f"try:\n    {call}\n    outcome = ['', '']\n"
        "except Exception as exc:\n    outcome = [type(exc).__name__, str(exc)]\n"
        "print(json.dumps(outcome + [time.perf_counter() - start]))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{call} did not return within {timeout} s")
    assert done.returncode == 0, done.stderr[-2000:]
    kind, message, seconds = json.loads(done.stdout.strip().splitlines()[-1])
    return kind, message, seconds


@pytest.mark.parametrize("keyword, value", [("n", "10**6"), ("accuracy", "10**6")])
def test_an_order_or_accuracy_that_cannot_be_computed_is_refused_at_once(keyword, value):
    # n = 10**6 was a MemoryError with no message; accuracy = 10**6 hung
    kind, message, seconds = _timed_in_subprocess(
        f"derivative(np.sin, 1.0, {keyword}={value})")
    assert kind == "ValueError", f"{kind}: {message}"
    assert f"`{keyword}`" in message
    assert seconds < 2.0


# -- hypothesis strategies ------------------------------------------------------------
@pytest.mark.parametrize("depth", [100_000, strategies.MAX_DEPTH + 1])
def test_expressions_refuse_a_depth_beyond_the_documented_maximum(depth):
    # max_depth=100_000 was a RecursionError
    with pytest.raises(InvalidArgument, match=rf"`max_depth` must be <= {strategies.MAX_DEPTH}"):
        strategies.expressions(max_depth=depth)


def test_expressions_at_the_maximum_depth_have_a_short_repr_and_draw_without_warnings():
    strategy = strategies.expressions(max_depth=strategies.MAX_DEPTH)
    assert len(repr(strategy)) < 2000  # was 14 MB: hypothesis warned on every filtered draw

    @settings(max_examples=10, database=None)
    @given(strategy)
    def draw(expr):
        assert expr.sympy.has(expr.sympy.free_symbols.pop())

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draw()


# -- difference networks: the fed steps are checked ---------------------------------
@pytest.fixture(scope="module")
def log_network():
    pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    from finitediff import difference_network

    x = keras.Input((1,), dtype="float64")
    return difference_network(keras.Model(x, keras.ops.log(x + 2.0)), orders=(1,))


def _feed(x, eps, reciprocal):
    return [np.array([[value]], dtype=np.float64) for value in (x, eps, reciprocal)]


@pytest.mark.tf
def test_difference_network_refuses_a_reciprocal_that_is_not_one_over_eps(log_network):
    # [x, 1e-3, 1.0] silently gave 3.3e-4 for 1/3
    with pytest.raises(ValueError, match=r"`eps_reciprocal` must be 1/eps = 1000"):
        log_network(_feed(1.0, 1e-3, 1.0))


@pytest.mark.tf
@pytest.mark.parametrize("eps", [0.0, -1e-3, np.nan, np.inf])
def test_difference_network_refuses_an_eps_that_is_not_positive_and_finite(log_network, eps):
    # eps = 0 gave NaN
    with pytest.raises(ValueError, match=r"`eps` must be positive and finite"):
        log_network(_feed(1.0, eps, 1.0 / eps if eps else np.inf))


@pytest.mark.tf
def test_difference_network_refuses_an_eps_too_small_to_change_x(log_network):
    with pytest.raises(ValueError, match=r"`eps` is too small to change x"):
        log_network(_feed(1e6, 1e-12, 1e12))


@pytest.mark.tf
def test_difference_network_divides_by_the_step_taken_not_the_reciprocal_fed(log_network):
    # a reciprocal rounded to float32 is accepted and changes nothing
    exact_feed = _feed(1.0, 1e-3, 1e3)
    rounded_feed = _feed(1.0, 1e-3, float(np.float32(1.0 / np.float32(1e-3))))
    assert rounded_feed[2][0, 0] != 1e3
    exact = float(np.asarray(log_network(exact_feed))[0, 0])
    rounded = float(np.asarray(log_network(rounded_feed))[0, 0])
    assert rounded == exact
    assert abs(exact - 1 / 3) <= 1e-7  # accuracy 2 at h = 1e-3: h²·|f'''|/6 = 1.2e-8


@pytest.mark.tf
def test_difference_network_checks_the_fed_steps_inside_a_graph_too(log_network):
    import tensorflow as tf

    with pytest.raises(tf.errors.InvalidArgumentError, match="`eps` must be positive"):
        log_network.predict(_feed(1.0, 0.0, 1.0), verbose=0)

"""Gradient of a float64 Keras MLP: finitediff against numdifftools and TF autodiff.

Run from the repository root:

    TF_CPP_MIN_LOG_LEVEL=2 python benchmarks/keras_gradient.py

Part 1: the gradient of an MLP (100 inputs, two tanh layers of 256, one
output) at one point, by

- finitediff ``gradient(model, x)``: all stencil points in one batched call
  of the model through a graph traced once;
- the difference network (orders=(1,)) at the theory-optimal step, batched
  and per point (the literal replication: one model call per stencil point
  inside one graph), both inside a ``tf.function``;
- ``numdifftools.Gradient`` calling the model once per point through a
  compiled ``tf.function``;
- TF autodiff (``GradientTape`` inside a ``tf.function``, and eagerly).

Part 2: orders 0–4 of a scalar MLP on 1000 inputs: the batched difference
network against the per-point one, errors against nested-tape autodiff.

Times are the best of several repeats after a warm-up call (tracing excluded);
errors are ``max|g − g_autodiff| / max|g_autodiff|``.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numdifftools as nd  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from finitediff import Stencil, gradient, optimal_step  # noqa: E402
from finitediff.tf import autodiff_derivatives, difference_network, difference_step  # noqa: E402


def best_time(call, repeats: int) -> float:
    call()  # warm-up: tracing and caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def mlp(inputs: int, width: int, seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    x = keras.Input((inputs,), dtype="float64")
    hidden = keras.layers.Dense(width, activation="tanh", dtype="float64")(x)
    hidden = keras.layers.Dense(width, activation="tanh", dtype="float64")(hidden)
    return keras.Model(x, keras.layers.Dense(1, dtype="float64")(hidden))


def relative_error(value, reference) -> float:
    value, reference = np.ravel(value), np.ravel(reference)
    return float(np.max(np.abs(value - reference)) / np.max(np.abs(reference)))


def table(title: str, rows: list[tuple[str, float, float | str]], unit: str) -> None:
    print(f"\n{title}")
    print(f"{'method':<54} {'time':>11} {'× autodiff':>11} {'rel. error':>11}")
    base = dict((name, t) for name, t, _ in rows)[unit]
    for name, seconds, error in rows:
        shown = error if isinstance(error, str) else f"{error:.1e}"
        print(f"{name:<54} {seconds * 1e3:>9.3f}ms {seconds / base:>11.2f} {shown:>11}")


def part_gradient() -> None:
    model = mlp(100, 256, seed=0)
    rng = np.random.default_rng(0)
    x = rng.normal(scale=0.5, size=100)

    point = tf.constant(x[None], tf.float64)

    @tf.function
    def autodiff_gradient(p):
        with tf.GradientTape() as tape:
            tape.watch(p)
            value = model(p)
        return tape.gradient(value, p)

    def eager_gradient():
        with tf.GradientTape() as tape:
            tape.watch(point)
            value = model(point)
        return tape.gradient(value, point)

    reference = autodiff_gradient(point).numpy()[0]

    def network(accuracy: int, batched: bool):
        step = optimal_step(Stencil.central(1, accuracy)) * max(1.0, float(np.max(np.abs(x))))
        net = difference_network(model, orders=(1,), accuracy=accuracy, step=step,
                                 batched=batched)
        compiled = tf.function(lambda p: net(p))
        return lambda: compiled(point)[0, :, 0]

    compiled_model = tf.function(lambda p: model(p))
    calls = 0

    def model_at_one_point(v):
        nonlocal calls
        calls += 1
        return float(compiled_model(tf.constant(v[None], tf.float64))[0, 0])

    numdifftools_gradient = nd.Gradient(model_at_one_point)

    estimates = {
        "finitediff gradient(model, x, accuracy=4)": lambda: gradient(model, x, accuracy=4).df,
        "finitediff gradient(model, x)  [accuracy=2]": lambda: gradient(model, x).df,
        "difference network, batched, accuracy=4": network(4, batched=True),
        "difference network, batched, accuracy=2": network(2, batched=True),
        "difference network, per point, accuracy=4 (400 calls)": network(4, batched=False),
        "numdifftools.Gradient, per-point tf.function": lambda: numdifftools_gradient(x),
    }
    rows = []
    for name, call in estimates.items():
        seconds = best_time(call, repeats=2 if name.startswith("numdifftools") else 20)
        rows.append((name, seconds, relative_error(np.asarray(call()), reference)))
    per_gradient = calls // 4  # warm-up, two repeats and the error call
    print(f"\nmodel: {model.count_params()} float64 weights; x ~ N(0, 0.5²), seed 0")
    rows.append(("TF autodiff, GradientTape in tf.function (1 point)",
                 best_time(lambda: autodiff_gradient(point), 50), "reference"))
    rows.append(("TF autodiff, eager GradientTape",
                 best_time(eager_gradient, 20),
                 relative_error(eager_gradient().numpy()[0], reference)))
    table("Gradient of a float64 Keras MLP 100-256-256-1 at one point (best of repeats)",
          rows, unit="TF autodiff, GradientTape in tf.function (1 point)")
    times = {name: seconds for name, seconds, _ in rows}
    finitediff_time = times["finitediff gradient(model, x, accuracy=4)"]
    numdifftools_time = times["numdifftools.Gradient, per-point tf.function"]
    finitediff_vs_numdifftools = numdifftools_time / finitediff_time
    compiled = times["TF autodiff, GradientTape in tf.function (1 point)"]
    eager = times["TF autodiff, eager GradientTape"]
    print(f"finitediff (accuracy=4) is {finitediff_vs_numdifftools:.0f}× faster than numdifftools "
          f"(numdifftools: {per_gradient} model calls per gradient); "
          f"{finitediff_time / compiled:.1f}× the time of a compiled autodiff gradient, "
          f"{finitediff_time / eager:.1f}× an eager one")

def part_orders() -> None:
    model = mlp(1, 64, seed=1)
    x = np.linspace(-2.0, 2.0, 1000)[:, None]
    orders = (0, 1, 2, 3, 4)
    points = tf.constant(x, tf.float64)
    reference = autodiff_derivatives(model, x[:, 0], orders=orders)

    def compiled_network(accuracy: int, batched: bool):
        net = difference_network(model, orders=orders, accuracy=accuracy,
                                 step=difference_step(orders, accuracy), batched=batched)
        compiled = tf.function(lambda p: net(p))
        return lambda: compiled(points)

    def errors(outputs) -> str:
        return " ".join(f"{relative_error(np.asarray(o)[:, 0], r):.0e}"
                        for o, r in zip(outputs, reference))

    networks = {
        "difference network, batched (1 call of 5000 rows)": compiled_network(2, True),
        "difference network, per point (5 calls of 1000)": compiled_network(2, False),
        "difference network, batched, accuracy=6 (9 points)": compiled_network(6, True),
        "difference network, per point, accuracy=6": compiled_network(6, False),
    }
    rows = [(name, best_time(call, 20), errors(call())) for name, call in networks.items()]
    rows += [
        ("TF autodiff, 4 nested tapes (eager)",
         best_time(lambda: autodiff_derivatives(model, x[:, 0], orders=orders), 5), "reference"),
    ]
    print("\nOrders 0-4 of a float64 scalar MLP 1-64-64-1 on 1000 inputs at difference_step; "
          "accuracy=2 unless said; errors per order 0..4")
    print(f"{'method':<52} {'time':>10} {'× batched':>10}  rel. error by order")
    base = rows[0][1]
    for name, seconds, error in rows:
        print(f"{name:<52} {seconds * 1e3:>8.3f}ms {seconds / base:>10.2f}  {error}")


if __name__ == "__main__":
    print(f"tensorflow {tf.__version__}, keras {keras.__version__}, numdifftools {nd.__version__}, "
          f"{os.cpu_count()} CPUs")
    part_gradient()
    part_orders()

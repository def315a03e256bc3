"""Derivative checkers on a zoo of correct and broken derivatives.

Run from the repository root:

    TF_CPP_MIN_LOG_LEVEL=2 python -m benchmarks.checker

The zoo (TensorFlow functions, float64 unless said):

- correct: MLPs 4-16-16-1 and 16-16-16-1 with six activations and two seeds
  (24), and three with large values: an MLP plus 1e6, times 1e4, and on
  inputs of size 1e3;
- bugs: an MLP behind a ``tf.custom_gradient`` identity whose gradient is
  wrong by 1e-3 … 1e-9 relative in one input; a Hessian wrong in one mixed
  entry (a hand-written gradient that holds one factor fixed with
  ``tf.stop_gradient``); a custom dense layer whose hand-written kernel
  gradient forgets its weight-decay term (1e-6·W), checked as a function of
  the kernel; an MLP plus a ``tf.numpy_function`` term;
- kinks: ReLU and LeakyReLU at 0, and a ReLU network whose hidden units all
  sit at their kink;
- a float32 MLP.

Tools: finitediff ``check_derivatives`` (tolerance from the error bound);
``tf.test.compute_gradient`` judged as its documentation does
(``assertAllClose``: rtol = atol = 1e-6); a torch-``gradcheck``-style check
written here (central differences at eps = 1e-6, ``|a − n| <= atol + rtol·|n|``
with atol = 1e-5, rtol = 1e-3; ``gradgradcheck``-style for the Hessian);
``jax.test_util.check_grads`` (reverse mode, its defaults eps = 1e-4 and
1e-5 tolerances in float64) on jax twins of the same functions, when jax is
installed. A check "flags" a case when it fails it (or raises).

Then directional mode on an MLP with d = 10 000 inputs: a correct model and
one whose input gradient is wrong by 1e-6 in one entry.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass, field

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from finitediff import check_derivatives  # noqa: E402
from finitediff.check import FindingKind  # noqa: E402

try:  # the jax peer is optional
    import jax  # noqa: E402

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp  # noqa: E402
    from jax.test_util import check_grads  # noqa: E402
except ImportError:  # pragma: no cover - depends on the environment
    jax = None

tf.get_logger().setLevel("ERROR")

ACTIVATIONS = ("tanh", "sigmoid", "softplus", "gelu", "silu", "elu")
RELATIVE_BUGS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9)


@dataclass
class Case:
    name: str
    kind: str  # "correct", "bug", "kink", "float32"
    f: object  # batched TF callable: (N, *x.shape) -> (N,)
    x: np.ndarray
    order: int = 1
    relative: float | None = None
    twin: object = None  # jax function of one point, or None
    twin_dtype: object = np.float64


@dataclass
class Outcome:
    flagged: bool
    seconds: float
    kink: bool = False
    precision: bool = False
    note: str = ""
    detectable: float = float("nan")


# -- the zoo -------------------------------------------------------------------
def _mlp(inputs, activation, seed, dtype="float64", width=16, zero_bias=False):
    keras.utils.set_random_seed(seed)
    initializer = "zeros" if zero_bias else "glorot_uniform"
    x = keras.Input((inputs,), dtype=dtype)
    h = x
    for _ in range(2):
        h = keras.layers.Dense(width, activation=activation, dtype=dtype,
                               bias_initializer="zeros" if zero_bias else
                               keras.initializers.RandomNormal(stddev=0.5, seed=seed),
                               kernel_initializer=initializer if not zero_bias else
                               "glorot_uniform")(h)
    return keras.Model(x, keras.layers.Dense(1, dtype=dtype)(h))


def _jax_activation(name):
    return {"tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid, "softplus": jax.nn.softplus,
            "gelu": lambda z: jax.nn.gelu(z, approximate=False), "silu": jax.nn.silu,
            "elu": jax.nn.elu, "relu": jax.nn.relu}[name]


def _jax_mlp(model, activation, dtype=np.float64):
    """The same network in jax: one point in, a scalar out."""
    if jax is None:
        return None
    weights = [np.asarray(w, dtype=dtype) for w in model.get_weights()]
    act = _jax_activation(activation)

    def f(x):
        h = x
        for k in (0, 2):
            h = act(h @ weights[k] + weights[k + 1])
        return (h @ weights[4] + weights[5])[0]
    return f


def _scalar(model):
    return lambda x: tf.reshape(model(x), (-1,))


def correct_cases(rng) -> list[Case]:
    cases = []
    for activation in ACTIVATIONS:
        for d in (4, 16):
            for seed in (0, 1):
                model = _mlp(d, activation, seed)
                cases.append(Case(f"{activation} MLP d={d} seed={seed}", "correct",
                                  _scalar(model), rng.normal(size=d),
                                  twin=_jax_mlp(model, activation)))
    model = _mlp(4, "tanh", 2)
    twin = _jax_mlp(model, "tanh")
    x = rng.normal(size=4)
    cases.append(Case("tanh MLP + 1e6", "correct", lambda p: _scalar(model)(p) + 1e6, x,
                      twin=twin and (lambda p: twin(p) + 1e6)))
    cases.append(Case("1e4 * tanh MLP", "correct", lambda p: 1e4 * _scalar(model)(p), x,
                      twin=twin and (lambda p: 1e4 * twin(p))))
    cases.append(Case("tanh MLP of x/1e3, |x| ~ 1e3", "correct",
                      lambda p: _scalar(model)(p / 1e3), 1e3 * x,
                      twin=twin and (lambda p: twin(p / 1e3))))
    return cases


def _tf_scaled_identity(relative, entry, d):
    @tf.custom_gradient
    def identity(x):
        def gradient(upstream):
            return upstream * (1 + relative * tf.one_hot(entry, d, dtype=tf.float64))
        return tf.identity(x), gradient
    return identity


def _jax_scaled_identity(relative, entry, d):
    @jax.custom_vjp
    def identity(x):
        return x

    def forward(x):
        return x, None

    def backward(_, upstream):
        return (upstream * (1 + relative * (jnp.arange(d) == entry)),)

    identity.defvjp(forward, backward)
    return identity


def gradient_bug_cases(rng) -> list[Case]:
    d, entry = 8, 3
    model = _mlp(d, "tanh", 3)
    twin = _jax_mlp(model, "tanh")
    x = rng.normal(size=d)
    cases = []
    for relative in RELATIVE_BUGS:
        identity = _tf_scaled_identity(relative, entry, d)
        jax_identity = _jax_scaled_identity(relative, entry, d) if jax else None
        cases.append(Case(f"custom_gradient wrong by {relative:.0e}", "bug",
                          lambda p, i=identity: _scalar(model)(i(p)), x, relative=relative,
                          twin=twin and (lambda p, i=jax_identity: twin(i(p)))))
    return cases


def hessian_bug_case() -> Case:
    """Σ x·sin x + x0·x1·x2 with a gradient whose first component holds x1 fixed."""
    @tf.custom_gradient
    def f(x):
        def gradient(upstream):
            x0, x1, x2 = x[:, 0], x[:, 1], x[:, 2]
            mixed = tf.stack([tf.stop_gradient(x1) * x2, x0 * x2, x0 * x1], axis=-1)
            return upstream[:, None] * (tf.cos(x) * x + tf.sin(x) + mixed)
        return tf.reduce_sum(tf.sin(x) * x, axis=-1) + x[:, 0] * x[:, 1] * x[:, 2], gradient

    twin = None
    if jax:
        @jax.custom_vjp
        def twin(x):
            return jnp.sum(jnp.sin(x) * x) + x[0] * x[1] * x[2]

        def forward(x):
            return twin(x), x

        def backward(x, upstream):
            mixed = jnp.stack([jax.lax.stop_gradient(x[1]) * x[2], x[0] * x[2], x[0] * x[1]])
            return (upstream * (jnp.cos(x) * x + jnp.sin(x) + mixed),)

        twin.defvjp(forward, backward)
    return Case("Hessian wrong in one mixed entry", "bug", f, np.array([0.5, 1.0, 2.0]),
                order=2, twin=twin)


def kernel_bug_case(rng) -> Case:
    """A dense tanh layer with weight decay whose hand-written kernel gradient forgets it."""
    inputs = tf.constant(rng.normal(size=(5, 4)))
    decay = 1e-6

    @tf.custom_gradient
    def layer(kernel):  # kernel: (N, 4, 3) -> (N,)
        outputs = tf.tanh(tf.einsum("bi,nij->nbj", inputs, kernel))
        value = tf.reduce_sum(outputs, axis=[1, 2]) + 0.5 * decay * tf.reduce_sum(
            kernel**2, axis=[1, 2])

        def gradient(upstream):  # forgets decay·kernel
            return upstream[:, None, None] * tf.einsum("bi,nbj->nij", inputs, 1 - outputs**2)
        return value, gradient

    twin = None
    if jax:
        data = np.asarray(inputs)

        @jax.custom_vjp
        def twin(kernel):
            return jnp.sum(jnp.tanh(data @ kernel)) + 0.5 * decay * jnp.sum(kernel**2)

        def forward(kernel):
            return twin(kernel), kernel

        def backward(kernel, upstream):
            return (upstream * data.T @ (1 - jnp.tanh(data @ kernel) ** 2),)

        twin.defvjp(forward, backward)
    return Case("custom layer, kernel gradient without its 1e-6 decay", "bug", layer,
                rng.normal(size=(4, 3)), relative=None, twin=twin)


def numpy_function_case(rng) -> Case:
    model = _mlp(4, "tanh", 4)
    twin = _jax_mlp(model, "tanh")

    def f(x):
        return _scalar(model)(x) + 0.1 * tf.reduce_sum(
            tf.numpy_function(np.sin, [x], tf.float64), axis=-1)

    jax_f = None
    if twin:
        def jax_f(x):
            sin = jax.pure_callback(np.sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x)
            return twin(x) + 0.1 * jnp.sum(sin)
    return Case("MLP + tf.numpy_function term", "bug", f, rng.normal(size=4), twin=jax_f)


def kink_cases() -> list[Case]:
    weights = tf.constant([1.0, 2.0, 3.0], tf.float64)
    x = np.array([0.0, 1.0, -1.0])
    cases = [
        Case("ReLU at 0", "kink", lambda p: tf.reduce_sum(tf.nn.relu(p) * weights, axis=-1), x,
             twin=jax and (lambda p: jnp.sum(jax.nn.relu(p) * np.array([1.0, 2.0, 3.0])))),
        Case("LeakyReLU(0.2) at 0", "kink",
             lambda p: tf.reduce_sum(tf.nn.leaky_relu(p, 0.2) * weights, axis=-1), x,
             twin=jax and (lambda p: jnp.sum(jax.nn.leaky_relu(p, 0.2)
                                             * np.array([1.0, 2.0, 3.0])))),
    ]
    model = _mlp(4, "relu", 5, zero_bias=True)
    cases.append(Case("ReLU MLP, every hidden unit at its kink", "kink", _scalar(model),
                      np.zeros(4), twin=_jax_mlp(model, "relu")))
    return cases


def float32_case(rng) -> Case:
    model = _mlp(4, "tanh", 6, dtype="float32")
    return Case("float32 MLP", "float32", _scalar(model), rng.normal(size=4),
                twin=_jax_mlp(model, "tanh", dtype=np.float32), twin_dtype=np.float32)


def zoo() -> list[Case]:
    rng = np.random.default_rng(0)
    return (correct_cases(rng) + gradient_bug_cases(rng)
            + [hessian_bug_case(), kernel_bug_case(rng), numpy_function_case(rng)]
            + kink_cases() + [float32_case(rng)])


# -- the tools -----------------------------------------------------------------
def _timed(call):
    start = time.perf_counter()
    try:
        flagged, note = call()
    except Exception as error:  # a tool that raises has flagged the case
        flagged, note = True, f"raised {type(error).__name__}"
    return flagged, time.perf_counter() - start, note


def run_finitediff(case: Case) -> Outcome:
    found = {}

    def call():
        report = check_derivatives(case.f, case.x, orders=(case.order,))
        found["report"] = report
        return not report.passed, ""

    flagged, seconds, note = _timed(call)
    report = found.get("report")
    kinds = {f.kind for f in report.findings} if report else set()
    sensitivity = [e.detectable for e in report.entries] if report else []
    sensitivity = [s for s in sensitivity if np.isfinite(s)]
    return Outcome(flagged, seconds, FindingKind.KINK in kinds, FindingKind.PRECISION in kinds,
                   note, float(np.median(sensitivity)) if sensitivity else float("nan"))


def _point_function(f, shape):
    return lambda x: tf.reshape(f(tf.reshape(x, (1,) + shape)), ())


def _gradient_function(f, shape):
    """The autodiff gradient of f at one point, as a function of that point."""
    def gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = _point_function(f, shape)(x)
        result = tape.gradient(value, x)
        return tf.zeros_like(x) if result is None else result
    return gradient


def run_tf_compute_gradient(case: Case) -> Outcome:
    shape = case.x.shape

    def call():
        target = (_point_function(case.f, shape) if case.order == 1
                  else _gradient_function(case.f, shape))
        theoretical, numerical = tf.test.compute_gradient(target, [tf.constant(case.x)])
        ok = np.allclose(theoretical[0], numerical[0], rtol=1e-6, atol=1e-6)
        return not ok, ""

    flagged, seconds, note = _timed(call)
    return Outcome(flagged, seconds, note=note)


def _batched_values(f, shape, points):
    return np.asarray(f(tf.constant(points.reshape((-1,) + shape)))).reshape(len(points), -1)


def _batched_gradient(f, shape, points):
    x = tf.constant(points.reshape((-1,) + shape))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(f(x))
    result = tape.gradient(total, x)
    return np.zeros(points.shape) if result is None else np.asarray(result).reshape(
        points.shape)


def run_torch_style(case: Case, eps=1e-6, atol=1e-5, rtol=1e-3) -> Outcome:
    """gradcheck (gradgradcheck for order 2): central differences at a fixed eps."""
    shape = case.x.shape
    x = case.x.reshape(-1)

    def call():
        if case.order == 1:
            def values(p):
                return _batched_values(case.f, shape, p)

            def analytical(p):
                return _batched_gradient(case.f, shape, p)[:, None, :]
        else:
            def values(p):
                return _batched_gradient(case.f, shape, p)

            def analytical(p):
                return np.stack([_batched_gradient(
                    lambda q, i=i: _gradient_column(case.f, shape, q, i), shape, p)[0]
                    for i in range(x.size)])[None]
        offsets = eps * np.eye(x.size)
        sides = values(np.concatenate([x + offsets, x - offsets]))
        numerical = ((sides[:x.size] - sides[x.size:]) / (2 * eps)).T
        exact = analytical(x[None])[0]
        ok = np.all(np.abs(exact - numerical) <= atol + rtol * np.abs(numerical))
        return not ok, ""

    flagged, seconds, note = _timed(call)
    return Outcome(flagged, seconds, note=note)


def _gradient_column(f, shape, x, i):
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(f(x))
    gradient = tape.gradient(total, x)
    flat = tf.reshape(gradient, (tf.shape(x)[0], -1))
    return flat[:, i]


def run_jax(case: Case) -> Outcome | None:
    if jax is None or case.twin is None:
        return None

    def call():
        x = jnp.asarray(case.x, dtype=case.twin_dtype)
        try:
            check_grads(case.twin, (x,), order=case.order, modes=("rev",))
        except AssertionError:
            return True, ""
        return False, ""

    flagged, seconds, note = _timed(call)
    return Outcome(flagged, seconds, note=note)


TOOLS = {
    "finitediff check_derivatives": run_finitediff,
    "tf.test.compute_gradient": run_tf_compute_gradient,
    "torch-gradcheck style": run_torch_style,
    "jax check_grads": run_jax,
}


# -- the tables ----------------------------------------------------------------
@dataclass
class Tally:
    outcomes: list = field(default_factory=list)


def _mark(outcome: Outcome | None, case: Case) -> str:
    if outcome is None:
        return "n/a"
    if outcome.precision:
        return "FLAG(float32)"
    if outcome.kink and not outcome.flagged:
        return "pass(kink)"
    if outcome.note.startswith("raised"):
        return "FLAG(raised)"
    return "FLAG" if outcome.flagged else "pass"


def per_case_table(cases, results) -> None:
    names = list(TOOLS)
    short = ["finitediff", "tf.test", "torch-style", "jax"]
    width = max(len(c.name) for c in cases)
    print(f"{'case':{width}}  {'kind':8}" + "".join(f"{s:>14}" for s in short)
          + f"{'detectable':>12}")
    for case in cases:
        marks = [_mark(results[name][case.name], case) for name in names]
        ours = results[names[0]][case.name].detectable
        print(f"{case.name:{width}}  {case.kind:8}" + "".join(f"{m:>14}" for m in marks)
              + f"{ours:12.1e}")
    print("detectable: finitediff's median over entries of the smallest relative error each "
          "entry would catch")


def summary_table(cases, results) -> None:
    correct = [c for c in cases if c.kind == "correct"]
    bugs = [c for c in cases if c.kind == "bug"]
    big = [c for c in bugs if c.relative is None or c.relative >= 1e-7]
    kinks = [c for c in cases if c.kind == "kink"]
    low = [c for c in cases if c.kind == "float32"]
    print(f"\n{'tool':31} {'false alarms':>13} {'bugs caught':>12} {'bugs >=1e-7':>12} "
          f"{'kinks explained':>16} {'kinks failed':>13} {'float32':>14} {'ms/check':>9}")
    for name in TOOLS:
        outcome = results[name]
        ran = [c for c in cases if outcome[c.name] is not None]
        if not ran:
            print(f"{name:31} not installed")
            continue

        def count(group, test, outcome=outcome):
            group = [c for c in group if outcome[c.name] is not None]
            return f"{sum(bool(test(outcome[c.name])) for c in group)}/{len(group)}"

        flagged = count(low, lambda o: o.flagged)
        diagnosis = "precision" if any(outcome[c.name] and outcome[c.name].precision
                                       for c in low) else "mismatch"
        seconds = [outcome[c.name].seconds for c in ran]
        print(f"{name:31} {count(correct, lambda o: o.flagged):>13} "
              f"{count(bugs, lambda o: o.flagged):>12} {count(big, lambda o: o.flagged):>12} "
              f"{count(kinks, lambda o: o.kink and not o.flagged):>16} "
              f"{count(kinks, lambda o: o.flagged):>13} "
              f"{flagged + (' ' + diagnosis if flagged[0] != '0' else ''):>14} "
              f"{1e3 * float(np.mean(seconds)):9.0f}")
    print("false alarms: correct cases flagged; bugs >=1e-7: bugs of relative size >= 1e-7 and "
          "the three structural bugs;\nkinks explained: passed with a kink reported; float32: "
          "flagged, and as what; ms/check: mean wall time per case (tracing included)")


def missed(cases, results) -> None:
    for name in TOOLS:
        misses = [c.name for c in cases if c.kind == "bug" and results[name][c.name] is not None
                  and not results[name][c.name].flagged]
        if misses:
            print(f"  {name} missed: {'; '.join(misses)}")


# -- directional mode at d = 10 000 ---------------------------------------------
def directional_rows(d=10_000) -> None:
    model = _mlp(d, "tanh", 7, width=32)
    x = np.random.default_rng(1).normal(size=d)
    entry = 4321
    identity = _tf_scaled_identity(1e-6, entry, d)
    variants = [("correct", _scalar(model)),
                ("gradient wrong by 1e-6 in x[4321]", lambda p: _scalar(model)(identity(p)))]
    print(f"\nDirectional mode, MLP {d}-32-32-1 ({model.count_params()} weights), "
          "2 random directions, seed 0")
    print(f"{'model':36} {'seconds':>8} {'passed':>7} {'nfev':>6}  named by bisection")
    for name, f in variants:
        start = time.perf_counter()
        report = check_derivatives(f, x, mode="directional", seed=0)
        seconds = time.perf_counter() - start
        named = [e.label for e in report.mismatches if "bisection" in e.note]
        print(f"{name:36} {seconds:8.2f} {str(report.passed):>7} {report.nfev:6d}  "
              f"{', '.join(named) or '-'}")


def main() -> None:
    print(f"tensorflow {tf.__version__}, keras {keras.__version__}, "
          f"jax {jax.__version__ if jax else 'not installed'}, {os.cpu_count()} CPUs\n")
    cases = zoo()
    results = {name: {} for name in TOOLS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in cases:
            for name, tool in TOOLS.items():
                results[name][case.name] = tool(case)
    per_case_table(cases, results)
    summary_table(cases, results)
    missed(cases, results)
    directional_rows()


if __name__ == "__main__":
    math.isfinite(0.0)
    main()

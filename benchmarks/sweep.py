"""Sweeping a Keras model: difference networks against a loop over steps and methods.

The seed's model, log(x + 2) as a float64 Keras model, is swept for n = 2 at
x = 1 with the default methods (central accuracy 2, 4, 6, forward accuracy 1)
on the default grid: S steps × M methods estimates. Compared, for the grid
alone (every estimate, no reference, no fit):

- the difference networks of ``finitediff.sweep``: one network per method,
  every step in one batch (per-sample ``eps``): M model calls;
- a naive loop: the model on each method's stencil points at each step,
  through ``finitediff.black_box``: S·M model calls;
- the black box with every point of every step and method in one call.

"cold" includes building and tracing the graphs, "warm" is a second run of
the same objects. The last row is ``finitediff.sweep(model)`` end to end
(reference by autodiff, theory scales, the engine's steps, regions), with its
model calls for the grid and for the rest. Every estimate of the three
grid rows agrees with the others within ``ε·Σ|w|·|f|/h^n``.

Usage (from the repository root):
TF_CPP_MIN_LOG_LEVEL=2 python -m benchmarks.sweep
"""

from __future__ import annotations

import time

import keras
import numpy as np

import finitediff as fd
from finitediff.sweeps.function import BatchFunction
from finitediff.sweeps.grid import default_steps
from finitediff.sweeps.methods import default_methods
from finitediff.sweeps.network import NetworkEvaluator
from finitediff.sweeps.run import StencilEvaluator, all_cells

X, N = 1.0, 2
EPSILON = float(np.finfo(np.float64).eps)


def seed_model():
    x = keras.Input((1,), dtype="float64")
    return keras.Model(x, keras.ops.log(x + 2.0))


def naive_loop(function, methods, steps) -> tuple[np.ndarray, int]:
    """One model call per method and step."""
    estimates = np.empty((len(methods), steps.size))
    calls = 0
    for m, method in enumerate(methods):
        offsets = np.array([float(o) for o in method.stencil.support])
        weights = method.stencil.support_weights
        for s, h in enumerate((X + steps) - X):
            values = function(X + offsets * h)
            calls += 1
            estimates[m, s] = np.sum(weights * values) / h**N
    return estimates, calls


def grid(evaluator, cells, shape) -> tuple[np.ndarray, int]:
    result = evaluator(cells)
    estimates = np.empty(shape)
    for row in result.rows:
        estimates[row.method, row.step_index] = row.estimate
    return estimates, result.calls


def timed(run, repeats: int = 1):
    start = time.perf_counter()
    for _ in range(repeats):
        out = run()
    return out, (time.perf_counter() - start) / repeats


def main() -> None:
    model = seed_model()
    methods = default_methods(N, complex_step=False)
    steps = default_steps(methods, EPSILON) * max(abs(X), 1.0)
    shape = (len(methods), steps.size)
    cells = all_cells(1, len(methods), steps.size)
    x, step_grid = np.array([X]), steps[None, :]

    rows = []
    black_box = fd.black_box(model)
    (naive, calls), cold = timed(lambda: naive_loop(black_box, methods, steps))
    _, warm = timed(lambda: naive_loop(black_box, methods, steps), 3)
    rows.append(("naive loop: black_box per method and step", calls, cold, warm, naive))

    def network_run():
        function = BatchFunction(model, point_shape=(), vectorized=True)
        evaluator = NetworkEvaluator(model, StencilEvaluator(function, x, None, step_grid,
                                                             methods))
        return evaluator

    evaluator, _ = timed(network_run)
    (network, calls), cold = timed(lambda: grid(evaluator, cells, shape))
    _, warm = timed(lambda: grid(evaluator, cells, shape), 3)
    rows.append(("difference networks (finitediff.sweep)", calls, cold, warm, network))

    pooled = StencilEvaluator(BatchFunction(model, point_shape=(), vectorized=True), x, None,
                              step_grid, methods)
    (single, calls), cold = timed(lambda: grid(pooled, cells, shape))
    _, warm = timed(lambda: grid(pooled, cells, shape), 3)
    rows.append(("black box, all points in one call", calls, cold, warm, single))

    bound = (np.array([m.weight_sum for m in methods])[:, None] * EPSILON * np.log(3)
             / ((X + steps) - X) ** N)
    for _, _, _, _, estimates in rows[1:]:
        assert np.all(np.abs(estimates - naive) <= 8 * bound), "estimates disagree"

    print(f"log(x + 2) as a Keras model, n = {N} at x = {X}: {steps.size} steps × "
          f"{len(methods)} methods = {steps.size * len(methods)} estimates")
    print(f"{'grid evaluation':<46}{'model calls':>12}{'cold s':>9}{'warm ms':>9}"
          f"{'warm / naive':>14}")
    naive_warm = rows[0][3]
    for name, calls, cold, warm, _ in rows:
        print(f"{name:<46}{calls:>12}{cold:>9.2f}{warm * 1e3:>9.1f}{warm / naive_warm:>14.3f}")

    result, total = timed(lambda: fd.sweep(model, X, n=N, progress=False))
    print(f"\nfinitediff.sweep(model, 1.0, n=2) end to end: {total:.2f} s, model calls "
          f"{result.calls} for the grid + {result.setup_calls} for the reference (autodiff), "
          "the theory's scales and the engine's steps")
    fit = result.fit().get("central2")
    print(f"central2: truncation slope {fit.truncation.slope:.3f} ± "
          f"{fit.truncation.uncertainty:.3f}, round-off slope {fit.roundoff.slope:.3f} ± "
          f"{fit.roundoff.uncertainty:.3f}; optimum {fit.measured_step:.1e} "
          f"(error {fit.measured_error:.1e})")


if __name__ == "__main__":
    main()

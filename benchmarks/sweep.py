"""Sweeping a Keras model: difference networks against a loop over steps and methods.

The seed's model, log(x + 2) as a float64 Keras model, is swept for n = 2 at
x = 1 with the default methods (central accuracy 2, 4, 6, forward accuracy 1)
on the default grid: S steps × M methods estimates. Compared, for the grid
alone (every estimate, no reference, no fit):

- difference networks (``finitediff.difference_network``, as ``finitediff.sweep``
  builds them): one network per method, every step in one batch (per-sample
  ``eps``): M model calls;
- a naive loop: the model on each method's stencil points at each step,
  through ``finitediff.black_box``: S·M model calls;
- the black box with every point of every step and method in one call.

"cold" includes building and tracing the graphs, "warm" is a second run of
the same objects. The last row is ``finitediff.sweep(model)`` end to end
(reference by autodiff, theory scales, the engine's steps, regions), with its
model calls for the grid and for the rest. Every estimate of the three
grid rows agrees with the others within ``ε·Σ|w|·|f|/h^n``. Everything goes
through the public API.

Usage (from the repository root):
TF_CPP_MIN_LOG_LEVEL=2 python -m benchmarks.sweep
"""

from __future__ import annotations

import time

import keras
import numpy as np

import finitediff as fd
from finitediff import Stencil
from finitediff.sweeps import SweepMethod, default_steps

X, N = 1.0, 2
EPSILON = float(np.finfo(np.float64).eps)
#: The sweep's default methods for n = 2 (the complex step is for n = 1 only).
STENCILS = {"central2": Stencil.central(N, 2), "central4": Stencil.central(N, 4),
            "central6": Stencil.central(N, 6), "forward1": Stencil.forward(N, 1)}


def seed_model():
    x = keras.Input((1,), dtype="float64")
    return keras.Model(x, keras.ops.log(x + 2.0))


def naive_loop(function, stencils, taken) -> tuple[np.ndarray, int]:
    """One model call per method and step."""
    estimates = np.empty((len(stencils), taken.size))
    calls = 0
    for m, stencil in enumerate(stencils):
        offsets = np.array([float(o) for o in stencil.support])
        for s, h in enumerate(taken):
            values = function(X + offsets * h)
            calls += 1
            estimates[m, s] = np.sum(stencil.support_weights * values) / h**N
    return estimates, calls


def build_networks(model, stencils) -> list:
    """One difference network per method, with a step per sample (plain graphs, as the
    sweep builds them: XLA would compile for longer than it saves on one call)."""
    return [fd.difference_network(model, orders=(N,), accuracy=1, jit_compile=False,
                                  offsets=[int(o) for o in stencil.offsets])
            for stencil in stencils]


def network_grid(networks, taken) -> tuple[np.ndarray, int]:
    """Every step of a method in one batch: one call of each network."""
    x, h = np.full((taken.size, 1), X), taken[:, None]
    # one order requested: each network has one output, the estimate per sample
    estimates = np.stack([np.asarray(network([x, h, 1.0 / h]), dtype=np.float64).reshape(-1)
                          for network in networks])
    return estimates, len(networks)


def pooled_grid(function, stencils, taken) -> tuple[np.ndarray, int]:
    """Every point of every method and step in one call of the black box."""
    offsets = [np.array([float(o) for o in stencil.support]) for stencil in stencils]
    points = np.concatenate([X + np.multiply.outer(taken, o).ravel() for o in offsets])
    values, start = function(points), 0
    estimates = np.empty((len(stencils), taken.size))
    for m, (stencil, o) in enumerate(zip(stencils, offsets)):
        block = values[start:start + taken.size * o.size].reshape(taken.size, o.size)
        start += taken.size * o.size
        estimates[m] = block @ stencil.support_weights / taken**N
    return estimates, 1


def timed(run, repeats: int = 1):
    start = time.perf_counter()
    for _ in range(repeats):
        out = run()
    return out, (time.perf_counter() - start) / repeats


def main() -> None:
    model = seed_model()
    stencils = list(STENCILS.values())
    steps = default_steps(tuple(SweepMethod.of(s) for s in stencils), EPSILON) * max(abs(X), 1)
    taken = (X + steps) - X  # the steps actually taken, exact in floating point

    rows = []
    black_box = fd.black_box(model)
    (naive, calls), cold = timed(lambda: naive_loop(black_box, stencils, taken))
    _, warm = timed(lambda: naive_loop(black_box, stencils, taken), 3)
    rows.append(("naive loop: black_box per method and step", calls, cold, warm, naive))

    networks = []

    def built_and_run():
        networks[:] = build_networks(model, stencils)
        return network_grid(networks, taken)

    (network, calls), cold = timed(built_and_run)
    _, warm = timed(lambda: network_grid(networks, taken), 3)
    rows.append(("difference networks (as in finitediff.sweep)", calls, cold, warm, network))

    (single, calls), cold = timed(lambda: pooled_grid(black_box, stencils, taken))
    _, warm = timed(lambda: pooled_grid(black_box, stencils, taken), 3)
    rows.append(("black box, all points in one call", calls, cold, warm, single))

    bound = (np.array([s.weight_sum for s in stencils])[:, None] * EPSILON * np.log(3)
             / taken ** N)
    for _, _, _, _, estimates in rows[1:]:
        assert np.all(np.abs(estimates - naive) <= 8 * bound), "estimates disagree"

    print(f"log(x + 2) as a Keras model, n = {N} at x = {X}: {steps.size} steps × "
          f"{len(stencils)} methods = {steps.size * len(stencils)} estimates")
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

"""Noise nobody declared: how often a success's error misses it.

Usage (from the repository root):
python -m benchmarks.undeclared [--draws N]

Three probes, every call with finitediff's defaults (no ``noise=``), each
counting the successes and those whose error does not bound the true error
(a violation), against analytic derivatives:

- ``sin(x) + L·N(0, 1)`` at x = 0.3 + k/100, k < 200, for n = 1 and 2 and
  L = 1e-14, 1e-13, 1e-12 (the cases of ``tests/test_noise.py``);
- N random draws (default 3000) of sin, exp, atan or exp(−x²) at x in
  [−2, 2], order 1 or 2, plus noise of a log-uniform level in 1e-16..1e-8,
  absolute or relative; split by whether the elementwise fast path answered
  (at most 9 points) or the scan;
- ``np.round(g, k)`` for k = 8..11, the four functions, 40 points each
  (a success may bound the slope of g or the stairs' zero slope).

Deterministic (fixed seeds). Runs in about five minutes.
"""

from __future__ import annotations

import argparse
import collections
import time
import warnings

import numpy as np

from finitediff import derivative

#: name: (g, g', g'')
SMOOTH = {
    "sin": (np.sin, np.cos, lambda x: -np.sin(x)),
    "exp": (np.exp, np.exp, np.exp),
    "atan": (np.arctan, lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2),
    "gauss": (lambda x: np.exp(-x * x), lambda x: -2 * x * np.exp(-x * x),
              lambda x: (4 * x * x - 2) * np.exp(-x * x)),
}
#: Points an elementwise estimate uses when the fast path answers it.
FAST_POINTS = 9


def noisy_sin(seed: int, level: float):
    rng = np.random.default_rng(seed)
    return lambda x: np.sin(x) + level * rng.standard_normal(np.shape(x))


def sine_with_noise():
    print("sin(x) + L·N(0, 1), 200 points: successes / violations (worst true/error)")
    for n in (1, 2):
        exact = (np.cos, lambda x: -np.sin(x))[n - 1]
        for level in (1e-14, 1e-13, 1e-12):
            successes = violations = 0
            worst = 0.0
            for seed in range(200):
                x = 0.3 + seed / 100
                res = derivative(noisy_sin(seed, level), x, n=n)
                if res.success:
                    successes += 1
                    ratio = abs(res.df - exact(x)) / res.error
                    if not ratio <= 1:
                        violations += 1
                        worst = max(worst, ratio)
            print(f"  n={n} L={level:.0e}: {successes:3d} / {violations:2d} ({worst:.2g})")


def random_draws(draws: int):
    print(f"\n{draws} random noisy draws: successes / violations, per order and path")
    rng = np.random.default_rng(123)
    names = list(SMOOTH)
    successes, violations = collections.Counter(), collections.Counter()
    for i in range(draws):
        g, *derivatives = SMOOTH[names[rng.integers(len(names))]]
        n = int(rng.integers(1, 3))
        x = float(rng.uniform(-2, 2))
        level = 10 ** rng.uniform(-16, -8)
        noise = np.random.default_rng(i)
        if rng.random() < 0.5:
            def f(t, g=g, level=level, noise=noise):
                return g(t) * (1 + level * noise.standard_normal(np.shape(t)))
        else:
            def f(t, g=g, level=level, noise=noise):
                return g(t) + level * noise.standard_normal(np.shape(t))
        res = derivative(f, x, n=n)
        if not res.success:
            continue
        key = (n, "fast" if res.nfev <= FAST_POINTS else "scan")
        successes[key] += 1
        violations[key] += not abs(res.df - derivatives[n - 1](x)) <= res.error
    for key in sorted(successes):
        print(f"  n={key[0]} {key[1]}: {successes[key]:4d} / {violations[key]:3d}")


def rounded_values():
    print("\nnp.round(g, k), k = 8..11, 4 functions × 40 points: successes / violations "
          "(from the fast path)")
    rng = np.random.default_rng(7)
    successes = violations = fast = 0
    for name in sorted(SMOOTH):
        g, slope, _ = SMOOTH[name]
        for digits in range(8, 12):
            for x in rng.uniform(-2, 2, 40):
                res = derivative(lambda t, g=g, k=digits: np.round(g(t), k), float(x))
                if not res.success:
                    continue
                successes += 1
                if not min(abs(res.df - slope(x)), abs(res.df)) <= res.error:
                    violations += 1
                    fast += res.nfev <= FAST_POINTS
    print(f"  {successes} / {violations} ({fast})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=3000)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        sine_with_noise()
        random_draws(args.draws)
        rounded_values()
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

"""Test batteries for the accuracy benchmark: smooth functions with mpmath twins.

Each case is ``(name, f_numpy, f_mpmath, points)``; f is finite on a
neighbourhood of every point, and the points avoid zeros of the derivatives
of orders 1-4 (where a relative error is undefined). ``main_battery`` is the tuned-against set,
``heldout_battery`` is built from random compositions at random points.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
from scipy import special


def main_battery():
    return [
        ("exp", np.exp, mp.exp, [-2.0, 0.5, 3.0]),
        ("exp(-x^2)", lambda x: np.exp(-x * x), lambda x: mp.exp(-x * x), [0.3, 1.7]),
        ("exp(10x)", lambda x: np.exp(10 * x), lambda x: mp.exp(10 * x), [0.3, -1.0]),
        ("log", np.log, mp.log, [1e-2, 0.1, 2.0, 1e5]),
        ("log1p", np.log1p, mp.log1p, [-0.99, 0.5]),
        ("sqrt", np.sqrt, mp.sqrt, [1e-3, 0.05, 4.0]),
        ("cbrt", np.cbrt, mp.cbrt, [1e-2, 1.0]),
        ("x^2.5", lambda x: x**2.5, lambda x: x**mp.mpf(2.5), [0.01, 3.0]),
        ("x^2 log x", lambda x: x * x * np.log(x), lambda x: x * x * mp.log(x), [0.05, 1.5]),
        ("sin", np.sin, mp.sin, [0.5, 100.0]),
        ("sin(50x)", lambda x: np.sin(50 * x), lambda x: mp.sin(50 * x), [0.1, 1.0]),
        ("cos(1000x)", lambda x: np.cos(1000 * x), lambda x: mp.cos(1000 * x), [0.3]),
        ("sin(x/1e4)", lambda x: np.sin(x / 1e4), lambda x: mp.sin(x / 10**4), [3e4]),
        ("tanh", np.tanh, mp.tanh, [0.2, 2.0]),
        ("atan", np.arctan, mp.atan, [0.7, -3.0]),
        ("erf", special.erf, mp.erf, [0.4, 1.5]),
        ("gammaln", special.gammaln, mp.loggamma, [2.5, 0.3]),
        ("cosh", np.cosh, mp.cosh, [5.0]),
        ("exp(sin x)", lambda x: np.exp(np.sin(x)), lambda x: mp.exp(mp.sin(x)), [1.0, 4.0]),
        ("sqrt(1+x^2)", lambda x: np.sqrt(1 + x * x), lambda x: mp.sqrt(1 + x * x), [0.7]),
        ("x exp(-x)", lambda x: x * np.exp(-x), lambda x: x * mp.exp(-x), [1.5, 8.0]),
        ("1/(1+x^2)", lambda x: 1 / (1 + x * x), lambda x: 1 / (1 + x * x), [0.5, 2.0]),
        ("1/(1+25x^2)", lambda x: 1 / (1 + 25 * x * x), lambda x: 1 / (1 + 25 * x * x), [0.3]),
        ("1/(x-1)", lambda x: 1 / (x - 1), lambda x: 1 / (x - 1), [0.9, 1.05]),
        ("1/x", lambda x: 1 / x, lambda x: 1 / x, [0.01, -2.0]),
        ("poly5", lambda x: x**5 - 3 * x**3 + x, lambda x: x**5 - 3 * x**3 + x, [1.5, -0.4]),
        ("x^10", lambda x: x**10, lambda x: x**10, [0.9]),
        ("1e-20 exp", lambda x: 1e-20 * np.exp(x), lambda x: mp.mpf(1e-20) * mp.exp(x), [1.0]),
        ("1e20 sin", lambda x: 1e20 * np.sin(x), lambda x: mp.mpf(1e20) * mp.sin(x), [1.0]),
        ("arcsin", np.arcsin, mp.asin, [0.99, 0.2]),
        ("log cos", lambda x: np.log(np.cos(x)), lambda x: mp.log(mp.cos(x)), [1.5]),
        ("tan", np.tan, mp.tan, [1.5, 0.3]),
        ("j0", special.j0, lambda x: mp.besselj(0, x), [3.0]),
        ("rational", lambda x: (x**2 + 1) / (x**3 - 2), lambda x: (x**2 + 1) / (x**3 - 2), [0.5]),
    ]


_OUTER = [
    ("exp", np.exp, mp.exp),
    ("sin", np.sin, mp.sin),
    ("tanh", np.tanh, mp.tanh),
    ("log1p(u^2)", lambda u: np.log1p(u * u), lambda u: mp.log1p(u * u)),
    ("1/(1+u^2)", lambda u: 1 / (1 + u * u), lambda u: 1 / (1 + u * u)),
    ("sqrt(2+u)", lambda u: np.sqrt(2 + u), lambda u: mp.sqrt(2 + u)),
    ("atan", np.arctan, mp.atan),
    ("cos", np.cos, mp.cos),
]


def heldout_battery(count: int = 40, seed: int = 20240611):
    """Random ``outer(a·inner(x) + b)`` compositions at random points."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        (outer_name, outer, outer_mp), (inner_name, inner, inner_mp) = (
            _OUTER[i] for i in rng.integers(len(_OUTER), size=2))
        a = float(10 ** rng.uniform(-1.5, 1.5)) * float(rng.choice([-1, 1]))
        b = float(rng.uniform(-1, 1))
        x = float(rng.uniform(-3, 3))

        def f(t, outer=outer, inner=inner, a=a, b=b):
            return outer(a * inner(t) + b)

        def f_mp(t, outer=outer_mp, inner=inner_mp, a=a, b=b):
            return outer(mp.mpf(a) * inner(t) + mp.mpf(b))

        with np.errstate(all="ignore"):
            values = f(x + np.linspace(-0.05, 0.05, 11))
        if not np.all(np.isfinite(values)) or np.any(np.abs(values) > 1e100):
            continue
        cases.append((f"{outer_name}({a:.3g}*{inner_name}+{b:.2f})", f, f_mp, [x]))
    return cases

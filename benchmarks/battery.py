"""Test batteries for the accuracy benchmark: smooth functions with mpmath twins.

Each case is ``(name, f_numpy, f_mpmath, points)``; f is finite on a
neighbourhood of every point. In ``main_battery`` (the tuned-against set) the
points avoid zeros of the derivatives of orders 1-4, where a relative error is
undefined; ``heldout_battery`` (random compositions) and ``fresh_battery``
(random members of other families) take random points as they come.
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


def _fresh_family(rng):
    """One random member of a family unlike the compositions above: ``(name, f, f_mp)``."""
    family = int(rng.integers(8))
    if family == 0:  # exp(sin): entire, oscillating derivatives
        c, phase = float(10 ** rng.uniform(-0.5, 1.0)), float(rng.uniform(0, 2 * np.pi))
        return (f"exp(sin({c:.3g}x+{phase:.2f}))", lambda t: np.exp(np.sin(c * t + phase)),
                lambda t: mp.exp(mp.sin(c * t + phase)))
    if family == 1:  # complex poles a ± i·d close to the real axis
        a, d, c = float(rng.uniform(-3, 3)), float(10 ** rng.uniform(-1.5, 0)), float(
            rng.uniform(-2, 2))
        return (f"(x{c:+.2f})/((x{-a:+.2f})^2+{d:.3g}^2)",
                lambda t: (t + c) / ((t - a) ** 2 + d * d),
                lambda t: (t + c) / ((t - a) ** 2 + mp.mpf(d) ** 2))
    if family == 2:  # polynomial times exponential
        coefficients = [float(v) for v in rng.normal(size=int(rng.integers(3, 7)))]
        rate = float(rng.uniform(-3, 3))
        return (f"poly{len(coefficients) - 1}*exp({rate:.2f}x)",
                lambda t: np.polyval(coefficients, t) * np.exp(rate * t),
                lambda t: mp.polyval(coefficients, t) * mp.exp(rate * t))
    if family == 3:  # branch points a ± i·d
        a, d = float(rng.uniform(-3, 3)), float(10 ** rng.uniform(-1.5, 0))
        return (f"sqrt((x{-a:+.2f})^2+{d:.3g}^2)", lambda t: np.sqrt((t - a) ** 2 + d * d),
                lambda t: mp.sqrt((t - a) ** 2 + mp.mpf(d) ** 2))
    if family == 4:  # logistic
        c, a = float(10 ** rng.uniform(0, 1)), float(rng.uniform(-1, 1))
        return (f"1/(1+exp(-{c:.3g}(x{-a:+.2f})))", lambda t: 1 / (1 + np.exp(-c * (t - a))),
                lambda t: 1 / (1 + mp.exp(-c * (t - a))))
    if family == 5:  # Gaussian wave packet
        c, omega = float(10 ** rng.uniform(-1, 0.5)), float(10 ** rng.uniform(0, 1.3))
        return (f"exp(-{c:.3g}x^2)cos({omega:.3g}x)",
                lambda t: np.exp(-c * t * t) * np.cos(omega * t),
                lambda t: mp.exp(-c * t * t) * mp.cos(omega * t))
    if family == 6:  # logarithm of a positive quadratic with complex roots
        a, d = float(rng.uniform(-3, 3)), float(10 ** rng.uniform(-1.5, 0))
        return (f"log((x{-a:+.2f})^2+{d:.3g}^2)", lambda t: np.log((t - a) ** 2 + d * d),
                lambda t: mp.log((t - a) ** 2 + mp.mpf(d) ** 2))
    omega, rate = float(10 ** rng.uniform(0, 1.3)), float(rng.uniform(-1, 1))
    return (f"sin({omega:.3g}x)cosh({rate:.2f}x)", lambda t: np.sin(omega * t) * np.cosh(rate * t),
            lambda t: mp.sin(omega * t) * mp.cosh(rate * t))


def fresh_battery(count: int = 60, seed: int = 7_340_021):
    """Random members of eight parametric families (exp∘sin, complex poles and branch
    points near the real axis, polynomial × exponential, logistic, wave packets,
    log of quadratics, sin·cosh) at random points in [-4, 4]; built after the
    engine was last tuned, to check that it was not tuned to the first two."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        name, f, f_mp = _fresh_family(rng)
        x = float(rng.uniform(-4, 4))
        with np.errstate(all="ignore"):
            values = f(x + np.linspace(-0.05, 0.05, 11))
        if not np.all(np.isfinite(values)) or np.any(np.abs(values) > 1e100):
            continue
        cases.append((name, f, f_mp, [x]))
    return cases

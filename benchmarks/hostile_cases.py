"""Hostile cases for ``benchmarks.hostile``: families of inputs and their exact derivatives.

Each family is a function of a numpy Generator that returns a :class:`Case`
(or None, to draw again): the source of f as a numpy lambda (so that a case
prints as a one-liner), the point, the order and the exact answer, NaN where
the derivative does not exist. References come from ``mp.diff`` at two
precisions (see :func:`reference`); ``tests/test_hostile_probe.py`` checks
them against closed forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import mpmath as mp
import numpy as np

NAN = float("nan")


@dataclass(frozen=True)
class Case:
    """One call of finitediff and the exact answer (NaN where it does not exist)."""

    family: str
    call: str  # "derivative", "gradient", "jacobian" or "hessian"
    f: str  # numpy source of f, a lambda; evaluated with np in scope
    x: object  # a float or a nested list of floats
    exact: object
    n: int = 1

    def one_liner(self) -> str:
        order = f", n={self.n}" if self.call == "derivative" and self.n != 1 else ""
        x = self.x if isinstance(self.x, str) else repr(self.x)
        return f"{self.call}({self.f}, {x}{order})"


def num(value) -> str:
    """A float written so that it reads back exactly."""
    return repr(float(value))


# -- references ----------------------------------------------------------------------
class MPNumpy:
    """The numpy names the families use, evaluated with mpmath."""

    exp, sin, cos, log, sqrt, tanh = mp.exp, mp.sin, mp.cos, mp.log, mp.sqrt, mp.tanh
    arctan, log1p, expm1, sign = mp.atan, mp.log1p, mp.expm1, mp.sign
    abs = staticmethod(abs)

    @staticmethod
    def maximum(a, b):
        return a if a >= b else b

    @staticmethod
    def where(condition, a, b):
        return a if condition else b


def mp_function(source: str) -> Callable:
    """A numpy lambda source evaluated with mpmath names instead."""
    return eval(source, {"np": MPNumpy, "mp": mp})  # sources are built in this module


def reference(f_mp: Callable, x: float, n: int) -> float | None:
    """``f^(n)(x)`` from ``mp.diff`` at two precisions, or None if they disagree.

    The step of ``mp.diff`` is ``2^-(prec+10)`` times ``min(|x|, 1)`` (x may be
    1e-300 from a singularity). The precision grows with ``(n + 1)·|log10|x||``
    so that ``x + h`` is exact (x may be 1e300 with features of width 1) and
    the n-th difference of ``f(x + k·h)`` keeps its digits (``exp`` at 1e-230,
    ``x**3`` at 1e270). The two precisions must agree to 1e-20; an exact 0 is
    confirmed at twice the precision. Derivatives below 1e-280 in magnitude
    (but not 0) are not used: float64 cannot tell them from 0.
    """
    decades = abs(int(math.log10(abs(x)))) if x else 0
    digits = 30 + (n + 1) * decades
    low, high = (_mp_diff(f_mp, x, n, d) for d in (digits, digits + 15))
    if low is None or high is None:
        return None
    if not abs(low - high) <= 1e-20 * abs(high) + mp.mpf(10) ** -300:
        return None
    if high == 0 and _mp_diff(f_mp, x, n, 2 * digits) != 0:
        return None
    value = float(high)
    return value if math.isfinite(value) and not 0 < abs(value) < 1e-280 else None


def _mp_diff(f_mp: Callable, x: float, n: int, digits: int):
    with mp.workdps(digits):
        # mp.diff's own relative=True makes the step larger for smaller x
        step = mp.ldexp(min(abs(mp.mpf(x)), 1) if x else 1, -mp.mp.prec - 10)
        try:
            value = mp.diff(f_mp, mp.mpf(x), n, h=step)
        except (ZeroDivisionError, ValueError):
            return None
    return value if isinstance(value, mp.mpf) and mp.isfinite(value) else None


def with_reference(family, source, x, n, mp_source=None) -> Case | None:
    exact = reference(mp_function(mp_source or source), x, n)
    return None if exact is None else Case(family, "derivative", source, x, exact, n)


def log_uniform(rng, low: float, high: float) -> float:
    return float(10.0 ** rng.uniform(low, high))


def signed(rng, value: float) -> float:
    return value if rng.random() < 0.5 else -value


# -- families of univariate cases -----------------------------------------------------------
def huge_and_tiny_x(rng):
    n = int(rng.integers(1, 5))
    x = log_uniform(rng, -300, 300)
    source = rng.choice(["np.sin(x)", "np.log(x)", "np.sqrt(x)", "1 / x", "x**3",
                         "np.arctan(x)", "np.exp(-x)", "np.cos(x) * x"])
    if source in ("1 / x", "x**3", "np.arctan(x)", "np.sin(x)"):
        x = signed(rng, x)
    if source == "np.exp(-x)":
        x = signed(rng, log_uniform(rng, -300, 2.5))
    return with_reference("huge/tiny x", f"lambda x: {source}", x, n)


def narrow_bump(rng):
    n = int(rng.integers(1, 5))
    x = signed(rng, log_uniform(rng, -3, 10))
    width = max(abs(x), 1.0) * log_uniform(rng, -10, -1)
    centre = x - width * rng.uniform(-2.5, 2.5)
    return with_reference("narrow bump", f"lambda x: np.exp(-((x - {num(centre)}) / "
                          f"{num(width)})**2)", x, n)


def narrow_step(rng):
    n = int(rng.integers(1, 5))
    x = signed(rng, log_uniform(rng, -3, 10))
    width = max(abs(x), 1.0) * log_uniform(rng, -10, -1)
    centre = x - width * rng.uniform(-4, 4)
    return with_reference("narrow tanh step", f"lambda x: np.tanh((x - {num(centre)}) / "
                          f"{num(width)})", x, n)


def jump(rng):
    """A jump of height J at x (no derivative) or near x, on top of sin."""
    n = int(rng.integers(1, 5))
    x = signed(rng, log_uniform(rng, -3, 6))
    height = log_uniform(rng, -8, 0)
    if rng.random() < 0.4:
        source = f"lambda x: np.sin(x) + np.where(x < {num(x)}, 0.0, {num(height)})"
        return Case("jump", "derivative", source, x, NAN, n)
    centre = x + signed(rng, max(abs(x), 1.0) * log_uniform(rng, -12, -1))
    source = f"lambda x: np.sin(x) + np.where(x < {num(centre)}, 0.0, {num(height)})"
    exact = float([mp.cos, lambda t: -mp.sin(t), lambda t: -mp.cos(t), mp.sin][n - 1](x))
    return Case("jump", "derivative", source, x, exact, n)


#: Kinks and cusps |t|^p at t = x - c; the orders below ``first_missing`` exist at c.
_KINKS = [("np.abs({t})", 1), ("np.maximum({t}, 0.0)", 1), ("np.sqrt(np.abs({t}))", 1),
          ("np.abs({t})**1.5", 2), ("np.abs({t})**2.5", 3), ("np.abs({t})**3", 3)]


def kink(rng):
    n = int(rng.integers(1, 5))
    x = signed(rng, log_uniform(rng, -3, 6))
    template, first_missing = _KINKS[int(rng.integers(len(_KINKS)))]
    at_x = rng.random() < 0.5
    centre = x if at_x else x + signed(rng, max(abs(x), 1.0) * log_uniform(rng, -12, -1))
    source = f"lambda x: np.sin(x) + {template.format(t=f'(x - {num(centre)})')}"
    if at_x and n >= first_missing:
        return Case("kink/cusp", "derivative", source, x, NAN, n)
    if at_x:  # the kink term contributes 0 to the orders that exist at c
        exact = float([mp.cos, lambda t: -mp.sin(t), lambda t: -mp.cos(t)][n - 1](x))
        return Case("kink/cusp", "derivative", source, x, exact, n)
    return with_reference("kink/cusp", source, x, n)


def oscillation(rng):
    n = int(rng.integers(1, 5))
    kind = rng.integers(3)
    if kind == 2:  # a fast sine: sin(ω x), ω up to 1e12
        omega = log_uniform(rng, 2, 12)
        x = rng.uniform(-3, 3)
        return with_reference("oscillation", f"lambda x: np.sin({num(omega)} * x)", x, n)
    x = signed(rng, log_uniform(rng, -3, 3))
    power = "" if kind == 0 else "**2"
    at_x = rng.random() < 0.5
    centre = x if at_x else x + signed(rng, max(abs(x), 1.0) * log_uniform(rng, -6, -1))
    t = f"(x - {num(centre)})"
    source = f"lambda x: np.where(x == {num(centre)}, 0.0, {t}{power} * np.sin(1 / {t}))"
    if at_x:  # t·sin(1/t) has no derivative at 0; t²·sin(1/t) has f'(0) = 0 only
        return Case("oscillation", "derivative", source, x, 0.0 if kind == 1 and n == 1
                    else NAN, n)
    mp_source = f"lambda x: {t}{power} * np.sin(1 / {t})"
    return with_reference("oscillation", source, x, n, mp_source)


_CANCELLATIONS = [
    ("(1 - np.cos(x)) / x**2", (-8, -1)),
    ("(np.exp(x) - 1 - x) / x**2", (-8, -1)),
    ("np.sqrt(x**2 + 1) - x", (1, 8)),
    ("np.log(1 + x) - x", (-9, -2)),
    ("x - np.sin(x)", (-6, -1)),
    ("(np.exp(x) - np.exp(-x)) / 2 - x", (-6, -1)),
]


def cancellation(rng):
    n = int(rng.integers(1, 5))
    source, (low, high) = _CANCELLATIONS[int(rng.integers(len(_CANCELLATIONS)))]
    x = log_uniform(rng, low, high)
    return with_reference("cancellation", f"lambda x: {source}", x, n)


_SMOOTH = ["np.sin(x)", "np.exp(x)", "np.log(2 + x**2)", "np.arctan(x)", "1 / (1 + x**2)",
           "np.exp(-x**2)", "np.tanh(x)"]


def _smooth(rng) -> str:
    return _SMOOTH[int(rng.integers(len(_SMOOTH)))]


def noise(rng):
    n = int(rng.integers(1, 5))
    smooth = _smooth(rng)
    amplitude = log_uniform(rng, -15, -1)
    seed = int(rng.integers(2**31))
    relative = rng.random() < 0.5
    term = f"{smooth} * " if relative else ""
    source = (f"lambda x, _r=np.random.default_rng({seed}): {smooth} + {term}{num(amplitude)} "
              f"* _r.standard_normal(np.shape(x))")
    return with_reference("noise", source, rng.uniform(-3, 3), n,
                          mp_source=f"lambda x: {smooth}")


def float32(rng):
    n = int(rng.integers(1, 5))
    smooth = _smooth(rng)
    if rng.random() < 0.6:  # float32 values of a float64 computation
        source = f"lambda x: np.asarray({smooth}, dtype=np.float32)"
    else:  # the whole computation in float32
        source = f"lambda x: (lambda x: {smooth})(np.asarray(x, dtype=np.float32))"
    return with_reference("float32 f", source, rng.uniform(-3, 3), n,
                          mp_source=f"lambda x: {smooth}")


def f_scale(rng):
    n = int(rng.integers(1, 5))
    smooth = _smooth(rng)
    factor = signed(rng, log_uniform(rng, 150, 306) if rng.random() < 0.5
                    else log_uniform(rng, -306, -150))
    return with_reference("f scale 1e±300", f"lambda x: {num(factor)} * {smooth}",
                          rng.uniform(-3, 3), n)


def polynomial(rng):
    n = int(rng.integers(1, 5))
    degree = int(rng.integers(10, 150))
    if rng.random() < 0.5:
        x = signed(rng, rng.uniform(0.1, 1.5))
        return with_reference("polynomial", f"lambda x: x**{degree}", x, n)
    x = rng.uniform(-1, 1)
    source = f"lambda x: np.polynomial.legendre.legval(x, [0.0] * {degree} + [1.0])"
    exact = reference(lambda t: mp.legendre(degree, t), x, n)
    return None if exact is None else Case("polynomial", "derivative", source, x, exact, n)


# -- several variables ---------------------------------------------------------------------
#: Terms g(t) of t = x_j / s_j; "c" is the scaled point, for terms with a feature there.
_TERMS = ["np.sin({t})", "np.exp({t})", "np.log(2 + {t}**2)", "np.arctan({t})",
          "np.exp(-{t}**2)", "np.abs({t} - {c})", "np.exp(-(({t} - {c}) / 1e-3)**2)",
          "np.sqrt(np.abs({t} - {c}) + 1e-12)"]
_NOT_AT_POINT = {5}  # |t - c| has no derivative at c


def _terms(rng, d: int):
    """Per component: scale s_j, point x_j, term template (in t) and its mp function."""
    components = []
    for _ in range(d):
        scale = 2.0 ** round(math.log2(log_uniform(rng, -6, 6)))  # x_j / s_j is exact
        t0 = rng.uniform(-2, 2)
        x = float(t0 * scale)
        index = int(rng.integers(len(_TERMS))) if rng.random() < 0.5 else int(rng.integers(5))
        near = x / scale + (0.0 if index in _NOT_AT_POINT else rng.uniform(-2e-3, 2e-3))
        template = _TERMS[index].replace("{c}", num(near))
        components.append((scale, x, template, index))
    return components


def _term_derivative(template: str, t: float, n: int) -> float | None:
    return reference(mp_function("lambda t: " + template.format(t="t")), t, n)


def _several(rng, call: str):
    d = int(rng.integers(2, 6))
    components = _terms(rng, d)
    x = [c[1] for c in components]
    rows = int(rng.integers(2, 4)) if call == "jacobian" else 1
    weights = np.round(rng.uniform(-3, 3, (rows, d)), 3)
    coupling = float(np.round(rng.uniform(-3, 3), 3))
    sums = []
    for k in range(rows):
        terms = [f"{num(weights[k, j])} * " + template.format(t=f"(x[..., {j}] / {num(s)})")
                 for j, (s, _, template, _) in enumerate(components)]
        pair = f"(x[..., 0] / {num(components[0][0])}) * (x[..., 1] / {num(components[1][0])})"
        sums.append(" + ".join(terms) + f" + {num(coupling)} * {pair}")
    source = ("lambda x: " + sums[0] if call != "jacobian"
              else "lambda x: np.stack([" + ", ".join(sums) + "], axis=-1)")
    order = 2 if call == "hessian" else 1
    partials = []
    for scale, xj, template, index in components:
        if index in _NOT_AT_POINT:
            partials.append(NAN)
            continue
        value = _term_derivative(template, float(mp.mpf(xj) / mp.mpf(scale)), order)
        if value is None:
            return None
        partials.append(value / scale**order)
    partials = np.array(partials)
    s0, s1 = components[0][0], components[1][0]
    t0, t1 = x[0] / s0, x[1] / s1
    if call == "hessian":
        exact = np.diag(weights[0] * partials)
        exact[0, 1] = exact[1, 0] = coupling / (s0 * s1)
    else:
        exact = weights * partials
        exact[:, 0] += coupling * t1 / s0
        exact[:, 1] += coupling * t0 / s1
        exact = exact[0] if call == "gradient" else exact
    exact = np.where(np.isnan(exact), NAN, exact)  # 0·NaN stays NaN: a kink is a kink
    return Case(call, call, source, x, exact)


def gradient_case(rng):
    return _several(rng, "gradient")


def jacobian_case(rng):
    return _several(rng, "jacobian")


def hessian_case(rng):
    return _several(rng, "hessian")


def empty_and_0d(rng):
    kind = int(rng.integers(4))
    if kind == 0:
        return Case("empty/0-d", "derivative", "np.sin", "np.zeros(0)", np.zeros(0))
    if kind == 1:
        return Case("empty/0-d", "gradient", "lambda x: np.sum(x, axis=-1)", "np.zeros(0)",
                    np.zeros(0))
    x = rng.uniform(-3, 3)
    if kind == 2:
        return Case("empty/0-d", "derivative", "np.sin", f"np.array({num(x)})", math.cos(x))
    return Case("empty/0-d", "derivative", "np.exp", f"np.zeros((2, 0, 3)) + {num(x)}",
                np.zeros((2, 0, 3)))


FAMILIES = {
    "huge/tiny x": huge_and_tiny_x,
    "narrow bump": narrow_bump,
    "narrow tanh step": narrow_step,
    "jump": jump,
    "kink/cusp": kink,
    "oscillation": oscillation,
    "cancellation": cancellation,
    "noise": noise,
    "float32 f": float32,
    "f scale 1e±300": f_scale,
    "polynomial": polynomial,
    "gradient": gradient_case,
    "jacobian": jacobian_case,
    "hessian": hessian_case,
    "empty/0-d": empty_and_0d,
}


def draw_from(families: dict, seed: int, count: int, *, attempts: int = 20,
              only=None) -> list:
    """``count`` cases per family (of ``only``, if given); each family has its own
    stream of the seed, by its place in ``families``, and up to ``attempts·count``
    draws (a family returns None for a draw it rejects)."""
    cases = []
    for index, (name, family) in enumerate(families.items()):
        if only and name not in only:
            continue
        rng = np.random.default_rng([seed, index])
        drawn = 0
        for _ in range(attempts * count):
            if drawn == count:
                break
            case = family(rng)
            if case is not None:
                cases.append(case)
                drawn += 1
    return cases


def draw_cases(seed: int, count: int) -> list[Case]:
    """``count`` cases per family; each family has its own stream of the seed."""
    return draw_from(FAMILIES, seed, count)

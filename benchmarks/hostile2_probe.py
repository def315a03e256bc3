"""Second hostile probe: does any success=True result carry an error that does not bound the truth?

Usage (from the repository root):
python -m benchmarks.hostile2_probe [--seed N] [--cases K] [--family NAME ...] [--quiet]

Draws K cases (default 12) from each of the families below, each a call of
``derivative``, ``jvp``, ``gradient``, ``jacobian``, ``hessian`` or
``estimate_step`` as a user would write it, with an exact answer from an
analytic formula or from ``mp.diff`` at two working precisions
(``benchmarks.hostile_cases.reference``). Constants are Python floats in both
the numpy and the mpmath source, so both evaluate the same function.

For every entry of every result:

- VIOLATION: ``success`` is True and ``|df − exact| > error`` (or the
  derivative does not exist, exact = NaN). Staircases (integer or rounded
  outputs) may bound either the slope of the function they round or 0.
- over-caution: ``success`` is False although the derivative exists and
  ``df`` is within 1e-6 relative of it (the value was fine).

Every violation is printed as a one-liner (``import numpy as np; from
finitediff import *``), with x, df, error, the true error, status and message;
then a table per family: cases, entries, successes, violations, failures,
over-cautious failures, exceptions. Deterministic for a seed; one process.
"""

from __future__ import annotations

import argparse
import collections
import math
import time
import warnings
from dataclasses import dataclass, field

import mpmath as mp
import numpy as np

import finitediff
from benchmarks.hostile_cases import MPNumpy, draw_from, reference

NAN = float("nan")
#: A failure is over-cautious when df is within this relative error of the truth.
FINE = 1e-6


class _MP(MPNumpy):
    """numpy names evaluated with mpmath (adds what these families use)."""

    sinh, cosh, pi = mp.sinh, mp.cosh, mp.pi

    @staticmethod
    def floor(a):
        return mp.floor(a)


def mp_eval(expression: str):
    """A function of x from a numpy expression, evaluated with mpmath names."""
    return eval("lambda x: " + expression, {"np": _MP, "mp": mp})


def ref(expression: str, x: float, n: int):
    """``d^n/dx^n expression`` at x, or None where the references disagree."""
    return reference(mp_eval(expression), float(x), n)


def num(value) -> str:
    return repr(float(value))


def log_uniform(rng, low, high) -> float:
    return float(10.0 ** rng.uniform(low, high))


def signed(rng, value):
    return value if rng.random() < 0.5 else -value


@dataclass
class Case:
    family: str
    call: str                   # a finitediff function name
    f: str                      # numpy source of f (a lambda)
    x: object                   # float, complex or list
    exact: object               # NaN where the derivative does not exist
    options: dict = field(default_factory=dict)
    also: object = None         # a second acceptable answer (staircases: 0)
    stencil: str = ""           # estimate_step only: the Stencil source

    def one_liner(self) -> str:
        opts = "".join(f", {k}={v!r}" for k, v in self.options.items())
        if self.call == "estimate_step":
            return f"estimate_step({self.stencil}, {self.f}, {self.x!r})"
        return f"{self.call}({self.f}, {self.x!r}{opts})"


# -- univariate families ---------------------------------------------------------------
_HUGE = ["np.sin(x)", "np.cos(x)", "np.log(x)", "np.sqrt(x)", "1 / x", "x**3", "x",
         "np.arctan(x)", "np.exp(-x)", "np.tanh(x)", "x * x"]


def huge_tiny(rng):
    n = int(rng.integers(1, 5))
    source = _HUGE[int(rng.integers(len(_HUGE)))]
    pick = rng.random()
    if pick < 0.15:  # subnormal and the smallest normals
        x = float(rng.choice([5e-324, 1e-320, 1e-310, 2.2250738585072014e-308, 1e-305]))
    elif pick < 0.3:
        x = float(rng.choice([1.7976931348623157e308, 1e308, 1e307]))
    else:
        x = log_uniform(rng, -300, 300)
    if source == "np.exp(-x)":
        x = log_uniform(rng, -300, 2.8)
    if source in ("np.sin(x)", "np.cos(x)", "1 / x", "x**3", "x", "np.arctan(x)", "np.tanh(x)",
                  "x * x"):
        x = signed(rng, x)
    exact = ref(source, x, n)
    if exact is None:
        return None
    options = {"n": n} if n > 1 else {}
    if rng.random() < 0.3:
        options["accuracy"] = int(rng.choice([4, 6]))
    return Case("huge/tiny x", "derivative", f"lambda x: {source}", x, exact, options)


def narrow_gaussian(rng):
    """exp(-((x - c)/w)^2) on a background, w = 1e-4 .. 1e-12, c at or near x."""
    n = int(rng.integers(1, 4))
    x = float(rng.choice([0.0, 1.0, -3.0, 1e3, 1e6, 1e-3])) + rng.uniform(-1e-3, 1e-3)
    width = log_uniform(rng, -12, -4)
    offset = float(rng.choice([0.0, 0.5, -0.5, 1.0, 2.0, -2.5, 5.0])) * width
    centre = x + offset
    background = str(rng.choice(["", "np.sin(x) + ", "1e3 * x + "]))
    expression = f"{background}np.exp(-((x - {num(centre)}) / {num(width)})**2)"
    exact = ref(expression, x, n)
    if exact is None:
        return None
    options = {"n": n} if n > 1 else {}
    given = rng.random()
    if given < 0.25:
        options["scale"] = float(width)
    elif given < 0.35:
        options["scale"] = float(10 * width)
    return Case("narrow gaussian", "derivative", f"lambda x: {expression}", x, exact, options)


def far_spike(rng):
    """A spike of width 1e-9 .. 1e-14 a small distance away (on a ladder point or not)."""
    n = int(rng.integers(1, 4))
    x = float(rng.choice([0.0, 0.25, 1.0, 1.5, 100.0]))
    top = 0.5 * max(abs(x), 1.0)
    if rng.random() < 0.6:  # on a stencil point of the ladder: x ± o·top·2^-q
        distance = float(rng.choice([1, 2, 3])) * top * 2.0 ** -float(rng.integers(0, 24))
    else:
        distance = log_uniform(rng, -7, -1)
    centre = x + signed(rng, distance)
    width = log_uniform(rng, -14, -9)
    height = log_uniform(rng, -6, 3)
    expression = f"np.sin(x) + {num(height)} * np.exp(-((x - {num(centre)}) / {num(width)})**2)"
    exact = ref("np.sin(x)", x, n)
    if abs(centre - x) < 40 * width or exact is None:
        return None
    options = {"n": n} if n > 1 else {}
    return Case("far spike", "derivative", f"lambda x: {expression}", x, exact, options)


def jump_kink_near(rng):
    """A jump or a kink at distance d = 0 or 1e-12 .. 1e-1 from x, on sin."""
    n = int(rng.integers(1, 4))
    x = signed(rng, log_uniform(rng, -2, 3))
    d = 0.0 if rng.random() < 0.25 else signed(rng, float(rng.choice(
        [1e-12, 1e-9, 1e-6, 1e-3, 1e-1])) * rng.uniform(0.5, 2))
    c = x + d
    size = log_uniform(rng, -10, 0)
    if rng.random() < 0.5:
        term = f"np.where(x < {num(c)}, 0.0, {num(size)})"
        kind = "jump"
        exact = NAN if c == x else ref("np.sin(x)", x, n)
    else:
        term = f"{num(size)} * np.abs(x - {num(c)})"
        kind = "kink"
        if c == x:
            exact = NAN
        else:
            exact = ref(f"np.sin(x) + {num(size)} * np.abs(x - {num(c)})", x, n)
    if exact is None:
        return None
    options = {"n": n} if n > 1 else {}
    return Case(f"{kind} near x", "derivative", f"lambda x: np.sin(x) + {term}", x, exact,
                options)


def noisy(rng):
    n = int(rng.integers(1, 4))
    amplitude = log_uniform(rng, -15, -2)
    seed = int(rng.integers(2**31))
    x = rng.uniform(-3, 3)
    smooth = str(rng.choice(["np.sin(x)", "np.exp(x)", "np.log(2 + x**2)"]))
    source = (f"lambda x, _r=np.random.default_rng({seed}): {smooth} + {num(amplitude)} * "
              "_r.standard_normal(np.shape(x))")
    exact = ref(smooth, x, n)
    if exact is None:
        return None
    options = {"n": n} if n > 1 else {}
    pick = rng.random()
    if pick < 0.3:
        options["noise"] = float(amplitude)
    elif pick < 0.6:
        options["noise"] = "auto"
    return Case("noise", "derivative", source, x, exact, options)


def low_precision(rng):
    """float32 / float16 values, or an integer staircase."""
    n = int(rng.integers(1, 4))
    smooth = str(rng.choice(["np.sin(x)", "np.exp(x)", "np.log(2 + x**2)", "np.tanh(x)"]))
    x = rng.uniform(-3, 3)
    exact = ref(smooth, x, n)
    if exact is None:
        return None
    options = {"n": n} if n > 1 else {}
    kind = rng.random()
    if kind < 0.35:
        return Case("float32 f", "derivative", f"lambda x: np.float32({smooth})", x, exact,
                    options)
    if kind < 0.6:
        return Case("float16 f", "derivative", f"lambda x: np.float16({smooth})", x, exact,
                    options)
    if kind < 0.8:
        source = f"lambda x: (lambda x: {smooth})(np.asarray(x, dtype=np.float32))"
        return Case("float32 f", "derivative", source, x, exact, options)
    factor = float(10 ** int(rng.integers(2, 10)))
    source = f"lambda x: np.floor({num(factor)} * {smooth}).astype(np.int64)"
    return Case("integer f", "derivative", source, x, factor * exact, options, also=0.0)


def rounded(rng):
    """np.round(g, k): a deterministic staircase of step 10^-k."""
    n = int(rng.integers(1, 3))
    smooth = str(rng.choice(["np.sin(x)", "np.exp(x)"]))
    x = rng.uniform(-2, 2)
    digits = int(rng.integers(3, 14))
    exact = ref(smooth, x, n)
    if exact is None:
        return None
    options = {"n": n} if n > 1 else {}
    return Case("rounded f", "derivative", f"lambda x: np.round({smooth}, {digits})", x,
                exact, options, also=0.0)


def constant(rng):
    n = int(rng.integers(1, 5))
    c = float(rng.choice([0.0, 1.0, -7.5, 1e300, -1e-300, 5e-324]))
    source = str(rng.choice([f"lambda x: 0 * x + {num(c)}", f"lambda x: np.full_like(x, {num(c)})",
                             f"lambda x: np.where(np.isfinite(x), {num(c)}, 0.0)"]))
    x = signed(rng, log_uniform(rng, -5, 5))
    call = "derivative"
    options = {"n": n} if n > 1 else {}
    if rng.random() < 0.3:
        call = str(rng.choice(["gradient", "hessian"]))
        d = int(rng.integers(1, 6))
        source = f"lambda x: 0 * x[..., 0] + {num(c)}"
        x = [float(v) for v in rng.uniform(-3, 3, d)]
        exact = np.zeros((d,) if call == "gradient" else (d, d))
        if rng.random() < 0.5:
            options = {"fast": False}
        else:
            options = {}
        return Case("constant f", call, source, x, exact, options)
    return Case("constant f", call, source, x, 0.0, options)


_CANCEL = [("np.exp(x) - 1", (-300, -1)), ("(1 - np.cos(x)) / x**2", (-8, -1)),
           ("(np.exp(x) - 1 - x) / x**2", (-7, -1)), ("np.log(1 + x)", (-300, -1)),
           ("np.sqrt(x**2 + 1) - x", (1, 8)), ("np.sin(x) / x", (-9, -1)),
           ("(np.exp(x) - np.exp(-x)) / (2 * x)", (-9, -1))]


def cancellation(rng):
    n = int(rng.integers(1, 5))
    expression, (low, high) = _CANCEL[int(rng.integers(len(_CANCEL)))]
    x = log_uniform(rng, low, high)
    exact = ref(expression, x, n)
    if exact is None:
        return None
    options = {"n": n} if n > 1 else {}
    return Case("cancellation", "derivative", f"lambda x: {expression}", x, exact, options)


_SMOOTH = ["np.sin(x)", "np.exp(x)", "np.log(2 + x**2)", "1 / (1 + x**2)", "np.tanh(x)",
           "np.exp(-x**2)", "np.arctan(x)", "np.sqrt(1 + x**2)"]


def high_order(rng):
    n = int(rng.integers(3, 7))
    method = str(rng.choice(["central", "central", "forward", "backward"]))
    accuracy = int(rng.choice([2, 4, 6, 8])) if method == "central" else int(rng.integers(1, 9))
    smooth = _SMOOTH[int(rng.integers(len(_SMOOTH)))]
    x = rng.uniform(-3, 3)
    exact = ref(smooth, x, n)
    if exact is None:
        return None
    options = {"n": n, "accuracy": accuracy}
    if method != "central":
        options["method"] = method
    return Case("high order", "derivative", f"lambda x: {smooth}", x, exact, options)


def one_sided_methods(rng):
    n = int(rng.integers(1, 4))
    method = str(rng.choice(["forward", "backward"]))
    smooth = _SMOOTH[int(rng.integers(len(_SMOOTH)))]
    x = signed(rng, log_uniform(rng, -8, 4))
    exact = ref(smooth, x, n)
    if exact is None:
        return None
    options = {"n": n, "method": method} if n > 1 else {"method": method}
    return Case("forward/backward", "derivative", f"lambda x: {smooth}", x, exact, options)


_HOLOMORPHIC = {  # expression: n-th derivative at z (mpmath)
    "np.exp(x)": lambda z, n: mp.exp(z),
    "np.sin(x)": lambda z, n: mp.sin(z + n * mp.pi / 2),
    "np.log(x)": lambda z, n: (-1) ** (n - 1) * mp.factorial(n - 1) / z**n,
    "1 / x": lambda z, n: (-1) ** n * mp.factorial(n) / z ** (n + 1),
    "x**3": lambda z, n: [3 * z**2, 6 * z, 6, 0][n - 1],
    "np.sqrt(x)": lambda z, n: mp.diff(mp.sqrt, z, n),
}


def complex_cases(rng):
    expression = str(rng.choice(list(_HOLOMORPHIC)))
    if rng.random() < 0.5:  # complex step at real x
        x = signed(rng, log_uniform(rng, -6, 4)) if expression not in ("np.log(x)", "np.sqrt(x)") \
            else log_uniform(rng, -6, 4)
        if rng.random() < 0.4:  # not holomorphic: abs / real part inside
            wrapped = str(rng.choice(["np.abs(x) * x", "np.real(x) * np.sin(x)",
                                      "np.sqrt(x * np.conj(x) + 1)"]))
            reals = {"np.abs(x) * x": "np.abs(x) * x", "np.real(x) * np.sin(x)": "x * np.sin(x)",
                     "np.sqrt(x * np.conj(x) + 1)": "np.sqrt(x * x + 1)"}
            exact = ref(reals[wrapped], x, 1)
            if exact is None:
                return None
            return Case("complex step", "derivative", f"lambda x: {wrapped}", x, exact,
                        {"method": "complex"})
        with mp.workdps(50):
            exact = float(mp.re(_HOLOMORPHIC[expression](mp.mpf(x), 1)))
        return Case("complex step", "derivative", f"lambda x: {expression}", x, exact,
                    {"method": "complex"})
    n = int(rng.integers(1, 4))
    pick = rng.random()
    if pick < 0.3:  # near the branch cut of log / sqrt
        z = complex(-log_uniform(rng, -2, 2), signed(rng, log_uniform(rng, -300, -3)))
    elif pick < 0.5:
        z = complex(signed(rng, log_uniform(rng, -8, 8)), signed(rng, log_uniform(rng, -8, 8)))
    else:
        z = complex(rng.uniform(-3, 3), rng.uniform(-3, 3))
    with mp.workdps(50):
        exact = complex(_HOLOMORPHIC[expression](mp.mpc(z.real, z.imag), n))
    options = {"n": n} if n > 1 else {}
    return Case("complex x", "derivative", f"lambda x: {expression}", z, exact, options)


def near_bounds(rng):
    """bounds=(lo, hi) with x at distance 0 .. 1e-1 from lo; f undefined below lo."""
    n = int(rng.integers(1, 4))
    lo = float(rng.choice([0.0, 1.0, -2.0, 1e3]))
    distance = 0.0 if rng.random() < 0.3 else log_uniform(rng, -12, -1)
    x = lo + distance
    hi = lo + float(rng.choice([1e-6, 1e-2, 10.0]))
    if x >= hi:
        return None
    kind = rng.random()
    if kind < 0.4:
        expression = f"np.sqrt(x - {num(lo)})"
        if x == lo:
            exact = NAN
        else:
            exact = ref(expression, x, n)
    elif kind < 0.7:
        expression = f"np.log(x - {num(lo)} + 1e-3)"
        exact = ref(expression, x, n)
    else:
        expression = f"np.where(x < {num(lo)}, np.nan, np.exp(x))"
        exact = ref("np.exp(x)", x, n)
    if exact is None:
        return None
    options = {"n": n, "bounds": (lo, hi)} if n > 1 else {"bounds": (lo, hi)}
    return Case("near bounds", "derivative", f"lambda x: {expression}", x, exact, options)


def special_points(rng):
    """NaN or inf at x, f raising on some points, removable singularities."""
    kind = int(rng.integers(6))
    if kind == 0:  # removable: sin(x)/x at 0 is nan at x
        n = int(rng.integers(1, 3))
        return Case("nan/inf at x", "derivative", "lambda x: np.sin(x) / x", 0.0,
                    [0.0, -1 / 3][n - 1], {"n": n} if n > 1 else {})
    if kind == 1:
        return Case("nan/inf at x", "derivative", "lambda x: 1 / x**2", 0.0, NAN)
    if kind == 2:
        return Case("nan/inf at x", "derivative", "lambda x: np.log(np.abs(x))", 0.0, NAN)
    if kind == 3:  # nan at exactly x only
        x = rng.uniform(-2, 2)
        return Case("nan/inf at x", "derivative",
                    f"lambda x: np.where(x == {num(x)}, np.nan, np.sin(x))", x,
                    math.cos(x))
    if kind == 4:  # inf at x only
        x = rng.uniform(-2, 2)
        return Case("nan/inf at x", "derivative",
                    f"lambda x: np.where(x == {num(x)}, np.inf, np.sin(x))", x, NAN)
    x = rng.uniform(0.5, 2)
    limit = x + log_uniform(rng, -6, -1)
    source = (f"lambda x: np.sin(x) if x <= {num(limit)} else "
              f"(_ for _ in ()).throw(ValueError('out of domain'))")
    return Case("f raises", "derivative", source, x, math.cos(x), {"vectorized": False})


# -- several variables -------------------------------------------------------------------
_TERMS = ["np.sin({t})", "np.exp({t})", "np.log(2 + {t}**2)", "np.arctan({t})", "np.tanh({t})"]


def _separable(rng, d, scales, templates):
    """Source and exact gradient / Hessian diagonal of Σ_j g_j(x_j / s_j)."""
    x = [float(rng.uniform(-2, 2) * s) for s in scales]
    parts, first, second = [], [], []
    for j, (s, template) in enumerate(zip(scales, templates)):
        parts.append(template.format(t=f"(x[..., {j}] / {num(s)})"))
        t = x[j] / s
        e1 = ref(template.format(t="x"), t, 1)
        e2 = ref(template.format(t="x"), t, 2)
        if e1 is None or e2 is None:
            return None
        first.append(e1 / s)
        second.append(e2 / s**2)
    return x, " + ".join(parts), np.array(first), np.array(second)


def mixed_scales(rng):
    """Gradients / Hessians of Σ g(x_j / s_j), s_j spread over 1e-8 .. 1e8."""
    d = int(rng.integers(2, 7))
    scales = [log_uniform(rng, -8, 8) for _ in range(d)]
    templates = [_TERMS[int(rng.integers(len(_TERMS)))] for _ in range(d)]
    built = _separable(rng, d, scales, templates)
    if built is None:
        return None
    x, body, first, second = built
    call = str(rng.choice(["gradient", "gradient", "hessian"]))
    options = {"fast": False} if rng.random() < 0.5 else {}
    exact = first if call == "gradient" else np.diag(second)
    return Case("mixed scales", call, f"lambda x: {body}", x, exact, options)


def linear_plus_tiny(rng):
    """x0·1e8 + sin(x1·1e-8) and kin: directions of very different sizes."""
    d = int(rng.integers(2, 6))
    big = log_uniform(rng, 4, 12)
    small = log_uniform(rng, -12, -4)
    x = [float(v) for v in rng.uniform(-3, 3, d)]
    rest = " + ".join(f"np.cos(x[..., {j}])" for j in range(2, d))
    body = f"x[..., 0] * {num(big)} + np.sin(x[..., 1] * {num(small)})" + (
        f" + {rest}" if rest else "")
    exact = [big, small * math.cos(x[1] * small)] + [-math.sin(v) for v in x[2:]]
    options = {"fast": False} if rng.random() < 0.5 else {}
    return Case("linear + tiny", "gradient", f"lambda x: {body}", x, np.array(exact), options)


def narrow_component(rng):
    """Σ sin(x_j) plus a narrow Gaussian in one component only."""
    d = int(rng.integers(2, 7))
    k = int(rng.integers(d))
    x = [float(v) for v in rng.uniform(-2, 2, d)]
    width = log_uniform(rng, -10, -3)
    centre = x[k] + float(rng.choice([0.0, 0.5, -1.0, 2.0])) * width
    height = log_uniform(rng, -3, 1)
    body = " + ".join(f"np.sin(x[..., {j}])" for j in range(d))
    bump = f"{num(height)} * np.exp(-((x[..., {k}] - {num(centre)}) / {num(width)})**2)"
    call = str(rng.choice(["gradient", "gradient", "hessian", "jacobian"]))
    g = f"np.exp(-((x - {num(centre)}) / {num(width)})**2)"
    b1, b2 = ref(g, x[k], 1), ref(g, x[k], 2)
    if b1 is None or b2 is None:
        return None
    first = np.cos(x)
    first[k] += height * b1
    second = -np.sin(x)
    second[k] += height * b2
    options = {"fast": False} if rng.random() < 0.5 else {}
    if call == "jacobian":
        source = f"lambda x: np.stack([{body} + {bump}, x[..., 0] * x[..., {d - 1}]], axis=-1)"
        row = np.zeros(d)
        row[0] += x[d - 1]
        row[d - 1] += x[0]
        return Case("narrow in one component", "jacobian", source, x,
                    np.stack([first, row]), options)
    exact = first if call == "gradient" else np.diag(second)
    return Case("narrow in one component", call, f"lambda x: {body} + {bump}", x, exact, options)


def pilot_blind(rng):
    """g(x0 + x1) is constant along the fast path's pilot line (1, -1, 1, -1, ...)."""
    d = int(rng.integers(4, 7))
    x = [float(v) for v in rng.uniform(-1.5, 1.5, d)]
    s = x[0] + x[1]
    kind = rng.random()
    if kind < 0.5:
        omega = log_uniform(rng, 1, 5)
        g, g_mp = f"np.sin({num(omega)} * (x[..., 0] + x[..., 1]))", f"np.sin({num(omega)} * x)"
    else:
        width = log_uniform(rng, -7, -2)
        c = s + float(rng.choice([0.5, 1.0, 2.0])) * width
        g = f"np.exp(-((x[..., 0] + x[..., 1] - {num(c)}) / {num(width)})**2)"
        g_mp = f"np.exp(-((x - {num(c)}) / {num(width)})**2)"
    e1, e2 = ref(g_mp, s, 1), ref(g_mp, s, 2)
    if e1 is None or e2 is None:
        return None
    rest = " + ".join(f"np.cos(x[..., {j}])" for j in range(2, d))
    call = str(rng.choice(["gradient", "hessian"]))
    if call == "gradient":
        exact = np.array([e1, e1] + [-math.sin(v) for v in x[2:]])
    else:
        exact = np.diag([0.0, 0.0] + [-math.cos(v) for v in x[2:]])
        exact[:2, :2] = e2
    return Case("pilot-blind direction", call, f"lambda x: {g} + {rest}", x, exact, {})


_RIDGES = ["np.sin({t})", "np.tanh({t})", "np.exp(-({t})**2)", "np.log(1 + ({t})**2)"]


def linear_cancellation(rng):
    """a·g(k·(u·x − c)) (+ Σ cos(x_j)): a sum u·x of terms that cancel to a small z/k
    (by 10 to 10^6 times), as in a neuron's pre-activation; f carries the rounding
    of the terms, far above ε·|f|. u per component spread over 2^-12 .. 2^12."""
    d = int(rng.integers(4, 13))
    spread = 2.0 ** rng.integers(-12, 13, d) if rng.random() < 0.5 else np.ones(d)
    x = [float(v) for v in rng.normal(size=d) * spread]
    u = [float(v) if rng.random() < 0.6 else 0.0 for v in rng.normal(size=d) / spread]
    if not any(u):
        u[0] = float(1.0 / spread[0])
    k, a = log_uniform(rng, -1, 3), signed(rng, log_uniform(rng, -2, 2))
    ridge = _RIDGES[int(rng.integers(len(_RIDGES)))]
    with mp.workdps(60):   # z and g'(z) from the float constants and x, exactly
        terms = mp.fsum(mp.mpf(uj) * mp.mpf(xj) for uj, xj in zip(u, x))
        c = float(terms + float(rng.choice([1e-3, 1e-2, 0.1, 1.0]) * rng.normal()) / k)
        z = mp.mpf(k) * (terms - mp.mpf(c))
        slope = mp.diff(mp_eval(ridge.format(t="x")), z)
        ridge_slope = [float(mp.mpf(a) * mp.mpf(k) * slope * mp.mpf(uj)) for uj in u]
    linear = " + ".join(f"{num(uj)} * x[..., {j}]" for j, uj in enumerate(u) if uj)
    body = f"{num(a)} * {ridge.format(t=f'{num(k)} * ({linear} - {num(c)})')}"
    exact = ridge_slope
    if rng.random() < 0.5:   # on a background of size 1 (f itself then no longer small)
        body += " + " + " + ".join(f"np.cos(x[..., {j}])" for j in range(d))
        exact = [e - math.sin(xj) for e, xj in zip(ridge_slope, x)]
    return Case("linear cancellation", "gradient", f"lambda x: {body}", x, np.array(exact), {})


def hessian_mixed(rng):
    """A x0² + B x1² + C x0 x1 (+ more) with A, B ≫ C, and Coulomb pairs."""
    kind = rng.random()
    x = [float(v) for v in rng.uniform(-2, 2, int(rng.integers(2, 5)))]
    d = len(x)
    if kind < 0.5:
        big = log_uniform(rng, 3, 12)
        small = log_uniform(rng, -6, 0)
        extra = " + ".join(f"np.sin(x[..., {j}])" for j in range(2, d))
        body = (f"{num(big)} * x[..., 0]**2 + {num(big)} * x[..., 1]**2 + "
                f"{num(small)} * x[..., 0] * x[..., 1]") + (f" + {extra}" if extra else "")
        exact = np.diag([2 * big, 2 * big] + [-math.sin(v) for v in x[2:]])
        exact[0, 1] = exact[1, 0] = small
    else:
        sep = log_uniform(rng, -7, -1)
        x[1] = x[0] + sep
        body = "1 / np.abs(x[..., 1] - x[..., 0])" + "".join(
            f" + x[..., {j}]**2" for j in range(2, d))
        r = mp.mpf(x[1]) - mp.mpf(x[0])
        h = float(2 / r**3)
        exact = np.diag([h, h] + [2.0] * (d - 2))
        exact[0, 1] = exact[1, 0] = -h
    options = {"fast": False} if rng.random() < 0.5 else {}
    return Case("hessian mixed scales", "hessian", f"lambda x: {body}", x, exact, options)


def jacobian_zeros(rng):
    """Vector f with entries that are exactly zero (and whole zero rows)."""
    d = int(rng.integers(2, 6))
    x = [float(v) for v in rng.uniform(-2, 2, d)]
    rows, exact = [], []
    for _ in range(int(rng.integers(2, 5))):
        kind = int(rng.integers(4))
        j = int(rng.integers(d))
        row = np.zeros(d)
        if kind == 0:
            rows.append(f"x[..., {j}]**2")
            row[j] = 2 * x[j]
        elif kind == 1:
            rows.append(f"np.sin(x[..., {j}]) * 1e-12")
            row[j] = 1e-12 * math.cos(x[j])
        elif kind == 2:
            rows.append("0 * x[..., 0]")
        else:
            k = (j + 1) % d
            rows.append(f"x[..., {j}] * x[..., {k}] + 1e6")
            row[j] += x[k]
            row[k] += x[j]
        exact.append(row)
    options = {"fast": False} if rng.random() < 0.5 else {}
    source = "lambda x: np.stack([" + ", ".join(rows) + "], axis=-1)"
    return Case("jacobian zeros", "jacobian", source, x, np.array(exact), options)


def per_component_scale(rng):
    """scale= per component: right, far too large, far too small."""
    d = int(rng.integers(2, 6))
    scales = [log_uniform(rng, -6, 6) for _ in range(d)]
    templates = [_TERMS[int(rng.integers(len(_TERMS)))] for _ in range(d)]
    built = _separable(rng, d, scales, templates)
    if built is None:
        return None
    x, body, first, _ = built
    factor = float(rng.choice([1.0, 1e4, 1e-6, 1e-12]))
    options = {"scale": [float(s * factor) for s in scales]}
    if rng.random() < 0.5:
        options["fast"] = False
    return Case("scale per component", "gradient", f"lambda x: {body}", x, first, options)


def jvp_scales(rng):
    d = int(rng.integers(2, 6))
    scales = [log_uniform(rng, -4, 4) for _ in range(d)]
    templates = [_TERMS[int(rng.integers(len(_TERMS)))] for _ in range(d)]
    built = _separable(rng, d, scales, templates)
    if built is None:
        return None
    x, body, first, _ = built
    v = [float(signed(rng, log_uniform(rng, -8, 8))) for _ in range(d)]
    exact = float(mp.fsum(mp.mpf(a) * mp.mpf(b) for a, b in zip(first, v)))
    return Case("jvp", "jvp", f"lambda x: {body}", x, exact, {"v": v})


def empty(rng):
    kind = int(rng.integers(4))
    if kind == 0:
        return Case("empty", "derivative", "np.sin", [], np.zeros(0))
    if kind == 1:
        return Case("empty", "gradient", "lambda x: np.sum(x, axis=-1)", [], np.zeros(0))
    if kind == 2:
        return Case("empty", "hessian", "lambda x: np.sum(x**2, axis=-1)", [], np.zeros((0, 0)))
    return Case("empty", "jacobian", "lambda x: x[..., :0]", [1.0, 2.0], np.zeros((0, 2)))


def step_estimates(rng):
    """estimate_step's (step, bound): the stencil at that step must land within the bound."""
    kind = rng.random()
    if kind < 0.6:
        n = int(rng.integers(1, 4))
        accuracy = int(rng.choice([2, 4, 6]))
        stencil = f"Stencil.central({n}, {accuracy})"
    else:
        n = int(rng.integers(1, 3))
        accuracy = int(rng.integers(1, 4))
        stencil = f"Stencil.{rng.choice(['forward', 'backward'])}({n}, {accuracy})"
    pick = rng.random()
    if pick < 0.5:
        expression = _SMOOTH[int(rng.integers(len(_SMOOTH)))]
        x = rng.uniform(-3, 3)
    elif pick < 0.75:
        expression, (low, high) = _CANCEL[int(rng.integers(len(_CANCEL)))]
        x = log_uniform(rng, max(low, -12), high)
    else:
        expression = str(rng.choice(["np.sin(x)", "np.log(x)", "np.sqrt(x)", "x**3"]))
        x = log_uniform(rng, -200, 200)
    exact = ref(expression, x, n)
    if exact is None:
        return None
    return Case("estimate_step", "estimate_step", f"lambda x: {expression}", x, exact,
                stencil=stencil)


FAMILIES = {
    "huge/tiny x": huge_tiny,
    "narrow gaussian": narrow_gaussian,
    "far spike": far_spike,
    "jump/kink near x": jump_kink_near,
    "noise": noisy,
    "low precision": low_precision,
    "rounded f": rounded,
    "constant f": constant,
    "cancellation": cancellation,
    "high order": high_order,
    "forward/backward": one_sided_methods,
    "complex": complex_cases,
    "near bounds": near_bounds,
    "special points": special_points,
    "mixed scales": mixed_scales,
    "linear + tiny": linear_plus_tiny,
    "narrow in one component": narrow_component,
    "pilot-blind": pilot_blind,
    "hessian mixed": hessian_mixed,
    "jacobian zeros": jacobian_zeros,
    "scale per component": per_component_scale,
    "jvp": jvp_scales,
    "empty": empty,
    "estimate_step": step_estimates,
    # appended last: each family's stream of the seed follows its place here
    "linear cancellation": linear_cancellation,
}


# -- running and judging ------------------------------------------------------------------
@dataclass
class Outcome:
    case: Case
    entries: int = 0
    successes: int = 0
    violations: list = field(default_factory=list)   # (index, df, error, exact, status)
    failures: int = 0
    cautious: int = 0          # failures whose value was fine
    exists: int = 0            # failures where the derivative exists (the base of the rate)
    exception: str = ""
    message: str = ""
    seconds: float = 0.0
    warnings: list = field(default_factory=list)   # warnings that reached the caller


def call(case: Case):
    scope = {"np": np, "math": math}
    f = eval(case.f, scope)
    if case.call == "estimate_step":
        stencil = eval(case.stencil, {"Stencil": finitediff.Stencil})
        step, bound = finitediff.estimate_step(stencil, f, case.x)
        return stencil, f, step, bound
    options = dict(case.options)
    if case.call == "jvp":
        return finitediff.jvp(f, case.x, options.pop("v"), **options)
    return getattr(finitediff, case.call)(f, case.x, **options)


def _within(df, error, exact) -> bool:
    with np.errstate(all="ignore"):
        return bool(np.isfinite(exact) and abs(df - exact) <= error)


def _fine(df, exact) -> bool:
    with np.errstate(all="ignore"):
        return bool(np.isfinite(df) and np.isfinite(exact)
                    and abs(df - exact) <= FINE * abs(exact) + 1e-300)


def judge_step(outcome: Outcome, stencil, f, step, bound) -> None:
    """Apply the stencil at the step returned, as a user would, and compare with the bound."""
    x = outcome.case.x
    points = np.array([x + o * step for o in stencil.offsets])
    with np.errstate(all="ignore"):
        values = np.asarray(f(points), dtype=float)
        weights = np.array([float(w) for w in stencil.weights])
        estimate = float(np.sum(weights * values) / np.float64(step) ** stencil.n)
    outcome.entries = outcome.successes = 1
    outcome.message = f"step={step!r} bound={bound!r} stencil value={estimate!r}"
    if math.isinf(bound):  # no claim made: counted as a failure, not a violation
        outcome.successes, outcome.failures = 0, 1
        return
    if not abs(estimate - outcome.case.exact) <= bound:
        outcome.violations.append(((), estimate, bound, outcome.case.exact, 0))


def judge(outcome: Outcome, result) -> None:
    case = outcome.case
    df = np.asarray(result.df)
    if hasattr(result.df, "toarray"):
        df = result.df.toarray()
    error = np.broadcast_to(np.asarray(result.error, dtype=float), df.shape)
    success = np.broadcast_to(np.asarray(result.success, dtype=bool), df.shape)
    status = np.broadcast_to(np.asarray(result.status), df.shape)
    exact = np.broadcast_to(np.asarray(case.exact), df.shape)
    outcome.message = result.message
    outcome.entries = df.size
    for index in np.ndindex(df.shape):
        e = complex(exact[index]) if np.iscomplexobj(exact) else float(exact[index])
        value = df[index]
        if success[index]:
            outcome.successes += 1
            held = _within(value, error[index], e)
            if case.also is not None and not held:
                held = _within(value, error[index], case.also)
            if not held:
                outcome.violations.append((index, value, float(error[index]), e,
                                           int(status[index])))
        else:
            outcome.failures += 1
            if np.isfinite(e):
                outcome.exists += 1
                outcome.cautious += _fine(value, e)


def run(case: Case) -> Outcome:
    outcome = Outcome(case)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = call(case)
        outcome.warnings = sorted({f"{w.category.__name__}: {w.message}"[:120] for w in caught})
    except Exception as exc:  # every exception is reported by type and message
        outcome.exception = f"{type(exc).__name__}: {str(exc)[:160]}"
        outcome.seconds = time.perf_counter() - start
        return outcome
    outcome.seconds = time.perf_counter() - start
    if case.call == "estimate_step":
        judge_step(outcome, *result)
    else:
        judge(outcome, result)
    return outcome


def draw(seed: int, count: int, families) -> list[Case]:
    return draw_from(FAMILIES, seed, count, attempts=30, only=families)


def _g(value) -> str:
    if isinstance(value, complex):
        return f"{value:.6g}"
    return f"{float(np.real(value)):.6g}"


def report(outcomes, quiet: bool) -> None:
    print(f"{'family':<24}{'cases':>6}{'entries':>8}{'success':>8}{'VIOL':>6}{'fail':>6}"
          f"{'fine-but-failed':>16}{'exc':>5}{'max s':>7}")
    rows = collections.defaultdict(list)
    for outcome in outcomes:
        rows[outcome.case.family].append(outcome)
    total = collections.Counter()
    for family, group in rows.items():
        counts = collections.Counter(
            cases=len(group), entries=sum(o.entries for o in group),
            success=sum(o.successes for o in group),
            viol=sum(1 for o in group if o.violations),
            fail=sum(o.failures for o in group), fine=sum(o.cautious for o in group),
            exists=sum(o.exists for o in group),
            exc=sum(1 for o in group if o.exception))
        total.update(counts)
        print(f"{family:<24}{counts['cases']:>6}{counts['entries']:>8}{counts['success']:>8}"
              f"{counts['viol']:>6}{counts['fail']:>6}{counts['fine']:>16}{counts['exc']:>5}"
              f"{max(o.seconds for o in group):>7.2f}")
    print(f"{'all':<24}{total['cases']:>6}{total['entries']:>8}{total['success']:>8}"
          f"{total['viol']:>6}{total['fail']:>6}{total['fine']:>16}{total['exc']:>5}")
    rate = total["fine"] / total["exists"] if total["exists"] else 0.0
    print(f"\nover-caution: {total['fine']} of {total['exists']} failed entries whose derivative "
          f"exists had df within {FINE:g} relative ({rate:.1%}); cases with a violation: "
          f"{total['viol']} of {total['cases']}")
    print("\nVIOLATIONS (success=True, |df - exact| > error):")
    for outcome in outcomes:
        for index, value, error, exact, status in outcome.violations[:3]:
            where = f" entry {index}" if index else ""
            true = abs(value - exact) if np.isfinite(exact) else float("nan")
            print(f"[{outcome.case.family}]{where} x={outcome.case.x!r} df={_g(value)} "
                  f"error={error:.3g} exact={_g(exact)} true error={true:.3g} status={status} "
                  f"({len(outcome.violations)}/{outcome.entries} entries)")
            print(f"    {outcome.case.one_liner()}")
            print(f"    message: {outcome.message[:200]}")
    print("\nEXCEPTIONS:")
    for outcome in outcomes:
        if outcome.exception:
            print(f"[{outcome.case.family}] {outcome.exception}\n    {outcome.case.one_liner()}")
    print("\nWARNINGS that reached the caller:")
    for outcome in outcomes:
        if outcome.warnings:
            print(f"[{outcome.case.family}] {outcome.warnings}\n    {outcome.case.one_liner()}")
    if not quiet:
        print("\nOVER-CAUTIOUS (success=False, df within 1e-6 of exact):")
        for outcome in outcomes:
            if outcome.cautious:
                print(f"[{outcome.case.family}] {outcome.case.one_liner()}\n"
                      f"    message: {outcome.message[:200]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the draw (default 0)")
    parser.add_argument("--cases", type=int, default=12, help="cases per family (default 12)")
    parser.add_argument("--family", nargs="*", default=(), help="only these families")
    parser.add_argument("--quiet", action="store_true", help="leave out the over-cautious list")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    cases = draw(args.seed, args.cases, set(args.family))
    drawn = time.perf_counter() - start
    outcomes = [run(case) for case in cases]
    print(f"hostile2 probe, seed {args.seed}, {args.cases} cases per family, {len(cases)} cases "
          f"(references {drawn:.0f} s, runs {time.perf_counter() - start - drawn:.0f} s)\n")
    report(outcomes, args.quiet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

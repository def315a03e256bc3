"""Directional mode: ``vᵀAu`` along random directions, then bisection to name the culprits.

A is the matrix under test: the Jacobian of f (order 1) or its Hessian
(order 2, as the Jacobian of the gradient b = ∇f). For each random unit u
(inputs) and v (outputs) the value under test ``vᵀAu = (vᵀA)·u`` comes
from one reverse-mode product, and the finite-difference side from one
JVP of b along u (:func:`finitediff.jvp`), which also gives ``A·u`` for
every output: the cost does not grow with the input dimension.

When a direction disagrees, the outputs at fault are read off that JVP
(each output has its own estimate and error), and for each of them the
inputs at fault are found by bisection: the support of u is split in
halves, each half checked with one more JVP along u restricted to it, and
the halves that disagree are split again, down to single entries
(``2·log2(d)`` JVPs for one faulty entry among d). The autodiff side costs
one reverse product per faulty output (its row ``e_oᵀA``), whatever the
number of halves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..calculus import jvp
from .estimates import ProjectedOf
from .judge import Table, judge
from .report import Entry, Verdict
from .tolerance import autodiff_rounding, decide, detectable, perturbed_points, tolerance

__all__ = ["directional_part"]

#: Entries named per faulty output before the bisection stops.
MAX_NAMED = 8
#: Finite-difference JVPs the bisection may spend per faulty output.
BISECTION_BUDGET = 96
#: Faulty outputs localised per direction (the worst ones).
MAX_OUTPUTS = 2


@dataclass
class _Operator:
    """The matrix under test as products, and the function b whose Jacobian it is."""

    order: int
    base: object
    rows: int
    apply: Callable  # (points, u) -> (P, rows): A·u
    pull: Callable   # (points, v) -> (P, d): vᵀA


def _operator(problem, order: int) -> _Operator:
    reference = problem.reference
    if order == 1:
        return _Operator(1, problem.function, problem.outputs, reference.jvp, reference.vjp)
    return _Operator(2, problem.gradient_function(), problem.size, reference.hvp,
                     reference.hessian_vjp)


def _units(rng: np.random.Generator, count: int, size: int) -> np.ndarray:
    if size == 1:
        return np.ones((count, 1))
    directions = rng.standard_normal((count, size))
    return directions / np.linalg.norm(directions, axis=1, keepdims=True)


def directional_part(problem, order: int, rng, count: int, rtol, atol):
    """The entries ``vₖᵀAuₖ`` (and the faulty entries of A found by bisection)."""
    from .checker import Part

    operator = _operator(problem, order)
    us, vs = _units(rng, count, problem.size), _units(rng, count, operator.rows)
    points = perturbed_points(problem.x)
    pulled = [operator.pull(points, v) for v in vs]
    no_path = any(p is None for p in pulled)
    pulled = [np.zeros(points.shape) if p is None else p for p in pulled]
    values = np.stack([p @ u for p, u in zip(pulled, us)], axis=-1)[:, None, :]  # (P, 1, K)
    terms = np.array([[np.abs(p[0] * u).sum() for p, u in zip(pulled, us)]])
    source = ProjectedOf(operator.base, problem.x, us, vs, problem.run)
    estimate = source.full()
    typical = np.array([[np.linalg.norm(p[0]) / np.sqrt(problem.size) for p in pulled]])
    scale = np.maximum.reduce([np.abs(values[0]), np.abs(np.nan_to_num(estimate.df)), typical,
                               source.secant_scale()])
    name = "v'Ju" if order == 1 else "v'Hu"
    table = Table(order, values, scale, label=lambda row, k: f"{name} #{k}",
                  epsilon=problem.reference.epsilon, terms=terms, index=lambda row, k: ())
    entries = judge(table, source, estimate, rtol=rtol, atol=atol)
    nfev = source.nfev
    notes = [f"order {order}: checked along {count} random direction(s)"]
    mismatched = [k for k, entry in enumerate(entries) if entry.verdict is Verdict.MISMATCH]
    if mismatched:  # the worst direction; its halves name every entry at fault along it
        k = max(mismatched, key=lambda k: entries[k].ratio)
        found, cost = _localize(problem, operator, k, us[k], source.per_output[k], points,
                                rtol, atol)
        entries += found
        nfev += cost
        notes.append(f"order {order}: the entries at fault along direction #{k} were found by "
                     "bisection")
    return Part(entries, nfev, no_path, notes)


def _localize(problem, operator, k, u, per_output, points, rtol, atol):
    """Entries of A at fault along direction k: outputs from the JVP, inputs by bisection."""
    applied = operator.apply(points, u)
    applied = np.zeros((len(points), operator.rows)) if applied is None else applied
    rounding = autodiff_rounding(applied, epsilon=problem.reference.epsilon)
    tol = tolerance(per_output.error, rounding, value=applied[0], rtol=rtol, atol=atol)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(applied[0] - per_output.df) / tol
    ratio = np.nan_to_num(ratio, nan=0.0, posinf=np.finfo(np.float64).max)
    outputs = [o for o in np.argsort(-ratio)[:MAX_OUTPUTS] if ratio[o] > 1] or [
        int(np.argmax(ratio))]
    entries, nfev = [], 0
    for output in outputs:
        weights = np.zeros(operator.rows)
        weights[output] = 1.0
        row = operator.pull(points, weights)
        row = np.zeros(points.shape) if row is None else row
        bisection = _Bisection(problem, operator, int(output), row, u, rtol, atol)
        entries += bisection.run(k)
        nfev += bisection.nfev
    return entries, nfev


class _Bisection:
    """Halves of u's support checked along ``u`` restricted to them, for one output."""

    def __init__(self, problem, operator, output: int, row: np.ndarray, u, rtol, atol):
        self.problem, self.operator, self.output = problem, operator, output
        self.row, self.u, self.rtol, self.atol = row, u, rtol, atol
        self.nfev = 0
        self.spent = 0

    def check(self, subset: np.ndarray) -> dict:
        """Both sides of ``e_oᵀ A u_S`` and whether they disagree."""
        direction = np.zeros(self.u.size)
        direction[subset] = self.u[subset]
        result = jvp(self.operator.base, self.problem.x, direction, **self.problem.run)
        self.nfev += int(result.nfev)
        self.spent += 1
        fd = float(np.asarray(result.df).reshape(-1)[self.output])
        error = float(np.asarray(result.error).reshape(-1)[self.output])
        step = float(np.max(np.asarray(result.step))) / float(np.max(np.abs(direction)))
        values = self.row[:, subset] @ self.u[subset]
        rounding = autodiff_rounding(values, epsilon=self.problem.reference.epsilon,
                                     terms=np.abs(self.row[0, subset] * self.u[subset]).sum())
        tol = float(tolerance(error, rounding, value=values[0], rtol=self.rtol, atol=self.atol))
        code = decide(abs(values[0] - fd), tol, error, np.inf, np.isfinite(fd + error),
                      user_tolerance=self.rtol is not None or self.atol is not None)
        return {"subset": subset, "autodiff": float(values[0]), "fd": fd, "error": error,
                "tol": tol, "step": step, "bad": int(code) == 1}

    def run(self, k: int) -> list[Entry]:
        pending = [self.check(np.flatnonzero(self.u))]
        named = []
        while pending:
            checked = pending.pop()
            subset = checked["subset"]
            stop = (len(subset) == 1 or self.spent + 2 > BISECTION_BUDGET
                    or len(named) + len(pending) >= MAX_NAMED)
            if stop:
                named.append((checked, "" if len(subset) == 1 else "the bisection budget ran "
                              "out"))
                continue
            halves = [self.check(half) for half in np.array_split(subset, 2)]
            bad = [half for half in halves if half["bad"]]
            if not bad:
                named.append((checked, "each half agrees on its own (errors that cancel or "
                              "spread thinly)"))
            pending += bad
        return [self._entry(checked, why, k) for checked, why in named]

    def _entry(self, checked: dict, why: str, k: int) -> Entry:
        subset = checked["subset"]
        problem, order = self.problem, self.operator.order
        if len(subset) == 1:  # the entry itself: divide the projection by u_j
            j = int(subset[0])
            scale = float(self.u[j])
            label = problem.label(order, self.output, j)
            index = (self.output, j)
            note = f"found by bisection along direction #{k}"
        else:
            scale = 1.0
            label = (f"{problem.label(order, self.output, int(subset[0]))}.. over "
                     f"{len(subset)} inputs, along u #{k}")
            index = (self.output,)
            note = f"found by bisection along direction #{k}; stopped here: {why}"
        autodiff, fd = checked["autodiff"] / scale, checked["fd"] / scale
        error, tol = checked["error"] / abs(scale), checked["tol"] / abs(scale)
        step = checked["step"] * abs(scale)  # along e_j rather than along u restricted to j
        verdict = Verdict.MISMATCH if checked["bad"] else Verdict.UNRESOLVED
        return Entry(order=order, label=label, autodiff=autodiff, finite_difference=fd,
                     error=error, tolerance=tol, step=step, verdict=verdict,
                     detectable=float(detectable(tol, error, autodiff)), note=note, index=index)

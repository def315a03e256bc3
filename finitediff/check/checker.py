"""``check_derivatives``: derivatives under test against finite differences.

Full mode estimates every entry: the Jacobian of f for order 1, and for
order 2 the Jacobian of the gradient under test (finite differences of a
gradient are far more accurate than second differences of f, and they
check exactly what a Hessian must be: the derivative of the gradient), or,
with ``hess=`` and no ``grad=``, the Hessian of f. Directional mode
(:mod:`.directional`) checks random projections at a cost that does not
grow with the input dimension.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import check_argument, check_choice, check_finite_array, check_positive_int
from ..workers import Backend, check_progress, resolve_workers
from .estimates import HessianOf, JacobianOf
from .judge import Table, judge
from .problem import Problem, make_problem
from .report import CheckReport, Finding, FindingKind, Verdict
from .tolerance import perturbed_points

__all__ = ["check_derivatives"]

MODES = ("full", "directional")
ORDERS = (1, 2)


@dataclass
class Part:
    """The entries of one order, what they cost, and what the reference said."""

    entries: list
    nfev: int
    no_path: bool = False
    notes: list = field(default_factory=list)


def check_derivatives(
    f: Callable,
    x,
    *,
    orders=(1,),
    grad: Callable | None = None,
    hess: Callable | None = None,
    wrt=None,
    mode: str = "full",
    rtol: float | None = None,
    atol: float | None = None,
    seed=None,
    directions: int = 2,
    vectorized: bool = True,
    workers=None,
    progress: bool | None = None,
) -> CheckReport:
    """Check derivatives against finite differences, with tolerances from the error bound.

    Parameters
    ----------
    f : callable
        A Keras model or a TF callable (also a plain function of TF ops): its
        TensorFlow autodiff derivatives are checked. Or a numpy callable, whose
        derivatives to check are ``grad`` and ``hess``. f maps a batch
        ``(N, *x.shape)`` to ``(N, *out)`` (``vectorized=True``) or one point
        to a value.
    x : array_like
        Where to check.
    orders : sequence of {1, 2}
        1: the Jacobian (gradient); 2: the Hessian (f scalar).
    grad, hess : callable, optional
        ``grad(x)`` of shape ``out + x.shape`` and ``hess(x)`` of shape
        ``x.shape + x.shape``, at one point. Given, they are what is checked
        (also for a TF f).
    wrt : None
        What to differentiate with respect to: the input of f (``None``, the
        only choice so far).
    mode : {"full", "directional"}
        ``"full"``: every entry. ``"directional"``: ``directions`` random unit
        directions u (inputs) and v (outputs, seeded by ``seed``), checking
        ``vᵀJu`` (``vᵀHu``) against one finite-difference JVP each, so the
        cost does not grow with the input dimension; on a mismatch the
        faulty outputs are read off the JVP and the faulty inputs found by
        bisection of u's support.
    rtol, atol : float, optional
        Replace the derived tolerance by ``atol + rtol·|value|``.
    seed : int or numpy.random.Generator, optional
        Seeds the directions of ``mode="directional"``.
    directions : int
        Random directions in directional mode (default 2).
    vectorized : bool
        Whether f takes a leading batch axis (numpy callables).
    workers : None, int, Executor, callable, dask.distributed.Client or str
        Where the finite-difference estimates evaluate f, as for
        :func:`finitediff.gradient` (process workers need a picklable f);
        the reference and a few probe points stay here.
    progress : bool, optional
        A progress bar while points are evaluated on workers.

    Returns
    -------
    CheckReport
        Per entry the verdict (agree, mismatch, unresolved), both values, the
        tolerance and the smallest relative bug it could detect; findings of
        kinds ``kink`` (not a failure), ``no_gradient`` and ``precision``.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import check_derivatives
    >>> f = lambda x: np.sum(np.sin(x) * x, axis=-1)
    >>> grad = lambda x: np.cos(x) * x + np.sin(x)
    >>> report = check_derivatives(f, [0.5, 1.0, 2.0], grad=grad)
    >>> report.passed
    True
    >>> wrong = lambda x: grad(x) * (1 + 1e-7 * (np.arange(3) == 1))
    >>> report = check_derivatives(f, [0.5, 1.0, 2.0], grad=wrong)
    >>> report.passed, report.entries[0].label, str(report.entries[0].verdict)
    (False, 'df/dx[1]', 'mismatch')
    """
    x = _validate(f, x, orders, grad, hess, wrt, mode, rtol, atol, seed, directions,
                  vectorized)
    progress = check_progress(progress)
    orders = tuple(sorted(set(orders)))
    problem = make_problem(f, x, grad=grad, hess=hess, wrt=wrt, vectorized=vectorized)
    _check_available(problem, orders, mode)
    with contextlib.ExitStack() as stack:
        if workers is not None:
            backend = resolve_workers(workers)
            if not isinstance(workers, Backend):  # made here: closed here
                stack.callback(backend.close)
            backend.check_picklable(problem.function, "f")
            problem.run = {"workers": backend, "progress": progress}
        return _check(problem, orders, mode, rtol, atol, seed, directions)


def _check(problem: Problem, orders: tuple, mode: str, rtol, atol, seed, directions
           ) -> CheckReport:
    if mode == "full":
        parts = [_full(problem, order, rtol, atol) for order in orders]
    else:
        from .directional import directional_part

        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        parts = [directional_part(problem, order, rng, directions, rtol, atol)
                 for order in orders]
    entries = [entry for part in parts for entry in part.entries]
    findings = problem.findings + _diagnose(problem, entries, any(p.no_path for p in parts))
    return CheckReport(entries=tuple(entries), findings=tuple(findings), mode=mode,
                       reference=problem.reference.name,
                       nfev=sum(part.nfev for part in parts),
                       notes=tuple(note for part in parts for note in part.notes))


# -- validation, in one place --------------------------------------------------
def _tolerance_option(name: str, value) -> None:
    if value is None:
        return
    check_argument(isinstance(value, numbers.Real) and not isinstance(value, bool),
                   f"`{name}` must be None or a non-negative float, got {value!r}",
                   error=TypeError)
    check_argument(np.isfinite(value) and value >= 0,
                   f"`{name}` must be non-negative and finite, got {value!r}")


def _validate(f, x, orders, grad, hess, wrt, mode, rtol, atol, seed, directions, vectorized):
    check_argument(callable(f), f"`f` must be callable, got {f!r}", error=TypeError)
    for name, value in (("grad", grad), ("hess", hess)):
        check_argument(value is None or callable(value),
                       f"`{name}` must be None or a callable, got {value!r}", error=TypeError)
    check_argument(isinstance(orders, (tuple, list)) and len(orders) > 0,
                   f"`orders` must be a non-empty tuple of 1 and/or 2, got {orders!r}",
                   error=TypeError)
    for order in orders:
        check_argument(order in ORDERS and not isinstance(order, bool),
                       f"`orders` may hold 1 (first derivatives) and 2 (second), got {orders!r}")
    check_argument(wrt is None, f"`wrt` must be None (differentiate with respect to the input "
                   f"of f); named inputs and weights are not supported yet, got {wrt!r}")
    check_choice("mode", mode, MODES)
    _tolerance_option("rtol", rtol)
    _tolerance_option("atol", atol)
    check_argument(seed is None or isinstance(seed, (numbers.Integral, np.random.Generator))
                   and not isinstance(seed, bool),
                   f"`seed` must be None, an int or a numpy Generator, got {seed!r}",
                   error=TypeError)
    check_positive_int("directions", directions)
    check_argument(isinstance(vectorized, (bool, np.bool_)),
                   f"`vectorized` must be a bool, got {vectorized!r}", error=TypeError)
    x = check_finite_array("x", x)
    check_argument(x.size > 0, "`x` must have at least one element")
    return x


def _check_available(problem: Problem, orders: tuple, mode: str) -> None:
    if 1 in orders:
        check_argument(problem.reference.available(1),
                       "order 1 needs `grad` (the derivative to check)", error=TypeError)
    if 2 in orders:
        check_argument(problem.reference.available(2),
                       "order 2 needs `hess` (the Hessian to check)", error=TypeError)
        check_argument(problem.outputs == 1,
                       f"order 2 needs a scalar f, got values of shape {problem.out_shape}")
        check_argument(mode == "full" or problem.reference.available(1),
                       "mode='directional' checks the Hessian through the gradient: pass "
                       "`grad` as well as `hess`", error=TypeError)


# -- full mode -------------------------------------------------------------
def _scale(value, df, secant) -> np.ndarray:
    """What an entry is small against: itself, its row, and how much f changes (secant)."""
    row = np.max(np.abs(value), axis=1, keepdims=True)
    return np.maximum.reduce([np.abs(value), np.abs(np.nan_to_num(df)),
                              np.broadcast_to(row, value.shape), secant])


def _full(problem: Problem, order: int, rtol, atol) -> Part:
    points = perturbed_points(problem.x)
    reference = problem.reference
    no_path = False
    if order == 1:
        values = reference.jacobian(points)
        no_path = values is None
        if no_path:
            values = np.zeros((len(points), problem.outputs, problem.size))
        source = JacobianOf(problem.function, problem.x, problem.run)
    else:
        values = reference.hessian(points)
        gradient = problem.gradient_function()
        source = (JacobianOf(gradient, problem.x, problem.run) if gradient is not None
                  else HessianOf(problem.function, problem.x, problem.run))
    estimate = source.full()
    table = Table(order, values, _scale(values[0], estimate.df, source.secant_scale()),
                  label=lambda row, col: problem.label(order, row, col),
                  epsilon=reference.epsilon)
    entries = judge(table, source, estimate, rtol=rtol, atol=atol)
    return Part(entries, source.nfev, no_path)


# -- findings ------------------------------------------------------------------
def _diagnose(problem: Problem, entries: list, no_path: bool) -> list[Finding]:
    findings = []
    suspect = [e for e in entries if e.verdict is not Verdict.AGREE]
    order = max((e.order for e in suspect), default=1)
    blocking = problem.reference.blocking_ops(order) if problem.tensorflow and suspect else []
    because = (f" The graph of f holds ops autodiff passes no gradient through: "
               f"{'; '.join(blocking)}." if blocking else "")
    zero = [e for e in entries if e.verdict is Verdict.MISMATCH and e.autodiff == 0]
    if no_path:
        findings.append(Finding(
            FindingKind.NO_GRADIENT, "autodiff returns None: it finds no differentiable path "
            f"from x to f, while finite differences see f change.{because}",
            tuple(e.label for e in zero)))
    elif zero:
        findings.append(Finding(
            FindingKind.NO_GRADIENT,
            f"autodiff gives 0 for {len(zero)} entr{'y' if len(zero) == 1 else 'ies'} where "
            f"finite differences do not ({zero[0].label}: finite difference "
            f"{zero[0].finite_difference:.6g}).{because}", tuple(e.label for e in zero)))
    elif blocking:
        failing = [e for e in entries if e.verdict is Verdict.MISMATCH
                   or (e.verdict is Verdict.UNRESOLVED and not e.at_kink)]
        if failing:
            findings.append(Finding(
                FindingKind.NO_GRADIENT,
                f"{len(failing)} entr{'y' if len(failing) == 1 else 'ies'} disagree or cannot "
                f"be decided.{because}", tuple(e.label for e in failing)))
    kinks = [e for e in entries if e.at_kink]
    if kinks:
        inside = sum(e.verdict is Verdict.AGREE for e in kinks)
        findings.append(Finding(
            FindingKind.KINK,
            f"f is not differentiable at x: one-sided derivatives disagree for {len(kinks)} "
            f"entr{'y' if len(kinks) == 1 else 'ies'} (e.g. {kinks[0].label}); autodiff lies "
            f"between them for {inside}. Kinks do not fail the check.",
            tuple(e.label for e in kinks)))
    return findings


"""``sweep``: the step-size experiment, from the arguments to the result.

Validate everything up front; compute the reference and the theory's scales
(or read them from the checkpoint); split the cells not yet finished into
chunks; evaluate the chunks here or on workers, committing each to the
checkpoint as it arrives; classify the rows into regions; return a
:class:`SweepResult`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import check_argument, check_finite_array, check_positive_int
from ..workers import Backend, resolve_workers
from .function import BatchFunction, is_keras_model
from .grid import check_steps, default_steps
from .methods import SweepMethod, default_methods, resolve_methods
from .progress import progress_bar
from .reference import Setup, compute_setup
from .regions import classify
from .result import SweepResult
from .run import StencilEvaluator, all_cells, make_chunks

__all__ = ["sweep"]


@dataclass(frozen=True)
class _Arguments:
    x: np.ndarray  # (P,) or (P, d)
    direction: np.ndarray | None
    scale: np.ndarray  # (P,)
    steps: np.ndarray | None
    reference: object  # "auto", "autodiff", a callable, or an array (P,)
    methods: tuple[SweepMethod, ...] | None  # None: the defaults


def _check_direction(x: np.ndarray, direction) -> tuple[np.ndarray, np.ndarray]:
    direction = check_finite_array("direction", direction)
    check_argument(direction.ndim == 1 and np.any(direction != 0),
                   f"`direction` must be a non-zero vector, got shape {direction.shape}")
    check_argument(x.ndim in (1, 2) and x.shape[-1] == direction.size,
                   f"`x` must have shape ({direction.size},) or (points, {direction.size}) "
                   f"along a `direction` of {direction.size} components, got {x.shape}")
    return x.reshape(-1, direction.size), direction


def _check_scale(scale, x: np.ndarray, direction) -> np.ndarray:
    if scale is None:
        size = np.abs(x) if direction is None else np.max(np.abs(x), axis=1)
        return np.maximum(size, 1.0) / (1.0 if direction is None
                                        else np.max(np.abs(direction)))
    scale = check_finite_array("scale", scale)
    check_argument(bool(np.all(scale > 0)), "`scale` must be positive")
    try:
        return np.broadcast_to(scale.reshape(-1) if scale.ndim else scale, x.shape[:1]).copy()
    except ValueError:
        raise ValueError(f"`scale` must be a number or one per point ({x.shape[0]}), got "
                         f"shape {scale.shape}") from None


def _check_reference(reference, points: int):
    if isinstance(reference, str):
        check_argument(reference in ("auto", "autodiff"), "`reference` must be 'auto', "
                       f"'autodiff', a callable, a number or an array, got {reference!r}")
        return reference
    if callable(reference):
        return reference
    values = check_finite_array("reference", reference).reshape(-1)
    check_argument(values.size in (1, points), f"`reference` must hold one value per point "
                   f"({points}) or a single value, got {values.size}")
    return np.broadcast_to(values, (points,)).copy()


def _check_arguments(f, x, *, n, steps, methods, reference, direction, scale,
                     checkpoint, key, progress, chunk_size) -> _Arguments:
    check_argument(callable(f), f"`f` must be callable, got {f!r}", error=TypeError)
    check_positive_int("n", n)
    x = check_finite_array("x", x)
    if direction is None:
        x = x.reshape(-1)
    else:
        x, direction = _check_direction(x, direction)
    check_argument(x.shape[0] >= 1, "`x` must hold at least one point")
    check_argument(checkpoint is None or isinstance(checkpoint, (str, os.PathLike)),
                   f"`checkpoint` must be a path, got {checkpoint!r}", error=TypeError)
    check_argument(key is None or isinstance(key, str),
                   f"`key` must be a string, got {key!r}", error=TypeError)
    check_argument(progress is None or isinstance(progress, bool),
                   f"`progress` must be None, True or False, got {progress!r}", error=TypeError)
    if chunk_size is not None:
        check_positive_int("chunk_size", chunk_size)
    return _Arguments(x, direction, _check_scale(scale, x, direction),
                      None if steps is None else check_steps(steps),
                      _check_reference(reference, x.shape[0]),
                      None if methods is None else resolve_methods(methods, n, complex_step=False))


def _accepts_complex(function: BatchFunction, x, methods, n: int) -> bool:
    """Whether the complex step is among the methods: tested on f (one call) when it is
    asked for or would be a default."""
    wanted = methods is None and n == 1
    asked = methods is not None and any(m.is_complex for m in methods)
    if not (wanted or asked):
        return False
    accepts = function.accepts_complex(x)
    check_argument(accepts or not asked, "`methods`: the complex step needs f to accept "
                   "complex input and carry the imaginary part through; this f does not")
    return accepts


def _fingerprint(f, function, args: _Arguments, *, n, key, vectorized) -> dict[str, str]:
    from .checkpoint import array_digest, function_identity

    methods = "default" if args.methods is None else repr(
        [(m.name, m.stencil) for m in args.methods])
    reference = args.reference
    if callable(reference):
        name = getattr(reference, "__qualname__", type(reference).__qualname__)
        reference = f"{name}:{array_digest(np.asarray(reference(args.x), dtype=float))}"
    elif not isinstance(reference, str):
        reference = array_digest(reference)
    return {
        "function": function_identity(f, function, args.x, args.scale, args.direction, key),
        "x": array_digest(args.x), "n": str(n),
        "direction": "none" if args.direction is None else array_digest(args.direction),
        "steps": "default" if args.steps is None else array_digest(args.steps),
        "scale": array_digest(args.scale), "methods": methods,
        "reference": str(reference), "vectorized": str(bool(vectorized)),
    }


def _evaluator(f, function: BatchFunction, args: _Arguments, steps, methods, network: bool):
    numpy_evaluator = StencilEvaluator(function, args.x, args.direction, steps, methods)
    if not network:
        return numpy_evaluator
    from .network import NetworkEvaluator  # imports TensorFlow

    return NetworkEvaluator(f, numpy_evaluator)


def _assemble(rows: dict, args: _Arguments, n, methods, steps: int, setup: Setup,
              epsilon: float, calls: int, setup_calls: int) -> SweepResult:
    shape = (args.x.shape[0], len(methods), steps)
    step, estimate, f_max = (np.full(shape, np.nan) for _ in range(3))
    for (p, m, s), row in rows.items():
        step[p, m, s], estimate[p, m, s], f_max[p, m, s] = row.step, row.estimate, row.f_max
    region = np.empty(shape, dtype=object)
    with np.errstate(invalid="ignore"):
        error = np.abs(estimate - setup.reference[:, None, None])
    for p in range(shape[0]):
        scale = np.fmax(np.abs(setup.f_value[p]), f_max[p])
        for m, method in enumerate(methods):
            roundoff = method.roundoff(step[p, m], f_scale=scale[m],
                                       df_scale=abs(setup.reference[p]), epsilon=epsilon)
            region[p, m] = classify(step[p, m], error[p, m], roundoff)
    return SweepResult(
        x=args.x, n=n, direction=args.direction, methods=methods, step=step,
        estimate=estimate, f_max=f_max, region=region.astype(str),
        reference=setup.reference, reference_error=setup.reference_error,
        reference_kind=setup.reference_kind, f_value=setup.f_value,
        derivative_scale=setup.derivative_scale, engine_step=setup.engine_step,
        epsilon=epsilon, calls=calls, setup_calls=setup_calls)


def _epsilon(function: BatchFunction) -> float:
    return float(np.finfo(getattr(function.f, "dtype", np.float64)).eps)


def sweep(
    f: Callable,
    x,
    *,
    n: int = 1,
    steps=None,
    methods=None,
    reference="auto",
    direction=None,
    scale=None,
    workers=None,
    checkpoint: str | os.PathLike | None = None,
    key: str | None = None,
    progress: bool | None = None,
    vectorized: bool = True,
    chunk_size: int | None = None,
) -> SweepResult:
    """Sweep the step of finite-difference estimates of ``f^(n)(x)`` and measure the error.

    Parameters
    ----------
    f : callable
        Elementwise, ``f(points) -> values`` with one value per point (a
        vectorized ``f`` gets all points of a chunk in one call; with
        ``vectorized=False`` one scalar at a time). Along ``direction``, ``f``
        takes points ``(U, d)`` and returns ``(U,)``. A Keras model with one
        input feature runs through difference networks (one model call per
        method); other Keras models and TF functions run as black boxes.
    x : array_like
        The points, one sweep each: any shape (elementwise), or ``(d,)`` /
        ``(P, d)`` along ``direction``.
    n : int
        Derivative order.
    steps : array_like, optional
        Absolute steps. By default log-spaced, 8 per decade, relative to
        ``scale``, from where round-off dominates every method to where
        truncation does (see :mod:`finitediff.sweeps.grid`).
    methods : sequence, optional
        Stencils, names (``"central4"``, ``"forward1"``, ``"backward2"``) or
        ``"complex"``. By default central accuracy 2, 4 and 6, forward
        accuracy 1, and for n = 1 the complex step when f accepts complex
        input.
    reference : "auto", "autodiff", callable, number or array
        The exact derivative: a value per point, a callable ``reference(x)``,
        TF autodiff, or ``"auto"``: autodiff for Keras models and TF
        functions, else the adaptive :func:`finitediff.derivative`, kept with
        its error (``reference_kind == "estimate"``).
    direction : array_like, optional
        Sweep the directional derivative ``d^n/dt^n f(x + t·direction)``.
    scale : float or array, optional
        The length the default steps are relative to (default
        ``max(|x|, 1)``, per point).
    workers : None, int, Executor, callable, dask.distributed.Client or str
        Where the chunks run, as for :func:`finitediff.derivative`: here, in
        that many local processes, in an executor, through a map, or on a
        Dask cluster (a client or a scheduler address); the records are the
        same.
    checkpoint : path, optional
        An SQLite file; finished rows are committed as they complete, a rerun
        computes only what is missing, and a file written with other
        parameters is refused.
    key : str, optional
        Identifies ``f`` in the checkpoint. By default its qualified name and
        a hash of its values at x and a few nearby points (one call of f on
        every run); with a key a finished sweep reruns without calling f.
    progress : bool, optional
        A tqdm progress bar; by default shown for sweeps of several chunks
        that take more than a second.
    vectorized : bool
        Whether f takes many points in one call.
    chunk_size : int, optional
        Steps per chunk. By default all in one chunk, or one step per chunk
        with ``checkpoint`` or ``workers``.

    Returns
    -------
    SweepResult
        ``records``, ``to_csv``, ``fit()``, ``best()``, ``plot()``.

    Examples
    --------
    >>> import numpy as np
    >>> import finitediff as fd
    >>> result = fd.sweep(lambda x: np.log(x + 2), 1.0, n=2, reference=-1 / 9)
    >>> best = {o.method: o for o in result.best()}
    >>> bool(1e-5 < best["central2"].step < 1e-3 and best["central2"].error < 1e-8)
    True
    >>> fit = result.fit().get("central2")
    >>> round(fit.truncation.slope, 1), fit.truncation.agrees, fit.roundoff.agrees
    (2.0, True, True)
    """
    args = _check_arguments(f, x, n=n, steps=steps, methods=methods, reference=reference,
                            direction=direction, scale=scale, checkpoint=checkpoint, key=key,
                            progress=progress, chunk_size=chunk_size)
    network = is_keras_model(f) and args.direction is None
    check_argument(not (network and workers is not None), "`workers` cannot be used with a "
                   "Keras model: it is swept in one batched model call per method")
    if network:
        _check_model(f)
    with contextlib.ExitStack() as stack:
        backend = resolve_workers(workers)
        if not isinstance(workers, Backend):  # made here (a pool, a client of an address)
            stack.callback(backend.close)
        backend.check_picklable(f, "f")
        # for TF objects this runs the precision guard (PrecisionError below float64)
        function = BatchFunction(f, point_shape=() if args.direction is None
                                 else args.direction.shape, vectorized=vectorized)
        store = None
        if checkpoint is not None:
            from .checkpoint import Checkpoint  # sqlite3 only for checkpoints

            store = Checkpoint(checkpoint, _fingerprint(f, function, args, n=n, key=key,
                                                        vectorized=vectorized))
            stack.callback(store.close)
        return _run(f, function, args, store, n=n, network=network, backend=backend,
                    progress=progress, chunk_size=chunk_size)


def _check_model(model) -> None:
    check_argument(int(np.prod(model.inputs[0].shape[1:])) == 1, "a Keras model of several "
                   "inputs needs `direction=`: without it f must act elementwise")


def _resolve(methods, n: int, complex_step: bool) -> tuple[SweepMethod, ...]:
    if methods is None:
        return default_methods(n, complex_step=complex_step)
    return methods


def _run(f, function, args: _Arguments, store, *, n, network, backend: Backend, progress,
         chunk_size) -> SweepResult:
    saved = store.load_setup() if store is not None else None
    autodiff_calls = 0
    if saved is None:
        complex_step = _accepts_complex(function, args.x, args.methods, n)
        resolved = _resolve(args.methods, n, complex_step)
        setup, autodiff_calls = compute_setup(
            f, function, args.x, args.direction, n=n, reference=args.reference,
            methods=resolved, complex_step=complex_step)
        if store is not None:
            store.save_setup(setup.to_json())
    else:
        setup = Setup.from_json(saved)
        resolved = _resolve(args.methods, n, setup.complex_step)
    # every call so far: the checkpoint's probe, the complex test, the reference and
    # the theory's scales, and for TF objects the precision guard's probe
    setup_calls = function.calls + autodiff_calls + (1 if function.tensorflow else 0)
    epsilon = _epsilon(function)
    unit = args.steps if args.steps is not None else default_steps(resolved, epsilon)
    steps = (np.broadcast_to(unit, (args.x.shape[0], unit.size)).copy()
             if args.steps is not None else args.scale[:, None] * unit[None, :])
    rows = {row.cell: row for row in store.rows()} if store is not None else {}
    missing = [c for c in all_cells(args.x.shape[0], len(resolved), unit.size) if c not in rows]
    size = chunk_size or (1 if store is not None or not backend.serial else None)
    chunks = make_chunks(missing, by="method" if network else "step", size=size)
    evaluator = _evaluator(f, function, args, steps, resolved, network)
    calls = _evaluate(evaluator, chunks, rows, store, backend=backend, progress=progress)
    return _assemble(rows, args, n, resolved, unit.size, setup, epsilon, calls, setup_calls)


def _evaluate(evaluator, chunks, rows: dict, store, *, backend: Backend, progress) -> int:
    """Run the chunks, committing each as it completes; the calls of f they made."""
    calls = 0
    bar = progress_bar(len(chunks), progress)
    try:
        with contextlib.closing(backend.as_completed(evaluator, chunks)) as completed:
            for _, result in completed:
                if store is not None:
                    store.commit(result.rows)
                rows.update({row.cell: row for row in result.rows})
                calls += result.calls
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return calls

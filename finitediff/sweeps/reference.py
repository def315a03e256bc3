"""What a sweep is measured against, computed once before the grid.

- the reference derivative: a number or array, a callable for the exact
  derivative, TF autodiff (``"autodiff"``), or ``"auto"``: autodiff for Keras
  models and TF functions, else the adaptive estimate of
  :func:`finitediff.derivative`, kept with its error;
- the theory's scales: ``|f(x)|`` for round-off and ``|f^(n+p)(x)|`` for the
  truncation of each method (autodiff where it applies, else the adaptive
  engine);
- the step the adaptive engine picks for each method it has (central,
  forward, backward of the same accuracy, and the complex step).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..calculus import derivative
from ..errors import check_argument
from .function import BatchFunction, is_keras_model, is_tensorflow_object
from .methods import SweepMethod

__all__ = ["Setup", "compute_setup", "engine_function"]

#: How the reference was obtained.
REFERENCE_KINDS = ("given", "exact", "autodiff", "estimate")


@dataclass(frozen=True)
class Setup:
    """Everything computed before the grid; stored in a checkpoint so that a
    resumed sweep calls f for none of it."""

    complex_step: bool
    f_value: np.ndarray
    reference: np.ndarray
    reference_error: np.ndarray
    reference_kind: str
    derivative_scale: np.ndarray
    engine_step: np.ndarray

    def to_json(self) -> dict:
        return {key: value.tolist() if isinstance(value, np.ndarray) else value
                for key, value in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> Setup:
        arrays = {key: np.array(value, dtype=np.float64) for key, value in data.items()
                  if isinstance(value, list)}
        return cls(**{**data, **arrays})


def engine_function(function: BatchFunction, x: np.ndarray, direction):
    """``(g, x0)`` with ``g`` elementwise and vectorized, so that
    ``derivative(g, x0, n=k)`` is the k-th (directional) derivative at every point."""
    if direction is None:
        def along(points):
            points = np.asarray(points)
            return function(points.reshape(-1)).reshape(points.shape)

        return along, x

    def along_direction(t):
        t = np.asarray(t)
        points = x + t.reshape(-1, x.shape[0])[..., None] * direction  # (N, P, d)
        return function(points.reshape(-1, direction.shape[0])).reshape(t.shape)

    return along_direction, np.zeros(x.shape[0])


class _Autodiff:
    """TF autodiff of ``f`` per point, counting its calls (one model call each)."""

    def __init__(self, f, x: np.ndarray, direction):
        self.f, self.x, self.direction = f, x, direction
        self.calls = 0

    @property
    def applies(self) -> bool:
        """Whether "auto" uses autodiff: a Keras model or TF function (not an adapter),
        elementwise or a Keras model along a direction."""
        f = self.f
        return (is_tensorflow_object(f) and not type(f).__module__.startswith("finitediff.")
                and (self.direction is None or is_keras_model(f)))

    def __call__(self, orders: tuple[int, ...]) -> list[np.ndarray]:
        """Derivatives of the given orders (ValueError where autodiff gives none)."""
        from ..tf import autodiff_derivatives  # imports TensorFlow

        direction = self.direction
        check_argument(direction is None or max(orders) <= 2, "autodiff along a direction "
                       f"gives orders 1 and 2 only, got order {max(orders)}")
        self.calls += 1
        found = autodiff_derivatives(self.f, self.x, orders=orders)
        if direction is None:
            return [np.asarray(d, dtype=np.float64).reshape(-1) for d in found]
        contract = {0: lambda d: d, 1: lambda d: d @ direction,
                    2: lambda d: np.einsum("pij,i,j->p", d, direction, direction)}
        return [np.asarray(contract[k](d), dtype=np.float64).reshape(-1)
                for k, d in zip(orders, found)]


def _engine(function, x, direction, *, n: int, **options):
    g, x0 = engine_function(function, x, direction)
    with np.errstate(all="ignore"):
        return derivative(g, x0, n=n, **options)


def _reference(spec, autodiff: _Autodiff, function, x, direction, n):
    """``(values, errors, kind)`` per point."""
    points = x.shape[0]
    if isinstance(spec, str) and (spec == "autodiff" or (autodiff.applies and (
            direction is None or n <= 2))):
        try:
            (values,) = autodiff((n,))
        except ValueError as exc:
            raise ValueError(f"`reference`='autodiff': {exc}") from exc
        except Exception as exc:
            raise ValueError(f"`reference`='autodiff' needs f built from TensorFlow ops: "
                             f"{exc}") from exc
        return values, np.zeros(points), "autodiff"
    if isinstance(spec, str):  # "auto" without autodiff: the adaptive engine
        result = _engine(function, x, direction, n=n)
        return (np.asarray(result.df, dtype=np.float64).reshape(points),
                np.asarray(result.error, dtype=np.float64).reshape(points), "estimate")
    if callable(spec):
        values = np.asarray(spec(x), dtype=np.float64)
        check_argument(values.size in (1, points),
                       f"`reference` returned {values.size} values for {points} points")
        return np.broadcast_to(values.reshape(-1), (points,)).copy(), np.zeros(points), "exact"
    return np.broadcast_to(spec, (points,)).copy(), np.zeros(points), "given"


def _derivative_scales(autodiff: _Autodiff, function, x, direction, methods) -> np.ndarray:
    """``|f^(n+p)|`` for every method's truncation order, ``(P, M)``: autodiff where it
    applies, else the adaptive engine."""
    orders = tuple(sorted({m.truncation_order for m in methods}))
    found: dict[int, np.ndarray] = {}
    if autodiff.applies and (direction is None or max(orders) <= 2):
        found = dict(zip(orders, autodiff(orders)))
    for order in orders:
        if order not in found:
            result = _engine(function, x, direction, n=order)
            found[order] = np.asarray(result.df, dtype=np.float64).reshape(x.shape[0])
    return np.abs(np.stack([found[m.truncation_order] for m in methods], axis=1))


def _engine_steps(function, x, direction, methods) -> np.ndarray:
    """The step :func:`finitediff.derivative` picks for each method it has, ``(P, M)``."""
    columns = []
    for method in methods:
        step = np.full(x.shape[0], math.nan)
        family = "complex" if method.is_complex else method.name.rstrip("0123456789")
        if family in ("central", "forward", "backward", "complex"):
            options = {} if family == "complex" else {"accuracy": method.accuracy}
            result = _engine(function, x, direction, n=method.n, method=family, **options)
            step = np.asarray(result.step, dtype=np.float64).reshape(x.shape[0])
        columns.append(step)
    return np.stack(columns, axis=1)


def compute_setup(f, function: BatchFunction, x: np.ndarray, direction, *, n: int,
                  reference, methods: tuple[SweepMethod, ...],
                  complex_step: bool) -> tuple[Setup, int]:
    """The :class:`Setup`, and how many autodiff calls it took (the calls of ``function``
    are counted by it)."""
    autodiff = _Autodiff(f, x, direction)
    with np.errstate(all="ignore"):
        f_value = function(x).real
    values, errors, kind = _reference(reference, autodiff, function, x, direction, n)
    setup = Setup(
        complex_step=complex_step,
        f_value=np.asarray(f_value, dtype=np.float64),
        reference=values, reference_error=errors, reference_kind=kind,
        derivative_scale=_derivative_scales(autodiff, function, x, direction, methods),
        engine_step=_engine_steps(function, x, direction, methods),
    )
    return setup, autodiff.calls

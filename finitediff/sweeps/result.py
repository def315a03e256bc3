"""The result of a sweep: tidy records, CSV, the fit, the optimum, the plot."""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, fields

import numpy as np

from .fit import ArmFit, MethodFit, SweepFit, fit_line, optimum_of
from .methods import SweepMethod
from .regions import optimum_index

__all__ = ["Optimum", "SweepRecord", "SweepResult"]


@dataclass(frozen=True)
class SweepRecord:
    """One row: a method's estimate at one step, for one point."""

    point: int
    method: str
    step: float
    estimate: float
    reference: float
    error: float
    relative_error: float
    region: str


@dataclass(frozen=True)
class Optimum:
    """Where a method's error is smallest on the grid.

    ``step`` and ``estimate`` are those of the row; ``error`` is the mean
    error of the ``WINDOW`` rows around it (see
    :func:`finitediff.sweeps.regions.optimum_index`), the error to expect
    there rather than a lucky one.
    """

    point: int
    method: str
    step: float
    error: float
    estimate: float


@dataclass(frozen=True, eq=False)
class SweepResult:
    """What :func:`finitediff.sweep` measured.

    Arrays indexed ``[point, method, step]`` hold the rows; ``records`` lists
    them tidily.

    Attributes
    ----------
    x : ndarray
        The points, ``(P,)``, or ``(P, d)`` along ``direction``.
    n : int
        The derivative order.
    direction : ndarray or None
    methods : tuple of SweepMethod
    step, estimate, f_max : ndarray ``(P, M, S)``
        The step actually taken, the estimate, and ``max|f|`` over the points
        of the row (NaN where f's values were not seen: difference networks).
    region : ndarray of str ``(P, M, S)``
        ``roundoff``, ``balanced``, ``truncation`` or ``invalid``.
    reference, reference_error : ndarray ``(P,)``
        The reference derivative and its error (0 unless it is an estimate).
    reference_kind : str
        ``given``, ``exact`` (a callable), ``autodiff`` or ``estimate`` (the
        adaptive engine's; then errors below ``reference_error`` measure the
        reference, not the method, and the fit leaves them out).
    f_value : ndarray ``(P,)``
        ``f(x)``, the round-off scale of the theory.
    derivative_scale : ndarray ``(P, M)``
        ``|f^(n+p)(x)|`` for each method, the truncation scale of the theory.
    engine_step : ndarray ``(P, M)``
        The step :func:`finitediff.derivative` picks for each method it has.
    epsilon : float
        Machine epsilon of the precision f computes in.
    calls, setup_calls : int
        Calls of f (model calls for a Keras model) made by this run to
        evaluate the grid, and to compute the reference and the theory's
        scales; both are 0 for a finished sweep resumed from its checkpoint
        with a ``key``.
    """

    x: np.ndarray
    n: int
    direction: np.ndarray | None
    methods: tuple[SweepMethod, ...]
    step: np.ndarray
    estimate: np.ndarray
    f_max: np.ndarray
    region: np.ndarray
    reference: np.ndarray
    reference_error: np.ndarray
    reference_kind: str
    f_value: np.ndarray
    derivative_scale: np.ndarray
    engine_step: np.ndarray
    epsilon: float
    calls: int
    setup_calls: int

    # -- the rows -------------------------------------------------------------
    @property
    def error(self) -> np.ndarray:
        """``|estimate − reference|``, ``(P, M, S)``."""
        with np.errstate(invalid="ignore"):
            return np.abs(self.estimate - self.reference[:, None, None])

    @property
    def relative_error(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.error / np.abs(self.reference[:, None, None])

    @property
    def method_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.methods)

    @property
    def records(self) -> list[SweepRecord]:
        """Tidy rows ordered by point, method and step (``pandas.DataFrame(records)``)."""
        error, relative = self.error, self.relative_error
        points, methods, steps = self.step.shape
        return [
            SweepRecord(p, self.methods[m].name, float(self.step[p, m, s]),
                        float(self.estimate[p, m, s]), float(self.reference[p]),
                        float(error[p, m, s]), float(relative[p, m, s]),
                        str(self.region[p, m, s]))
            for p in range(points) for m in range(methods) for s in range(steps)
        ]

    def to_csv(self, path) -> None:
        """Write :attr:`records` as CSV, floats in full precision (``repr``)."""
        names = [f.name for f in fields(SweepRecord)]
        with open(os.fspath(path), "w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(names)
            for record in self.records:
                writer.writerow([getattr(record, name) for name in names])

    # -- the analysis -----------------------------------------------------------
    def best(self) -> list[Optimum]:
        """Per point and method, the measured optimum: the step where the error, smoothed
        by a running mean, is smallest (NaN where no estimate is finite)."""
        error = self.error
        found = []
        for p in range(self.step.shape[0]):
            for m, method in enumerate(self.methods):
                s, typical = optimum_index(error[p, m])
                step, estimate = ((math.nan, math.nan) if s < 0 else
                                  (float(self.step[p, m, s]), float(self.estimate[p, m, s])))
                found.append(Optimum(p, method.name, step, typical, estimate))
        return found

    def _usable(self, p: int, m: int, region: str) -> np.ndarray:
        """Rows of ``region`` whose error is above the reference's own error."""
        floor = 2.0 * self.reference_error[p]
        return (self.region[p, m] == region) & (self.error[p, m] > floor)

    def _method_fit(self, p: int, m: int, best: Optimum) -> MethodFit:
        method, steps, error = self.methods[m], self.step[p, m], self.error[p, m]
        arms = {}
        for region in ("truncation", "roundoff"):
            rows = self._usable(p, m, region)
            arms[region] = fit_line(steps[rows], error[rows])
        scales = dict(f_scale=abs(self.f_value[p]), df_scale=abs(self.reference[p]),
                      epsilon=self.epsilon)
        derivative_scale = self.derivative_scale[p, m]
        truncation = ArmFit.of(arms["truncation"], method.accuracy,
                               method.truncation_constant(derivative_scale))
        roundoff = ArmFit.of(arms["roundoff"], method.roundoff_slope,
                             method.roundoff_constant(**scales))
        predicted = method.optimal_step(f_scale=scales["f_scale"],
                                        derivative_scale=derivative_scale,
                                        epsilon=self.epsilon)
        predicted_error = (method.roundoff(predicted, **scales)
                           + method.truncation(predicted, derivative_scale=derivative_scale))
        fitted_step, fitted_error = optimum_of(truncation, roundoff)
        return MethodFit(p, method.name, truncation, roundoff, predicted,
                         float(predicted_error), fitted_step, fitted_error,
                         best.step, best.error, float(self.engine_step[p, m]))

    def fit(self) -> SweepFit:
        """Per point and method, both arms fitted (Theil–Sen, with uncertainties) next to
        the theory, and the optimal step predicted, fitted, measured and the engine's.

        See :mod:`finitediff.sweeps.fit`.
        """
        best = iter(self.best())
        return SweepFit(tuple(self._method_fit(p, m, next(best))
                              for p in range(self.step.shape[0])
                              for m in range(len(self.methods))))

    def plot(self, path=None, *, point: int = 0):
        """Log-log error against step (needs matplotlib); see
        :func:`finitediff.sweeps.plot.plot_sweep`. Saves to ``path`` when given and
        returns the Figure; never opens a window."""
        from .plot import plot_sweep  # imports matplotlib

        return plot_sweep(self, path=path, point=point)

    def __repr__(self) -> str:
        points, methods, steps = self.step.shape
        return (f"SweepResult(n={self.n}, points={points}, methods={self.method_names}, "
                f"steps={steps}, reference={self.reference_kind!r}, calls={self.calls})")


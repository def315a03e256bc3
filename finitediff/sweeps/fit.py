"""The two arms of a V-curve, fitted robustly, next to theory.

On a log-log plot the error of a finite-difference estimate falls along the
truncation arm, ``|C|·|f^(n+p)|·h^p`` (slope p), and rises along the round-off
arm, ``ε·Σ|w|·|f| / h^n`` (slope −n). Each arm is fitted by the Theil–Sen
estimator (the median of the pairwise slopes, ``scipy.stats.theilslopes``),
which shrugs off the lucky near-zero errors the round-off arm is full of.
The reported uncertainty of a slope is the half-width of its 95% confidence
interval, plus half the change of slope from the lower to the upper half
of the arm: an arm bends (higher-order terms at large steps, round-off at
the small end), and the theory's slope is a limit that a finite arm only
approaches, so the slope of a curve that is not a line is uncertain by
about that much. On a noisy arm the halves differ by noise as well, which
makes that uncertainty conservative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ArmFit", "LineFit", "MethodFit", "SweepFit", "fit_line", "format_slope",
           "optimum_of"]

#: Fewer points than this on an arm leave its slope unknown (NaN).
MIN_POINTS = 4
#: Rows in each half of an arm for its bend to be measured.
MIN_HALF = 3


@dataclass(frozen=True)
class LineFit:
    """``log10(error) = log10(constant) + slope·log10(step)``, fitted to ``count`` rows."""

    slope: float
    uncertainty: float
    constant: float
    count: int

    def __call__(self, step):
        return self.constant * np.asarray(step, dtype=np.float64) ** self.slope


_UNKNOWN = LineFit(math.nan, math.nan, math.nan, 0)


def _theil_sen(log_step: np.ndarray, log_error: np.ndarray) -> tuple[float, float, float]:
    from scipy.stats import theilslopes  # scipy.stats only when a fit is asked for

    result = theilslopes(log_error, log_step, alpha=0.95)
    half_width = (result.high_slope - result.low_slope) / 2
    return float(result.slope), float(result.intercept), float(half_width)


def fit_line(steps, errors) -> LineFit:
    """Theil–Sen fit of ``log10(errors)`` against ``log10(steps)``; rows whose error is
    zero or not finite are left out.

    The uncertainty is the half-width of the 95% confidence interval of the
    slope plus half the change of slope from the lower to the upper half of
    the rows (a bend).

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff.sweeps import fit_line
    >>> h = np.logspace(-3, -1, 9)
    >>> line = fit_line(h, 0.5 * h**2)
    >>> round(line.slope, 6), round(line.constant, 6), line.count
    (2.0, 0.5, 9)
    """
    steps, errors = np.asarray(steps, dtype=np.float64), np.asarray(errors, dtype=np.float64)
    keep = np.isfinite(errors) & (errors > 0) & np.isfinite(steps) & (steps > 0)
    if np.count_nonzero(keep) < MIN_POINTS:
        return LineFit(math.nan, math.nan, math.nan, int(np.count_nonzero(keep)))
    order = np.argsort(steps[keep])
    log_step, log_error = np.log10(steps[keep][order]), np.log10(errors[keep][order])
    slope, intercept, half_width = _theil_sen(log_step, log_error)
    return LineFit(slope, half_width + _bend(log_step, log_error), 10.0**intercept,
                   len(log_step))


def _bend(log_step: np.ndarray, log_error: np.ndarray) -> float:
    """Half the change of slope from the lower to the upper half of the rows."""
    half = len(log_step) // 2
    if half < MIN_HALF:
        return 0.0
    lower = _theil_sen(log_step[:half], log_error[:half])[0]
    upper = _theil_sen(log_step[-half:], log_error[-half:])[0]
    return abs(upper - lower) / 2


@dataclass(frozen=True)
class ArmFit:
    """One arm: the fitted slope and constant next to the theory's.

    ``agrees`` when the fitted slope is within its uncertainty of the theory's.
    """

    slope: float
    uncertainty: float
    constant: float
    count: int
    theory_slope: float
    theory_constant: float

    @classmethod
    def of(cls, line: LineFit, theory_slope: float, theory_constant: float) -> ArmFit:
        return cls(line.slope, line.uncertainty, line.constant, line.count,
                   float(theory_slope), float(theory_constant))

    @property
    def agrees(self) -> bool:
        return bool(abs(self.slope - self.theory_slope) <= self.uncertainty)

    def fitted(self, step):
        return self.constant * np.asarray(step, dtype=np.float64) ** self.slope

    def theory(self, step):
        return self.theory_constant * np.asarray(step, dtype=np.float64) ** self.theory_slope


def optimum_of(truncation: LineFit | ArmFit, roundoff: LineFit | ArmFit) -> tuple[float, float]:
    """The minimum of ``A_t·h^s_t + A_r·h^s_r`` (s_t > 0 > s_r), ``(step, error)``;
    NaN when the arms do not form a V."""
    s_t, a_t = truncation.slope, truncation.constant
    s_r, a_r = roundoff.slope, roundoff.constant
    if not (s_t > 0 > s_r and a_t > 0 and a_r > 0):
        return math.nan, math.nan
    step = ((-s_r * a_r) / (s_t * a_t)) ** (1.0 / (s_t - s_r))
    return float(step), float(a_t * step**s_t + a_r * step**s_r)


@dataclass(frozen=True)
class MethodFit:
    """The fit of one method at one point, with the optima side by side.

    Attributes
    ----------
    point, method : int, str
    truncation, roundoff : ArmFit
    predicted_step, predicted_error : float
        Where the theory puts the optimum, ``Stencil.optimal_step`` with the
        scales ``|f(x)|`` and ``|f^(n+p)(x)|`` (NaN for the complex step).
    fitted_step, fitted_error : float
        The minimum of the two fitted arms added.
    measured_step, measured_error : float
        The smallest error on the grid (:meth:`SweepResult.best`).
    engine_step : float
        The step :func:`finitediff.derivative` picks for this method (NaN for
        stencils it does not have); it extrapolates, so its step is larger.
    """

    point: int
    method: str
    truncation: ArmFit
    roundoff: ArmFit
    predicted_step: float
    predicted_error: float
    fitted_step: float
    fitted_error: float
    measured_step: float
    measured_error: float
    engine_step: float


def format_slope(arm: ArmFit, separator: str = " ± ") -> str:
    """``2.0004 ± 0.0023 (2)``: the slope to the second digit of its uncertainty, and
    the theory's slope in parentheses."""
    if math.isnan(arm.slope):
        return f"– ({arm.theory_slope:g})"
    digits = 2
    if arm.uncertainty > 0:
        digits = min(6, max(2, 1 - math.floor(math.log10(arm.uncertainty))))
    return (f"{arm.slope:.{digits}f}{separator}{arm.uncertainty:.{digits}f} "
            f"({arm.theory_slope:g})")


def _number(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1e}"


@dataclass(frozen=True)
class SweepFit:
    """Per point and method, the fitted arms and optima (:meth:`SweepResult.fit`)."""

    methods: tuple[MethodFit, ...]

    def __iter__(self):
        return iter(self.methods)

    def __len__(self) -> int:
        return len(self.methods)

    def get(self, method: str, point: int = 0) -> MethodFit:
        """The fit of ``method`` (its name) at ``point``."""
        for fit in self.methods:
            if fit.method == method and fit.point == point:
                return fit
        raise KeyError(f"no method {method!r} at point {point} in this sweep")

    def table(self) -> str:
        """A Markdown table: slopes with uncertainties (theory in parentheses) and the
        optimal steps and errors, predicted, fitted, measured, and the engine's step."""
        lines = [
            "| point | method | truncation slope (theory) | round-off slope (theory) "
            "| optimal step: predicted / fitted / measured | error: predicted / fitted / "
            "measured | engine step |",
            "|---|---|---|---|---|---|---|",
        ]
        for fit in self.methods:
            lines.append(
                f"| {fit.point} | {fit.method} | {format_slope(fit.truncation)} "
                f"| {format_slope(fit.roundoff)} "
                f"| {_number(fit.predicted_step)} / {_number(fit.fitted_step)} / "
                f"{_number(fit.measured_step)} "
                f"| {_number(fit.predicted_error)} / {_number(fit.fitted_error)} / "
                f"{_number(fit.measured_error)} | {_number(fit.engine_step)} |")
        return "\n".join(lines)

"""The methods a sweep compares: finite-difference stencils and the complex step.

Each method carries its error model, the theory the measured curves are held
against. A stencil of order ``n``, accuracy ``p``, error coefficient ``C`` and
weights ``w`` has, at step ``h``,

    round-off   ε·Σ|w|·|f| / h^n        (slope −n on a log-log plot)
    truncation  |C|·|f^(n+p)|·h^p       (slope p)

The complex step ``Im f(x + ih) / h = f' − h²·f'''/6 + …`` subtracts nothing,
so its round-off is ``ε·|f'|`` at every step (slope 0) and its truncation is
``|f'''|/6·h²``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import check_argument
from ..stencil import Stencil

__all__ = ["COMPLEX", "SweepMethod", "default_methods", "resolve_methods"]

COMPLEX = "complex"
_NAMED = re.compile(r"^(central|forward|backward)(\d+)$")
_FAMILIES = {"central": Stencil.central, "forward": Stencil.forward,
             "backward": Stencil.backward}


def _stencil_name(stencil: Stencil) -> str:
    """``central4`` for a standard stencil, ``stencil(-1,0,2)`` for any other."""
    accuracy = stencil.accuracy
    if math.isfinite(accuracy):
        for family, build in _FAMILIES.items():
            if family == "central" and accuracy % 2:
                continue
            if build(stencil.n, int(accuracy)) == stencil:
                return f"{family}{int(accuracy)}"
    offsets = ",".join(str(o) for o in stencil.offsets)
    return f"stencil({offsets})"


@dataclass(frozen=True)
class SweepMethod:
    """One curve of a sweep: a stencil, or the complex step (``stencil=None``).

    Examples
    --------
    >>> from finitediff import Stencil
    >>> from finitediff.sweeps import SweepMethod
    >>> method = SweepMethod.of(Stencil.central(2, 4))
    >>> method.name, method.accuracy, method.roundoff_slope
    ('central4', 4, -2)
    """

    name: str
    n: int
    stencil: Stencil | None = None

    @classmethod
    def of(cls, stencil: Stencil) -> SweepMethod:
        return cls(_stencil_name(stencil), stencil.n, stencil)

    @classmethod
    def complex_step(cls) -> SweepMethod:
        return cls(COMPLEX, 1, None)

    @property
    def is_complex(self) -> bool:
        return self.stencil is None

    @property
    def accuracy(self) -> int:
        """Truncation order ``p``: the theoretical slope of the right arm."""
        return 2 if self.is_complex else int(self.stencil.accuracy)

    @property
    def error_coefficient(self) -> Fraction:
        """``C`` in ``truncation ≈ |C|·|f^(n+p)|·h^p``."""
        return Fraction(-1, 6) if self.is_complex else self.stencil.error_coefficient

    @property
    def truncation_order(self) -> int:
        """``n + p``: the derivative that sets the truncation error."""
        return self.n + self.accuracy

    @property
    def roundoff_slope(self) -> int:
        """The theoretical slope of the left arm: ``−n``, or 0 for the complex step."""
        return 0 if self.is_complex else -self.n

    @property
    def weight_sum(self) -> float:
        """``Σ|w|``: 1 for the complex step (one value, divided by h)."""
        return 1.0 if self.is_complex else self.stencil.weight_sum

    @property
    def reach(self) -> float:
        """The largest ``|offset|``: how far from x the points go, in steps."""
        return 1.0 if self.is_complex else float(max(abs(o) for o in self.stencil.offsets))

    def roundoff_constant(self, *, f_scale, df_scale, epsilon: float):
        """The round-off at unit step: ``ε·Σ|w|·|f|``, or ``ε·|f'|`` for the complex step."""
        if self.is_complex:
            return epsilon * np.abs(df_scale)
        return epsilon * self.weight_sum * np.abs(f_scale)

    def truncation_constant(self, derivative_scale):
        """The truncation at unit step: ``|C|·|f^(n+p)|``."""
        return abs(float(self.error_coefficient)) * np.abs(derivative_scale)

    def roundoff(self, step, *, f_scale, df_scale, epsilon: float):
        """Predicted round-off at ``step``."""
        constant = self.roundoff_constant(f_scale=f_scale, df_scale=df_scale, epsilon=epsilon)
        return constant * np.abs(step) ** float(self.roundoff_slope)

    def truncation(self, step, *, derivative_scale):
        """Predicted truncation at ``step``."""
        return self.truncation_constant(derivative_scale) * np.abs(step) ** self.accuracy

    def optimal_step(self, *, f_scale, derivative_scale, epsilon: float) -> float:
        """The step minimising round-off plus truncation (NaN for the complex step,
        whose error only falls as the step shrinks)."""
        if self.is_complex:
            return math.nan
        n, p = self.n, self.accuracy
        numerator = n * self.roundoff_constant(f_scale=f_scale, df_scale=0.0, epsilon=epsilon)
        denominator = p * self.truncation_constant(derivative_scale)
        if not denominator > 0 or not numerator > 0:
            return math.nan
        return float((numerator / denominator) ** (1.0 / (n + p)))

    def unit_optimal_step(self, epsilon: float) -> float:
        """The optimal step for a function with every derivative of size 1."""
        if self.is_complex:
            # The step below which truncation falls under round-off.
            return math.sqrt(epsilon / abs(float(self.error_coefficient)))
        return self.optimal_step(f_scale=1.0, derivative_scale=1.0, epsilon=epsilon)


def default_methods(n: int, *, complex_step: bool) -> tuple[SweepMethod, ...]:
    """Central accuracy 2, 4, 6, forward accuracy 1, and the complex step for n = 1."""
    methods = [SweepMethod.of(Stencil.central(n, p)) for p in (2, 4, 6)]
    methods.append(SweepMethod.of(Stencil.forward(n, 1)))
    if complex_step and n == 1:
        methods.append(SweepMethod.complex_step())
    return tuple(methods)


def _one_method(entry, n: int) -> SweepMethod:
    if isinstance(entry, SweepMethod):
        method = entry
    elif isinstance(entry, Stencil):
        method = SweepMethod.of(entry)
    elif isinstance(entry, str) and entry == COMPLEX:
        check_argument(n == 1, f"`methods`: the complex step needs n=1, got n={n}")
        return SweepMethod.complex_step()
    elif isinstance(entry, str) and _NAMED.match(entry):
        family, accuracy = _NAMED.match(entry).groups()
        method = SweepMethod.of(_FAMILIES[family](n, int(accuracy)))
    else:
        raise TypeError(f"`methods` entries must be a Stencil, 'complex', or a name such as "
                        f"'central4' or 'forward1', got {entry!r}")
    check_argument(method.n == n, f"`methods`: {method.name} is a stencil of order "
                   f"{method.n}, but the sweep has n={n}")
    check_argument(method.is_complex or math.isfinite(method.stencil.accuracy),
                   f"`methods`: {method.name} is exact (no truncation to sweep)")
    return method


def resolve_methods(methods, n: int, *, complex_step: bool) -> tuple[SweepMethod, ...]:
    """The methods asked for (names, stencils), or the defaults; distinct names."""
    if methods is None:
        return default_methods(n, complex_step=complex_step)
    if isinstance(methods, (str, Stencil, SweepMethod)):
        methods = [methods]
    try:
        entries = list(methods)
    except TypeError:
        raise TypeError(f"`methods` must be a sequence of stencils or names, got "
                        f"{methods!r}") from None
    check_argument(len(entries) >= 1, "`methods` must hold at least one method")
    resolved = tuple(_one_method(entry, n) for entry in entries)
    names = [m.name for m in resolved]
    check_argument(len(set(names)) == len(names), f"`methods` must be distinct, got {names}")
    return resolved

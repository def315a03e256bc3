"""The one result type every estimator returns."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

__all__ = ["DerivativeResult", "Status"]


class Status(enum.IntEnum):
    """Why an estimate succeeded or failed (``DerivativeResult.status``)."""

    SUCCESS = 0
    #: f was non-finite at the stencil points and no estimate survived.
    NONFINITE = -1
    #: The estimate converged, but its error is not small against |df| or is
    #: above the caller's ``tolerance``.
    INACCURATE = -2
    #: One-sided estimates disagree: a derivative of order <= n jumps at x.
    KINK = -3
    #: f itself jumps at x, or the estimates diverge as the step shrinks
    #: (a singularity at or next to x).
    NOT_DIFFERENTIABLE = -4
    #: No step tried gave a converged estimate: a feature narrower than the
    #: smallest step, an oscillation, or noise the error model does not know.
    UNRESOLVED = -5
    #: The evaluation budget (``max_nfev``) ran out before the estimate converged.
    BUDGET = -6


@dataclass(frozen=True)
class DerivativeResult:
    """Estimate of a derivative and what it cost.

    Attributes
    ----------
    df : ndarray or float
        The derivative estimate.
    error : ndarray or float
        Estimate of ``|df - true derivative|``, elementwise.
    step : ndarray or float
        The step the returned estimate was taken with (per element of ``x``
        for ``derivative``, per input component otherwise).
    nfev : int
        Points at which f was evaluated (per element of ``x`` for the
        elementwise ``derivative``).
    success : ndarray or bool
        Elementwise: the estimate is finite and its status is ``SUCCESS``.
    status : ndarray or int
        Elementwise ``Status`` codes.
    message : str
        What happened, in words.
    """

    df: np.ndarray
    error: np.ndarray
    step: np.ndarray
    nfev: int
    success: np.ndarray
    status: np.ndarray
    message: str = field(default="")

    def __repr__(self) -> str:
        lines = [f"{name}: {getattr(self, name)!r}" for name in
                 ("df", "error", "step", "nfev", "success", "status", "message")]
        return "DerivativeResult(\n  " + "\n  ".join(lines) + "\n)"

"""From per-entry estimates to a :class:`~finitediff.result.DerivativeResult`.

Every public function ends here: statuses are settled (a result is
``INACCURATE`` when its error is not small against the derivative or is
above the caller's ``tolerance``), and the message says, for each way an
entry failed, how many entries and what was seen at the first of them.
"""

from __future__ import annotations

import numpy as np

from .result import DerivativeResult, Status

__all__ = ["settle", "finish", "empty_result", "INACCURATE_RELATIVE", "INACCURATE_FLOOR"]

#: An error above this fraction of |df| makes a result INACCURATE ...
INACCURATE_RELATIVE = 0.1
#: ... unless it is also below this fraction of f's size over the top step^n
#: (a derivative that is zero, or nearly, is found to that absolute level).
INACCURATE_FLOOR = 1e-6

_EXPLAIN = {
    Status.NONFINITE: "f is not finite at the stencil points (overflow, or outside its "
                      "domain): no estimate",
    Status.KINK: "f has a kink (a derivative of order <= n jumps there)",
    Status.NOT_DIFFERENTIABLE: "f is not differentiable there: the estimates diverge as the "
                               "step shrinks (a jump or a singularity at x, or a feature "
                               "narrower than the smallest step; pass scale= if f changes "
                               "on a smaller length)",
    Status.UNRESOLVED: "unresolved: no step tried gave estimates that converge (a feature "
                       "narrower than the smallest step, an oscillation, or noise; pass "
                       "scale= for a narrow feature, noise='auto' for noise)",
    Status.INACCURATE: "inaccurate: the error bound is not small against the derivative "
                       "(or is above `tolerance`)",
    Status.BUDGET: "the evaluation budget max_nfev ran out before the estimate converged",
}


#: The codes as plain ints: an array compared with an enum member converts it each time.
_SUCCESS, _INACCURATE = int(Status.SUCCESS), int(Status.INACCURATE)
#: The failing statuses in the order the message names them.
_FAILURES = tuple((int(code), code) for code in (
    Status.NONFINITE, Status.KINK, Status.NOT_DIFFERENTIABLE, Status.UNRESOLVED,
    Status.INACCURATE, Status.BUDGET))


def settle(df, error, status, size, tolerance=None):
    """``status`` with INACCURATE set where a success's error is too large.

    ``size`` is f's size over the top step to the n (``max|f| / top^n``).
    """
    with np.errstate(invalid="ignore"):
        loose = (error > INACCURATE_RELATIVE * np.abs(df)) & (error > INACCURATE_FLOOR * size)
        if tolerance is not None:
            loose |= error > tolerance
    if not loose.any():   # nothing to mark: the statuses as they are, in an array of their own
        return np.array(status)
    return np.where((status == _SUCCESS) & loose, _INACCURATE, status)


def _where(index: tuple, shape: tuple) -> str:
    return f" (first at index {index})" if shape else ""


def _detail(status, index, forward, backward, divergence) -> str:
    if status == Status.KINK and forward is not None and np.isfinite(forward[index]):
        # + 0.0 prints a negative zero as 0
        return (f": forward derivative {float(forward[index]) + 0.0:.6g} and backward "
                f"derivative {float(backward[index]) + 0.0:.6g} disagree")
    if status == Status.NOT_DIFFERENTIABLE and divergence is not None and np.isfinite(
            divergence[index]):
        return f"; the estimates grow like h^-{float(divergence[index]):.2g}"
    return ""


def message(status, *, forward=None, backward=None, divergence=None, notes=()) -> str:
    """What happened, in words: one clause per failing status, then the notes."""
    status = np.asarray(status)
    parts = []
    # every entry a success (the common case): one comparison, not one per status
    failures = () if (status == _SUCCESS).all() else _FAILURES
    for value, code in failures:
        found = status == value
        if not found.any():
            continue
        hits = np.argwhere(found)
        index = tuple(int(i) for i in hits[0])
        count = f"{len(hits)} of {status.size} entries: " if status.size > 1 else ""
        parts.append(count + _EXPLAIN[code] + _detail(code, index, forward, backward, divergence)
                     + _where(index, status.shape))
    head = "; ".join(parts) if parts else "derivative estimated"
    return "; ".join([head, *[note for note in notes if note]])


def _unwrap(array):
    """0-d arrays become numpy scalars, as numpy's own reductions return."""
    array = np.asarray(array)
    return array[()] if array.ndim == 0 else array


def finish(df, error, step, nfev, status, *, forward=None, backward=None, divergence=None,
           notes=()) -> DerivativeResult:
    """The result object, with ``success`` where the status is SUCCESS."""
    status = np.asarray(status, dtype=np.int64)
    error = np.asarray(error, dtype=np.float64)
    nfev = np.asarray(nfev)
    return DerivativeResult(
        df=_unwrap(df), error=_unwrap(error), step=_unwrap(step),
        nfev=int(nfev) if nfev.ndim == 0 else nfev,
        success=_unwrap(status == _SUCCESS), status=_unwrap(status),
        message=message(status, forward=forward, backward=backward, divergence=divergence,
                        notes=notes),
    )


def empty_result(shape: tuple, nfev) -> DerivativeResult:
    """The result of nothing to differentiate (no inputs, or no outputs): zeros of ``shape``."""
    empty = np.zeros(shape)
    return finish(empty, empty, empty, nfev, np.zeros(shape, dtype=int))

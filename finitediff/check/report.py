"""What a derivative check found: entries with verdicts, findings, the report.

An :class:`Entry` is one compared number (a partial derivative, a Hessian
entry, or a directional derivative ``vᵀJu``) with both values, the
tolerance it was judged by and its verdict. A :class:`Finding` explains
something about the function as a whole (a kink, a gradient that autodiff
does not see, float32 arithmetic). :class:`CheckReport` holds both, prints
them worst first and raises :class:`~finitediff.DerivativeMismatchError`
on request.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from ..errors import DerivativeMismatchError

__all__ = ["CheckReport", "Entry", "Finding", "FindingKind", "Verdict"]

#: Entries printed by ``str(report)`` besides the failing ones.
SHOWN_ENTRIES = 12


class Verdict(str, enum.Enum):
    """How an entry compares."""

    #: The difference is within the tolerance.
    AGREE = "agree"
    #: The difference exceeds the tolerance: the derivative is wrong.
    MISMATCH = "mismatch"
    #: The finite-difference estimate is not good enough to decide.
    UNRESOLVED = "unresolved"

    def __str__(self) -> str:
        return self.value


class FindingKind(str, enum.Enum):
    """What a finding is about; ``KINK`` does not fail a check, the others do."""

    #: One-sided finite differences disagree: f is not differentiable there.
    KINK = "kink"
    #: Autodiff returns None or zeros where f changes (a tf.numpy_function,
    #: an integer cast, a stop_gradient).
    NO_GRADIENT = "no_gradient"
    #: Something computes below float64.
    PRECISION = "precision"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Entry:
    """One compared derivative value.

    Attributes
    ----------
    order : int
        1 for first derivatives (gradient, Jacobian, ``vᵀJu``), 2 for second.
    label : str
        Which entry: ``df/dx[3]``, ``df[1]/dx[0]``, ``d2f/dx[0]dx[1]``,
        ``v'Ju #0`` (a random direction).
    autodiff : float
        The value under test (autodiff, or the ``grad=`` / ``hess=`` callable).
    finite_difference : float
        The finite-difference estimate (at a kink: the one-sided value closest
        to ``autodiff``).
    error : float
        Bound on the error of ``finite_difference``.
    tolerance : float
        The largest ``|autodiff − finite_difference|`` judged as agreement.
    step : float
        The step of the finite-difference estimate.
    verdict : Verdict
    detectable : float
        The smallest relative error of ``autodiff`` this entry would have
        caught, ``(tolerance + error) / |autodiff|`` (inf where autodiff is 0).
    note : str
        Why, where a reason is needed (a kink, a zero gradient, found by bisection).
    index : tuple of int
        Output and input indices (flat), empty for a directional entry.
    at_kink : bool
        The one-sided estimates disagree here: f has a kink. Such an entry
        agrees (a value between them) or is undecided, and never fails.
    """

    order: int
    label: str
    autodiff: float
    finite_difference: float
    error: float
    tolerance: float
    step: float
    verdict: Verdict
    detectable: float
    note: str = ""
    index: tuple = ()
    at_kink: bool = False

    @property
    def difference(self) -> float:
        return abs(self.autodiff - self.finite_difference)

    @property
    def ratio(self) -> float:
        """``difference / tolerance``: above 1 is a mismatch."""
        if self.tolerance > 0:
            return self.difference / self.tolerance
        return 0.0 if self.difference == 0 else math.inf

    def to_dict(self) -> dict:
        return {
            "order": self.order, "label": self.label, "index": list(self.index),
            "autodiff": _json_float(self.autodiff),
            "finite_difference": _json_float(self.finite_difference),
            "difference": _json_float(self.difference), "error": _json_float(self.error),
            "tolerance": _json_float(self.tolerance), "step": _json_float(self.step),
            "verdict": self.verdict.value, "detectable": _json_float(self.detectable),
            "note": self.note, "at_kink": self.at_kink,
        }


@dataclass(frozen=True)
class Finding:
    """Something found about the function, with what to do about it."""

    kind: FindingKind
    message: str
    labels: tuple = ()

    @property
    def fails(self) -> bool:
        return self.kind is not FindingKind.KINK

    def to_dict(self) -> dict:
        return {"kind": self.kind.value, "message": self.message, "labels": list(self.labels),
                "fails": self.fails}

    def __str__(self) -> str:
        return f"{self.kind.value}{' (fails)' if self.fails else ''}: {self.message}"


@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`finitediff.check_derivatives`.

    Attributes
    ----------
    entries : tuple of Entry
        Every compared value, worst first (mismatches, then unresolved
        entries, each by ``difference / tolerance``).
    findings : tuple of Finding
    mode : str
        ``"full"`` or ``"directional"``.
    reference : str
        What was checked: ``"TensorFlow autodiff"`` or ``"grad= / hess= callables"``.
    nfev : int
        Evaluations of f (and of the gradient, for order 2) by finite differences.
    """

    entries: tuple
    findings: tuple = ()
    mode: str = "full"
    reference: str = ""
    nfev: int = 0
    notes: tuple = field(default=())

    def __post_init__(self):
        object.__setattr__(self, "entries", tuple(sorted(self.entries, key=_severity)))

    # -- the verdict -------------------------------------------------------
    @property
    def mismatches(self) -> tuple:
        return tuple(e for e in self.entries if e.verdict is Verdict.MISMATCH)

    @property
    def unresolved(self) -> tuple:
        """Undecided entries, except those at a kink (reported as findings)."""
        return tuple(e for e in self.entries
                     if e.verdict is Verdict.UNRESOLVED and not e.at_kink)

    @property
    def value_name(self) -> str:
        """What the values under test are called: ``autodiff``, or ``given`` (callables)."""
        return "autodiff" if "autodiff" in self.reference else "given"

    @property
    def failing_findings(self) -> tuple:
        return tuple(f for f in self.findings if f.fails)

    @property
    def passed(self) -> bool:
        """No mismatch, no undecided entry (kinks aside), no failing finding."""
        return not (self.mismatches or self.unresolved or self.failing_findings)

    def raise_if_failed(self) -> None:
        """Raise :class:`~finitediff.DerivativeMismatchError` unless the check passed.

        The message names, for every failing entry, the order, the entry,
        both values, the step and the tolerance, and every failing finding.
        """
        if self.passed:
            return
        lines = [self._headline()]
        lines += [f"  {finding}" for finding in self.failing_findings]
        for entry in self.mismatches + self.unresolved:
            lines.append(
                f"  order {entry.order}, {entry.label}: {entry.verdict}: {self.value_name} "
                f"{entry.autodiff!r}, finite difference {entry.finite_difference!r} "
                f"(step {entry.step:.3g}), difference {entry.difference:.3g}, "
                f"tolerance {entry.tolerance:.3g}" + (f"; {entry.note}" if entry.note else ""))
        raise DerivativeMismatchError("\n".join(lines))

    # -- output ------------------------------------------------------------
    def to_dict(self) -> dict:
        """A JSON-serialisable summary (non-finite numbers become None)."""
        return {
            "passed": self.passed, "mode": self.mode, "reference": self.reference,
            "nfev": self.nfev, "counts": self._counts(),
            "findings": [f.to_dict() for f in self.findings],
            "entries": [e.to_dict() for e in self.entries],
            "notes": list(self.notes),
        }

    def _counts(self) -> dict:
        counts = {verdict.value: 0 for verdict in Verdict}
        for entry in self.entries:
            counts[entry.verdict.value] += 1
        return counts

    def _headline(self) -> str:
        counts = ", ".join(f"{n} {name}" for name, n in self._counts().items() if n)
        state = "passed" if self.passed else "FAILED"
        return (f"derivative check {state} ({self.mode}, {self.reference}): "
                f"{len(self.entries)} entries: {counts or 'none'}")

    def __str__(self) -> str:
        lines = [self._headline()]
        lines += [f"  {finding}" for finding in self.findings]
        lines += [f"  note: {note}" for note in self.notes]
        failing = [e for e in self.entries if e.verdict is not Verdict.AGREE]
        shown = failing + [e for e in self.entries if e.verdict is Verdict.AGREE][
            :max(SHOWN_ENTRIES - len(failing), 3)]
        if shown:
            lines.append(_table(shown, self.value_name))
        hidden = len(self.entries) - len(shown)
        if hidden:
            lines.append(f"... and {hidden} more entries that agree")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<CheckReport: {self._headline()}>"


def _severity(entry: Entry):
    rank = {Verdict.MISMATCH: 0, Verdict.UNRESOLVED: 1, Verdict.AGREE: 2}[entry.verdict]
    return (rank, -entry.ratio if math.isfinite(entry.ratio) else -math.inf)


HEADER = ("order", "entry", "autodiff", "finite diff.", "difference", "tolerance", "verdict",
          "step")


def _table(entries, value_name: str = "autodiff") -> str:
    rows = [(HEADER[0], HEADER[1], value_name) + HEADER[3:]] + [
        (str(e.order), e.label, f"{e.autodiff:.10g}", f"{e.finite_difference:.10g}",
         f"{e.difference:.2e}", f"{e.tolerance:.2e}", e.verdict.value, f"{e.step:.2e}")
        for e in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    text = ["  ".join(cell.rjust(width) if i not in (1, 6) else cell.ljust(width)
                      for i, (cell, width) in enumerate(zip(row, widths))).rstrip()
            for row in rows]
    notes = [f"  {e.label}: {e.note}" for e in entries if e.note]
    return "\n".join(text + notes)


def _json_float(value: float):
    value = float(value)
    return value if math.isfinite(value) else None

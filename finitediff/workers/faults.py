"""Faults on workers, brought back named.

What f raises on a worker travels back as a :class:`Failure` record (the
exception itself when it survives pickling, its type, message and traceback
otherwise) and is raised again here by :func:`accept`, with the chunk or the
point that raised it: ``describe(chunk, position)`` names them
(:class:`PointNames` for points, :class:`ChunkNames` for plain chunks).
"""

from __future__ import annotations

import pickle
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ChunkNames", "Failure", "PointNames", "accept", "serializer", "unfinished"]

#: How many unfinished chunks an error message lists.
NAMED_CHUNKS = 3


@dataclass
class Failure:
    """What f raised on a worker, in a form that survives the trip back."""

    error_type: type
    message: str
    traceback: str
    position: int | None  # the point in the chunk; None: the chunk as a whole
    error: BaseException | None  # the original, when it survives the trip
    own: bool = False  # finitediff's own check failed, f raised nothing

    @classmethod
    def capture(cls, exc: Exception, position: int | None, transport: str | None) -> Failure:
        error = exc if _survives(exc, transport) else None
        error_type = type(exc) if _survives(type(exc), transport) else RuntimeError
        return cls(error_type, str(exc), traceback.format_exc(), position, error)

    def reraise(self, where: str):
        if self.own:
            raise self.error_type(f"{self.message} (at {where})")
        message = f"f raised {self.error_type.__name__} at {where}: {self.message}"
        original = self.error
        if original is not None and original.__traceback__ is None:  # from another process
            original.__cause__ = _RemoteTraceback(self.traceback)
        cause = original if original is not None else _RemoteTraceback(self.traceback)
        try:
            error = self.error_type(message)
        except Exception:  # a type that needs other arguments: keep the original, add a note
            if original is None or not hasattr(original, "add_note"):
                raise RuntimeError(message) from cause
            original.add_note(message)
            raise original from original.__cause__
        raise error from cause


class _RemoteTraceback(Exception):
    """The traceback of an exception raised on a worker, as text."""

    def __init__(self, text: str):
        super().__init__(text)

    def __str__(self) -> str:
        return "\n" + self.args[0]


def _survives(value: Any, transport: str | None) -> bool:
    if transport is None:  # same process: nothing is pickled
        return True
    try:
        dumps, loads = serializer(transport)
        loads(dumps(value))
    except Exception:
        return False
    return True


def serializer(transport: str):
    """``(dumps, loads)`` of a transport: ``"cloudpickle"`` (imported here) or pickle."""
    if transport == "cloudpickle":
        import cloudpickle

        return cloudpickle.dumps, cloudpickle.loads
    return pickle.dumps, pickle.loads


def accept(result, chunk: int, describe) -> Any:
    """``result`` of chunk ``chunk``, or the failure it records raised with its name."""
    if isinstance(result, Failure):
        result.reraise(describe(chunk, result.position))
    return result


def unfinished(count: int, finished, describe) -> str:
    """Names of the chunks in ``range(count)`` that are not in ``finished``."""
    finished = set(finished)
    names = [describe(index) for index in range(count) if index not in finished]
    more = len(names) - NAMED_CHUNKS
    return "; ".join(names[:NAMED_CHUNKS]) + (f"; and {more} more chunk(s)" if more > 0 else "")


# -- names -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkNames:
    """Names chunk ``i`` of ``count``, or item ``position`` in it."""

    count: int

    def __call__(self, chunk: int, position: int | None = None) -> str:
        where = f"chunk {chunk} of {self.count}"
        return where if position is None else f"item {position} of {where}"


@dataclass(frozen=True)
class PointNames:
    """Names a chunk of points, or one point in it, by index and coordinates."""

    points: np.ndarray
    slices: Sequence[slice]

    def __call__(self, chunk: int, position: int | None = None) -> str:
        piece, count = self.slices[chunk], len(self.points)
        if position is not None:
            index = piece.start + position
            return f"point {index} of {count}, x = {_short(self.points[index])}"
        if piece.stop - piece.start == 1:
            return f"point {piece.start} of {count}, x = {_short(self.points[piece.start])}"
        return (f"points {piece.start}-{piece.stop - 1} of {count} "
                f"(first x = {_short(self.points[piece.start])})")


def _short(point: np.ndarray, shown: int = 3) -> str:
    """Coordinates as exact reprs, the middle elided beyond ``2 * shown`` elements."""
    point = np.asarray(point)
    if point.ndim == 0:
        return repr(point.item())
    flat = point.ravel().tolist()
    parts = [repr(value) for value in flat]
    if len(parts) > 2 * shown + 1:
        parts = parts[:shown] + ["..."] + parts[-shown:]
    text = "[" + ", ".join(parts) + "]"
    return text if point.ndim == 1 else f"{text} (shape {point.shape}, flattened)"

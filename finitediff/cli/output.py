"""Printing results: aligned tables for people, strict JSON for scripts."""

from __future__ import annotations

import json
import math
import sys
from fractions import Fraction

import numpy as np

__all__ = ["NA", "dumps", "emit_json", "error_text", "table", "value_text"]

#: How a value that does not exist is shown.
NA = "n/a"


def plain(value):
    """``value`` as JSON-able Python: non-finite floats become None, Fractions strings."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def dumps(payload) -> str:
    """Strict JSON (no NaN or Infinity): non-finite numbers are null."""
    return json.dumps(plain(payload), indent=2, allow_nan=False, ensure_ascii=False)


def emit_json(payload) -> None:
    sys.stdout.write(dumps(payload) + "\n")


def value_text(value, spec: str = ".15g") -> str:
    """A number, or ``n/a`` for None and NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NA
    return format(value, spec)


def error_text(value) -> str:
    return value_text(value, ".2e")


def table(header: tuple[str, ...], rows: list[tuple[str, ...]], *,
          left: tuple[int, ...] = ()) -> str:
    """Columns right-aligned (those in ``left`` left-aligned), a rule under the header."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        return "  ".join(cell.ljust(width) if i in left else cell.rjust(width)
                         for i, (cell, width) in enumerate(zip(row, widths))).rstrip()

    rule = "-" * len(line(header))
    return "\n".join([line(header), rule, *map(line, rows)])

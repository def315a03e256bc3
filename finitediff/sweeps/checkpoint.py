"""Checkpoints: finished rows in SQLite, committed as they complete.

A checkpoint file holds three tables: ``fingerprint`` (what the sweep was
asked for: the function's identity, x, n, direction, steps, methods,
reference, scale), ``setup`` (what was computed before the grid, so a resumed
sweep calls f for none of it) and ``rows`` (one per finished cell). Every
chunk's rows are written in one transaction, so a crash at any instant (an
exception, Ctrl-C, SIGKILL, power loss) leaves every committed chunk whole and
nothing half-written. Opening a checkpoint written with other parameters
raises ``ValueError`` naming what differs; rows are never mixed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3

import numpy as np

from .run import Row

__all__ = ["Checkpoint", "array_digest", "function_identity"]

#: Where the function's values are hashed: x and x + c·scale (·v) for these c.
PROBE_SHIFTS = (0.0, 2.0**-7, -(2.0**-9), 2.0**-5)


def array_digest(values) -> str:
    """A short hash of an array's shape, dtype and exact values."""
    array = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
    array = np.where(np.isnan(array), np.nan, array)  # one NaN pattern
    digest = hashlib.sha256(repr(array.shape).encode() + array.tobytes())
    return digest.hexdigest()[:16]


def function_identity(f, function, x, scale, direction, key: str | None) -> str:
    """``key`` if given, else the qualified name of ``f`` and a hash of its values at x
    and a few probe points near it (one call of f)."""
    if key is not None:
        return f"key:{key}"
    name = getattr(f, "__qualname__", None) or type(f).__qualname__
    module = getattr(f, "__module__", None) or type(f).__module__
    shifts = np.array(PROBE_SHIFTS)
    if direction is None:
        points = (x[None, :] + shifts[:, None] * scale[None, :]).reshape(-1)
    else:
        amounts = shifts[:, None] * scale[None, :]
        points = (x[None] + amounts[..., None] * direction).reshape(-1, direction.size)
    with np.errstate(all="ignore"):
        values = function(points)
    return f"{module}.{name}:{array_digest(values.real)}"


def _number(value) -> float:
    return math.nan if value is None else float(value)


def _stored(value: float):
    return None if math.isnan(value) else value  # SQLite turns NaN into NULL anyway


class Checkpoint:
    """A sweep's checkpoint file; refuses one written with another fingerprint.

    Parameters
    ----------
    path : str or os.PathLike
    fingerprint : dict of str to str
        What the sweep was asked for, field by field.
    """

    def __init__(self, path, fingerprint: dict[str, str]):
        self.path = os.fspath(path)
        self.connection = sqlite3.connect(self.path)
        try:
            self._create()
            self._check(fingerprint)
        except BaseException:
            self.connection.close()
            raise

    def _create(self) -> None:
        with self.connection:
            self.connection.executescript("""
                CREATE TABLE IF NOT EXISTS fingerprint (field TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS setup (id INTEGER PRIMARY KEY CHECK (id = 0),
                                                  value TEXT);
                CREATE TABLE IF NOT EXISTS rows (
                    point INTEGER, method INTEGER, step_index INTEGER,
                    step REAL, estimate REAL, f_max REAL,
                    PRIMARY KEY (point, method, step_index));
            """)

    def _check(self, fingerprint: dict[str, str]) -> None:
        stored = dict(self.connection.execute("SELECT field, value FROM fingerprint"))
        if not stored:
            with self.connection:
                self.connection.executemany("INSERT INTO fingerprint VALUES (?, ?)",
                                            sorted(fingerprint.items()))
            return
        differ = sorted(k for k in stored.keys() | fingerprint.keys()
                        if stored.get(k) != fingerprint.get(k))
        if differ:
            raise ValueError(
                f"`checkpoint` {self.path!r} was written by a sweep with other parameters "
                f"(they differ in: {', '.join(differ)}); its rows are not mixed with this "
                "sweep's. Use another path, or delete the file to start afresh.")

    def load_setup(self) -> dict | None:
        row = self.connection.execute("SELECT value FROM setup WHERE id = 0").fetchone()
        return None if row is None else json.loads(row[0])

    def save_setup(self, setup: dict) -> None:
        with self.connection:
            self.connection.execute("INSERT OR REPLACE INTO setup VALUES (0, ?)",
                                    (json.dumps(setup),))

    def rows(self) -> list[Row]:
        found = self.connection.execute(
            "SELECT point, method, step_index, step, estimate, f_max FROM rows")
        return [Row(p, m, s, _number(h), _number(e), _number(fm)) for p, m, s, h, e, fm in found]

    def commit(self, rows) -> None:
        """Write a chunk's rows in one transaction."""
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?, ?, ?)",
                [(r.point, r.method, r.step_index, _stored(r.step), _stored(r.estimate),
                  _stored(r.f_max)) for r in rows])

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

"""Reading the values typed on the command line: numbers, points, orders, offsets.

Each reader raises ValueError naming the option and the text it could not
read; ``argparse`` turns that into a usage error (exit 2) when a reader is
given as ``type=``.
"""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["MAX_ORDER", "Point", "number", "offsets", "order", "orders", "point", "positive_int"]

#: Highest derivative order the command line accepts.
MAX_ORDER = 10
#: Most stencil points ``weights --offsets`` accepts.
MAX_OFFSETS = 32

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FRACTION = re.compile(r"[+-]?\d+/\d+")


def number(text: str, *, option: str = "") -> float:
    """A finite decimal number (``1``, ``-0.5``, ``2e-3``); not nan, inf or hex."""
    where = f"{option}: " if option else ""
    if not _NUMBER.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"{where}{text!r} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{where}{text!r} is out of the float64 range")
    return value


def positive_number(text: str) -> float:
    value = number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def positive_int(text: str) -> int:
    if not re.fullmatch(r"\+?\d+", text.strip()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return int(text)


@dataclass(frozen=True)
class Point:
    """``--at``: values in order, with the variable names when given as ``x=1,y=2``."""

    names: tuple[str, ...] | None
    values: tuple[float, ...]

    def describe(self, variables) -> str:
        return ", ".join(f"{name} = {value:g}" for name, value in zip(variables, self.values))


def point(text: str) -> Point:
    """``1.5`` (one variable) or ``x=1,y=2`` (named variables)."""
    if "=" not in text:
        return Point(None, (number(text, option="--at"),))
    names, values = [], []
    for part in text.split(","):
        name, equals, value = part.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise argparse.ArgumentTypeError(
                f"--at: {part!r} is not of the form name=value (as in x=1,y=2)")
        if name in names:
            raise argparse.ArgumentTypeError(f"--at: {name} is given twice")
        names.append(name)
        values.append(number(value, option=f"--at {name}"))
    return Point(tuple(names), tuple(values))


def order(text: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()):
        raise argparse.ArgumentTypeError(f"--n: {text!r} is not a derivative order")
    value = int(text)
    if value > MAX_ORDER:
        raise argparse.ArgumentTypeError(f"--n: order {value} is above the highest the "
                                         f"command line accepts, {MAX_ORDER}")
    return value


def orders(text: str) -> tuple[int, ...]:
    """``2``, ``0-4`` or ``1,3``: derivative orders, distinct, in the order given."""
    found: list[int] = []
    for part in text.split(","):
        first, dash, last = part.partition("-")
        if dash:
            low, high = order(first), order(last)
            if low > high:
                raise argparse.ArgumentTypeError(f"--n: the range {part!r} is empty")
            found += range(low, high + 1)
        else:
            found.append(order(part))
    if len(set(found)) != len(found):
        raise argparse.ArgumentTypeError(f"--n: {text!r} repeats an order")
    return tuple(found)


def check_orders(text: str) -> tuple[int, ...]:
    """``--orders`` of the checker: 1, 2 or 1,2."""
    values = tuple(sorted(set(orders(text))))
    if not set(values) <= {1, 2}:
        raise argparse.ArgumentTypeError(f"--orders: the checker checks orders 1 and 2, got "
                                         f"{text!r}")
    return values


def offsets(text: str) -> tuple:
    """``-1,0,1`` or ``-1/2,1/2`` or ``0,0.5,1``: exact stencil offsets."""
    values = []
    for part in text.split(","):
        part = part.strip()
        if not (_FRACTION.fullmatch(part) or _NUMBER.fullmatch(part)):
            raise argparse.ArgumentTypeError(f"--offsets: {part!r} is not a number or a "
                                             "fraction p/q")
        if part.endswith("/0"):
            raise argparse.ArgumentTypeError(f"--offsets: {part!r} divides by zero")
        values.append(Fraction(part))
    if len(values) > MAX_OFFSETS:
        raise argparse.ArgumentTypeError(f"--offsets: at most {MAX_OFFSETS} points, got "
                                         f"{len(values)}")
    return tuple(values)

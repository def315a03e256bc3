"""The stencils of a difference network: one union of offsets shared by every order.

:func:`network_stencils` gives each order its exact Fornberg stencil on the
union of the central stencils of the requested orders (or on the integer
offsets given), :func:`shared_weights` the weights a network applies to the
nonzero offsets and the centre, and :func:`difference_step` the one step
that minimises the worst error over the orders. Only the stencils: no
TensorFlow here.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import check_argument, check_nonnegative_int, check_positive_int
from ..stencil import Stencil

__all__ = ["check_offsets", "check_orders", "difference_step", "network_stencils",
           "shared_weights"]


def check_orders(orders) -> tuple[int, ...]:
    """Distinct derivative orders >= 0, at least one."""
    try:
        values = tuple(orders)
    except TypeError:
        raise TypeError(f"`orders` must be a sequence of integers, got {orders!r}") from None
    check_argument(len(values) >= 1, "`orders` must hold at least one derivative order")
    values = tuple(check_nonnegative_int("orders", k) for k in values)
    check_argument(len(set(values)) == len(values), f"`orders` must be distinct, got {values}")
    return values


def check_offsets(offsets) -> tuple[int, ...]:
    """Distinct integer offsets (multiples of the step), sorted."""
    try:
        values = tuple(offsets)
    except TypeError:
        raise TypeError(f"`offsets` must be a sequence of integers, got {offsets!r}") from None
    check_argument(
        all(isinstance(o, (int, np.integer)) and not isinstance(o, bool) for o in values),
        f"`offsets` must be integers (multiples of the step), got {values}", error=TypeError)
    check_argument(len(set(values)) == len(values), f"`offsets` must be distinct, got {values}")
    return tuple(sorted(int(o) for o in values))


def network_stencils(orders, accuracy: int = 2, *, offsets=None) -> dict[int, Stencil]:
    """The stencil of every order on the union of offsets the network evaluates.

    By default the union is that of ``Stencil.central(k, accuracy)`` over
    ``orders``; each order then uses all of it, so its accuracy is at least
    ``accuracy``. With ``offsets`` (integers, in steps) every order uses
    those points, and each must reach ``accuracy``. For a gradient the centre
    ``x`` is one point shared by all components, so a stencil holding 0 gets
    a point per component for free: the first derivative on
    ``offsets=(-1, 0, 1, 2)`` has accuracy 3 for three evaluations per
    component, against accuracy 2 for two (``accuracy=2``) and accuracy 4
    for four (``accuracy=4``).

    Examples
    --------
    >>> from finitediff.tf import network_stencils
    >>> stencils = network_stencils((0, 1, 2, 3, 4))
    >>> stencils[1]
    Stencil(offsets=(-2, -1, 0, 1, 2), n=1, weights=(1/12, -2/3, 0, 2/3, -1/12), accuracy=4)
    >>> network_stencils((1,), offsets=(-1, 0, 1, 2))[1]
    Stencil(offsets=(-1, 0, 1, 2), n=1, weights=(-1/3, -1/2, 1, -1/6), accuracy=3)
    """
    orders = check_orders(orders)
    accuracy = check_positive_int("accuracy", accuracy)
    if offsets is None:
        check_argument(accuracy % 2 == 0,
                       f"`accuracy` must be even (central stencils), got {accuracy}")
        points = sorted({o for k in orders for o in Stencil.central(k, accuracy).offsets})
        return {k: Stencil(points, k) for k in orders}
    points = check_offsets(offsets)
    stencils = {k: Stencil(points, k) for k in orders}
    for k, stencil in stencils.items():
        check_argument(stencil.accuracy >= accuracy,
                       f"`offsets` {points} give order {k} accuracy {stencil.accuracy}, "
                       f"below `accuracy`={accuracy}")
    return stencils


def shared_weights(stencils: dict[int, Stencil]) -> tuple[list, dict, dict]:
    """The nonzero offsets, each order's weights at them, and its weight at the centre.

    The centre ``x`` is evaluated once for all orders and components.
    """
    offsets = next(iter(stencils.values())).offsets
    shifts = [o for o in offsets if o != 0]
    weights = {k: [float(w) for o, w in zip(offsets, s.exact_weights) if o != 0]
               for k, s in stencils.items()}
    centre = {k: float(dict(zip(offsets, s.exact_weights)).get(0, Fraction(0)))
              for k, s in stencils.items()}
    return shifts, weights, centre


def difference_step(orders=(0, 1, 2), accuracy: int = 2, dtype=np.float64, *,
                    offsets=None) -> float:
    """The one step that minimises the worst error over ``orders`` on a unit-scale f.

    Each order's error is the round-off plus truncation of the error model
    (:meth:`finitediff.Stencil.error`) for its stencil on the network's offsets; the step
    minimises their maximum (found on a fine logarithmic grid). With a single
    order it is :meth:`finitediff.Stencil.optimal_step`. Scale it by
    ``max(|x|, 1)`` for inputs far from unit size. ``offsets`` as in
    :func:`network_stencils`.

    Examples
    --------
    >>> from finitediff.tf import difference_step
    >>> round(difference_step((0, 1, 2, 3, 4)), 4)
    0.0059
    """
    stencils = network_stencils(orders, accuracy, offsets=offsets)
    if len(stencils) == 1:
        return next(iter(stencils.values())).optimal_step(dtype=dtype)
    grid = np.logspace(-8, 0, 4001)
    worst = np.max([s.error(grid, dtype=dtype) for s in stencils.values()], axis=0)
    return float(grid[np.argmin(worst)])

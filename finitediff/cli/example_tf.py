"""The TensorFlow half of the built-in example: a difference network and TF autodiff.

The seed function ``log(x + 2)`` as a float64 Keras model; one difference
network for all orders, evaluated once on a batch of two samples, at the
step ``h`` and at ``2h``. Its error estimate is the Richardson estimate of
the truncation error at ``h``, ``|D(h) − D(2h)| / (2^p − 1)``, plus the
round-off bound ``ε·|f|·Σ|w| / h^n``, doubled for the terms both leave out.
Importing this module imports TensorFlow and Keras.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ..tf import autodiff_derivatives, difference_network  # noqa: E402
from ..tf.network import difference_step, network_stencils  # noqa: E402

__all__ = ["NetworkEstimate", "autodiff_values", "network_estimates", "seed_model"]

#: Safety factor on the network's error estimate.
SAFETY = 2.0


def seed_model() -> keras.Model:
    """``log(x + 2)`` as a float64 Keras model of one input feature."""
    inputs = keras.Input((1,), dtype="float64", name="x")
    return keras.Model(inputs, keras.ops.log(inputs + 2.0), name="log_x_plus_2")


@dataclass(frozen=True)
class NetworkEstimate:
    """One order: the estimate, its error estimate, the step, and the points evaluated."""

    estimate: float
    error: float
    step: float
    points: int


def network_estimates(model, x: float, orders, accuracy: int) -> dict[int, NetworkEstimate]:
    """Every order from one difference network, evaluated once at steps h and 2h."""
    orders = tuple(orders)
    network = difference_network(model, orders=orders, accuracy=accuracy)
    step = difference_step(orders, accuracy) * max(abs(x), 1.0)
    eps = np.array([[step], [2.0 * step]])
    outputs = network([np.full((2, 1), x), eps, 1.0 / eps])
    stencils = network_stencils(orders, accuracy)
    taken = (x + step) - x
    epsilon = float(np.finfo(np.float64).eps)
    values = {k: np.asarray(out, dtype=np.float64).reshape(2) for k, out in zip(orders, outputs)}
    f_size = abs(float(values[0][0])) if 0 in values else abs(math.log(x + 2.0))
    points = 2 * len(stencils[orders[0]].offsets)
    found = {}
    for k in orders:
        stencil, (at_h, at_2h) = stencils[k], values[k]
        p = stencil.accuracy
        truncation = 0.0 if math.isinf(p) else abs(at_h - at_2h) / (2.0**p - 1.0)
        roundoff = epsilon * f_size * stencil.weight_sum / taken**k
        found[k] = NetworkEstimate(float(at_h), SAFETY * (truncation + roundoff), taken, points)
    return found


def autodiff_values(model, x: float, orders) -> dict[int, float]:
    """Every order by nested GradientTapes."""
    values = autodiff_derivatives(model, np.array([x]), orders=tuple(orders))
    return {k: float(np.ravel(v)[0]) for k, v in zip(orders, values)}

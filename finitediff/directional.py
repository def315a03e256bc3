"""The one primitive: a stencil along directions, at several scales, in one call.

:func:`directional_values` evaluates ``φ_r(t) = f(x + t·D_r)`` at
``t = o·s_q`` for every offset ``o``, scale ``s_q`` and direction ``D_r`` in
one stacked call of f, sharing points that coincide; :func:`apply_stencil`
turns those values into stencil estimates of ``φ_r^(n)(0)`` with their
round-off; :func:`directional_table` is the two together.
"""

from __future__ import annotations

import numpy as np

from .evaluate import Evaluator
from .stencil import Stencil

__all__ = ["apply_stencil", "directional_samples", "directional_table", "directional_values"]


def directional_values(
    evaluator: Evaluator,
    x: np.ndarray,
    displacements: np.ndarray,
    offsets,
    scales,
) -> np.ndarray:
    """``f(x + o·s_q·D_r)`` for every scale, offset and direction, in one call.

    Returns an array of shape ``(Q, O, R, *out)``. Points shared between
    scales (equal ``o·s``) and the centre, shared between directions, are
    evaluated once.
    """
    values, inverse = directional_samples(evaluator, x, displacements, offsets, scales)
    return values[inverse]


def directional_samples(
    evaluator: Evaluator,
    x: np.ndarray,
    displacements: np.ndarray,
    offsets,
    scales,
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values behind :func:`directional_values`, without repeating them.

    Returns ``values`` of shape ``(F, R, *out)``, one row per distinct factor
    ``o·s_q``, and ``inverse`` of shape ``(Q, O)`` with
    ``directional_values(...) == values[inverse]``; indexing a slice of the
    trailing axes first gathers part of the outputs only.
    """
    scales = np.asarray(scales, dtype=np.float64)
    factors = np.multiply.outer(scales, np.asarray(offsets, dtype=np.float64))
    unique, inverse = np.unique(factors, return_inverse=True)
    inverse = inverse.reshape(factors.shape)
    nonzero = unique[unique != 0]
    count = len(displacements)
    shifted = x + nonzero.reshape((-1, 1) + (1,) * x.ndim) * displacements
    points = shifted.reshape((-1,) + x.shape)
    has_centre = len(nonzero) < len(unique)
    if has_centre:
        points = np.concatenate([x[None], points])
    with np.errstate(all="ignore"):
        values = evaluator(points)
    out_shape = values.shape[1:]
    if has_centre:
        centre, values = values[:1], values[1:]
    per_factor = values.reshape((len(nonzero), count) + out_shape)
    if has_centre:
        position = int(np.searchsorted(unique, 0.0))
        centre = np.broadcast_to(centre[None], (1, count) + out_shape)
        per_factor = np.concatenate([per_factor[:position], centre, per_factor[position:]])
    return per_factor, inverse


def apply_stencil(gathered: np.ndarray, weights, scales, n: int, noise=None):
    """Stencil sums ``s_q^-n Σ_o w_o v_qo`` and their round-off, from gathered values.

    ``gathered`` has shape ``(Q, O, R, *out)`` with the offsets in the order of
    ``weights``. The round-off is ``Σ_o |w_o|·max(ε|v_qo|, noise) / s_q^n``.
    """
    scales = np.asarray(scales, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    power = scales.reshape((-1,) + (1,) * (gathered.ndim - 2)) ** n
    with np.errstate(all="ignore"):
        table = np.einsum("o,qor...->qr...", weights, gathered) / power
        level = np.finfo(np.float64).eps * np.abs(gathered)
        if noise is not None:
            level = np.maximum(level, noise)
        roundoff = np.einsum("o,qor...->qr...", np.abs(weights), level) / power
    return table, roundoff


def directional_table(
    evaluator: Evaluator,
    x: np.ndarray,
    displacements: np.ndarray,
    stencil: Stencil,
    scales,
) -> tuple[np.ndarray, np.ndarray]:
    """Stencil estimates of ``φ_r^(n)(0)`` for ``φ_r(t) = f(x + t·D_r)``.

    Parameters
    ----------
    evaluator : Evaluator
        Wraps f; receives all points in one stacked call.
    x : ndarray
        Base point, shape ``S``.
    displacements : ndarray, shape ``(R, *S)``
        The directions ``D_r`` (with the step folded in).
    stencil : Stencil
        Offsets and weights in units of ``t``.
    scales : sequence of float
        Step scales ``s_q``: the stencil is applied on ``t = o·s_q``.

    Returns
    -------
    table : ndarray, shape ``(Q, R, *out)``
        ``s_q^-n Σ_o w_o f(x + o·s_q·D_r)``.
    roundoff : ndarray, shape ``(Q, R, *out)``
        ``ε · s_q^-n Σ_o |w_o f(x + o·s_q·D_r)|``, the round-off in ``table``.
    """
    gathered = directional_values(evaluator, x, displacements, stencil.support, scales)
    return apply_stencil(gathered, stencil.support_weights, scales, stencil.n)



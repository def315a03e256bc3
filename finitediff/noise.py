"""Noise level of a function from a difference table (Moré & Wild's ECnoise).

J. J. Moré and S. M. Wild, "Estimating computational noise", SIAM J. Sci.
Comput. 33 (2011). f is sampled at ``m + 1`` equally spaced points around x.
If f = smooth + noise of standard deviation σ, the k-th differences of the
smooth part shrink like ``h^k`` while those of the noise keep the variance
``σ² (2k)! / (k!)²``; so ``σ_k = sqrt(γ_k · mean((Δ^k f)²))`` with
``γ_k = (k!)² / (2k)!`` levels off at σ once the smooth part is gone. The
estimate is the first ``σ_k`` that agrees (within a factor 4) with the next two
and whose differences change sign.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import check_finite_array, check_positive_int
from .evaluate import Evaluator

__all__ = ["NoiseEstimate", "estimate_noise"]

#: Relative sampling width to start with, and how far to move it per retry.
START_STEP = 1e-2
STEP_FACTOR = 100.0


@dataclass(frozen=True)
class NoiseEstimate:
    """Noise level of f near x (standard deviation), elementwise over x."""

    noise: np.ndarray | float
    success: np.ndarray | bool
    message: str
    nfev: int


def _levels(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``σ_k`` and sign changes of the k-th differences, k = 1..m, per element."""
    count = values.shape[0]
    levels, changes = [], []
    gamma = 1.0
    differences = values
    for k in range(1, count):
        differences = np.diff(differences, axis=0)
        gamma *= 0.5 * k / (2 * k - 1)
        levels.append(np.sqrt(gamma * np.mean(differences**2, axis=0)))
        changes.append(differences.min(axis=0) * differences.max(axis=0) < 0)
    first = np.all(np.diff(values, axis=0) == 0, axis=0)
    return np.array(levels), np.array(changes), first


def _classify(values: np.ndarray):
    """``(noise, code)`` per element: 1 found, 2 step too small, 3 step too large."""
    levels, changes, constant = _levels(values)
    noise = np.full(values.shape[1:], np.nan)
    code = np.full(values.shape[1:], 3)
    for k in range(len(levels) - 3, -1, -1):
        window = levels[k:k + 3]
        found = (window.max(axis=0) <= 4 * window.min(axis=0)) & changes[k]
        noise = np.where(found, levels[k], noise)
        code = np.where(found, 1, code)
    spread = values.max(axis=0) - values.min(axis=0)
    scale = np.maximum(np.abs(values).max(axis=0), np.finfo(np.float64).tiny)
    code = np.where(spread > 0.1 * scale, 3, code)
    code = np.where(constant, 2, code)
    noise = np.where(constant, 0.0, noise)
    return noise, code


def sample_noise(evaluator: Evaluator, x: np.ndarray, points: int = 9, attempts: int = 3):
    """ECnoise with retries: a smaller width when f varies too much, larger when constant."""
    width = START_STEP * np.maximum(np.abs(x), 1.0)
    noise = np.full(x.shape, np.nan)
    code = np.full(x.shape, 3)
    offsets = np.arange(points) - (points - 1) / 2
    for _ in range(attempts):
        pending = code != 1
        if not pending.any():
            break
        values = evaluator(x + offsets.reshape((-1,) + (1,) * x.ndim) * width)
        new_noise, new_code = _classify(values)
        noise = np.where(pending, new_noise, noise)
        code = np.where(pending, new_code, code)
        width = np.where(code == 3, width / STEP_FACTOR, np.where(code == 2, width * STEP_FACTOR,
                                                                    width))
    return noise, code


def estimate_noise(
    f: Callable, x, *, points: int = 9, args: tuple = (), vectorized: bool = True,
) -> NoiseEstimate:
    """Standard deviation of the noise of an elementwise f near x (ECnoise).

    Parameters
    ----------
    f : callable
        ``f(x, *args)``, elementwise as for :func:`finitediff.derivative`.
    x : array_like
        Where to sample.
    points : int, optional
        Points per sample (default 9, as Moré & Wild recommend; at least 5).

    Returns
    -------
    NoiseEstimate
        ``noise`` (NaN where no level was found), ``success``, ``message``, ``nfev``.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff import estimate_noise
    >>> rng = np.random.default_rng(0)
    >>> noisy = lambda x: np.sin(x) + 1e-8 * rng.standard_normal(np.shape(x))
    >>> level = estimate_noise(noisy, 0.5).noise
    >>> bool(3e-9 < level < 3e-8)
    True
    """
    points = check_positive_int("points", points)
    if points < 5:
        raise ValueError(f"`points` must be >= 5, got {points}")
    x = check_finite_array("x", x)
    evaluator = Evaluator(f, args, vectorized=vectorized, point_shape=x.shape)
    noise, code = sample_noise(evaluator, x, points)
    success = code == 1
    if success.all():
        message = "noise level estimated"
    else:
        message = (f"no noise level found for {int((~success).sum())} of {success.size} "
                   "element(s): f varies too much at the smallest width tried or is constant")
    return NoiseEstimate(noise=noise[()] if noise.ndim == 0 else noise,
                         success=success[()] if success.ndim == 0 else success,
                         message=message, nfev=evaluator.points)

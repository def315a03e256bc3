"""The steps fed to a difference network, checked: eagerly, or as graph assertions.

A network built with ``step=None`` takes ``eps`` and ``eps_reciprocal`` per
sample. It divides by the step actually taken, ``(x + eps) − x``, so
``eps_reciprocal`` is checked, not used: it must be ``1/eps`` to
``RECIPROCAL_TOLERANCE``, and ``eps`` must be positive, finite and large
enough to change ``x``.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = ["RECIPROCAL_TOLERANCE", "assert_fed_steps", "check_fed_steps"]

#: Largest relative gap ``|eps·eps_reciprocal − 1|`` accepted: room for a
#: reciprocal rounded to float32, far below any mistake worth a derivative.
RECIPROCAL_TOLERANCE = 1e-6



def check_fed_steps(x, eps, eps_reciprocal) -> None:
    """Check the fed steps of a difference network, one per sample.

    ``eps`` must be positive, finite and large enough to change every
    component of ``x``; ``eps_reciprocal`` must be ``1/eps`` to
    ``RECIPROCAL_TOLERANCE`` (it is checked, not used: the network divides by
    the step actually taken, ``(x + eps) − x``). Raises ValueError naming the
    input and the first sample that fails.

    Examples
    --------
    >>> import numpy as np
    >>> from finitediff.tf.fed_steps import check_fed_steps
    >>> check_fed_steps(np.array([[1.0]]), np.array([[1e-3]]), np.array([[3.0]]))
    Traceback (most recent call last):
    ...
    ValueError: `eps_reciprocal` must be 1/eps = 1000: sample 0 has 3.0 (eps = 0.001)
    """
    x = np.asarray(x, dtype=np.float64)
    batch = x.shape[0] if x.ndim else 1
    flat = x.reshape(batch, -1)
    eps = np.broadcast_to(np.asarray(eps, dtype=np.float64).reshape(-1, 1), (batch, 1))
    reciprocal = np.broadcast_to(
        np.asarray(eps_reciprocal, dtype=np.float64).reshape(-1, 1), (batch, 1))
    bad = ~(np.isfinite(eps[:, 0]) & (eps[:, 0] > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"`eps` must be positive and finite: sample {i} has eps = "
                         f"{float(eps[i, 0])!r}")
    with np.errstate(over="ignore"):
        unchanged = np.any((flat + eps) - flat <= 0, axis=1)
    if unchanged.any():
        i = int(np.argmax(unchanged))
        raise ValueError(f"`eps` is too small to change x in floating point: sample {i} has "
                         f"eps = {float(eps[i, 0])!r} and max|x| = "
                         f"{float(np.max(np.abs(flat[i])))!r}")
    with np.errstate(all="ignore"):
        gap = np.abs(eps[:, 0] * reciprocal[:, 0] - 1.0)
    mismatch = ~(gap <= RECIPROCAL_TOLERANCE)
    if mismatch.any():
        i = int(np.argmax(mismatch))
        raise ValueError(f"`eps_reciprocal` must be 1/eps = {1.0 / eps[i, 0]:.6g}: sample {i} "
                         f"has {float(reciprocal[i, 0])!r} (eps = {float(eps[i, 0])!r})")


def assert_fed_steps(x, eps, eps_reciprocal):
    """``x`` behind graph assertions of :func:`check_fed_steps` (plain graphs raise
    InvalidArgumentError; XLA drops assertions)."""
    eps = tf.cast(eps, tf.float64)
    flat = tf.reshape(tf.cast(x, tf.float64), (tf.shape(x)[0], -1))
    gap = tf.abs(eps * tf.cast(eps_reciprocal, tf.float64) - 1.0)
    checks = [
        tf.debugging.assert_all_finite(eps, "`eps` must be positive and finite"),
        tf.debugging.assert_positive(eps, message="`eps` must be positive and finite"),
        tf.debugging.assert_positive((flat + eps) - flat,
                                     message="`eps` is too small to change x in floating point"),
        tf.debugging.assert_less_equal(gap, tf.constant(RECIPROCAL_TOLERANCE, tf.float64),
                                       message="`eps_reciprocal` must be 1/eps"),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(x)

"""Batch sizes rounded up to a few fixed sizes, so that XLA compiles a few graphs.

XLA compiles a graph for every concrete input shape it meets (on the 2-CPU
machine of ``benchmarks/keras_gradient.py``, 0.1–0.3 s for an MLP
100-256-256-1, against 5 ms to evaluate it on 600 points), and the
estimators send batches of many sizes: the rounds of a scan, the lines that a
check sends back, one more element pending. A batch padded to the next of a
few fixed sizes reuses a graph already compiled: one row stays one (the
centre of a stencil; a single row takes a faster kernel), 2 to 16 rows go as
16 (a call of 4 rows costs about as much as one of 16: 0.53 and 0.59 ms for
that MLP), and above 16 rows there are sixteen sizes per doubling, at most
1/16 more rows. The pad rows repeat the batch's first point, a point the
model was asked at anyway, and their values are dropped.

>>> [padded_size(n) for n in (1, 3, 16, 17, 100, 600, 601)]
[1, 16, 16, 17, 100, 608, 608]
"""

from __future__ import annotations

import numpy as np

__all__ = ["SIZES_PER_OCTAVE", "padded_size", "pad_rows"]

#: Padded sizes per doubling of the batch above SMALL_BATCH rows (a power of
#: two: the padding adds at most 1/SIZES_PER_OCTAVE of the rows, which the
#: model evaluates for nothing on every call; fewer sizes would mean more
#: rows, more sizes more compilations).
SIZES_PER_OCTAVE = 16
#: Batches of 2 to this many rows (a power of two, at most SIZES_PER_OCTAVE)
#: are padded to this many: the call costs about the same.
SMALL_BATCH = 16


def padded_size(count: int) -> int:
    """The size a batch of ``count`` rows is padded to (``count`` itself if it is one)."""
    if count <= 1:
        return count
    if count <= SMALL_BATCH:
        return SMALL_BATCH
    octave = count.bit_length() - 1  # 2**octave <= count < 2**(octave + 1)
    step = (1 << octave) // SIZES_PER_OCTAVE
    return -(-count // step) * step


def pad_rows(batch: np.ndarray, size: int) -> np.ndarray:
    """``batch`` with copies of its first row appended up to ``size`` rows."""
    count = batch.shape[0]
    if size <= count:
        return batch
    padded = np.empty((size,) + batch.shape[1:], dtype=batch.dtype)
    padded[:count] = batch
    padded[count:] = batch[:1]
    return padded

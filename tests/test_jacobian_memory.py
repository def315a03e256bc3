"""Memory of the default Jacobian: bounded by its output and a chunk of lines,
never by points × directions (issue 9). Nothing here depends on timing."""

import math
import tracemalloc

import numpy as np
import pytest

import finitediff
from finitediff.estimators import fast


def _problem(size: int, outputs: int):
    rng = np.random.default_rng(7)
    matrix = rng.standard_normal((outputs, size)) / math.sqrt(size)
    x = rng.uniform(-2, 2, size)
    return matrix, x, matrix * np.cos(x)


class _Rows:
    """f(points) = sin(points) @ matrix.T, computed point by point (so its values do
    not depend on how the points are batched), with the rows of every call."""

    def __init__(self, matrix):
        self.matrix, self.rows = matrix, []

    def __call__(self, points):
        self.rows.append(len(points))
        return np.stack([self.matrix @ np.sin(point) for point in points])


def test_fast_path_sends_f_chunks_of_bounded_rows(monkeypatch):
    monkeypatch.setattr(fast, "FAST_CHUNK_ELEMENTS", 4000)
    matrix, x, exact = _problem(100, outputs=400)
    f = _Rows(matrix)
    result = finitediff.jacobian(f, x)
    lines_per_chunk = 4000 // 400
    # six points per line, ten lines per chunk; the pilot's calls have fewer rows
    assert max(f.rows) <= 6 * lines_per_chunk
    assert sum(f.rows) == result.nfev >= 6 * 100
    assert np.all(result.success)
    assert np.all(np.abs(result.df - exact) <= result.error)


def test_chunk_size_does_not_change_the_estimates(monkeypatch):
    matrix, x, _ = _problem(60, outputs=50)
    whole = finitediff.jacobian(_Rows(matrix), x)
    monkeypatch.setattr(fast, "FAST_CHUNK_ELEMENTS", 7 * 50)   # 7 lines a chunk, 9 chunks
    chunked = finitediff.jacobian(_Rows(matrix), x)
    for name in ("df", "error", "step", "status"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name))
    assert chunked.nfev == whole.nfev


def test_dense_jacobian_peak_memory_is_a_few_copies_of_its_output(monkeypatch):
    # small chunks, so that the bound is on the arrays of the output's size
    monkeypatch.setattr(fast, "FAST_CHUNK_ELEMENTS", 2**12)
    size = 400
    x = np.random.default_rng(7).uniform(-2, 2, size)

    def f(points):   # output i is sum_{j <= i} sin(x_j): J[i, j] = cos(x_j) for j <= i
        return np.cumsum(np.sin(points), axis=-1)

    exact = np.tril(np.broadcast_to(np.cos(x), (size, size)))
    tracemalloc.start()
    try:
        result = finitediff.jacobian(f, x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the result holds four arrays of the output's size (df, error, step,
    # status); f's values at the six points of every line at once alone would
    # be six of them
    assert peak <= 8 * exact.nbytes, f"peak {peak / exact.nbytes:.1f}× the output"
    assert np.all(result.success)
    assert np.all(np.abs(result.df - exact) <= result.error)


@pytest.mark.parametrize("outputs", [1, 3])
def test_fast_chunks_cover_every_line_once_in_order(outputs):
    count = 10 * fast.FAST_CHUNK_ELEMENTS // outputs + 5
    chunks = [np.arange(count)[chunk] for chunk in fast.fast_chunks(count, outputs)]
    np.testing.assert_array_equal(np.concatenate(chunks), np.arange(count))
    assert max(len(chunk) for chunk in chunks) * outputs <= fast.FAST_CHUNK_ELEMENTS

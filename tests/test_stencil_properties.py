"""Stencil invariants on random offsets: weights sum to zero, moments, exactness, symmetry.

Run with hypothesis (the testing extra); the published weight tables are in test_stencil.py.
"""

from fractions import Fraction as F

import numpy as np
from skips import skip_without

skip_without("testing")

from hypothesis import example, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from finitediff import Stencil, fornberg_weights  # noqa: E402


def _moment(stencil, m):
    return sum(w * F(o) ** m for o, w in zip(stencil.offsets, stencil.exact_weights))


offset_sets = st.lists(
    st.fractions(min_value=-6, max_value=6, max_denominator=4), min_size=2, max_size=7,
    unique=True,
)


@st.composite
def stencils(draw):
    offsets = draw(offset_sets)
    n = draw(st.integers(0, len(offsets) - 1))
    return Stencil(offsets, n)


@given(stencils())
@example(Stencil([-1, 1], 1))
def test_weights_of_derivatives_sum_to_zero(stencil):
    if stencil.n >= 1:
        assert sum(stencil.exact_weights) == 0


@given(stencils())
def test_moment_conditions_hold_exactly(stencil):
    import math

    for m in range(len(stencil.offsets)):
        expected = math.factorial(stencil.n) if m == stencil.n else 0
        assert _moment(stencil, m) == expected


@given(stencils(), st.lists(st.fractions(-3, 3, max_denominator=5), min_size=12, max_size=12))
def test_exact_on_polynomials_below_degree_n_plus_p(stencil, coefficients):
    import math

    if math.isinf(stencil.accuracy):
        return
    degree = stencil.n + stencil.accuracy - 1
    poly = coefficients[: degree + 1]
    value = sum(w * sum(c * F(o) ** k for k, c in enumerate(poly))
                for o, w in zip(stencil.offsets, stencil.exact_weights))
    exact_nth = math.factorial(stencil.n) * (poly[stencil.n] if stencil.n < len(poly) else 0)
    assert value == exact_nth


@given(st.integers(0, 6), st.sampled_from([2, 4, 6, 8]))
def test_central_weights_are_symmetric(n, accuracy):
    stencil = Stencil.central(n, accuracy)
    weights = stencil.exact_weights
    assert weights == tuple((-1) ** n * w for w in reversed(weights))


@given(stencils())
def test_float_algorithm_agrees_with_exact(stencil):
    floats = fornberg_weights([float(o) for o in stencil.offsets], stencil.n)[stencil.n]
    exact = np.array([float(w) for w in stencil.exact_weights])
    scale = max(1.0, float(np.max(np.abs(exact))))
    np.testing.assert_allclose(floats, exact, rtol=0, atol=1e-9 * scale)

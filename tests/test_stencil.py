"""Stencil engine: exact weight tables, accuracy from moments, validation.

Properties on random offsets are in test_stencil_properties.py (they need hypothesis).
"""

from fractions import Fraction as F

import numpy as np
import pytest

from finitediff import Stencil, fornberg_weights

# Fornberg, Math. Comp. 51 (1988), Table 1 (centred) and the one-sided table;
# values as printed there, independent of the algorithm under test.
CENTRAL = {
    (1, 2): [F(-1, 2), 0, F(1, 2)],
    (1, 4): [F(1, 12), F(-2, 3), 0, F(2, 3), F(-1, 12)],
    (1, 6): [F(-1, 60), F(3, 20), F(-3, 4), 0, F(3, 4), F(-3, 20), F(1, 60)],
    (1, 8): [F(1, 280), F(-4, 105), F(1, 5), F(-4, 5), 0, F(4, 5), F(-1, 5), F(4, 105),
             F(-1, 280)],
    (2, 2): [1, -2, 1],
    (2, 4): [F(-1, 12), F(4, 3), F(-5, 2), F(4, 3), F(-1, 12)],
    (2, 6): [F(1, 90), F(-3, 20), F(3, 2), F(-49, 18), F(3, 2), F(-3, 20), F(1, 90)],
    (2, 8): [F(-1, 560), F(8, 315), F(-1, 5), F(8, 5), F(-205, 72), F(8, 5), F(-1, 5),
             F(8, 315), F(-1, 560)],
    (3, 2): [F(-1, 2), 1, 0, -1, F(1, 2)],
    (3, 4): [F(1, 8), -1, F(13, 8), 0, F(-13, 8), 1, F(-1, 8)],
    (3, 6): [F(-7, 240), F(3, 10), F(-169, 120), F(61, 30), 0, F(-61, 30), F(169, 120),
             F(-3, 10), F(7, 240)],
    (4, 2): [1, -4, 6, -4, 1],
    (4, 4): [F(-1, 6), 2, F(-13, 2), F(28, 3), F(-13, 2), 2, F(-1, 6)],
    (4, 6): [F(7, 240), F(-2, 5), F(169, 60), F(-122, 15), F(91, 8), F(-122, 15),
             F(169, 60), F(-2, 5), F(7, 240)],
}
FORWARD = {
    (1, 1): [-1, 1],
    (1, 2): [F(-3, 2), 2, F(-1, 2)],
    (1, 3): [F(-11, 6), 3, F(-3, 2), F(1, 3)],
    (1, 4): [F(-25, 12), 4, -3, F(4, 3), F(-1, 4)],
    (2, 1): [1, -2, 1],
    (2, 2): [2, -5, 4, -1],
    (2, 3): [F(35, 12), F(-26, 3), F(19, 2), F(-14, 3), F(11, 12)],
    (3, 1): [-1, 3, -3, 1],
    (3, 2): [F(-5, 2), 9, -12, 7, F(-3, 2)],
    (4, 1): [1, -4, 6, -4, 1],
    (4, 2): [3, -14, 26, -24, 11, -2],
}


@pytest.mark.parametrize(("n", "accuracy"), sorted(CENTRAL))
def test_central_weights_match_published_table(n, accuracy):
    stencil = Stencil.central(n, accuracy)
    assert stencil.exact_weights == tuple(F(w) for w in CENTRAL[n, accuracy])
    assert stencil.accuracy == accuracy


@pytest.mark.parametrize(("n", "accuracy"), sorted(FORWARD))
def test_forward_weights_match_published_table(n, accuracy):
    stencil = Stencil.forward(n, accuracy)
    assert stencil.offsets == tuple(range(n + accuracy))
    assert stencil.exact_weights == tuple(F(w) for w in FORWARD[n, accuracy])
    assert stencil.accuracy == accuracy


@pytest.mark.parametrize(("n", "accuracy"), sorted(FORWARD))
def test_backward_weights_mirror_forward(n, accuracy):
    stencil = Stencil.backward(n, accuracy)
    mirrored = [(-1) ** n * F(w) for w in reversed(FORWARD[n, accuracy])]
    assert stencil.exact_weights == tuple(mirrored)


def test_staggered_half_grid_weights():
    # Fornberg (1988), Table 2: first derivative at a midpoint.
    assert Stencil([-0.5, 0.5], 1).exact_weights == (-1, 1)
    assert Stencil([-1.5, -0.5, 0.5, 1.5], 1).exact_weights == (
        F(1, 24), F(-9, 8), F(9, 8), F(-1, 24))


def test_fornberg_weights_returns_every_order():
    table = fornberg_weights([-1, 0, 1], 2, exact=True)
    assert table.shape == (3, 3)
    assert list(table[0]) == [0, 1, 0]
    assert list(table[1]) == [F(-1, 2), 0, F(1, 2)]
    assert list(table[2]) == [1, -2, 1]


def test_exact_weights_convert_floats_exactly():
    # 0.1 is not 1/10 in binary; exact arithmetic must use the float's true value.
    table = fornberg_weights([0.0, 0.1], 1, exact=True)
    h = F(0.1)
    assert h != F(1, 10)
    assert list(table[1]) == [-1 / h, 1 / h]


def test_weights_at_another_expansion_point():
    # Interpolating/differentiating at x0 = 1/2 from nodes 0 and 1.
    table = fornberg_weights([0, 1], 1, x0=0.5, exact=True)
    assert list(table[0]) == [F(1, 2), F(1, 2)]
    assert list(table[1]) == [-1, 1]


def test_accuracy_is_derived_from_moments():
    assert Stencil([0, 1, 2], n=1).accuracy == 2
    assert Stencil([-1, 1], n=1).accuracy == 2
    assert Stencil([0, 1], n=1).accuracy == 1
    assert Stencil.central(1).error_coefficient == F(1, 6)
    assert Stencil.central(2).error_coefficient == F(1, 12)
    assert Stencil.central(1, 4).error_coefficient == F(-1, 30)
    assert Stencil.forward(1).error_coefficient == F(1, 2)


def test_stencil_is_a_frozen_hashable_value():
    a, b = Stencil.central(2), Stencil([-1, 0, 1], 2)
    assert a == b and hash(a) == hash(b)
    assert a != Stencil.central(2, 4)
    with pytest.raises(AttributeError):
        a.n = 3
    with pytest.raises(ValueError):
        a.weights[0] = 5.0
    assert {a: 1}[b] == 1


def test_repr_shows_offsets_and_exact_weights():
    assert repr(Stencil.central(1)) == (
        "Stencil(offsets=(-1, 0, 1), n=1, weights=(-1/2, 0, 1/2), accuracy=2)")
    assert "0.5" in repr(Stencil([0, 0.5, 1], 1))


def test_float_weights_are_the_rounded_exact_weights():
    stencil = Stencil.central(4, 6)
    np.testing.assert_array_equal(stencil.weights, [float(w) for w in stencil.exact_weights])


# -- validation ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: Stencil.central(1, 3), ValueError, "`accuracy` of a central stencil must be even"),
        (lambda: Stencil([0, 1, 1], 1), ValueError, "`offsets` must be distinct"),
        (lambda: Stencil([0, 1], 2), ValueError, "at least n \\+ 1 = 3 points"),
        (lambda: Stencil([0, 1], -1), ValueError, "`n` must be >= 0"),
        (lambda: Stencil([0, 1], 1.5), TypeError, "`n` must be an integer"),
        (lambda: Stencil([0, float("nan")], 1), ValueError, "`offsets` must hold finite"),
        (lambda: Stencil(["a", "b"], 1), TypeError, "`offsets` must hold finite"),
        (lambda: Stencil.forward(1, 0), ValueError, "`accuracy` must be >= 1"),
        (lambda: fornberg_weights([0, 1], 3), ValueError, "at least n \\+ 1"),
        (lambda: fornberg_weights([], 0), ValueError, "`offsets` must hold at least one"),
    ],
)
def test_invalid_arguments_name_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()

"""Richardson extrapolation: exactness, convergence order, error estimates, arguments."""

import numpy as np
import pytest

from finitediff import richardson

EPS = np.finfo(np.float64).eps


def central_exp(steps):
    return (np.exp(steps) - np.exp(-steps)) / (2 * steps)


def test_first_column_holds_the_inputs():
    estimates = np.array([3.0, 2.0, 1.5])
    table = richardson(estimates, order=1, gap=1)
    np.testing.assert_array_equal(table.values[:, 0], estimates)


def test_one_column_removes_a_linear_error_term_exactly():
    # T(h) = 5 + 3h: one extrapolation with order 1 recovers 5 exactly.
    steps = 1.0 / 2.0 ** np.arange(4)
    table = richardson(5 + 3 * steps, order=1, gap=1)
    np.testing.assert_allclose(table.values[1:, 1], 5.0, rtol=0, atol=1e-15)


def test_columns_remove_successive_even_terms():
    # T(h) = 1 + h^2 + h^4 + h^6 is exact after three columns with gap 2.
    h = 0.5 / 2.0 ** np.arange(5)
    table = richardson(1 + h**2 + h**4 + h**6, order=2, gap=2)
    np.testing.assert_allclose(table.values[3:, 3], 1.0, rtol=0, atol=1e-14)
    assert abs(table.values[3, 2] - 1.0) > 1e-6  # two columns are not enough


def test_extrapolated_central_difference_converges_to_the_derivative():
    steps = 0.2 / 2.0 ** np.arange(6)
    roundoff = EPS * np.exp(steps) / steps
    value, error, _ = richardson(central_exp(steps), roundoff=roundoff).best()
    assert abs(value - 1.0) <= error
    assert error < 1e-11


def test_undefined_entries_have_infinite_error():
    table = richardson(np.arange(4.0), order=2, gap=2)
    assert np.all(np.isinf(table.errors[0]))
    assert np.isinf(table.errors[1, 2])


def test_nonfinite_estimates_are_never_chosen():
    steps = 0.2 / 2.0 ** np.arange(6)
    estimates = central_exp(steps)
    estimates[:2] = np.nan
    value, error, q = richardson(estimates, roundoff=EPS / steps).best()
    assert np.isfinite(value) and q >= 2
    assert abs(value - 1.0) <= error


def test_coarse_entries_inconsistent_with_finer_ones_are_rejected():
    # A sequence that looks converged at coarse steps but moves at fine ones.
    estimates = np.array([2.0, 2.0, 2.0, 2.0, 1.0001, 1.0000001, 1.0])
    value, error, q = richardson(estimates, order=2, gap=2).best()
    assert q >= 4 and abs(value - 1.0) < 1e-3


def test_elementwise_tables():
    steps = 0.2 / 2.0 ** np.arange(6)
    estimates = np.stack([central_exp(steps), 2 * central_exp(steps)], axis=1)
    roundoff = EPS * np.stack([np.exp(steps) / steps] * 2, axis=1) * 2
    value, error, _ = richardson(estimates, roundoff=roundoff).best()
    assert value.shape == (2,)
    assert np.all(np.abs(value - [1.0, 2.0]) <= error)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"ratio": 1.0}, ValueError, "`ratio` must be > 1"),
        ({"order": 0}, ValueError, "`order` must be >= 1"),
        ({"gap": 1.5}, TypeError, "`gap` must be an integer"),
        ({"columns": 0}, ValueError, "`columns` must be >= 1"),
    ],
)
def test_arguments_are_validated(kwargs, error, match):
    with pytest.raises(error, match=match):
        richardson([1.0, 2.0, 3.0], **kwargs)


def test_best_entry_names_the_chosen_cell_and_its_roundoff():
    steps = 0.2 / 2.0 ** np.arange(8)
    table = richardson(central_exp(steps), roundoff=EPS * np.exp(steps) / steps)
    entry = table.best_entry()
    assert (entry.value, entry.error, entry.q) == table.best()
    assert entry.value == table.values[entry.q, entry.k]
    assert entry.roundoff == table.roundoff[entry.q, entry.k]
    assert entry.k >= 1  # extrapolation beats the raw central difference on exp


def test_ratio_root_two_removes_even_terms():
    # T(h) = 1 + h^2 + h^4 at steps shrinking by √2: exact after two columns.
    h = 0.5 / np.sqrt(2.0) ** np.arange(5)
    table = richardson(1 + h**2 + h**4, ratio=np.sqrt(2.0), order=2, gap=2)
    np.testing.assert_allclose(table.values[2:, 2], 1.0, rtol=0, atol=1e-14)


def test_finest_raw_estimate_is_not_trusted_on_one_neighbour():
    # Its only neighbour is the next coarser raw estimate; at tiny steps the
    # two can agree by accident (quantised round-off), so it gets no error.
    h = 0.5 ** np.arange(6)
    table = richardson(1 + h**2, order=2, gap=2)
    assert np.isinf(table.errors[-1, 0])
    assert np.all(np.isfinite(table.errors[1:-1, 0]))
    assert np.isfinite(table.errors[-1, 1])


def test_step_is_the_deprecated_name_of_gap():
    h = 1.0 / 2.0 ** np.arange(4)
    with pytest.warns(DeprecationWarning, match="`gap=`"):
        table = richardson(5 + 3 * h + h**2, order=1, step=1)
    np.testing.assert_array_equal(table.values, richardson(5 + 3 * h + h**2, order=1,
                                                           gap=1).values)
    assert abs(table.values[2, 2] - 5.0) < 1e-14  # gap 1: h and h^2 both removed


def test_step_and_gap_together_are_refused():
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="pass `gap` only"):
        richardson([1.0, 2.0, 3.0], gap=1, step=1)

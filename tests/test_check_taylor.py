"""The Taylor remainder test: slopes 2 and 3 when right, 1 when the gradient is wrong."""

import numpy as np
import pytest

from finitediff import taylor_test

X = np.array([0.1, 0.2, -0.3])


def f(x):
    return np.sum(np.exp(x) * np.sin(x), axis=-1)


def grad(x):
    return np.exp(x) * (np.sin(x) + np.cos(x))


def hess(x):
    return np.diag(2 * np.exp(x) * np.cos(x))


def test_a_right_gradient_gives_slope_two_within_its_uncertainty():
    result = taylor_test(f, grad, X, seed=0)
    assert result.passed
    assert result.expected == 2
    assert abs(result.slope - 2) <= max(0.1, 3 * result.slope_error)
    start, stop = result.window
    assert stop - start >= 4
    assert np.all(result.remainders[start:stop] > result.floor[start:stop])


def test_a_right_hessian_term_gives_slope_three():
    result = taylor_test(f, grad, X, hess=hess, seed=0)
    assert result.passed and abs(result.slope - 3) < 0.1


@pytest.mark.parametrize("relative", [1e-3, 1e-5, 1e-6])
def test_a_wrong_gradient_gives_slope_one_and_fails(relative):
    result = taylor_test(f, lambda x: grad(x) * (1 + relative), X, seed=0)
    assert result.status == "failed"
    assert abs(result.slope - 1) < 0.1
    assert "the gradient is wrong" in result.message


def test_a_wrong_hessian_term_gives_slope_two_where_three_is_expected():
    result = taylor_test(f, grad, X, hess=lambda x: hess(x) * 1.001, seed=0)
    assert result.status == "failed" and abs(result.slope - 2) < 0.1
    assert "the Hessian is wrong" in result.message


def test_the_window_is_found_from_the_data_not_fixed():
    # a large curvature moves the h² regime to small steps: the window follows it
    steep = taylor_test(lambda x: np.sum(np.exp(40 * x), axis=-1),
                        lambda x: 40 * np.exp(40 * x), [0.0], direction=[1.0])
    mild = taylor_test(f, grad, X, seed=0)
    assert steep.passed and mild.passed
    assert steep.steps[steep.window[0]] < mild.steps[mild.window[0]]


def test_a_linear_function_is_at_round_off_everywhere_and_passes():
    result = taylor_test(lambda x: np.sum(3 * x, axis=-1), lambda x: np.full_like(x, 3.0), X,
                         seed=0)
    assert result.passed and result.window == (0, 0)
    assert "round-off for every step" in result.message


def test_an_explicit_direction_and_gradient_values_are_used_as_given():
    result = taylor_test(f, grad(X), X, direction=[0.0, 1.0, 0.0])
    assert result.passed
    np.testing.assert_array_equal(result.direction, [0.0, 1.0, 0.0])


def test_the_table_prints_every_step_and_marks_the_window():
    result = taylor_test(f, grad, X, seed=0)
    lines = str(result).splitlines()
    assert lines[0].startswith("Taylor test passed")
    marked = [line for line in lines if line.endswith(" *")]
    assert len(marked) == result.window[1] - result.window[0]


def test_plot_returns_a_figure_and_saves_it(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    path = tmp_path / "taylor.png"
    figure = taylor_test(f, grad, X, seed=0).plot(path)
    assert isinstance(figure, Figure)
    assert path.stat().st_size > 1000


@pytest.mark.parametrize("options, error, match", [
    ({"direction": [0.0, 0.0, 0.0]}, ValueError, "`direction` must be a non-zero array"),
    ({"direction": [1.0]}, ValueError, "`direction` must be a non-zero array"),
    ({"hess": np.eye(2)}, ValueError, "`hess` must have shape x.shape"),
])
def test_bad_arguments_are_named(options, error, match):
    with pytest.raises(error, match=match):
        taylor_test(f, grad, X, **options)


def test_a_numpy_function_needs_its_gradient():
    with pytest.raises(TypeError, match="`grad` is required"):
        taylor_test(f, None, X)

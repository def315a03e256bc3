"""`finitediff check MODEL.keras --at INPUT.npy`: exit 0 passes, 1 fails, 2 bad files."""

import sys
import zipfile

import numpy as np
import pytest
from cli_run import assert_usage_error, run, strict_json
from skips import needs


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Saved models (built once) and inputs; the models need TensorFlow."""
    folder = tmp_path_factory.mktemp("check")
    np.save(folder / "x.npy", np.array([0.1, -0.2, 0.3]))
    np.save(folder / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (folder / "text.npy").write_text("not an array")
    (folder / "corrupt.keras").write_bytes(b"not a zip archive")
    with zipfile.ZipFile(folder / "empty.keras", "w") as archive:
        archive.writestr("nothing.txt", "no model here")
    return folder


@pytest.fixture(scope="module")
def models(files):
    pytest.importorskip("tensorflow", reason="needs tensorflow: pip install 'finitediff[tf]'")
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,), dtype="float64")
    hidden = keras.layers.Dense(8, activation="tanh", dtype="float64")(inputs)
    keras.Model(inputs, keras.layers.Dense(1, dtype="float64")(hidden)).save(
        files / "model.keras")
    product = keras.layers.Lambda(lambda t: t[:, :1] * t[:, 1:2], dtype="float64")(inputs)
    keras.Model(inputs, product).save(files / "lambda.keras")
    low = keras.Input((3,))
    keras.Model(low, keras.layers.Dense(1)(keras.layers.Dense(8, activation="tanh")(low))).save(
        files / "float32.keras")
    return files


def check(capsys, folder, model, *extra, at="x.npy"):
    return run(capsys, "check", str(folder / model), "--at", str(folder / at), *extra)


@needs("tf")
def test_a_correct_model_passes_with_exit_0(capsys, models):
    status, out, err = check(capsys, models, "model.keras", "--orders", "1,2")
    assert status == 0, err
    assert out.startswith("derivative check passed (full, TensorFlow autodiff): 12 entries: "
                          "12 agree")


@needs("tf")
def test_the_report_as_json_parses_and_lists_every_entry(capsys, models):
    status, out, _ = check(capsys, models, "model.keras", "--json")
    report = strict_json(out)
    assert status == 0 and report["passed"] is True
    assert sorted(entry["label"] for entry in report["entries"]) == [
        "df/dx[0]", "df/dx[1]", "df/dx[2]"]
    assert all(entry["verdict"] == "agree" for entry in report["entries"])


@needs("tf")
def test_directional_mode_runs_from_the_command_line(capsys, models):
    status, out, _ = check(capsys, models, "model.keras", "--mode", "directional", "--seed", "3")
    assert status == 0
    assert out.startswith("derivative check passed (directional")


@needs("tf")
def test_a_float32_model_fails_with_exit_1_and_says_why(capsys, models):
    status, out, _ = check(capsys, models, "float32.keras")
    assert status == 1
    assert "FAILED" in out and "precision (fails)" in out


@needs("tf")
def test_a_model_holding_python_code_needs_unsafe(capsys, models):
    status, out, err = check(capsys, models, "lambda.keras")
    assert_usage_error(status, out, err, "holds Python code", "--unsafe")
    status, out, err = check(capsys, models, "lambda.keras", "--unsafe", "--json")
    assert status == 0, err
    # d(x0*x1)/dx = (x1, x0, 0) at (0.1, -0.2, 0.3)
    values = {e["label"]: e["autodiff"] for e in strict_json(out)["entries"]}
    assert values == {"df/dx[0]": -0.2, "df/dx[1]": 0.1, "df/dx[2]": 0.0}


@pytest.mark.parametrize(("model", "at", "fragment"), [
    ("missing.keras", "x.npy", "the model file"),
    ("corrupt.keras", "x.npy", "is not a .keras archive"),
    ("model.keras", "missing.npy", "--at: the input file"),
    ("model.keras", "objects.npy", "is not a readable .npy array"),
    ("model.keras", "text.npy", "is not a readable .npy array"),
])
def test_missing_and_corrupt_files_exit_2_naming_them(capsys, files, model, at, fragment):
    status, out, err = check(capsys, files, model, at=at)
    assert_usage_error(status, out, err, fragment)


@needs("tf")
def test_an_archive_without_a_model_exits_2(capsys, files):
    status, out, err = check(capsys, files, "empty.keras")
    assert_usage_error(status, out, err, "could not load a Keras model from")


def test_without_tensorflow_the_check_names_the_extra(capsys, files, monkeypatch):
    with zipfile.ZipFile(files / "any.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    status, out, err = check(capsys, files, "any.keras")
    assert_usage_error(status, out, err, "pip install 'finitediff[tf]'")

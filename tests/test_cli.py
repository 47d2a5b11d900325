"""The `keras-initact` command line, end to end on tiny grids."""

import glob
import os
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from keras_initact import cli
from keras_initact.study import grid

TINY = ["--dataset", "digits", "--epochs", "1", "--width", "16", "--batch-size", "16",
        "--no-progress"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """One run of `compare` on a 2 x 2 x 1 grid, shared by the tests below."""
    root = tmp_path_factory.mktemp("compare")
    out, export = root / "out", root / "saved_models"
    code = cli.main(["compare", "--inits", "he_normal,lsuv",
                     "--activations", "relu,tanh", "--depths", "2",
                     "--output-dir", str(out), "--export-dir", str(export),
                     "--seed", "3", *TINY])
    return code, out, export


def test_compare_writes_the_table_and_csv(compared, capsys):
    code, out, _ = compared
    assert code == 0
    table = pd.read_csv(out / "results.csv")
    assert list(zip(table["init"], table["activation"], table["depth"])) == [
        ("he_normal", "relu", 2), ("he_normal", "tanh", 2),
        ("lsuv", "relu", 2), ("lsuv", "tanh", 2)]
    assert (table["status"] == "ok").all()
    assert table["final_test_accuracy"].between(0.3, 1.0).all()  # 10 classes
    assert (table["best_test_accuracy"] >= table["final_test_accuracy"]).all()
    assert (table["wall_time_s"] > 0).all()
    relu = table[table["activation"] == "relu"]["dead_fraction"]
    assert relu.between(0, 1).all()
    assert table[table["activation"] == "tanh"]["dead_fraction"].isna().all()
    markdown = (out / "results.md").read_text()
    assert markdown.startswith("| init") and markdown.count("\n") == 6


def test_compare_draws_png_figures(compared):
    _, out, _ = compared
    for name in ("learning_curves.png", "accuracy_heatmap.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_logs_one_tensorboard_run_per_cell(compared):
    from keras_initact.reporting import read_logs

    _, out, _ = compared
    runs = sorted(os.listdir(out / "logs"))
    assert runs == ["he_normal-relu-d2", "he_normal-tanh-d2",
                    "lsuv-relu-d2", "lsuv-tanh-d2"]
    for run in runs:
        for part in ("train", "validation", "layer_stats/heatmaps",
                     "layer_stats/00-dense_0"):
            assert glob.glob(str(out / "logs" / run / part / "events.out.tfevents.*"))
    stats = read_logs(str(out / "logs" / "lsuv-tanh-d2"))
    assert {"kernel_std", "kernel_gradient_norm", "activation_std"} <= set(
        stats["statistic"])


def test_compare_exports_the_best_model_for_serving(compared):
    _, out, export = compared
    table = pd.read_csv(out / "results.csv")
    best = table.loc[table["final_test_accuracy"].idxmax()]
    name = f"{best['init']}_{best['activation']}_d2"
    assert os.listdir(export) == [name]
    served = tf.saved_model.load(str(export / name / "1"))
    model = keras.saving.load_model(out / "best_model.keras")
    x = np.random.default_rng(0).standard_normal((5, 64)).astype("float32")
    probabilities = served.signatures["serving_default"](inputs=x)["predictions"]
    np.testing.assert_allclose(probabilities.numpy(), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_compare_is_reproducible_from_the_seed(compared, tmp_path):
    _, out, _ = compared
    cli.main(["compare", "--inits", "lsuv", "--activations", "tanh", "--depths", "2",
              "--output-dir", str(tmp_path), "--no-export", "--seed", "3", *TINY])
    alone = pd.read_csv(tmp_path / "results.csv")
    grid_row = pd.read_csv(out / "results.csv").iloc[3]
    # The same cell alone and after three others: the same batches, the same model.
    assert alone.loc[0, "final_test_loss"] == pytest.approx(grid_row["final_test_loss"],
                                                            rel=1e-4)


def test_reusing_an_output_dir_warns_about_mixed_logs(tmp_path, capsys):
    (tmp_path / "logs" / "he_normal-relu-d1").mkdir(parents=True)
    cli.main(["compare", "--inits", "he_normal", "--activations", "relu",
              "--depths", "1", "--output-dir", str(tmp_path), "--no-export", *TINY])
    assert "1 cells already have logs" in capsys.readouterr().out


def test_a_failing_cell_does_not_lose_the_others(monkeypatch, tmp_path, capsys):
    build = grid.build_cell_model

    def fail_for_tanh(cell, data, options):
        if cell.activation == "tanh":
            raise RuntimeError("simulated failure")
        return build(cell, data, options)

    monkeypatch.setattr(grid, "build_cell_model", fail_for_tanh)
    code = cli.main(["compare", "--inits", "glorot_uniform", "--activations",
                     "relu,tanh", "--depths", "1", "--output-dir", str(tmp_path),
                     "--no-export", *TINY])
    assert code == 0
    table = pd.read_csv(tmp_path / "results.csv")
    assert list(table["status"]) == ["ok", "failed"]
    assert table.loc[1, "error"] == "RuntimeError: simulated failure"
    assert table.loc[0, "final_test_accuracy"] > 0.3
    assert "failed: glorot_uniform-tanh-d1: RuntimeError: simulated failure" in (
        capsys.readouterr().err)


@pytest.mark.parametrize("arguments, message", [
    (["--inits", "he_norml"], "Unknown initializer 'he_norml'"),
    (["--activations", "relu,rleu"], "Unknown activation 'rleu'"),
    (["--activations", "softmax"], "'softmax' mixes units"),
    (["--depths", "3,x"], "depth must be an int; received 'x'"),
    (["--dataset", "emnist"], "invalid choice: 'emnist'"),
    (["--target", "0"], "target_accuracy must be in (0, 1]"),
    (["--conv-filters", "8"], "--conv-filters needs image data"),
])
def test_bad_arguments_exit_with_code_2_and_say_why(arguments, message, capsys,
                                                    tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", "--dataset", "digits", "--output-dir", str(tmp_path),
                  "--no-progress", *arguments])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


NUMERIC_OPTIONS = {
    "compare": {"--epochs": "a positive integer",
                "--batch-size": "a positive integer",
                "--width": "a positive integer",
                "--limit": "a positive integer",
                "--learning-rate": "a finite number > 0",
                "--target": "a number between 0 and 1",
                "--seed": "an integer"},
    "diagnose": {"--batch-size": "a positive integer", "--seed": "an integer"},
}
BAD_NUMBERS = {"an integer": ["1.5", "x"],
               "a positive integer": ["0", "-5", "2.5", "x"],
               "a finite number > 0": ["0", "-1e-3", "nan", "inf", "x"],
               "a number between 0 and 1": ["-0.1", "1.5", "nan", "x"]}


@pytest.mark.parametrize("command, option, value", [
    (command, option, value)
    for command, options in NUMERIC_OPTIONS.items()
    for option, rule in options.items() for value in BAD_NUMBERS[rule]])
def test_every_numeric_option_refuses_a_bad_number_with_code_2(
        command, option, value, capsys, tmp_path):
    positional = [str(tmp_path / "model.keras")] if command == "diagnose" else []
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, *positional, f"{option}={value}"])
    assert exit_info.value.code == 2
    rule = NUMERIC_OPTIONS[command][option]
    assert (f"argument {option}: expected {rule}; received {value!r}"
            in capsys.readouterr().err)


def test_every_numeric_option_is_checked():
    """No numeric option of any command escapes the table above."""
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, command in commands.items():
        typed = {option for action in command._actions
                 if action.type is not None for option in action.option_strings
                 if option.startswith("--")}
        assert typed == set(NUMERIC_OPTIONS.get(name, {})), name


def test_list_names_initializers_activations_and_aliases(capsys):
    assert cli.main(["list"]) == 0
    text = capsys.readouterr().out
    assert "KaimingNormal  (alias of HeNormal)" in text
    assert "lsuv: orthogonal kernels, then LSUV" in text
    assert "swish  (Swish; silu)" in text
    assert "softmax  (Softmax)  [output head only]" in text


def test_diagnose_a_saved_model(compared, capsys):
    _, out, _ = compared
    assert cli.main(["diagnose", str(out / "best_model.keras"), "--data", "digits"]) == 0
    text = capsys.readouterr().out
    assert "dense_0" in text and "dense_1" in text
    assert "verdict: " in text and "suggestion: " in text


def test_diagnose_rejects_what_it_cannot_read(compared, capsys, tmp_path):
    _, out, _ = compared
    for arguments, message in [
        ([str(tmp_path / "missing.keras")], "no such model file"),
        ([str(out / "best_model.keras"), "--data", "imagenet"],
         "--data must be a dataset"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["diagnose", *arguments])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


def test_python_dash_m_shows_every_command():
    result = subprocess.run([sys.executable, "-m", "keras_initact", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for command in ("compare", "diagnose", "report", "list"):
        assert command in result.stdout

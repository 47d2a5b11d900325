"""The `keras-initact` command line, end to end on tiny grids."""

import glob
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from keras_initact import cli
from keras_initact.study import grid

TINY_AT_ANY_WIDTH = ["--dataset", "digits", "--epochs", "1", "--batch-size", "16",
                     "--no-progress"]
TINY = [*TINY_AT_ANY_WIDTH, "--width", "16"]


GRID = ["--inits", "he_normal,lsuv", "--baseline", "he_normal",
        "--activations", "relu,tanh", "--depths", "2", "--seeds", "3,4"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """One run of `compare` on a 2 x 2 x 1 grid over two seeds, shared by
    the tests below."""
    root = tmp_path_factory.mktemp("compare")
    out, export = root / "out", root / "saved_models"
    code = cli.main(["compare", *GRID, "--output-dir", str(out),
                     "--export-dir", str(export), *TINY])
    return code, out, export


def test_compare_writes_the_table_and_csv(compared, capsys):
    code, out, _ = compared
    assert code == 0
    table = pd.read_csv(out / "results.csv")
    assert list(zip(table["init"], table["activation"], table["seed"])) == [
        ("he_normal", "relu", 3), ("he_normal", "relu", 4),
        ("he_normal", "tanh", 3), ("he_normal", "tanh", 4),
        ("lsuv", "relu", 3), ("lsuv", "relu", 4),
        ("lsuv", "tanh", 3), ("lsuv", "tanh", 4)]
    assert (table["status"] == "ok").all()
    assert table["final_test_accuracy"].between(0.2, 1.0).all()  # chance: 0.1
    assert (table["best_test_accuracy"] >= table["final_test_accuracy"]).all()
    assert (table["wall_time_s"] > 0).all()
    relu = table[table["activation"] == "relu"]["dead_fraction"]
    assert relu.between(0, 1).all()
    assert table[table["activation"] == "tanh"]["dead_fraction"].isna().all()
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["runs"]) == [2, 2, 2, 2]
    assert (summary["final_test_accuracy_low"]
            <= summary["final_test_accuracy_mean"]).all()
    comparisons = pd.read_csv(out / "comparisons.csv")
    assert list(zip(comparisons["init"], comparisons["activation"],
                    comparisons["pairs"])) == [("lsuv", "relu", 2),
                                               ("lsuv", "tanh", 2)]
    assert set(comparisons["verdict"]) <= {
        "better", "worse", "no detectable difference"}
    markdown = (out / "results.md").read_text()
    assert markdown.startswith("| depth | init | activation | ok/runs")
    assert " ± " in markdown and "Against he_normal (paired" in markdown
    assert "Every run:" in markdown


def test_compare_draws_png_figures(compared):
    _, out, _ = compared
    for name in ("learning_curves.png", "accuracy_heatmap.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_logs_one_tensorboard_run_per_cell(compared):
    from keras_initact.reporting import read_logs

    _, out, _ = compared
    runs = sorted(p for p in os.listdir(out / "logs")
                  if os.path.isdir(out / "logs" / p))
    assert runs == [f"{init}-{act}-d2-s{seed}" for init in ("he_normal", "lsuv")
                    for act in ("relu", "tanh") for seed in (3, 4)]
    for run in runs:  # one folder, no sub-runs: the cell's statistics,
        # epoch logs and hparams are all in it
        assert all(p.is_file() for p in (out / "logs" / run).iterdir())
        assert glob.glob(str(out / "logs" / run / "events.out.tfevents.*"))
    stats = read_logs(str(out / "logs" / "lsuv-tanh-d2-s3"))
    assert {"kernel_std", "kernel_gradient_norm", "activation_std",
            "epoch", "across_layers"} <= set(stats["statistic"])
    epochs = stats[stats["statistic"] == "epoch"]
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(
        epochs["name"])


def experiment_of(log_dir):
    """The study's HParams configuration, as TensorBoard reads it."""
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )
    from tensorboard.plugins.hparams import metadata

    root = EventAccumulator(str(log_dir))
    root.Reload()
    return metadata.parse_experiment_plugin_data(
        root.PluginTagToContent("hparams")[metadata.EXPERIMENT_TAG])


def test_every_run_carries_its_hparams_for_tensorboard(compared):
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )
    from tensorboard.plugins.hparams import metadata

    _, out, _ = compared
    experiment = experiment_of(out / "logs")
    # What varies (init, activation, seed), then constants up to the 5
    # that TensorBoard shows before others are ticked.
    assert [h.name for h in experiment.hparam_infos] == [
        "init", "activation", "depth", "seed", "epochs"]
    assert [m.name.tag for m in experiment.metric_infos] == [
        "final_test_accuracy", "best_test_accuracy", "final_test_loss",
        "epochs_to_target"]
    run = EventAccumulator(str(out / "logs" / "lsuv-relu-d2-s4"))
    run.Reload()
    session = metadata.parse_session_start_info_plugin_data(
        run.PluginTagToContent("hparams")[metadata.SESSION_START_INFO_TAG])
    assert session.hparams["init"].string_value == "lsuv"
    assert session.hparams["seed"].number_value == 4
    assert session.group_name == "lsuv-relu-d2-s4"
    table = pd.read_csv(out / "results.csv")
    expected = table[(table["init"] == "lsuv") & (table["activation"] == "relu")
                     & (table["seed"] == 4)]["final_test_accuracy"].item()
    final = run.Tensors("final_test_accuracy")[-1]
    assert tf.make_ndarray(final.tensor_proto) == pytest.approx(expected)


def test_a_width_study_sweeps_widths_learning_rates_and_parametrizations(
        tmp_path):
    """8 runs: 2 widths x 2 learning rates x standard and μP."""
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )
    from tensorboard.plugins.hparams import metadata

    out = tmp_path / "widths"
    code = cli.main(["compare", "--inits", "he_normal", "--baseline",
                     "he_normal", "--activations", "relu", "--depths", "1",
                     "--widths", "8,32", "--learning-rates", "1e-3,1e-2",
                     "--parametrization", "standard,mup", "--output-dir",
                     str(out), "--no-export",
                     *TINY_AT_ANY_WIDTH])
    assert code == 0
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 8 and (table["status"] == "ok").all()
    assert sorted(set(zip(table["width"], table["learning_rate"],
                          table["parametrization"]))) == sorted(
        (w, r, p) for w in (8, 32) for r in (1e-3, 1e-2)
        for p in ("standard", "mup"))
    assert set(table[table["parametrization"] == "mup"]["base_width"]) == {8}
    assert (out / "loss_vs_learning_rate.png").stat().st_size > 10_000
    runs = sorted(os.listdir(out / "logs"))
    assert "he_normal-relu-d1-w32-lr0.01-mup8-s0" in runs
    assert len([r for r in runs if (out / "logs" / r).is_dir()]) == 8
    run = EventAccumulator(str(out / "logs" /
                               "he_normal-relu-d1-w32-lr0.01-mup8-s0"))
    run.Reload()
    session = metadata.parse_session_start_info_plugin_data(
        run.PluginTagToContent("hparams")[metadata.SESSION_START_INFO_TAG])
    assert session.hparams["width"].number_value == 32
    assert session.hparams["learning_rate"].number_value == 0.01
    assert session.hparams["parametrization"].string_value == "mup"
    experiment = experiment_of(out / "logs")
    assert [h.name for h in experiment.hparam_infos] == [
        "init", "activation", "width", "learning_rate", "parametrization"]


def best_run(table):
    """The run `compare` exports: of the cell with the highest mean final
    test accuracy over its seeds, the run closest to that mean."""
    cells = table.groupby(["init", "activation", "depth"], sort=False)
    means = cells["final_test_accuracy"].mean()
    init, activation, depth = means.idxmax()
    runs = table[(table["init"] == init) & (table["activation"] == activation)
                 & (table["depth"] == depth)]
    distance = (runs["final_test_accuracy"] - means.max()).abs()
    return runs.loc[distance.idxmin()]


def test_compare_exports_the_best_model_for_serving(compared):
    _, out, export = compared
    best = best_run(pd.read_csv(out / "results.csv"))
    name = f"{best['init']}_{best['activation']}_d2_s{best['seed']}"
    assert os.listdir(export) == [name]
    served = tf.saved_model.load(str(export / name / "1"))
    model = keras.saving.load_model(out / "best_model.keras")
    x = np.random.default_rng(0).standard_normal((5, 64)).astype("float32")
    probabilities = served.signatures["serving_default"](inputs=x)["predictions"]
    np.testing.assert_allclose(probabilities.numpy(), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_compare_is_reproducible_from_the_seed(compared, tmp_path):
    _, out, _ = compared
    cli.main(["compare", "--inits", "lsuv", "--baseline", "lsuv",
              "--activations", "tanh", "--depths", "2", "--seeds", "4",
              "--output-dir", str(tmp_path), "--no-export", *TINY])
    alone = pd.read_csv(tmp_path / "results.csv")
    grid_row = pd.read_csv(out / "results.csv").iloc[7]
    # The same cell alone and after seven others: the same batches, the same
    # model.
    assert alone.loc[0, "final_test_loss"] == pytest.approx(
        grid_row["final_test_loss"], rel=1e-4)


def test_the_same_command_again_resumes_and_trains_nothing(compared, capsys):
    _, out, export = compared
    before = pd.read_csv(out / "results.csv")
    code = cli.main(["compare", *GRID, "--output-dir", str(out),
                     "--export-dir", str(export), *TINY])
    assert code == 0
    text = capsys.readouterr().out
    assert "8 of 8 runs already finished, 0 to go" in text
    pd.testing.assert_frame_equal(pd.read_csv(out / "results.csv"), before)
    # Nothing changed, so nothing is exported again.
    [name] = os.listdir(export)
    assert os.listdir(export / name) == ["1"]
    assert f"saved_model: {export / name / '1'}" in text


def test_another_configuration_in_the_same_folder_is_refused(compared, capsys):
    _, out, _ = compared
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", *GRID, "--output-dir", str(out), "--no-export",
                  *TINY[:2], "--epochs", "2", *TINY[4:]])
    assert exit_info.value.code == 2
    error = " ".join(capsys.readouterr().err.split()).partition(
        "compare: error: ")[2]  # after argparse's usage
    assert ("holds a study with another configuration (--epochs: 1 \u2192 "
            "2); its runs cannot be mixed") in error
    assert ("Give a new --output-dir for this study, or that study's "
            "options (--epochs 1) to resume it, or --fresh") in error
    assert "width" not in error and "digits" not in error


def test_a_failed_run_is_retried_on_resume(monkeypatch, tmp_path, capsys):
    build = grid.build_cell_model

    def fail_for_tanh(cell, data, options, initialize=True):
        if cell.activation == "tanh":
            raise RuntimeError("simulated failure")
        return build(cell, data, options, initialize)

    command = ["compare", "--inits", "glorot_uniform", "--activations",
               "relu,tanh", "--depths", "1", "--output-dir", str(tmp_path),
               "--no-export", *TINY]
    monkeypatch.setattr(grid, "build_cell_model", fail_for_tanh)
    assert cli.main(command) == 0
    table = pd.read_csv(tmp_path / "results.csv")
    assert list(table["status"]) == ["ok", "failed"]
    assert table.loc[1, "error"] == "RuntimeError: simulated failure"
    assert table.loc[0, "final_test_accuracy"] > 0.3
    assert "failed: glorot_uniform-tanh-d1-s0: RuntimeError: simulated failure" in (
        capsys.readouterr().err)
    monkeypatch.undo()
    assert cli.main(command) == 0
    assert "1 of 2 runs already finished, 1 to go" in capsys.readouterr().out
    assert list(pd.read_csv(tmp_path / "results.csv")["status"]) == ["ok", "ok"]


def test_the_same_command_without_output_dir_resumes(monkeypatch, tmp_path,
                                                    capsys):
    monkeypatch.chdir(tmp_path)
    command = ["compare", "--inits", "lsuv", "--baseline", "lsuv",
               "--activations", "tanh", "--depths", "1", "--no-export",
               *TINY]
    assert cli.main(command) == 0
    [folder] = os.listdir(tmp_path / "runs")
    assert re.fullmatch(r"compare-digits-[0-9a-f]{8}", folder)
    first = capsys.readouterr().out
    resume = (f"resume, or grow the grid (more seeds, inits, ...): "
              f"keras-initact {' '.join(command)} --output-dir "
              f"{os.path.join('runs', folder)}")
    assert resume in first
    assert cli.main(command) == 0
    again = capsys.readouterr().out
    assert f"resuming {os.path.join('runs', folder)}: 1 of 1 runs already "\
        "finished, 0 to go" in again and resume in again


def resumed_copy(compared, tmp_path):
    """A copy of the shared study's folder, to damage."""
    import shutil

    _, out, _ = compared
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    return copy


def resume(copy, *extra):
    return cli.main(["compare", *GRID, "--output-dir", str(copy), *extra,
                     *TINY])


def test_a_damaged_record_is_set_aside_and_trained_again(compared, tmp_path,
                                                          capsys):
    copy = resumed_copy(compared, tmp_path)
    cells = copy / "cells"
    truncated = cells / "he_normal-relu-d2-s3.json"
    truncated.write_bytes(truncated.read_bytes()[:40])
    (cells / "lsuv-tanh-d2-s4.json").write_text('{"a": 1}')
    # What a kill in the middle of a write used to leave.
    (cells / ".lsuv-relu-d2-s3.abcd_123.json").write_bytes(b"")
    before = pd.read_csv(copy / "results.csv")
    assert resume(copy, "--no-export") == 0
    captured = capsys.readouterr()
    assert "6 of 8 runs already finished, 2 to go" in captured.out
    err = " ".join(captured.err.split())
    assert (f"keras-initact compare: warning: {truncated} is damaged (not "
            "whole JSON: ") in err
    assert (f"{cells / 'lsuv-tanh-d2-s4.json'} is damaged (not a run's "
            "record: no 'cell' object); set aside as lsuv-tanh-d2-s4.json."
            "damaged, and its run trains again.") in err
    after = pd.read_csv(copy / "results.csv")
    assert (after["status"] == "ok").all()
    columns = ["init", "activation", "seed", "final_test_accuracy"]
    pd.testing.assert_frame_equal(after[columns], before[columns],
                                  rtol=1e-4)
    assert sorted(n for n in os.listdir(cells) if n.endswith("damaged")) == [
        "he_normal-relu-d2-s3.json.damaged", "lsuv-tanh-d2-s4.json.damaged"]
    assert not [n for n in os.listdir(cells) if n.startswith(".")]


def test_unreadable_best_weights_are_named_and_trained_again(
        compared, tmp_path, capsys):
    copy = resumed_copy(compared, tmp_path)
    best = best_run(pd.read_csv(copy / "results.csv"))
    cell = f"{best['init']}-{best['activation']}-d2-s{best['seed']}"
    weights = copy / "cells" / f"{cell}.weights.h5"
    weights.write_bytes(weights.read_bytes()[:1000])
    export = tmp_path / "export"
    assert resume(copy, "--export-dir", str(export)) == 0
    captured = capsys.readouterr()
    err = " ".join(captured.err.split())
    assert (f"keras-initact compare: warning: {weights} is damaged (the "
            "best run's weights: ") in err
    assert (f"set aside as {cell}.json.damaged and {cell}.weights.h5."
            "damaged, and its run trains again.") in err
    model = keras.saving.load_model(copy / "best_model.keras")
    assert model.name == cell.replace("-", "_")
    assert os.listdir(export) == [model.name]
    assert (pd.read_csv(copy / "results.csv")["status"] == "ok").all()


def test_jobs_give_the_numbers_of_the_serial_run(tmp_path):
    command = ["compare", "--inits", "lsuv", "--baseline", "lsuv",
               "--activations", "relu,tanh", "--depths", "1", "--seeds", "0",
               "--no-export", *TINY]
    assert cli.main([*command, "--output-dir", str(tmp_path / "serial")]) == 0
    assert cli.main([*command, "--output-dir", str(tmp_path / "jobs"),
                     "--jobs", "2"]) == 0
    serial = pd.read_csv(tmp_path / "serial" / "results.csv")
    parallel = pd.read_csv(tmp_path / "jobs" / "results.csv")
    columns = ["final_test_accuracy", "best_test_accuracy", "final_test_loss"]
    pd.testing.assert_frame_equal(parallel[columns], serial[columns],
                                  rtol=1e-5)


@pytest.mark.parametrize("arguments, message", [
    (["--inits", "he_norml"], "Unknown initializer 'he_norml'"),
    (["--activations", "relu,rleu"], "Unknown activation 'rleu'"),
    (["--activations", "softmax"], "'softmax' mixes units"),
    (["--depths", "3,x"], "depth must be an int; received 'x'"),
    (["--dataset", "emnist"], "invalid choice: 'emnist'"),
    (["--seeds", "0,x"], "seed must be an int; received 'x'"),
    (["--seeds", "0", "--repeats", "2"], "not allowed with argument"),
    (["--baseline", "he_norml"], "Unknown initializer 'he_norml'"),
    (["--jobs", "2", "--ray", "auto"], "give --jobs or --ray, not both"),
    (["--target", "0"], "target_accuracy must be in (0, 1]"),
    (["--conv-filters", "8"], "--conv-filters needs image data"),
    (["--seeds", "0,0"], "--seeds names 0 twice; give each seed once "
                         "(received 0,0)"),
    (["--seeds", "1,01"], "--seeds names 1 twice ('1' and '01' are the "
                          "same seed)"),
    (["--depths", "3,3"], "--depths names 3 twice"),
    (["--inits", "he_normal,lsuv,he_normal"],
     "--inits names 'he_normal' twice; give each initialization once"),
    (["--activations", "relu,tanh,relu"], "--activations names 'relu' twice"),
    (["--activations", "silu,swish"], "--activations names 'swish' twice "
                                      "('silu' and 'swish' are the same "
                                      "activation)"),
    (["--seeds", "-1"], "seed must be an int between 0 and 4294967295 "
                        "(2**32 - 1), the seeds Keras takes; received -1"),
    (["--seeds", "0,4294967296"], "received 4294967296"),
    (["--seed", "-1"], "--seed -1 --repeats 1 gives the seeds -1 to -1; "
                       "seeds must be between 0 and 4294967295"),
    (["--seed", "4294967295", "--repeats", "2"],
     "gives the seeds 4294967295 to 4294967296"),
])
def test_bad_arguments_exit_with_code_2_and_say_why(arguments, message, capsys,
                                                    tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", "--dataset", "digits", "--output-dir", str(tmp_path),
                  "--no-progress", *arguments])
    assert exit_info.value.code == 2
    assert message in " ".join(capsys.readouterr().err.split())
    assert not os.listdir(tmp_path)  # refused before anything is written


NUMERIC_OPTIONS = {
    "compare": {"--epochs": "a positive integer",
                "--batch-size": "a positive integer",
                "--width": "a positive integer",
                "--limit": "a positive integer",
                "--learning-rate": "a finite number > 0",
                "--target": "a number between 0 and 1",
                "--seed": "an integer",
                "--repeats": "a positive integer",
                "--jobs": "a positive integer",
                "--base-width": "a positive integer"},
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


def test_tensorboard_shows_the_study_as_one_run_per_cell(compared):
    from tensorboard_server import get, layer_index, lines_per_card, serve

    _, out, _ = compared
    cells = [f"{init}-{act}-d2-s{seed}" for init in ("he_normal", "lsuv")
             for act in ("relu", "tanh") for seed in (3, 4)]
    with serve(out / "logs", cells) as base:
        # N cells, N runs, and the experiment's HParams at the root: few
        # enough that TensorBoard selects, and draws, every one.
        assert sorted(get(base, "/data/runs")) == sorted(cells + ["."])
        counts = lines_per_card(base)
        # A card draws a line per cell, whatever it shows.
        for tag in ("across_layers/activation_std_min", "epoch/val_accuracy",
                    "epoch/loss", "final_test_accuracy"):
            assert counts[tag] == len(cells), tag
        assert max(counts.values()) == len(cells)
        for cell in cells:
            assert "dense_1" in layer_index(base, cell)

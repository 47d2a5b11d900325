"""`keras_initact.study.options`: the default output folder follows the
options that define the runs, and only those; the width axes (widths,
learning rates, parametrizations) multiply the grid and are checked."""

import re

import pytest

from keras_initact.study import grid


def test_the_default_folder_follows_the_options_that_define_the_runs():
    from keras_initact.study.comparison import default_output_dir

    spec = {"name": "digits", "data_dir": None, "batch_size": 16,
            "limit": None}
    grid_ = (["lsuv"], ["tanh"], [1], [0], "lsuv")
    folder = default_output_dir(spec, grid.StudyOptions(), *grid_)
    assert folder == default_output_dir(dict(spec), grid.StudyOptions(),
                                        *grid_)
    others = [default_output_dir({**spec, "limit": 10}, grid.StudyOptions(),
                                 *grid_),
              default_output_dir(spec, grid.StudyOptions(epochs=3), *grid_),
              default_output_dir(spec, grid.StudyOptions(), ["lsuv"],
                                 ["tanh"], [1], [0, 1], "lsuv")]
    assert len({folder, *others}) == 4


def test_a_study_without_the_width_axes_keeps_its_folder_and_cells():
    """The folder and cell names of studies made before the width axes."""
    from keras_initact.study.comparison import default_output_dir
    from keras_initact.study.options import CompareOptions

    spec = {"name": "digits", "data_dir": None, "batch_size": 16,
            "limit": None}
    grid_ = (["lsuv"], ["tanh"], [1], [0], "lsuv")
    assert default_output_dir(spec, grid.StudyOptions(), *grid_) == \
        "runs/compare-digits-54328c7b"
    assert default_output_dir(spec, grid.StudyOptions(), *grid_, axes={}) \
        == "runs/compare-digits-54328c7b"
    assert default_output_dir(spec, grid.StudyOptions(), *grid_,
                              axes={"widths": [64, 128]}) != \
        "runs/compare-digits-54328c7b"
    options = CompareOptions(["he_normal"], ["relu"], [30], seeds=[2])
    assert options.axes() == {}
    assert [cell.id for cell in options.cells()] == [
        "glorot_uniform-relu-d30-s2", "he_normal-relu-d30-s2"]


def test_the_width_axes_multiply_the_grid():
    from keras_initact.study.options import CompareOptions

    options = CompareOptions(["he_normal"], ["relu"], [2], widths=[128, 64],
                             learning_rates=["1e-3", 0.01],
                             parametrizations=["standard", "mup"],
                             baseline="he_normal", seeds=[0, 1])
    cells = options.cells()
    assert len(cells) == 2 * 2 * 2 * 2
    assert cells[0] == grid.Cell("he_normal", "relu", 2, 0, 128, 0.001)
    assert cells[3] == grid.Cell("he_normal", "relu", 2, 1, 128, 0.001,
                                 "mup", 64)  # the narrowest width
    assert cells[3].id == "he_normal-relu-d2-w128-lr0.001-mup64-s1"
    assert options.axes() == {"widths": [128, 64],
                              "learning_rates": [0.001, 0.01],
                              "parametrizations": ["standard", "mup"]}
    assert CompareOptions(["he_normal"], ["relu"], [2], widths=[128],
                          parametrizations=["mup"], base_width=32) \
        .cells()[0].base_width == 32


@pytest.mark.parametrize("arguments, message", [
    (dict(parametrizations=["mup"], inits=["lsuv"]),
     "--parametrization mup cannot train lsuv cells"),
    (dict(parametrizations=["mup"], widths=[64, 128], base_width=100),
     "--base-width 100 is wider than the narrowest width, 64"),
    (dict(base_width=64), "--base-width is μP's; give --parametrization mup"),
    (dict(parametrizations=["mu-p"]), "unknown parametrization='mu-p'"),
    (dict(learning_rates=["fast"]), "learning_rate must be a positive "
     "number, such as 3e-4; received 'fast'"),
    (dict(learning_rates=[0.0]), "`learning_rate` must be positive"),
    (dict(widths=[64, 64]), "--widths names 64 twice"),
    (dict(learning_rates=[1e-3, 0.001]), "--learning-rates names 0.001 twice"),
    (dict(parametrizations=["mup", "mup"]), "--parametrization names 'mup' twice"),
    (dict(widths=[0]), "`width` must be a positive integer"),
    (dict(widths=[64], width=32), "give --widths or --width, not both; "
     "received widths=[64] and width=32"),
    (dict(learning_rates=[0.1], learning_rate=0.01),
     "give --learning-rates or --learning-rate, not both"),
])
def test_bad_width_axes_are_refused_naming_the_option(arguments, message):
    from keras_initact.study.options import CompareOptions

    with pytest.raises(ValueError, match=re.escape(message)):
        CompareOptions(**{"inits": ["he_normal"], "activations": ["relu"],
                          "depths": [1], **arguments})


def test_a_grown_grid_replaces_the_hparams_configuration(tmp_path):
    """TensorBoard reads the first experiment file of a folder: a resume
    that grew the grid leaves one, with the new values."""
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )
    from tensorboard.plugins.hparams import metadata

    from keras_initact.study.comparison import write_hparams_config

    options = grid.StudyOptions()
    cells = [grid.Cell("he_normal", "relu", 2, seed) for seed in (0, 1)]
    write_hparams_config(str(tmp_path), cells, options)
    write_hparams_config(str(tmp_path), cells + [
        grid.Cell("lsuv", "relu", 2, 0)], options)
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 1
    root = EventAccumulator(str(tmp_path))
    root.Reload()
    experiment = metadata.parse_experiment_plugin_data(
        root.PluginTagToContent("hparams")[metadata.EXPERIMENT_TAG])
    init = next(h for h in experiment.hparam_infos if h.name == "init")
    assert [v.string_value for v in init.domain_discrete.values] == \
        ["he_normal", "lsuv"]

"""`keras_initact.study.grid`: names checked, folder-safe cell ids, each
cell's model (shaped, DKS, LSUV), dead units, failed and diverged cells
recorded, the best cell on its mean over seeds, and a run's record read
back from JSON or refused with the reason."""

import math
import re

import keras
import numpy as np
import pytest

from keras_initact.study import grid
from keras_initact.study.grid import Cell, CellResult, StudyOptions


class TestGrid:
    def test_names_are_checked_with_the_allowed_ones_listed(self):
        assert grid.check_init("he_normal") == "he_normal"
        assert grid.check_init("lsuv") == "lsuv"
        with pytest.raises(ValueError, match=r"Unknown initializer 'he_norml'.*Did you mean.*Also allowed here: auto, shaped, dks, lsuv"):
            grid.check_init("he_norml")
        assert grid.check_activation("SiLU") == "swish"
        with pytest.raises(ValueError, match=r"'softmax' mixes units.*relu"):
            grid.check_activation("softmax")

    def test_cell_ids_are_folder_safe(self):
        assert Cell("he_normal", "relu", 30, 2).id == "he_normal-relu-d30-s2"
        assert Cell("keras_initact>HeNormal", "relu", 3).id == \
            "keras_initact_HeNormal-relu-d3-s0"

    def test_epochs_to_target(self):
        assert grid.epochs_to([0.5, 0.91, 0.95], 0.9) == 2
        assert grid.epochs_to([0.5, 0.6], 0.9) is None

    def test_dead_fraction_counts_units_dead_on_every_example(self, digits):
        options = StudyOptions(width=16)
        dead = grid.build_cell_model(Cell("zeros", "relu", 2), digits, options)
        assert grid.dead_fraction(dead, digits.probe) == 1.0
        alive = grid.build_cell_model(Cell("he_normal", "relu", 2), digits, options)
        assert grid.dead_fraction(alive, digits.probe) < 0.2
        smooth = grid.build_cell_model(Cell("auto", "tanh", 2), digits, options)
        assert math.isnan(grid.dead_fraction(smooth, digits.probe))

    def test_shaped_and_dks_cells_build_their_shaped_units(self, digits):
        from keras_initact.deep.shaping import dks_transform, tat_transform
        from keras_initact.math.functions import gelu

        options = StudyOptions(width=8)
        expected = {"shaped": tat_transform(gelu, 10),
                    "dks": dks_transform(gelu, 10)}
        for init, transform in expected.items():
            model = grid.build_cell_model(Cell(init, "gelu", 10), digits, options)
            act = model.get_layer("act_4")
            assert act.input_scale == transform.input_scale, init

    def test_lsuv_cells_reach_unit_variance(self, digits):
        model = grid.build_cell_model(Cell("lsuv", "tanh", 3), digits,
                                      StudyOptions(width=32))
        probe = keras.Model(model.inputs, model.get_layer("dense_2").output)
        variance = float(np.var(keras.ops.convert_to_numpy(probe([digits.probe]))))
        assert variance == pytest.approx(1.0, abs=0.1)

    def test_a_failing_cell_is_recorded_not_raised(self, digits, monkeypatch):
        def broken(cell, data, options, initialize=True):
            raise RuntimeError("out of memory (test)")

        monkeypatch.setattr(grid, "build_cell_model", broken)
        result, model = grid.train_cell(Cell("he_normal", "relu", 1), digits,
                                        StudyOptions(epochs=1))
        assert model is None and result.status == "failed"
        assert result.error == "RuntimeError: out of memory (test)"
        assert math.isnan(result.final_accuracy)

    def test_a_diverging_cell_is_recorded_as_diverged(self, digits):
        options = StudyOptions(width=16, epochs=2, learning_rate=1e30,
                               stats_every_n_steps=None)
        result, _ = grid.train_cell(Cell("he_normal", "relu", 2), digits, options)
        assert result.status == "diverged"
        assert grid.best_result([result]) is None

    def test_the_best_model_is_picked_on_the_cells_mean_over_seeds(self):
        def runs(init, accuracies, status="ok"):
            return [CellResult(Cell(init, "relu", 3, seed), status,
                               final_accuracy=accuracy, final_loss=0.3)
                    for seed, accuracy in enumerate(accuracies)]

        lucky = runs("lucky", [0.97, 0.80, 0.81])  # one high test score
        steady = runs("steady", [0.90, 0.93, 0.92])  # the higher mean
        best = grid.best_result(lucky + steady)
        assert best.cell == Cell("steady", "relu", 3, 2)  # nearest 0.917
        assert grid.cell_mean(lucky + steady, best.cell) == (
            pytest.approx(2.75 / 3), 3, 3)
        # A cell whose every run ended ok comes before one that lost a run.
        lost = runs("lost", [0.99, 0.99]) + runs("lost", [0, 0, math.nan],
                                                  "diverged")[2:]
        assert grid.best_result(lost + steady).cell.init == "steady"
        assert grid.best_result(lost).cell == Cell("lost", "relu", 3, 0)

    def test_the_best_result_is_the_most_accurate_ok_cell(self):
        a = CellResult(Cell("a", "relu", 1), "ok", final_accuracy=0.9, final_loss=0.3)
        b = CellResult(Cell("b", "relu", 1), "ok", final_accuracy=0.9, final_loss=0.2)
        c = CellResult(Cell("c", "relu", 1), "failed", error="x")
        assert grid.best_result([a, b, c]) is b
        assert grid.best_result([c]) is None


@pytest.mark.parametrize("values, message", [
    ([1, 2], "a JSON list, not an object"),
    ({"status": "ok"}, "no 'cell' object"),
    ({"cell": "he_normal", "status": "ok"}, "'cell' is 'he_normal'"),
    ({"cell": {"init": "a", "activation": "relu"}, "status": "ok"},
     "'cell' has the keys"),
    ({"cell": {"init": "a", "activation": "relu", "depth": "3"},
      "status": "ok"}, "the cell's 'depth' is '3', not an int"),
    ({"cell": {"init": "a", "activation": "relu", "depth": 3}},
     "no 'status'"),
    ({"cell": {"init": "a", "activation": "relu", "depth": 3},
      "status": "fine"}, "'status' is 'fine', not one of ok, diverged"),
    ({"cell": {"init": "a", "activation": "relu", "depth": 3},
      "status": "ok", "colour": 1}, "unknown keys ['colour']"),
    ({"cell": {"init": "a", "activation": "relu", "depth": 3},
      "status": "ok", "final_accuracy": "high"},
     "'final_accuracy' is 'high', not a number"),
    ({"cell": {"init": "a", "activation": "relu", "depth": 3},
      "status": "ok", "history": {"loss": ["x"]}}, "'history' is not"),
])
def test_a_dict_that_is_not_a_record_is_a_value_error(values, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        CellResult.from_dict(values)


def test_a_record_without_the_width_axes_reads_back_as_before():
    old = {"cell": {"init": "he_normal", "activation": "relu", "depth": 3,
                    "seed": 1}, "status": "ok"}
    cell = CellResult.from_dict(old).cell
    assert cell == Cell("he_normal", "relu", 3, 1)
    assert (cell.width, cell.learning_rate, cell.parametrization) == \
        (None, None, "standard")
    assert cell.id == "he_normal-relu-d3-s1"
    options = StudyOptions(width=32, learning_rate=0.002)
    assert (cell.width_in(options), cell.learning_rate_in(options)) == \
        (32, 0.002)
    wide = Cell("he_normal", "relu", 3, 1, 256, 3e-4, "mup", 64)
    assert CellResult.from_dict(CellResult(wide, "ok").to_dict()).cell == wide
    assert (wide.width_in(options), wide.learning_rate_in(options)) == \
        (256, 3e-4)
    assert grid.setting_label(wide.setting) == \
        "width 256, lr 0.0003, μP (base 64)"


@pytest.mark.parametrize("key, value, message", [
    ("width", "8", "the cell's 'width' is '8', not an int or null"),
    ("learning_rate", "fast", "'learning_rate' is 'fast', not a number"),
    ("base_width", 6.5, "'base_width' is 6.5, not an int or null"),
    ("parametrization", 1, "'parametrization' is 1, not a str"),
])
def test_a_record_with_a_bad_width_axis_is_refused(key, value, message):
    record = {"cell": {"init": "a", "activation": "relu", "depth": 3,
                       key: value}, "status": "ok"}
    with pytest.raises(ValueError, match=re.escape(message)):
        CellResult.from_dict(record)


def test_a_mup_cell_builds_the_mup_model_and_its_optimizer(digits):
    from keras_initact import mup

    cell = Cell("he_normal", "relu", 2, 0, 32, 0.01, "mup", 8)
    options = StudyOptions(width=16)
    model = grid.build_cell_model(cell, digits, options)
    assert [layer.units for layer in model.layers
            if isinstance(layer, keras.layers.Dense)] == [32, 32, 10]
    assert isinstance(model.get_layer("head"), mup.MuReadout)
    assert model.base_shapes["dense_1/kernel"].fan_in_mult == 4.0
    optimizer = grid.optimizer_for(cell, model, options)
    assert isinstance(optimizer, mup.Adam)
    assert optimizer.base_shapes == model.base_shapes
    assert float(optimizer.learning_rate) == pytest.approx(0.01)
    standard = grid.optimizer_for(Cell("he_normal", "relu", 2), model,
                                  StudyOptions(learning_rate=0.005))
    assert type(standard) is keras.optimizers.Adam
    assert float(standard.learning_rate) == pytest.approx(0.005)

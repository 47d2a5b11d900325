"""keras_initact.study: datasets, grid cells and the results they give."""

import math
import os

import keras
import numpy as np
import pytest
import tensorflow_datasets as tfds

from keras_initact.study import datasets, grid, results
from keras_initact.study.grid import Cell, CellResult, StudyOptions


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits", batch_size=32, seed=0)


def first_batch(dataset):
    return next(dataset.train.as_numpy_iterator())


class TestDatasets:
    def test_digits_are_standardized_and_split(self, digits):
        assert (digits.name, digits.input_shape, digits.num_classes) == ("digits", (64,), 10)
        assert (digits.train_size, digits.test_size) == (1347, 450)
        x = np.concatenate([x for x, _ in digits.train.as_numpy_iterator()])
        varying = x.std(axis=0) > 0
        np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-4)
        np.testing.assert_allclose(x.std(axis=0)[varying], 1.0, atol=1e-3)
        assert digits.probe.shape == (256, 64)
        assert digits.notice is None

    def test_every_run_sees_the_seeds_order_whatever_ran_before(self, digits):
        again = datasets.load("digits", batch_size=32, seed=0)
        other = datasets.load("digits", batch_size=32, seed=1)
        first = first_batch(digits)[1]
        np.testing.assert_array_equal(first, first_batch(digits)[1])
        np.testing.assert_array_equal(first, first_batch(again)[1])
        assert not np.array_equal(first, first_batch(other)[1])
        epochs = digits.train.repeat(2)  # reshuffled every epoch
        batches = [y for _, y in epochs.as_numpy_iterator()]
        assert not np.array_equal(batches[0], batches[len(batches) // 2])
        x, y = first_batch(digits)
        assert x.shape == (32, 64) and x.dtype == np.float32 and y.dtype == np.int64

    def test_tfds_mnist_through_tf_data(self):
        with tfds.testing.mock_data(num_examples=40):
            data = datasets.load("mnist", batch_size=16, seed=0)
        assert (data.name, data.input_shape, data.num_classes) == ("mnist", (28, 28, 1), 10)
        assert data.train_size == data.test_size == 40
        x = np.concatenate([x for x, _ in data.train.as_numpy_iterator()])
        assert x.shape == (40, 28, 28, 1)
        assert abs(x.mean()) < 1e-3 and x.std() == pytest.approx(1.0, abs=1e-3)
        assert data.mean.shape == data.std.shape == (1,)

    def test_cifar10_is_standardized_per_channel(self):
        with tfds.testing.mock_data(num_examples=30):
            data = datasets.load("cifar10", batch_size=8, limit=20)
        assert data.input_shape == (32, 32, 3) and data.train_size == 20
        x = np.concatenate([x for x, _ in data.train.as_numpy_iterator()])
        np.testing.assert_allclose(x.mean(axis=(0, 1, 2)), 0.0, atol=1e-3)
        np.testing.assert_allclose(x.std(axis=(0, 1, 2)), 1.0, atol=1e-3)

    def test_auto_is_mnist_when_tfds_provides_it(self):
        with tfds.testing.mock_data(num_examples=20):
            data = datasets.load("auto", batch_size=8)
        assert data.name == "mnist" and data.notice is None

    def test_auto_falls_back_to_digits_with_a_notice(self, monkeypatch, tmp_path):
        monkeypatch.setattr(datasets.socket, "create_connection", _offline)
        data = datasets.load("auto", data_dir=str(tmp_path), batch_size=32)
        assert data.name == "digits"
        assert "MNIST is not available" in data.notice
        assert "unreachable" in data.notice and "--data-dir" in data.notice

    def test_an_unavailable_dataset_is_a_clear_error(self, monkeypatch, tmp_path):
        monkeypatch.setattr(datasets.socket, "create_connection", _offline)
        with pytest.raises(datasets.DatasetUnavailable,
                           match=r"fashion_mnist is not available.*--dataset digits"):
            datasets.load("fashion_mnist", data_dir=str(tmp_path))

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match=r"Unknown dataset 'emnist'; choose one of auto, digits"):
            datasets.load("emnist")
        with pytest.raises(ValueError, match=r"batch_size must be a positive int; received batch_size=0"):
            datasets.load("digits", batch_size=0)


def _offline(*args, **kwargs):
    raise OSError("network is unreachable (test)")


class TestGrid:
    def test_names_are_checked_with_the_allowed_ones_listed(self):
        assert grid.check_init("he_normal") == "he_normal"
        assert grid.check_init("lsuv") == "lsuv"
        with pytest.raises(ValueError, match=r"Unknown initializer 'he_norml'.*Did you mean.*Also allowed here: auto, shaped, lsuv"):
            grid.check_init("he_norml")
        assert grid.check_activation("SiLU") == "swish"
        with pytest.raises(ValueError, match=r"'softmax' mixes units.*relu"):
            grid.check_activation("softmax")

    def test_cell_ids_are_folder_safe(self):
        assert Cell("he_normal", "relu", 30).id == "he_normal-relu-d30"
        assert Cell("keras_initact>HeNormal", "relu", 3).id == "keras_initact_HeNormal-relu-d3"

    def test_epochs_to_target(self):
        assert grid.epochs_to([0.5, 0.91, 0.95], 0.9) == 2
        assert grid.epochs_to([0.5, 0.6], 0.9) is None

    def test_dead_fraction_counts_units_dead_on_every_example(self, digits):
        options = StudyOptions(width=16, seed=0)
        dead = grid.build_cell_model(Cell("zeros", "relu", 2), digits, options)
        assert grid.dead_fraction(dead, digits.probe) == 1.0
        alive = grid.build_cell_model(Cell("he_normal", "relu", 2), digits, options)
        assert grid.dead_fraction(alive, digits.probe) < 0.2
        smooth = grid.build_cell_model(Cell("auto", "tanh", 2), digits, options)
        assert math.isnan(grid.dead_fraction(smooth, digits.probe))

    def test_lsuv_cells_reach_unit_variance(self, digits):
        model = grid.build_cell_model(Cell("lsuv", "tanh", 3), digits,
                                      StudyOptions(width=32, seed=0))
        probe = keras.Model(model.inputs, model.get_layer("dense_2").output)
        variance = float(np.var(keras.ops.convert_to_numpy(probe([digits.probe]))))
        assert variance == pytest.approx(1.0, abs=0.1)

    def test_a_failing_cell_is_recorded_not_raised(self, digits, monkeypatch):
        def broken(cell, data, options):
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

    def test_the_best_result_is_the_most_accurate_ok_cell(self):
        a = CellResult(Cell("a", "relu", 1), "ok", final_accuracy=0.9, final_loss=0.3)
        b = CellResult(Cell("b", "relu", 1), "ok", final_accuracy=0.9, final_loss=0.2)
        c = CellResult(Cell("c", "relu", 1), "failed", error="x")
        assert grid.best_result([a, b, c]) is b
        assert grid.best_result([c]) is None


class TestResults:
    @pytest.fixture
    def cells(self):
        ok = CellResult(Cell("he_normal", "relu", 3), "ok", final_accuracy=0.95,
                        best_accuracy=0.96, final_loss=0.2, epochs_to_target=2,
                        wall_time_s=3.21, dead_fraction=0.05,
                        history={"val_accuracy": [0.8, 0.96, 0.95]})
        failed = CellResult(Cell("lsuv", "tanh", 3), "failed",
                            error="LSUVError: non-finite variance")
        return [ok, failed]

    def test_table_as_markdown_and_csv(self, cells, tmp_path):
        frame = results.results_frame(cells, 0.9)
        assert list(frame["status"]) == ["ok", "failed"]
        assert "epochs_to_0.9" in frame.columns
        markdown, csv = results.write_table(frame, str(tmp_path))
        text = open(markdown).read()
        assert "| he_normal | relu" in text and "0.950" in text
        assert "LSUVError: non-finite variance" in text
        import pandas as pd

        again = pd.read_csv(csv)
        assert again.loc[0, "final_test_accuracy"] == 0.95
        assert math.isnan(again.loc[1, "final_test_accuracy"])
        assert sorted(os.listdir(tmp_path)) == ["results.csv", "results.md"]

    def test_figures_are_pngs(self, cells, tmp_path):
        for plot in (results.plot_learning_curves, results.plot_heatmap):
            path = plot(cells, str(tmp_path / f"{plot.__name__}.png"))
            with open(path, "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        assert len(os.listdir(tmp_path)) == 2  # no temporary files left

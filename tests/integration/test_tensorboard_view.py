"""LayerStats as a person sees it: a real TensorBoard, read over HTTP and in
a headless browser, on models at the scale users train.

A module fixture trains, into one log root:

* `deep/`: the depth-100 factory MLP of `examples/deep_model_in_tensorboard.py`
  (201 layers) with a dying layer (`act_30`) and an exploding one
  (`act_70`) planted, beside Keras's own `TensorBoard` callback: the logs
  of the example's own run (`deep_example_run`, shared with the examples
  test);
* `resnet/`: Keras Applications' ResNet50V2 (`weights=None`, 32x32 inputs,
  192 layers);
* `small_a/` and `small_b/`: two training runs of one small architecture.

then starts `tensorboard --logdir` on 127.0.0.1 and stops it after the
tests. The tests read what TensorBoard's frontend reads: the runs, the
lines each card draws, the layer index, the summary scalars and the heat
maps; the browser tests render the Time Series and Images views in
Debian's Chromium (skipped where it is not installed; CI installs it).
"""

import importlib.util
import pathlib
import re
import shutil
import subprocess
import tempfile
import urllib.parse

import keras
import numpy as np
import pytest

from keras_initact.callbacks import LayerStats
from tensorboard_server import get, layer_index, lines_per_card, serve

ROOT = pathlib.Path(__file__).parents[2]


def _example():
    path = ROOT / "examples" / "deep_model_in_tensorboard.py"
    spec = importlib.util.spec_from_file_location("deep_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _small_run(log_dir, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(128, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((8,))] + [
        keras.layers.Dense(8, activation="relu", name=f"dense_{i}")
        for i in range(3)] + [keras.layers.Dense(2, activation="softmax",
                                                 name="out")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[
        LayerStats(log_dir, probe_data=x[:32], every_n_steps=2)])


def _resnet_run(log_dir):
    model = keras.applications.ResNet50V2(weights=None, input_shape=(32, 32, 3),
                                          classes=10)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((8, 32, 32, 3), dtype=np.float32)
    model.fit(x, np.arange(8) % 10, batch_size=4, epochs=1, verbose=0,
              callbacks=[LayerStats(log_dir, probe_data=x[:4],
                                    every_n_steps=1)])
    return model


@pytest.fixture(scope="module")
def board(tmp_path_factory, deep_example_run):
    root = tmp_path_factory.mktemp("tensorboard_view")
    example = _example()
    result, deep_logs = deep_example_run
    assert result.returncode == 0, result.stderr[-3000:]
    shutil.copytree(deep_logs, root / "deep")
    deep = example.planted_model()  # its layers, as the example built them
    resnet = _resnet_run(str(root / "resnet"))
    _small_run(str(root / "small_a"), 0)
    _small_run(str(root / "small_b"), 1)
    runs = ["deep/layer_stats", "deep/train", "deep/validation",
            "resnet/layer_stats", "small_a/layer_stats", "small_b/layer_stats"]
    with serve(root, runs) as base:
        yield dict(base=base, root=root, runs=runs, example=example,
                   models={"deep": deep, "resnet": resnet})


def test_one_run_per_training_run_whatever_the_depth(board):
    # Ours: one per training run; Keras's TensorBoard adds its own two.
    assert sorted(get(board["base"], "/data/runs")) == sorted(board["runs"])


def test_no_card_draws_more_than_a_line_per_training_run(board):
    counts = lines_per_card(board["base"])
    ours = {tag: n for tag, n in counts.items()
            if tag.split("/")[0] in ("across_layers", "worst_layer")}
    # Every training run draws one line on each summary card: four runs
    # overlay, the deep MLP's and ResNet's included.
    assert ours and set(ours.values()) == {4}
    assert max(counts.values()) <= 12


def test_the_cards_do_not_grow_with_depth(board):
    tags = get(board["base"], "/data/plugin/scalars/tags")
    images = get(board["base"], "/data/plugin/images/tags")
    cards = {run: len(tags[f"{run}/layer_stats"])
             + len(images[f"{run}/layer_stats"])
             for run in ("deep", "resnet", "small_a")}
    # 201 layers, 192 layers and 4 layers: the same handful of cards.
    assert max(cards.values()) <= 20 and cards["deep"] == cards["small_a"]


def test_two_runs_of_one_architecture_share_every_card(board):
    tags = get(board["base"], "/data/plugin/scalars/tags")
    assert set(tags["small_a/layer_stats"]) == set(tags["small_b/layer_stats"])


def test_every_layer_is_in_the_layer_index(board):
    for run, model in board["models"].items():
        index = layer_index(board["base"], f"{run}/layer_stats")
        layers = [layer.name for layer in model.layers
                  if not isinstance(layer, keras.layers.InputLayer)]
        assert len(layers) in (201, 191)
        for position, name in enumerate(layers):
            assert re.search(rf"<td>{position}</td>\s*<td>{name}</td>", index), \
                (run, name)


def _last_value(base, run, tag):
    points = get(base, "/data/plugin/scalars/scalars", run=run, tag=tag)
    return points[-1][2]


def test_the_planted_layers_are_the_worst(board):
    base, example = board["base"], board["example"]
    names = [layer.name for layer in board["models"]["deep"].layers]
    quiet = _last_value(base, "deep/layer_stats",
                        "worst_layer/activation_std_min")
    loud = _last_value(base, "deep/layer_stats",
                       "worst_layer/activation_std_max")
    assert names[int(quiet)] == f"act_{example.DYING}"
    assert names[int(loud)] in (f"dense_{example.EXPLODING}",
                                f"act_{example.EXPLODING}")
    assert _last_value(base, "deep/layer_stats",
                       "across_layers/activation_std_min") < 0.01


def test_heat_maps_are_images_sized_for_a_card(board):
    from keras_initact.events import png_size

    base = board["base"]
    for run in ("deep/layer_stats", "resnet/layer_stats"):
        tags = get(base, "/data/plugin/images/tags")[run]
        assert set(tags) == {"by_layer/activation_std",
                             "by_layer/dead_fraction",
                             "by_layer/gradient_norm",
                             "by_layer/update_ratio"}
        entries = get(base, "/data/plugin/images/images", run=run,
                      tag="by_layer/activation_std")
        png = get(base, "/data/plugin/images/individualImage",
                  **dict(urllib.parse.parse_qsl(entries[-1]["query"])))
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = png_size(png)
        # Time Series fits an image into about 380 x 230 px: a landscape
        # image near that size keeps its 12 px text above 9 px.
        assert min(380 / width, 230 / height) * 12 >= 9


# -- in a browser --------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium (CI installs Debian's package)")


def _chromium(url, *mode, height=2000):
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-webgl",  # else several charts of a study stay blank
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             f"--window-size=1600,{height}", "--virtual-time-budget=25000",
             *mode, url],
            capture_output=True, text=True, timeout=240, check=True).stdout


@needs_chromium
def test_time_series_draws_the_summary_and_heat_maps(board):
    dom = _chromium(f"{board['base']}/#timeseries", "--dump-dom")
    for title in ("across_layers/activation_std_min",
                  "across_layers/dead_fraction_max",
                  "by_layer/activation_std"):
        assert title in dom, title
    assert re.search(r"<img[^>]+(imageData|individualImage)", dom), \
        "no heat map drawn"
    assert "<canvas" in dom or "<svg" in dom, "no chart drawn"


@needs_chromium
def test_screenshots_of_time_series_and_images(board, tmp_path):
    for view in ("timeseries", "images"):
        path = tmp_path / f"{view}.png"
        _chromium(f"{board['base']}/#{view}", f"--screenshot={path}")
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000, view

"""LayerStats as a person sees it: a real TensorBoard, read over HTTP.

A module fixture trains a small MLP with `LayerStats` beside Keras's
`TensorBoard` callback, starts `tensorboard --logdir` on 127.0.0.1 on a
free port, and stops it after the tests. The tests read what TensorBoard's
own frontend reads (`/data/runs`, the scalars, images and custom-scalars
routes) and check the design: one run per layer in depth order, a handful
of tag groups, no model names in tags, the heat maps as images, and a
custom-scalars chart per statistic.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import keras
import numpy as np
import pytest

from keras_initact.callbacks import LayerStats

LAYERS = ["00-dense_1", "01-dense_2", "02-dense_3", "03-out"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(base, route, **query):
    url = f"{base}{route}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
    return body if route.endswith("individualImage") else json.loads(body)


@pytest.fixture(scope="module")
def tensorboard(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("tensorboard_logs")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 16)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((16,))]
        + [keras.layers.Dense(16, activation="relu", name=f"dense_{i}")
           for i in (1, 2, 3)]
        + [keras.layers.Dense(2, activation="softmax", name="out")])
    model.compile("adam", "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=3, verbose=0,
              validation_data=(x[:64], y[:64]), callbacks=[
                  LayerStats(log_dir, probe_data=x[:64], every_n_steps=4),
                  keras.callbacks.TensorBoard(log_dir)])
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(log_dir),
         "--host", "127.0.0.1", "--port", str(port), "--load_fast", "false",
         "--reload_interval", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                runs = _get(base, "/data/runs")
                if f"layer_stats/{LAYERS[-1]}" in runs and \
                        "layer_stats/heatmaps" in runs:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("tensorboard did not come up")
            time.sleep(1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_one_run_per_layer_in_depth_order_beside_keras_runs(tensorboard):
    runs = _get(tensorboard, "/data/runs")
    ours = [run for run in runs if run.startswith("layer_stats/")]
    assert sorted(ours) == [f"layer_stats/{name}" for name in LAYERS] + [
        "layer_stats/heatmaps"]
    assert {"train", "validation"} <= set(runs)


def test_a_handful_of_tag_groups_and_no_model_names(tensorboard):
    tags = _get(tensorboard, "/data/plugin/scalars/tags")
    ours = {tag for run, run_tags in tags.items()
            if run.startswith("layer_stats/") for tag in run_tags}
    assert {tag.split("/")[0] for tag in ours} == {"activation", "kernel",
                                                   "bias"}
    assert len(ours) == 4 + 2 * 5 - 1  # the head has no saturated fraction
    assert not any("sequential" in tag for tag in ours)
    # Keras's own curves, in the runs Keras writes.
    assert "epoch_loss" in tags["train"] and "epoch_loss" in tags["validation"]
    # Each card (a tag) has a line per layer: every layer run has it.
    for name in LAYERS:
        assert "activation/std" in tags[f"layer_stats/{name}"]
        assert "kernel/update_ratio" in tags[f"layer_stats/{name}"]


def test_a_card_has_a_point_per_logging_step_and_finite_values(tensorboard):
    points = _get(tensorboard, "/data/plugin/scalars/scalars",
                  run=f"layer_stats/{LAYERS[0]}", tag="bias/update_ratio")
    steps = [step for _, step, _ in points]
    assert steps == [1, 4, 8, 12, 16, 20, 24]
    assert all(np.isfinite(value) for _, _, value in points)


def test_heat_maps_are_in_the_images_tab(tensorboard):
    tags = _get(tensorboard, "/data/plugin/images/tags")
    assert set(tags["layer_stats/heatmaps"]) == {
        "heatmap/activation_std", "heatmap/dead_fraction",
        "heatmap/kernel_gradient_norm", "heatmap/kernel_update_ratio"}
    entries = _get(tensorboard, "/data/plugin/images/images",
                   run="layer_stats/heatmaps", tag="heatmap/activation_std")
    assert entries and entries[-1]["step"] == 24
    png = _get(tensorboard, "/data/plugin/images/individualImage",
               **dict(urllib.parse.parse_qsl(entries[-1]["query"])))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_custom_scalars_layout_has_a_chart_per_statistic(tensorboard):
    layout = _get(tensorboard, "/data/plugin/custom_scalars/layout")
    charts = {category["title"]: [chart["title"] for chart in category["chart"]]
              for category in layout["category"]}
    assert charts["activation"][:2] == ["activation/mean", "activation/std"]
    assert charts["kernel"] == ["kernel/mean", "kernel/std", "kernel/norm",
                                "kernel/gradient_norm", "kernel/update_ratio"]
    assert set(charts) == {"activation", "kernel", "bias"}

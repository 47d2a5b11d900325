"""`keras_initact.callbacks.layer_stats`: LayerStats's runs and tags, its
values against NumPy, dead units, heat maps, the layer index, resume,
logging steps, mixed precision, XLA, MirroredStrategy, activations of the
training batch without probe data, and bad log folders and layer names."""

import logging
import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from callback_runs import (BATCH, STEPS_PER_EPOCH,
                           _assert_trains_without_traces_of_us, _compiled_mlp,
                           _data, _last, _mlp, _rows)

from keras_initact.callbacks import LayerStats, NonFiniteGuard, _hooks
from keras_initact.reporting import read_logs


pytestmark = pytest.mark.filterwarnings(
    "ignore:The inplace keyword:DeprecationWarning",  # tbparse on pandas 3
    "ignore:The inplace keyword",
)


# -- one training run that several tests inspect ------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    keras.mixed_precision.set_dtype_policy("float32")
    keras.utils.set_random_seed(1)
    log_dir = tmp_path_factory.mktemp("logs")
    x, y = _data()
    probe = x[:16]
    inputs = keras.Input((6,), name="features")
    h = keras.layers.Dense(8, activation="relu", name="relu_dense")(inputs)
    block = keras.Sequential([
        keras.layers.Dense(8, name="inner_dense"),
        keras.layers.BatchNormalization(name="inner_bn"),
    ], name="block")
    h = block(h)
    h = keras.layers.Activation("tanh", name="tanh_act")(h)
    h = keras.layers.Dropout(0.1, name="drop")(h)
    dead = keras.layers.Dense(
        4, activation="relu", name="dead_relu",
        bias_initializer=keras.initializers.Constant(-100.0))(h)
    frozen = keras.layers.Dense(3, name="frozen")
    frozen.trainable = False
    h = keras.layers.Concatenate(name="concat")([h, dead, frozen(h)])
    outputs = keras.layers.Dense(2, activation="softmax", name="out")(h)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy")
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)
    val = tf.data.Dataset.from_tensor_slices((x[:16], y[:16])).batch(BATCH)
    stats = LayerStats(log_dir, probe_data=probe, every_n_steps=2,
                       histograms=True)
    history = model.fit(
        train, validation_data=val, epochs=2, verbose=0, shuffle=False,
        callbacks=[stats, keras.callbacks.TensorBoard(log_dir)])
    table = read_logs(log_dir)
    return dict(model=model, table=table, log_dir=log_dir, probe=probe,
                stats=stats, history=history)


LAYERS = ["relu_dense", "block", "tanh_act", "drop", "dead_relu", "frozen",
          "concat", "out"]


def test_one_run_per_training_run_beside_keras_runs(trained):
    log_dir = pathlib.Path(trained["log_dir"])
    assert sorted(p.name for p in log_dir.iterdir()) == [
        "layer_stats", "train", "validation"]
    run = log_dir / "layer_stats"
    assert [p.is_file() for p in run.iterdir()] == [True]  # no sub-runs
    assert len(list(run.glob("events.out.tfevents*"))) == 1


def _statistics_by_layer(table):
    ours = table[(table["dir_name"] == "layer_stats") & (table["position"] >= 0)]
    return {name: set(rows["statistic"]) for name, rows in ours.groupby("name")}


def test_every_layer_has_its_statistics_by_name_and_position(trained):
    table = trained["table"]
    weight = {f"{w}_{s}" for w in ("kernel", "bias")
              for s in ("mean", "std", "norm", "gradient_norm", "update_ratio")}
    moments = {"activation_mean", "activation_std"}
    expected = {
        # a trainable Dense with a fused ReLU: weights, and its output
        "relu_dense": weight | moments | {"activation_dead_fraction"},
        # a nested model: its trainable weights under their own names
        "block": {f"{w}_{s}" for w in ("kernel", "bias", "gamma", "beta")
                  for s in ("mean", "std", "norm", "gradient_norm",
                            "update_ratio")} | moments,
        "tanh_act": moments | {"activation_saturated_fraction"},
        "drop": moments,
        "dead_relu": weight | moments | {"activation_dead_fraction"},
        # frozen: no trainable weights, so activations only
        "frozen": moments,
        "concat": moments,
        # the softmax head: no saturated fraction (confidence is no fault)
        "out": weight | moments,
    }
    assert _statistics_by_layer(table) == expected
    ours = table[(table["dir_name"] == "layer_stats") & (table["position"] >= 0)]
    positions = dict(zip(ours["name"], ours["position"]))
    assert [positions[name] for name in LAYERS] == list(range(len(LAYERS)))


def test_tags_never_name_the_model_or_a_layer(trained):
    table = trained["table"]
    tags = set(table[table["dir_name"] == "layer_stats"]["tag"])
    groups = {tag.split("/")[0] for tag in tags}
    assert groups == {"across_layers", "worst_layer", "per_layer"}
    assert not any(name in tag for tag in tags for name in
                   LAYERS + ["functional", "model"])


def test_across_layers_points_at_the_worst_layer(trained):
    table = trained["table"]
    ours = table[table["dir_name"] == "layer_stats"]
    summary = ours[ours["position"] < 0].set_index(["tag", "step"])["value"]
    per_layer = ours[ours["position"] >= 0]
    for step in (1, 8):
        at = per_layer[per_layer["step"] == step]
        std = at[at["statistic"] == "activation_std"].set_index("position")[
            "value"]
        assert summary["across_layers/activation_std_min", step] == \
            pytest.approx(std.min(), rel=1e-6)
        assert summary["worst_layer/activation_std_min", step] == std.idxmin()
        assert summary["worst_layer/activation_std_max", step] == std.idxmax()
        # The planted dead layer is the worst, all dead.
        assert summary["across_layers/dead_fraction_max", step] == 1.0
        assert summary["worst_layer/dead_fraction_max", step] == \
            LAYERS.index("dead_relu")
        norms = at[at["statistic"] == "kernel_gradient_norm"].set_index(
            "position")["value"]
        assert summary["across_layers/gradient_norm_max", step] == \
            pytest.approx(norms.max(), rel=1e-6)
        # The dead layer passes no gradient to its kernel.
        assert summary["across_layers/gradient_norm_min", step] == 0.0
        assert summary["worst_layer/gradient_norm_min", step] == \
            LAYERS.index("dead_relu")


def test_histograms_of_activations_and_gradients_only(trained):
    hist = trained["table"].attrs["histograms"]
    assert set(hist["statistic"]) == {"activation", "kernel_gradient",
                                      "bias_gradient", "gamma_gradient",
                                      "beta_gradient"}
    assert set(hist["tag"]) >= {"histograms/000-relu_dense/activation",
                                "histograms/001-block/gamma_gradient"}
    rows = hist[(hist["statistic"] == "activation")
                & (hist["name"] == "relu_dense")]
    bins = rows.sort_values("step")["value"].iloc[-1]
    assert bins.shape == (30, 3) and bins[:, 2].sum() == 16 * 8


def test_logging_steps(trained):
    table = trained["table"]
    assert [int(s) for s in _rows(table, "out", "activation_std")["step"]] \
        == [1, 2, 4, 6, 8]
    assert [int(s) for s in _rows(table, "relu_dense",
                                  "kernel_gradient_norm")["step"]] \
        == [1, 2, 4, 6, 8]


def test_a_healthy_run_logs_no_inf_or_nan(trained):
    table = trained["table"]
    ours = table[table["dir_name"] == "layer_stats"]
    assert np.isfinite(ours["value"]).all()
    # A bias that starts at zero moved by all of its value at step 1.
    ratio = _rows(table, "out", "bias_update_ratio")["value"].iloc[0]
    assert ratio == pytest.approx(1.0)


def test_weight_statistics_equal_numpy(trained):
    model, table = trained["model"], trained["table"]
    for layer, weight in [("relu_dense", "kernel"), ("relu_dense", "bias"),
                          ("out", "kernel")]:
        w = np.asarray(getattr(model.get_layer(layer), weight).numpy(),
                       dtype=np.float64).ravel()
        for stat, value in dict(mean=w.mean(), std=w.std(),
                                norm=np.linalg.norm(w)).items():
            logged, step = _last(table, layer, f"{weight}_{stat}")
            assert step == 8
            np.testing.assert_allclose(logged, value, rtol=1e-4, atol=1e-6,
                                       err_msg=f"{stat} of {layer}/{weight}")
    gamma = model.get_layer("block").get_layer("inner_bn").gamma.numpy()
    logged, _ = _last(table, "block", "gamma_norm")
    np.testing.assert_allclose(logged, np.linalg.norm(gamma), rtol=1e-5)


def test_activation_statistics_equal_numpy(trained):
    model, table = trained["model"], trained["table"]
    for layer_name in ("relu_dense", "block", "tanh_act", "out"):
        layer = model.get_layer(layer_name)
        y = keras.Model(model.inputs[0], layer.output)(
            trained["probe"], training=False)
        y = np.asarray(y, dtype=np.float64)
        for stat, value in dict(mean=y.mean(), std=y.std()).items():
            logged, step = _last(table, layer_name, f"activation_{stat}")
            assert step == 8
            np.testing.assert_allclose(logged, value, rtol=1e-4, atol=1e-6)
    y = np.asarray(keras.Model(model.inputs[0], model.get_layer(
        "relu_dense").output)(trained["probe"]))
    logged, _ = _last(table, "relu_dense", "activation_dead_fraction")
    np.testing.assert_allclose(logged, np.mean(y <= 0), atol=1e-6)
    y = np.asarray(keras.Model(model.inputs[0], model.get_layer(
        "tanh_act").output)(trained["probe"]))
    logged, _ = _last(table, "tanh_act", "activation_saturated_fraction")
    np.testing.assert_allclose(logged, np.mean(np.abs(y) >= 0.99), atol=1e-6)


def test_dead_relu_layer_is_all_dead(trained):
    rows = _rows(trained["table"], "dead_relu", "activation_dead_fraction")
    assert len(rows) == 5
    np.testing.assert_array_equal(rows["value"].to_numpy(), 1.0)


def test_heatmaps_are_images_in_the_run(trained):
    from tbparse import SummaryReader

    reader = SummaryReader(str(trained["log_dir"]), pivot=False,
                           extra_columns={"dir_name"})
    images = reader.tensors[reader.tensors["tag"].str.startswith("by_layer/")]
    assert set(images["tag"]) == {
        "by_layer/activation_std", "by_layer/dead_fraction",
        "by_layer/gradient_norm", "by_layer/update_ratio"}
    assert set(images["dir_name"]) == {"layer_stats"}
    last = images[images["tag"] == "by_layer/activation_std"] \
        .sort_values("step")["value"].iloc[-1]
    png = last[2]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int(last[0]), int(last[1])) == (440, 250)  # width, height


def test_the_layer_index_is_a_text(trained):
    from tbparse import SummaryReader

    text = SummaryReader(str(trained["log_dir"] / "layer_stats")).text
    index = text[text["tag"] == "layers"]["value"].iloc[0]
    for position, name in enumerate(LAYERS):
        assert f"| {position} | {name} |" in index


def test_a_custom_scalars_chart_per_summary(trained):
    from tbparse import SummaryReader
    from tensorboard.plugins.custom_scalar import layout_pb2

    tensors = SummaryReader(str(trained["log_dir"] / "layer_stats")).tensors
    layout = layout_pb2.Layout.FromString(
        tensors[tensors["tag"] == "custom_scalars__config__"]["value"].iloc[0])
    titles = {category.title: [chart.title for chart in category.chart]
              for category in layout.category}
    assert titles == {"across_layers": [
        "across_layers/activation_std_min", "across_layers/activation_std_max",
        "across_layers/dead_fraction_max",
        "across_layers/saturated_fraction_max",
        "across_layers/gradient_norm_min", "across_layers/gradient_norm_max",
        "across_layers/update_ratio_max"]}


def test_epoch_logs_make_one_run_hold_everything(tmp_path):
    x, y = _data()
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0,
              validation_data=(x[:8], y[:8]), callbacks=[LayerStats(
                  tmp_path, probe_data=x[:8], subdir="", epoch_logs=True)])
    assert [p.is_file() for p in tmp_path.iterdir()] == [True]
    table = read_logs(tmp_path)
    epochs = table[table["statistic"] == "epoch"]
    assert set(epochs["name"]) == {"loss", "accuracy", "val_loss",
                                   "val_accuracy"}
    assert sorted(set(epochs["step"])) == [0, 1]


def test_hooks_removed_after_training(trained):
    opt = trained["model"].optimizer
    assert "_distributed_tf_update_step" not in vars(opt)
    assert opt not in _hooks._HOOKS


# -- gradients ----------------------------------------------------------------

def test_gradient_statistics_equal_numpy(tmp_path):
    keras.utils.set_random_seed(2)
    x, y = _data(n=BATCH)
    model = _mlp()
    lr = 0.05
    model.compile(keras.optimizers.SGD(lr), "sparse_categorical_crossentropy")
    before = [v.numpy().copy() for v in model.trainable_weights]
    with tf.GradientTape() as tape:
        loss = keras.losses.sparse_categorical_crossentropy(
            y, model(x, training=True))
        loss = tf.reduce_mean(loss)
    grads = [g.numpy() for g in tape.gradient(loss, model.trainable_weights)]
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0,
              callbacks=[LayerStats(tmp_path, every_n_steps=1, probe_data=x)])
    table = read_logs(tmp_path)
    for variable, g, w in zip(model.trainable_weights, grads, before):
        layer, weight = variable.path.split("/")[-2:]
        g64 = g.astype(np.float64).ravel()
        logged, step = _last(table, layer, f"{weight}_gradient_norm")
        assert step == 1
        np.testing.assert_allclose(logged, np.linalg.norm(g64), rtol=1e-4)
        # SGD: dW = -lr g; the ratio's denominator is the larger norm.
        ratio, _ = _last(table, layer, f"{weight}_update_ratio")
        after = w - lr * g
        np.testing.assert_allclose(
            ratio, lr * np.linalg.norm(g64) / max(np.linalg.norm(w),
                                                  np.linalg.norm(after)),
            rtol=1e-4)


def test_resume_continues_steps(tmp_path):
    keras.utils.set_random_seed(3)
    x, y = _data()
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0,
              callbacks=[LayerStats(tmp_path, probe_data=x[:8],
                                    every_n_steps=3)])
    model.fit(x, y, batch_size=BATCH, epochs=4, initial_epoch=2, verbose=0,
              callbacks=[LayerStats(tmp_path, probe_data=x[:8],
                                    every_n_steps=3)])
    table = read_logs(tmp_path)
    for statistic in ("activation_std", "kernel_mean",
                      "kernel_gradient_norm", "bias_update_ratio"):
        steps = [int(s) for s in _rows(table, "hidden", statistic)["step"]]
        assert steps == [1, 3, 6, 9, 12, 15], (statistic, steps)
    # One run: each fit appends an event file to it.
    assert len(list((tmp_path / "layer_stats").glob("events*"))) == 2


def test_every_n_epochs(tmp_path):
    x, y = _data()
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0,
              callbacks=[LayerStats(tmp_path, probe_data=x[:8],
                                    every_n_steps=None, every_n_epochs=1)])
    table = read_logs(tmp_path)
    for statistic in ("kernel_gradient_norm", "activation_std", "kernel_mean"):
        steps = [int(s) for s in _rows(table, "out", statistic)["step"]]
        assert steps == [1, 1 + STEPS_PER_EPOCH], statistic
    assert not len(table.attrs["histograms"])  # off by default


def test_xla_and_mixed_precision(tmp_path):
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    x, y = _data()
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy",
                  jit_compile=True)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    guard = NonFiniteGuard(probe_data=x[:8])
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[
        LayerStats(tmp_path, probe_data=x[:8], every_n_steps=2,
                   jit_compile=True, histograms=True), guard])
    assert guard.failure is None
    table = read_logs(tmp_path)
    norms = table[table["statistic"] == "kernel_gradient_norm"]["value"]
    assert len(norms) and np.isfinite(norms).all()
    # Unscaled: the loss scale (32768 at the start) is divided out.
    assert norms.max() < 100
    std = _rows(table, "hidden", "activation_std")["value"]
    assert len(std) == 5 and (std > 0).all()


def test_the_train_function_is_traced_once_per_fit(tmp_path, monkeypatch):
    """Logging and plain steps share one train function: no second trace
    for the logging steps, and none per epoch."""
    from keras_initact.callbacks import layer_stats

    traces = []
    original = layer_stats.LayerStats.wrap

    def counting(self, opt, update_fn):
        hooked = original(self, opt, update_fn)

        def counted(*args):
            traces.append(1)
            return hooked(*args)

        return counted

    monkeypatch.setattr(layer_stats.LayerStats, "wrap", counting)
    x, y = _data()
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=BATCH, epochs=3, verbose=0, callbacks=[
        LayerStats(tmp_path, probe_data=x[:8], every_n_steps=2)])
    assert len(traces) == 1


def test_a_log_dir_that_is_not_a_path_is_refused():
    with pytest.raises(TypeError, match="`log_dir` must be a folder path"):
        LayerStats(3)


def test_an_unwritable_log_dir_is_named_before_training(tmp_path):
    x, y = _data()
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    model = _compiled_mlp()
    before = [w.numpy().copy() for w in model.weights]
    with pytest.raises(NotADirectoryError,
                       match=r"LayerStats: cannot write to .*a_file/logs"):
        model.fit(x, y, batch_size=BATCH, verbose=0,
                  callbacks=[LayerStats(a_file / "logs")])
    for weight, value in zip(model.weights, before):
        np.testing.assert_array_equal(weight.numpy(), value)
    _assert_trains_without_traces_of_us(model, x, y)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes through chmod")
def test_a_read_only_log_dir_is_a_permission_error(tmp_path):
    x, y = _data()
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="LayerStats: cannot write"):
            _compiled_mlp().fit(x, y, batch_size=BATCH, verbose=0,
                                callbacks=[LayerStats(read_only)])
    finally:
        read_only.chmod(0o700)


def test_unknown_layer_names_are_refused(tmp_path):
    x, y = _data()
    with pytest.raises(ValueError, match=r"`layers` names \['hiden'\], which "
                                         r"model 'mlp' does not have"):
        _compiled_mlp().fit(x, y, batch_size=BATCH, verbose=0, callbacks=[
            LayerStats(tmp_path, probe_data=x[:8], layers=["hiden"])])


# -- MirroredStrategy, two logical CPUs, in a fresh interpreter ---------------

DISTRIBUTED = textwrap.dedent("""
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    from keras_initact.callbacks import LayerStats, NonFiniteGuard
    log_dir = sys.argv[1]
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    with strategy.scope():
        model = keras.Sequential([
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(2, activation="softmax", name="out")])
        model.compile(keras.optimizers.SGD(0.1),
                      "sparse_categorical_crossentropy")
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    w0 = [v.numpy().copy() for v in model.trainable_weights]
    stats = LayerStats(log_dir, probe_data=x[:16], every_n_steps=2)
    guard = NonFiniteGuard()
    model.fit(ds, epochs=2, verbose=0, shuffle=False,
              callbacks=[stats, guard])
    assert guard.failure is None
    # The first captured gradient is the all-reduced one: compare with the
    # gradient of the whole first batch on a single device.
    clone = keras.Sequential([keras.Input((6,)),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    clone.set_weights(w0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
            y[:16], clone(x[:16])))
    g = tape.gradient(loss, clone.trainable_weights)
    np.save(os.path.join(log_dir, "grad_norms.npy"),
            np.array([np.linalg.norm(t.numpy()) for t in g]))
    print("names", ",".join(v.path.rsplit("/", 2)[-2] + "_"
                            + v.path.rsplit("/", 1)[-1]
                            for v in model.trainable_weights))
""")


def test_mirrored_strategy_two_cpus(tmp_path):
    script = tmp_path / "distributed.py"
    script.write_text(DISTRIBUTED)
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    result = subprocess.run([sys.executable, str(script), str(log_dir)],
                            capture_output=True, text=True, timeout=240,
                            env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = {p.parent.name for p in log_dir.rglob("events.out.tfevents*")}
    assert runs == {"layer_stats"}
    table = read_logs(log_dir)
    names = result.stdout.split("names ")[1].strip().split(",")
    expected = np.load(log_dir / "grad_norms.npy")
    for name, norm in zip(names, expected):
        layer, weight = name.split("_")
        rows = _rows(table, layer, f"{weight}_gradient_norm")
        assert [int(s) for s in rows["step"]] == [1, 2, 4, 6, 8]
        np.testing.assert_allclose(rows["value"].iloc[0], norm, rtol=1e-4)
    assert [int(s) for s in _rows(table, "hidden", "activation_std")["step"]
            ] == [1, 2, 4, 6, 8]


def test_an_interrupted_fit_keeps_every_step_measured(tmp_path):
    """Ctrl-C in the middle of a train step: what was measured before it
    is on disk, and the model trains normally afterwards."""
    x, y = _data()
    model = _mlp()
    calls = {"n": 0}

    def interrupted_at_step_4(y_true, y_pred):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    model.compile("adam", interrupted_at_step_4, run_eagerly=True)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0,
                  callbacks=[LayerStats(tmp_path, probe_data=x[:8],
                                        every_n_steps=1)])
    table = read_logs(tmp_path)
    assert [int(s) for s in _rows(table, "hidden", "activation_std")["step"]
            ] == [1, 2, 3]
    assert [int(s) for s in _rows(table, "hidden",
                                  "kernel_gradient_norm")["step"]] == [1, 2, 3]
    _assert_trains_without_traces_of_us(model, x, y)


# -- without probe_data: activations of the training batch, in the step -----

def _step_activations(tmp_path, model, **kwargs):
    """Trains with LayerStats and no probe, the weights held still (SGD at
    learning rate 0), so that a step's forward pass is that of the
    initial weights on that step's batch."""
    x, y = _data()
    model.compile(keras.optimizers.SGD(0.0),
                  "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, shuffle=False,
              validation_data=(x[:8], y[:8]),
              callbacks=[LayerStats(tmp_path, every_n_steps=2, **kwargs)])
    return x, read_logs(tmp_path)


def test_without_probe_data_activations_are_the_training_batchs(tmp_path):
    model = _mlp()
    x, table = _step_activations(tmp_path, model)
    hidden = keras.Model(model.inputs, model.get_layer("hidden").output)
    for statistic in ("mean", "std", "saturated_fraction"):
        rows = _rows(table, "hidden", f"activation_{statistic}")
        assert [int(s) for s in rows["step"]] == [1, 2, 4, 6, 8]
        for step, logged in zip(rows["step"], rows["value"]):
            batch = (int(step) - 1) % STEPS_PER_EPOCH
            y = np.asarray(hidden(x[batch * BATCH:(batch + 1) * BATCH]),
                           np.float64)
            expected = {"mean": y.mean(), "std": y.std(),
                        "saturated_fraction": np.mean(np.abs(y) >= 0.99)}
            np.testing.assert_allclose(logged, expected[statistic],
                                       rtol=1e-4, atol=1e-6)
    assert _rows(table, "out", "activation_saturated_fraction").empty
    assert len(_rows(table, "out", "activation_std")) == 5
    assert len(_rows(table, "hidden", "kernel_gradient_norm")) == 5
    model.optimizer.learning_rate.assign(0.1)
    _assert_trains_without_traces_of_us(model, *_data())


def test_without_probe_data_activations_alone_need_no_weight_logging(
        tmp_path):
    model = _mlp()
    _, table = _step_activations(tmp_path, model, weights=False,
                                 gradients=False)
    assert set(table["statistic"]) >= {"activation_mean", "activation_std"}
    assert not any(s.startswith(("kernel", "bias"))
                   for s in set(table["statistic"]))
    assert len(_rows(table, "hidden", "activation_std")) == 5


def test_a_subclassed_model_gets_activations_without_probe_data(tmp_path):
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__(name="subclassed")
            self.hidden = keras.layers.Dense(8, activation="relu",
                                             name="hidden")
            self.out = keras.layers.Dense(2, activation="softmax",
                                          name="out")

        def call(self, x):
            return self.out(self.hidden(x))

    model = Subclassed()
    model(_data()[0][:1])
    _, table = _step_activations(tmp_path, model)
    dead = _rows(table, "hidden", "activation_dead_fraction")["value"]
    assert len(dead) == 5 and ((0 <= dead) & (dead <= 1)).all()


def test_steps_per_execution_logs_the_last_step_of_a_logged_call(tmp_path):
    x, y = _data(n=64)
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy",
                  steps_per_execution=4)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[
        LayerStats(tmp_path, probe_data=x[:16], every_n_steps=4)])
    table = read_logs(tmp_path)
    for statistic in ("activation_std", "kernel_gradient_norm",
                      "kernel_update_ratio"):
        assert sorted(set(_rows(table, "hidden", statistic)["step"])) == [
            4, 8, 12, 16], statistic


def test_many_fits_in_one_process_raise_no_retracing_warning(tmp_path):
    """A study trains cell after cell in one process, each with its own
    LayerStats: TensorFlow must not take those for retracing (Keras's own
    train functions, traced at 1 call in 4 here, do not warn either)."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    tf.get_logger().addHandler(handler)
    try:
        x, y = _data(n=8 * BATCH)
        for fit in range(8):
            model = _compiled_mlp()
            model.fit(x, y, batch_size=2 * BATCH, verbose=0, callbacks=[
                LayerStats(tmp_path / str(fit), probe_data=x[:8],
                           every_n_steps=2)])
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [r.getMessage()[:300] for r in records
                if "retracing" in r.getMessage()]

"""LayerStats and NonFiniteGuard: tags, values against NumPy, dead units,
the guard, resume, mixed precision, XLA and MirroredStrategy."""

import os
import pathlib
import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_initact.callbacks import LayerStats, NonFiniteGuard, _hooks
from keras_initact.reporting import read_logs

pytestmark = pytest.mark.filterwarnings(
    "ignore:The inplace keyword:DeprecationWarning",  # tbparse on pandas 3
    "ignore:The inplace keyword",
)

STEPS_PER_EPOCH = 4
BATCH = 8


def _data(n=STEPS_PER_EPOCH * BATCH, features=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int32")
    return x, y


def _mlp(features=6):
    return keras.Sequential([
        keras.Input((features,)),
        keras.layers.Dense(8, activation="tanh", name="hidden"),
        keras.layers.Dense(2, activation="softmax", name="out"),
    ], name="mlp")


def _last(table, tag):
    rows = table[table["tag"] == tag].sort_values("step")
    assert len(rows), f"no {tag!r} in the logs"
    return rows["value"].iloc[-1], int(rows["step"].iloc[-1])


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
    stats = LayerStats(log_dir, probe_data=probe, every_n_steps=2)
    history = model.fit(
        train, validation_data=val, epochs=2, verbose=0, shuffle=False,
        callbacks=[stats, keras.callbacks.TensorBoard(log_dir)])
    table = read_logs(log_dir)
    return dict(model=model, table=table, log_dir=log_dir, probe=probe,
                stats=stats, history=history)


def test_log_folders_coexist_with_keras_tensorboard(trained):
    runs = sorted(p.name for p in pathlib.Path(trained["log_dir"]).iterdir())
    assert runs == ["layer_stats", "train", "validation"]
    assert len(list((pathlib.Path(trained["log_dir"]) / "layer_stats")
                    .glob("events.out.tfevents*"))) == 1


def test_tags_for_every_layer_and_weight(trained):
    model, table = trained["model"], trained["table"]
    tags = set(table[table["dir_name"] == "layer_stats"]["tag"])
    names = trained["stats"]._weight_names
    assert len(names) == len(model.weights)
    for name in names:
        for stat in ("mean", "std", "min", "max", "norm",
                     "near_zero_fraction"):
            assert f"weight_{stat}/{name}" in tags
    trainable = {trained["stats"]._weight_names[i]
                 for i, v in enumerate(trained["stats"]._weights)
                 if v.trainable}
    assert any("frozen" in n for n in names)
    assert not any("frozen" in n for n in trainable)
    for name in names:
        has_gradient = f"gradient_norm/{name}" in tags
        assert has_gradient == (name in trainable), name
        assert (f"update_ratio/{name}" in tags) == (name in trainable)
    for layer in ("relu_dense", "block", "tanh_act", "drop", "dead_relu",
                  "frozen", "concat", "out"):
        assert f"activation_std/{layer}" in tags
        assert f"activation_mean/{layer}" in tags
    # Dead/saturated only where the registry defines them.
    assert {t.split("/", 1)[1] for t in tags
            if t.startswith("activation_dead_fraction/")} == {
        "relu_dense", "dead_relu"}
    assert {t.split("/", 1)[1] for t in tags
            if t.startswith("activation_saturated_fraction/")} == {
        "tanh_act", "out"}
    hist_tags = set(table.attrs["histograms"]["tag"])
    assert f"weight_histogram/{names[0]}" in hist_tags
    assert "activation_histogram/relu_dense" in hist_tags
    assert any(t.startswith("gradient_histogram/") for t in hist_tags)


def test_logging_steps(trained):
    table = trained["table"]
    steps = sorted(set(table[table["tag"] == "activation_std/out"]["step"]))
    assert steps == [1, 2, 4, 6, 8]
    grad = table[table["tag"].str.startswith("gradient_norm/")]
    assert sorted(set(grad["step"])) == [1, 2, 4, 6, 8]


def test_weight_statistics_equal_numpy(trained):
    table = trained["table"]
    stats = trained["stats"]
    for name, v in zip(stats._weight_names, stats._weights):
        w = np.asarray(v.numpy(), dtype=np.float64).ravel()
        expected = dict(mean=w.mean(), std=w.std(), min=w.min(), max=w.max(),
                        norm=np.linalg.norm(w),
                        near_zero_fraction=np.mean(np.abs(w) <= 1e-3))
        for stat, value in expected.items():
            logged, step = _last(table, f"weight_{stat}/{name}")
            assert step == 8
            np.testing.assert_allclose(logged, value, rtol=1e-4, atol=1e-6,
                                       err_msg=f"{stat} of {name}")
    hist = table.attrs["histograms"]
    name = stats._weight_names[0]
    rows = hist[hist["tag"] == f"weight_histogram/{name}"]
    bins = rows.sort_values("step")["value"].iloc[-1]
    w = stats._weights[0].numpy().ravel()
    assert bins.shape == (30, 3)
    assert bins[:, 2].sum() == w.size
    np.testing.assert_allclose([bins[0, 0], bins[-1, 1]], [w.min(), w.max()],
                               rtol=1e-5)
    counts, _ = np.histogram(w, bins=np.append(bins[:, 0], bins[-1, 1]))
    assert np.abs(counts - bins[:, 2]).sum() <= 2  # edge rounding only


def test_activation_statistics_equal_numpy(trained):
    model, table = trained["model"], trained["table"]
    for layer_name in ("relu_dense", "block", "tanh_act", "out"):
        layer = model.get_layer(layer_name)
        y = keras.Model(model.inputs[0], layer.output)(
            trained["probe"], training=False)
        y = np.asarray(y, dtype=np.float64)
        for stat, value in dict(mean=y.mean(), std=y.std(), min=y.min(),
                                max=y.max()).items():
            logged, step = _last(table, f"activation_{stat}/{layer_name}")
            assert step == 8
            np.testing.assert_allclose(logged, value, rtol=1e-4, atol=1e-6)
    y = np.asarray(keras.Model(model.inputs[0], model.get_layer(
        "relu_dense").output)(trained["probe"]))
    logged, _ = _last(table, "activation_dead_fraction/relu_dense")
    np.testing.assert_allclose(logged, np.mean(y <= 0), atol=1e-6)
    y = np.asarray(keras.Model(model.inputs[0], model.get_layer(
        "tanh_act").output)(trained["probe"]))
    logged, _ = _last(table, "activation_saturated_fraction/tanh_act")
    np.testing.assert_allclose(logged, np.mean(np.abs(y) >= 0.99), atol=1e-6)


def test_dead_relu_layer_is_all_dead(trained):
    rows = trained["table"]
    rows = rows[rows["tag"] == "activation_dead_fraction/dead_relu"]
    assert len(rows) == 5
    np.testing.assert_array_equal(rows["value"].to_numpy(), 1.0)


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
    stats = LayerStats(tmp_path, every_n_steps=1, probe_data=x)
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0,
              callbacks=[stats])
    table = read_logs(tmp_path)
    names = stats._grad_names
    for name, g, w in zip(names, grads, before):
        g64 = g.astype(np.float64).ravel()
        expected = dict(norm=np.linalg.norm(g64), mean=g64.mean(),
                        std=g64.std(), zero_fraction=np.mean(g64 == 0))
        for stat, value in expected.items():
            logged, step = _last(table, f"gradient_{stat}/{name}")
            assert step == 1
            np.testing.assert_allclose(logged, value, rtol=1e-4, atol=1e-7)
        ratio, _ = _last(table, f"update_ratio/{name}")
        w_norm = np.linalg.norm(w)
        if w_norm > 0:
            np.testing.assert_allclose(
                ratio, lr * np.linalg.norm(g64) / w_norm, rtol=1e-4)


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
    for tag in ("activation_std/hidden", "weight_mean/mlp/hidden/kernel"):
        steps = table[table["tag"] == tag]["step"].tolist()
        assert sorted(steps) == [1, 3, 6, 9, 12, 15], (tag, steps)
    grad_tags = [t for t in table["tag"].unique()
                 if t.startswith("gradient_norm/")]
    assert grad_tags
    for tag in grad_tags:
        steps = sorted(table[table["tag"] == tag]["step"])
        assert steps == [1, 3, 6, 9, 12, 15]
    assert len(list((tmp_path / "layer_stats").glob("events*"))) == 2


def test_every_n_epochs(tmp_path):
    x, y = _data()
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0,
              callbacks=[LayerStats(tmp_path, probe_data=x[:8],
                                    every_n_steps=None, every_n_epochs=1,
                                    histograms=False)])
    table = read_logs(tmp_path)
    for prefix in ("gradient_norm/", "activation_std/", "weight_mean/"):
        rows = table[table["tag"].str.startswith(prefix)]
        assert sorted(set(rows["step"])) == [1, 1 + STEPS_PER_EPOCH], prefix
    assert not len(table.attrs["histograms"])


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
                   jit_compile=True), guard])
    assert guard.failure is None
    table = read_logs(tmp_path)
    norms = table[table["tag"].str.startswith("gradient_norm/")]["value"]
    assert len(norms) and np.isfinite(norms).all()
    # Unscaled: the loss scale (32768 at the start) is divided out.
    assert norms.max() < 100
    std = table[table["tag"] == "activation_std/hidden"]["value"]
    assert len(std) == 5 and (std > 0).all()


# -- the guard ----------------------------------------------------------------

def test_guard_stops_on_nan_input(tmp_path):
    x, y = _data()
    x[3 * BATCH + 1, 2] = np.nan  # in the 4th batch
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    guard = NonFiniteGuard()
    with pytest.warns(RuntimeWarning, match="at step 4"):
        history = model.fit(x, y, batch_size=BATCH, epochs=3, shuffle=False,
                            verbose=0, callbacks=[guard])
    assert len(history.history["loss"]) == 1
    assert guard.failure["step"] == 4
    assert guard.failure["kind"] == "gradient"
    assert guard.failure["layer"] in {"mlp/hidden", "mlp/out"}
    assert guard.failure["nan"] > 0
    assert "NaN" in guard.failure["message"]


class _PoisonWeight(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == 2:
            kernel = self.model.get_layer("hidden").kernel
            value = kernel.numpy()
            value[0, 0] = np.inf
            kernel.assign(value)


def test_guard_names_the_weight_and_can_raise(tmp_path):
    x, y = _data()
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    guard = NonFiniteGuard(probe_data=x[:8], raise_error=True)
    with pytest.raises(FloatingPointError, match="hidden/kernel") as info:
        model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0,
                  callbacks=[_PoisonWeight(), guard])
    assert "step 2" in str(info.value)
    assert guard.failure["kind"] == "weight"
    assert guard.failure["inf"] == 1


def test_guard_quiet_on_healthy_training():
    x, y = _data()
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    guard = NonFiniteGuard(probe_data=x[:8], every_n_steps=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        history = model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0,
                            callbacks=[guard])
    assert guard.failure is None and len(history.history["loss"]) == 2


class _PoisonLaterLayer(keras.callbacks.Callback):
    """Puts a NaN into the output layer's kernel after step 3."""

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == 3:
            kernel = self.model.get_layer("out").kernel
            value = kernel.numpy()
            value[0, 0] = np.nan
            kernel.assign(value)


def test_guard_blames_the_weight_that_went_bad_not_its_gradients():
    # The NaN in out/kernel makes step 4's gradients of hidden/kernel NaN
    # too; the weight entering the step is what went bad first.
    x, y = _data()
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    guard = NonFiniteGuard(every_n_steps=4)  # the host looks at step 4 only
    with pytest.warns(RuntimeWarning, match=r"at step 4, the weight "
                      r"'mlp/out/kernel' \(layer 'mlp/out'\) has 1 NaN"):
        model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                  callbacks=[_PoisonLaterLayer(), guard])
    assert guard.failure["kind"] == "weight"
    assert guard.failure["step"] == 4


@pytest.mark.parametrize("make, message", [
    (lambda: LayerStats("logs", every_n_steps=0),
     "`every_n_steps` must be a positive integer or None; received "
     "every_n_steps=0"),
    (lambda: LayerStats("logs", every_n_steps=2.5), "every_n_steps=2.5"),
    (lambda: LayerStats("logs", every_n_epochs=0), "every_n_epochs=0"),
    (lambda: LayerStats("logs", histogram_bins=0),
     "`histogram_bins` must be a positive integer; received histogram_bins=0"),
    (lambda: LayerStats("logs", near_zero=-1.0), "`near_zero` must be non-neg"),
    (lambda: LayerStats("logs", near_zero=float("nan")), "near_zero=nan"),
    (lambda: LayerStats("logs", weights="yes"), "`weights` must be True or"),
    (lambda: LayerStats("logs", histograms=None), "`histograms` must be True"),
    (lambda: LayerStats("logs", layers="hidden"), "`layers` must be a list"),
    (lambda: LayerStats("logs", jit_compile="auto"), "`jit_compile` must be"),
    (lambda: LayerStats("logs", subdir=""), "`subdir` must be a non-empty"),
    (lambda: NonFiniteGuard(every_n_steps=0),
     "`every_n_steps` must be a positive integer; received every_n_steps=0"),
    (lambda: NonFiniteGuard(every_n_steps=2.5), "every_n_steps=2.5"),
    (lambda: NonFiniteGuard(stop_training="no"), "`stop_training` must be"),
    (lambda: NonFiniteGuard(raise_error=1), "`raise_error` must be True"),
])
def test_invalid_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_log_dir_that_is_not_a_path_is_refused():
    with pytest.raises(TypeError, match="`log_dir` must be a folder path"):
        LayerStats(3)


def _compiled_mlp():
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


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


@pytest.mark.parametrize("make", [
    lambda probe: LayerStats("unused", probe_data=probe),
    lambda probe: NonFiniteGuard(probe_data=probe),
], ids=["LayerStats", "NonFiniteGuard"])
@pytest.mark.parametrize("probe, shape", [
    (np.zeros((4, 7), "float32"), r"\(4, 7\)"),
    (np.zeros((4, 6, 1), "float32"), r"\(4, 6, 1\)"),
    (np.zeros((0, 6), "float32"), r"\(0, 6\)"),
])
def test_probe_data_that_does_not_fit_the_model_is_named(
        make, probe, shape, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y = _data()
    model = _compiled_mlp()
    with pytest.raises(ValueError, match=rf"`probe_data` has shape {shape}, "
                       r"but model 'mlp' takes inputs of shape \(None, 6\)"):
        model.fit(x, y, batch_size=BATCH, verbose=0, callbacks=[make(probe)])
    _assert_trains_without_traces_of_us(model, x, y)


def test_unknown_layer_names_are_refused(tmp_path):
    x, y = _data()
    with pytest.raises(ValueError, match=r"`layers` names \['hiden'\], which "
                                         r"model 'mlp' does not have"):
        _compiled_mlp().fit(x, y, batch_size=BATCH, verbose=0, callbacks=[
            LayerStats(tmp_path, probe_data=x[:8], layers=["hiden"])])


# -- a failure inside a callback never leaves the model unable to train -------

def _assert_trains_without_traces_of_us(model, x, y):
    opt = model.optimizer
    assert "_distributed_tf_update_step" not in vars(opt)
    assert opt not in _hooks._HOOKS
    assert not hasattr(model.train_function, "_initact_owner")
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(w.numpy(), b)
               for w, b in zip(model.trainable_weights, before))


class _Failure(Exception):
    pass


def _fail(*args, **kwargs):
    raise _Failure("made to fail")


FAILURE_POINTS = {
    # where: (module attribute patched to raise, callbacks to train with)
    "LayerStats: tracing the hooked update": (
        "keras_initact.callbacks.statistics.gradient_vector", "stats"),
    "LayerStats: the statistics function": (
        "keras_initact.callbacks.statistics.activation_statistics", "stats"),
    "LayerStats: writing summaries": (
        "keras_initact.callbacks.layer_stats.LayerStats._write_summaries",
        "stats"),
    "LayerStats: after the hook, in on_train_begin": (
        "keras_initact.callbacks.layer_stats.LayerStats._write_layout",
        "stats"),
    "LayerStats: at an epoch's end": (
        "keras_initact.callbacks.layer_stats.LayerStats._plan_next_call",
        "stats"),
    "NonFiniteGuard: tracing the hooked update": (
        "keras_initact.callbacks.guard._stacked_counts", "guard"),
    "NonFiniteGuard: the host check": (
        "keras_initact.callbacks.guard.NonFiniteGuard._count_nonfinite",
        "guard"),
    "both, LayerStats failing": (
        "keras_initact.callbacks.statistics.gradient_vector", "both"),
}


@pytest.mark.parametrize("where", sorted(FAILURE_POINTS))
def test_a_failing_callback_leaves_the_model_training_normally(
        where, tmp_path, monkeypatch):
    target, setup = FAILURE_POINTS[where]
    x, y = _data()
    model = _compiled_mlp()
    callbacks = {
        "stats": [LayerStats(tmp_path, probe_data=x[:8], every_n_steps=2)],
        "guard": [NonFiniteGuard()],
        "both": [NonFiniteGuard(),
                 LayerStats(tmp_path, probe_data=x[:8], every_n_steps=2)],
    }[setup]
    monkeypatch.setattr(target, _fail)
    with pytest.raises(_Failure):
        model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0,
                  callbacks=callbacks)
    monkeypatch.undo()
    _assert_trains_without_traces_of_us(model, x, y)
    # And our callbacks work on it again.
    stats = LayerStats(tmp_path / "again", probe_data=x[:8], every_n_steps=2)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0,
              callbacks=[stats, NonFiniteGuard()])
    assert _last(read_logs(tmp_path / "again"), "gradient_norm/mlp/hidden/kernel")


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
    print("names", ",".join(stats._grad_names))
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
    events = list(log_dir.rglob("events.out.tfevents*"))
    assert len(events) == 1 and events[0].parent.name == "layer_stats"
    table = read_logs(log_dir)
    names = result.stdout.split("names ")[1].strip().split(",")
    expected = np.load(log_dir / "grad_norms.npy")
    for name, norm in zip(names, expected):
        rows = table[table["tag"] == f"gradient_norm/{name}"]
        assert sorted(rows["step"]) == [1, 2, 4, 6, 8]
        first = rows.sort_values("step")["value"].iloc[0]
        np.testing.assert_allclose(first, norm, rtol=1e-4)
    assert sorted(set(table[table["tag"] == "activation_std/hidden"]
                      ["step"])) == [1, 2, 4, 6, 8]


def test_histogram_paths_agree_and_skip_nonfinite():
    from keras_initact.callbacks import statistics as st

    x = np.random.default_rng(0).normal(size=1000).astype("float32")
    x[[3, 7]] = [np.nan, np.inf]
    fast = st.histogram(tf.constant(x), 20, xla=False).numpy()
    compiled = tf.function(lambda t: st.histogram(t, 20, xla=True),
                           jit_compile=True)(tf.constant(x)).numpy()
    np.testing.assert_allclose(fast[:, :2], compiled[:, :2], atol=1e-6)
    assert fast[:, 2].sum() == compiled[:, 2].sum() == 998
    assert np.abs(fast[:, 2] - compiled[:, 2]).sum() <= 2
    finite = x[np.isfinite(x)]
    np.testing.assert_allclose([fast[0, 0], fast[-1, 1]],
                               [finite.min(), finite.max()], rtol=1e-6)
    constant = st.histogram(tf.zeros([5]), 4, xla=False).numpy()
    assert constant[0, 0] == -0.5 and constant[-1, 1] == 0.5
    assert constant[:, 2].sum() == 5

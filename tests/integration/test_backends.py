"""Every Keras backend: initializers, layers, the factory, diagnose, LSUV, μP,
`initialize` and the statistics callbacks on JAX and PyTorch give what
TensorFlow gives.

Keras picks its backend at import, so each backend runs `BACKEND_SCRIPT` in
its own process (`KERAS_BACKEND` set), on files this process (TensorFlow)
writes: a `.keras` model and its predictions, starting weights and data.
The script writes a JSON report and a `.keras` model of its own, which this
process loads back. A backend whose package is not installed is skipped:
the test extra installs JAX's CPU wheels; PyTorch's is installed by
`.ci/run` where the machine carries it (PyPI's Linux build is CUDA's).

Random initializers cannot give TensorFlow's values (each backend has its
own random generator), so they are compared by their statistics; everything
deterministic is compared by value.
"""

import importlib.util
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_initact as ki
from keras_initact.activations import ACTIVATIONS
from keras_initact.deep.shaping import tat_transform
from keras_initact.models import build_sequential, spec_of

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")  # tbparse

BACKEND_SCRIPT = r"""
import json, math, os, sys, warnings
import keras, numpy as np
import keras_initact as ki
from keras_initact.activations import ACTIVATIONS
from keras_initact.models import build_sequential, spec_of
from keras_initact.deep import diagnose, lsuv_initialize
from keras_initact.deep.shaping import tat_transform

work = sys.argv[1]
sys.path.insert(0, work)
from runs import callback_run  # the same run as TensorFlow's

shared = np.load(os.path.join(work, "shared.npz"))
report = {"backend": keras.backend.backend()}

def numpy(values):
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(values, "float32")))

# Initializers: every one builds every dtype; random ones by their statistics.
shape = (3, 3, 64, 96)
for name in ki.initializers.names():
    if name in ("Pretrained", "Constant", "Sparse"):  # need arguments
        continue
    init = ki.initializers.get(name)
    for dtype in ("float32", "bfloat16"):
        values = init(shape, dtype)
        assert tuple(values.shape) == shape, (name, values.shape)
        assert keras.backend.standardize_dtype(values.dtype) == dtype, name
report["he_variance"] = float(numpy(ki.HeNormal(seed=1)(shape)).var())
q = numpy(ki.Orthogonal(seed=1)((64, 64)))
report["orthogonality_error"] = float(np.abs(q.T @ q - np.eye(64)).max())
report["sparse_zeros"] = int((numpy(ki.Sparse(0.5, seed=1)((4, 6))) == 0).sum())
report["deterministic"] = {
    name: numpy(init((3, 3, 4, 4))).ravel().tolist() for name, init in (
        ("Identity", ki.Identity(gain=1.5)), ("Dirac", ki.initializers.get("Dirac")),
        ("Constant", ki.Constant(0.25)), ("Sinusoidal", ki.initializers.get("Sinusoidal")),
        ("ZerO", ki.initializers.get("ZerO")))}

# Every activation layer at its defaults, on the same inputs.
x = shared["activation_inputs"]
report["activations"] = {
    spec.name: numpy(spec.layer()(x, training=False)).ravel().tolist()
    for spec in ACTIVATIONS.values()}
t = tat_transform(ACTIVATIONS.spec("gelu").activation, 60)
report["tat_gelu"] = [t.input_scale, t.input_shift, t.output_shift, t.output_scale]

# A model saved by TensorFlow loads here and predicts the same.
loaded = keras.models.load_model(os.path.join(work, "tensorflow.keras"))
report["tensorflow_model"] = numpy(loaded.predict(shared["model_inputs"], verbose=0)).tolist()

# The factory, diagnose and LSUV here; a model saved here for TensorFlow.
images = shared["images"]
cnn = build_sequential((8, 8, 1), [], "tanh", conv_filters=[4] * 12,
                       pooling="stride", downsample_blocks=[0, 6],
                       num_classes=3, shaping=True, seed=0)
report["cnn_spec"] = spec_of(cnn)
report["diagnose"] = diagnose(cnn, images, verbose=False).verdict
report["lsuv_converged"] = all(row.converged for row in lsuv_initialize(cnn, images, seed=0))
cnn.save(os.path.join(work, "backend.keras"))
np.save(os.path.join(work, "backend_predictions.npy"), numpy(cnn.predict(images, verbose=0)))

# The statistics callbacks, on the run TensorFlow makes too.
rows, failure = callback_run(work, os.path.join(work, "logs"))
report["layer_stats"] = rows
report["guard_failure"] = failure

# The logging step measures the activations of its own forward pass: the
# model runs once in each train step traced, not again to measure them.
class Counted(keras.layers.Layer):
    calls = 0

    def call(self, x, training=False):
        Counted.calls += bool(training)
        return x

counted = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="tanh"),
                            Counted(), keras.layers.Dense(2)])
counted.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
Counted.calls = 0
counted.fit(shared["x"], shared["y"], batch_size=8, epochs=1, verbose=0, callbacks=[
    ki.callbacks.LayerStats(os.path.join(work, "counted"), every_n_steps=2,
                            weights=False, gradients=False)])
report["forward_passes"] = Counted.calls
# initialize: the same graph walk, so the same factors on the same weights.
graph = keras.saving.load_model(os.path.join(work, "graph.keras"))
graph_report = ki.initialize(graph, scheme="fixup")
report["initialize"] = [[row.layer, row.predicted_second,
                         [k.factor for k in row.kernels]]
                        for row in graph_report.rows]
# μP: a compiled model saved by TensorFlow trains here at the same rates.
mup_model = keras.saving.load_model(os.path.join(work, "mup.keras"))
mup_before = [w.copy() for w in mup_model.get_weights()]
mup_model.fit(shared["x"], shared["y"], batch_size=64, epochs=1, shuffle=False, verbose=0)
report["mup"] = {
    "multipliers": {v.path: mup_model.optimizer.learning_rate_multiplier(v)
                    for v in mup_model.trainable_variables},
    "deltas": [(a - b).tolist() for a, b in zip(mup_model.get_weights(), mup_before)]}
try:
    from keras_initact.models import export_saved_model
    export_saved_model(cnn, os.path.join(work, "export"))
except RuntimeError as error:
    report["export_error"] = str(error)
try:
    from keras_initact.study.comparison import compare
    compare(["glorot_uniform"], ["relu"], [2], dataset="digits",
            output_dir=os.path.join(work, "study"))
except RuntimeError as error:
    report["study_error"] = str(error)
print(json.dumps(report))
"""

# The run both sides make: the same starting weights, data and batches.
CALLBACK_RUN = r"""
import os
import warnings

import keras
import numpy as np

from keras_initact.callbacks import LayerStats, NonFiniteGuard
from keras_initact.models import build_sequential
from keras_initact.reporting import read_logs


def callback_run(work, log_dir):
    shared = np.load(os.path.join(work, "shared.npz"))
    x, y = shared["x"], shared["y"]
    model = build_sequential((6,), [8, 8], "tanh", num_classes=2, seed=0)
    model.set_weights([shared[f"weight_{i}"] for i in range(len(model.weights))])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    guard = NonFiniteGuard()
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
              callbacks=[LayerStats(log_dir, probe_data=x[:16], every_n_steps=2),
                         # and the training batches' activations, in the step
                         LayerStats(log_dir, every_n_steps=2, subdir="in_step",
                                    weights=False, gradients=False),
                         guard])
    assert guard.failure is None, guard.failure
    rows = []
    for subdir, prefix in (("layer_stats", ""), ("in_step", "in_step/")):
        table = read_logs(os.path.join(log_dir, subdir))
        rows += [[name, prefix + statistic, int(step), float(value)]
                 for name, statistic, step, value
                 in table[["name", "statistic", "step", "value"]].values]
    rows.sort()
    # A NaN in the data from the fifth batch on: the guard names the step.
    broken = x.copy()
    broken[32:] = np.nan
    guard = NonFiniteGuard()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(broken, y, batch_size=8, epochs=1, shuffle=False, verbose=0,
                  callbacks=[guard])
    failure = {k: guard.failure[k] for k in ("kind", "name", "nan", "inf")}
    failure["step_in_fit"] = guard.failure["step"] - 16  # after 16 steps
    return rows, failure
"""

BACKENDS = [("jax", "jax"), ("torch", "torch")]


def graph_model():
    """A small residual attention model for `initialize`."""
    keras.utils.set_random_seed(0)
    tokens = keras.Input((6, 8))
    attended = keras.layers.MultiHeadAttention(2, 4)(tokens, tokens)
    x = keras.layers.LayerNormalization()(keras.layers.Add()([tokens, attended]))
    h = keras.layers.Dense(16, activation="gelu")(x)
    x = keras.layers.Add()([x, keras.layers.Dense(8)(h)])
    pooled = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(tokens, keras.layers.Dense(3)(pooled))


def mup_step(work, shared):
    """Saves a compiled μP model (trained one step, so its readout is not
    zero) and returns each variable's change in TensorFlow's next step."""
    from keras_initact import mup

    model = build_sequential((6,), [16, 16], "tanh", num_classes=2, seed=0,
                             parametrization="mup", base_width=4)
    model.compile(mup.Adam(1e-2, base_shapes=model.base_shapes),
                  "sparse_categorical_crossentropy")
    fit = dict(batch_size=64, epochs=1, shuffle=False, verbose=0)
    model.fit(shared["x"], shared["y"], **fit)
    model.save(work / "mup.keras")
    before = [w.copy() for w in model.get_weights()]
    model.fit(shared["x"], shared["y"], **fit)
    return [after - start for after, start in zip(model.get_weights(), before)]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """The shared files, and TensorFlow's own results."""
    work = tmp_path_factory.mktemp("backends")
    (work / "runs.py").write_text(CALLBACK_RUN)
    rng = np.random.default_rng(0)
    model = build_sequential((6,), [8, 8], "tanh", num_classes=2, seed=0)
    shaped = build_sequential((6,), [8] * 10, "gelu", shaping="dks",
                              num_classes=3, seed=1)
    shared = dict(
        activation_inputs=np.linspace(-3, 3, 12, dtype="float32").reshape(2, 6),
        model_inputs=rng.normal(size=(5, 6)).astype("float32"),
        images=rng.normal(size=(32, 8, 8, 1)).astype("float32"),
        x=rng.normal(size=(64, 6)).astype("float32"),
        y=rng.integers(0, 2, 64),
        **{f"weight_{i}": w for i, w in enumerate(model.get_weights())},
    )
    np.savez(work / "shared.npz", **shared)
    shaped.save(work / "tensorflow.keras")
    graph_model().save(work / "graph.keras")
    mup_deltas = mup_step(work, shared)
    sys.path.insert(0, str(work))
    try:
        from runs import callback_run

        rows, failure = callback_run(str(work), str(work / "tf_logs"))
    finally:
        sys.path.remove(str(work))
    return dict(path=work, shared=shared, shaped=shaped, rows=rows,
                failure=failure, mup_deltas=mup_deltas)


@pytest.fixture(scope="module", params=BACKENDS, ids=[b for b, _ in BACKENDS])
def report(request, work, tmp_path_factory):
    backend, package = request.param
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed")
    folder = tmp_path_factory.mktemp(backend)
    for name in ("runs.py", "shared.npz", "tensorflow.keras", "graph.keras",
                 "mup.keras"):
        (folder / name).write_bytes((work["path"] / name).read_bytes())
    env = {**os.environ, "KERAS_BACKEND": backend, "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [sys.executable, "-c", BACKEND_SCRIPT, str(folder)], env=env,
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"] == backend
    return dict(report, folder=folder)


def test_random_initializers_have_the_published_statistics(report):
    assert report["he_variance"] == pytest.approx(2.0 / (3 * 3 * 64), rel=0.03)
    assert report["orthogonality_error"] < 1e-4
    assert report["sparse_zeros"] == 4 * 3  # ceil(0.5 * 6) per row


def test_deterministic_initializers_give_tensorflows_values(report):
    expected = {
        "Identity": ki.Identity(gain=1.5), "Dirac": ki.initializers.get("Dirac"),
        "Constant": ki.Constant(0.25),
        "Sinusoidal": ki.initializers.get("Sinusoidal"),
        "ZerO": ki.initializers.get("ZerO")}
    for name, init in expected.items():
        np.testing.assert_allclose(
            report["deterministic"][name],
            keras.ops.convert_to_numpy(init((3, 3, 4, 4))).ravel(),
            rtol=1e-6, atol=1e-7, err_msg=name)


def test_every_activation_layer_gives_tensorflows_values(report, work):
    x = work["shared"]["activation_inputs"]
    assert set(report["activations"]) == set(ACTIVATIONS.names())
    for spec in ACTIVATIONS.values():
        expected = keras.ops.convert_to_numpy(spec.layer()(x, training=False))
        np.testing.assert_allclose(report["activations"][spec.name],
                                   np.ravel(expected), rtol=1e-5, atol=1e-6,
                                   err_msg=spec.name)


def test_tat_is_solved_there_as_here(report):
    expected = tat_transform(ACTIVATIONS.spec("gelu").activation, 60)
    assert report["tat_gelu"] == pytest.approx(
        list(expected.arguments().values()), rel=1e-5)


def test_a_tensorflow_model_loads_there_and_predicts_the_same(report, work):
    expected = work["shaped"].predict(work["shared"]["model_inputs"], verbose=0)
    np.testing.assert_allclose(report["tensorflow_model"], expected,
                               rtol=1e-5, atol=1e-6)


def test_a_model_saved_there_loads_here_and_predicts_the_same(report, work):
    loaded = keras.models.load_model(report["folder"] / "backend.keras")
    np.testing.assert_allclose(
        loaded.predict(work["shared"]["images"], verbose=0),
        np.load(report["folder"] / "backend_predictions.npy"),
        rtol=1e-5, atol=1e-6)
    assert spec_of(loaded)["conv_filters"] == [4] * 12


def test_the_factory_diagnose_and_lsuv_work_there(report):
    spec = report["cnn_spec"]
    assert spec["shaping"] is True and spec["downsample_blocks"] == [0, 6]
    assert report["diagnose"] == "healthy"
    assert report["lsuv_converged"]


def test_the_logging_step_measures_its_own_forward_pass(report):
    # JAX traces two train functions (plain steps and logging steps);
    # PyTorch runs eagerly, one forward pass per step of the 8.
    expected = {"jax": 2, "torch": 8}[report["backend"]]
    assert report["forward_passes"] == expected


def test_layer_stats_writes_the_same_tags_and_values(report, work):
    theirs = {tuple(row[:3]): row[3] for row in report["layer_stats"]}
    ours = {tuple(row[:3]): row[3] for row in work["rows"]}
    assert set(theirs) == set(ours)
    assert {statistic for _, statistic, _ in ours} >= {
        "kernel_gradient_norm", "kernel_update_ratio", "activation_std",
        "in_step/activation_std", "in_step/activation_saturated_fraction"}
    for key, value in ours.items():
        assert theirs[key] == pytest.approx(value, rel=2e-3, abs=1e-5), key


NO_TENSORFLOW_SCRIPT = r"""
import sys
import keras, numpy as np
import keras_initact
from keras_initact import build_sequential
from keras_initact.callbacks import LayerStats, NonFiniteGuard
x = np.random.default_rng(0).normal(size=(64, 6)).astype("float32")
y = (x[:, 0] > 0).astype("int32")
model = build_sequential((6,), [8] * 3, "relu", num_classes=2, seed=0)
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[
    LayerStats(sys.argv[1], probe_data=x[:16], every_n_steps=2,
               epoch_logs=True), NonFiniteGuard()])
print("tensorflow" in sys.modules)
"""


@pytest.mark.parametrize("backend, package", BACKENDS,
                         ids=[b for b, _ in BACKENDS])
def test_the_package_and_callbacks_do_not_import_tensorflow_there(
        backend, package, tmp_path):
    # TensorFlow is installed here; under JAX or PyTorch nothing of ours
    # needs it (Keras's own serialization imports it when it is there).
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed")
    result = subprocess.run(
        [sys.executable, "-c", NO_TENSORFLOW_SCRIPT, str(tmp_path)],
        env={**os.environ, "KERAS_BACKEND": backend,
             "CUDA_VISIBLE_DEVICES": ""},
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "False"
    assert list((tmp_path / "layer_stats").glob("events.out.tfevents.*"))


def test_the_guard_finds_the_same_failure(report, work):
    assert report["guard_failure"] == work["failure"]
    assert work["failure"]["kind"] == "gradient"
    assert work["failure"]["step_in_fit"] == 5


def test_initialize_walks_the_graph_there_as_here(report, work):
    model = keras.saving.load_model(work["path"] / "graph.keras")
    here = ki.initialize(model, scheme="fixup")
    there = report["initialize"]
    assert [row[0] for row in there] == [row.layer for row in here.rows]
    for (_, second, factors), row in zip(there, here.rows):
        assert second == pytest.approx(row.predicted_second, rel=1e-4)
        assert factors == pytest.approx([k.factor for k in row.kernels],
                                        rel=1e-4)


def test_a_mup_model_saved_here_trains_there_at_the_same_rates(report, work):
    assert report["mup"]["multipliers"] == {
        "dense_0/kernel": 1.0, "dense_0/bias": 1.0, "dense_1/kernel": 0.25,
        "dense_1/bias": 1.0, "head/kernel": 1.0, "head/bias": 1.0}
    for there, here in zip(report["mup"]["deltas"], work["mup_deltas"]):
        np.testing.assert_allclose(there, here, rtol=1e-3, atol=1e-6)


def test_export_and_the_study_are_tensorflow_only_and_say_so(report):
    assert "export_saved_model needs Keras's TensorFlow backend" in \
        report["export_error"]
    assert repr(report["backend"]) in report["export_error"]
    assert "keras-initact compare needs Keras's TensorFlow backend" in \
        report["study_error"]
    assert not (report["folder"] / "study").exists()

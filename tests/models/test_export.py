"""`keras_initact.models.export`: SavedModel export for TensorFlow Serving:
layout, serving without Keras, overwrite protection, bad input, and a
MirroredStrategy run."""

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_initact.models import build_sequential, export, export_saved_model

REPO = pathlib.Path(__file__).resolve().parents[2]
X8 = np.random.default_rng(0).normal(size=(6, 8)).astype("float32")
X88 = np.random.default_rng(1).normal(size=(6, 8, 8, 1)).astype("float32")


def run_python(script, *args, timeout=120, env=None):
    """Runs `script` in a fresh interpreter that finds this checkout first."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], capture_output=True,
        text=True, timeout=timeout, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A trained MLP and CNN, exported once for the whole module."""
    keras.mixed_precision.set_dtype_policy("float32")
    root = tmp_path_factory.mktemp("exports")
    mlp = build_sequential((8,), [16, 8], "mish", num_classes=3,
                           batch_norm=True, dropout=0.1, seed=0, name="mlp")
    cnn = build_sequential((8, 8, 1), [8], "selu", conv_filters=[4],
                           task="regression", num_classes=2, seed=1,
                           name="cnn")
    labels = np.arange(len(X8)) % 3
    mlp.compile("adam", "sparse_categorical_crossentropy")
    mlp.fit(X8, labels, epochs=2, batch_size=3, verbose=0)
    cnn.compile("adam", "mse")
    cnn.fit(X88, np.ones((len(X88), 2), "float32"), epochs=1, verbose=0)
    return {
        "root": root,
        "mlp": (mlp, export_saved_model(mlp, root / "mlp")),
        "cnn": (cnn, export_saved_model(cnn, root / "cnn")),
    }


def test_layout_is_what_tf_serving_expects(exported):
    _, path = exported["mlp"]
    assert path == exported["root"] / "mlp" / "1"
    assert (path / "saved_model.pb").is_file()
    assert (path / "variables").is_dir()
    assert sorted(p.name for p in path.parent.iterdir()) == ["1"]  # no temp
    assert path.stat().st_mode & 0o055 == 0o055 & ~_umask()  # others can read


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_signature_is_named_float32_with_a_free_batch(exported):
    model, path = exported["mlp"]
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    _, inputs = serve.structured_input_signature
    assert list(inputs) == ["inputs"]
    assert inputs["inputs"].shape.as_list() == [None, 8]
    assert inputs["inputs"].dtype == tf.float32
    assert list(serve.structured_outputs) == ["predictions"]
    for batch in (1, 6):
        out = serve(inputs=tf.constant(X8[:batch]))["predictions"]
        assert out.dtype == tf.float32 and out.shape == (batch, 3)
        np.testing.assert_allclose(
            out.numpy(), model.predict(X8[:batch], verbose=0), atol=1e-5)


SERVE_WITHOUT_KERAS = r"""
import json, sys
for name in ("keras", "keras_initact", "tf_keras"):
    sys.modules[name] = None  # any import of these now fails
import numpy as np
import tensorflow as tf

results = {}
for path, inputs in zip(sys.argv[1::2], sys.argv[2::2]):
    serve = tf.saved_model.load(path).signatures["serving_default"]
    x = tf.constant(np.load(inputs))
    results[path] = serve(inputs=x)["predictions"].numpy().tolist()
loaded = sorted(name for name, module in sys.modules.items()
                if module is not None
                and name.split(".")[0] in ("keras", "keras_initact"))
print(json.dumps({"results": results, "loaded": loaded}))
"""


def test_export_serves_in_a_process_without_keras(exported, tmp_path):
    args, expected = [], {}
    for name in ("mlp", "cnn"):
        model, path = exported[name]
        x = X8 if name == "mlp" else X88
        np.save(tmp_path / f"{name}.npy", x)
        args += [path, tmp_path / f"{name}.npy"]
        expected[str(path)] = model.predict(x, verbose=0)
    output = json.loads(run_python(SERVE_WITHOUT_KERAS, *args).splitlines()[-1])
    assert output["loaded"] == []
    for path, predictions in expected.items():
        np.testing.assert_allclose(np.array(output["results"][path]),
                                   predictions, rtol=1e-5, atol=1e-5)


def saved_model_cli():
    found = shutil.which("saved_model_cli")
    if found:
        return [found]
    return [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]


def test_saved_model_cli_lists_the_signature(exported):
    _, path = exported["cnn"]
    result = subprocess.run(
        [*saved_model_cli(), "show", "--dir", str(path), "--tag_set", "serve",
         "--signature_def", "serving_default"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "inputs['inputs']" in result.stdout
    assert "shape: (-1, 8, 8, 1)" in result.stdout
    assert "DT_FLOAT" in result.stdout
    assert "outputs['predictions']" in result.stdout
    assert "tensorflow/serving/predict" in result.stdout


def test_versions_and_overwrite(tmp_path):
    model = build_sequential((8,), [4], num_classes=2, seed=0)
    base = tmp_path / "m"
    assert export_saved_model(model, base) == base / "1"
    assert export_saved_model(model, base) == base / "2"  # next version
    (base / "1" / "marker").write_text("kept")
    with pytest.raises(FileExistsError, match=r"m/1'? exists.*overwrite=True"):
        export_saved_model(model, base, version=1)
    assert (base / "1" / "marker").read_text() == "kept"
    assert export_saved_model(model, base, version=1, overwrite=True) == base / "1"
    assert not (base / "1" / "marker").exists()
    assert (base / "1" / "saved_model.pb").is_file()
    assert sorted(p.name for p in base.iterdir()) == ["1", "2"]
    assert export_saved_model(model, base, version=7) == base / "7"
    assert export_saved_model(model, base) == base / "8"


def test_a_failed_export_leaves_nothing_behind(tmp_path, monkeypatch):
    model = build_sequential((8,), [4], num_classes=2, seed=0)
    base = tmp_path / "m"
    export_saved_model(model, base)
    (base / "1" / "marker").write_text("kept")

    class Broken:
        def write_out(self, path, verbose=False):
            (pathlib.Path(path) / "saved_model.pb").write_text("half")
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_archive", lambda *args: Broken())
    for kwargs in ({}, {"version": 1, "overwrite": True}):
        with pytest.raises(OSError, match="No space left"):
            export_saved_model(model, base, **kwargs)
        assert sorted(p.name for p in base.iterdir()) == ["1"]
        assert (base / "1" / "marker").read_text() == "kept"


def test_default_location_is_saved_models_name_version(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = build_sequential((8,), [4], num_classes=2, seed=0, name="digits")
    path = export_saved_model(model)
    assert path == pathlib.Path("saved_models", "digits", "1")
    assert (tmp_path / path / "saved_model.pb").is_file()


def test_custom_signature_names(tmp_path):
    model = build_sequential((8,), [4], task="regression", seed=0)
    path = export_saved_model(model, tmp_path / "m", input_name="features",
                              output_name="value")
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    assert list(serve.structured_input_signature[1]) == ["features"]
    assert list(serve(features=tf.constant(X8))) == ["value"]


def test_mixed_precision_export_serves_float32(tmp_path):
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    model = build_sequential((8,), [4], num_classes=2, seed=0)
    path = export_saved_model(model, tmp_path / "m")
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    assert serve(inputs=tf.constant(X8))["predictions"].dtype == tf.float32


def test_unbuilt_model_is_refused(tmp_path):
    model = keras.Sequential([keras.layers.Dense(2)], name="unbuilt")
    with pytest.raises(ValueError, match="'unbuilt' has not been built"):
        export_saved_model(model, tmp_path / "m")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("kwargs, error, message", [
    ({"version": 0}, ValueError, r"version=0"),
    ({"version": "1"}, ValueError, r"version='1'"),
    ({"input_name": "my input"}, ValueError, r"input_name='my input'"),
    ({"output_name": ""}, ValueError, r"output_name=''"),
    ({"overwrite": "yes"}, ValueError, r"`overwrite` must be True or False"),
    ({"path": 3}, TypeError, r"`path` must be a folder path or None"),
])
def test_bad_arguments_leave_no_folder_behind(kwargs, error, message,
                                              tmp_path):
    model = build_sequential((8,), [4], num_classes=2, seed=0)
    with pytest.raises(error, match=message):
        export_saved_model(model, **{"path": tmp_path / "a" / "m", **kwargs})
    assert not (tmp_path / "a").exists()


def test_a_failed_first_export_removes_the_folders_it_made(tmp_path,
                                                          monkeypatch):
    class Broken:
        def write_out(self, path, verbose=False):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_archive", lambda *args: Broken())
    model = build_sequential((8,), [4], num_classes=2, seed=0)
    with pytest.raises(OSError, match="No space left"):
        export_saved_model(model, tmp_path / "a" / "m")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_paths_are_clear_errors(tmp_path):
    model = build_sequential((8,), [4], num_classes=2, seed=0)
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    with pytest.raises(NotADirectoryError, match="a_file.*is a file"):
        export_saved_model(model, a_file)
    # A parent that is a file stops root too (chmod does not).
    with pytest.raises(OSError, match=r"cannot write the export to .*a_file/m"):
        export_saved_model(model, a_file / "m")
    assert a_file.read_text() == "not a folder"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes through chmod")
def test_read_only_folder_is_a_clear_error(tmp_path):
    model = build_sequential((8,), [4], num_classes=2, seed=0)
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="cannot write the export"):
            export_saved_model(model, read_only / "m")
    finally:
        read_only.chmod(0o700)


def test_a_saved_model_folder_is_not_a_base_folder(exported):
    model, path = exported["mlp"]
    with pytest.raises(ValueError, match="is itself a SavedModel"):
        export_saved_model(model, path)


MIRRORED = r"""
import sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np
from keras_initact.models import build_sequential, export_saved_model, spec_of

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
assert strategy.num_replicas_in_sync == 2
with strategy.scope():
    model = build_sequential((8,), [16], "relu", num_classes=3, seed=0,
                             batch_norm=True, dropout=0.1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
kernel = model.get_layer("dense_0").kernel
assert "Mirrored" in type(kernel.value).__name__, type(kernel.value)
assert model.get_layer("bn_0").synchronized
assert spec_of(model)["batch_norm"] is True
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 8)).astype("float32")
y = rng.integers(0, 3, 64)
before = kernel.numpy().copy()
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
assert not np.array_equal(before, kernel.numpy())
path = export_saved_model(model, sys.argv[1])
serve = tf.saved_model.load(str(path)).signatures["serving_default"]
served = serve(inputs=tf.constant(x[:8]))["predictions"].numpy()
np.testing.assert_allclose(served, model.predict(x[:8], verbose=0),
                           rtol=1e-5, atol=1e-6)
print("OK", strategy.num_replicas_in_sync)
"""


def test_mirrored_strategy_builds_trains_and_exports(tmp_path):
    output = run_python(MIRRORED, tmp_path / "mirrored", timeout=180)
    assert output.strip().splitlines()[-1] == "OK 2"
    assert (tmp_path / "mirrored" / "1" / "saved_model.pb").is_file()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(shutil.which("tensorflow_model_server") is None,
                    reason="tensorflow_model_server is not on PATH")
def test_tensorflow_serving_rest(exported):  # pragma: no cover - needs TF Serving
    model, path = exported["mlp"]
    port = free_port()
    server = subprocess.Popen(
        ["tensorflow_model_server", f"--rest_api_port={port}", "--port=0",
         "--model_name=mlp", f"--model_base_path={path.parent.resolve()}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/v1/models/mlp:predict"
        body = json.dumps({"instances": X8.tolist()}).encode()
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(url, body, method="POST")
                with urllib.request.urlopen(request, timeout=5) as response:
                    predictions = json.load(response)["predictions"]
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        np.testing.assert_allclose(np.array(predictions),
                                   model.predict(X8, verbose=0), atol=1e-5)
    finally:
        server.terminate()
        server.wait(timeout=30)

"""The initializers and activations run on every Keras backend, not only TensorFlow.

Each available backend runs in its own process (Keras picks its backend at
import). A backend whose package is not installed is skipped; `.ci/run`
installs PyTorch's CPU wheel when the machine carries it.
"""

import importlib.util
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = r"""
import json, math
import keras, numpy as np
import keras_initact as ki

def stats(values):
    x = np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(values, "float32")))
    return float(x.mean()), float(x.var())

report = {"backend": keras.backend.backend()}
shape = (3, 3, 64, 96)
for name in ki.initializers.names():
    if name in ("Pretrained", "Constant", "Sparse"):  # need arguments
        continue
    init = ki.initializers.get(name)
    for dtype in ("float32", "bfloat16"):
        values = init(shape, dtype)
        assert tuple(values.shape) == shape, (name, values.shape)
        assert keras.backend.standardize_dtype(values.dtype) == dtype, name
report["he_variance"] = stats(ki.HeNormal(seed=1)(shape))[1]
q = keras.ops.convert_to_numpy(ki.Orthogonal(seed=1)((64, 64)))
report["orthogonality_error"] = float(np.abs(q.T @ q - np.eye(64)).max())
layer = keras.layers.Dense(8, kernel_initializer=ki.HeUniform(seed=0))
report["dense_output"] = list(keras.ops.convert_to_numpy(layer(np.ones((1, 4)))).shape)
x = np.linspace(-3, 3, 12, dtype="float32").reshape(2, 6)
finite = {}
for spec in ki.activations.ACTIVATIONS.values():
    layer = spec.layer()
    y = keras.ops.convert_to_numpy(layer(x, training=True))
    finite[spec.name] = (bool(np.isfinite(y).all())
                         and y.shape == layer.compute_output_shape(x.shape))
report["sparse_zeros"] = int((keras.ops.convert_to_numpy(
    ki.Sparse(0.5, seed=1)((4, 6))) == 0).sum())
report["activation_layers_finite"] = finite
report["mish_at_one"] = float(keras.ops.convert_to_numpy(ki.activations.mish(np.float32(1.0))))
from keras_initact.deep.shaping import tat_transform
t = tat_transform(ki.activations.ACTIVATIONS.spec("gelu").activation, 60)
report["tat_gelu"] = [t.input_scale, t.input_shift, t.output_shift, t.output_scale]
y = keras.ops.convert_to_numpy(ki.layers.ShapedActivation("gelu", *report["tat_gelu"])(x))
report["shaped_gelu"] = y.ravel().tolist()
print(json.dumps(report))
"""


@pytest.mark.parametrize("backend, package", [("torch", "torch"), ("jax", "jax")])
def test_initializers_on_another_backend(backend, package):
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed")
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"] == backend
    fan_in = 3 * 3 * 64
    assert report["he_variance"] == pytest.approx(2.0 / fan_in, rel=0.03)
    assert report["orthogonality_error"] < 1e-4
    assert report["dense_output"] == [1, 8]
    assert all(report["activation_layers_finite"].values()), report
    assert report["sparse_zeros"] == 4 * 3  # ceil(0.5 * 6) per row
    assert report["mish_at_one"] == pytest.approx(math.tanh(math.log1p(math.e)), rel=1e-6)
    # TAT's transformation is solved on that backend (in float32 on JAX)
    # and agrees with TensorFlow's; the shaped layer computes it.
    from keras_initact.activations import ACTIVATIONS
    from keras_initact.deep.shaping import tat_transform

    expected = tat_transform(ACTIVATIONS.spec("gelu").activation, 60)
    assert report["tat_gelu"] == pytest.approx(
        list(expected.arguments().values()), rel=1e-3)
    x = np.linspace(-3, 3, 12)
    assert report["shaped_gelu"] == pytest.approx(
        expected(lambda v: v * (1 + np.vectorize(math.erf)(v / math.sqrt(2))) / 2)(x),
        rel=1e-3, abs=1e-4)

"""`keras_initact.models.introspection`: `spec_of` gives a factory model's
spec as JSON that rebuilds it exactly, for a fresh model and for one
loaded from a `.keras` file (trained or not), and refuses any other model."""

import json

import keras
import numpy as np
import pytest
from built_models import X8, layer_names, same_weights

from keras_initact.models import build_sequential, normalize_spec, spec_of


# --- specs ------------------------------------------------------------------

def test_spec_round_trip_is_json_and_exact():
    model = build_sequential(
        (8, 8, 1), (8,), "gelu", conv_filters=(2, 4), conv_kernel_size=(3, 3),
        batch_norm=True, dropout=0.1, num_classes=3, seed=11, name="m1",
        kernel_initializer="he_uniform")
    spec = spec_of(model)
    assert json.loads(json.dumps(spec)) == spec
    assert spec["conv_kernel_size"] == 3 and spec["conv_filters"] == [2, 4]
    assert spec["kernel_initializer"]["class_name"] == "HeUniform"
    assert normalize_spec(**spec) == spec  # canonical: normalizing is a no-op
    rebuilt = build_sequential(**json.loads(json.dumps(spec)))
    assert spec_of(rebuilt) == spec
    assert rebuilt.get_config() == model.get_config()
    assert same_weights(rebuilt, model)


def test_spec_of_rejects_other_models():
    with pytest.raises(ValueError, match="not made by build_sequential"):
        spec_of(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="keras.Sequential"):
        spec_of(keras.layers.Dense(2))
    model = build_sequential((8,), [4], num_classes=2, seed=0)
    model.pop()
    model.add(keras.layers.Dense(5, name="head"))
    with pytest.raises(ValueError, match="changed after it was built"):
        spec_of(model)


# --- .keras files -----------------------------------------------------------

KERAS_CASES = {
    "mlp_mish_bn_dropout": dict(input_shape=(8,), hidden_units=[8, 8],
                                activation="mish", batch_norm=True,
                                dropout=0.2, num_classes=3),
    "cnn_selu": dict(input_shape=(8, 8, 1), hidden_units=[8], activation="selu",
                     conv_filters=[2, 4], dropout=0.1, num_classes=3),
    "deep_tanh_critical": dict(input_shape=(8,), hidden_units=[4] * 9,
                               activation="tanh", task="regression"),
    "shaped_relu": dict(input_shape=(8,), hidden_units=[4] * 9,
                        activation="relu", shaping=True, task="binary"),
    "shaped_gelu": dict(input_shape=(8,), hidden_units=[4] * 9,
                        activation="gelu", shaping=True, num_classes=3),
    "shaped_selu": dict(input_shape=(8,), hidden_units=[4] * 9,
                        activation="selu", shaping=True, task="regression"),
    "deep_cnn_stride_dks": dict(input_shape=(8, 8, 1), hidden_units=[],
                                conv_filters=[4] * 10, activation="gelu",
                                pooling="stride", downsample_blocks=[0, 5],
                                shaping="dks", num_classes=3),
    "cnn_pooling_at_some_blocks": dict(input_shape=(8, 8, 1), hidden_units=[4],
                                       conv_filters=[2, 4, 4], activation="tanh",
                                       pooling="average", downsample_blocks=[1],
                                       num_classes=3),
    "cnn_stride_two_values": dict(input_shape=(16, 2), hidden_units=[],
                                  conv_filters=[2, 2, 2], activation="relu",
                                  pooling="stride", pool_size=4,
                                  conv_strides=2, downsample_blocks=[2],
                                  task="regression"),
    "prelu_explicit": dict(input_shape=(8,), hidden_units=[8],
                           activation="prelu", kernel_initializer="orthogonal",
                           bias_initializer="truncated_normal", num_classes=2),
    "snake_keras_init": dict(input_shape=(4, 2), hidden_units=[8],
                             activation="snake", num_classes=2,
                             kernel_initializer=keras.initializers.HeUniform()),
}


@pytest.mark.parametrize("case", sorted(KERAS_CASES))
def test_keras_file_round_trip(case, tmp_path):
    model = build_sequential(**KERAS_CASES[case], seed=5)
    x = np.random.default_rng(2).normal(
        size=(4, *model.inputs[0].shape[1:])).astype("float32")
    path = tmp_path / f"{case}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # safe_mode=True, the default
    np.testing.assert_array_equal(loaded.predict(x, verbose=0),
                                  model.predict(x, verbose=0))
    assert layer_names(loaded) == layer_names(model)
    assert loaded.name == model.name
    assert spec_of(loaded) == spec_of(model)
    assert same_weights(build_sequential(**spec_of(loaded)), model)


def test_trained_model_round_trip(tmp_path):
    model = build_sequential((8,), [8], "elu", num_classes=3, batch_norm=True,
                             dropout=0.1, seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X8, np.arange(5) % 3, epochs=2, verbose=0)
    model.save(tmp_path / "trained.keras")
    loaded = keras.models.load_model(tmp_path / "trained.keras")
    np.testing.assert_array_equal(loaded.predict(X8, verbose=0),
                                  model.predict(X8, verbose=0))
    assert spec_of(loaded) == spec_of(model)  # training keeps the spec

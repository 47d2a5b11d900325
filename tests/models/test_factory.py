"""`keras_initact.models.factory`: `build_sequential` builds MLPs and CNNs
in one call, with named layers, the registry's initializers (critical or
shaped when deep), any form of activation, the task's head, batch norm
and dropout, and the same weights from the same seed."""

import keras
import numpy as np
import pytest
from built_models import X8, X88, kernels, layer_names, same_weights

from keras_initact import activations, initializers, layers
from keras_initact.deep import for_activation
from keras_initact.models import build_sequential, spec_of


# --- what the factory builds ------------------------------------------------

def test_mlp_layers_names_and_initializers():
    model = build_sequential((8,), [16, 8], "relu", num_classes=3, seed=0)
    assert isinstance(model, keras.Sequential)
    assert model.name == "relu_mlp"
    assert layer_names(model) == [
        "dense_0", "act_0", "dense_1", "act_1", "head"]
    assert model.inputs[0].shape == (None, 8)
    assert model.output_shape == (None, 3)
    for name in ("act_0", "act_1"):
        assert type(model.get_layer(name)) is layers.ReLU
    for name in ("dense_0", "dense_1"):
        dense = model.get_layer(name)
        assert isinstance(dense.kernel_initializer, initializers.HeNormal)
        assert dense.kernel_initializer.get_config()["nonlinearity"] == "relu"
        assert isinstance(dense.bias_initializer, initializers.Zeros)
        assert dense.get_config()["activation"] == "linear"
    head = model.get_layer("head")
    assert isinstance(head.kernel_initializer, initializers.GlorotUniform)
    assert head.get_config()["activation"] == "softmax"
    probabilities = model.predict(X8, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_cnn_is_one_call():
    model = build_sequential((8, 8, 1), [16], "mish", conv_filters=[4, 8],
                             num_classes=10, seed=0)
    assert model.name == "mish_cnn"
    assert layer_names(model) == [
        "conv_0", "act_conv_0", "pool_0", "conv_1", "act_conv_1", "pool_1",
        "flatten", "dense_0", "act_0", "head"]
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "Mish", "MaxPooling2D", "Conv2D", "Mish",
                     "MaxPooling2D", "Flatten", "Dense", "Mish", "Dense"]
    assert model.get_layer("pool_1").output.shape == (None, 2, 2, 8)
    assert model.predict(X88, verbose=0).shape == (5, 10)


def test_conv_options_and_conv1d():
    model = build_sequential(
        (16, 2), [4], "tanh", conv_filters=[3], conv_kernel_size=5,
        conv_strides=2, conv_padding="valid", pooling="average", pool_size=3,
        task="regression", seed=0)
    conv, pool = model.get_layer("conv_0"), model.get_layer("pool_0")
    assert type(conv).__name__ == "Conv1D" and conv.kernel_size == (5,)
    assert conv.strides == (2,) and conv.padding == "valid"
    assert type(pool).__name__ == "AveragePooling1D" and pool.pool_size == (3,)
    assert model.get_layer("flatten").output.shape == (None, 6)  # 6 // 3 * 3


def test_deep_plain_cnn_downsamples_by_stride_at_the_blocks_asked():
    model = build_sequential((28, 28, 1), [], "tanh", conv_filters=[4] * 12,
                             pooling="stride", downsample_blocks=[0, 6],
                             num_classes=10, shaping=True, seed=0)
    convs = [model.get_layer(f"conv_{i}") for i in range(12)]
    assert [conv.strides for conv in convs] == [
        (2, 2) if i in (0, 6) else (1, 1) for i in range(12)]
    assert not any(name.startswith("pool") for name in layer_names(model))
    assert model.get_layer("flatten").output.shape[1:] == (7 * 7 * 4,)
    assert spec_of(model)["downsample_blocks"] == [0, 6]


def test_pooling_layers_end_only_the_blocks_asked():
    model = build_sequential((16, 16, 1), [], "relu", conv_filters=[2] * 4,
                             pool_size=2, downsample_blocks=[3, 1],
                             num_classes=2)
    assert [name for name in layer_names(model) if name.startswith("pool")] \
        == ["pool_1", "pool_3"]
    assert model.get_layer("flatten").output.shape[1:] == (4 * 4 * 2,)


@pytest.mark.parametrize("arguments, canonical", [
    # every block strides: the same model as strided convolutions throughout
    ({"pooling": "stride", "conv_strides": 3},
     {"pooling": None, "conv_strides": 2, "downsample_blocks": None}),
    # listing every block is the default
    ({"pooling": "max", "downsample_blocks": [2, 0, 1]},
     {"pooling": "max", "downsample_blocks": None}),
    ({"shaping": "tat"}, {"shaping": False}),  # shallow: nothing shaped
])
def test_equal_models_have_equal_specs(arguments, canonical):
    spec = spec_of(build_sequential((32, 32, 1), [], "tanh",
                                    conv_filters=[2] * 3, num_classes=2,
                                    seed=0, **arguments))
    assert {key: spec[key] for key in canonical} == canonical


def test_shaping_names_its_method_only_where_it_differs():
    def shaping(activation, value):
        return spec_of(build_sequential((8,), [4] * 20, activation, seed=0,
                                        num_classes=2, shaping=value))["shaping"]

    assert shaping("gelu", "tat") is True
    assert shaping("gelu", "dks") == "dks"
    # DKS leaves ReLU to TAT's leaky ReLU, as shaping=True does: the same
    # model, the same spec; SELU's kink leaves it to DKS under either.
    assert shaping("relu", "dks") is True
    assert shaping("selu", "dks") == "dks" and shaping("selu", True) == "dks"


def test_flatten_without_conv_and_no_hidden_layers():
    model = build_sequential((4, 4), [], task="binary", seed=0)
    assert layer_names(model) == ["flatten", "head"]
    assert model.output_shape == (None, 1)


@pytest.mark.parametrize("activation, expected", [
    ("relu", initializers.HeNormal), ("leaky_relu", initializers.HeNormal),
    ("selu", initializers.LecunNormal), ("tanh", initializers.GlorotUniform),
    ("sigmoid", initializers.GlorotUniform),
])
def test_auto_uses_the_registry_pairing(activation, expected):
    model = build_sequential((8,), [4, 4], activation, num_classes=2, seed=0)
    for name in ("dense_0", "dense_1"):
        init = model.get_layer(name).kernel_initializer
        assert type(init) is expected
        assert type(init) is type(activations.spec(activation).initializer())


def test_auto_deep_network_uses_critical_initialization():
    tanh = build_sequential((8,), [8] * 10, "tanh", num_classes=2, seed=0)
    assert isinstance(tanh.get_layer("dense_3").kernel_initializer,
                      initializers.Critical)
    assert isinstance(tanh.get_layer("dense_3").bias_initializer,
                      initializers.RandomNormal)
    relu = build_sequential((8,), [8] * 10, "relu", num_classes=2, seed=0)
    kernel = relu.get_layer("dense_3").kernel_initializer  # orthogonal, gain 2
    assert isinstance(kernel, initializers.Critical)
    assert kernel.point.weight_variance * kernel.gain**2 == pytest.approx(2.0)
    shaped = build_sequential((8,), [8] * 10, "relu", num_classes=2, seed=0,
                              shaping=True)
    recipe = for_activation("relu", depth=10, shaping=True, seed=0)
    act = shaped.get_layer("act_5")
    assert type(act) is layers.LeakyReLU
    assert act.negative_slope == recipe.activation_arguments["negative_slope"]
    assert spec_of(shaped)["shaping"] is True
    # Shaping has no effect on a shallow network, and the spec says so.
    assert spec_of(build_sequential((8,), [8], num_classes=2, shaping=True,
                                    seed=0))["shaping"] is False


def test_the_depth_counts_conv_layers():
    model = build_sequential((8, 8, 1), [8] * 5, "tanh", conv_filters=[2] * 4,
                             pooling=None, num_classes=2, seed=0)
    assert isinstance(model.get_layer("conv_0").kernel_initializer,
                      initializers.VarianceScaling)  # the critical input layer
    assert isinstance(model.get_layer("dense_4").kernel_initializer,
                      initializers.Critical)


@pytest.mark.parametrize("activation", [
    "SiLU", "keras_initact>swish", activations.spec("swish"), layers.Swish,
    activations.swish,
])
def test_activation_forms(activation):
    model = build_sequential((8,), [4], activation, num_classes=2, seed=0)
    assert type(model.get_layer("act_0")) is layers.Swish
    assert spec_of(model)["activation"] == "swish"


@pytest.mark.parametrize("activation", ["glu", "swiglu", "geglu", "reglu"])
def test_gated_units_get_layers_twice_as_wide(activation):
    model = build_sequential((8, 8, 1), [6, 4], activation, conv_filters=[3],
                             conv_kernel_size=3, num_classes=2, seed=0)
    assert model.get_layer("conv_0").filters == 6
    assert [model.get_layer(f"dense_{i}").units for i in (0, 1)] == [12, 8]
    assert model.get_layer("act_1").output.shape[-1] == 4
    assert model(X88).shape == (5, 2)
    spec = spec_of(model)
    assert spec["hidden_units"] == [6, 4] and spec["conv_filters"] == [3]
    assert spec["activation"] == activation
    assert same_weights(build_sequential(**spec), model)


def test_an_output_head_activation_is_refused_for_hidden_layers():
    with pytest.raises(ValueError, match="'sparsemax' mixes units.*allowed: "
                                         ".*swiglu"):
        build_sequential((8,), [4], "sparsemax", num_classes=2)


def test_keras_builtin_activation_function_is_identified():
    model = build_sequential((8,), [4], keras.activations.relu, num_classes=2)
    assert type(model.get_layer("act_0")) is layers.ReLU


@pytest.mark.parametrize("task, num_classes, units, activation", [
    ("classification", 4, 4, "softmax"), ("binary", None, 1, "sigmoid"),
    ("binary", 3, 3, "sigmoid"), ("regression", None, 1, "linear"),
    ("regression", 2, 2, "linear"),
])
def test_heads(task, num_classes, units, activation):
    model = build_sequential((8,), [4], task=task, num_classes=num_classes,
                             seed=0)
    head = model.get_layer("head")
    assert head.units == units and head.get_config()["activation"] == activation


def test_batch_norm_and_dropout():
    model = build_sequential((8, 8, 1), [8], "relu", conv_filters=[2],
                             batch_norm=True, dropout=0.25, num_classes=2,
                             seed=0)
    assert layer_names(model) == [
        "conv_0", "bn_conv_0", "act_conv_0", "pool_0", "flatten", "dense_0",
        "bn_0", "act_0", "dropout_0", "head"]
    assert not model.get_layer("conv_0").use_bias
    assert not model.get_layer("dense_0").use_bias
    assert model.get_layer("head").use_bias
    dropout = model.get_layer("dropout_0")
    assert type(dropout) is keras.layers.Dropout and dropout.rate == 0.25
    selu = build_sequential((8,), [8], "selu", dropout=0.1, num_classes=2)
    assert type(selu.get_layer("dropout_0")) is keras.layers.AlphaDropout


def test_explicit_initializers_by_name_and_object():
    model = build_sequential((8,), [8, 8], "relu", num_classes=2, seed=0,
                             kernel_initializer="orthogonal",
                             bias_initializer=keras.initializers.Constant(0.1))
    for name in ("dense_0", "dense_1", "head"):
        layer = model.get_layer(name)
        assert isinstance(layer.kernel_initializer, initializers.Orthogonal)
        np.testing.assert_allclose(layer.bias.numpy(), 0.1)
    keras_init = build_sequential(
        (8,), [8, 8], "relu", num_classes=8, seed=0,
        kernel_initializer=keras.initializers.GlorotNormal(seed=123))
    values = kernels(keras_init)
    assert isinstance(keras_init.get_layer("dense_1").kernel_initializer,
                      keras.initializers.GlorotNormal)
    assert not np.array_equal(values["dense_1"], values["head"])


# --- seeds ------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {}, {"kernel_initializer": "he_uniform",
         "bias_initializer": "random_normal"},
    {"hidden_units": [8] * 10, "activation": "tanh"},
])
def test_same_seed_same_model_and_no_shared_weights(kwargs):
    spec = {"input_shape": (8,), "hidden_units": [8, 8, 8],
            "num_classes": 8, **kwargs}
    a = build_sequential(**spec, seed=7)
    b = build_sequential(**spec, seed=7)
    c = build_sequential(**spec, seed=8)
    assert same_weights(a, b)
    assert not np.array_equal(kernels(a)["dense_1"], kernels(c)["dense_1"])
    square = [k for name, k in kernels(a).items() if name != "dense_0"]
    for i in range(len(square)):
        for j in range(i + 1, len(square)):
            assert not np.array_equal(square[i], square[j])


def test_seed_none_is_drawn_and_shown_by_spec_of():
    keras.utils.set_random_seed(3)
    a = build_sequential((8,), [8], num_classes=2)
    keras.utils.set_random_seed(3)
    b = build_sequential((8,), [8], num_classes=2)
    seed = spec_of(a)["seed"]
    assert isinstance(seed, int) and spec_of(b)["seed"] == seed
    assert same_weights(a, build_sequential(**spec_of(a)))


# --- μP -------------------------------------------------------------------

def mup_model(**kwargs):
    return build_sequential(**{**dict(
        input_shape=(8,), hidden_units=[32, 32], num_classes=3, seed=1,
        parametrization="mup", base_width=8), **kwargs})


def test_mup_builds_the_readout_and_records_each_variables_kind():
    from keras_initact.mup import MuReadout

    model = mup_model()
    head = model.get_layer("head")
    assert isinstance(head, MuReadout) and head.width_mult == 4.0
    assert not np.any(keras.ops.convert_to_numpy(head.kernel))  # zero init
    assert {path: shape.kind for path, shape in model.base_shapes.items()} \
        == {"dense_0/kernel": "input", "dense_0/bias": "input",
            "dense_1/kernel": "hidden", "dense_1/bias": "input",
            "head/kernel": "output", "head/bias": "fixed"}
    hidden = model.base_shapes["dense_1/kernel"]
    assert hidden.fan_in_mult == 4.0 and hidden.base_shape == (8, 8)


def test_mup_hidden_kernels_have_the_base_variance_over_the_width_mult():
    wide, base = mup_model(), mup_model(hidden_units=[8, 8])
    ratio = [float(np.mean(wide.get_layer(name).kernel.numpy() ** 2)
                   / np.mean(base.get_layer(name).kernel.numpy() ** 2))
             for name in ("dense_0", "dense_1")]
    # input: the same variance; hidden: 1 / m_in = 1/4 (mean squares of the
    # rescaled kernels are the base's exactly).
    assert ratio == [pytest.approx(1.0), pytest.approx(0.25)]


def test_mup_models_of_one_spec_are_the_same_model():
    a, b = mup_model(activation="gelu"), mup_model(activation="gelu")
    assert all(np.array_equal(x, y)
               for x, y in zip(a.get_weights(), b.get_weights()))
    assert a.base_shapes == b.base_shapes
    standard = build_sequential((8,), [32, 32], num_classes=3, seed=1)
    assert not hasattr(standard, "base_shapes")
    assert type(standard.get_layer("head")) is keras.layers.Dense


def test_a_mup_models_layer_outputs_are_connected_to_its_input():
    """What the callbacks' probes and coord_check read."""
    model = mup_model()
    probe = keras.Model(model.inputs, [layer.output for layer in model.layers])
    outputs = probe(np.ones((2, 8), "float32"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(outputs[-1]),
                               model.predict(np.ones((2, 8)), verbose=0),
                               rtol=1e-6)

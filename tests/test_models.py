"""The Sequential factory: layers, initializers, seeds, specs and `.keras` files."""

import dataclasses
import inspect
import json
import re

import keras
import numpy as np
import pytest

from keras_initact import activations, initializers, layers
from keras_initact.deep import for_activation
from keras_initact.models import (
    ModelSpec, build_sequential, factory, normalize_spec, spec_of,
)

X8 = np.random.default_rng(0).normal(size=(5, 8)).astype("float32")
X88 = np.random.default_rng(1).normal(size=(5, 8, 8, 1)).astype("float32")


def layer_names(model):
    return [layer.name for layer in model.layers]


def kernels(model):
    return {layer.name: layer.kernel.numpy() for layer in model.layers
            if hasattr(layer, "kernel")}


def same_weights(a, b):
    return len(a.weights) == len(b.weights) and all(
        np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a.weights, b.weights)
    )


# --- what the factory builds ------------------------------------------------

def test_top_level_exports():
    import keras_initact
    from keras_initact import models

    if not hasattr(keras_initact, "build_sequential"):
        pytest.skip("keras_initact/__init__.py does not export models yet")
    assert keras_initact.build_sequential is models.build_sequential
    assert keras_initact.spec_of is models.spec_of
    assert keras_initact.export_saved_model is models.export_saved_model


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


# --- ModelSpec: the one definition of the arguments --------------------------

def test_the_signature_is_the_model_specs_fields():
    signature = inspect.signature(build_sequential)
    assert str(signature) == (
        "(input_shape, hidden_units, activation='relu', "
        "kernel_initializer='auto', bias_initializer='auto', conv_filters=(), "
        "conv_kernel_size=3, conv_strides=1, conv_padding='same', "
        "pooling='max', pool_size=2, downsample_blocks=None, "
        "task='classification', num_classes=None, batch_norm=False, "
        "dropout=0.0, shaping=False, seed=None, name=None)")
    fields = dataclasses.fields(ModelSpec)
    assert list(signature.parameters) == [field.name for field in fields]
    for field in fields:
        default = signature.parameters[field.name].default
        assert default == field.default or (
            field.default is dataclasses.MISSING
            and default is inspect.Parameter.empty)


def test_the_docstring_documents_every_argument_in_order():
    args = build_sequential.__doc__.split("    Args:\n", 1)[1]
    args = args.split("\n\n", 1)[0]
    documented = []
    for entry in re.findall(r"^ {8}(\w+(?:, \w+)*):", args, re.MULTILINE):
        documented += entry.split(", ")
    assert documented == [field.name for field in dataclasses.fields(ModelSpec)]


def test_missing_and_unknown_arguments_are_named():
    with pytest.raises(TypeError, match="build_sequential.*'hidden_units'"):
        build_sequential((8,))
    with pytest.raises(TypeError, match="build_sequential.*'units'"):
        build_sequential((8,), [4], units=3)


def test_numpy_numbers_are_accepted_and_stored_as_python_ones():
    given = dict(input_shape=np.array([8, 8, 1]), hidden_units=[np.int64(4)],
                 conv_filters=(np.int32(2),), conv_kernel_size=np.int64(3),
                 pool_size=[np.int8(2), 2], downsample_blocks=[np.int64(0)],
                 num_classes=np.int64(3), batch_norm=np.bool_(True),
                 dropout=np.float32(0.1), seed=np.int64(3))
    spec = normalize_spec(**given)
    assert json.loads(json.dumps(spec)) == spec
    expected = normalize_spec(
        (8, 8, 1), [4], conv_filters=[2], conv_kernel_size=3, pool_size=2,
        downsample_blocks=[0], num_classes=3, batch_norm=True,
        dropout=float(np.float32(0.1)), seed=3)
    assert spec == expected
    assert all(type(spec[key]) is type(expected[key]) for key in spec)
    assert type(spec["dropout"]) is float and type(spec["seed"]) is int
    deep = normalize_spec((8,), [4] * 20, "gelu", num_classes=2, seed=0,
                          shaping=np.bool_(True))
    assert deep["shaping"] is True


@pytest.mark.parametrize("argument, value", [
    ("dropout", np.float32(np.nan)), ("dropout", np.inf),
    ("seed", np.float64(3.0)), ("num_classes", np.float32(3)),
    ("batch_norm", np.int64(1)), ("hidden_units", [np.float32(4)]),
])
def test_numpy_values_that_are_not_allowed_are_refused(argument, value):
    with pytest.raises(ValueError, match=argument) as info:
        build_sequential(**bad(**{argument: value}))
    assert repr(value) in str(info.value)


def test_a_model_spec_is_frozen_canonical_and_round_trips():
    spec = ModelSpec((8, 8, 1), [8], "SiLU", conv_filters=[2, 4],
                     pooling="stride", num_classes=3, seed=4)
    assert spec.activation == "swish" and spec.hidden_units == (8,)
    assert spec.pooling is None and spec.depth == 3 and spec.conv_rank == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.seed = 5
    config = spec.get_config()
    assert config == normalize_spec(**config)
    assert ModelSpec.from_config(json.loads(json.dumps(config))) == spec
    assert dataclasses.replace(spec, seed=5).get_config() == {**config,
                                                             "seed": 5}
    assert spec_of(build_sequential(**config)) == config


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


def bad(**kwargs):
    spec = {"input_shape": (8,), "hidden_units": [4], "num_classes": 2}
    return {**spec, **kwargs}


@pytest.mark.parametrize("kwargs, message", [
    (bad(hidden_units=[16, 0]), r"positive integers.*0"),
    (bad(hidden_units=[-3]), r"hidden_units=\[-3\]"),
    (bad(hidden_units=64), r"list or tuple of positive integers"),
    (bad(hidden_units=[4.5]), r"4.5"),
    (bad(input_shape=()), r"input_shape.*not be empty"),
    (bad(input_shape=(None, 3)), r"None"),
    (bad(activation="relux"), r"Unknown activation 'relux'.*relu"),
    (bad(activation=lambda x: x), r"unknown activation.*known names: .*mish"),
    (bad(activation=layers.ReLU()), r"not a layer instance"),
    (bad(activation="softmax"), r"'softmax' mixes units"),
    (bad(task="clasification"), r"task='clasification'.*'classification'"),
    (bad(num_classes=None), r"num_classes.*>= 2"),
    (bad(num_classes=1), r"task='binary'"),
    (bad(task="binary", num_classes=0), r"positive int"),
    (bad(conv_filters=[8]), r"conv stack.*input_shape=\(8,\) \(1-D\)"),
    (bad(input_shape=(4, 4, 1), conv_filters=[2] * 3),
     r"shrinks input_shape=\(4, 4, 1\) to nothing at pool_2"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2], conv_kernel_size=(3, 3, 3)),
     r"conv_kernel_size.*2 ints"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2], pooling="maximum"),
     r"pooling='maximum'.*'max'"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2], conv_padding="full"),
     r"conv_padding='full'"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2] * 3, downsample_blocks=[3]),
     r"downsample_blocks.*\[0, 3\).*there are 3 conv blocks.*\[3\]"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2] * 3, downsample_blocks=[1, 1]),
     r"lists a block twice.*\[1, 1\]"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2] * 3, downsample_blocks=2),
     r"downsample_blocks=2"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2] * 3, downsample_blocks=[0],
         pooling=None), r"downsample_blocks=\[0\] needs a way to downsample"),
    (bad(input_shape=(8, 8, 1), conv_filters=[2] * 4, pooling="stride",
         conv_padding="valid"),
     r"shrinks input_shape=\(8, 8, 1\) to nothing at conv_2"),
    (bad(shaping="tta"), r"build_sequential: shaping must be False, True \(TAT\), 'tat' or "
                         r"'dks'; received shaping='tta'"),
    (bad(shaping=1), r"shaping=1"),
    (bad(dropout=1.0), r"dropout.*\[0, 1\)"),
    (bad(batch_norm="yes"), r"batch_norm.*True or False"),
    (bad(kernel_initializer="he_nromal"), r"Unknown initializer 'he_nromal'"),
    (bad(kernel_initializer=np.ones), r"keras.initializers.Initializer"),
    (bad(bias_initializer=None), r"bias_initializer.*None"),
    (bad(seed=-1), r"seed.*\[0, 2147483647\)"),
    (bad(seed=1.5), r"seed=1.5"),
    (bad(name="my model/v2"), r"name='my model/v2'"),
])
def test_bad_specs_fail_before_anything_is_built(kwargs, message, monkeypatch):
    def never(spec):
        raise AssertionError("layers were built for a bad spec")

    monkeypatch.setattr(factory, "build_layers", never)
    with pytest.raises(ValueError, match=message):
        build_sequential(**kwargs)


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

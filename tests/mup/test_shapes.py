"""set_base_shapes: which axes are widths, each variable's kind, μP's
initialization, and the errors for models it cannot parametrize."""

import keras
import numpy as np
import pytest

from keras_initact import mup
from keras_initact.mup import BaseShapes, WidthShape


def mlp(width, readout=mup.MuReadout, zero_init=True, depth=2):
    inputs = keras.Input((6,))
    x = inputs
    for index in range(depth):
        x = keras.layers.Dense(width, activation="relu",
                               name=f"dense_{index}")(x)
    head = readout(3, name="head", **(
        {"zero_init": zero_init} if readout is mup.MuReadout else {}))
    return keras.Model(inputs, head(x))


def kinds(shapes):
    return {path: (shape.kind, shape.fan_in_mult, shape.fan_out_mult)
            for path, shape in shapes.items()}


def mean_square(variable):
    return float(np.mean(keras.ops.convert_to_numpy(variable) ** 2))


def test_an_mlp_has_input_hidden_and_output_weights():
    model = mlp(32)
    shapes = mup.set_base_shapes(model, mlp(8))
    assert kinds(shapes) == {
        "dense_0/kernel": ("input", 1.0, 4.0),
        "dense_0/bias": ("input", 1.0, 4.0),
        "dense_1/kernel": ("hidden", 4.0, 4.0),
        "dense_1/bias": ("input", 1.0, 4.0),
        "head/kernel": ("output", 4.0, 1.0),
        "head/bias": ("fixed", 1.0, 1.0),
    }
    assert model.base_shapes is shapes
    assert model.get_layer("head").width_mult == 4.0


def test_convolutions_count_channels_not_the_window():
    def cnn(width):
        inputs = keras.Input((8, 8, 3))
        x = keras.layers.Conv2D(width, 3, name="stem")(inputs)
        x = keras.layers.Conv2D(2 * width, 3, name="conv")(x)
        x = keras.layers.DepthwiseConv2D(3, name="depthwise")(x)
        x = keras.layers.Conv2DTranspose(width, 3, name="up")(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        return keras.Model(inputs, mup.MuReadout(3, name="head")(x))

    found = kinds(mup.set_base_shapes(cnn(16), cnn(4)))
    assert found["stem/kernel"] == ("input", 1.0, 4.0)
    assert found["conv/kernel"] == ("hidden", 4.0, 4.0)
    # A depthwise kernel sums over its window alone: fan-in fixed.
    assert found["depthwise/kernel"] == ("input", 1.0, 4.0)
    # A transposed kernel is kernel_size + (filters, in_channels).
    assert found["up/kernel"] == ("hidden", 4.0, 4.0)
    assert found["head/kernel"] == ("output", 4.0, 1.0)


def transformer(width, heads, vocabulary=20):
    tokens = keras.Input((5,), dtype="int32")
    x = keras.layers.Embedding(vocabulary, width, name="embed")(tokens)
    x = keras.layers.MultiHeadAttention(heads, 4, name="attention")(x, x)
    x = keras.layers.LayerNormalization(name="norm")(x)
    x = keras.layers.EinsumDense("btd,df->btf", output_shape=(None, 2 * width),
                                 bias_axes="f", name="ffn")(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(tokens, mup.MuReadout(3, name="head")(x))


def test_attention_einsum_and_embeddings_read_their_equations():
    model, base = transformer(32, 8), transformer(8, 2)
    found = kinds(mup.set_base_shapes(model, base))
    assert found["embed/embeddings"] == ("input", 1.0, 4.0)
    # (width, heads, key_dim) with the heads scaling: hidden both ways.
    assert found["attention/query/kernel"] == ("hidden", 4.0, 4.0)
    assert found["attention/query/bias"] == ("input", 1.0, 4.0)
    # (heads, key_dim, width): sums over heads and key_dim.
    assert found["attention/attention_output/kernel"] == ("hidden", 4.0, 4.0)
    assert found["norm/gamma"] == ("input", 1.0, 4.0)
    assert found["ffn/kernel"] == ("hidden", 4.0, 4.0)
    assert found["ffn/bias"] == ("input", 1.0, 4.0)


def test_rescaling_gives_the_base_mean_square_times_the_tables_variance():
    model, base = mlp(64, zero_init=False), mlp(16, zero_init=False)
    before = keras.ops.convert_to_numpy(model.get_layer("dense_1").kernel)
    mup.set_base_shapes(model, base)
    ratios = {name: mean_square(model.get_layer(name).kernel)
              / mean_square(base.get_layer(name).kernel)
              for name in ("dense_0", "dense_1", "head")}
    assert ratios == {"dense_0": pytest.approx(1.0),
                      "dense_1": pytest.approx(1 / 4),
                      "head": pytest.approx(1.0)}
    after = keras.ops.convert_to_numpy(model.get_layer("dense_1").kernel)
    # Rescaled, not redrawn: the distribution keeps its shape.
    np.testing.assert_allclose(after / before, (after / before).flat[0],
                               rtol=1e-5)
    # Constants (the zero biases) stay what they were.
    assert not np.any(keras.ops.convert_to_numpy(
        model.get_layer("dense_0").bias))


def test_a_zero_init_readout_starts_at_zero_and_rescale_false_keeps_weights():
    model = mlp(32)
    head = model.get_layer("head")
    head.kernel.assign(np.ones(head.kernel.shape, "float32"))
    kept = [w.copy() for w in model.get_weights()]
    mup.set_base_shapes(model, mlp(8), rescale=False)
    assert all(np.array_equal(a, b) for a, b in zip(kept,
                                                    model.get_weights()))
    mup.set_base_shapes(model, mlp(8))
    assert not np.any(keras.ops.convert_to_numpy(head.kernel))


def test_a_delta_model_tells_the_widths_of_a_model_at_the_base_width():
    base = mlp(8)
    shapes = mup.set_base_shapes(mlp(8), base, delta_model=mlp(16))
    assert kinds(shapes)["dense_1/kernel"] == ("hidden", 1.0, 1.0)
    assert shapes["head/kernel"].kind == "output"


@pytest.mark.parametrize("base, message", [
    (lambda: mlp(8, depth=3), r"`base_model` must be the model's "
     r"architecture at another width; its layer #2 is a Dense with 2 "
     r"variables, the model.s a MuReadout"),
    (lambda: mlp(64), r"'dense_0/kernel' has width 32 on axis 1, below the "
     r"base model's 64"),
    (lambda: "mlp", r"`base_model` must be a built keras.Model; received "
     r"'mlp'"),
])
def test_a_base_of_another_architecture_or_wider_is_refused(base, message):
    with pytest.raises(ValueError, match=message):
        mup.set_base_shapes(mlp(32), base())


def test_a_plain_dense_readout_is_refused():
    plain = lambda width: mlp(width, readout=keras.layers.Dense)  # noqa: E731
    with pytest.raises(ValueError, match=r"'head/kernel' maps a width "
                       r"\(fan-in x4\) to a fixed size.*MuReadout"):
        mup.set_base_shapes(plain(32), plain(8))


def test_attention_that_narrows_a_width_to_fixed_heads_is_refused():
    with pytest.raises(ValueError, match=r"'attention/query/kernel' maps a "
                       r"width.*number of heads"):
        mup.set_base_shapes(transformer(32, 2), transformer(8, 2))


def test_a_model_that_is_not_built_is_refused():
    with pytest.raises(ValueError, match=r"`model` must be a built "
                       r"keras.Model with variables"):
        mup.set_base_shapes(keras.Sequential([keras.layers.Dense(3)]),
                            mlp(8))
    with pytest.raises(ValueError, match=r"`model` must be a built"):
        mup.set_base_shapes(keras.layers.Dense(3), mlp(8))


def test_bad_rescale_names_the_argument():
    with pytest.raises(ValueError, match="rescale"):
        mup.set_base_shapes(mlp(32), mlp(8), rescale="yes")


def test_shapes_are_found_by_path_or_by_a_unique_suffix():
    hidden = WidthShape((32, 32), (8, 8), (0,), (1,), (0, 1))
    bias = WidthShape((32,), (8,), (), (0,), (0,))
    shapes = BaseShapes({"seq/dense/kernel": hidden,
                         "seq/dense/bias": bias, "other/bias": bias})
    assert shapes.shape_of("seq/dense/kernel") is hidden
    # A Sequential's paths lose the model's name once loaded.
    assert shapes.shape_of("dense/kernel") is hidden
    assert shapes.shape_of("outer/seq/dense/kernel") is hidden
    assert shapes.shape_of("bias") is None        # two candidates
    assert shapes.shape_of("ense/kernel") is None  # not at a "/"


def test_base_shapes_round_trip_through_their_config():
    shapes = mup.set_base_shapes(mlp(32), mlp(8))
    config = shapes.get_config()
    assert BaseShapes.from_config(config) == shapes
    assert repr(shapes) == ("BaseShapes(6 variables: {'input': 3, "
                            "'hidden': 1, 'output': 1, 'fixed': 1})")
    hidden = shapes["dense_1/kernel"]
    assert hidden.learning_rate_multiplier("adam") == 0.25
    assert hidden.learning_rate_multiplier("sgd") == 1.0
    assert hidden.init_variance_multiplier == 0.25


def test_attention_that_widens_key_dim_is_warned_about():
    def model(width):
        tokens = keras.Input((5, 4))
        x = keras.layers.Dense(width, name="embed")(tokens)
        x = keras.layers.MultiHeadAttention(2, width // 2, name="attention")(
            x, x)
        x = keras.layers.GlobalAveragePooling1D()(x)
        return keras.Model(tokens, mup.MuReadout(3, name="head")(x))

    with pytest.warns(UserWarning, match=r"'attention' widens key_dim "
                      r"\(4 -> 16\).*1/key_dim.*num_heads"):
        shapes = mup.set_base_shapes(model(32), model(8))
    assert shapes["attention/query/kernel"].kind == "hidden"


class Block(keras.layers.Layer):
    """A custom layer holding an EinsumDense, as transformer blocks are."""

    def __init__(self, width, **kwargs):
        super().__init__(**kwargs)
        self.project = keras.layers.EinsumDense(
            "bd,dhk->bhk", output_shape=(width // 4, 4), name="project")
        self.flatten = keras.layers.Flatten()

    def call(self, x):
        return self.flatten(self.project(x))


class Head(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.readout = mup.MuReadout(3, name="readout")

    def call(self, x):
        return self.readout(x)


def test_weights_inside_custom_layers_are_found():
    def model(width):
        inputs = keras.Input((6,))
        x = keras.layers.Dense(width, name="embed")(inputs)
        return keras.Model(inputs, Head(name="head")(Block(width,
                                                           name="block")(x)))

    wide = model(32)
    found = kinds(mup.set_base_shapes(wide, model(8)))
    # (width, width / 4, 4): sums over the width, the heads are one.
    assert found["block/project/kernel"] == ("hidden", 4.0, 4.0)
    assert found["head/readout/kernel"] == ("output", 4.0, 1.0)
    readout = wide.get_layer("head").readout
    assert readout.width_mult == 4.0


def test_a_keras_applications_mobilenet_widens_by_its_alpha():
    """MobileNet's `alpha` is a width multiplier: alpha 1 against 0.5."""
    def build(alpha):
        base = keras.applications.MobileNet(
            weights=None, include_top=False, input_shape=(32, 32, 3),
            alpha=alpha)
        pooled = keras.layers.GlobalAveragePooling2D()(base.output)
        return keras.Model(base.input, mup.MuReadout(10, name="head")(pooled))

    model = build(1.0)
    shapes = mup.set_base_shapes(model, build(0.5))
    trained = {shapes.shape_of(v.path).kind for v in model.trainable_variables}
    assert trained == {"input", "hidden", "output", "fixed"}
    hidden = [s for _, s in shapes.items() if s.kind == "hidden"]
    # Its 13 pointwise convolutions; depthwise ones and the stem have a
    # fixed fan-in.
    assert len(hidden) == 13 and {s.fan_in_mult for s in hidden} == {2.0}
    assert model.get_layer("head").width_mult == 2.0
    model.compile(mup.Adam(1e-3, base_shapes=shapes),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(0).normal(size=(8, 32, 32, 3)).astype("float32")
    model.fit(x, np.arange(8) % 10, epochs=1, verbose=0)

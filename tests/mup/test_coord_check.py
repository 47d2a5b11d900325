"""coord_check: under μP each layer's activation size after 5 Adam steps
is flat in width; under the standard parametrization the readout's grows."""

import keras
import numpy as np
import pytest

from keras_initact import mup
from keras_initact.models import build_sequential

WIDTHS = [64, 1024]
X = np.random.default_rng(0).normal(size=(64, 16)).astype("float32")
Y = np.arange(64) % 10


def factory_mlp(parametrization):
    extra = dict(parametrization="mup", base_width=64) \
        if parametrization == "mup" else {}
    return lambda width: build_sequential(
        (16,), [width, width], "relu", task="regression", num_classes=10,
        seed=0, **extra)


OPTIMIZERS = {
    "mup": lambda model: mup.Adam(1e-2, base_shapes=model.base_shapes),
    "standard": lambda model: keras.optimizers.Adam(1e-2),
}


@pytest.fixture(scope="module")
def frames():
    return {name: mup.coord_check(factory_mlp(name), WIDTHS, X, Y,
                                  OPTIMIZERS[name], steps=5)
            for name in ("standard", "mup")}


def growth(frame, step=5):
    """Each layer's mean |activation| at the widest over the narrowest."""
    last = frame[frame["step"] == step].pivot(index="layer", columns="width",
                                              values="l1")
    return (last[WIDTHS[-1]] / last[WIDTHS[0]]).to_dict()


def test_the_frame_has_a_row_per_width_seed_step_and_layer(frames):
    frame = frames["mup"]
    assert list(frame.columns) == ["width", "seed", "step", "layer_index",
                                   "layer", "l1"]
    layers = ["dense_0", "act_0", "dense_1", "act_1", "head"]
    assert len(frame) == len(WIDTHS) * 6 * len(layers)
    assert list(frame[(frame.width == 64) & (frame.step == 0)]["layer"]) \
        == layers
    # The readout starts at zero, μP's recommendation.
    assert frame[(frame.layer == "head") & (frame.step == 0)]["l1"].eq(0).all()


def test_under_mup_every_layer_stays_within_a_factor_of_two(frames):
    ratios = growth(frames["mup"])
    assert all(0.5 <= ratio <= 2.0 for ratio in ratios.values()), ratios


def test_under_the_standard_parametrization_the_readout_grows(frames):
    assert growth(frames["standard"])["head"] > 2.0


def test_the_figure_is_written(frames, tmp_path):
    path = mup.plot_coord_check(frames, tmp_path / "coord.png", title="t")
    assert (tmp_path / "coord.png").stat().st_size > 10_000
    assert path == tmp_path / "coord.png"
    assert [p.name for p in tmp_path.iterdir()] == ["coord.png"]
    with pytest.raises(ValueError, match=r"frame 'x' lacks the columns "
                       r"\['l1'"):
        mup.plot_coord_check({"x": frames["mup"].drop(columns="l1")},
                             tmp_path / "bad.png")


def tiny(width):
    inputs = keras.Input((16,))
    return keras.Model(inputs, keras.layers.Dense(10)(
        keras.layers.Dense(width)(inputs)))


@pytest.mark.parametrize("kwargs, message", [
    (dict(widths=[]), r"`widths` must not be empty"),
    (dict(widths=[64, -1]), r"`widths`.*-1"),
    (dict(steps=-1), r"`steps` must be a non-negative integer; received "
     r"steps=-1"),
    (dict(seeds=3), r"`seeds` must be a non-empty list.*seeds=3"),
    (dict(y=Y[:3]), r"`x` and `y` must hold as many samples; received 64 "
     r"and 3"),
    (dict(build_fn="mlp"), r"`build_fn` must be a callable"),
    (dict(optimizer_fn=None), r"`optimizer_fn` must be a callable"),
    (dict(build_fn=lambda width: "model"), r"`build_fn\(8\)` must return a "
     r"keras.Model"),
    (dict(build_fn=lambda width: keras.Sequential([keras.layers.Dense(2)])),
     r"without inputs"),
])
def test_bad_arguments_are_named(kwargs, message):
    arguments = dict(build_fn=tiny, widths=[8], x=X, y=Y,
                     optimizer_fn=lambda model: keras.optimizers.SGD(),
                     steps=1)
    with pytest.raises(ValueError, match=message):
        mup.coord_check(**{**arguments, **kwargs})


def test_a_softmax_head_is_warned_about():
    build = lambda width: build_sequential((16,), [width], num_classes=10,  # noqa: E731
                                           seed=0)
    with pytest.warns(UserWarning, match=r"'head' ends in softmax.*logits"):
        mup.coord_check(build, [8], X, Y, OPTIMIZERS["standard"], steps=0,
                        loss="sparse_categorical_crossentropy")


TOKENS = np.random.default_rng(1).integers(0, 50, size=(64, 8))


def transformer(parametrization):
    """A residual attention + GELU MLP block, its key_dim half the width."""
    mu = parametrization == "mup"

    def block(width):
        tokens = keras.Input((8,), dtype="int32")
        x = keras.layers.Embedding(50, width, name="embed")(tokens)
        attention = (mup.MuMultiHeadAttention if mu else
                     keras.layers.MultiHeadAttention)(2, width // 2,
                                                      name="attention")
        x = keras.layers.Add(name="res1")([x, attention(x, x)])
        h = keras.layers.Dense(2 * width, activation="gelu", name="ffn_in")(x)
        x = keras.layers.Add(name="res2")(
            [x, keras.layers.Dense(width, name="ffn_out")(h)])
        x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
        head = (mup.MuReadout(10, name="head") if mu
                else keras.layers.Dense(10, name="head"))
        return keras.Model(tokens, head(x))

    def build(width):
        model = block(width)
        if mu:
            mup.set_base_shapes(model, block(32))
        return model

    return build


def test_a_transformer_block_is_flat_in_width_under_mup():
    """Embedding, attention, MLP and readout, 32 to 512 wide. (Five steps
    do not tell μP's 1/key_dim logits from Keras's 1/sqrt(key_dim): the
    attention's own tests check its scale exactly.)"""
    rates = {"mup": lambda model: mup.Adam(3e-3,
                                           base_shapes=model.base_shapes),
             "standard": lambda model: keras.optimizers.Adam(3e-3)}
    ratios = {}
    for name, optimizer in rates.items():
        frame = mup.coord_check(transformer(name), [32, 512], TOKENS, Y,
                                optimizer, steps=5)
        last = frame[frame["step"] == 5].pivot(index="layer", columns="width",
                                               values="l1")
        ratios[name] = (last[512] / last[32]).to_dict()
    assert all(0.5 <= r <= 2.0 for r in ratios["mup"].values()), ratios
    assert ratios["standard"]["head"] > 4.0, ratios

"""keras_initact.layers.residual: `ResidualScale` (SkipInit, ReZero) and
DeepNorm's `deepnorm_constants` and `DeepNormResidual`.

`deepnorm_constants` gives DeepNet's alpha and beta (Fig. 2 of the paper)
for an encoder, a decoder and each part of an encoder-decoder, and refuses
depths and parts that name no part of the model. `ResidualScale` multiplies
by one learned float32 scalar that starts at `initial_value` (0: the block
is the identity, and the first step moves only the scalar); `DeepNormResidual`
computes `alpha * x + fx` with a fixed alpha and refuses inputs that are not
a pair of one shape. Both keep the shape, pass masks, compute in float16
under mixed precision, round-trip their config and a `.keras` file."""

import dataclasses
import math

import keras
import numpy as np
import pytest

from keras_initact import layers as L
from keras_initact.layers import (
    DeepNormConstants, DeepNormResidual, ResidualScale, deepnorm_constants,
)


def numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def dtype(tensor):
    return keras.backend.standardize_dtype(tensor.dtype)


X = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
FX = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")


# --- DeepNorm's constants ----------------------------------------------------


@pytest.mark.parametrize("arguments, alpha, beta", [
    # encoder only: (2N)^(1/4), (8N)^(-1/4)
    ({"encoder_layers": 6}, math.sqrt(math.sqrt(12)), 1 / math.sqrt(
        math.sqrt(48))),
    ({"encoder_layers": 1, "part": "encoder"}, 2 ** 0.25, 8 ** -0.25),
    # decoder only: (2M)^(1/4), (8M)^(-1/4)
    ({"decoder_layers": 18}, 6 ** 0.5, 1 / 12 ** 0.5),
    ({"decoder_layers": 12, "part": "decoder"}, 24 ** 0.25, 96 ** -0.25),
    # encoder-decoder, the encoder: 0.81 (N^4 M)^(1/16), 0.87 (N^4 M)^(-1/16)
    ({"encoder_layers": 6, "decoder_layers": 6, "part": "encoder"},
     0.81 * 6 ** (5 / 16), 0.87 * 6 ** (-5 / 16)),
    ({"encoder_layers": 16, "decoder_layers": 256, "part": "encoder"},
     0.81 * 2 ** 1.5, 0.87 * 2 ** -1.5),  # N^4 M = 2^24
    # encoder-decoder, the decoder: (3M)^(1/4), (12M)^(-1/4)
    ({"encoder_layers": 6, "decoder_layers": 27, "part": "decoder"},
     3.0, 1 / (324 ** 0.25)),
    ({"encoder_layers": 100, "decoder_layers": 100, "part": "decoder"},
     300 ** 0.25, 1200 ** -0.25),
])
def test_deepnorm_constants_are_the_papers(arguments, alpha, beta):
    constants = deepnorm_constants(**arguments)
    assert isinstance(constants, DeepNormConstants)
    assert constants.alpha == pytest.approx(alpha, rel=1e-14)
    assert constants.beta == pytest.approx(beta, rel=1e-14)


def test_deepnorm_constants_in_decimals():
    """The numbers of the formulas, worked out by hand."""
    encoder = deepnorm_constants(encoder_layers=6)
    assert (round(encoder.alpha, 4), round(encoder.beta, 4)) == (1.8612, 0.3799)
    both = dict(encoder_layers=6, decoder_layers=6)
    encoder = deepnorm_constants(**both, part="encoder")
    assert (round(encoder.alpha, 4), round(encoder.beta, 4)) == (1.4179, 0.4970)
    decoder = deepnorm_constants(**both, part="decoder")
    assert (round(decoder.alpha, 4), round(decoder.beta, 4)) == (2.0598, 0.3433)


def test_deepnorm_alpha_grows_and_beta_shrinks_with_depth():
    shallow, deep = (deepnorm_constants(encoder_layers=n) for n in (6, 1000))
    assert 1 < shallow.alpha < deep.alpha and deep.beta < shallow.beta < 1


def test_deepnorm_constants_take_numpy_integers_and_are_frozen():
    constants = deepnorm_constants(encoder_layers=np.int64(6),
                                   decoder_layers=np.int32(0))
    assert constants == deepnorm_constants(encoder_layers=6)
    assert type(constants.alpha) is float and type(constants.beta) is float
    with pytest.raises(dataclasses.FrozenInstanceError):
        constants.alpha = 2.0
    assert DeepNormConstants(alpha=np.float32(2), beta=1).alpha == 2.0
    with pytest.raises(ValueError, match=r"DeepNormConstants: `beta` must be "
                                         r"positive; received beta=0"):
        DeepNormConstants(alpha=2.0, beta=0)


@pytest.mark.parametrize("arguments, message", [
    ({}, r"must be positive; received encoder_layers=0, decoder_layers=0"),
    ({"encoder_layers": -1}, r"`encoder_layers` must be a non-negative "
                             r"integer .*received encoder_layers=-1"),
    ({"decoder_layers": -12}, r"`decoder_layers`.*decoder_layers=-12"),
    ({"encoder_layers": 1.5}, r"`encoder_layers` must be an integer; "
                              r"received encoder_layers=1.5"),
    ({"encoder_layers": True}, r"`encoder_layers`.*encoder_layers=True"),
    ({"decoder_layers": "6"}, r"`decoder_layers`.*decoder_layers='6'"),
    ({"encoder_layers": None}, r"`encoder_layers`.*encoder_layers=None"),
    ({"encoder_layers": 6, "part": "middle"},
     r"unknown part='middle'. Allowed: None, 'encoder', 'decoder'"),
    ({"encoder_layers": 6, "part": "Encoder"}, r"part='Encoder'.*'encoder'"),
    ({"encoder_layers": 6, "part": "decoder"},
     r"part='decoder' needs `decoder_layers` >= 1.*encoder_layers=6, "
     r"decoder_layers=0, part='decoder'"),
    ({"decoder_layers": 6, "part": "encoder"},
     r"part='encoder' needs `encoder_layers` >= 1.*encoder_layers=0"),
    ({"encoder_layers": 6, "decoder_layers": 6},
     r"give part='encoder' or part='decoder'.*part=None"),
])
def test_deepnorm_constants_refuse_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=rf"deepnorm_constants: .*{message}"):
        deepnorm_constants(**arguments)


# --- ResidualScale -----------------------------------------------------------


def test_residual_scale_has_one_float32_scalar_at_its_initial_value():
    layer = ResidualScale(initial_value=0.25)
    assert not layer.built  # built on the first call, as Keras's are
    layer(X)
    assert [w.name for w in layer.trainable_weights] == ["alpha"]
    assert tuple(layer.alpha.shape) == () and layer.alpha.dtype == "float32"
    assert float(numpy(layer.alpha)) == 0.25
    layer = ResidualScale()
    layer.build(None)
    assert float(numpy(layer.alpha)) == 0.0
    frozen = ResidualScale(initial_value=2, trainable=False)
    frozen.build((None, 4))
    assert not frozen.trainable_weights and len(frozen.non_trainable_weights) == 1


def test_residual_scale_multiplies_its_input_by_alpha():
    layer = ResidualScale(initial_value=-1.5)
    np.testing.assert_array_equal(numpy(layer(X)), -1.5 * X)
    layer.alpha.assign(0.3)
    np.testing.assert_array_equal(numpy(layer(X)), X * np.float32(0.3))
    np.testing.assert_array_equal(numpy(ResidualScale()(X)), np.zeros_like(X))


def rezero_model(width=4, initial_value=0.0):
    """`x + alpha * relu(Dense(x))`, then a Dense head."""
    inputs = keras.Input((width,))
    branch = keras.layers.Dense(width, activation="relu", name="branch")(inputs)
    scale = ResidualScale(initial_value=initial_value, name="scale")
    h = keras.layers.Add()([inputs, scale(branch)])
    return keras.Model(inputs, keras.layers.Dense(1, name="head")(h))


def test_rezero_block_starts_as_the_identity():
    keras.utils.set_random_seed(2)
    model = rezero_model()
    block = keras.Model(model.input, model.layers[-2].output)
    x = X[:, 0]
    np.testing.assert_array_equal(numpy(block(x)), x)


def test_first_step_moves_only_alpha_and_fit_trains_the_block():
    keras.utils.set_random_seed(3)
    model = rezero_model()
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    x = np.random.default_rng(4).normal(size=(64, 4)).astype("float32")
    y = np.sum(np.maximum(x, 0) ** 2, axis=1, keepdims=True)
    kernel = numpy(model.get_layer("branch").kernel).copy()
    model.train_on_batch(x, y)
    alpha = model.get_layer("scale").alpha
    # d loss / d alpha = <d loss / d y, F(x)> is not 0; the branch's
    # gradient carries the factor alpha = 0.
    assert float(numpy(alpha)) != 0.0
    np.testing.assert_array_equal(numpy(model.get_layer("branch").kernel),
                                  kernel)
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.5 * losses[0]
    assert not np.allclose(numpy(model.get_layer("branch").kernel), kernel)


def test_residual_scale_keeps_the_shape_and_passes_the_mask():
    layer = ResidualScale(initial_value=1.0)
    assert layer.compute_output_shape((None, 3, 8)) == (None, 3, 8)
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    embedded = keras.layers.Embedding(5, 8, mask_zero=True)(ids)
    np.testing.assert_array_equal(numpy(layer(embedded)._keras_mask), ids != 0)


# --- DeepNormResidual --------------------------------------------------------


def test_deepnorm_residual_adds_alpha_times_the_shortcut_to_the_branch():
    layer = DeepNormResidual(alpha=2.5)
    assert layer.alpha == 2.5 and not layer.weights
    np.testing.assert_allclose(numpy(layer([X, FX])), 2.5 * X + FX,
                               rtol=1e-6, atol=1e-6)
    alpha = deepnorm_constants(encoder_layers=6).alpha
    np.testing.assert_allclose(numpy(DeepNormResidual(alpha)((X, FX))),
                               np.float32(alpha) * X + FX, rtol=1e-6,
                               atol=1e-6)


def test_deepnorm_residual_in_a_post_ln_block():
    alpha = deepnorm_constants(encoder_layers=12).alpha
    inputs = keras.Input((3, 4))
    f = keras.layers.Dense(4)(keras.layers.Dense(16, activation="gelu")(inputs))
    summed = DeepNormResidual(alpha)([inputs, f])
    outputs = keras.layers.LayerNormalization()(summed)
    assert tuple(summed.shape) == (None, 3, 4) == tuple(outputs.shape)
    model = keras.Model(inputs, [summed, f])
    summed, f = model(X)
    np.testing.assert_allclose(numpy(summed), np.float32(alpha) * X + numpy(f),
                               rtol=1e-5, atol=1e-6)


def test_deepnorm_residual_shapes_and_masks():
    layer = DeepNormResidual(1.5)
    assert layer.compute_output_shape([(None, 3, 4), (2, None, 4)]) == (2, 3, 4)
    y = layer([keras.Input((None, 4)), keras.Input((3, 4))])
    assert tuple(y.shape) == (None, 3, 4)
    assert layer.compute_mask([X, FX], None) is None
    x_mask = np.array([[True, True, False], [True, False, False]])
    fx_mask = np.array([[True, False, True], [True, True, False]])
    np.testing.assert_array_equal(
        numpy(layer.compute_mask([X, FX], [x_mask, None])), x_mask)
    np.testing.assert_array_equal(
        numpy(layer.compute_mask([X, FX], [x_mask, fx_mask])),
        x_mask & fx_mask)
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    embedded = keras.layers.Embedding(5, 4, mask_zero=True)(ids)
    np.testing.assert_array_equal(
        numpy(layer([embedded, embedded])._keras_mask), ids != 0)


@pytest.mark.parametrize("inputs, message", [
    ([X, FX[..., :3]], r"`x` and `fx` must have the same shape.*"
                       r"x.shape=\(2, 3, 4\), fx.shape=\(2, 3, 3\)"),
    ([X, FX[0]], r"same shape.*fx.shape=\(3, 4\)"),
    ([keras.Input((3, 4)), keras.Input((3, 5))],
     r"same shape.*x.shape=\(None, 3, 4\), fx.shape=\(None, 3, 5\)"),
    (X, r"`inputs` must be a list of two.*received inputs=<tensor of shape "
        r"\(2, 3, 4\)>"),
    ([X, FX, X], r"list of two.*received inputs=\[<tensor"),
])
def test_deepnorm_residual_refuses_inputs_that_are_not_a_pair_of_one_shape(
        inputs, message):
    with pytest.raises(ValueError, match=rf"DeepNormResidual: .*{message}"):
        DeepNormResidual(2.0)(inputs)


def test_deepnorm_residual_refuses_bad_shapes_for_compute_output_shape():
    with pytest.raises(ValueError, match=r"same shape"):
        DeepNormResidual(2.0).compute_output_shape([(None, 4), (None, 5)])
    with pytest.raises(ValueError, match=r"`input_shape` must be a list of "
                                         r"two.*input_shape=\(None, 4\)"):
        DeepNormResidual(2.0).compute_output_shape((None, 4))


# --- both: bad arguments, configs, files, mixed precision -------------------


@pytest.mark.parametrize("factory, message", [
    (lambda: ResidualScale(initial_value=math.nan),
     r"`initial_value` must be finite; received initial_value=nan"),
    (lambda: ResidualScale(initial_value=-math.inf), r"initial_value=-inf"),
    (lambda: ResidualScale(initial_value="0"),
     r"`initial_value` must be a real number; received initial_value='0'"),
    (lambda: ResidualScale(initial_value=None), r"initial_value=None"),
    (lambda: ResidualScale(initial_value=True), r"initial_value=True"),
    (lambda: ResidualScale(initial_value=[0.0, 1.0]),
     r"initial_value=\[0.0, 1.0\]"),
    (lambda: ResidualScale(trainable="yes"),
     r"`trainable` must be True or False; received trainable='yes'"),
    (lambda: DeepNormResidual(0.0),
     r"DeepNormResidual: `alpha` must be positive; received alpha=0.0"),
    (lambda: DeepNormResidual(-1.8), r"positive; received alpha=-1.8"),
    (lambda: DeepNormResidual(math.nan), r"finite; received alpha=nan"),
    (lambda: DeepNormResidual("2"), r"real number; received alpha='2'"),
    (lambda: DeepNormResidual(None), r"alpha=None"),
])
def test_bad_arguments_raise_at_construction(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


@pytest.mark.parametrize("layer", [
    ResidualScale(initial_value=0.5, trainable=False, name="scale"),
    DeepNormResidual(np.float32(1.75), name="deepnorm"),
], ids=["ResidualScale", "DeepNormResidual"])
def test_config_round_trip_and_registration(layer):
    cls = type(layer)
    assert keras.saving.get_registered_name(cls) == f"keras_initact>{cls.__name__}"
    config = layer.get_config()
    assert config["name"] == layer.name
    if cls is ResidualScale:
        assert (config["initial_value"], config["trainable"]) == (0.5, False)
    else:
        assert config["alpha"] == 1.75 and type(config["alpha"]) is float
    clone = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer))
    assert type(clone) is cls and clone.get_config() == config


def test_keras_file_round_trip_gives_identical_predictions(tmp_path):
    keras.utils.set_random_seed(5)
    alpha = deepnorm_constants(encoder_layers=4).alpha
    inputs = keras.Input((3, 4))
    branch = keras.layers.Dense(4, activation="relu")(inputs)
    h = keras.layers.Add()([inputs, ResidualScale(name="scale")(branch)])
    f = keras.layers.Dense(4)(h)
    h = keras.layers.LayerNormalization()(DeepNormResidual(alpha)([h, f]))
    model = keras.Model(inputs, h)
    model.get_layer("scale").alpha.assign(0.37)  # a learned value
    path = tmp_path / "residual.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    expected = numpy(model(X))
    assert np.std(expected) > 0
    np.testing.assert_array_equal(numpy(loaded(X)), expected)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0),
                                  model.predict(X, verbose=0))
    assert float(numpy(loaded.get_layer("scale").alpha)) == pytest.approx(0.37)
    restored = [layer for layer in loaded.layers
                if isinstance(layer, DeepNormResidual)]
    assert len(restored) == 1 and restored[0].alpha == alpha


@pytest.mark.parametrize("cls, arguments, input_shape, weights", [
    (ResidualScale, {"initial_value": 0.5}, (2, 3, 4), 1),
    (ResidualScale, {"initial_value": 0.5, "trainable": False}, (2, 3, 4), 0),
    (DeepNormResidual, {"alpha": 1.8}, ((2, 3, 4), (2, 3, 4)), 0),
], ids=["ResidualScale", "ResidualScale_frozen", "DeepNormResidual"])
def test_keras_layer_contract(cls, arguments, input_shape, weights):
    from keras.src import testing

    testing.TestCase().run_layer_test(
        cls, init_kwargs=arguments, input_shape=input_shape,
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=weights,
        expected_num_non_trainable_weights=(
            1 - weights if cls is ResidualScale else 0),
        expected_num_seed_generators=0, expected_num_losses=0,
        supports_masking=True,
        # without weights, built when constructed, as Keras's layers are
        assert_built_after_instantiation=cls is DeepNormResidual)


def test_mixed_precision_computes_in_float16_with_float32_alpha():
    # conftest's autouse fixture restores the float32 policy afterwards
    keras.mixed_precision.set_global_policy("mixed_float16")
    scale = ResidualScale(initial_value=0.5)
    y = scale(X)
    assert scale.compute_dtype == "float16" == dtype(y)
    assert scale.alpha.dtype == "float32"
    np.testing.assert_allclose(numpy(keras.ops.cast(y, "float32")), 0.5 * X,
                               rtol=1e-3, atol=1e-3)
    residual = DeepNormResidual(1.9)
    y = residual([X, FX])
    assert dtype(y) == "float16"
    np.testing.assert_allclose(numpy(keras.ops.cast(y, "float32")),
                               1.9 * X + FX, rtol=1e-2, atol=1e-2)


def test_residual_layers_are_exported_but_are_not_activations():
    from keras_initact.activations import ACTIVATIONS

    import keras_initact

    for name in ("ResidualScale", "DeepNormResidual", "DeepNormConstants",
                 "deepnorm_constants"):
        assert name in L.__all__ and getattr(keras_initact, name) is getattr(
            L, name)
    assert not issubclass(ResidualScale, L.ActivationLayer)
    assert ACTIVATIONS.identify(ResidualScale()) is None
    assert ACTIVATIONS.identify(DeepNormResidual(2.0)) is None

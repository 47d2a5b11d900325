"""MuMultiHeadAttention: Keras's attention with logits scaled by
`attention_multiplier * sqrt(base_key_dim) / key_dim`."""

import warnings

import keras
import numpy as np
import pytest

from keras_initact import mup

X = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")


def pair(key_dim, base_key_dim, multiplier=1.0):
    """A MuMultiHeadAttention and a Keras one with the same weights."""
    ours = mup.MuMultiHeadAttention(2, key_dim, base_key_dim=base_key_dim,
                                    attention_multiplier=multiplier)
    theirs = keras.layers.MultiHeadAttention(2, key_dim)
    ours(X, X)
    theirs(X, X)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def test_at_the_base_it_is_keras_attention():
    ours, theirs = pair(16, None)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours(X, X)),
                               keras.ops.convert_to_numpy(theirs(X, X)),
                               rtol=1e-6)


@pytest.mark.parametrize("scores", [False, True])  # both of Keras's paths
def test_wider_its_logits_scale_as_one_over_key_dim(scores):
    ours, theirs = pair(16, 4, multiplier=1.5)
    # Keras scales by 1/sqrt(16) = 1/4; ours by 1.5 * sqrt(4) / 16 = 3/16,
    # so Keras's layer with its query projection times 3/4 is ours.
    query = theirs.query_dense
    query.kernel.assign(query.kernel * 0.75)
    query.bias.assign(query.bias * 0.75)
    kwargs = dict(return_attention_scores=True) if scores else {}
    got = ours(X, X, **kwargs)
    want = theirs(X, X, **kwargs)
    for a, b in zip(keras.tree.flatten(got), keras.tree.flatten(want)):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a),
                                   keras.ops.convert_to_numpy(b),
                                   rtol=1e-5, atol=1e-6)


def test_set_base_shapes_sets_the_base_key_dim_without_a_warning():
    def model(width, attention):
        tokens = keras.Input((5, 4))
        x = keras.layers.Dense(width, name="embed")(tokens)
        x = attention(2, width // 2, name="attention")(x, x)
        x = keras.layers.GlobalAveragePooling1D()(x)
        return keras.Model(tokens, mup.MuReadout(3, name="head")(x))

    wide = model(32, mup.MuMultiHeadAttention)
    assert wide.get_layer("attention").base_key_dim == 16
    wide.predict(X[:, :, :4], verbose=0)  # a traced function to replace
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        mup.set_base_shapes(wide, model(8, mup.MuMultiHeadAttention))
    assert wide.predict_function is None
    layer = wide.get_layer("attention")
    assert layer.base_key_dim == 4
    outputs = layer(np.ones((1, 5, 32), "float32"),
                    np.ones((1, 5, 32), "float32"),
                    return_attention_scores=True)
    assert keras.ops.convert_to_numpy(outputs[1]).shape == (1, 2, 5, 5)


def test_it_round_trips_through_keras_files(tmp_path):
    tokens = keras.Input((5, 8))
    layer = mup.MuMultiHeadAttention(2, 16, base_key_dim=4,
                                     attention_multiplier=2.0)
    model = keras.Model(tokens, layer(tokens, tokens))
    model.save(tmp_path / "attention.keras")
    loaded = keras.saving.load_model(tmp_path / "attention.keras")
    restored = loaded.layers[-1]
    assert isinstance(restored, mup.MuMultiHeadAttention)
    assert (restored.base_key_dim, restored.attention_multiplier) == (4, 2.0)
    np.testing.assert_array_equal(model.predict(X, verbose=0),
                                  loaded.predict(X, verbose=0))


@pytest.mark.parametrize("kwargs, message", [
    (dict(base_key_dim=0), r"`base_key_dim` must be a positive integer; "
     r"received base_key_dim=0"),
    (dict(attention_multiplier=-1.0), r"`attention_multiplier` must be "
     r"positive"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mup.MuMultiHeadAttention(2, 8, **kwargs)

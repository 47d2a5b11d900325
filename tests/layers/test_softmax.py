"""keras_initact.layers.softmax: Softmax gives zero to masked positions as
Keras's does, takes a propagated sequence mask over the leading axes, and
refuses an axis outside its input when called."""

import keras
import numpy as np
import pytest

from keras_initact import layers as L


def test_softmax_mask_gives_zero_to_masked_positions_like_keras():
    x = np.random.default_rng(9).normal(size=(3, 5)).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]],
                    dtype=bool)
    y = keras.ops.convert_to_numpy(L.Softmax()(x, mask=mask))
    np.testing.assert_allclose(y, keras.layers.Softmax()(x, mask=mask),
                               rtol=1e-6)
    assert np.all(y[~mask] == 0)
    np.testing.assert_allclose(y[[0, 2]].sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(
        L.Softmax()(x, mask=mask.astype("float32")), y, rtol=1e-6
    )


def test_softmax_axis_outside_the_input_raises_when_called():
    layer = L.Softmax(axis=2)
    assert layer.built  # no weights: built when constructed, as Keras's
    with pytest.raises(ValueError, match="outside an input of rank 2"):
        layer(np.zeros((2, 4)))


def test_softmax_takes_a_propagated_sequence_mask_over_leading_axes():
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    embedded = keras.layers.Embedding(5, 4, mask_zero=True)(ids)
    y = keras.ops.convert_to_numpy(L.Softmax()(embedded))
    np.testing.assert_array_equal(y[ids == 0], 0.0)
    np.testing.assert_allclose(y[ids != 0].sum(axis=-1), 1.0, rtol=1e-6)

"""keras_initact.layers.smooth: Swish with beta 1 is SiLU and learns one
beta per channel; Snake stays finite where frequency times x overflows, and
a trainable frequency is kept positive in the computation."""

import keras
import numpy as np

from keras_initact import layers as L

from activation_cases import GRID, MP_GRID


def test_swish_with_beta_one_is_silu_and_learns_one_beta_per_channel():
    x = np.linspace(-5, 5, 20, dtype="float32").reshape(4, 5)
    np.testing.assert_allclose(L.Swish()(x), keras.activations.silu(x),
                               rtol=1e-6)
    layer = L.Swish(beta=2.0, trainable_beta=True)
    layer(x)
    assert tuple(layer.beta_weight.shape) == (5,)
    np.testing.assert_allclose(layer.beta_weight.numpy(), 2.0)


def test_snake_stays_finite_where_frequency_times_x_overflows():
    y = keras.ops.convert_to_numpy(L.Snake(frequency=4.0)(GRID))
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, GRID, rtol=1e-6, atol=0.26)


def test_trainable_snake_frequency_is_kept_positive_in_the_computation():
    layer = L.Snake(trainable_frequency=True)
    layer(MP_GRID)
    layer.frequency_weight.assign(np.zeros(12))
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(layer(MP_GRID))))

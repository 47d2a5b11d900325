"""keras_initact.layers.rectifiers: the ReLU family. LeakyReLU's default
slope is Keras's layer's; PReLU's shared axes give one slope per channel;
RReLU draws its slopes in range in training (seeded, new draws each call,
the drawn slope as its gradient) and uses their mean otherwise; ReLU allows
`max_value == threshold`, a step."""

import keras
import numpy as np
import tensorflow as tf

from keras_initact import layers as L


def test_leaky_relu_default_slope_is_keras_layer_default():
    assert L.LeakyReLU().negative_slope == 0.3
    assert keras.layers.LeakyReLU().negative_slope == 0.3


def test_prelu_shared_axes_give_one_slope_per_channel():
    layer = L.PReLU(shared_axes=[1, 2])
    layer(np.zeros((2, 5, 6, 3), "float32"))
    assert tuple(layer.alpha.shape) == (1, 1, 3)
    negative = L.PReLU(shared_axes=[-3, -2])
    negative(np.zeros((2, 5, 6, 3), "float32"))
    assert tuple(negative.alpha.shape) == (1, 1, 3)
    assert negative.get_config()["shared_axes"] == [-3, -2]


def test_rrelu_draws_slopes_in_range_in_training_and_uses_mean_otherwise():
    x = -np.linspace(1.0, 2.0, 4000, dtype="float32").reshape(40, 100)
    layer = L.RReLU(lower=0.1, upper=0.3, seed=11)
    slopes = keras.ops.convert_to_numpy(layer(x, training=True)) / x
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6
    assert abs(slopes.mean() - 0.2) < 0.005 and slopes.std() > 0.05
    again = keras.ops.convert_to_numpy(layer(x, training=True)) / x
    assert not np.allclose(again, slopes)  # new draws each call
    same_seed = L.RReLU(lower=0.1, upper=0.3, seed=11)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(same_seed(x, training=True)) / x, slopes
    )
    np.testing.assert_allclose(layer(x), 0.2 * x, rtol=1e-6)
    np.testing.assert_array_equal(layer(-x, training=True), -x)


def test_rrelu_training_gradient_is_the_drawn_slope():
    layer = L.RReLU(seed=2, dtype="float64")
    x = tf.constant(-np.linspace(0.5, 3.0, 50).reshape(5, 10))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
    np.testing.assert_allclose(tape.gradient(y, x), y / x, rtol=1e-12)


def test_relu_allows_max_value_equal_to_threshold_a_step():
    # f = max_value at and above it, negative_slope * (x - threshold) below
    layer = L.ReLU(max_value=1.0, threshold=1.0)
    np.testing.assert_array_equal(layer(np.array([0.5, 1.5, 3.0])),
                                  [0.0, 1.0, 1.0])

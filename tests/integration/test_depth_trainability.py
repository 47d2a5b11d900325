"""The small version of benchmarks/depth_trainability.py: a depth-20 plain MLP
on real digits learns with keras_initact's choice (the factory's "auto",
which is `for_activation`)."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from keras_initact.models import build_sequential

DEPTH, WIDTH = 20, 64


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    x = ((x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)).astype("float32")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return x[:1400], y[:1400], x[1400:], y[1400:]


def accuracy(model, digits):
    x_train, y_train, x_test, y_test = digits
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=4, batch_size=64, verbose=0)
    return model.evaluate(x_test, y_test, verbose=0)[1]


def mlp(activation, **initialization):
    return build_sequential((64,), [WIDTH] * DEPTH, activation, num_classes=10,
                            seed=0, **initialization)


@pytest.mark.parametrize("activation, shaping", [
    ("relu", True), ("tanh", False), ("gelu", True),
])
def test_depth_20_trains_with_for_activation(activation, shaping, digits):
    keras.utils.set_random_seed(0)
    keras_default = accuracy(mlp(activation, kernel_initializer="glorot_uniform",
                                 bias_initializer="zeros"), digits)
    ours = accuracy(mlp(activation, shaping=shaping), digits)
    assert ours >= 0.80, f"ours {ours:.3f}, Keras's defaults {keras_default:.3f}"
    assert ours >= keras_default - 0.02


@pytest.mark.parametrize("shaping", [True, "dks"])
def test_a_depth_20_plain_cnn_trains_with_shaping(shaping, digits):
    """The small version of benchmarks/deep_cnn.py: 20 delta-orthogonal
    convolutions, stride 2 at two blocks, no pooling layer, on 8x8 digits."""
    x_train, y_train, x_test, y_test = digits
    images = tuple(x.reshape(-1, 8, 8, 1) for x in (x_train, x_test))
    model = build_sequential((8, 8, 1), [], "gelu", conv_filters=[8] * DEPTH,
                             pooling="stride", downsample_blocks=[0, 10],
                             num_classes=10, shaping=shaping, seed=0)
    keras.utils.set_random_seed(0)
    ours = accuracy(model, (images[0], y_train, images[1], y_test))
    assert ours >= 0.80, f"shaping={shaping!r}: {ours:.3f}"

"""The small version of benchmarks/depth_trainability.py: a depth-20 plain MLP
on real digits learns with keras_initact's choice."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from keras_initact.activations import ACTIVATIONS
from keras_initact.deep import for_activation

DEPTH, WIDTH = 20, 64


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    x = ((x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)).astype("float32")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return x[:1400], y[:1400], x[1400:], y[1400:]


def accuracy(layer_parts, digits):
    x_train, y_train, x_test, y_test = digits
    layers = [keras.Input((64,))]
    for index in range(DEPTH):
        kernel, bias, activation = layer_parts(index)
        layers += [keras.layers.Dense(WIDTH, kernel_initializer=kernel,
                                      bias_initializer=bias), activation]
    layers.append(keras.layers.Dense(10, activation="softmax"))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=4, batch_size=64, verbose=0)
    return model.evaluate(x_test, y_test, verbose=0)[1]


@pytest.mark.parametrize("activation, shaping", [("relu", True), ("tanh", False)])
def test_depth_20_trains_with_for_activation(activation, shaping, digits):
    keras.utils.set_random_seed(0)
    spec = ACTIVATIONS.spec(activation)
    keras_default = accuracy(lambda i: (
        keras.initializers.GlorotUniform(seed=i), "zeros", spec.layer()), digits)
    recipe = for_activation(activation, DEPTH, shaping=shaping, seed=0)
    ours = accuracy(lambda i: (recipe.kernel_for(i), recipe.bias_for(i),
                               recipe.activation_layer()), digits)
    assert ours >= 0.85, f"ours {ours:.3f}, Keras's defaults {keras_default:.3f}"
    assert ours >= keras_default - 0.02

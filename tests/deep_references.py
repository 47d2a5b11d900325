"""What the tests of keras_initact.deep share: Gaussian expectations by
direct quadrature (independent of the Hermite series that the package's
kernel maps use), and a plain MLP built from an `InitRecipe`."""

import math

import keras
import numpy as np


NODES, WEIGHTS = np.polynomial.hermite_e.hermegauss(160)
WEIGHTS = WEIGHTS / math.sqrt(2 * math.pi)


def expect(values):
    """E[values(z)], z ~ N(0, 1), by direct quadrature."""
    return float(np.dot(WEIGHTS, values))


def plain_mlp(recipe, depth, width=32, inputs=16):
    layers = [keras.Input((inputs,))]
    for index in range(depth):
        layers += [keras.layers.Dense(width, kernel_initializer=recipe.kernel_for(index),
                                      bias_initializer=recipe.bias_for(index),
                                      name=f"dense_{index}"),
                   recipe.activation_layer(name=f"act_{index}")]
    layers.append(keras.layers.Dense(4, name="head"))
    return keras.Sequential(layers)

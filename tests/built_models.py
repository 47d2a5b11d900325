"""What the models' tests (tests/models/) share: inputs for the factory's
models, a model's layer names and kernels, and whether two models hold
the same weights."""

import numpy as np


X8 = np.random.default_rng(0).normal(size=(5, 8)).astype("float32")
X88 = np.random.default_rng(1).normal(size=(5, 8, 8, 1)).astype("float32")


def layer_names(model):
    return [layer.name for layer in model.layers]


def kernels(model):
    return {layer.name: layer.kernel.numpy() for layer in model.layers
            if hasattr(layer, "kernel")}


def same_weights(a, b):
    return len(a.weights) == len(b.weights) and all(
        np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a.weights, b.weights)
    )

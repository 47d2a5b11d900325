"""Signal propagation at depth: Keras's defaults against `for_activation`.

A plain MLP (no normalization, no skip connections) of DEPTH Dense layers of
WIDTH units on random normal inputs, with a 10-way softmax head and random
labels. For each activation and each initialization, side by side in one run:

- rms ratio: the last hidden layer's pre-activation RMS over the first's
  (target [0.5, 2]);
- grad ratio: the first kernel's gradient norm over the last hidden kernel's
  (target [0.1, 10]).

    python benchmarks/signal_propagation.py                 # depth 100, width 256
    python benchmarks/signal_propagation.py --depth 20 --width 64 relu tanh
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_initact.activations import ACTIVATIONS  # noqa: E402
from keras_initact.deep import for_activation  # noqa: E402

ACTIVATION_NAMES = ("relu", "leaky_relu", "elu", "selu", "gelu", "silu", "mish",
                    "tanh", "sigmoid", "softplus")
RMS_RANGE = (0.5, 2.0)
GRAD_RANGE = (0.1, 10.0)


def keras_default_layers(activation, depth):
    """Keras's defaults: GlorotUniform kernels, zero biases."""
    spec = ACTIVATIONS.spec(activation)
    return [(keras.initializers.GlorotUniform(seed=i), "zeros", spec.layer())
            for i in range(depth)]


def recipe_layers(activation, depth, shaping=False):
    recipe = for_activation(activation, depth, shaping=shaping, seed=0)
    return [(recipe.kernel_for(i), recipe.bias_for(i), recipe.activation_layer())
            for i in range(depth)]


def measure(layers, width, batch=256, seed=0):
    """(rms ratio, grad ratio) of a plain MLP built from `layers`."""
    inputs = keras.Input((width,))
    hidden, pre_activations, dense_layers = inputs, [], []
    for kernel, bias, activation in layers:
        dense = keras.layers.Dense(width, kernel_initializer=kernel,
                                   bias_initializer=bias)
        hidden = dense(hidden)
        pre_activations.append(hidden)
        dense_layers.append(dense)
        hidden = activation(hidden)
    logits = keras.layers.Dense(10)(hidden)
    model = keras.Model(inputs, [logits, pre_activations[0], pre_activations[-1]])
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width)).astype("float32")
    y = rng.integers(0, 10, batch)
    first, last = dense_layers[0].kernel, dense_layers[-1].kernel
    with tf.GradientTape() as tape:
        out, first_pre, last_pre = model(x)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
            y, out, from_logits=True))
    grad_first, grad_last = tape.gradient(loss, [first.value, last.value])

    def rms(t):
        return float(tf.sqrt(tf.reduce_mean(tf.square(t))))

    return (ratio(rms(last_pre), rms(first_pre)),
            ratio(float(tf.norm(grad_first)), float(tf.norm(grad_last))))


def ratio(numerator, denominator):
    return numerator / denominator if denominator > 0 else float("inf")


def within(value, bounds):
    return bounds[0] <= value <= bounds[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("activations", nargs="*", default=ACTIVATION_NAMES)
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--width", type=int, default=256)
    args = parser.parse_args(argv)
    print(f"depth={args.depth} width={args.width}; targets: rms ratio in "
          f"{list(RMS_RANGE)}, grad ratio in {list(GRAD_RANGE)}")
    print(f"{'activation':<11} {'keras rms':>10} {'keras grad':>11} "
          f"{'ours rms':>9} {'ours grad':>10}  ok  ours")
    passed = 0
    for name in args.activations:
        keras.utils.set_random_seed(0)
        theirs = measure(keras_default_layers(name, args.depth), args.width)
        recipe = for_activation(name, args.depth, seed=0)
        ours = measure(recipe_layers(name, args.depth), args.width)
        ok = within(ours[0], RMS_RANGE) and within(ours[1], GRAD_RANGE)
        passed += ok
        print(f"{name:<11} {theirs[0]:10.3g} {theirs[1]:11.3g} {ours[0]:9.3g} "
              f"{ours[1]:10.3g}  {'yes' if ok else 'NO ':<3} {recipe.rationale}",
              flush=True)
    print(f"{passed} of {len(args.activations)} within both targets")


if __name__ == "__main__":
    main()

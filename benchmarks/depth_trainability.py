"""Depth trainability on real digits: Keras's defaults against keras_initact.

A plain MLP (width 128, no normalization, no skip connections) on
scikit-learn's handwritten digits (8x8, standardized; 75/25 split), Adam
1e-3, batch 32, for each depth and activation, trained twice side by side:
with Keras's defaults (GlorotUniform kernels, zero biases) and with
`for_activation(activation, depth, shaping=...)`. Prints the final test
accuracy of both; rows where shaping changed the activation say so.

    python benchmarks/depth_trainability.py                       # the full table
    python benchmarks/depth_trainability.py --depths 20 --epochs 3 relu tanh
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from keras_initact.deep import for_activation  # noqa: E402
from keras_initact.models import build_sequential  # noqa: E402

ACTIVATION_NAMES = ("relu", "tanh", "gelu", "selu", "sigmoid")
TARGETS = {"relu": 0.95, "tanh": 0.95, "gelu": 0.95, "selu": 0.95, "sigmoid": 0.90}


def digits():
    x, y = load_digits(return_X_y=True)
    x = x.astype("float32")
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)
    return train_test_split(x, y, test_size=0.25, random_state=0)


def mlp(activation, depth, width, seed, **initialization):
    """The factory's plain MLP; `initialization` picks Keras's defaults or
    keras_initact's "auto" (which is `for_activation`)."""
    return build_sequential((64,), [width] * depth, activation, num_classes=10,
                            seed=seed, **initialization)


def train(model, data, epochs, batch_size):
    x_train, x_test, y_train, y_test = data
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    return model.evaluate(x_test, y_test, verbose=0)[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("activations", nargs="*", default=ACTIVATION_NAMES)
    parser.add_argument("--depths", default="3,30,60")
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-shaping", action="store_true",
                        help="never transform the activation (TAT)")
    args = parser.parse_args(argv)
    depths = [int(d) for d in args.depths.split(",")]
    data = digits()
    print(f"digits, width {args.width}, Adam 1e-3, batch {args.batch_size}, "
          f"{args.epochs} epochs, seed {args.seed}")
    print(f"{'activation':<10} {'depth':>5} {'keras':>6} {'ours':>6}  ours is")
    for name in args.activations:
        for depth in depths:
            keras.utils.set_random_seed(args.seed)
            start = time.perf_counter()
            theirs = train(mlp(name, depth, args.width, args.seed,
                               kernel_initializer="glorot_uniform",
                               bias_initializer="zeros"),
                           data, args.epochs, args.batch_size)
            keras.utils.set_random_seed(args.seed)
            shaping = not args.no_shaping
            ours = train(mlp(name, depth, args.width, args.seed, shaping=shaping),
                         data, args.epochs, args.batch_size)
            recipe = for_activation(name, depth, shaping=shaping, seed=args.seed)
            print(f"{name:<10} {depth:5d} {theirs:6.3f} {ours:6.3f}  "
                  f"{recipe.rationale} ({time.perf_counter() - start:.0f}s)",
                  flush=True)
    print("targets at depth 60: " + ", ".join(
        f"{k} >= {v}" for k, v in TARGETS.items()))


if __name__ == "__main__":
    main()

"""Watching a network train, layer by layer, in TensorBoard.

Trains a small MLP on scikit-learn's handwritten digits twice: once with a
healthy He initialization, once with weights far too small (the signal
vanishes with depth). `LayerStats` logs per-layer weight, gradient and
activation statistics; `NonFiniteGuard` would stop at the first NaN/Inf;
`keras.callbacks.TensorBoard` shares the log directory. Then
`keras_initact.report` draws the figures. Runs in well under a minute on a
CPU.

    python examples/tensorboard_callbacks.py [--log-dir logs]
    tensorboard --logdir logs
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from keras_initact import HeNormal  # noqa: E402
from keras_initact.callbacks import LayerStats, NonFiniteGuard  # noqa: E402
from keras_initact.reporting import report  # noqa: E402


def digits():
    images, labels = load_digits(return_X_y=True)
    images = (images / 16.0).astype("float32")
    return train_test_split(images, labels, test_size=0.25, random_state=0)


def mlp(kernel_initializer, depth=6, width=64):
    layers = [keras.Input((64,))]
    for i in range(depth):
        layers.append(keras.layers.Dense(
            width, activation="relu", name=f"dense_{i + 1}",
            kernel_initializer=kernel_initializer))
    layers.append(keras.layers.Dense(10, activation="softmax", name="out"))
    return keras.Sequential(layers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-dir", default="logs")
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    x_train, x_test, y_train, y_test = digits()
    probe = x_test[:256]  # a fixed batch: curves comparable over time
    runs = {
        "he_normal": HeNormal(seed=0),
        "too_small": keras.initializers.RandomNormal(stddev=0.01, seed=0),
    }
    for name, initializer in runs.items():
        keras.utils.set_random_seed(0)
        log_dir = os.path.join(args.log_dir, name)
        model = mlp(initializer)
        model.compile(keras.optimizers.Adam(1e-3),
                      "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(
            x_train, y_train, batch_size=64, epochs=args.epochs,
            validation_data=(x_test, y_test), verbose=0,
            callbacks=[
                LayerStats(log_dir, probe_data=probe, every_n_steps=10),
                NonFiniteGuard(),
                keras.callbacks.TensorBoard(log_dir),
            ])
        _, accuracy = model.evaluate(x_test, y_test, verbose=0)
        table, figures = report(log_dir)
        std = table[table["statistic"] == "activation_std"]
        first = std[std["step"] == std["step"].min()].set_index("name")
        print(f"{name}: test accuracy {accuracy:.3f}; activation std at "
              f"step 1: " + ", ".join(
                  f"{layer} {first.loc[layer, 'value']:.2g}"
                  for layer in ("dense_1", "dense_3", "dense_6")))
        for path in figures:
            print(f"  wrote {path}")
    print(f"Browse everything with:  tensorboard --logdir {args.log_dir}")


if __name__ == "__main__":
    main()

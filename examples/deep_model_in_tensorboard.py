"""Finding the bad layer of a 100-layer network in TensorBoard.

Builds a depth-100 ReLU MLP with the factory (201 layers), then plants two
faults: the kernel of `dense_30` is scaled down 1000x (and `dense_31`'s up
as much, so only `act_30` goes quiet) and the kernel of `dense_70` scaled
up 30x (and `dense_71`'s down, so only `act_70` explodes). It trains on
scikit-learn's digits with `LayerStats` and Keras's `TensorBoard`, then
prints what the `across_layers/` and `worst_layer/` scalars found. In
TensorBoard's Time Series view the `across_layers` cards and the
`by_layer` heat maps show both layers on the first screen.

    python examples/deep_model_in_tensorboard.py [--log-dir logs/deep]
    tensorboard --logdir logs/deep
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from keras_initact import build_sequential  # noqa: E402
from keras_initact.callbacks import LayerStats  # noqa: E402
from keras_initact.reporting import read_logs  # noqa: E402

DYING, EXPLODING = 30, 70  # the blocks whose outputs are made faulty


def planted_model(depth=100, width=32):
    """The factory's depth-`depth` ReLU MLP for digits, with `act_30` made
    1000x too quiet and `act_70` 30x too loud (the next layer undoes each
    fault, ReLU being positively homogeneous, so only those layers are
    off)."""
    model = build_sequential((64,), [width] * depth, "relu", num_classes=10,
                             seed=0)
    for block, factor in ((DYING, 1e-3), (EXPLODING, 30.0)):
        for name, scale in ((f"dense_{block}", factor),
                            (f"dense_{block + 1}", 1.0 / factor)):
            kernel = model.get_layer(name).kernel
            kernel.assign(kernel * scale)
    return model


def train(log_dir, epochs=2, every_n_steps=5):
    x, y = load_digits(return_X_y=True)
    x, y = (x / 16.0).astype("float32"), y.astype("int32")
    keras.utils.set_random_seed(0)
    model = planted_model()
    model.compile(keras.optimizers.Adam(1e-4),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    # 1472 = 23 batches of 64: whole batches only, so that TensorFlow
    # traces the 201-layer train step once, not again for a last short one.
    model.fit(x[:1472], y[:1472], batch_size=64, epochs=epochs, verbose=0,
              validation_data=(x[1472:], y[1472:]), callbacks=[
                  LayerStats(log_dir, probe_data=x[:256],
                             every_n_steps=every_n_steps),
                  keras.callbacks.TensorBoard(log_dir)])
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-dir", default=os.path.join("logs", "deep"))
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    model = train(args.log_dir, args.epochs)
    table = read_logs(args.log_dir)
    ours = table[table["dir_name"] == "layer_stats"]
    last = ours[ours["step"] == ours["step"].max()]
    names = [layer.name for layer in model.layers]
    for statistic in ("activation_std_min", "activation_std_max",
                      "update_ratio_max"):
        value = last[last["tag"] == f"across_layers/{statistic}"]["value"]
        where = last[last["tag"] == f"worst_layer/{statistic}"]["value"]
        position = int(where.iloc[0])
        print(f"{statistic}: {value.iloc[0]:.3g} at layer {position} "
              f"({names[position]})")
    print(f"{len(names)} layers; browse them with:  "
          f"tensorboard --logdir {args.log_dir}")


if __name__ == "__main__":
    main()

"""Callback overhead: what LayerStats costs next to no callback and next to
Keras's own `TensorBoard(histogram_freq=1)`.

Two models: an MNIST-sized MLP (784-256-256-10, ReLU) and a small CNN
(28x28x1, two 3x3 conv layers, max-pool, dense), batch 128, trained with
Adam on MNIST-shaped synthetic data (no download; the cost does not depend
on the pixel values). Configurations, run interleaved (every round trains a
fresh model for each configuration, in rotating order):

| name            | callback                                                     |
|-----------------|--------------------------------------------------------------|
| none            | none                                                         |
| keras_hist      | `keras.callbacks.TensorBoard(histogram_freq=1)`              |
| ours_epoch      | `LayerStats(every_n_steps=None, every_n_epochs=1, gradients=False, activations=False)`: the same information (weights once per epoch) |
| ours_100        | `LayerStats(every_n_steps=100)`: everything, probe batch 256  |
| ours_1          | `LayerStats(every_n_steps=1)`: everything, every step         |

The time of a run is its fastest epoch after the first (which traces and
compiles; the minimum drops spikes from other work on a shared machine,
while every cost of a callback recurs in every epoch); the ratio of a configuration is the median over rounds of
its time divided by the `none` run of the same round. Targets: ours_100 <=
1.05, ours_epoch <= keras_hist.

    python benchmarks/callback_overhead.py            # 60000 samples, 3 epochs, 1 round
    python benchmarks/callback_overhead.py --quick    # 12800 samples, 3 epochs, 2 rounds
"""

import argparse
import logging
import os
import platform
import shutil
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.getLogger("tensorflow").setLevel(logging.ERROR)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_initact.callbacks import LayerStats  # noqa: E402

CONFIGS = ("none", "keras_hist", "ours_epoch", "ours_100", "ours_1")


def mlp():
    return keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="mlp")


def cnn():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="cnn")


MODELS = {"mlp": (mlp, (784,)), "cnn": (cnn, (28, 28, 1))}


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)

    def on_train_begin(self, logs=None):
        self.times = []


def callbacks_for(config, log_dir, probe):
    if config == "none":
        return []
    if config == "keras_hist":
        return [keras.callbacks.TensorBoard(log_dir, histogram_freq=1)]
    if config == "ours_epoch":
        return [LayerStats(log_dir, every_n_steps=None, every_n_epochs=1,
                           gradients=False, activations=False)]
    every = 100 if config == "ours_100" else 1
    return [LayerStats(log_dir, probe_data=probe, every_n_steps=every)]


def run(model_name, config, x, y, epochs, batch_size, root):
    build, _ = MODELS[model_name]
    keras.utils.set_random_seed(0)
    model = build()
    model.compile(keras.optimizers.Adam(1e-3),
                  "sparse_categorical_crossentropy")
    log_dir = tempfile.mkdtemp(dir=root)
    timer = EpochTimer()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
              callbacks=[timer, *callbacks_for(config, log_dir, x[:256])])
    shutil.rmtree(log_dir, ignore_errors=True)
    # The fastest timed epoch: the machine this runs on may be shared, and
    # a spike from elsewhere hits one epoch; every cost of a callback here
    # recurs in every epoch (each epoch holds a logging step), so the
    # minimum keeps it.
    return min(timer.times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    args = parser.parse_args()
    samples = args.samples or (12800 if args.quick else 60000)
    rounds = args.rounds or (2 if args.quick else 1)
    configs = args.configs.split(",")
    if "none" not in configs:
        configs.insert(0, "none")
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first is not timed)")
    print(f"{platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, keras {keras.__version__}; "
          f"{samples} samples, batch 128, {args.epochs} epochs "
          f"(first untimed), {rounds} round(s)")
    rng = np.random.default_rng(0)
    root = tempfile.mkdtemp(prefix="callback_overhead_")
    try:
        for model_name in args.models.split(","):
            shape = MODELS[model_name][1]
            x = rng.random((samples, *shape), dtype=np.float32)
            y = rng.integers(0, 10, samples).astype("int32")
            times = {c: [] for c in configs}
            # Warm-up (untimed): the process's first fit pays one-off costs.
            run(model_name, "none", x[:2560], y[:2560], 2, 128, root)
            for r in range(rounds):
                order = configs[r % len(configs):] + configs[:r % len(configs)]
                for config in order:
                    times[config].append(run(model_name, config, x, y,
                                             args.epochs, 128, root))
            print(f"\n{model_name}: seconds per epoch, ratio to none "
                  f"(median over rounds of the paired ratio)")
            for config in configs:
                ratio = statistics.median(
                    t / n for t, n in zip(times[config], times["none"]))
                print(f"  {config:12s} {statistics.median(times[config]):8.2f}"
                      f" s   x{ratio:.3f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

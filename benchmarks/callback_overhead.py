"""Callback overhead: what LayerStats costs next to no callback and next to
Keras's own `TensorBoard(histogram_freq=1)`, measured side by side.

Two steady-state models: an MNIST-sized MLP (784-256-256-10, ReLU) and a
small CNN (28x28x1, two 3x3 conv layers, max-pool, dense), batch 128,
trained with Adam on MNIST-shaped synthetic data (no download; the cost does
not depend on the pixel values). Configurations, run interleaved (every
round trains a fresh model for each configuration, in rotating order):

| name            | callback                                                     |
|-----------------|--------------------------------------------------------------|
| none            | none                                                         |
| keras_hist      | `keras.callbacks.TensorBoard(histogram_freq=1)`              |
| ours_epoch      | `LayerStats(every_n_steps=None, every_n_epochs=1)`: every statistic once per epoch, probe batch 256 |
| ours_100        | `LayerStats(every_n_steps=100)`: every statistic every 100 steps, probe batch 256 |
| ours_1          | `LayerStats(every_n_steps=1)`: every statistic every step, probe batch 256 |
| step_100        | `LayerStats(every_n_steps=100)` without `probe_data`: activations of the training batch, in the train step |
| step_1          | the same, every step                                         |
| guard           | `NonFiniteGuard(every_n_steps=100)`                          |

`ours_*` measure activations on a fixed probe batch of 256 (one more
forward pass per logging step, in inference mode); `step_*` on the
training batch of the logging step, inside the train step (LayerStats's
default without `probe_data`). Both measure every weight and gradient.

The time of a run is its fastest epoch after the first (which traces and
compiles; the minimum drops spikes from other work on a shared machine,
while every cost of a callback recurs in every epoch); the ratio of a
configuration is the median over rounds of its time divided by the `none`
run of the same round (the spread over rounds is printed beside it). Both
clocks are reported: wall-clock time, and the process's CPU time (all its
threads), which work elsewhere on a shared virtual machine does not
inflate; the callbacks' costs are CPU work on this CPU-only machine.

A third measurement, `deep`, is a whole short run, tracing included: a
depth-30 plain MLP (the factory's, `shaping=True`, width 128) on
scikit-learn's digits, batch 32, 5 epochs, `fit` with
`LayerStats(log_dir, probe_data=x[:256])` (defaults: every 100 steps, heat
maps) against the same `fit` without it; the ratio of whole `fit` times.

Targets: ours_100, step_100 and guard <= 1.05 and ours_epoch <= 1.03 on both
models, never above keras_hist, logging every step (step_1) <= 1.15, and
deep <= 1.15.

On JAX (`KERAS_BACKEND=jax`) `keras_hist` is left out: Keras's TensorBoard
callback writes histograms with TensorFlow.

    python benchmarks/callback_overhead.py              # 60000 samples, 5 rounds
    python benchmarks/callback_overhead.py --quick      # 12800 samples, 5 rounds
    KERAS_BACKEND=jax python benchmarks/callback_overhead.py --quick --models mlp
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

from keras_initact.callbacks import LayerStats, NonFiniteGuard  # noqa: E402

CONFIGS = ("none", "keras_hist", "ours_epoch", "ours_100", "ours_1",
           "step_100", "step_1", "guard")


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


def clocks():
    """Wall-clock seconds and this process's CPU seconds (all threads)."""
    return np.array([time.perf_counter(), time.process_time()])


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self._start = clocks()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(clocks() - self._start)

    def on_train_begin(self, logs=None):
        self.times = []


def callbacks_for(config, log_dir, probe):
    if config == "none":
        return []
    if config == "keras_hist":
        return [keras.callbacks.TensorBoard(log_dir, histogram_freq=1)]
    if config == "ours_epoch":
        return [LayerStats(log_dir, probe_data=probe, every_n_steps=None,
                           every_n_epochs=1)]
    if config == "guard":
        return [NonFiniteGuard(every_n_steps=100)]
    every = int(config.split("_")[1])
    if config.startswith("step_"):
        return [LayerStats(log_dir, every_n_steps=every)]
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
    # The fastest timed epoch, in wall and CPU time: the machine this runs
    # on may be shared, and a spike from elsewhere hits one epoch; every
    # cost of a callback here recurs in every epoch (each epoch holds a
    # logging step), so the minimum keeps it.
    return np.min(timer.times[1:], axis=0)


def deep_run(with_stats, root):
    """Seconds of a whole `fit` (tracing included) of a depth-30 MLP on
    digits, with or without LayerStats."""
    from sklearn.datasets import load_digits

    from keras_initact import build_sequential

    x, y = load_digits(return_X_y=True)
    x, y = (x / 16.0).astype("float32"), y.astype("int32")
    keras.utils.set_random_seed(0)
    model = build_sequential((64,), [128] * 30, "relu", num_classes=10,
                             shaping=True, seed=0)
    model.compile(keras.optimizers.Adam(1e-3),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    log_dir = tempfile.mkdtemp(dir=root)
    callbacks = [LayerStats(log_dir, probe_data=x[:256])] if with_stats \
        else []
    start = clocks()
    model.fit(x[:1347], y[:1347], batch_size=32, epochs=5, verbose=0,
              validation_data=(x[1347:], y[1347:]), callbacks=callbacks)
    seconds = clocks() - start
    shutil.rmtree(log_dir, ignore_errors=True)
    return seconds


def report_ratios(title, times, configs):
    print(f"\n{title}: median seconds and ratio to none (median over rounds "
          f"of the paired ratio; min-max), in wall-clock and in CPU time")
    for config in configs:
        line = f"  {config:12s}"
        for clock, name in ((0, "wall"), (1, "cpu")):
            seconds = [t[clock] for t in times[config]]
            ratios = [t[clock] / n[clock]
                      for t, n in zip(times[config], times["none"])]
            line += (f"  {name} {statistics.median(seconds):7.2f} s "
                     f"x{statistics.median(ratios):.3f} "
                     f"({min(ratios):.3f}-{max(ratios):.3f})")
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", default="mlp,cnn,deep")
    parser.add_argument("--configs", default=",".join(
        c for c in CONFIGS
        if c != "keras_hist" or keras.backend.backend() == "tensorflow"))
    args = parser.parse_args()
    samples = args.samples or (12800 if args.quick else 60000)
    configs = args.configs.split(",")
    if "none" not in configs:
        configs.insert(0, "none")
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first is not timed)")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    print(f"{platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, keras {keras.__version__} on "
          f"{keras.backend.backend()}; "
          f"{samples} samples, batch 128, {args.epochs} epochs "
          f"(first untimed), {args.rounds} round(s)")
    rng = np.random.default_rng(0)
    root = tempfile.mkdtemp(prefix="callback_overhead_")
    try:
        for model_name in args.models.split(","):
            if model_name == "deep":
                deep_run(False, root)  # warm-up: the first fit's one-off costs
                times = {"none": [], "ours": []}
                for r in range(args.rounds):
                    for with_stats in ((False, True) if r % 2 == 0
                                       else (True, False)):
                        times["ours" if with_stats else "none"].append(
                            deep_run(with_stats, root))
                report_ratios("deep (depth-30 MLP, digits, 5 epochs, whole "
                              "fit with tracing)", times, ["none", "ours"])
                continue
            shape = MODELS[model_name][1]
            x = rng.random((samples, *shape), dtype=np.float32)
            y = rng.integers(0, 10, samples).astype("int32")
            times = {c: [] for c in configs}
            # Warm-up (untimed): the process's first fit pays one-off costs.
            run(model_name, "none", x[:2560], y[:2560], 2, 128, root)
            for r in range(args.rounds):
                order = configs[r % len(configs):] + configs[:r % len(configs)]
                for config in order:
                    times[config].append(run(model_name, config, x, y,
                                             args.epochs, 128, root))
            report_ratios(f"{model_name}: fastest timed epoch", times, configs)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

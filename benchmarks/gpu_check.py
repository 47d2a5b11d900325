"""LayerStats on JAX (on a GPU where there is one): time per training step with and without it.

Trains a small MLP (build_sequential, synthetic data: no download, no
TensorFlow) under Keras's JAX backend, in interleaved rounds: a plain fit,
a fit with `LayerStats` (every 100 steps, and every 10), and one with
`NonFiniteGuard`. Each fit runs two epochs and the second is timed (the
first compiles the train step). Prints the median time per step of each
and its ratio to the plain fit, and where the statistics went.

It needs JAX and Keras, not TensorFlow. LayerStats writes TensorBoard event
files with the `tensorboard` package (no TensorFlow needed); where that is
not installed either, the statistics go to a NumPy file instead
(`stats.npz`: one array per run and tag, rows of `step, value`).

    KERAS_BACKEND=jax python benchmarks/gpu_check.py
    python benchmarks/gpu_check.py --steps 300 --rounds 5 --width 512
"""

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
import types

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def numpy_events():
    """A stand-in for `keras_initact.events` that keeps the scalars and
    saves them to `<log_dir>/stats.npz` (no `tensorboard` package here)."""
    import numpy as np

    recorded = {}

    class RunWriter:
        def __init__(self, run_dir):
            self.run = os.path.basename(run_dir)
            self.root = os.path.dirname(run_dir)

        def scalars(self, step, values):
            for tag, value in values.items():
                recorded.setdefault(f"{self.run}/{tag}", []).append(
                    (step, float(value)))

        def histograms(self, step, values):
            pass

        def image(self, *args, **kwargs):
            pass

        def layout(self, layout):
            pass

        def flush(self):
            if recorded:
                os.makedirs(self.root, exist_ok=True)
                np.savez(os.path.join(self.root, "stats.npz"),
                         **{k: np.array(v) for k, v in recorded.items()})

        close = flush

    module = types.ModuleType("keras_initact.events")
    module.RunWriter = RunWriter
    module.chart_layout = lambda groups: None
    return module


def epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """The wall time of the last epoch, up to the end of its last step
        (the device finished: `on_epoch_end` reads the logs)."""

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            float(logs["loss"])  # waits for the device
            self.seconds = time.perf_counter() - self.start

    return EpochTimer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)

    writes_events = importlib.util.find_spec("tensorboard") is not None
    if not writes_events:
        sys.modules["keras_initact.events"] = numpy_events()
    import keras
    import numpy as np

    from keras_initact.callbacks import LayerStats, NonFiniteGuard
    from keras_initact.models import build_sequential

    import jax

    EpochTimer = epoch_timer()
    rng = np.random.default_rng(0)
    n = args.steps * args.batch_size
    x = rng.normal(size=(n, 64)).astype("float32")
    y = (x[:, :10].argmax(axis=1)).astype("int64")
    log_root = tempfile.mkdtemp(prefix="gpu_check_")
    variants = {
        "plain": lambda: [],
        "LayerStats every 100": lambda: [LayerStats(
            os.path.join(log_root, "every100"), probe_data=x[:256],
            every_n_steps=100, heatmaps=writes_events)],
        "LayerStats every 10": lambda: [LayerStats(
            os.path.join(log_root, "every10"), probe_data=x[:256],
            every_n_steps=10, heatmaps=writes_events)],
        "NonFiniteGuard": lambda: [NonFiniteGuard(every_n_steps=100)],
    }
    print(f"Keras {keras.__version__} on {keras.backend.backend()}, JAX "
          f"{jax.__version__}, devices {jax.devices()}; MLP {args.depth} x "
          f"{args.width}, batch {args.batch_size}, {args.steps} steps a fit, "
          f"{args.rounds} interleaved rounds (after a warm-up fit each)")
    times = {name: [] for name in variants}
    models = {}
    for name, callbacks in variants.items():
        model = build_sequential((64,), [args.width] * args.depth, "gelu",
                                 num_classes=10, shaping=True, seed=0)
        model.compile(keras.optimizers.Adam(1e-3),
                      "sparse_categorical_crossentropy")
        model.fit(x[:10 * args.batch_size], y[:10 * args.batch_size],
                  batch_size=args.batch_size, verbose=0, callbacks=callbacks())
        models[name] = model
    for _ in range(args.rounds):
        for name, callbacks in variants.items():
            # The second epoch only: the first compiles the train step.
            timer = EpochTimer()
            models[name].fit(x, y, batch_size=args.batch_size, epochs=2,
                             verbose=0, callbacks=callbacks() + [timer])
            times[name].append(timer.seconds / args.steps)
    plain = statistics.median(times["plain"])
    for name, values in times.items():
        step = statistics.median(values)
        print(f"{name:<22} {1000 * step:8.3f} ms/step  {step / plain:5.3f}x")
    where = "TensorBoard event files" if writes_events else \
        "stats.npz (no tensorboard package)"
    print(f"statistics written to {log_root} as {where}")


if __name__ == "__main__":
    main()

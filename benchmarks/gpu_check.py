"""LayerStats on JAX (on a GPU where there is one): time per training step with and without it.

Trains a small MLP (build_sequential, synthetic data: no download, no
TensorFlow) under Keras's JAX backend, in interleaved rounds: a plain fit,
fits with `LayerStats` (on a probe batch every 100, 10 and 1 steps, and
on the training batches every step), and one with `NonFiniteGuard`. Each fit runs two epochs and the second is timed (the
first compiles the train step). Prints the median time per step of each
and its ratio to the plain fit, and where the statistics went.

It needs JAX, Keras and the `tensorboard` package (which needs no
TensorFlow): LayerStats writes real TensorBoard event files, which it
lists at the end. On a machine without some of them (the GPU machine here
has JAX, PyTorch and tensorboard but no Keras), carry wheels built for its
Python, from a machine that reaches PyPI:

    python3 -m pip download --no-deps --only-binary=:all: \
        --python-version 3.12 --implementation cp \
        --platform manylinux_2_17_x86_64 --platform any -d .whl \
        keras==3.15.1 namex optree tensorboard tensorboard-data-server
    # there:
    python3 -m pip install --no-index --no-deps --target /tmp/site .whl/*.whl
    PYTHONPATH=/tmp/site:. KERAS_BACKEND=jax python3 benchmarks/gpu_check.py

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

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


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

    if importlib.util.find_spec("tensorboard") is None:
        parser.error("LayerStats writes TensorBoard event files: install the "
                     "`tensorboard` package (no TensorFlow needed; see the "
                     "module's docstring for carrying its wheel)")
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
            every_n_steps=100)],
        "LayerStats every 10": lambda: [LayerStats(
            os.path.join(log_root, "every10"), probe_data=x[:256],
            every_n_steps=10)],
        "LayerStats every 1": lambda: [LayerStats(
            os.path.join(log_root, "every1"), probe_data=x[:256],
            every_n_steps=1)],
        "LayerStats every 1, no probe": lambda: [LayerStats(
            os.path.join(log_root, "every1_in_step"), every_n_steps=1)],
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
    runs = sorted({os.path.relpath(folder, log_root)
                   for folder, _, files in os.walk(log_root)
                   if any(f.startswith("events.out.tfevents") for f in files)})
    print(f"TensorBoard runs written under {log_root}: {', '.join(runs)}; "
          f"tensorflow imported: {'tensorflow' in sys.modules}")


if __name__ == "__main__":
    main()

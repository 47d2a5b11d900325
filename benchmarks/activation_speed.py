"""Activation speed: training-step throughput, keras_initact layers vs Keras.

For each activation, two copies of a model (an MLP and a small CNN) differ
only in the activation layers: keras_initact's, or Keras's own (its layer
where one exists, else `keras.layers.Activation(fn)` with Keras's function,
or a `keras.ops` formula where Keras has none). All models train in one
process and are timed interleaved (every round runs every model, the order
of ours and Keras's alternating), so machine noise hits both alike.

The ratio is ours/Keras's throughput, the median over the rounds of the
paired ratio (the two models of a pair run back to back); >= 0.97 is the
target, i.e. ours no slower. The samples/s columns are medians too.

    python benchmarks/activation_speed.py            # full run
    python benchmarks/activation_speed.py --quick    # a short run
    python benchmarks/activation_speed.py --activations relu,mish --models mlp
"""

import argparse
import logging
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# One tf.function per model: TensorFlow's retracing warning is expected here.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

from keras_initact.activations import ACTIVATIONS  # noqa: E402


def _rrelu_reference():
    seed = keras.random.SeedGenerator(0)

    def rrelu(x):  # training-mode RReLU, as the models are timed training
        slopes = keras.random.uniform(
            ops.shape(x), 1 / 8, 1 / 3, dtype=x.dtype, seed=seed
        )
        return ops.where(x >= 0, x, slopes * x)

    return keras.layers.Activation(rrelu)


def _layer_arguments(name, kind):
    """PReLU shares its slope over space in the CNN (one per channel);
    RReLU is seeded."""
    if name == "prelu" and kind == "cnn":
        return {"shared_axes": [1, 2]}
    return {"seed": 0} if name == "rrelu" else {}


def _snake(x):
    return x + ops.square(ops.sin(x))


def _lisht(x):
    return x * ops.tanh(x)


def _gated(gate):
    def gated(x):
        a, b = ops.split(x, 2, axis=-1)
        return a * gate(b)
    return gated


def _halving(function):
    """A Keras layer computing a gated unit: `Activation` would report the
    input's width, where the output has half."""
    return keras.layers.Lambda(
        function, output_shape=lambda shape: (*shape[:-1], shape[-1] // 2))


# Keras's counterpart of each activation: its layer where one exists, else
# `Activation` of its function, else of the formula in keras.ops.
KERAS = {
    "sigmoid": lambda k: keras.layers.Activation("sigmoid"),
    "tanh": lambda k: keras.layers.Activation("tanh"),
    "relu": lambda k: keras.layers.ReLU(),
    "leaky_relu": lambda k: keras.layers.LeakyReLU(),
    "prelu": lambda k: keras.layers.PReLU(**_layer_arguments("prelu", k)),
    "rrelu": lambda k: _rrelu_reference(),
    "elu": lambda k: keras.layers.ELU(),
    "selu": lambda k: keras.layers.Activation("selu"),
    "gelu": lambda k: keras.layers.Activation("gelu"),
    "swish": lambda k: keras.layers.Activation("silu"),
    "mish": lambda k: keras.layers.Activation("mish"),
    "softplus": lambda k: keras.layers.Activation("softplus"),
    "softmax": lambda k: keras.layers.Softmax(),
    "snake": lambda k: keras.layers.Activation(_snake),
    "lisht": lambda k: keras.layers.Activation(_lisht),
    **{name: (lambda k, name=name: keras.layers.Activation(name)) for name in (
        "celu", "exponential", "hard_sigmoid", "hard_silu", "hard_tanh",
        "log_sigmoid", "relu6", "softsign", "sparse_plus", "sparse_sigmoid",
        "squareplus", "hard_shrink", "soft_shrink", "tanh_shrink",
        "log_softmax", "sparsemax")},
    "glu": lambda k: _halving(keras.activations.glu),
    "threshold": lambda k: keras.layers.Activation(
        lambda x: keras.activations.threshold(x, 0.0, 0.0)),
    "squared_relu": lambda k: keras.layers.Activation(
        lambda x: ops.square(ops.relu(x))),
    "softmin": lambda k: keras.layers.Activation(lambda x: ops.softmax(-x)),
    "swiglu": lambda k: _halving(_gated(ops.silu)),
    "geglu": lambda k: _halving(_gated(lambda b: ops.gelu(b, approximate=False))),
    "reglu": lambda k: _halving(_gated(ops.relu)),
}
KERAS["hard_swish"] = KERAS.pop("hard_silu")


def _ours(name):
    spec = ACTIVATIONS[name]  # our layer comes from the registry
    return lambda k: spec.layer(**_layer_arguments(name, k))


# name -> (ours(kind), Keras's(kind)); every registered activation but
# `linear` (whose layer is Keras's own Identity).
PAIRS = {name: (_ours(name), KERAS[name]) for name in KERAS}
assert set(PAIRS) == set(ACTIVATIONS) - {"linear"}


def graph_ops(make_activation, kind, name):
    """The ops of one activation layer's forward and backward pass, traced
    by TensorFlow (an identical list means identical computation)."""
    import tensorflow as tf

    shape = (4, 8) if kind == "mlp" else (2, 4, 4, 6)  # even: gated units
    layer = make_activation(kind)
    layer(tf.zeros(shape))

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True) if name == "rrelu" else layer(x)
        return y, tape.gradient(y, [x, *layer.trainable_weights])

    graph = step.get_concrete_function(tf.TensorSpec(shape)).graph
    skip = {"Identity", "NoOp", "Placeholder", "Const"}
    return sorted(op.type for op in graph.get_operations()
                  if op.type not in skip)


def compare_graphs(make_ours, make_keras, kind, name):
    if keras.backend.backend() != "tensorflow":
        return "n/a"
    ours, theirs = (graph_ops(make, kind, name)
                    for make in (make_ours, make_keras))
    if ours == theirs:
        return "same"
    return f"{len(ours)} vs {len(theirs)}"


CONTROL = "(keras/keras)"
CONTROL_PAIR = (lambda k: keras.layers.ReLU(), lambda k: keras.layers.ReLU())


def build_model(kind, make_activation, width):
    keras.utils.set_random_seed(0)
    if kind == "mlp":
        inputs = keras.Input((width,))
        h = inputs
        for _ in range(3):
            h = make_activation(kind)(keras.layers.Dense(width)(h))
    else:
        inputs = keras.Input((32, 32, 3))
        h = inputs
        for filters in (16, 32):
            h = make_activation(kind)(
                keras.layers.Conv2D(filters, 3, padding="same")(h))
        h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(10)(h)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.SGD(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def make_data(kind, batch, width):
    rng = np.random.default_rng(0)
    shape = (batch, width) if kind == "mlp" else (batch, 32, 32, 3)
    x = rng.normal(size=shape).astype("float32")
    y = rng.integers(0, 10, size=(batch,))
    return x, y


def time_steps(model, x, y, steps):
    start = time.perf_counter()
    for _ in range(steps):
        loss = model.train_on_batch(x, y)
    float(loss)  # waits for the last step
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a short run: 5 rounds of 10 steps")
    parser.add_argument("--rounds", type=int, default=15,
                        help="interleaved timing rounds (default 15)")
    parser.add_argument("--steps", type=int, default=20,
                        help="training steps per model per round (default 20)")
    parser.add_argument("--activations", default=",".join(PAIRS),
                        help="comma-separated subset of: " + ", ".join(PAIRS))
    parser.add_argument("--models", default="mlp,cnn",
                        help="comma-separated subset of: mlp, cnn")
    parser.add_argument("--mlp-width", type=int, default=512)
    parser.add_argument("--mlp-batch", type=int, default=256)
    parser.add_argument("--cnn-batch", type=int, default=32)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.steps = 5, 10
    names = [n.strip() for n in args.activations.split(",") if n.strip()]
    unknown = sorted(set(names) - set(PAIRS))
    if unknown:
        parser.error(f"unknown activations {unknown}; known: {list(PAIRS)}")
    kinds = [k.strip() for k in args.models.split(",") if k.strip()]
    if set(kinds) - {"mlp", "cnn"}:
        parser.error(f"--models takes mlp and/or cnn; received {args.models}")

    batches = {"mlp": args.mlp_batch, "cnn": args.cnn_batch}
    data = {k: make_data(k, batches[k], args.mlp_width) for k in kinds}
    runs = []  # (kind, name, ours model, Keras's model)
    graphs = {}
    for kind in kinds:
        # The noise floor: Keras's ReLU model against an identical copy.
        for name in [CONTROL, *names]:
            make_ours, make_keras = PAIRS.get(name, CONTROL_PAIR)
            pair = [build_model(kind, make, args.mlp_width)
                    for make in (make_ours, make_keras)]
            for model in pair:  # compile and warm up
                time_steps(model, *data[kind], 3)
            runs.append((kind, name, *pair))
            graphs[kind, name] = compare_graphs(
                make_ours, make_keras, kind, name)

    times = {(kind, name): ([], []) for kind, name, _, _ in runs}
    for r in range(args.rounds):
        for kind, name, ours, theirs in runs:
            order = [(0, ours), (1, theirs)]
            for index, model in order if r % 2 == 0 else order[::-1]:
                times[kind, name][index].append(
                    time_steps(model, *data[kind], args.steps))

    print(f"keras {keras.__version__}, backend {keras.backend.backend()}, "
          f"{platform.machine()} {os.cpu_count()} CPUs, jit_compile="
          f"{runs[0][2].jit_compile}; rounds={args.rounds} steps={args.steps}"
          " (ratio = ours / Keras's throughput)")
    print(f"{'model':<5} {'activation':<15} {'ours samples/s':>15} "
          f"{'keras samples/s':>16} {'ratio':>6}  graph ops (ours vs keras)")
    worst = float("inf")
    for kind, name, _, _ in runs:
        samples = args.steps * batches[kind]
        ours_times, keras_times = times[kind, name]
        ours, theirs = (samples / statistics.median(t)
                        for t in (ours_times, keras_times))
        ratio = statistics.median(
            k / o for o, k in zip(ours_times, keras_times))
        if name != CONTROL:
            worst = min(worst, ratio)
        flag = "  < 0.97" if ratio < 0.97 and name != CONTROL else ""
        print(f"{kind:<5} {name:<15} {ours:>15.0f} {theirs:>16.0f} "
              f"{ratio:>6.3f}  {graphs[kind, name]}{flag}")
    print(f"worst ratio: {worst:.3f} (target >= 0.97); the {CONTROL} rows "
          "time Keras against itself: their distance from 1 is the noise.")
    return 0 if worst >= 0.97 else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""LSUV: layer-sequential unit-variance initialization (Mishkin & Matas 2016)."""

import dataclasses
import inspect
import math

import keras
import numpy as np

from keras_initact.checks import (
    check_bool,
    check_int,
    check_number,
    check_positive_int,
)
from keras_initact.initializers.orthogonal import Orthogonal
from keras_initact.seeding import derive_seed


class LSUVError(RuntimeError):
    """LSUV could not finish; the model's weights are as they were before."""


@dataclasses.dataclass(frozen=True)
class LayerVariance:
    """What LSUV did to one layer.

    Attributes:
        layer: the layer's name.
        variance_before: output variance after the orthogonal pre-init (or
            with the original kernel when `orthogonal=False`).
        variance_after: output variance after rescaling.
        iterations: rescaling steps taken.
        converged: whether `|variance_after - target| < tol`.
    """

    layer: str
    variance_before: float
    variance_after: float
    iterations: int
    converged: bool


def format_report(report):
    """The per-layer report as a plain-text table."""
    lines = [f"{'layer':<24} {'var before':>11} {'var after':>10} {'iters':>6}  ok"]
    for row in report:
        lines.append(
            f"{row.layer:<24} {row.variance_before:11.4g} "
            f"{row.variance_after:10.4g} {row.iterations:6d}  "
            f"{'yes' if row.converged else 'NO'}"
        )
    return "\n".join(lines)


def kernel_layers(model):
    """The layers LSUV rescales: those with a `kernel`, in graph order."""
    return [layer for layer in model.layers
            if getattr(layer, "kernel", None) is not None]


def lsuv_initialize(model, x, tol=0.1, max_iter=10, target_variance=1.0,
                    orthogonal=True, centre=False, seed=None):
    """Initializes a built model by LSUV and returns the per-layer report.

    1. Pre-initialize every kernel with an orthogonal matrix (Saxe et al.).
    2. Layer by layer, from input to output, on the batch `x`: while
       `|Var(out) - target_variance| >= tol` and fewer than `max_iter` steps,
       `W <- W * sqrt(target_variance / Var(out))`, where `out` is the
       layer's pre-activation output (its activation is bypassed, so a Dense
       layer with `activation="relu"` is scaled like Dense + ReLU layer).
       With `centre=True` the bias first absorbs the mean of each unit's
       output, so that the layer's output is centred too.

    Dense, convolution and any other layer with a `kernel`, in Sequential and
    functional models, are rescaled; layers without a kernel are skipped (a
    nested model counts as one layer without a kernel: initialize it on its
    own). Non-finite statistics raise `LSUVError` after every weight is put
    back as it was, so the model is never left half-scaled. A layer that has
    not converged after `max_iter` steps is reported with `converged=False`.

    >>> report = lsuv_initialize(model, x_train[:256])
    >>> print(format_report(report))

    Args:
        model: a built `keras.Model`.
        x: a batch of inputs (what `model(x)` accepts), at least two samples.
        tol: tolerance on the variance.
        max_iter: rescaling steps per layer at most.
        target_variance: the variance to reach (1 in the paper).
        orthogonal: pre-initialize the kernels orthogonally.
        centre: also centre each unit's output with its bias.
        seed: seed of the orthogonal pre-initialization (layer `i` uses
            `derive_seed(seed, i)`).

    Reference: Mishkin & Matas, "All you need is a good init", ICLR 2016.
    """
    _check_model(model)
    _check_options(tol=tol, max_iter=max_iter, target_variance=target_variance,
                   orthogonal=orthogonal, centre=centre, seed=seed)
    layers = kernel_layers(model)
    saved = [(weight, keras.ops.convert_to_numpy(weight.value))
             for layer in layers for weight in layer.weights]
    try:
        if orthogonal:
            base_seed = np.random.randint(1, 2**31 - 1) if seed is None else seed
            for index, layer in enumerate(layers):
                init = Orthogonal(seed=derive_seed(base_seed, index))
                layer.kernel.assign(init(layer.kernel.shape, layer.kernel.dtype))
        return [
            _rescale(layer, layer_inputs(model, layer, x), tol, max_iter,
                     target_variance, centre)
            for layer in layers
        ]
    except BaseException:
        for weight, value in saved:
            weight.assign(value)
        raise


def _check_model(model):
    if not isinstance(model, keras.Model):
        raise TypeError(f"lsuv_initialize needs a keras.Model; received {model!r}.")
    if not model.built:
        raise ValueError(
            f"lsuv_initialize: model {model.name!r} is not built; give it an "
            "Input or call it on data first."
        )


def _check_options(tol=0.1, max_iter=10, target_variance=1.0, orthogonal=True,
                   centre=False, seed=None):
    """Checks `lsuv_initialize`'s arguments after `model` and `x`."""
    owner = "lsuv_initialize"
    check_number("tol", tol, owner, positive=True)
    check_number("target_variance", target_variance, owner, positive=True)
    check_positive_int("max_iter", max_iter, owner)
    check_bool("orthogonal", orthogonal, owner)
    check_bool("centre", centre, owner)
    if seed is not None:
        check_int("seed", seed, owner)


def layer_inputs(model, layer, x):
    """What `layer` receives when the model runs on `x`."""
    inputs = model.inputs
    extractor = keras.Model(inputs[0] if len(inputs) == 1 else inputs,
                            layer.input)
    return extractor(x, training=False)


def pre_activation(layer, inputs):
    """`layer`'s output on `inputs` with its activation bypassed."""
    activation = getattr(layer, "activation", None)
    if activation is None:
        return layer(inputs, training=False)
    layer.activation = keras.activations.linear
    try:
        return layer(inputs, training=False)
    finally:
        layer.activation = activation


def _statistics(layer, inputs, step):
    out = np.asarray(keras.ops.convert_to_numpy(pre_activation(layer, inputs)),
                     dtype=np.float64)
    if out.shape[0] < 2 and out.size < 2:
        raise LSUVError(f"LSUV needs a batch of at least two values; layer "
                        f"{layer.name!r} produced {out.size}.")
    variance = float(out.var())
    if not math.isfinite(variance) or variance == 0.0:
        raise LSUVError(
            f"LSUV stopped at layer {layer.name!r}, step {step}: its output "
            f"variance is {variance!r} (a non-finite or all-constant output: "
            "check the inputs and the layers before it). Every weight was put "
            "back as it was."
        )
    return out, variance


def _rescale(layer, inputs, tol, max_iter, target, centre):
    bias = getattr(layer, "bias", None)
    out, variance = _statistics(layer, inputs, 0)
    before = variance
    steps = 0
    while True:
        if centre and bias is not None:
            unit_mean = out.reshape(-1, out.shape[-1]).mean(axis=0)
            bias.assign(keras.ops.convert_to_numpy(bias.value) - unit_mean)
            out, variance = _statistics(layer, inputs, steps)
        if abs(variance - target) < tol or steps >= max_iter:
            break
        layer.kernel.assign(layer.kernel.value * math.sqrt(target / variance))
        steps += 1
        out, variance = _statistics(layer, inputs, steps)
    return LayerVariance(layer.name, before, variance, steps,
                         abs(variance - target) < tol)


class LSUVCallback(keras.callbacks.Callback):
    """Runs `lsuv_initialize` on `x` when training begins (once).

    >>> model.fit(x, y, callbacks=[LSUVCallback(x[:256])])

    The report is kept in `callback.report`. Arguments after `x` are those
    of `lsuv_initialize`.
    """

    def __init__(self, x, verbose=0, **lsuv_arguments):
        super().__init__()
        unknown = set(lsuv_arguments) - set(inspect.signature(
            _check_options).parameters)
        if unknown:
            raise TypeError(
                f"LSUVCallback: unknown arguments {sorted(unknown)}; it takes "
                "those of lsuv_initialize after `x`: tol, max_iter, "
                "target_variance, orthogonal, centre, seed."
            )
        _check_options(**lsuv_arguments)
        self.x = x
        self.verbose = verbose
        self.lsuv_arguments = lsuv_arguments
        self.report = None

    def on_train_begin(self, logs=None):
        if self.report is None:
            self.report = lsuv_initialize(self.model, self.x, **self.lsuv_arguments)
            if self.verbose:
                print(format_report(self.report))

"""diagnose: is a model's signal alive at initialization, layer by layer?"""

import dataclasses
import math
import os
from typing import Optional

import keras
import numpy as np

from keras_initact.activations import ACTIVATIONS
from keras_initact.checks import check_bool
from keras_initact.deep.lsuv import kernel_layers, layer_inputs, pre_activation
from keras_initact.deep.pairing import for_activation
from keras_initact.gradients import variable_gradients

VANISHING, EXPLODING, HEALTHY = "vanishing", "exploding", "healthy"
# A factor of 10 in RMS or gradient norm across the network is the alarm.
RATIO_LIMIT = 10.0
DEAD_LIMIT = 0.5
SATURATED_LIMIT = 0.5


@dataclasses.dataclass(frozen=True)
class LayerSignal:
    """The signal of one kernel layer at initialization.

    Attributes:
        layer: the layer's name.
        activation: the registry name of the activation after it, or None.
        pre_activation_rms: RMS of the layer's output before its activation.
        gradient_norm: L2 norm of the loss gradient with respect to the
            kernel.
        dead_fraction: fraction of the activation's outputs that are dead
            (None when the activation has no dead region).
        saturated_fraction: likewise for saturated outputs.
        flags: what is wrong with this layer (empty when nothing).
    """

    layer: str
    activation: Optional[str]
    pre_activation_rms: float
    gradient_norm: float
    dead_fraction: Optional[float]
    saturated_fraction: Optional[float]
    flags: tuple


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """Per-layer signals, a verdict and a suggested fix."""

    layers: tuple
    verdict: str
    suggestion: str

    def table(self):
        """The diagnosis as a plain-text table."""
        def fraction(value):
            return "-" if value is None else f"{value:.2f}"

        lines = [
            f"{'layer':<20} {'activation':<11} {'pre-act RMS':>11} "
            f"{'grad norm':>10} {'dead':>5} {'sat':>5}  flags"
        ]
        for row in self.layers:
            lines.append(
                f"{row.layer:<20} {row.activation or '-':<11} "
                f"{row.pre_activation_rms:11.3g} {row.gradient_norm:10.3g} "
                f"{fraction(row.dead_fraction):>5} "
                f"{fraction(row.saturated_fraction):>5}  {', '.join(row.flags)}"
            )
        lines.append(f"verdict: {self.verdict}")
        lines.append(f"suggestion: {self.suggestion}")
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def diagnose(model, x, y=None, verbose=True):
    """Measures each kernel layer's signal at initialization on a batch.

    For every layer with a kernel: the RMS of its pre-activation output, the
    norm of the loss gradient with respect to its kernel, and the fractions
    of dead and saturated units of the activation that follows it (fused,
    or the next layer), as the activation registry defines them. The loss
    is the model's compiled loss when `y` is given and the model is
    compiled, otherwise a fixed random projection of the outputs, so that
    the gradients measure how the backward signal propagates.

    Verdict: `"vanishing"` when the last layer's RMS or the first kernel's
    gradient norm falls by more than 10x across the network, `"exploding"`
    when either grows by more than 10x, else `"healthy"`; layers with more
    than half their units dead or saturated are flagged. The suggestion
    comes from `for_activation` for the network's activation and depth.

    >>> result = diagnose(model, x_train[:256])   # prints the table
    >>> result.verdict
    'healthy'

    Args:
        model: a built `keras.Model`, or the path of a `.keras` file.
        x: a batch of inputs (what `model(x)` accepts), finite, with at
            least one sample (256 or so gives stable fractions).
        y: optional targets, for the model's compiled loss.
        verbose: print the table.

    Returns a `Diagnosis`; prints its table when `verbose`.
    """
    model = _as_model(model)
    _check_batch(x)
    check_bool("verbose", verbose, "diagnose")
    layers = kernel_layers(model)
    if not layers:
        raise ValueError(
            f"diagnose: model {model.name!r} has no layer with a kernel."
        )
    gradients = _kernel_gradient_norms(model, x, y, layers)
    rows = []
    for layer in layers:
        inputs = layer_inputs(model, layer, x)
        pre = np.asarray(keras.ops.convert_to_numpy(pre_activation(layer, inputs)),
                         dtype=np.float64)
        spec, activation = _activation_after(model, layer)
        dead = saturated = None
        if spec is not None:
            out = activation(keras.ops.convert_to_tensor(pre, "float32"))
            dead = _maybe_float(spec.dead_fraction(out))
            saturated = _maybe_float(spec.saturated_fraction(out))
        rms = float(np.sqrt(np.mean(pre**2)))
        flags = []
        if not math.isfinite(rms) or not math.isfinite(gradients[layer.name]):
            flags.append("non-finite")
        if dead is not None and dead > DEAD_LIMIT:
            flags.append(f"{dead:.0%} dead")
        if saturated is not None and saturated > SATURATED_LIMIT:
            flags.append(f"{saturated:.0%} saturated")
        rows.append(LayerSignal(layer.name, spec.name if spec else None, rms,
                                gradients[layer.name], dead, saturated,
                                tuple(flags)))
    verdict = _verdict(rows)
    result = Diagnosis(tuple(rows), verdict, _suggestion(rows, verdict))
    if verbose:
        print(result.table())
    return result


def _as_model(model):
    """`model` itself, or the model saved at that path."""
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"diagnose: no model file at model={path!r}; give a keras.Model "
                "or the path of a .keras file."
            )
        return keras.saving.load_model(path)
    if not isinstance(model, keras.Model):
        raise TypeError(
            "diagnose: `model` must be a keras.Model or the path of a .keras "
            f"file; received model={model!r}."
        )
    return model


def _check_batch(x):
    """`x` holds at least one sample and only finite numbers."""
    for array in keras.tree.flatten(x):
        array = np.asarray(keras.ops.convert_to_numpy(array))
        if array.ndim == 0 or array.shape[0] == 0 or array.size == 0:
            raise ValueError(
                f"diagnose: `x` is an empty batch (shape {array.shape}); give "
                "at least one sample (about 256 give stable statistics)."
            )
        if np.issubdtype(array.dtype, np.floating) and \
                not np.all(np.isfinite(array)):
            nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
            raise ValueError(
                f"diagnose: `x` has {nan} NaN and {inf} Inf values; the "
                "signal cannot be judged on inputs that are not finite. Clean "
                "the data (and standardize it) before diagnosing the model."
            )


def _maybe_float(value):
    return None if value is None else float(keras.ops.convert_to_numpy(value))


def _activation_after(model, layer):
    """The registry spec of the activation applied to `layer`'s output, and a
    callable computing it."""

    fused = getattr(layer, "activation", None)
    if fused is not None:
        spec = ACTIVATIONS.identify(fused)
        if spec is not None and spec.name != "linear":
            return spec, fused
    following = _next_layer(model, layer)
    if following is not None:
        spec = ACTIVATIONS.identify(following)
        if spec is not None:
            return spec, following
    return None, None


def _next_layer(model, layer):
    layers = model.layers
    index = layers.index(layer)
    return layers[index + 1] if index + 1 < len(layers) else None


def _kernel_gradient_norms(model, x, y, layers):
    """Each layer's kernel gradient norm: of the model's loss when it is
    compiled and `y` is given, else of a fixed random projection of its
    outputs (any backend)."""
    kernels = [layer.kernel for layer in layers]
    x = keras.ops.convert_to_tensor(x)

    def loss():
        outputs = model(x, training=False)
        if y is not None and getattr(model, "compiled", False):
            return model.compute_loss(x=x, y=y, y_pred=outputs)
        total = 0.0
        for index, output in enumerate(keras.tree.flatten(outputs)):
            projection = keras.random.normal(
                keras.ops.shape(output), seed=1000 + index, dtype=output.dtype)
            total += keras.ops.mean(keras.ops.sum(keras.ops.reshape(
                output * projection, (keras.ops.shape(output)[0], -1)), axis=-1))
        return total

    grads = variable_gradients(loss, kernels)
    return {
        layer.name: float("nan") if grad is None else float(np.linalg.norm(grad))
        for layer, grad in zip(layers, grads)
    }


def _verdict(rows):
    first, last = rows[0], rows[-1]
    values = [first.pre_activation_rms, last.pre_activation_rms,
              first.gradient_norm, last.gradient_norm]
    if not all(math.isfinite(v) for v in values):
        return EXPLODING
    if len(rows) < 2:
        return HEALTHY
    rms_ratio = last.pre_activation_rms / max(first.pre_activation_rms, 1e-30)
    grad_ratio = first.gradient_norm / max(last.gradient_norm, 1e-30)
    if rms_ratio < 1 / RATIO_LIMIT or grad_ratio < 1 / RATIO_LIMIT:
        return VANISHING
    if rms_ratio > RATIO_LIMIT or grad_ratio > RATIO_LIMIT:
        return EXPLODING
    return HEALTHY


def _suggestion(rows, verdict):

    activations = [row.activation for row in rows if row.activation]
    flagged = [row.layer for row in rows if row.flags]
    if verdict == HEALTHY and not flagged:
        return "none needed: the signal reaches every layer in both directions."
    if not activations:
        return ("give the layers activations from the registry, then "
                "initialize them with keras_initact.deep.for_activation.")
    activation = max(set(activations), key=activations.count)
    recipe = for_activation(activation, depth=len(rows))
    return (f"for_activation({activation!r}, depth={len(rows)}): "
            f"{recipe.rationale}; or lsuv_initialize(model, x).")

"""Estimators of elementwise layers and ops: activations, merges, Keras
ops in functional models, dropout and noise, rescaling, and residual
scales.

An elementwise function acts on a signal's support points, so its
moments are its Gaussian integrals (`Signal.map`, the integrals the
activation registry's gains come from); functions of several signals
combine them (`combine`), point by point when they share a source
(MobileNetV3's `x * hard_sigmoid(x)`), else as independent variables.
"""

import inspect

import keras
import numpy as np

from keras_initact.activations import ACTIVATIONS
from keras_initact.graph.call import Flow
from keras_initact.graph.correlation import activated_correlation
from keras_initact.graph.normalization import per_channel_affine
from keras_initact.graph.signal import Signal, combine, mixture

# Draws of the softmax-like (non-elementwise) activations' inputs.
SOFTMAX_ROWS = 256


def activation_signal(activation, x, width=None):
    """The signal of `activation(x)` for an activation the registry knows
    (a function, a layer), or `None` for one it does not. `width` is the
    size of the last axis, which softmax-like activations mix."""
    spec = ACTIVATIONS.identify(activation)
    if spec is None:
        return None
    if spec.name == "linear":
        return x
    if spec.elementwise:
        return x.map(elementwise_function(activation, spec))
    if spec.gate is not None:
        gate = spec.gate
        return combine(lambda a, b: a * gate(b), x, x.independent())
    if width is None:
        return None
    return _across_last_axis(spec.activation, x, width)


def elementwise_function(activation, spec):
    """What an elementwise activation computes, with its options: the
    function itself (`keras.activations.leaky_relu`, slope 0.2), a layer
    without weights (`ReLU(max_value=6, negative_slope=0.1)`,
    `ELU(alpha=0.5)`), else (a layer with per-channel weights, `PReLU`)
    the registry's function of its record."""
    if isinstance(activation, keras.layers.Activation):
        activation = activation.activation
    if isinstance(activation, keras.layers.Layer):
        if activation.weights:
            return spec.activation
        return lambda values: activation(values, training=False) \
            if _takes_training(activation) else activation(values)
    if callable(activation) and not isinstance(activation, type):
        return activation
    return spec.activation


def _takes_training(layer):
    return "training" in inspect.signature(layer.call).parameters


def _across_last_axis(function, x, width):
    rng = np.random.default_rng(width)
    draws = rng.choice(x.values, size=(SOFTMAX_ROWS, width), p=x.weights)
    values = keras.ops.convert_to_numpy(function(
        keras.ops.convert_to_tensor(draws.astype(np.float32))))
    values = np.asarray(values, dtype=np.float64)
    return Signal.of_moments(float(values.mean()),
                             float(np.mean(values * values)))


def activation_layer(call):
    """Keras's and keras_initact's activation layers (and `Activation`)."""
    shape = call.input_shape
    call.output_correlation = activated_correlation(
        call.layer, call.input, call.input_correlation)
    return activation_signal(call.layer, call.input,
                             shape[-1] if shape else None)


def keras_op(call):
    """Keras's elementwise ops in a functional model (`x + 3.0`,
    `x * (1 / 6)`), evaluated on the signals' points."""
    operation = call.layer
    positions = [i for i, a in enumerate(call.args) if isinstance(a, Flow)]
    signals = [call.args[i].signal for i in positions]

    def function(*arrays):
        args = list(call.args)
        for i, array in zip(positions, arrays):
            args[i] = array
        return operation(*args, **call.kwargs)

    return combine(function, *signals)


def merged(function):
    """The estimator of a merge layer (`Add`, `Multiply`, ...) computing
    `function(*inputs)` elementwise."""

    def merge(call):
        return combine(function, *call.input)

    merge.__doc__ = f"A merge layer: {function.__doc__ or function}."
    return merge


def add(*xs):
    """the sum"""
    return _fold(lambda a, b: a + b, xs)


def multiply(*xs):
    """the product"""
    return _fold(lambda a, b: a * b, xs)


def average(*xs):
    """the mean"""
    return add(*xs) / len(xs)


def subtract(a, b):
    """the difference"""
    return a - b


def maximum(*xs):
    """the largest"""
    return _fold(keras.ops.maximum, xs)


def minimum(*xs):
    """the smallest"""
    return _fold(keras.ops.minimum, xs)


def concatenate(call):
    """`Concatenate`: an element comes from each input in proportion to
    its size along the axis."""
    axis = call.layer.axis
    sizes = [shape[axis] for shape in call.input_shape]
    return mixture(call.input, [size or 1 for size in sizes])


def _fold(function, xs):
    result = xs[0]
    for x in xs[1:]:
        result = function(result, x)
    return result


def dropout(call):
    """`Dropout`, `SpatialDropout1D/2D/3D`: in training, `x / (1 - rate)`
    kept with probability `1 - rate`, else 0 (per element, whatever the
    noise shape)."""
    x, rate = call.input, float(call.layer.rate)
    if not call.training or rate == 0.0:
        return x
    return x.affine(1.0 / (1.0 - rate)).with_point(0.0, rate)


def stochastic_depth(call):
    """ConvNeXt's `StochasticDepth`: a residual branch dropped per sample
    with `drop_path_rate`, scaled by `1 / keep` when kept."""
    x, rate = call.input, float(call.layer.drop_path_rate)
    if not call.training or rate == 0.0:
        return x
    return x.affine(1.0 / (1.0 - rate)).with_point(0.0, rate)


def gaussian_dropout(call):
    """`GaussianDropout`: in training, `x * (1 + e)` with
    `e ~ N(0, rate / (1 - rate))`."""
    x, rate = call.input, float(call.layer.rate)
    if not call.training or rate == 0.0:
        return x
    return combine(lambda a, b: a * b, x,
                   Signal.gaussian(1.0, rate / (1.0 - rate)))


def gaussian_noise(call):
    """`GaussianNoise`: in training, `x + N(0, stddev^2)`."""
    x, stddev = call.input, float(call.layer.stddev)
    if not call.training or stddev == 0.0:
        return x
    return combine(lambda a, b: a + b, x, Signal.gaussian(0.0, stddev ** 2))


# SELU's negative saturation value, -lambda * alpha (Klambauer et al.
# 2017), where `AlphaDropout` sets dropped units.
ALPHA_PRIME = -1.6732632423543772 * 1.0507009873554805


def alpha_dropout(call):
    """`AlphaDropout`: in training, `a * x + b` when kept, else
    `a * alpha' + b`, with Keras's (and the paper's) `a` and `b`."""
    x, rate = call.input, float(call.layer.rate)
    if not call.training or rate == 0.0:
        return x
    a = ((1 - rate) * (1 + rate * ALPHA_PRIME ** 2)) ** -0.5
    b = -a * ALPHA_PRIME * rate
    return x.affine(a, b).with_point(a * ALPHA_PRIME + b, rate)


def rescaling(call):
    """`Rescaling`: `x * scale + offset` (per channel when arrays)."""
    layer = call.layer
    return per_channel_affine(call.input, layer.scale, layer.offset)


def layer_scale(call):
    """ConvNeXt's `LayerScale`: `x * gamma` per channel."""
    return per_channel_affine(
        call.input, keras.ops.convert_to_numpy(call.layer.gamma), 0.0)


def residual_scale(call):
    """keras_initact's `ResidualScale`: `alpha * x`."""
    alpha = float(keras.ops.convert_to_numpy(call.layer.alpha))
    return call.input.affine(alpha)


def deepnorm_residual(call):
    """keras_initact's `DeepNormResidual`: `alpha * x + f(x)`."""
    alpha = float(call.layer.alpha)
    skip, branch = call.input
    return combine(lambda a, b: alpha * a + b, skip, branch)

"""Rectifiers: identity for positive inputs, something small for negative ones.

The functions of `keras_initact.layers.rectifiers`'s layers, with their
defaults.
"""

import keras
from keras import ops

from keras_initact.checks import (
    check_number, check_optional_number, check_ordered, check_rrelu_range,
    check_slope, is_real_number,
)
from keras_initact.serialization import register

# The activation's default negative slope: Keras's `LeakyReLU` layer's, so
# that `LeakyReLU()` here is a drop-in for Keras's (Keras's `leaky_relu`
# function uses 0.2, PyTorch's `LeakyReLU` 0.01). `calculate_gain` has a
# default of its own, PyTorch's: see `keras_initact.math.gains`.
LEAKY_RELU_SLOPE = 0.3
# RReLU's slope range (Xu et al. 2015; PyTorch's defaults).
RRELU_LOWER = 1.0 / 8.0
RRELU_UPPER = 1.0 / 3.0
# SELU's constants (Klambauer et al. 2017), as `keras.ops.selu` uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@register
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, with Keras's `ReLU` options.

    ```
    f(x) = max_value                      if x >= max_value
    f(x) = x                              if threshold < x < max_value
    f(x) = negative_slope * (x - threshold)  otherwise
    ```

    Args:
        x: input tensor.
        negative_slope: slope below `threshold`, >= 0.
        max_value: upper clip, >= `threshold`, or `None` for none.
        threshold: where the unit switches on, >= 0.

    Reference: Nair & Hinton, "Rectified Linear Units Improve Restricted
    Boltzmann Machines", ICML 2010.
    """
    negative_slope, max_value, threshold = check_relu_options(
        negative_slope, max_value, threshold, "relu")
    if max_value is None and threshold == 0:
        if negative_slope == 0:
            return ops.relu(x)
        return ops.leaky_relu(x, negative_slope=negative_slope)
    x = ops.convert_to_tensor(x)
    if threshold == 0 and negative_slope == 0 and max_value == 6:
        return ops.relu6(x)
    if negative_slope == 0:
        y = ops.where(x > threshold, x, ops.zeros_like(x))
    else:
        y = ops.where(x > threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        y = ops.minimum(y, ops.cast(max_value, y.dtype))
    return y


def check_relu_options(negative_slope, max_value, threshold, owner):
    """`relu`'s and `ReLU`'s options, checked: `negative_slope >= 0`,
    `threshold >= 0`, and `max_value` (if any) at least `threshold`, where
    the three parts of the definition would otherwise overlap."""
    negative_slope = check_slope("negative_slope", negative_slope, owner)
    max_value = check_optional_number("max_value", max_value, owner,
                                      non_negative=True)
    threshold = check_number("threshold", threshold, owner, non_negative=True)
    if max_value is not None:
        check_ordered(owner, "threshold", threshold, "max_value", max_value,
                      why=" (the unit is x between them and max_value "
                      "above)")
    return negative_slope, max_value, threshold


@register
def leaky_relu(x, negative_slope=LEAKY_RELU_SLOPE):
    """Leaky ReLU, `f(x) = x if x >= 0 else negative_slope * x`.

    The default slope is `LEAKY_RELU_SLOPE = 0.3`, Keras's `LeakyReLU`
    layer default; Keras's `leaky_relu` function defaults to 0.2 and
    PyTorch to 0.01 (`calculate_gain("leaky_relu")` mirrors PyTorch's and
    so assumes 0.01: pass the slope as `param`).

    Reference: Maas et al., "Rectifier Nonlinearities Improve Neural Network
    Acoustic Models", ICML 2013.
    """
    check_slope("negative_slope", negative_slope, "leaky_relu")
    return ops.leaky_relu(x, negative_slope=negative_slope)


@register
def prelu(x, alpha=0.0):
    """Parametric ReLU with a given slope, `f(x) = max(x, 0) - alpha * max(-x, 0)`.

    `alpha` is a number or a tensor broadcastable to `x`; 0 by default, the
    slope the layer starts from (Keras's `alpha_initializer="zeros"`). Its
    slope is learned, so as an activation use the layer
    `keras_initact.layers.PReLU`.

    Reference: He et al., "Delving Deep into Rectifiers", ICCV 2015.
    """
    if is_real_number(alpha):
        alpha = check_number("alpha", alpha, "prelu")
    x = ops.convert_to_tensor(x)
    alpha = ops.cast(alpha, x.dtype)
    return ops.relu(x) - alpha * ops.relu(-x)


@register
def rrelu(x, lower=RRELU_LOWER, upper=RRELU_UPPER, training=False, seed=None):
    """Randomized leaky ReLU, `f(x) = x if x >= 0 else a * x`.

    In training `a ~ U[lower, upper]`, drawn per element; otherwise `a` is the
    mean slope `(lower + upper) / 2`, so that the default call is
    deterministic (as PyTorch's `F.rrelu(training=False)`).

    Args:
        x: input tensor.
        lower, upper: the slope range, `0 <= lower <= upper < 1`.
        training: draw random slopes (`True`) or use the mean slope.
        seed: an int (the same slopes on every call), a
            `keras.random.SeedGenerator` (new slopes per call) or `None`.

    Reference: Xu et al., "Empirical Evaluation of Rectified Activations in
    Convolutional Network", 2015.
    """
    check_rrelu_range(lower, upper, "rrelu")
    if not training:
        return ops.leaky_relu(x, negative_slope=(lower + upper) / 2.0)
    x = ops.convert_to_tensor(x)
    slopes = keras.random.uniform(
        ops.shape(x), minval=lower, maxval=upper, dtype=x.dtype, seed=seed
    )
    return ops.where(x >= 0, x, slopes * x)


@register
def elu(x, alpha=1.0):
    """Exponential linear unit, `f(x) = x if x > 0 else alpha * (exp(x) - 1)`.

    Reference: Clevert et al., "Fast and Accurate Deep Network Learning by
    Exponential Linear Units (ELUs)", ICLR 2016.
    """
    check_number("alpha", alpha, "elu", non_negative=True)
    return ops.elu(x, alpha=alpha)


@register
def selu(x):
    """Scaled ELU, `f(x) = scale * elu(x, alpha)`, scale ~ 1.0507, alpha ~ 1.6733.

    Reference: Klambauer et al., "Self-Normalizing Neural Networks",
    NeurIPS 2017.
    """
    return ops.selu(x)


@register
def celu(x, alpha=1.0):
    """Continuously differentiable ELU, `max(0, x) + min(0, alpha (exp(x /
    alpha) - 1))`, alpha > 0 (Barron 2017)."""
    check_number("alpha", alpha, "celu", positive=True)
    return ops.celu(x, alpha=alpha)


@register
def relu6(x):
    """`min(max(x, 0), 6)` (Krizhevsky 2010)."""
    return ops.relu6(x)


@register
def threshold(x, threshold=0.0, value=0.0):
    """`x` where `x > threshold`, else `value` (PyTorch's `Threshold`;
    Keras's `threshold(x, threshold, default_value)`). With the defaults it
    is ReLU."""
    threshold = check_number("threshold", threshold, "threshold")
    value = check_number("value", value, "threshold")
    return ops.threshold(x, threshold, value)


@register
def squared_relu(x):
    """`max(x, 0)^2` (So et al. 2021, Primer)."""
    return ops.square(ops.relu(x))


@register
def hard_swish(x):
    """`x * relu6(x + 3) / 6` (Howard et al. 2019, MobileNetV3); Keras
    calls it `hard_silu` too."""
    return ops.hard_silu(x)


@register
def sparse_plus(x):
    """Smooth-at-the-joins ReLU: 0 below -1, `(x + 1)^2 / 4` on [-1, 1],
    `x` above 1 (Keras's `sparse_plus`)."""
    return ops.sparse_plus(x)

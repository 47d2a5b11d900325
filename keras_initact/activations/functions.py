"""The activations as plain functions of a tensor, written with `keras.ops`.

Each function is registered as `"keras_initact>NAME"`, so that a Keras layer
holding it (`Dense(64, activation=mish)`) serializes and loads back, and
`keras.activations.get("keras_initact>mish")` finds it (see
`keras_initact.activations._install_keras_string_names`).

Defaults match the layers in `keras_initact.layers`: a function called with
its defaults computes what the layer computes when first built, in inference
mode.
"""

import keras
from keras import ops

from keras_initact.activations.checks import (
    check_frequency,
    check_optional_number,
    check_rrelu_range,
    check_slope,
)
from keras_initact.checks import check_number

# Keras's `LeakyReLU` layer default. Keras's `leaky_relu` function uses 0.2
# and PyTorch 0.01; keras_initact uses 0.3 for both its function and layer.
LEAKY_RELU_SLOPE = 0.3
# RReLU's slope range (Xu et al. 2015; PyTorch's defaults).
RRELU_LOWER = 1.0 / 8.0
RRELU_UPPER = 1.0 / 3.0
# SELU's constants (Klambauer et al. 2017), as `keras.ops.selu` uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _register(function):
    return keras.saving.register_keras_serializable(package="keras_initact")(
        function
    )


@_register
def linear(x):
    """Identity, `f(x) = x`."""
    return x


@_register
def sigmoid(x):
    """Logistic sigmoid, `f(x) = 1 / (1 + exp(-x))`."""
    return ops.sigmoid(x)


@_register
def tanh(x):
    """Hyperbolic tangent, `f(x) = tanh(x)`."""
    return ops.tanh(x)


@_register
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
        max_value: upper clip, >= 0, or `None` for none.
        threshold: where the unit switches on, >= 0.

    Reference: Nair & Hinton, "Rectified Linear Units Improve Restricted
    Boltzmann Machines", ICML 2010.
    """
    check_slope("negative_slope", negative_slope, "relu")
    check_optional_number("max_value", max_value, "relu", non_negative=True)
    check_number("threshold", threshold, "relu", non_negative=True)
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


@_register
def leaky_relu(x, negative_slope=LEAKY_RELU_SLOPE):
    """Leaky ReLU, `f(x) = x if x >= 0 else negative_slope * x`.

    The default slope is 0.3, Keras's `LeakyReLU` layer default; Keras's
    `leaky_relu` function defaults to 0.2 and PyTorch to 0.01.

    Reference: Maas et al., "Rectifier Nonlinearities Improve Neural Network
    Acoustic Models", ICML 2013.
    """
    check_slope("negative_slope", negative_slope, "leaky_relu")
    return ops.leaky_relu(x, negative_slope=negative_slope)


@_register
def prelu(x, alpha):
    """Parametric ReLU with a given slope, `f(x) = max(x, 0) - alpha * max(-x, 0)`.

    `alpha` is a number or a tensor broadcastable to `x`. Its slope is learned,
    so as an activation use the layer `keras_initact.layers.PReLU`.

    Reference: He et al., "Delving Deep into Rectifiers", ICCV 2015.
    """
    x = ops.convert_to_tensor(x)
    alpha = ops.cast(alpha, x.dtype)
    return ops.relu(x) - alpha * ops.relu(-x)


@_register
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


@_register
def elu(x, alpha=1.0):
    """Exponential linear unit, `f(x) = x if x > 0 else alpha * (exp(x) - 1)`.

    Reference: Clevert et al., "Fast and Accurate Deep Network Learning by
    Exponential Linear Units (ELUs)", ICLR 2016.
    """
    check_number("alpha", alpha, "elu", non_negative=True)
    return ops.elu(x, alpha=alpha)


@_register
def selu(x):
    """Scaled ELU, `f(x) = scale * elu(x, alpha)`, scale ~ 1.0507, alpha ~ 1.6733.

    Reference: Klambauer et al., "Self-Normalizing Neural Networks",
    NeurIPS 2017.
    """
    return ops.selu(x)


@_register
def gelu(x, approximate=False):
    """Gaussian error linear unit, `f(x) = x * Phi(x)`.

    With `approximate=True`,
    `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`. The default is the
    exact form, as in Keras's `gelu` function and PyTorch.

    Reference: Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)", 2016.
    """
    return ops.gelu(x, approximate=approximate)


@_register
def swish(x, beta=1.0):
    """Swish, `f(x) = x * sigmoid(beta * x)`; `beta = 1` is SiLU.

    `beta` is a number or a tensor broadcastable to `x`.

    Reference: Ramachandran et al., "Searching for Activation Functions",
    2017; Elfwing et al. 2018 (SiLU).
    """
    if isinstance(beta, (int, float)) and beta == 1:
        return ops.silu(x)
    x = ops.convert_to_tensor(x)
    return x * ops.sigmoid(ops.cast(beta, x.dtype) * x)


@_register
def mish(x):
    """Mish, `f(x) = x * tanh(softplus(x))`.

    Reference: Misra, "Mish: A Self Regularized Non-Monotonic Activation
    Function", BMVC 2020.
    """
    return x * ops.tanh(ops.softplus(x))


@_register
def softplus(x):
    """Softplus, `f(x) = log(1 + exp(x))`."""
    return ops.softplus(x)


@_register
def lisht(x):
    """Linearly scaled hyperbolic tangent, `f(x) = x * tanh(x)`.

    Reference: Roy et al., "LiSHT: Non-Parametric Linearly Scaled Hyperbolic
    Tangent Activation Function for Neural Networks", 2019.
    """
    return x * ops.tanh(x)


@_register
def snake(x, frequency=1.0):
    """Snake, `f(x) = x + sin(a x)^2 / a` with frequency `a > 0`.

    `frequency` is a positive number or a tensor broadcastable to `x`. Where
    `a x` overflows the dtype (only possible for `a > 1`), `sin(a x)^2` is
    taken as 0: the term is at most `1 / a`, negligible next to such an `x`.

    Reference: Liu Ziyin et al., "Neural Networks Fail to Learn Periodic
    Functions and How to Fix It", NeurIPS 2020.
    """
    x = ops.convert_to_tensor(x)
    if isinstance(frequency, (int, float)):
        check_frequency(frequency, "snake")
        if frequency == 1:
            return x + ops.square(ops.sin(x))
        wave = ops.square(ops.sin(frequency * x))
        if frequency > 1:
            wave = ops.where(ops.isfinite(frequency * x), wave, 0.0)
        return x + wave * (1.0 / frequency)
    frequency = ops.cast(frequency, x.dtype)
    phase = frequency * x
    wave = ops.where(ops.isfinite(phase), ops.square(ops.sin(phase)), 0.0)
    return x + wave / frequency


@_register
def softmax(x, axis=-1):
    """Softmax along `axis` (an int or a list of ints), `exp(x) / sum(exp(x))`."""
    if isinstance(axis, (list, tuple)):
        if len(axis) == 1:
            return ops.softmax(x, axis=axis[0])
        x = ops.convert_to_tensor(x)
        return ops.exp(x - ops.logsumexp(x, axis=tuple(axis), keepdims=True))
    return ops.softmax(x, axis=axis)

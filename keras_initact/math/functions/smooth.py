"""Smooth activations: GELU, Swish/SiLU, Mish, Softplus, LiSHT, Snake, and
the identity.

The functions of `keras_initact.layers.smooth`'s layers, with their
defaults (`linear`'s layer is Keras's `Identity`).
"""

import keras
from keras import ops

from keras_initact.checks import (
    check_bool, check_frequency, check_number, is_real_number,
)
from keras_initact.serialization import register

# PyTorch's Softplus default: beta * x above it is taken as linear.
SOFTPLUS_THRESHOLD = 20.0


@register
def linear(x):
    """Identity, `f(x) = x`."""
    return x


@register
def gelu(x, approximate=False):
    """Gaussian error linear unit, `f(x) = x * Phi(x)`.

    With `approximate=True`,
    `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`. The default is the
    exact form, as in Keras's `gelu` function and PyTorch.

    Reference: Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)", 2016.
    """
    approximate = check_bool("approximate", approximate, "gelu")
    return ops.gelu(x, approximate=approximate)


@register
def swish(x, beta=1.0):
    """Swish, `f(x) = x * sigmoid(beta * x)`; `beta = 1` is SiLU.

    `beta` is a finite number or a tensor broadcastable to `x`.

    Reference: Ramachandran et al., "Searching for Activation Functions",
    2017; Elfwing et al. 2018 (SiLU).
    """
    if is_real_number(beta):
        beta = check_number("beta", beta, "swish")
        if beta == 1:
            return ops.silu(x)
    x = ops.convert_to_tensor(x)
    return x * ops.sigmoid(ops.cast(beta, x.dtype) * x)


@register
def mish(x):
    """Mish, `f(x) = x * tanh(softplus(x))`.

    Reference: Misra, "Mish: A Self Regularized Non-Monotonic Activation
    Function", BMVC 2020.
    """
    return x * ops.tanh(ops.softplus(x))


@register
def softplus(x, beta=1.0, threshold=SOFTPLUS_THRESHOLD):
    """Softplus, PyTorch's definition (`torch.nn.Softplus`).

    ```
    f(x) = log(1 + exp(beta * x)) / beta   if beta * x <= threshold
    f(x) = x                               otherwise
    ```

    With the defaults (`beta=1`, `threshold=20`, PyTorch's) it is Keras's
    `softplus`, `log(1 + exp(x))`, to float32 rounding: above the threshold
    the two differ by `log(1 + exp(-x)) < 2.1e-9`.

    >>> softplus(np.array([-1.0, 0.0, 6.0]), beta=2.0, threshold=10.0)
    ... # [0.0635, 0.3466, 6.0]

    Args:
        x: input tensor.
        beta: the sharpness, > 0 (`f(0) = log(2) / beta`); larger is
            closer to ReLU.
        threshold: a finite number; where `beta * x` exceeds it the unit is
            the identity.

    Reference: Dugas et al., "Incorporating Second-Order Functional
    Knowledge for Better Option Pricing", NeurIPS 2001.
    """
    beta = check_number("beta", beta, "softplus", positive=True)
    threshold = check_number("threshold", threshold, "softplus")
    x = ops.convert_to_tensor(x)
    scaled = x if beta == 1 else x * ops.cast(beta, x.dtype)
    smooth = ops.softplus(scaled)
    if beta != 1:
        smooth = smooth / ops.cast(beta, x.dtype)
    return ops.where(scaled > ops.cast(threshold, x.dtype), x, smooth)


@register
def lisht(x):
    """Linearly scaled hyperbolic tangent, `f(x) = x * tanh(x)`.

    Reference: Roy et al., "LiSHT: Non-Parametric Linearly Scaled Hyperbolic
    Tangent Activation Function for Neural Networks", 2019.
    """
    return x * ops.tanh(x)


@register
def snake(x, frequency=1.0):
    """Snake, `f(x) = x + sin(a x)^2 / a` with frequency `a > 0`.

    `frequency` is a positive number or a tensor broadcastable to `x`. Where
    `a x` overflows the dtype (only possible for `a > 1`), `sin(a x)^2` is
    taken as 0: the term is at most `1 / a`, negligible next to such an `x`.

    Reference: Liu Ziyin et al., "Neural Networks Fail to Learn Periodic
    Functions and How to Fix It", NeurIPS 2020.
    """
    x = ops.convert_to_tensor(x)
    if is_real_number(frequency):
        frequency = check_frequency(frequency, "snake")
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


@register
def exponential(x):
    """`f(x) = exp(x)`."""
    return ops.exp(x)


@register
def squareplus(x, b=4.0):
    """`(x + sqrt(x^2 + b)) / 2`, b >= 0, a smooth ReLU of algebraic
    functions (Barron 2021).

    Keras's `squareplus`, with its float32 limits: `x + sqrt(x^2 + b)`
    cancels to 0 below about x = -1e3 (the true value is below 1e-3 there)
    and `x^2` overflows beyond 1.8e19. A form without them cost up to a
    third of a CNN's training throughput. float16 inputs are computed in
    float32, where float16's `x^2` would overflow from x = 256.
    """
    b = check_number("b", b, "squareplus", non_negative=True)
    x = ops.convert_to_tensor(x)
    if keras.backend.standardize_dtype(x.dtype) == "float16":
        return ops.cast(ops.squareplus(ops.cast(x, "float32"), b=b), "float16")
    return ops.squareplus(x, b=b)

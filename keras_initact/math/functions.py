"""The activations as plain functions of a tensor, written with `keras.ops`.

Each function is registered as `"keras_initact>NAME"`, so that a Keras layer
holding it (`Dense(64, activation=mish)`) serializes and loads back, and
`keras.activations.get("keras_initact>mish")` finds it (see
`keras_initact.activations._install_keras_string_names`).

Defaults match the layers in `keras_initact.layers`: a function called with
its defaults computes what the layer computes when first built, in inference
mode.
"""

import difflib
import re

import keras
from keras import ops

from keras_initact.checks import (
    check_axis, check_bool, check_frequency, check_halvable, check_number,
    check_optional_number, check_ordered, check_rrelu_range, check_slope,
    is_real_number,
)
from keras_initact.serialization import register

# Keras's `LeakyReLU` layer default. Keras's `leaky_relu` function uses 0.2
# and PyTorch 0.01; keras_initact uses 0.3 for both its function and layer.
LEAKY_RELU_SLOPE = 0.3
# RReLU's slope range (Xu et al. 2015; PyTorch's defaults).
RRELU_LOWER = 1.0 / 8.0
RRELU_UPPER = 1.0 / 3.0
# SELU's constants (Klambauer et al. 2017), as `keras.ops.selu` uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# PyTorch's Softplus default: beta * x above it is taken as linear.
SOFTPLUS_THRESHOLD = 20.0

PREFIX = "keras_initact>"
# name -> function, every activation of this module, filled by `_register`.
FUNCTIONS = {}
# alias -> name: the other names of the functions, the one table of them.
# `resolve` (and so every lookup below the registry: `ShapedActivation`,
# `calculate_gain`, `Critical`) and the registry's records read it.
ALIASES = {
    "identity": "linear",
    "logistic": "sigmoid",
    "lrelu": "leaky_relu",
    "relu_squared": "squared_relu",
    "relu2": "squared_relu",
    "hard_silu": "hard_swish",
    "silu": "swish",
    "exp": "exponential",
}


def _register(function=None, *, elementwise=True, gate=None, learns=()):
    """Registers an activation for Keras serialization and in `FUNCTIONS`,
    with the facts read off the function itself: `elementwise` (False for
    units that mix elements: softmax, the gated units), `gate` (a gated
    unit's elementwise gate: `f(x) = a * gate(b)` for the halves `a, b` of
    `x`) and `learns` (the arguments its layer learns)."""
    def registered(function):
        function.elementwise = elementwise
        function.gate = gate
        function.learns = tuple(learns)
        FUNCTIONS[function.__name__] = function
        return register(function)

    return registered if function is None else registered(function)


def normalize(name):
    """The key a name is looked up by: no package prefix, no `_`, `-` or
    spaces, lower case; so `"LeakyReLU"`, `"leaky-relu"` and
    `"keras_initact>leaky_relu"` are one name."""
    if name.startswith(PREFIX):
        name = name[len(PREFIX):]
    return re.sub(r"[\s_-]", "", name).lower()


def aliases_of(name):
    """The aliases of the function `name` in `ALIASES`, in table order."""
    return tuple(alias for alias, target in ALIASES.items() if target == name)


def canonical_name(name):
    """The name in `FUNCTIONS` that `name` spells (any spelling of a name or
    of an alias in `ALIASES`, see `normalize`), or `None`."""
    if not isinstance(name, str):
        return None
    key = normalize(name)
    for known in FUNCTIONS:
        if normalize(known) == key:
            return known
    for alias, known in ALIASES.items():
        if normalize(alias) == key:
            return known
    return None


def resolve(name):
    """The function of this module called `name`, any spelling of its name
    or of an alias (`"silu"`, `"SiLU"` and `"keras_initact>swish"` give
    `swish`), or `None`."""
    known = canonical_name(name)
    return None if known is None else FUNCTIONS[known]


def names(aliases=False):
    """The names of `FUNCTIONS`, sorted; with `aliases=True`, aliases too."""
    return sorted({*FUNCTIONS, *(ALIASES if aliases else ())})


def unknown_name_message(name, known):
    """"Unknown activation NAME", the names `known`, and the closest of them
    (any spelling, see `normalize`)."""
    by_key = {normalize(k): k for k in known}
    close = difflib.get_close_matches(normalize(name), list(by_key), n=3,
                                      cutoff=0.6)
    hint = (f" Did you mean {', '.join(repr(by_key[k]) for k in close)}?"
            if close else "")
    return (f"Unknown activation {name!r}. keras_initact knows: "
            f"{', '.join(known)}.{hint}")


def shaped_unit(x, activation, input_scale=1.0, input_shift=0.0,
                output_shift=0.0, output_scale=1.0):
    """`output_scale * (activation(input_scale * x + input_shift) + output_shift)`,
    for tensors or arrays: DKS's and TAT's transformed unit (the one place
    this formula is written)."""
    return output_scale * (activation(input_scale * x + input_shift)
                           + output_shift)


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


@_register(learns=("alpha",))
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
    approximate = check_bool("approximate", approximate, "gelu")
    return ops.gelu(x, approximate=approximate)


@_register
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


@_register
def mish(x):
    """Mish, `f(x) = x * tanh(softplus(x))`.

    Reference: Misra, "Mish: A Self Regularized Non-Monotonic Activation
    Function", BMVC 2020.
    """
    return x * ops.tanh(ops.softplus(x))


@_register
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


@_register(elementwise=False)
def softmax(x, axis=-1):
    """Softmax along `axis` (an int or a list of ints), `exp(x) / sum(exp(x))`."""
    if isinstance(axis, (list, tuple)):
        if len(axis) == 1:
            return ops.softmax(x, axis=axis[0])
        x = ops.convert_to_tensor(x)
        return ops.exp(x - ops.logsumexp(x, axis=tuple(axis), keepdims=True))
    return ops.softmax(x, axis=axis)


# -- Keras 3's other activations and PyTorch's ----------------------------------


@_register
def celu(x, alpha=1.0):
    """Continuously differentiable ELU, `max(0, x) + min(0, alpha (exp(x /
    alpha) - 1))`, alpha > 0 (Barron 2017)."""
    check_number("alpha", alpha, "celu", positive=True)
    return ops.celu(x, alpha=alpha)


@_register
def exponential(x):
    """`f(x) = exp(x)`."""
    return ops.exp(x)


@_register
def hard_sigmoid(x):
    """Piecewise-linear sigmoid, `relu6(x + 3) / 6` (Keras's and PyTorch's
    `Hardsigmoid`): 0 below -3, 1 above 3."""
    return ops.hard_sigmoid(x)


@_register
def hard_swish(x):
    """`x * relu6(x + 3) / 6` (Howard et al. 2019, MobileNetV3); Keras
    calls it `hard_silu` too."""
    return ops.hard_silu(x)


@_register
def hard_tanh(x, min_val=-1.0, max_val=1.0):
    """Hard tanh, `f(x) = clip(x, min_val, max_val)` (PyTorch's `Hardtanh`;
    Keras's `hard_tanh` with the defaults).

    >>> hard_tanh(np.array([-3.0, 0.5, 4.0]), min_val=-2.0, max_val=3.0)
    ... # [-2.0, 0.5, 3.0]

    Args:
        x: input tensor.
        min_val: the lower bound, a finite number (default -1).
        max_val: the upper bound, a finite number larger than `min_val`
            (default 1).

    Reference: Collobert, "Large Scale Machine Learning", 2004.
    """
    min_val, max_val = check_hard_tanh_bounds(min_val, max_val, "hard_tanh")
    if min_val == -1 and max_val == 1:
        return ops.hard_tanh(x)
    x = ops.convert_to_tensor(x)
    return ops.clip(x, ops.cast(min_val, x.dtype), ops.cast(max_val, x.dtype))


def check_hard_tanh_bounds(min_val, max_val, owner):
    """Hard tanh's bounds: finite numbers with `min_val < max_val`."""
    min_val = check_number("min_val", min_val, owner)
    max_val = check_number("max_val", max_val, owner)
    return check_ordered(owner, "min_val", min_val, "max_val", max_val,
                         strict=True)


@_register
def log_sigmoid(x):
    """`log(sigmoid(x)) = -softplus(-x)`, computed stably."""
    return ops.log_sigmoid(x)


@_register
def relu6(x):
    """`min(max(x, 0), 6)` (Krizhevsky 2010)."""
    return ops.relu6(x)


@_register
def softsign(x):
    """`x / (1 + |x|)`."""
    return ops.softsign(x)


@_register
def sparse_plus(x):
    """Smooth-at-the-joins ReLU: 0 below -1, `(x + 1)^2 / 4` on [-1, 1],
    `x` above 1 (Keras's `sparse_plus`)."""
    return ops.sparse_plus(x)


@_register
def sparse_sigmoid(x):
    """Piecewise-linear sigmoid: 0 below -1, `(x + 1) / 2` on [-1, 1], 1
    above 1 (Keras's `sparse_sigmoid`)."""
    return ops.sparse_sigmoid(x)


@_register
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


@_register
def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0."""
    check_number("threshold", threshold, "hard_shrink", non_negative=True)
    return ops.hard_shrink(x, threshold=threshold)


@_register
def soft_shrink(x, threshold=0.5):
    """`x - threshold` above `threshold`, `x + threshold` below
    `-threshold`, else 0."""
    check_number("threshold", threshold, "soft_shrink", non_negative=True)
    return ops.soft_shrink(x, threshold=threshold)


@_register
def tanh_shrink(x):
    """`x - tanh(x)`."""
    return ops.tanh_shrink(x)


@_register
def threshold(x, threshold=0.0, value=0.0):
    """`x` where `x > threshold`, else `value` (PyTorch's `Threshold`;
    Keras's `threshold(x, threshold, default_value)`). With the defaults it
    is ReLU."""
    threshold = check_number("threshold", threshold, "threshold")
    value = check_number("value", value, "threshold")
    return ops.threshold(x, threshold, value)


@_register
def squared_relu(x):
    """`max(x, 0)^2` (So et al. 2021, Primer)."""
    return ops.square(ops.relu(x))


@_register(elementwise=False)
def log_softmax(x, axis=-1):
    """`log(softmax(x))` along `axis`, computed stably."""
    return ops.log_softmax(x, axis=axis)


@_register(elementwise=False)
def softmin(x, axis=-1):
    """`softmax(-x)` along `axis` (PyTorch's `Softmin`)."""
    return ops.softmax(ops.negative(x), axis=axis)


@_register(elementwise=False)
def sparsemax(x, axis=-1):
    """The Euclidean projection of `x` onto the probability simplex along
    `axis`: a softmax with exact zeros (Martins & Astudillo 2016).

    `max(x - tau, 0)`, with `tau = (sum of the k largest - 1) / k` for the
    support size `k` (Algorithm 1). Not `keras.ops.sparsemax`: through Keras
    3.15 it sums the cumulative sums for `tau`, which is wrong whenever more
    than one element is in the support (keras-team/keras#23425).
    """
    x = ops.convert_to_tensor(x)
    if 0 in tuple(x.shape):  # nothing to normalize: empty, as softmax gives
        return ops.softmax(x, axis=axis)
    last = axis in (-1, len(x.shape) - 1)
    z = x if last else ops.moveaxis(x, axis, -1)
    z = z - ops.max(z, axis=-1, keepdims=True)  # shift-invariant; no overflow
    ordered = ops.flip(ops.sort(z, axis=-1), axis=-1)
    ranks = ops.arange(1, ops.shape(z)[-1] + 1, dtype=z.dtype)
    support = 1.0 + ranks * ordered > ops.cumsum(ordered, axis=-1)
    size = ops.sum(ops.cast(support, z.dtype), axis=-1, keepdims=True)
    total = ops.sum(ops.where(support, ordered, ops.zeros_like(ordered)),
                    axis=-1, keepdims=True)
    out = ops.relu(z - (total - 1.0) / size)
    return out if last else ops.moveaxis(out, -1, axis)


# -- gated units: the last axis holds the value `a` and the gate `b` ---------------


def _halves(x, axis, owner):
    """The halves `a, b` of `x` along `axis`, which must index `x` and be of
    even size."""
    x = ops.convert_to_tensor(x)
    axis = check_halvable("axis", check_axis("axis", axis, owner), x.shape,
                          owner)
    return ops.split(x, 2, axis=axis)


@_register(elementwise=False, gate=sigmoid)
def glu(x, axis=-1):
    """Gated linear unit, `a * sigmoid(b)` for the halves `a, b` of `x`
    along `axis` (Dauphin et al. 2017; Keras's `glu`, PyTorch's `GLU`)."""
    a, b = _halves(x, axis, "glu")
    return a * ops.sigmoid(b)


@_register(elementwise=False, gate=swish)
def swiglu(x, axis=-1):
    """`a * swish(b)` for the halves `a, b` of `x` (Shazeer 2020)."""
    a, b = _halves(x, axis, "swiglu")
    return a * ops.silu(b)


@_register(elementwise=False, gate=gelu)
def geglu(x, axis=-1):
    """`a * gelu(b)` for the halves `a, b` of `x` (Shazeer 2020)."""
    a, b = _halves(x, axis, "geglu")
    return a * ops.gelu(b, approximate=False)


@_register(elementwise=False, gate=relu)
def reglu(x, axis=-1):
    """`a * relu(b)` for the halves `a, b` of `x` (Shazeer 2020)."""
    a, b = _halves(x, axis, "reglu")
    return a * ops.relu(b)

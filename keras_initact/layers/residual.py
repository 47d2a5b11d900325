"""Residual connections that make deep networks trainable: a learned scale on
the branch (SkipInit, ReZero) and DeepNorm's up-weighted shortcut.

SkipInit and ReZero end each residual branch with one learned scalar that
starts at 0, so that every block is the identity when training starts:

    y = x + alpha * F(x),   alpha = 0 at initialization

    h = keras.layers.Dense(64, activation="relu")(x)
    y = keras.layers.Add()([x, ResidualScale()(h)])

DeepNorm (DeepNet) keeps the post-LN block and up-weights the shortcut by a
constant `alpha > 1` that grows with the depth:

    x_{l+1} = LayerNorm(alpha * x_l + G(x_l))

`deepnorm_constants` gives the paper's `alpha` and `beta` for an encoder,
a decoder or each part of an encoder-decoder, and `DeepNormResidual(alpha)`
computes `alpha * x + G(x)`; a `keras.layers.LayerNormalization()` after it
completes the block. A post-LN encoder block of a model with 12 encoder
layers:

    c = deepnorm_constants(encoder_layers=12)
    h = keras.layers.MultiHeadAttention(num_heads=4, key_dim=16)(x, x)
    x = keras.layers.LayerNormalization()(DeepNormResidual(c.alpha)([x, h]))
    f = keras.layers.Dense(64)(keras.layers.Dense(256, activation="gelu")(x))
    x = keras.layers.LayerNormalization()(DeepNormResidual(c.alpha)([x, f]))

The other half of DeepNorm is the initialization: Xavier normal weights,
with the feed-forward layers and the attention's value and output
projections scaled down by `beta` (the query and key projections keep gain
1). `keras_initact.initialize(model, scheme="deepnorm")` does that part;
these layers only connect the blocks.

References: De & Smith, "Batch Normalization Biases Residual Blocks Towards
the Identity Function in Deep Networks", NeurIPS 2020 (SkipInit);
Bachlechner et al., "ReZero is All You Need: Fast Convergence at Large
Depth", 2020; Wang et al., "DeepNet: Scaling Transformers to 1,000 Layers",
2022 (arXiv 2203.00555).
"""

import dataclasses
import functools
import math

import keras

from keras_initact import keras_adapter
from keras_initact.checks import (
    check_bool, check_choice, check_int, check_number,
)
from keras_initact.serialization import register


@register
class ResidualScale(keras.layers.Layer):
    """Multiplies its input by one learned scalar, `alpha * x`: the scale at
    the end of a residual branch of SkipInit and ReZero.

        y = x + alpha * F(x)     (with `keras.layers.Add`)

    `alpha` starts at `initial_value` (0: every block starts as the
    identity, and the gradient reaches the branch once `alpha` has moved
    away from 0). It is a float32 weight of shape `()`, cast to the compute
    dtype (float16 under `mixed_float16`); `build` creates it, as Keras
    builds a layer with its own `build` on the first call. The output has
    the input's shape, and a mask passes through.

    >>> h = keras.layers.Dense(8, activation="relu")(x)
    >>> y = keras.layers.Add()([x, ResidualScale()(h)])

    Args:
        initial_value: the value `alpha` starts at; a finite number
            (default 0).
        trainable: whether `alpha` is learned (default True); `False`
            keeps it at `initial_value`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    References: De & Smith, "Batch Normalization Biases Residual Blocks
    Towards the Identity Function in Deep Networks", NeurIPS 2020;
    Bachlechner et al., "ReZero is All You Need: Fast Convergence at Large
    Depth", 2020.
    """

    def __init__(self, initial_value=0.0, trainable=True, **kwargs):
        owner = type(self).__name__
        super().__init__(trainable=check_bool("trainable", trainable, owner),
                         **kwargs)
        self.initial_value = float(
            check_number("initial_value", initial_value, owner))
        self.supports_masking = True

    def build(self, input_shape=None):
        self.alpha = self.add_weight(
            shape=(), name="alpha",
            initializer=keras.initializers.Constant(self.initial_value))

    def call(self, inputs):
        return inputs * keras.ops.cast(self.alpha, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "initial_value": self.initial_value}


@register
class DeepNormResidual(keras.layers.Layer):
    """DeepNorm's residual connection, `alpha * x + fx`, for `[x, fx]`.

    The sum inside DeepNorm's post-LN block, `LayerNorm(alpha * x +
    G(x))`: put a `keras.layers.LayerNormalization()` after it. `alpha` is
    a constant, not learned; `deepnorm_constants(...).alpha` gives the
    paper's value for the model's depth. The two inputs must have the same
    shape; so has the output, and the inputs' masks combine (a position
    is kept where both keep it).

    >>> alpha = deepnorm_constants(encoder_layers=12).alpha
    >>> y = DeepNormResidual(alpha)([x, keras.layers.Dense(8)(x)])

    Args:
        alpha: the shortcut's weight; a finite number > 0.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Wang et al., "DeepNet: Scaling Transformers to 1,000
    Layers", 2022 (arXiv 2203.00555).
    """

    def __init__(self, alpha, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(check_number("alpha", alpha, type(self).__name__,
                                        positive=True))
        self.supports_masking = True
        keras_adapter.build_at_init(self)  # nothing to build

    def call(self, inputs):
        x, fx = self._pair(inputs)
        _check_same_shape(x.shape, fx.shape, type(self).__name__)
        return keras.ops.add(
            keras.ops.multiply(keras.ops.cast(self.alpha, x.dtype), x), fx)

    def compute_output_shape(self, input_shape):
        x_shape, fx_shape = self._pair(input_shape, what="input_shape")
        _check_same_shape(x_shape, fx_shape, type(self).__name__)
        return tuple(a if a is not None else b
                     for a, b in zip(x_shape, fx_shape))

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        masks = [m for m in self._pair(mask, what="mask") if m is not None]
        if not masks:
            return None
        return functools.reduce(keras.ops.logical_and, masks)

    def _pair(self, value, what="inputs"):
        """`value` as `(x, fx)`: a list of two (of two shapes, for
        `input_shape`), or a `ValueError`."""
        pair = isinstance(value, (list, tuple)) and len(value) == 2
        if pair and what == "input_shape":
            pair = all(isinstance(shape, (list, tuple)) for shape in value)
        if pair:
            return value
        raise ValueError(
            f"{type(self).__name__}: `{what}` must be a list of two, for the "
            f"shortcut `x` and the branch's output `fx` (`[x, fx]`); "
            f"received {what}={_short(value)}."
        )

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


def _check_same_shape(x_shape, fx_shape, owner):
    """Raises unless two shapes match (an unknown size matches any)."""
    x_shape, fx_shape = tuple(x_shape), tuple(fx_shape)
    if len(x_shape) == len(fx_shape) and all(
            a is None or b is None or a == b
            for a, b in zip(x_shape, fx_shape)):
        return
    raise ValueError(
        f"{owner}: `x` and `fx` must have the same shape, as `alpha * x + fx` "
        f"adds them elementwise; received x.shape={x_shape}, "
        f"fx.shape={fx_shape}."
    )


def _short(value):
    """A tensor as its shape, anything else as its repr, for messages."""
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, (list, tuple)):
        return f"<tensor of shape {tuple(shape)}>"
    if isinstance(value, (list, tuple)):
        items = ", ".join(_short(item) for item in value)
        return f"[{items}]" if isinstance(value, list) else f"({items})"
    return repr(value)


@dataclasses.dataclass(frozen=True)
class DeepNormConstants:
    """DeepNorm's two constants for one part of a model: finite numbers
    > 0, kept as floats.

    Attributes:
        alpha: the shortcut's weight in `LayerNorm(alpha * x + G(x))`
            (`DeepNormResidual(alpha)`).
        beta: the gain of the Xavier normal initialization of the
            feed-forward layers and the attention's value and output
            projections.
    """

    alpha: float
    beta: float

    def __post_init__(self):
        for name in ("alpha", "beta"):
            value = check_number(name, getattr(self, name),
                                 type(self).__name__, positive=True)
            object.__setattr__(self, name, float(value))


PARTS = (None, "encoder", "decoder")


def deepnorm_constants(encoder_layers=0, decoder_layers=0, part=None):
    """DeepNorm's `alpha` and `beta` for a model of `N = encoder_layers`
    and `M = decoder_layers` layers (DeepNet, Fig. 2):

    | model                | part    | alpha                 | beta                   |
    |----------------------|---------|-----------------------|------------------------|
    | encoder only (M = 0) | encoder | (2N)^(1/4)            | (8N)^(-1/4)            |
    | decoder only (N = 0) | decoder | (2M)^(1/4)            | (8M)^(-1/4)            |
    | encoder-decoder      | encoder | 0.81 (N^4 M)^(1/16)   | 0.87 (N^4 M)^(-1/16)   |
    | encoder-decoder      | decoder | (3M)^(1/4)            | (12M)^(-1/4)           |

    >>> deepnorm_constants(encoder_layers=6).alpha  # 12 ** 0.25
    1.8612097182041991
    >>> c = deepnorm_constants(encoder_layers=6, decoder_layers=6, part="decoder")

    Args:
        encoder_layers: `N`, the number of encoder layers; an integer >= 0
            (0: no encoder).
        decoder_layers: `M`, the number of decoder layers; an integer >= 0
            (0: no decoder). At least one of the two must be positive.
        part: `"encoder"` or `"decoder"`: the part whose constants to give;
            it must have layers. `None` (default) for a model with one
            part; an encoder-decoder model must name it, as its two parts'
            constants differ.

    Returns:
        A `DeepNormConstants(alpha, beta)`.

    The encoder's `beta` of an encoder-decoder model is the paper's
    `0.87 (N^4 M)^(-1/16)`; torchscale's code divides those weights by
    `(N^4 M)^(1/16) / 1.15`, i.e. uses 1.15 for the paper's 0.87.

    Reference: Wang et al., "DeepNet: Scaling Transformers to 1,000
    Layers", 2022 (arXiv 2203.00555).
    """
    owner = "deepnorm_constants"
    n = _layer_count("encoder_layers", encoder_layers, owner)
    m = _layer_count("decoder_layers", decoder_layers, owner)
    part = check_choice("part", part, PARTS, owner)
    received = (f"received encoder_layers={encoder_layers!r}, "
                f"decoder_layers={decoder_layers!r}, part={part!r}.")
    if n == 0 and m == 0:
        raise ValueError(
            f"{owner}: give the model's depth: `encoder_layers`, "
            f"`decoder_layers` or both must be positive; {received}")
    if part is not None and (n if part == "encoder" else m) == 0:
        raise ValueError(
            f"{owner}: part={part!r} needs `{part}_layers` >= 1, as the "
            f"constants depend on that part's depth; {received}")
    if n and m and part is None:
        raise ValueError(
            f"{owner}: an encoder-decoder model has constants for each "
            "part: give part='encoder' or part='decoder'; " + received)
    if m == 0:
        return DeepNormConstants(alpha=(2 * n) ** 0.25, beta=(8 * n) ** -0.25)
    if n == 0:
        return DeepNormConstants(alpha=(2 * m) ** 0.25, beta=(8 * m) ** -0.25)
    if part == "encoder":
        depth = math.pow(n ** 4 * m, 1 / 16)
        return DeepNormConstants(alpha=0.81 * depth, beta=0.87 / depth)
    return DeepNormConstants(alpha=(3 * m) ** 0.25, beta=(12 * m) ** -0.25)


def _layer_count(name, value, owner):
    """A number of layers: an integer >= 0, as a Python int."""
    number = check_int(name, value, owner)
    if number < 0:
        raise ValueError(
            f"{owner}: `{name}` must be a non-negative integer (0: the model "
            f"has no such part); received {name}={value!r}.")
    return number

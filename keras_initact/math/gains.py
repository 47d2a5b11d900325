"""Gains: the factor that keeps the signal's scale through a nonlinearity.

`calculate_gain` mirrors `torch.nn.init.calculate_gain`, PyTorch's defaults
included, and extends it to every activation by quadrature.
"""

import difflib
import functools
import math

import keras
import numpy as np

from keras_initact.checks import check_number, is_real_number
from keras_initact.math import table
from keras_initact.math.quadrature import (  # noqa: F401  (re-exported)
    QUADRATURE_POINTS, TRAPEZOID_BOUND, TRAPEZOID_STEP, gaussian_expectation,
    gaussian_expectation_of_any,
)

LINEAR_NAMES = (
    "linear", "identity", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
)
TORCH_GAINS = {
    **{name: 1.0 for name in LINEAR_NAMES},
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}
# `torch.nn.init.calculate_gain`'s default `param`: the leaky_relu negative
# slope it assumes when none is given, PyTorch's `LeakyReLU` default. Not the
# activation's default (`functions.LEAKY_RELU_SLOPE = 0.3`, Keras's): the
# gain of every name PyTorch knows is PyTorch's, defaults included, as the
# PyTorch-parity tests check. The leaky_relu record passes its own slope.
TORCH_LEAKY_RELU_PARAM = 0.01


def calculate_gain(nonlinearity, param=None):
    """Returns the recommended gain for a nonlinearity.

    For every name that `torch.nn.init.calculate_gain` knows, the value is
    PyTorch's exactly: 1 for `linear`, `identity`, the `conv*` names and
    `sigmoid`; 5/3 for `tanh`; sqrt(2) for `relu`; sqrt(2 / (1 + a^2)) for
    `leaky_relu` with negative slope `a = param`; 3/4 for `selu`. Any
    spelling of these names and of the activations' aliases is the same
    name (`"LeakyReLU"`, `"lrelu"`; `"logistic"` is `"sigmoid"`).

    With `param=None`, `leaky_relu`'s slope is PyTorch's default, 0.01
    (`TORCH_LEAKY_RELU_PARAM`), as this function mirrors PyTorch's. The
    activation's own default is Keras's, 0.3
    (`functions.LEAKY_RELU_SLOPE`): its gain is
    `calculate_gain("leaky_relu", 0.3)`, which its record gives.

    Any other activation (a Keras activation name such as `"gelu"`, a
    keras_initact activation, or any callable) gets the variance-preserving
    gain `1 / sqrt(E[phi(z)^2])`, `z ~ N(0, 1)`, computed by
    `gaussian_expectation_of_any` and cached (a gated unit's is its gate's,
    see `variance_preserving_gain`). It is the gain that keeps `E[x^2]` of a
    layer's output equal to that of its input when `Var(W) = gain^2 /
    fan_in`; for ReLU it gives sqrt(2), He et al.'s value.

    >>> calculate_gain("leaky_relu", 0.2)
    1.3867504905630728

    Args:
        nonlinearity: a name or a callable.
        param: the negative slope of `leaky_relu`; no other nonlinearity
            takes one.
    """
    if isinstance(nonlinearity, str):
        # any spelling of a name or alias is that name ("LReLU" is
        # "leaky_relu"); PyTorch's other names ("conv2d") as they are
        name = table.canonical_name(nonlinearity) or nonlinearity.lower()
        if name == "leaky_relu":
            if param is None:
                slope = TORCH_LEAKY_RELU_PARAM
            elif is_real_number(param):  # Python's or NumPy's
                slope = check_number("param", param, "calculate_gain")
            else:
                raise ValueError(
                    "calculate_gain: `param`, the leaky_relu negative slope, "
                    f"must be a finite number; received param={param!r}."
                )
            return math.sqrt(2.0 / (1.0 + slope**2))
        _reject_param(nonlinearity, param)
        if name in TORCH_GAINS:
            return TORCH_GAINS[name]
        return variance_preserving_gain(resolve_activation(nonlinearity))
    if callable(nonlinearity):
        _reject_param(nonlinearity, param)
        return variance_preserving_gain(nonlinearity)
    raise ValueError(
        "calculate_gain expects an activation name or a callable; received "
        f"nonlinearity={nonlinearity!r}."
    )


def variance_preserving_gain(activation):
    """Returns `1 / sqrt(E[activation(z)^2])` for `z ~ N(0, 1)`.

    For a gated unit of the table (`f(x) = a * gate(b)`, the halves of `x`
    independent `N(0, 1)`), `E[f^2] = E[a^2] E[gate(b)^2] = E[gate(b)^2]`:
    the gain is its gate's (the record's `gate`).

    >>> variance_preserving_gain(keras.activations.relu)  # sqrt(2)
    """
    record = table.TABLE.of_function(activation)
    if record is not None and record.gate is not None:
        activation = record.gate
    try:
        return _cached_variance_preserving_gain(activation)
    except TypeError as error:  # unhashable callables are computed uncached
        if "unhashable" not in str(error):
            raise
        return _variance_preserving_gain(activation)


@functools.lru_cache(maxsize=256)
def _cached_variance_preserving_gain(activation):
    return _variance_preserving_gain(activation)


def _variance_preserving_gain(activation):
    second_moment = gaussian_expectation_of_any(lambda z: activation(z) ** 2)
    if not np.isfinite(second_moment) or second_moment <= 0.0:
        raise ValueError(
            f"Cannot compute a gain for {activation!r}: E[phi(z)^2] over "
            f"z ~ N(0, 1) is {second_moment!r}, which is not a positive "
            "finite number."
        )
    return float(1.0 / math.sqrt(second_moment))


def resolve_activation(name, argument="nonlinearity", owner=None):
    """Returns the activation function registered under `name`.

    keras_initact's own activation functions come first (their names and
    aliases, any spelling: `"silu"` is `swish`), then Keras's. An unknown
    name raises a `ValueError` that calls it `argument` (and names `owner`,
    the class or function asking, when given).
    """
    found = table.resolve(name)
    if found is not None:
        return found
    try:
        return keras.activations.get(name)
    except (ValueError, TypeError):
        pass
    known = sorted({*TORCH_GAINS, *table.names(aliases=True),
                    *_keras_activation_names()})
    close = difflib.get_close_matches(name.lower(), known, n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    prefix = f"{owner}: " if owner else ""
    raise ValueError(
        f"{prefix}Unknown {argument} {name!r}. Known names: "
        f"{', '.join(known)}; or pass any callable.{hint}"
    )


def _keras_activation_names():
    return [
        name for name in dir(keras.activations)
        if not name.startswith("_")
        and name not in ("get", "serialize", "deserialize")
        and callable(getattr(keras.activations, name))
    ]


def _reject_param(nonlinearity, param):
    if param is not None:
        raise ValueError(
            f"calculate_gain: `param` only applies to 'leaky_relu' (its "
            f"negative slope); received param={param!r} for "
            f"nonlinearity={nonlinearity!r}."
        )

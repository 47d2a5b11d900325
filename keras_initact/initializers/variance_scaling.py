"""Variance scaling: Glorot/Xavier, He/Kaiming and LeCun initialization.

All of them draw zero-mean weights with `Var(W) = scale / n`, where `n` is
the fan-in, the fan-out or their mean. Normal draws are truncated at two
standard deviations by default (as Keras does), with the standard deviation
corrected so that the variance is still `scale / n`.
"""

import math

import keras

from keras_initact.checks import check_choice, check_exclusive, check_number
from keras_initact.initializers.base import RandomInitializer
from keras_initact.serialization import register
from keras_initact.initializers.fans import FanScaledInitializer
from keras_initact.math.gains import calculate_gain

MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")
# Standard deviation of a unit normal truncated to [-2, 2].
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


@register
class VarianceScaling(FanScaledInitializer):
    """Draws zero-mean weights with `Var(W) = scale / n`.

    `n` is `fan_in`, `fan_out` or `(fan_in + fan_out) / 2` by `mode`, floored
    at 1. Distributions:
    - `"truncated_normal"` (`"normal"` is an alias): `N(0, s^2)` cut at
      `+-2 s`, `s = sqrt(scale / n) / 0.8796`;
    - `"untruncated_normal"`: `N(0, scale / n)`;
    - `"uniform"`: `U[-l, l]`, `l = sqrt(3 scale / n)`.

    A vector `(n,)` has `fan_in = fan_out = n`, as in Keras; PyTorch's
    Xavier and Kaiming functions raise on fewer than two dimensions.

    >>> init = VarianceScaling(gain=1.5, mode="fan_avg", distribution="uniform")
    >>> layer = keras.layers.Dense(64, kernel_initializer=init)

    Args:
        scale: positive variance factor (default 1). Give `scale` or `gain`,
            not both.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`.
        distribution: `"truncated_normal"`, `"untruncated_normal"` or
            `"uniform"`.
        gain: positive standard-deviation factor, `scale = gain^2` (the
            PyTorch convention).
        seed: see `RandomInitializer`.
        kernel_layout: how the kernel's axes map to units, see
            `compute_fans`: `"standard"`, `"conv_transpose"`, `"depthwise"`.
        input_axes, output_axes: for `EinsumDense` kernels, the axes whose
            sizes multiply to the fan-in and fan-out. `EinsumDense` and
            `MultiHeadAttention` fill them in, as for Keras's own
            `VarianceScaling` (this class and its presets are subclasses of
            it), so the fans there are Keras's.

    Reference: Glorot & Bengio 2010; He et al. 2015; LeCun et al. 1998.
    """

    def __init__(self, scale=None, mode="fan_in",
                 distribution="truncated_normal", gain=None, seed=None,
                 kernel_layout="standard", input_axes=None, output_axes=None):
        owner = self._name()
        check_exclusive(owner, scale=scale, gain=gain)
        if scale is not None:
            check_number("scale", scale, owner, positive=True)
        if gain is not None:
            check_number("gain", gain, owner, positive=True)
        if isinstance(distribution, str) and distribution.lower() == "normal":
            distribution = "truncated_normal"
        self.scale = scale
        self.gain = gain
        self.mode = check_choice("mode", mode, MODES, owner)
        self.distribution = check_choice(
            "distribution", distribution, DISTRIBUTIONS, owner
        )
        self._set_fan_arguments(kernel_layout, input_axes, output_axes)
        super().__init__(seed)

    @property
    def variance_scale(self):
        """The `scale` in `Var(W) = scale / n`."""
        if self.gain is not None:
            return float(self.gain) ** 2
        return 1.0 if self.scale is None else float(self.scale)

    def variance(self, shape):
        """The variance this initializer gives a weight of `shape`."""
        fan_in, fan_out = self.fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out,
             "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        return self.variance_scale / max(1.0, n)

    def generate(self, shape, dtype):
        variance = self.variance(shape)
        if self.distribution == "truncated_normal":
            return keras.random.truncated_normal(
                shape, mean=0.0,
                stddev=math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV,
                dtype=dtype, seed=self.seed,
            )
        if self.distribution == "untruncated_normal":
            return keras.random.normal(
                shape, mean=0.0, stddev=math.sqrt(variance), dtype=dtype,
                seed=self.seed,
            )
        limit = math.sqrt(3.0 * variance)
        return keras.random.uniform(
            shape, minval=-limit, maxval=limit, dtype=dtype, seed=self.seed
        )

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "gain": self.gain,
            **self.fan_config(),
            **super().get_config(),
        }


def _normal_distribution(truncated):
    if not isinstance(truncated, bool):
        raise ValueError(f"`truncated` must be True or False; received {truncated!r}.")
    return "truncated_normal" if truncated else "untruncated_normal"


class _NamedVarianceScaling(VarianceScaling):
    """A `VarianceScaling` preset whose config holds only its own arguments."""

    def _preset_config(self, **own):
        seed = RandomInitializer.get_config(self)
        return {**own, **self.fan_config(), **seed}


@register
class GlorotNormal(_NamedVarianceScaling):
    """Glorot (Xavier) normal: `Var(W) = gain^2 * 2 / (fan_in + fan_out)`.

    Keeps the forward and backward signal's variance for linear and tanh-like
    units near zero. `XavierNormal` is the same class.

    >>> layer = keras.layers.Dense(64, activation="tanh",
    ...                            kernel_initializer=GlorotNormal())

    Args:
        gain: positive factor on the standard deviation (e.g.
            `calculate_gain("tanh")`).
        truncated: truncated normal (Keras's default) or plain normal
            (PyTorch's `xavier_normal_`); the variance is the same.
        seed, kernel_layout, input_axes, output_axes: see `VarianceScaling`.

    Reference: Glorot & Bengio, "Understanding the difficulty of training deep
    feedforward neural networks", AISTATS 2010.
    """

    def __init__(self, gain=1.0, truncated=True, seed=None,
                 kernel_layout="standard", input_axes=None, output_axes=None):
        self.truncated = truncated
        super().__init__(
            gain=gain, mode="fan_avg", distribution=_normal_distribution(truncated),
            seed=seed, kernel_layout=kernel_layout, input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self):
        return self._preset_config(gain=self.gain, truncated=self.truncated)


@register
class GlorotUniform(_NamedVarianceScaling):
    """Glorot (Xavier) uniform: `U[-l, l]`, `l = gain sqrt(6 / (fan_in + fan_out))`.

    Keras's default kernel initializer. `XavierUniform` is the same class.

    >>> layer = keras.layers.Dense(64, kernel_initializer=GlorotUniform())

    Args:
        gain: positive factor on the standard deviation.
        seed, kernel_layout, input_axes, output_axes: see `VarianceScaling`.

    Reference: Glorot & Bengio 2010.
    """

    def __init__(self, gain=1.0, seed=None, kernel_layout="standard",
                 input_axes=None, output_axes=None):
        super().__init__(
            gain=gain, mode="fan_avg", distribution="uniform", seed=seed,
            kernel_layout=kernel_layout, input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self):
        return self._preset_config(gain=self.gain)


class _KaimingVarianceScaling(_NamedVarianceScaling):
    """He/Kaiming: `Var(W) = calculate_gain(nonlinearity, param)^2 / fan`."""

    def __init__(self, mode, nonlinearity, param, distribution, seed,
                 kernel_layout, input_axes, output_axes):
        if isinstance(nonlinearity, dict):
            nonlinearity = keras.saving.deserialize_keras_object(nonlinearity)
        self.nonlinearity = nonlinearity
        self.param = param
        super().__init__(
            gain=calculate_gain(nonlinearity, param), mode=mode,
            distribution=distribution, seed=seed, kernel_layout=kernel_layout,
            input_axes=input_axes, output_axes=output_axes,
        )

    def _kaiming_config(self, **extra):
        nonlinearity = self.nonlinearity
        if not isinstance(nonlinearity, str):
            nonlinearity = keras.saving.serialize_keras_object(nonlinearity)
        return self._preset_config(
            mode=self.mode, nonlinearity=nonlinearity, param=self.param,
            **extra,
        )


@register
class HeNormal(_KaimingVarianceScaling):
    """He (Kaiming) normal: `Var(W) = gain^2 / fan`, `gain = calculate_gain(nonlinearity, param)`.

    With the defaults (`relu`, `fan_in`) it equals Keras's `HeNormal`:
    `Var(W) = 2 / fan_in`. Like `torch.nn.init.kaiming_normal_`, the
    nonlinearity and its parameter set the gain, e.g.
    `HeNormal(nonlinearity="leaky_relu", param=0.2)`. `KaimingNormal` is the
    same class.

    >>> layer = keras.layers.Dense(64, activation="relu",
    ...                            kernel_initializer=HeNormal())

    Args:
        mode: `"fan_in"` keeps the forward signal, `"fan_out"` the backward
            one, `"fan_avg"` compromises.
        nonlinearity: name or callable; see `calculate_gain`.
        param: the negative slope when `nonlinearity="leaky_relu"`.
        truncated: truncated normal (Keras's default) or plain normal
            (PyTorch's); the variance is the same.
        seed, kernel_layout, input_axes, output_axes: see `VarianceScaling`.

    Reference: He et al., "Delving Deep into Rectifiers", ICCV 2015.
    """

    def __init__(self, mode="fan_in", nonlinearity="relu", param=None,
                 truncated=True, seed=None, kernel_layout="standard",
                 input_axes=None, output_axes=None):
        self.truncated = truncated
        super().__init__(
            mode, nonlinearity, param, _normal_distribution(truncated), seed,
            kernel_layout, input_axes, output_axes,
        )

    def get_config(self):
        return self._kaiming_config(truncated=self.truncated)


@register
class HeUniform(_KaimingVarianceScaling):
    """He (Kaiming) uniform: `U[-l, l]`, `l = gain sqrt(3 / fan)`.

    With the defaults it equals Keras's `HeUniform` (`l = sqrt(6 / fan_in)`).
    `KaimingUniform` is the same class.

    >>> layer = keras.layers.Dense(64, kernel_initializer=HeUniform(mode="fan_out"))

    Args:
        mode, nonlinearity, param: see `HeNormal`.
        seed, kernel_layout, input_axes, output_axes: see `VarianceScaling`.

    Reference: He et al. 2015.
    """

    def __init__(self, mode="fan_in", nonlinearity="relu", param=None,
                 seed=None, kernel_layout="standard",
                 input_axes=None, output_axes=None):
        super().__init__(
            mode, nonlinearity, param, "uniform", seed, kernel_layout,
            input_axes, output_axes,
        )

    def get_config(self):
        return self._kaiming_config()


@register
class LecunNormal(_NamedVarianceScaling):
    """LeCun normal: `Var(W) = 1 / fan_in` (the initialization SELU needs).

    >>> layer = keras.layers.Dense(64, activation="selu",
    ...                            kernel_initializer=LecunNormal())

    Args:
        truncated: truncated normal (Keras's default) or plain normal.
        seed, kernel_layout, input_axes, output_axes: see `VarianceScaling`.

    Reference: LeCun et al., "Efficient BackProp", 1998; Klambauer et al.,
    "Self-Normalizing Neural Networks", NeurIPS 2017.
    """

    def __init__(self, truncated=True, seed=None, kernel_layout="standard",
                 input_axes=None, output_axes=None):
        self.truncated = truncated
        super().__init__(
            scale=1.0, mode="fan_in",
            distribution=_normal_distribution(truncated), seed=seed,
            kernel_layout=kernel_layout, input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self):
        return self._preset_config(truncated=self.truncated)


@register
class LecunUniform(_NamedVarianceScaling):
    """LeCun uniform: `U[-l, l]`, `l = sqrt(3 / fan_in)`.

    >>> layer = keras.layers.Dense(64, kernel_initializer=LecunUniform())

    Args:
        seed, kernel_layout, input_axes, output_axes: see `VarianceScaling`.

    Reference: LeCun et al. 1998.
    """

    def __init__(self, seed=None, kernel_layout="standard",
                 input_axes=None, output_axes=None):
        super().__init__(
            scale=1.0, mode="fan_in", distribution="uniform", seed=seed,
            kernel_layout=kernel_layout, input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self):
        return self._preset_config()


XavierNormal = GlorotNormal
XavierUniform = GlorotUniform
KaimingNormal = HeNormal
KaimingUniform = HeUniform

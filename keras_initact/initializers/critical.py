"""Critical (edge-of-chaos) initialization from mean-field theory."""

import functools
import math

import keras

from keras_initact.checks import check_choice, check_exclusive, check_number
from keras_initact.serialization import register
from keras_initact.initializers.constant import Zeros
from keras_initact.initializers.fans import FanScaledInitializer
from keras_initact.initializers.orthogonal import random_orthogonal
from keras_initact.initializers.random import RandomNormal
from keras_initact.initializers.spatial import (
    compute_dtype_for,
    embed_at_centre,
    matrix_to_kernel,
)
from keras_initact.math import mean_field
from keras_initact.math.gains import resolve_activation

DISTRIBUTIONS = ("orthogonal", "gaussian")


@functools.lru_cache(maxsize=128)
def _solve(activation, bias_variance, q_star, centred):
    function = resolve_activation(activation, "activation", "Critical") \
        if isinstance(activation, str) else activation
    if bias_variance is not None:
        return mean_field.critical_point(function, bias_variance, centred=centred)
    if q_star is not None:
        return mean_field.critical_point_at(function, q_star, centred)
    try:
        return mean_field.critical_point_at(function, 1.0, centred)
    except ValueError:
        return mean_field.critical_point(function, 0.0, centred=centred)


def centre_columns(matrix):
    """Subtracts each column's mean: the kernel ignores its inputs' common mean."""
    return matrix - keras.ops.mean(matrix, axis=0, keepdims=True)


@register
class Critical(FanScaledInitializer):
    """Weights on the order-to-chaos line of an activation (chi_1 = 1).

    Mean-field theory (see `keras_initact.math.mean_field`) gives, for an
    activation `phi`, the weight variance `sigma_w^2` and bias variance
    `sigma_b^2` at which a deep network's gradients neither vanish nor
    explode: `chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2] = 1` at the fixed point
    `q*` of `q = sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2`. Which point of
    the line:
    - `bias_variance=s`: Schoenholz et al.'s parametrization (ReLU:
      `sigma_w^2 = 2` at `s = 0`; tanh: 1 at 0, 1.76 at 0.05);
    - `q_star=q`: the point whose fixed point is `q`, so that standardized
      inputs keep their scale from the first layer on;
    - neither: `q_star=1` where it exists with a non-negative bias variance,
      else `bias_variance=0`.

    Weights: `"gaussian"` draws `N(0, sigma_w^2 / fan_in)`; `"orthogonal"`
    (default, needed for dynamical isometry, Pennington et al. 2017) gives
    an orthogonal matrix times `sigma_w * sqrt(max(1, fan_out / fan_in))`
    so the same variance per unit, and delta-orthogonal convolution kernels
    (Xiao et al. 2018). Use `bias_initializer()` for the matching biases.

    `centred=True` subtracts each kernel column's mean (over the input
    units), so that the common mean of the previous layer's activations
    does not reach this layer; the q-map then propagates `Var[phi]` instead
    of `E[phi^2]`. For activations whose outputs are not zero-centred
    (sigmoid, softplus, GELU, SiLU) this is what makes a critical point
    with `q* = 1` exist and the fixed point stable.

    >>> init = Critical("tanh", bias_variance=0.05)
    >>> layer = keras.layers.Dense(256, activation="tanh", kernel_initializer=init,
    ...                            bias_initializer=init.bias_initializer())

    Args:
        activation: a name (keras_initact's or Keras's) or a callable.
        bias_variance: `sigma_b^2 >= 0`, or None.
        q_star: the fixed point, positive, or None. Not both.
        distribution: `"orthogonal"` or `"gaussian"`.
        centred: centre the kernel's columns (see above).
        gain: a factor on the weights, 1 on the critical line; larger values
            pair with an activation whose outputs are scaled down by as much
            (the weight-scale reparametrization of `for_activation`).
        seed: see `RandomInitializer`.
        input_axes, output_axes: for `EinsumDense` kernels, the axes that
            hold the input and output units (filled in by `EinsumDense` and
            `MultiHeadAttention`, as for Keras's `VarianceScaling`); the
            orthogonal matrix then maps the flattened input axes to the
            flattened output axes.

    References: Poole et al. 2016; Schoenholz et al., "Deep Information
    Propagation", ICLR 2017; Pennington et al., "Resurrecting the sigmoid in
    deep learning through dynamical isometry", NeurIPS 2017.
    """

    def __init__(self, activation="tanh", bias_variance=None, q_star=None,
                 distribution="orthogonal", centred=False, gain=1.0, seed=None,
                 input_axes=None, output_axes=None):
        owner = self._name()
        check_exclusive(owner, bias_variance=bias_variance, q_star=q_star)
        if bias_variance is not None:
            bias_variance = check_number(
                "bias_variance", bias_variance, owner, non_negative=True
            )
        if q_star is not None:
            q_star = check_number("q_star", q_star, owner, positive=True)
        if isinstance(activation, dict):
            activation = keras.saving.deserialize_keras_object(activation)
        if not (isinstance(activation, str) or callable(activation)):
            raise ValueError(
                f"{owner}: `activation` must be a name or a callable; "
                f"received {activation!r}."
            )
        self.activation = activation
        self.bias_variance = bias_variance
        self.q_star = q_star
        self.distribution = check_choice(
            "distribution", distribution, DISTRIBUTIONS, owner
        )
        if not isinstance(centred, bool):
            raise ValueError(
                f"{owner}: `centred` must be True or False; received {centred!r}."
            )
        self.centred = centred
        self.gain = check_number("gain", gain, owner, positive=True)
        self._set_fan_arguments("standard", input_axes, output_axes)
        super().__init__(seed)
        self.point = _solve(activation, bias_variance, q_star, centred)

    def generate(self, shape, dtype):
        fan_in, fan_out = self.fans(shape)
        weight_variance = self.point.weight_variance
        compute = compute_dtype_for(dtype)
        if self.distribution == "gaussian":
            weights = keras.random.normal(
                shape, stddev=self.gain * math.sqrt(weight_variance / fan_in),
                dtype=compute, seed=self.seed,
            )
            if self.centred and len(shape) >= 2:
                weights = self._centred(weights, shape)
            return keras.ops.cast(weights, dtype)
        if len(shape) < 2:
            raise ValueError(
                f"{self._name()}(distribution='orthogonal') needs a kernel of "
                f"rank >= 2; received shape={shape}."
            )
        if self.input_axes is not None:
            inputs, outputs = fan_in, fan_out
        else:
            inputs, outputs = shape[-2], shape[-1]
        gain = self.gain * math.sqrt(weight_variance * max(1.0, outputs / inputs))
        matrix = gain * random_orthogonal(inputs, outputs, self.seed, compute)
        if self.centred:
            matrix = centre_columns(matrix)
        if self.input_axes is not None:
            matrix = matrix_to_kernel(
                matrix, shape, self.input_axes, self.output_axes
            )
        elif len(shape) > 2:
            matrix = embed_at_centre(matrix, shape)
        return keras.ops.cast(matrix, dtype)

    def _centred(self, weights, shape):
        """`weights` with each output unit's mean over its inputs removed."""
        if self.input_axes is None:
            flat = keras.ops.reshape(weights, (-1, shape[-1]))
            return keras.ops.reshape(centre_columns(flat), shape)
        order = list(self.input_axes) + list(self.output_axes)
        fan_in, fan_out = self.fans(shape)
        matrix = keras.ops.reshape(
            keras.ops.transpose(weights, order), (fan_in, fan_out)
        )
        return matrix_to_kernel(
            centre_columns(matrix), shape, self.input_axes, self.output_axes
        )

    def bias_initializer(self):
        """`N(0, sigma_b^2)` biases (seeded from this seed), or `Zeros`."""
        if self.point.bias_variance == 0.0:
            return Zeros()
        seed = self.derive(1).seed
        return RandomNormal(0.0, math.sqrt(self.point.bias_variance), seed=seed)

    def get_config(self):
        activation = self.activation
        if not isinstance(activation, str):
            activation = keras.saving.serialize_keras_object(activation)
        return {
            "activation": activation,
            "bias_variance": self.bias_variance,
            "q_star": self.q_star,
            "distribution": self.distribution,
            "centred": self.centred,
            "gain": self.gain,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
            **super().get_config(),
        }

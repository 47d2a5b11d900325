"""Constant initializers: the zero initialization of the seeds, and biases."""

import reprlib

import keras
import numpy as np

from keras_initact.checks import check_number
from keras_initact.initializers.base import (
    FLOAT_DTYPES,
    INTEGER_DTYPES,
    Initializer,
)
from keras_initact.serialization import register


@register
class Constant(Initializer):
    """Fills the tensor with `value`: `W = value`, broadcast to the shape.

    `value` is a number, or an array or tensor whose shape broadcasts to the
    requested one (as Keras's `Constant`, which broadcasts the same way).
    Accepts floating and integer dtypes (an integer dtype needs integral
    values). A constant kernel makes every unit of a layer compute the same
    function, so gradient descent cannot tell them apart: use it for biases,
    scales and fixed filters, not kernels.

    >>> layer = keras.layers.Dense(3, bias_initializer=Constant(0.1))
    >>> Constant(np.array([1.0, 2.0, 3.0]))(shape=(2, 3))  # each row [1, 2, 3]

    Args:
        value: a finite number, or an array or tensor of finite numbers.
            An array is kept as a NumPy array and saved in the config.
    """

    allowed_dtypes = FLOAT_DTYPES + INTEGER_DTYPES

    def __init__(self, value=0.0):
        self.value = _check_value(value, self._name())

    def generate(self, shape, dtype):
        value = np.asarray(self.value)
        try:
            if np.broadcast_shapes(value.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"{self._name()}: Expected `shape` to be one that `value`'s "
                f"shape {value.shape} broadcasts to; received shape={shape}."
            ) from None
        if dtype in INTEGER_DTYPES and np.any(value != np.round(value)):
            raise ValueError(
                f"{self._name()}: value={self.value!r} is not representable "
                f"in dtype={dtype!r}; use integral values or a float dtype."
            )
        if value.ndim == 0:
            return keras.ops.full(shape, float(value), dtype=dtype)
        return keras.ops.broadcast_to(keras.ops.cast(value, dtype), shape)

    def get_config(self):
        return {"value": keras.saving.serialize_keras_object(self.value)}

    def __repr__(self):
        if not self.get_config():  # Zeros, Ones
            return super().__repr__()
        return f"{type(self).__name__}(value={self.value!r})"

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "value" in config:
            config["value"] = keras.saving.deserialize_keras_object(
                config["value"]
            )
        return cls(**config)


def _check_value(value, owner):
    """A finite Python float, or a NumPy array of finite numbers."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return check_number("value", value, owner)
    if isinstance(value, (list, tuple)) or isinstance(value, np.ndarray) \
            or keras.ops.is_tensor(value) or isinstance(value, np.generic):
        array = np.asarray(keras.ops.convert_to_numpy(value))
        if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
            raise ValueError(
                f"{owner}: `value` must hold real numbers; received "
                f"value={reprlib.repr(value)} (dtype {array.dtype})."
            )
        if not np.all(np.isfinite(array)):
            raise ValueError(
                f"{owner}: `value` must be finite; received "
                f"value={reprlib.repr(value)}, with "
                f"{int(np.sum(~np.isfinite(array)))} NaN or Inf entries."
            )
        if array.ndim == 0:
            return float(array)
        return array
    return check_number("value", value, owner)


@register
class Zeros(Constant):
    """Fills the tensor with zeros (the seeds' zero initialization).

    All-zero kernels give every hidden unit the same output and gradient, so
    they never learn different features: the symmetry that random schemes
    break. Right for biases.

    >>> layer = keras.layers.Dense(3, bias_initializer=Zeros())
    """

    def __init__(self):
        super().__init__(0.0)

    def generate(self, shape, dtype):
        return keras.ops.zeros(shape, dtype=dtype)

    def get_config(self):
        return {}


@register
class Ones(Constant):
    """Fills the tensor with ones (for scales, such as normalization gains).

    >>> layer = keras.layers.BatchNormalization(gamma_initializer=Ones())
    """

    def __init__(self):
        super().__init__(1.0)

    def generate(self, shape, dtype):
        return keras.ops.ones(shape, dtype=dtype)

    def get_config(self):
        return {}

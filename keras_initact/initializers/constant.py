"""Constant initializers: the zero initialization of the seeds, and biases."""

import keras

from keras_initact.initializers.base import (
    FLOAT_DTYPES, INTEGER_DTYPES, Initializer, check_number, register,
)


@register
class Constant(Initializer):
    """Fills the tensor with one value: `W_ij = value`.

    Accepts floating and integer dtypes (an integer dtype needs an integral
    value). A constant kernel makes every unit of a layer compute the same
    function, so gradient descent cannot tell them apart: use it for biases,
    not kernels.

    >>> layer = keras.layers.Dense(3, bias_initializer=Constant(0.1))

    Args:
        value: a finite Python number.
    """

    allowed_dtypes = FLOAT_DTYPES + INTEGER_DTYPES

    def __init__(self, value=0.0):
        self.value = check_number("value", value, self._name())

    def generate(self, shape, dtype):
        if dtype in INTEGER_DTYPES and self.value != int(self.value):
            raise ValueError(
                f"{self._name()}: value={self.value!r} is not representable "
                f"in dtype={dtype!r}; use an integral value or a float dtype."
            )
        return keras.ops.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


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

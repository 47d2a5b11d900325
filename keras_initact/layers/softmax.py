"""Softmax: a probability distribution along one or more axes."""

import keras
from keras import ops

from keras_initact.activations import functions
from keras_initact.activations.checks import check_axes, check_axes_in_rank
from keras_initact.initializers.base import register
from keras_initact.layers.base import ActivationLayer


def large_negative(dtype):
    """A logit whose exp is 0 in `dtype` without overflowing it."""
    return -3e4 if keras.backend.standardize_dtype(dtype) == "float16" else -1e9


@register
class Softmax(ActivationLayer):
    """Softmax layer, `f(x) = exp(x - max x) / sum(exp(x - max x))` along `axis`.

    A drop-in for `keras.layers.Softmax`, with the axes checked at build.

    >>> layer = Softmax(axis=-1)
    >>> layer(np.array([[1.0, 2.0, 1.0]]))  # [[0.2119, 0.5761, 0.2119]]

    Args:
        axis: an int or a list of ints, the axes normalized over.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: the logits.
        mask: optional boolean (or 0/1) tensor; masked positions get
            probability 0, the others share 1. A mask with as many axes as
            `inputs` is broadcast against it (Keras's attention masks). A
            mask with fewer axes covers the leading axes of `inputs`, as the
            `(batch, time)` mask that Keras propagates from
            `Embedding(mask_zero=True)` does: masked time steps output 0.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self._axes = check_axes("axis", axis, type(self).__name__)
        self._finish_init()

    def build(self, input_shape):
        check_axes_in_rank(
            "axis", self._axes, len(input_shape), type(self).__name__
        )

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
            if keras.backend.standardize_dtype(mask.dtype) != "bool":
                mask = ops.greater(mask, ops.cast(0.5, mask.dtype))
            if len(mask.shape) > len(inputs.shape):
                raise ValueError(
                    f"{type(self).__name__}: the mask has more axes than the "
                    f"inputs; received inputs.shape={inputs.shape}, "
                    f"mask.shape={mask.shape}."
                )
            for _ in range(len(inputs.shape) - len(mask.shape)):
                mask = ops.expand_dims(mask, -1)
            inputs = ops.where(mask, inputs, large_negative(inputs.dtype))
        outputs = functions.softmax(inputs, axis=self.axis)
        if mask is not None:
            # A fully masked slice would otherwise be uniform.
            outputs = ops.where(mask, outputs, ops.zeros_like(outputs))
        return outputs

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

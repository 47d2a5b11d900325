"""Softmax: a probability distribution along one or more axes."""

import keras
from keras import ops

from keras_initact.math import functions
from keras_initact.checks import check_axes, check_axes_in_rank
from keras_initact.serialization import register
from keras_initact.math.table import heads as records
from keras_initact.layers.base import ActivationLayer, AlongAxisLayer


def large_negative(dtype):
    """A logit whose exp is 0 in `dtype` without overflowing it."""
    return -3e4 if keras.backend.standardize_dtype(dtype) == "float16" else -1e9


@register
class Softmax(ActivationLayer):
    """Softmax layer, `f(x) = exp(x - max x) / sum(exp(x - max x))` along `axis`.

    A drop-in for `keras.layers.Softmax`, with the axes checked against the
    input's rank.

    >>> layer = Softmax(axis=-1)
    >>> layer(np.array([[1.0, 2.0, 1.0]]))  # [[0.2119, 0.5761, 0.2119]]

    Args:
        axis: an int or a list of ints, the axes normalized over.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: the logits.
        mask: optional boolean (or 0/1) tensor; masked positions get
            probability 0, the others share 1, and a fully masked slice is
            all 0. As in Keras, the mask broadcasts against `inputs` from
            the last axis: each of its dimensions is 1 or the input's, and
            it has no more axes than `inputs` (anything else raises a
            `ValueError`). One addition to Keras: a mask with fewer axes
            that does not broadcast so but equals the leading axes of
            `inputs` covers those axes, as the `(batch, time)` mask that
            Keras propagates from `Embedding(mask_zero=True)` does (masked
            time steps output 0); Keras's layer raises there. A mask that
            fits both ways is read Keras's way.
    """

    record = records.SOFTMAX

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self._axes = check_axes("axis", axis, type(self).__name__)
        self._finish_init()

    def call(self, inputs, mask=None):
        check_axes_in_rank(
            "axis", self._axes, len(inputs.shape), type(self).__name__
        )
        if mask is not None:
            mask = self._aligned_mask(mask, inputs)
            inputs = ops.where(mask, inputs, large_negative(inputs.dtype))
        outputs = functions.softmax(inputs, axis=self.axis)
        if mask is not None:
            # A fully masked slice would otherwise be uniform.
            outputs = ops.where(mask, outputs, ops.zeros_like(outputs))
        return outputs

    def _aligned_mask(self, mask, inputs):
        """The mask as booleans, with axes that broadcast against `inputs`."""
        mask = ops.convert_to_tensor(mask)
        if keras.backend.standardize_dtype(mask.dtype) != "bool":
            mask = ops.greater(mask, ops.cast(0.5, mask.dtype))
        mask_shape, input_shape = tuple(mask.shape), tuple(inputs.shape)
        received = (f"received inputs.shape={input_shape}, "
                    f"mask.shape={mask_shape}.")
        if len(mask_shape) > len(input_shape):
            raise ValueError(
                f"{type(self).__name__}: the mask must be broadcastable to "
                f"the inputs and must not have more dimensions; {received}"
            )
        if _broadcasts(mask_shape[::-1], input_shape[::-1], trailing=True):
            return mask
        if _broadcasts(mask_shape, input_shape, trailing=False):
            for _ in range(len(input_shape) - len(mask_shape)):
                mask = ops.expand_dims(mask, -1)
            return mask
        raise ValueError(
            f"{type(self).__name__}: the mask must be broadcastable to the "
            "inputs: aligned from the last axis, each mask dimension is 1 or "
            "the input's (or, with fewer axes, the mask equals the inputs' "
            f"leading axes); {received}"
        )

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _broadcasts(mask_dims, input_dims, trailing):
    """Whether paired dimensions match (`None` matches anything); from the
    last axis (`trailing`) a mask dimension of 1 matches too."""
    for m, i in zip(mask_dims, input_dims):
        if m is None or i is None or m == i or (trailing and m == 1):
            continue
        return False
    return True


@register
class LogSoftmax(AlongAxisLayer):
    """Log-softmax layer, `f(x) = x - logsumexp(x)` along `axis`.

    >>> LogSoftmax()(np.array([[1.0, 2.0, 1.0]]))  # [[-1.5514, -0.5514, -1.5514]]

    Args:
        axis: the axis normalized over (default -1).
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    record = records.LOG_SOFTMAX


@register
class Softmin(AlongAxisLayer):
    """Softmin layer, `f(x) = softmax(-x)` along `axis` (PyTorch's `Softmin`).

    >>> Softmin()(np.array([[1.0, 2.0, 1.0]]))  # [[0.4223, 0.1554, 0.4223]]

    Args:
        axis: the axis normalized over (default -1).
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    record = records.SOFTMIN


@register
class Sparsemax(AlongAxisLayer):
    """Sparsemax layer: the Euclidean projection onto the probability simplex
    along `axis`, a softmax with exact zeros.

    >>> Sparsemax()(np.array([[1.0, 2.0, 1.0]]))  # [[0.0, 1.0, 0.0]]

    Args:
        axis: the axis normalized over (default -1).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Martins & Astudillo, "From Softmax to Sparsemax", ICML 2016.
    """

    record = records.SPARSEMAX

"""Identity (eye) and Dirac initialization."""

import keras

from keras_initact.checks import check_number, check_positive_int
from keras_initact.initializers.base import Initializer
from keras_initact.serialization import register
from keras_initact.initializers.spatial import compute_dtype_for, embed_at_centre


@register
class Identity(Initializer):
    """The identity map: `gain * I` for dense kernels, a Dirac delta for conv.

    A dense kernel `(in, out)` gets `W_ij = gain` where `i == j`, else 0
    (rectangular kernels keep the first `min(in, out)` inputs, like
    `torch.nn.init.eye_`). A convolution kernel `(k..., c_in, c_out)` gets
    that matrix at its spatial centre and zeros elsewhere, like
    `torch.nn.init.dirac_`, so the layer passes its input through unchanged.
    For a grouped convolution (`groups > 1`, kernel `(k..., c_in / groups,
    c_out)`) each group maps its inputs to the first of its outputs.
    `Dirac` is the same class: PyTorch's `eye_` refuses convolution
    kernels and `dirac_` dense ones, where this class takes both.

    >>> layer = keras.layers.Conv2D(16, 3, padding="same",
    ...                             kernel_initializer=Identity())

    Args:
        gain: positive factor.
        groups: number of groups of a grouped convolution kernel.
    """

    def __init__(self, gain=1.0, groups=1):
        self.gain = check_number("gain", gain, self._name(), positive=True)
        self.groups = check_positive_int("groups", groups, self._name())

    def generate(self, shape, dtype):
        if len(shape) < 2:
            raise ValueError(
                f"{self._name()} needs a kernel of rank >= 2; received "
                f"shape={shape}."
            )
        inputs, outputs = shape[-2:]
        if self.groups > 1 and (len(shape) == 2 or outputs % self.groups):
            raise ValueError(
                f"{self._name()}(groups={self.groups}) needs a convolution "
                f"kernel whose output channels divide into the groups; "
                f"received shape={shape}."
            )
        block = keras.ops.eye(
            inputs, outputs // self.groups, dtype=compute_dtype_for(dtype)
        )
        matrix = self.gain * keras.ops.tile(block, (1, self.groups))
        if len(shape) > 2:
            matrix = embed_at_centre(matrix, shape)
        return keras.ops.cast(matrix, dtype)

    def get_config(self):
        return {"gain": self.gain, "groups": self.groups}


Dirac = Identity

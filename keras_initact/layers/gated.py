"""Gated units: half of the last axis gates the other half.

`f(x) = a * gate(b)`, where `a` and `b` are the two halves of `x` along
`axis`, so the output has half the input's size there: the layer before a
gated unit is twice as wide as the unit's output (the model factory does
this). They are the feed-forward blocks of most current transformers.
"""

from keras_initact.checks import check_halvable
from keras_initact.serialization import register
from keras_initact.math.table import gated as records
from keras_initact.layers.base import AlongAxisLayer


class GatedUnit(AlongAxisLayer):
    """Base of the gated units: splits `axis` in two and halves its size.

    The input's shape is checked when a model is built with the layer
    (`compute_output_shape`): `axis` must index it, and its size there must
    be even; either raises a `ValueError`.
    """

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        axis = check_halvable("axis", self.axis, shape, type(self).__name__)
        if shape[axis] is not None:
            shape[axis] //= 2
        return tuple(shape)


@register
class GLU(GatedUnit):
    """Gated linear unit layer, `a * sigmoid(b)` for the halves of `x`.

    >>> GLU()(np.zeros((2, 8))).shape  # (2, 4)

    Args:
        axis: the axis split in two (default -1); its size must be even.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Dauphin et al., "Language Modeling with Gated Convolutional
    Networks", ICML 2017.
    """

    record = records.GLU


@register
class SwiGLU(GatedUnit):
    """SwiGLU layer, `a * swish(b)` for the halves of `x`.

    >>> SwiGLU()(np.zeros((2, 8))).shape  # (2, 4)

    Args:
        axis: the axis split in two (default -1); its size must be even.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Shazeer, "GLU Variants Improve Transformer", 2020.
    """

    record = records.SWIGLU


@register
class GEGLU(GatedUnit):
    """GEGLU layer, `a * gelu(b)` for the halves of `x` (exact GELU).

    >>> GEGLU()(np.zeros((2, 8))).shape  # (2, 4)

    Args:
        axis: the axis split in two (default -1); its size must be even.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Shazeer, "GLU Variants Improve Transformer", 2020.
    """

    record = records.GEGLU


@register
class ReGLU(GatedUnit):
    """ReGLU layer, `a * relu(b)` for the halves of `x`.

    >>> ReGLU()(np.zeros((2, 8))).shape  # (2, 4)

    Args:
        axis: the axis split in two (default -1); its size must be even.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Shazeer, "GLU Variants Improve Transformer", 2020.
    """

    record = records.REGLU

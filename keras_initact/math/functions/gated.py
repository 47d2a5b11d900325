"""Gated units: the halves `a, b` of `x` along `axis` give `a * gate(b)`.

They are not elementwise: the output has half the input's size along
`axis` (`keras_initact.layers.gated`).
"""

from keras import ops

from keras_initact.checks import check_axis, check_halvable
from keras_initact.serialization import register


def _halves(x, axis, owner):
    """The halves `a, b` of `x` along `axis`, which must index `x` and be of
    even size."""
    x = ops.convert_to_tensor(x)
    axis = check_halvable("axis", check_axis("axis", axis, owner), x.shape,
                          owner)
    return ops.split(x, 2, axis=axis)


@register
def glu(x, axis=-1):
    """Gated linear unit, `a * sigmoid(b)` for the halves `a, b` of `x`
    along `axis` (Dauphin et al. 2017; Keras's `glu`, PyTorch's `GLU`)."""
    a, b = _halves(x, axis, "glu")
    return a * ops.sigmoid(b)


@register
def swiglu(x, axis=-1):
    """`a * swish(b)` for the halves `a, b` of `x` (Shazeer 2020)."""
    a, b = _halves(x, axis, "swiglu")
    return a * ops.silu(b)


@register
def geglu(x, axis=-1):
    """`a * gelu(b)` for the halves `a, b` of `x` (Shazeer 2020)."""
    a, b = _halves(x, axis, "geglu")
    return a * ops.gelu(b, approximate=False)


@register
def reglu(x, axis=-1):
    """`a * relu(b)` for the halves `a, b` of `x` (Shazeer 2020)."""
    a, b = _halves(x, axis, "reglu")
    return a * ops.relu(b)

"""Sigmoidal activations: bounded, S-shaped, saturating at both ends.

The functions of `keras_initact.layers.sigmoidal`'s layers, with their
defaults.
"""

from keras import ops

from keras_initact.checks import check_number, check_ordered
from keras_initact.serialization import register


@register
def sigmoid(x):
    """Logistic sigmoid, `f(x) = 1 / (1 + exp(-x))`."""
    return ops.sigmoid(x)


@register
def tanh(x):
    """Hyperbolic tangent, `f(x) = tanh(x)`."""
    return ops.tanh(x)


@register
def hard_sigmoid(x):
    """Piecewise-linear sigmoid, `relu6(x + 3) / 6` (Keras's and PyTorch's
    `Hardsigmoid`): 0 below -3, 1 above 3."""
    return ops.hard_sigmoid(x)


@register
def hard_tanh(x, min_val=-1.0, max_val=1.0):
    """Hard tanh, `f(x) = clip(x, min_val, max_val)` (PyTorch's `Hardtanh`;
    Keras's `hard_tanh` with the defaults).

    >>> hard_tanh(np.array([-3.0, 0.5, 4.0]), min_val=-2.0, max_val=3.0)
    ... # [-2.0, 0.5, 3.0]

    Args:
        x: input tensor.
        min_val: the lower bound, a finite number (default -1).
        max_val: the upper bound, a finite number larger than `min_val`
            (default 1).

    Reference: Collobert, "Large Scale Machine Learning", 2004.
    """
    min_val, max_val = check_hard_tanh_bounds(min_val, max_val, "hard_tanh")
    if min_val == -1 and max_val == 1:
        return ops.hard_tanh(x)
    x = ops.convert_to_tensor(x)
    return ops.clip(x, ops.cast(min_val, x.dtype), ops.cast(max_val, x.dtype))


def check_hard_tanh_bounds(min_val, max_val, owner):
    """Hard tanh's bounds: finite numbers with `min_val < max_val`."""
    min_val = check_number("min_val", min_val, owner)
    max_val = check_number("max_val", max_val, owner)
    return check_ordered(owner, "min_val", min_val, "max_val", max_val,
                         strict=True)


@register
def log_sigmoid(x):
    """`log(sigmoid(x)) = -softplus(-x)`, computed stably."""
    return ops.log_sigmoid(x)


@register
def softsign(x):
    """`x / (1 + |x|)`."""
    return ops.softsign(x)


@register
def sparse_sigmoid(x):
    """Piecewise-linear sigmoid: 0 below -1, `(x + 1) / 2` on [-1, 1], 1
    above 1 (Keras's `sparse_sigmoid`)."""
    return ops.sparse_sigmoid(x)

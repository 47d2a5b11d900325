"""Shrinkage activations: pull small inputs to (or towards) zero."""

from keras import ops

from keras_initact.checks import check_number
from keras_initact.serialization import register


@register
def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0."""
    check_number("threshold", threshold, "hard_shrink", non_negative=True)
    return ops.hard_shrink(x, threshold=threshold)


@register
def soft_shrink(x, threshold=0.5):
    """`x - threshold` above `threshold`, `x + threshold` below
    `-threshold`, else 0."""
    check_number("threshold", threshold, "soft_shrink", non_negative=True)
    return ops.soft_shrink(x, threshold=threshold)


@register
def tanh_shrink(x):
    """`x - tanh(x)`."""
    return ops.tanh_shrink(x)

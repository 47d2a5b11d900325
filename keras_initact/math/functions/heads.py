"""Softmax and its relatives: a distribution along an axis, for output heads
(`keras_initact.layers.softmax`)."""

from keras import ops

from keras_initact.serialization import register


@register
def softmax(x, axis=-1):
    """Softmax along `axis` (an int or a list of ints), `exp(x) / sum(exp(x))`."""
    if isinstance(axis, (list, tuple)):
        if len(axis) == 1:
            return ops.softmax(x, axis=axis[0])
        x = ops.convert_to_tensor(x)
        return ops.exp(x - ops.logsumexp(x, axis=tuple(axis), keepdims=True))
    return ops.softmax(x, axis=axis)


@register
def log_softmax(x, axis=-1):
    """`log(softmax(x))` along `axis`, computed stably."""
    return ops.log_softmax(x, axis=axis)


@register
def softmin(x, axis=-1):
    """`softmax(-x)` along `axis` (PyTorch's `Softmin`)."""
    return ops.softmax(ops.negative(x), axis=axis)


@register
def sparsemax(x, axis=-1):
    """The Euclidean projection of `x` onto the probability simplex along
    `axis`: a softmax with exact zeros (Martins & Astudillo 2016).

    `max(x - tau, 0)`, with `tau = (sum of the k largest - 1) / k` for the
    support size `k` (Algorithm 1). Not `keras.ops.sparsemax`: through Keras
    3.15 it sums the cumulative sums for `tau`, which is wrong whenever more
    than one element is in the support (keras-team/keras#23425).
    """
    x = ops.convert_to_tensor(x)
    if 0 in tuple(x.shape):  # nothing to normalize: empty, as softmax gives
        return ops.softmax(x, axis=axis)
    last = axis in (-1, len(x.shape) - 1)
    z = x if last else ops.moveaxis(x, axis, -1)
    z = z - ops.max(z, axis=-1, keepdims=True)  # shift-invariant; no overflow
    ordered = ops.flip(ops.sort(z, axis=-1), axis=-1)
    ranks = ops.arange(1, ops.shape(z)[-1] + 1, dtype=z.dtype)
    support = 1.0 + ranks * ordered > ops.cumsum(ordered, axis=-1)
    size = ops.sum(ops.cast(support, z.dtype), axis=-1, keepdims=True)
    total = ops.sum(ops.where(support, ordered, ops.zeros_like(ordered)),
                    axis=-1, keepdims=True)
    out = ops.relu(z - (total - 1.0) / size)
    return out if last else ops.moveaxis(out, -1, axis)

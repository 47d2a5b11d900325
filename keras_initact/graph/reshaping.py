"""Estimators of the layers that move, pad, pool or copy elements.

Layers that only rearrange elements (`Flatten`, `Reshape`, `Permute`,
`UpSampling` by repetition, `RepeatVector`, `Cropping` of real input)
leave the distribution as it is. Zero padding is kept aside as borders
for the convolution after it (`Signal.padded`). Pooling treats the
elements of a window as independent: the mean of `k` has variance
`Var / k`, the largest of `k` follows their order statistic.
"""

import math

from keras_initact.graph.signal import Signal


def unchanged(call):
    """Layers that rearrange or copy elements: the input's distribution."""
    return call.input


def zero_padding(call):
    """`ZeroPadding1D/2D/3D`: the zeros, as borders per spatial axis."""
    layer = call.layer
    shape = call.input_shape
    first = 2 if getattr(layer, "data_format", None) == "channels_first" \
        else 1
    borders = []
    for axis, (before, after) in enumerate(_pairs(layer.padding,
                                                  len(shape) - 2)):
        length = shape[first + axis]
        if length is None:
            return call.input.materialized()
        borders.append((length + before + after, before, after))
    return call.input.padded(borders)


def _pairs(padding, rank):
    """`(before, after)` per spatial axis. `ZeroPadding1D` keeps one
    `(left, right)` pair, the others a pair (or an int) per axis."""
    if isinstance(padding, int):
        return [(padding, padding)] * rank
    if rank == 1 and all(isinstance(p, int) for p in padding):
        return [tuple(padding)]
    return [(p, p) if isinstance(p, int) else tuple(p) for p in padding]


def window_size(call):
    """The number of elements a pooling window holds."""
    return math.prod(call.layer.pool_size)


def average_pooling(call):
    """`AveragePooling1D/2D/3D`: the mean of `k` elements, of
    correlation `rho` between positions (`keras_initact.graph.correlation`):
    variance `Var[x] * (rho + (1 - rho) / k)`."""
    return _mean_of(call.input, window_size(call), call.input_correlation)


def max_pooling(call):
    """`MaxPooling1D/2D/3D`: the largest of `k` independent elements."""
    return call.input.maximum_of(window_size(call))


def _spatial_size(call):
    shape = call.input_shape
    layer = call.layer
    spatial = (shape[2:] if getattr(layer, "data_format", None)
               == "channels_first" else shape[1:-1])
    if any(size is None for size in spatial):
        return None
    return math.prod(spatial)


def global_average_pooling(call):
    """`GlobalAveragePooling1D/2D/3D`: the mean of the `H * W`
    elements of each channel, as `AveragePooling`'s; its output has no
    positions left to correlate."""
    size = _spatial_size(call)
    x = call.input
    rho = call.input_correlation
    call.output_correlation = 0.0
    if size is None:  # unknown: as many as to leave only the shared part
        return Signal.gaussian(x.mean, x.variance * rho)
    return _mean_of(x, size, rho)


def global_max_pooling(call):
    """`GlobalMaxPooling1D/2D/3D`: the largest of the `H * W` elements."""
    size = _spatial_size(call)
    return call.input.maximum_of(size or 1)


def _mean_of(x, count, rho=0.0):
    if count <= 1:
        return x
    return Signal.gaussian(x.mean, x.variance * (rho + (1.0 - rho) / count))

"""Estimators of the layers with kernels: dense, einsum, convolutions,
and embeddings (attention: `attention`).

Each output unit is `sum_i w_i x_i + b` over its fan-in; with zero-mean
weights independent of the input, `E[y^2] = fan * E[w^2] * E[x^2] + E[b^2]`
(Bingham & Miikkulainen, "AutoInit", AAAI 2023, eq. 3; He et al. 2015 for
the ReLU case). A convolution's fan counts only the taps that fall on real
input, averaged over its output positions: at 1x1 to 4x4 feature maps a
3x3 "same" convolution sees a fraction of its kernel.
"""

import math

import keras
import numpy as np

from keras_initact.graph.call import linear_output
from keras_initact.graph.signal import Signal


def dense(call):
    """`Dense`: fan = the kernel's input units."""
    layer = call.layer
    x = call.input
    second = call.kernel_second(layer.kernel, layer.kernel.shape[0], x.second)
    return linear_output(layer, layer.kernel.shape[0] * second * x.second)


def einsum_dense(call):
    """`EinsumDense`: fan = the product of the kernel's axes that its
    equation sums over."""
    layer = call.layer
    x = call.input
    fan = einsum_fan(layer.equation, layer.kernel.shape)
    second = call.kernel_second(layer.kernel, fan, x.second)
    return linear_output(layer, fan * second * x.second)


def einsum_fan(equation, kernel_shape):
    """The fan-in of an einsum kernel: the product of its dimensions whose
    letters the input has and the output has not.

    >>> einsum_fan("abc,cde->abde", (16, 4, 8))
    16
    """
    inputs, output = equation.replace("...", "").split("->")
    input_spec, kernel_spec = inputs.split(",")
    return math.prod(size for letter, size in zip(kernel_spec, kernel_shape)
                     if letter in input_spec and letter not in output)


def convolution(call):
    """`Conv1D/2D/3D` (grouped included): fan = input channels per group
    times the taps on real input."""
    layer = call.layer
    x = call.input
    per_group = layer.kernel.shape[-2]
    fan = per_group * real_taps(call, layer.kernel.shape[:-2])
    second = call.kernel_second(layer.kernel, fan, x.second)
    return linear_output(layer, fan * second * x.second)


def depthwise_convolution(call):
    """`DepthwiseConv1D/2D`: fan = the taps on real input."""
    layer = call.layer
    x = call.input
    fan = real_taps(call, layer.kernel.shape[:-2])
    second = call.kernel_second(layer.kernel, fan, x.second)
    return linear_output(layer, fan * second * x.second)


def separable_convolution(call):
    """`SeparableConv1D/2D`: the depthwise kernel to unit second moment,
    then the pointwise kernel over its channels."""
    layer = call.layer
    x = call.input
    taps = real_taps(call, layer.depthwise_kernel.shape[:-2])
    depthwise = call.kernel_second(layer.depthwise_kernel, taps, x.second)
    middle = taps * depthwise * x.second
    fan = layer.pointwise_kernel.shape[-2]
    pointwise = call.kernel_second(layer.pointwise_kernel, fan, middle)
    return linear_output(layer, fan * pointwise * middle)


def transposed_convolution(call):
    """`Conv1D/2D/3DTranspose`: fan = input channels times the taps that
    reach each output position from real input (about `kernel / stride`
    per spatial axis, fewer at the borders), averaged over positions."""
    layer = call.layer
    x = call.input.materialized()
    kernel = layer.kernel.shape
    rank = len(kernel) - 2
    shape = call.input_shape
    spatial = (shape[2:2 + rank] if getattr(layer, "data_format", None)
               == "channels_first" else shape[1:1 + rank])
    strides = _tuple(layer.strides, rank)
    dilations = _tuple(getattr(layer, "dilation_rate", 1), rank)
    output_padding = getattr(layer, "output_padding", None)
    if output_padding is None or isinstance(output_padding, int):
        output_padding = (output_padding,) * rank
    taps = math.prod(
        transposed_axis_taps(spatial[axis], kernel[axis], strides[axis],
                             dilations[axis], layer.padding,
                             output_padding[axis])
        for axis in range(rank))
    fan = kernel[-1] * taps
    second = call.kernel_second(layer.kernel, fan, x.second)
    return linear_output(layer, fan * second * x.second)


def transposed_axis_taps(length, kernel, stride=1, dilation=1,
                         padding="valid", output_padding=None):
    """The mean, over one spatial axis's output positions, of the number
    of a transposed convolution's taps that come from real input: the
    input dilated by `stride`, padded as Keras pads it (its JAX backend's
    rule), convolved with the kernel.

    >>> transposed_axis_taps(4, 3, stride=2, padding="same")  # 11 / 8
    1.375
    """
    if length is None:
        return kernel / min(stride, kernel)
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None \
            else output_padding
        left, right = span - 1, span - 1 + extra
    else:
        total = (stride + span - 2 if output_padding is None
                 else span + span % 2 - 2 + output_padding)
        left = min(total // 2 + total % 2, span - 1)
        right = total - left
    last = (length - 1) * stride  # the dilated input's last real position
    count = last + 1 + left + right - span + 1
    if count <= 0:
        return kernel / min(stride, kernel)
    position = (np.arange(count)[:, None] + np.arange(kernel)[None, :]
                * dilation - left)
    real = (position >= 0) & (position <= last) & (position % stride == 0)
    return float(real.sum(axis=1).mean())


def embedding(call):
    """`Embedding`: its output is rows of the table, set to unit second
    moment."""
    layer = call.layer
    second = call.kernel_second(layer.embeddings, 1, 1.0)
    mean = float(np.mean(keras.ops.convert_to_numpy(layer.embeddings)))
    return Signal.of_moments(mean, second)


def real_taps(call, kernel_size):
    """The number of kernel taps on real input, averaged over the output
    positions: per spatial axis from its length, the zero borders the input
    carries (`Signal.borders`), stride, dilation and padding; their
    product."""
    layer = call.layer
    rank = len(kernel_size)
    shape = call.input_shape
    spatial = (shape[2:2 + rank] if getattr(layer, "data_format", None)
               == "channels_first" else shape[1:1 + rank])
    borders = call.input.borders or [(None, 0, 0)] * rank
    strides = _tuple(layer.strides, rank)
    dilations = _tuple(getattr(layer, "dilation_rate", 1), rank)
    taps = 1.0
    for axis in range(rank):
        taps *= axis_taps(spatial[axis], borders[axis][1], borders[axis][2],
                          kernel_size[axis], strides[axis], dilations[axis],
                          layer.padding)
    return taps


def axis_taps(length, before, after, kernel, stride=1, dilation=1,
              padding="valid"):
    """The mean, over one spatial axis's output positions, of the number
    of the kernel's taps that land on real input (not on padding: the
    layer's own `"same"`/`"causal"` padding, or `before` and `after` zeros
    already in the input).

    >>> axis_taps(1, 0, 0, 3, padding="same")   # a 3-tap kernel on 1 pixel
    1.0
    """
    if length is None:
        return float(kernel)
    if padding == "valid":
        pad = 0
        count = (length - dilation * (kernel - 1) - 1) // stride + 1
    elif padding == "same":
        count = -(-length // stride)
        total = max((count - 1) * stride + dilation * (kernel - 1) + 1
                    - length, 0)
        pad = total // 2
    elif padding == "causal":
        pad = dilation * (kernel - 1)
        count = -(-length // stride)
    else:
        raise ValueError(f"Unknown padding {padding!r}.")
    if count <= 0:
        return float(kernel)
    index = (np.arange(count)[:, None] * stride - pad
             + np.arange(kernel)[None, :] * dilation)
    real = (index >= before) & (index < length - after)
    return float(real.sum(axis=1).mean())


def _tuple(value, rank):
    if isinstance(value, int):
        return (value,) * rank
    return tuple(value)


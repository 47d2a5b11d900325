"""Fan-in and fan-out of a weight tensor, for every Keras kernel layout."""

import math

from keras_initact.initializers.base import check_choice, standardize_shape

KERNEL_LAYOUTS = ("standard", "conv_transpose", "depthwise")


def compute_fans(shape, kernel_layout="standard", input_axes=None,
                 output_axes=None):
    """Returns `(fan_in, fan_out)` of a weight of the given shape.

    Layouts, with `r` the product of the spatial dimensions `k...`:

    | layout             | Keras layers                    | shape            | fan_in  | fan_out      |
    |--------------------|---------------------------------|------------------|---------|--------------|
    | `"standard"`       | Dense, Conv1D/2D/3D             | `(k..., in, out)`| `in*r`  | `out*r`      |
    | `"conv_transpose"` | Conv1D/2D/3DTranspose           | `(k..., out, in)`| `in*r`  | `out*r`      |
    | `"depthwise"`      | DepthwiseConv1D/2D              | `(k..., in, m)`  | `r`     | `m*r`        |

    A vector `(n,)` has `fan_in = fan_out = n`, a scalar `1, 1`, as in Keras.
    For `EinsumDense` pass the axes that hold the input and output units,
    as Keras's `VarianceScaling` does: `fan_in` is the product of
    `shape[input_axes]`, `fan_out` of `shape[output_axes]`.

    Keras's own `compute_fans` treats every kernel as `"standard"`, which
    swaps the fans of a transposed convolution and counts all input channels
    of a depthwise one; the layouts here give the true fans.

    >>> compute_fans((3, 3, 64, 128))
    (576, 1152)
    """
    shape = standardize_shape(shape, "compute_fans")
    check_choice("kernel_layout", kernel_layout, KERNEL_LAYOUTS, "compute_fans")
    if (input_axes is None) != (output_axes is None):
        raise ValueError(
            "compute_fans: give both `input_axes` and `output_axes` or neither; "
            f"received input_axes={input_axes!r}, output_axes={output_axes!r}."
        )
    if input_axes is not None:
        for axis in (*input_axes, *output_axes):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(
                    f"compute_fans: axis {axis} is outside shape={shape} "
                    f"(rank {len(shape)})."
                )
        return (
            math.prod(shape[a] for a in input_axes),
            math.prod(shape[a] for a in output_axes),
        )
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    second_last, last = shape[-2], shape[-1]
    if kernel_layout == "conv_transpose":
        return last * receptive_field, second_last * receptive_field
    if kernel_layout == "depthwise":
        return receptive_field, last * receptive_field
    return second_last * receptive_field, last * receptive_field

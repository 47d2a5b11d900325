"""Fan-in and fan-out of a weight tensor, for every Keras kernel layout."""

import math

import keras

from keras_initact.checks import check_axes, check_choice
from keras_initact.initializers.base import (
    RandomInitializer,
    standardize_shape,
)

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
    input_axes, output_axes = check_kernel_axes(input_axes, output_axes,
                                                "compute_fans")
    if input_axes is not None:
        for name, axes in (("input_axes", input_axes),
                           ("output_axes", output_axes)):
            for axis in axes:
                if not -len(shape) <= axis < len(shape):
                    raise ValueError(
                        f"compute_fans: {name}={axes} holds axis {axis}, "
                        f"outside shape={shape} (rank {len(shape)})."
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


def check_kernel_axes(input_axes, output_axes, owner):
    """Returns `input_axes` and `output_axes` as lists of ints (or `None`s)."""
    if (input_axes is None) != (output_axes is None):
        raise ValueError(
            f"{owner}: give both `input_axes` and `output_axes` or neither; "
            f"received input_axes={input_axes!r}, output_axes={output_axes!r}."
        )
    if input_axes is None:
        return None, None
    checked = []
    for name, axes in (("input_axes", input_axes), ("output_axes", output_axes)):
        try:
            axes = check_axes(name, axes, owner)
        except ValueError:
            raise ValueError(
                f"{owner}: `{name}` must be a non-empty list of ints (kernel "
                f"axes); received {name}={axes!r}."
            ) from None
        checked.append(axes)
    return tuple(checked)


class FanScaledInitializer(RandomInitializer, keras.initializers.VarianceScaling):
    """Base of the random schemes whose scale follows the kernel's fans.

    Keras's `EinsumDense` (and so `MultiHeadAttention`, whose projections
    are EinsumDense layers) tells an initializer which kernel axes hold the
    input and the output units, but only an instance of Keras's
    `VarianceScaling`: it rebuilds it by `from_config` with `input_axes` and
    `output_axes` added. Subclassing it gives ours the same fans as Keras's
    own classes there: a query kernel `(32, 8, 16)` of a 32-wide input has
    `fan_in = 32`, not the `8 * 32` a convolution of that shape would.

    Subclasses pass `input_axes`, `output_axes` and `kernel_layout` to
    `_set_fan_arguments` and read the fans with `fans(shape)`; their
    `get_config` includes `fan_config()`.
    """

    def _set_fan_arguments(self, kernel_layout, input_axes, output_axes):
        owner = self._name()
        self.kernel_layout = check_choice(
            "kernel_layout", kernel_layout, KERNEL_LAYOUTS, owner
        )
        self.input_axes, self.output_axes = check_kernel_axes(
            input_axes, output_axes, owner
        )

    def fans(self, shape):
        """`(fan_in, fan_out)` of a kernel of `shape`, see `compute_fans`."""
        return compute_fans(
            shape, self.kernel_layout, self.input_axes, self.output_axes
        )

    def fan_config(self):
        return {
            "kernel_layout": self.kernel_layout,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }

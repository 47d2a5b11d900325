"""Helpers that build kernels from matrices: centre taps and compute dtypes."""

import math

import keras


def compute_dtype_for(dtype):
    """The dtype to do linear algebra in before casting to `dtype`.

    QR and friends are not implemented (or not accurate) in 16-bit floats.
    """
    return "float64" if dtype == "float64" else "float32"


def flat_kernel_shape(shape):
    """`(prod(shape[:-1]), shape[-1])`: the matrix a kernel is built from."""
    return math.prod(shape[:-1]), shape[-1]


def embed_at_centre(matrix, shape):
    """Returns a kernel of `shape` holding `matrix` at its spatial centre.

    `shape` is `(k..., c_in, c_out)` and `matrix` is `(c_in, c_out)`. The
    centre tap of a dimension of size `k` is `(k - 1) // 2`; every other tap
    is zero, so the convolution starts as a 1x1 convolution by `matrix`.
    """
    spatial = shape[:-2]
    centred = keras.ops.reshape(matrix, (1,) * len(spatial) + tuple(shape[-2:]))
    padding = [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in spatial]
    return keras.ops.pad(centred, padding + [(0, 0), (0, 0)])


def matrix_to_kernel(matrix, shape, input_axes, output_axes):
    """Returns a kernel of `shape` whose input axes (flattened, in order)
    index `matrix`'s rows and output axes its columns: the layout of an
    `EinsumDense` kernel, where every axis is one or the other."""
    order = list(input_axes) + list(output_axes)
    blocked = keras.ops.reshape(matrix, [shape[a] for a in order])
    inverse = sorted(range(len(order)), key=lambda i: order[i])
    return keras.ops.transpose(blocked, inverse)

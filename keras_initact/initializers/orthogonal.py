"""Orthogonal and delta-orthogonal initialization."""

import keras

from keras_initact.checks import check_number
from keras_initact.initializers.base import RandomInitializer
from keras_initact.serialization import register
from keras_initact.initializers.spatial import (
    compute_dtype_for,
    embed_at_centre,
    flat_kernel_shape,
)


def random_orthogonal(rows, cols, seed, dtype="float32"):
    """A `(rows, cols)` matrix with orthonormal rows or columns, Haar-random.

    QR of a Gaussian matrix with the signs of `diag(R)` folded into `Q`, so
    that the result is uniform over the orthogonal group (Mezzadri 2007).
    Columns are orthonormal when `rows >= cols`, rows otherwise.
    """
    gaussian = keras.random.normal(
        (max(rows, cols), min(rows, cols)), seed=seed, dtype=dtype
    )
    q, r = keras.ops.qr(gaussian)
    q = q * keras.ops.sign(keras.ops.diagonal(r))
    return keras.ops.transpose(q) if rows < cols else q


def _check_rank(shape, minimum, owner, hint):
    if len(shape) < minimum:
        raise ValueError(
            f"{owner} needs a weight of rank >= {minimum}; received "
            f"shape={shape} of rank {len(shape)}. {hint}"
        )


@register
class Orthogonal(RandomInitializer):
    """A random (semi-)orthogonal matrix times `gain`: `W^T W = gain^2 I`.

    A kernel of rank > 2 is built as the `(prod(shape[:-1]), shape[-1])`
    matrix and reshaped, as Keras does. With more rows than columns the
    columns are orthonormal, otherwise the rows. Orthogonal weights keep the
    norm of every input direction through a linear layer, which is what lets
    deep linear and near-linear networks train (Saxe et al. 2014). The QR
    runs in float32 (float64 if requested), then the result is cast.

    >>> layer = keras.layers.Dense(64, kernel_initializer=Orthogonal(gain=2**0.5))

    Args:
        gain: positive factor on the matrix.
        seed: see `RandomInitializer`.

    Reference: Saxe, McClelland & Ganguli, "Exact solutions to the nonlinear
    dynamics of learning in deep linear neural networks", ICLR 2014.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = check_number("gain", gain, self._name(), positive=True)
        super().__init__(seed)

    def generate(self, shape, dtype):
        _check_rank(shape, 2, self._name(), "Use it for kernels.")
        rows, cols = flat_kernel_shape(shape)
        q = random_orthogonal(rows, cols, self.seed, compute_dtype_for(dtype))
        return keras.ops.cast(self.gain * keras.ops.reshape(q, shape), dtype)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


@register
class DeltaOrthogonal(RandomInitializer):
    """Delta-orthogonal convolution kernels (Xiao et al. 2018).

    For a kernel `(k..., c_in, c_out)`: a random `(c_in, c_out)` orthogonal
    matrix times `gain` at the spatial centre (`(k - 1) // 2` in each
    dimension), zeros at every other tap. The convolution starts as an
    orthogonal 1x1 convolution, so the input-output Jacobian is orthogonal
    and very deep plain CNNs train. With `c_in <= c_out` (the paper's
    condition) the rows are orthonormal and the layer preserves norms; with
    `c_in > c_out` the columns are.

    >>> conv = keras.layers.Conv2D(64, 3, kernel_initializer=DeltaOrthogonal())

    Args:
        gain: positive factor (e.g. `calculate_gain("tanh")` near
            criticality).
        seed: see `RandomInitializer`.

    Reference: Xiao et al., "Dynamical Isometry and a Mean Field Theory of
    CNNs: How to Train 10,000-Layer Vanilla Convolutional Neural Networks",
    ICML 2018.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = check_number("gain", gain, self._name(), positive=True)
        super().__init__(seed)

    def generate(self, shape, dtype):
        _check_rank(
            shape, 3, self._name(),
            "It is for convolution kernels (k..., c_in, c_out); use "
            "Orthogonal for dense kernels.",
        )
        centre = random_orthogonal(
            shape[-2], shape[-1], self.seed, compute_dtype_for(dtype)
        )
        return keras.ops.cast(embed_at_centre(self.gain * centre, shape), dtype)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}

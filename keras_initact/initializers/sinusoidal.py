"""Sinusoidal initialization (Fernandez-Hernandez et al. 2025)."""

import math

import keras

from keras_initact.initializers.base import Initializer
from keras_initact.serialization import register
from keras_initact.initializers.spatial import compute_dtype_for


@register
class Sinusoidal(Initializer):
    """Deterministic sinusoidal weights with Glorot's variance.

    In the paper's `(n_out, n_in)` layout:

        x_j = 2 pi j / n_in + 2 pi / n_out,   j = 0 .. n_in - 1
        S_ij = sin((i + 1) x_j),              i = 0 .. n_out - 1
        W = a S,   a = sqrt(2 / (Var(S) (n_in + n_out)))

    with `Var` the unbiased sample variance of all entries, so that `Var(W)`
    is Glorot's `2 / (n_in + n_out)`. Every unit gets its own frequency and
    phase: no randomness, no seed, and no two units alike. A convolution
    kernel `(k..., c_in, c_out)` has `n_out = c_out` and
    `n_in = c_in * prod(k)`, its columns ordered as PyTorch's
    `(c_out, c_in, k...)` flattening, as in the official implementation; the
    result is moved to Keras's layout. Use zero biases with it.

    >>> layer = keras.layers.Dense(64, kernel_initializer=Sinusoidal())

    Reference: Fernandez-Hernandez et al., "Sinusoidal Initialization, Time
    for a New Start", NeurIPS 2025 (arXiv:2505.12909).
    """

    def generate(self, shape, dtype):
        if len(shape) < 2:
            raise ValueError(
                f"{self._name()} needs a kernel of rank >= 2; received "
                f"shape={shape}."
            )
        ops = keras.ops
        spatial, c_in, c_out = shape[:-2], shape[-2], shape[-1]
        n_in = c_in * math.prod(spatial)
        compute = compute_dtype_for(dtype)
        positions = (
            ops.arange(n_in, dtype=compute) * (2.0 * math.pi / n_in)
            + 2.0 * math.pi / c_out
        )
        frequencies = ops.arange(1, c_out + 1, dtype=compute)
        waves = ops.sin(frequencies[:, None] * positions[None, :])
        amplitude = ops.sqrt(
            2.0 / (_unbiased_variance(waves) * (n_in + c_out))
        )
        weights = ops.reshape(amplitude * waves, (c_out, c_in, *spatial))
        rank = len(shape)
        # (c_out, c_in, k...) -> (k..., c_in, c_out)
        weights = ops.transpose(weights, (*range(2, rank), 1, 0))
        return ops.cast(weights, dtype)


def _unbiased_variance(x):
    count = math.prod(x.shape)
    return keras.ops.var(x) * (count / (count - 1)) if count > 1 else keras.ops.var(x)

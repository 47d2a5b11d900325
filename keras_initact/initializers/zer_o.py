"""ZerO initialization (Zhao et al. 2022): only zeros, ones and a Hadamard."""

import math

import keras
import numpy as np
from scipy.linalg import hadamard

from keras_initact.initializers.base import Initializer
from keras_initact.serialization import register
from keras_initact.initializers.spatial import compute_dtype_for, embed_at_centre


def zero_matrix(inputs, outputs):
    """The ZerO matrix in Keras's `(inputs, outputs)` layout, as NumPy.

    Algorithm 1 of the paper, in its `(m, n) = (outputs, inputs)` notation:
    `m <= n` gives the partial identity `I_{m x n}`; `m > n` gives
    `I_{m x p} H_p I_{p x n} / sqrt(p)` with `p = 2^ceil(log2 m)` and `H_p`
    Sylvester's Hadamard matrix, the normalisation of the authors' code
    (`H_p / sqrt(p)` is orthogonal).
    """
    if outputs <= inputs:
        return np.eye(inputs, outputs)
    order = 2 ** math.ceil(math.log2(outputs))
    # Sylvester's Hadamard matrix is symmetric, so the transpose into Keras's
    # layout is the top-left block itself.
    return hadamard(order)[:inputs, :outputs] / math.sqrt(order)


@register
class ZerO(Initializer):
    """Deterministic identity/Hadamard initialization (ZerO).

    A dense kernel `(in, out)` is the partial identity when `out <= in`,
    else the top-left `(in, out)` block of the normalised Hadamard matrix of
    order `p = 2^ceil(log2 out)`, entries `+-1/sqrt(p)` (see `zero_matrix`).
    A convolution kernel `(k..., c_in, c_out)` has that matrix at its
    spatial centre and zeros elsewhere (the paper's Algorithm 2). No
    randomness: the Hadamard step breaks the symmetry between units when a
    layer widens. Use zero biases with it.

    >>> layer = keras.layers.Dense(64, kernel_initializer=ZerO())

    Reference: Zhao et al., "ZerO Initialization: Initializing Neural Networks
    with only Zeros and Ones", TMLR 2022.
    """

    def generate(self, shape, dtype):
        if len(shape) < 2:
            raise ValueError(
                f"{self._name()} needs a kernel of rank >= 2; received "
                f"shape={shape}."
            )
        matrix = keras.ops.convert_to_tensor(
            zero_matrix(shape[-2], shape[-1]), dtype=compute_dtype_for(dtype)
        )
        if len(shape) > 2:
            matrix = embed_at_centre(matrix, shape)
        return keras.ops.cast(matrix, dtype)

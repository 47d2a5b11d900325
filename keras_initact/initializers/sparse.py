"""Sparse initialization: most incoming weights zero (Martens 2010)."""

import math

import keras
from keras import ops

from keras_initact.checks import check_number
from keras_initact.initializers.base import RandomInitializer
from keras_initact.serialization import register
from keras_initact.seeding import derive_seed


@register
class Sparse(RandomInitializer):
    """A 2-D kernel with a fraction `sparsity` of zeros per input row, the
    rest drawn from `N(0, stddev^2)` (PyTorch's `torch.nn.init.sparse_`).

    In Keras's `(fan_in, fan_out)` layout, row `i` holds input `i`'s
    weights: `ceil(sparsity * fan_out)` of them, chosen at random, are zero.
    PyTorch zeroes the same count in each column of its `(out, in)` weight,
    which is the same set of connections.

    >>> layer = keras.layers.Dense(64, kernel_initializer=Sparse(0.9))

    Args:
        sparsity: the fraction of each row that is zero, in [0, 1].
        stddev: standard deviation of the non-zero values, positive
            (PyTorch's default 0.01).
        seed: see `RandomInitializer`.

    Reference: Martens, "Deep learning via Hessian-free optimization",
    ICML 2010.
    """

    def __init__(self, sparsity, stddev=0.01, seed=None):
        self.sparsity = check_number("sparsity", sparsity, self._name(),
                                     non_negative=True)
        if self.sparsity > 1:
            raise ValueError(
                f"{self._name()}: `sparsity` is a fraction in [0, 1]; "
                f"received sparsity={sparsity!r}.")
        self.stddev = check_number("stddev", stddev, self._name(),
                                   positive=True)
        super().__init__(seed)

    def generate(self, shape, dtype):
        if len(shape) != 2:
            raise ValueError(
                f"{self._name()} fills 2-D kernels (Dense: (fan_in, "
                f"fan_out)), like PyTorch's sparse_; received shape={shape!r}.")
        zeros_per_row = math.ceil(self.sparsity * shape[1])
        order_seed, value_seed = self._two_seeds()
        # Each row's ranks under uniform noise are a random permutation.
        noise = keras.random.uniform(shape, seed=order_seed)
        ranks = ops.argsort(ops.argsort(noise, axis=1), axis=1)
        values = keras.random.normal(shape, stddev=self.stddev, dtype=dtype,
                                     seed=value_seed)
        return ops.where(ranks < zeros_per_row, ops.zeros_like(values), values)

    def _two_seeds(self):
        """Independent seeds for the zeros' places and the values."""
        if isinstance(self.seed, keras.random.SeedGenerator):
            return self.seed, self.seed  # each draw advances it
        return derive_seed(self.seed, 0), derive_seed(self.seed, 1)

    def get_config(self):
        return {"sparsity": self.sparsity, "stddev": self.stddev,
                **super().get_config()}

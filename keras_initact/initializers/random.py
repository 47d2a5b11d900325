"""Small random initialization: fixed-scale normal and uniform draws."""

import keras

from keras_initact.checks import check_number
from keras_initact.initializers.base import RandomInitializer
from keras_initact.serialization import register


@register
class RandomNormal(RandomInitializer):
    """Draws `W_ij ~ N(mean, stddev^2)`.

    The seeds' "small random" initialization. The fixed scale ignores the
    layer's width: the signal shrinks (stddev too small) or grows (too large)
    by a constant factor per layer, which is what variance-scaling schemes
    fix.

    >>> layer = keras.layers.Dense(3, kernel_initializer=RandomNormal(stddev=0.01))

    Args:
        mean: mean of the distribution.
        stddev: standard deviation, positive. Keras's default 0.05.
        seed: see `RandomInitializer`.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = check_number("mean", mean, self._name())
        self.stddev = check_number("stddev", stddev, self._name(), positive=True)
        super().__init__(seed)

    def generate(self, shape, dtype):
        return keras.random.normal(
            shape, mean=self.mean, stddev=self.stddev, dtype=dtype,
            seed=self.seed,
        )

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@register
class TruncatedNormal(RandomInitializer):
    """Draws from `N(mean, stddev^2)` re-drawing values beyond 2 `stddev`.

    As in Keras and TensorFlow, `stddev` is that of the normal before
    truncation; the values' standard deviation is 0.8796 `stddev`. The
    cut-offs follow the distribution (`mean +- 2 stddev`, Keras's), where
    PyTorch's `trunc_normal_` takes absolute bounds `a`, `b` (default
    -2, 2: the same for `mean=0, stddev=1`).

    >>> layer = keras.layers.Dense(3, kernel_initializer=TruncatedNormal(stddev=0.02))

    Args:
        mean: mean of the distribution.
        stddev: standard deviation before truncation, positive.
        seed: see `RandomInitializer`.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = check_number("mean", mean, self._name())
        self.stddev = check_number("stddev", stddev, self._name(), positive=True)
        super().__init__(seed)

    def generate(self, shape, dtype):
        return keras.random.truncated_normal(
            shape, mean=self.mean, stddev=self.stddev, dtype=dtype,
            seed=self.seed,
        )

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@register
class RandomUniform(RandomInitializer):
    """Draws `W_ij ~ U[minval, maxval)`.

    >>> layer = keras.layers.Dense(3, kernel_initializer=RandomUniform(-0.01, 0.01))

    Args:
        minval: lower bound (inclusive).
        maxval: upper bound (exclusive), greater than `minval`.
        seed: see `RandomInitializer`.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = check_number("minval", minval, self._name())
        self.maxval = check_number("maxval", maxval, self._name())
        if self.maxval <= self.minval:
            raise ValueError(
                f"{self._name()}: `maxval` must be greater than `minval`; "
                f"received minval={minval!r}, maxval={maxval!r}."
            )
        super().__init__(seed)

    def generate(self, shape, dtype):
        return keras.random.uniform(
            shape, minval=self.minval, maxval=self.maxval, dtype=dtype,
            seed=self.seed,
        )

    def get_config(self):
        return {
            "minval": self.minval, "maxval": self.maxval,
            **super().get_config(),
        }

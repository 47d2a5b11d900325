"""What every keras_initact initializer shares: shape and dtype checks, seeds.

`Initializer` checks the requested shape and dtype once, so that each scheme
only implements `generate(shape, dtype)` on arguments it can trust.
`RandomInitializer` adds Keras's seed semantics and `derive`, the documented
way to give several layers distinct but reproducible weights.
"""

import numbers
import random as python_random

import keras

from keras_initact.seeding import derive_seed

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
INTEGER_DTYPES = (
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"
)


def standardize_shape(shape, owner):
    """Returns `shape` as a tuple of positive Python ints, or raises."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(
            f"{owner} expects a shape given as a tuple of positive integers; "
            f"received shape={shape!r}."
        ) from None
    for dim in dims:
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) \
                or dim <= 0:
            raise ValueError(
                f"{owner} cannot fill shape={shape!r}: every dimension must be a "
                f"positive integer, and {dim!r} is not."
            )
    return tuple(int(dim) for dim in dims)


def standardize_dtype(dtype, owner, allowed=FLOAT_DTYPES):
    """Returns the canonical dtype name, or raises `TypeError`."""
    name = keras.backend.standardize_dtype(dtype or keras.backend.floatx())
    if name not in allowed:
        raise TypeError(
            f"{owner} cannot create weights of dtype={name!r}; allowed dtypes: "
            f"{', '.join(allowed)}."
        )
    return name


class Initializer(keras.initializers.Initializer):
    """Base class of keras_initact initializers.

    Subclasses implement `generate(shape, dtype)` and `get_config()`; the
    shape and dtype they receive are already checked: a tuple of positive ints
    and one of `allowed_dtypes` (the floating dtypes unless a subclass says
    otherwise).

    Differs from PyTorch on purpose: a shape with a zero dimension raises a
    `ValueError` (a layer without weights is almost always a bug), where
    `torch.nn.init` warns and does nothing. Keras fills it silently.
    """

    allowed_dtypes = FLOAT_DTYPES

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape, self._name())
        dtype = standardize_dtype(dtype, self._name(), self.allowed_dtypes)
        return self.generate(shape, dtype)

    def generate(self, shape, dtype):
        raise NotImplementedError(
            f"{type(self).__name__} must implement `generate(shape, dtype)`."
        )

    def get_config(self):
        return {}

    def _name(self):
        return type(self).__name__

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class RandomInitializer(Initializer):
    """Base class of the random schemes, with Keras's seed semantics.

    Args:
        seed: `None`, an int or a `keras.random.SeedGenerator`. An int (or
            `None`, which draws an int from Python's `random` module, so that
            `keras.utils.set_random_seed` makes it reproducible) gives the
            same values on every call, exactly as Keras's built-ins do. A
            `SeedGenerator` gives new values on every call.

    One seeded instance passed to several layers gives every layer the same
    matrix. Use `derive(i)` to give layer `i` its own reproducible seed:

    >>> init = HeNormal(seed=7)
    >>> layers = [Dense(64, kernel_initializer=init.derive(i)) for i in range(3)]
    """

    def __init__(self, seed=None):
        self._init_seed = seed
        if seed is None:
            seed = python_random.randint(1, 10**9)
        elif isinstance(seed, dict):
            seed = keras.saving.deserialize_keras_object(seed)
        if isinstance(seed, bool) or not isinstance(
            seed, (int, keras.random.SeedGenerator)
        ):
            raise ValueError(
                f"{self._name()}: `seed` must be None, an int or a "
                f"keras.random.SeedGenerator; received seed={seed!r}."
            )
        self.seed = seed

    def derive(self, index):
        """Returns a copy whose seed is derived from this seed and `index`.

        Copies derived with different indices give different values; the same
        seed and index always give the same values.
        """
        config = self.get_config()
        if isinstance(self.seed, keras.random.SeedGenerator):
            base = self.seed.get_config()["seed"]
            config["seed"] = keras.random.SeedGenerator(
                derive_seed(base, index)
            )
        else:
            config["seed"] = derive_seed(self.seed, index)
        return type(self).from_config(config)

    def get_config(self):
        return {"seed": keras.saving.serialize_keras_object(self._init_seed)}

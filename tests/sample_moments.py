"""The initializer tests' shared shapes and checks: a dense and a
convolution kernel shape, a tensor as float64 NumPy, and whether a sample's
mean and variance are within five standard errors of the formula's (a false
alarm about once in a million runs; a wrong fan or factor is off by dozens
of standard errors)."""

import math

import keras
import numpy as np


DENSE = (256, 384)
CONV = (3, 3, 32, 48)


def as_numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(
        keras.ops.cast(tensor, "float64")
    ))


def assert_moments(values, mean, variance, sigmas=5.0):
    """Sample mean and variance within `sigmas` standard errors of the truth."""
    x = as_numpy(values).ravel()
    n = x.size
    centred = x - x.mean()
    sample_var = centred.var()
    fourth = np.mean(centred**4)
    assert abs(x.mean() - mean) <= sigmas * math.sqrt(variance / n), (
        f"mean {x.mean():.3g} vs {mean:.3g}"
    )
    var_se = math.sqrt(max(fourth - sample_var**2, 1e-30) / n)
    assert abs(sample_var - variance) <= sigmas * var_se, (
        f"variance {sample_var:.5g} vs {variance:.5g} (se {var_se:.2g})"
    )

"""The records of the smooth activations, and of the identity."""

import dataclasses
import functools

from keras_initact.math.functions import smooth as F
from keras_initact.math.regions import Region
from keras_initact.math.table.record import NEAR_BOUND, ActivationRecord

LINEAR = ActivationRecord(
    "linear", F.linear, aliases=("identity",), zero_centred=True,
    homogeneous=True, kernel_initializer="glorot_uniform",
)
GELU = ActivationRecord(
    "gelu", F.gelu, smooth=True, reference="Hendrycks & Gimpel 2016",
)
SWISH = ActivationRecord(
    "swish", F.swish, aliases=("silu",), smooth=True,
    reference="Ramachandran et al. 2017",
)
MISH = ActivationRecord("mish", F.mish, smooth=True, reference="Misra 2020")
SOFTPLUS = ActivationRecord(
    "softplus", F.softplus, smooth=True,
    saturated=Region(below=1 - NEAR_BOUND, meaning="y <= 0.01"),
    reference="Dugas et al. 2001",
)
SQUAREPLUS = ActivationRecord(
    "squareplus", F.squareplus, smooth=True,
    # slope y / sqrt(x^2 + 4): 0.01 where y = 0.1
    saturated=Region(below=0.1, meaning="y <= 0.1: slope <= 0.01"),
    reference="Barron 2021",
)
EXPONENTIAL = ActivationRecord(
    "exponential", F.exponential, aliases=("exp",), smooth=True,
    kernel_initializer="glorot_uniform",
    saturated=Region(below=1 - NEAR_BOUND, meaning="y <= 0.01"),
)
LISHT = ActivationRecord(
    "lisht", F.lisht, smooth=True, reference="Roy et al. 2019",
)
SNAKE = ActivationRecord(
    "snake", F.snake, smooth=True, reference="Liu Ziyin et al. 2020",
)

# linear comes first in the table, ahead of every family
RECORDS = (GELU, SWISH, MISH, SOFTPLUS, SQUAREPLUS, EXPONENTIAL, LISHT, SNAKE)


@functools.lru_cache(maxsize=128)
def softplus_variant(beta, threshold):
    """The record of `Softplus(beta, threshold)`: saturated at outputs
    up to `0.01 / beta`, where its slope `1 - exp(-beta y)` is below
    0.01 as the default's is below 0.01, and the gain of what it
    computes."""
    if (beta, threshold) == (1.0, F.SOFTPLUS_THRESHOLD):
        return SOFTPLUS
    unit = functools.partial(F.softplus, beta=beta, threshold=threshold)
    bound = (1 - NEAR_BOUND) / beta
    return dataclasses.replace(
        SOFTPLUS, function=unit,
        saturated=Region(below=bound, meaning=f"y <= {bound:.3g}"),
        gain_nonlinearity=unit, gain_param=None)

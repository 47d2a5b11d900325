"""The records of the sigmoidal activations: bounded, S-shaped."""

import functools

from keras_initact.math.functions import sigmoidal as F
from keras_initact.math.regions import Region
from keras_initact.math.table.record import NEAR_BOUND, ActivationRecord

SIGMOID = ActivationRecord(
    "sigmoid", F.sigmoid, aliases=("logistic",), smooth=True,
    kernel_initializer="glorot_uniform",
    saturated=Region(below=1 - NEAR_BOUND, above=NEAR_BOUND,
                     meaning="within 0.01 of 0 or 1"),
)
TANH = ActivationRecord(
    "tanh", F.tanh, zero_centred=True, smooth=True,
    kernel_initializer="glorot_uniform",
    saturated=Region(below=-NEAR_BOUND, above=NEAR_BOUND,
                     meaning="|y| >= 0.99"),
    reference="LeCun et al., Efficient BackProp, 1998",
)
HARD_SIGMOID = ActivationRecord(
    "hard_sigmoid", F.hard_sigmoid, kernel_initializer="glorot_uniform",
    dead=Region(below=0.0, above=1.0, meaning="output 0 or 1: flat"),
    reference="Courbariaux et al. 2015",
)
HARD_TANH = ActivationRecord(
    "hard_tanh", F.hard_tanh, zero_centred=True,
    kernel_initializer="glorot_uniform",
    dead=Region(below=-1.0, above=1.0, meaning="|y| = 1: clipped"),
    reference="Collobert 2004",
)
LOG_SIGMOID = ActivationRecord(
    "log_sigmoid", F.log_sigmoid, smooth=True,
    kernel_initializer="glorot_uniform",
    saturated=Region(above=-(1 - NEAR_BOUND), meaning="y >= -0.01"),
)
SOFTSIGN = ActivationRecord(
    "softsign", F.softsign, zero_centred=True,
    kernel_initializer="glorot_uniform",
    # slope (1 - |y|)^2: 0.01 at |y| = 0.9, as tanh's and sigmoid's near
    # their bounds; softsign approaches its bounds only polynomially.
    saturated=Region(below=-0.9, above=0.9,
                     meaning="|y| >= 0.9: slope <= 0.01"),
    reference="Bergstra et al. 2009",
)
SPARSE_SIGMOID = ActivationRecord(
    "sparse_sigmoid", F.sparse_sigmoid, kernel_initializer="glorot_uniform",
    dead=Region(below=0.0, above=1.0, meaning="output 0 or 1: flat"),
)

RECORDS = (SIGMOID, TANH, HARD_SIGMOID, HARD_TANH, LOG_SIGMOID, SOFTSIGN,
           SPARSE_SIGMOID)


@functools.lru_cache(maxsize=128)
def hard_tanh_variant(min_val, max_val):
    """The record of `HardTanh(min_val, max_val)`: dead where clipped,
    zero-centred when its mean output is (as `ActivationRecord.shaped`
    measures it), and the gain of what it computes."""
    if (min_val, max_val) == (-1.0, 1.0):
        return HARD_TANH
    unit = functools.partial(F.hard_tanh, min_val=min_val, max_val=max_val)
    return HARD_TANH.measured(
        unit, dead=Region(below=min_val, above=max_val,
                          meaning=f"y = {min_val:g} or {max_val:g}: clipped"))

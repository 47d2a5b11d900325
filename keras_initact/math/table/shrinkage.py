"""The records of the shrinkage activations: small inputs to (or towards)
zero."""

from keras_initact.math.functions import shrinkage as F
from keras_initact.math.regions import Region
from keras_initact.math.table.record import ActivationRecord

HARD_SHRINK = ActivationRecord(
    "hard_shrink", F.hard_shrink, zero_centred=True, continuous=False,
    kernel_initializer="glorot_uniform",
    dead=Region(within=(0.0, 0.0), meaning="output 0: |input| <= 0.5"),
)
SOFT_SHRINK = ActivationRecord(
    "soft_shrink", F.soft_shrink, zero_centred=True,
    kernel_initializer="glorot_uniform",
    dead=Region(within=(0.0, 0.0), meaning="output 0: |input| <= 0.5"),
)
TANH_SHRINK = ActivationRecord(
    "tanh_shrink", F.tanh_shrink, zero_centred=True, smooth=True,
    kernel_initializer="glorot_uniform",
)

RECORDS = (HARD_SHRINK, SOFT_SHRINK, TANH_SHRINK)

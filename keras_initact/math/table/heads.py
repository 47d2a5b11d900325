"""The records of softmax and its relatives: output heads, normalizing along
an axis (not elementwise)."""

import math

from keras_initact.math.functions import heads as F
from keras_initact.math.regions import Region
from keras_initact.math.table.record import NEAR_BOUND, ActivationRecord


def _head(name, function, top, **facts):
    """An output head: a linear gain (its logits are read, not passed on)
    and saturated where the top output reaches `top`."""
    return ActivationRecord(
        name, function, elementwise=False,
        kernel_initializer="glorot_uniform", gain_nonlinearity="linear",
        saturated=Region(above=top, axis=-1,
                         meaning="top probability >= 0.99"), **facts)


SOFTMAX = _head("softmax", F.softmax, NEAR_BOUND)
LOG_SOFTMAX = _head("log_softmax", F.log_softmax, math.log(NEAR_BOUND))
SOFTMIN = _head("softmin", F.softmin, NEAR_BOUND)
SPARSEMAX = _head("sparsemax", F.sparsemax, NEAR_BOUND,
                  reference="Martins & Astudillo 2016")

RECORDS = (SOFTMAX, LOG_SOFTMAX, SOFTMIN, SPARSEMAX)

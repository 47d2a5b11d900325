"""The records of the rectifiers: identity above a point, something small
below."""

import dataclasses
import functools

from keras_initact.math.functions import rectifiers as F
from keras_initact.math.regions import Region
from keras_initact.math.table.record import NEAR_BOUND, ActivationRecord

RELU = ActivationRecord(
    "relu", F.relu, homogeneous=True,
    dead=Region(below=0.0, meaning="output 0: input below 0"),
    reference="Nair & Hinton 2010",
)
LEAKY_RELU = ActivationRecord(
    "leaky_relu", F.leaky_relu, aliases=("lrelu",), homogeneous=True,
    # the gain of its own default slope, not calculate_gain's default
    gain_nonlinearity="leaky_relu", gain_param=F.LEAKY_RELU_SLOPE,
    reference="Maas et al. 2013",
)
PRELU = ActivationRecord(
    "prelu", F.prelu, learned_parameters={"alpha": 0.0}, homogeneous=True,
    gain_nonlinearity="leaky_relu", gain_param=0.0,
    reference="He et al. 2015",
)
RRELU = ActivationRecord(
    "rrelu", F.rrelu, homogeneous=True, gain_nonlinearity="leaky_relu",
    gain_param=(F.RRELU_LOWER + F.RRELU_UPPER) / 2.0,
    reference="Xu et al. 2015",
)
RELU6 = ActivationRecord(
    "relu6", F.relu6,
    dead=Region(below=0.0, above=6.0, meaning="output 0 or 6: flat"),
    reference="Krizhevsky 2010",
)
THRESHOLD = ActivationRecord(
    "threshold", F.threshold, homogeneous=True,
    dead=Region(below=0.0, meaning="output 0: input at or below 0"),
    reference="PyTorch's Threshold; Keras's threshold",
)
SQUARED_RELU = ActivationRecord(
    "squared_relu", F.squared_relu, aliases=("relu_squared", "relu2"),
    dead=Region(below=0.0, meaning="output 0: input below 0"),
    reference="So et al. 2021 (Primer)",
)
HARD_SWISH = ActivationRecord(
    "hard_swish", F.hard_swish, aliases=("hard_silu",),
    dead=Region(within=(0.0, 0.0), meaning="output 0: input at or below -3"),
    reference="Howard et al. 2019",
)
SPARSE_PLUS = ActivationRecord(
    "sparse_plus", F.sparse_plus,
    dead=Region(below=0.0, meaning="output 0: input at or below -1"),
)
ELU = ActivationRecord(
    "elu", F.elu,
    saturated=Region(below=-NEAR_BOUND, meaning="y <= -0.99 (alpha = 1)"),
    reference="Clevert et al. 2016",
)
CELU = ActivationRecord(
    "celu", F.celu,
    saturated=Region(below=-NEAR_BOUND, meaning="y <= -0.99 (alpha = 1)"),
    reference="Barron 2017",
)
SELU = ActivationRecord(
    "selu", F.selu, zero_centred=True, kernel_initializer="lecun_normal",
    saturated=Region(below=-NEAR_BOUND * F.SELU_SCALE * F.SELU_ALPHA,
                     meaning="y <= -0.99 * scale * alpha"),
    reference="Klambauer et al. 2017",
)

RECORDS = (RELU, LEAKY_RELU, PRELU, RRELU, RELU6, THRESHOLD, SQUARED_RELU,
           HARD_SWISH, SPARSE_PLUS, ELU, CELU, SELU)


@functools.lru_cache(maxsize=128)
def relu_variant(negative_slope, max_value, threshold):
    """The record of `ReLU(max_value, negative_slope, threshold)`: ReLU's,
    leaky ReLU's (with its slope's gain) or ReLU6's when it is one of them;
    otherwise ReLU's, dead where it outputs 0 or its cap."""
    negative_slope = float(negative_slope or 0.0)
    threshold = float(threshold or 0.0)
    if max_value is None and threshold == 0.0:
        if negative_slope == 0.0:
            return RELU
        if negative_slope == LEAKY_RELU.gain_param:
            return LEAKY_RELU
        return dataclasses.replace(LEAKY_RELU, gain_param=negative_slope)
    if (max_value is not None and float(max_value) == 6.0
            and negative_slope == 0.0 and threshold == 0.0):
        return RELU6
    cap = None if max_value is None else float(max_value)
    bottom = (Region(below=0.0, meaning=f"output 0: input at or below "
                     f"{threshold:g}") if negative_slope == 0.0 else None)
    if cap is not None:
        top = Region(above=cap, meaning=f"output {cap:g}: capped")
        dead = top if bottom is None else Region(
            below=0.0, above=cap,
            meaning=f"output 0 or {cap:g}: below the threshold or capped")
    else:
        dead = bottom
    return dataclasses.replace(
        RELU, homogeneous=(cap is None and threshold == 0.0), dead=dead,
        gain_nonlinearity="leaky_relu", gain_param=negative_slope)


@functools.lru_cache(maxsize=128)
def threshold_variant(threshold, value):
    """The record of `Threshold(threshold, value)`: with the defaults
    (ReLU) the record itself; otherwise a unit that jumps unless
    `value == threshold`, and dead where it outputs `value`."""
    if threshold == 0.0 and value == 0.0:
        return THRESHOLD
    return dataclasses.replace(
        THRESHOLD, homogeneous=False, continuous=(value == threshold),
        dead=Region(within=(value, value), meaning=f"output {value:g}: "
                    f"input at or below {threshold:g}"))

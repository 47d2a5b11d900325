"""The records of the gated units, `a * gate(b)` for the halves of `x`:
not elementwise, each with its elementwise gate."""

from keras_initact.math.functions import gated as F
from keras_initact.math.functions import rectifiers, sigmoidal, smooth
from keras_initact.math.regions import Region
from keras_initact.math.table.record import ActivationRecord

GLU = ActivationRecord(
    "glu", F.glu, elementwise=False, gate=sigmoidal.sigmoid,
    kernel_initializer="glorot_uniform", reference="Dauphin et al. 2017",
)
SWIGLU = ActivationRecord(
    "swiglu", F.swiglu, elementwise=False, gate=smooth.swish,
    reference="Shazeer 2020",
)
GEGLU = ActivationRecord(
    "geglu", F.geglu, elementwise=False, gate=smooth.gelu,
    reference="Shazeer 2020",
)
REGLU = ActivationRecord(
    "reglu", F.reglu, elementwise=False, gate=rectifiers.relu,
    dead=Region(within=(0.0, 0.0), meaning="output 0: gate input below 0"),
    reference="Shazeer 2020",
)

RECORDS = (GLU, SWIGLU, GEGLU, REGLU)

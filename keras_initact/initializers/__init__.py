"""Weight initializers: every scheme a Keras `Initializer`, serializable.

| module              | schemes                                                     |
|---------------------|-------------------------------------------------------------|
| `constant`          | Zeros, Ones, Constant                                       |
| `random`            | RandomNormal, RandomUniform, TruncatedNormal                |
| `sparse`            | Sparse (PyTorch's sparse_)                                  |
| `variance_scaling`  | VarianceScaling, Glorot/Xavier, He/Kaiming, LeCun           |
| `orthogonal`        | Orthogonal, DeltaOrthogonal                                 |
| `identity`          | Identity (Dirac for convolutions)                           |
| `sinusoidal`        | Sinusoidal                                                  |
| `zer_o`             | ZerO                                                        |
| `pretrained`        | Pretrained                                                  |
| `critical`          | Critical (edge of chaos, from `keras_initact.math.mean_field`) |
| `fans`              | compute_fans (`calculate_gain` is `keras_initact.math.gains`'s) |
"""

from keras_initact.initializers.base import Initializer, RandomInitializer
from keras_initact.initializers.constant import Constant, Ones, Zeros
from keras_initact.initializers.critical import Critical
from keras_initact.initializers.fans import KERNEL_LAYOUTS, compute_fans
from keras_initact.math.gains import calculate_gain
from keras_initact.initializers.identity import Dirac, Identity
from keras_initact.initializers.lookup import ALIASES, get, names
from keras_initact.initializers.orthogonal import (
    DeltaOrthogonal, Orthogonal, random_orthogonal,
)
from keras_initact.initializers.pretrained import Pretrained
from keras_initact.initializers.random import (
    RandomNormal, RandomUniform, TruncatedNormal,
)
from keras_initact.initializers.sinusoidal import Sinusoidal
from keras_initact.initializers.sparse import Sparse
from keras_initact.initializers.variance_scaling import (
    GlorotNormal, GlorotUniform, HeNormal, HeUniform, KaimingNormal,
    KaimingUniform, LecunNormal, LecunUniform, VarianceScaling, XavierNormal,
    XavierUniform,
)
from keras_initact.initializers.zer_o import ZerO

__all__ = [
    "ALIASES", "Constant", "Critical", "DeltaOrthogonal", "Dirac", "GlorotNormal",
    "GlorotUniform", "HeNormal", "HeUniform", "Identity", "Initializer",
    "KERNEL_LAYOUTS", "KaimingNormal", "KaimingUniform", "LecunNormal",
    "LecunUniform", "Ones", "Orthogonal", "Pretrained", "RandomInitializer",
    "RandomNormal", "RandomUniform", "Sinusoidal", "Sparse", "TruncatedNormal",
    "VarianceScaling", "XavierNormal", "XavierUniform", "ZerO", "Zeros",
    "calculate_gain", "compute_fans", "get", "names", "random_orthogonal",
]

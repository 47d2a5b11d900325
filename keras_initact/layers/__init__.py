"""Activation layers: every keras_initact activation as a Keras layer, and
the residual connections of deep networks.

    from keras_initact.layers import Mish
    model = keras.Sequential([keras.layers.Dense(64), Mish()])

| module       | layers                                                          |
|--------------|-----------------------------------------------------------------|
| `sigmoidal`  | Sigmoid, Tanh, HardSigmoid, HardTanh, LogSigmoid, Softsign, SparseSigmoid |
| `rectifiers` | ReLU, LeakyReLU, PReLU, RReLU, ELU, SELU, CELU, ReLU6, Threshold, SquaredReLU, HardSwish, SparsePlus |
| `smooth`     | GELU, Swish (SiLU), Mish, Softplus, LiSHT, Snake, Exponential, Squareplus |
| `shrinkage`  | HardShrink, SoftShrink, TanhShrink                              |
| `gated`      | GLU, SwiGLU, GEGLU, ReGLU (halve the last axis)                 |
| `softmax`    | Softmax, LogSoftmax, Softmin, Sparsemax (output heads)          |
| `shaped`     | ShapedActivation: any elementwise one, DKS/TAT-shaped           |
| `residual`   | ResidualScale (SkipInit, ReZero), DeepNormResidual, deepnorm_constants: residual connections, not activations |

Each is registered as `"keras_initact>ClassName"`, passes masks through,
computes in the layer's compute dtype (mixed precision) and keeps learned
parameters (PReLU, trainable Swish and Snake) as float32 weights. Each
class names its record in the table of activations (`record`, from
`keras_initact.math.table`) and reports the record of a configured layer
(`activation_record(config)`), which `keras_initact.activations.identify`
reads. The residual layers are not activations: they have no record.
"""

from keras_initact.layers.base import ActivationLayer
from keras_initact.layers.gated import GEGLU, GLU, GatedUnit, ReGLU, SwiGLU
from keras_initact.layers.rectifiers import (
    CELU, ELU, SELU, HardSwish, LeakyReLU, PReLU, ReLU, ReLU6, RReLU,
    SparsePlus, SquaredReLU, Threshold,
)
from keras_initact.layers.residual import (
    DeepNormConstants, DeepNormResidual, ResidualScale, deepnorm_constants,
)
from keras_initact.layers.shaped import ShapedActivation
from keras_initact.layers.shrinkage import HardShrink, SoftShrink, TanhShrink
from keras_initact.layers.sigmoidal import (
    HardSigmoid, HardTanh, LogSigmoid, Sigmoid, Softsign, SparseSigmoid, Tanh,
)
from keras_initact.layers.smooth import (
    GELU, Exponential, LiSHT, Mish, Snake, Softplus, Squareplus, Swish,
)
from keras_initact.layers.softmax import LogSoftmax, Softmax, Softmin, Sparsemax

SiLU = Swish
HardSiLU = HardSwish
Hardtanh = HardTanh  # PyTorch's spelling

__all__ = [
    "ActivationLayer", "CELU", "DeepNormConstants", "DeepNormResidual",
    "ELU", "Exponential", "GEGLU", "GELU", "GLU",
    "GatedUnit", "HardShrink", "HardSiLU", "HardSigmoid", "HardSwish",
    "HardTanh", "Hardtanh", "LeakyReLU", "LiSHT", "LogSigmoid", "LogSoftmax", "Mish",
    "PReLU", "RReLU", "ReGLU", "ReLU", "ReLU6", "ResidualScale", "SELU",
    "ShapedActivation",
    "SiLU", "Sigmoid", "Snake", "SoftShrink", "Softmax", "Softmin",
    "Softplus", "Softsign", "SparsePlus", "SparseSigmoid", "Sparsemax",
    "SquaredReLU", "Squareplus", "SwiGLU", "Tanh", "TanhShrink", "Threshold",
    "deepnorm_constants",
]

"""Activation layers: every keras_initact activation as a Keras layer.

    from keras_initact.layers import Mish
    model = keras.Sequential([keras.layers.Dense(64), Mish()])

| module       | layers                                                  |
|--------------|---------------------------------------------------------|
| `sigmoidal`  | Sigmoid, Tanh                                           |
| `rectifiers` | ReLU, LeakyReLU, PReLU, RReLU, ELU, SELU                |
| `smooth`     | GELU, Swish (SiLU), Mish, Softplus, LiSHT, Snake        |
| `softmax`    | Softmax                                                 |
| `shaped`     | ShapedActivation: any elementwise one, DKS/TAT-shaped   |

Each is registered as `"keras_initact>ClassName"`, passes masks through,
computes in the layer's compute dtype (mixed precision) and keeps learned
parameters (PReLU, trainable Swish and Snake) as float32 weights.
"""

# The registry in `keras_initact.activations` refers to these classes, so it
# is imported first; it imports the layer modules below itself.
import keras_initact.activations  # noqa: F401  isort: skip
from keras_initact.layers.base import ActivationLayer
from keras_initact.layers.rectifiers import (
    ELU, PReLU, ReLU, LeakyReLU, RReLU, SELU,
)
from keras_initact.layers.shaped import ShapedActivation
from keras_initact.layers.sigmoidal import Sigmoid, Tanh
from keras_initact.layers.smooth import (
    GELU, LiSHT, Mish, Snake, Softplus, Swish,
)
from keras_initact.layers.softmax import Softmax

SiLU = Swish

__all__ = [
    "ActivationLayer", "ELU", "GELU", "LeakyReLU", "LiSHT", "Mish", "PReLU",
    "ReLU", "RReLU", "SELU", "ShapedActivation", "SiLU", "Sigmoid", "Snake",
    "Softmax",
    "Softplus", "Swish", "Tanh",
]

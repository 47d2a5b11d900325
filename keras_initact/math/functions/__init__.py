"""The activations as plain functions of a tensor, written with `keras.ops`.

One module per family, as in `keras_initact.layers`: `sigmoidal`,
`rectifiers`, `smooth`, `shrinkage`, `gated` and `heads` (softmax and its
relatives, `keras_initact.layers.softmax`'s); `shaped` holds
DKS's and TAT's transformed unit. What is known of each function (its
names, whether it is elementwise, its gate, what its layer learns) is its
record in `keras_initact.math.table`, the one table of activations.

Each function is registered as `"keras_initact>NAME"`, so that a Keras layer
holding it (`Dense(64, activation=mish)`) serializes and loads back, and
`keras.activations.get("keras_initact>mish")` finds it once
`keras_initact.activations` is imported.

Defaults match the layers in `keras_initact.layers`: a function called with
its defaults computes what the layer computes when first built, in inference
mode.

    >>> from keras_initact.math import functions
    >>> functions.mish(np.array([-1.0, 0.0, 1.0]))  # [-0.3034, 0.0, 0.8651]
"""

from keras_initact.math.functions.gated import geglu, glu, reglu, swiglu
from keras_initact.math.functions.rectifiers import (
    LEAKY_RELU_SLOPE, RRELU_LOWER, RRELU_UPPER, SELU_ALPHA, SELU_SCALE, celu,
    check_relu_options, elu, hard_swish, leaky_relu, prelu, relu, relu6,
    rrelu, selu, sparse_plus, squared_relu, threshold,
)
from keras_initact.math.functions.shaped import shaped_unit
from keras_initact.math.functions.shrinkage import (
    hard_shrink, soft_shrink, tanh_shrink,
)
from keras_initact.math.functions.sigmoidal import (
    check_hard_tanh_bounds, hard_sigmoid, hard_tanh, log_sigmoid, sigmoid,
    softsign, sparse_sigmoid, tanh,
)
from keras_initact.math.functions.smooth import (
    SOFTPLUS_THRESHOLD, exponential, gelu, linear, lisht, mish, snake,
    softplus, squareplus, swish,
)
from keras_initact.math.functions.heads import (
    log_softmax, softmax, softmin, sparsemax,
)

__all__ = [
    "LEAKY_RELU_SLOPE", "RRELU_LOWER", "RRELU_UPPER", "SELU_ALPHA",
    "SELU_SCALE", "SOFTPLUS_THRESHOLD", "celu", "check_hard_tanh_bounds",
    "check_relu_options", "elu", "exponential", "geglu", "gelu", "glu",
    "hard_shrink", "hard_sigmoid", "hard_swish", "hard_tanh", "leaky_relu",
    "linear", "lisht", "log_sigmoid", "log_softmax", "mish", "prelu", "reglu",
    "relu", "relu6", "rrelu", "selu", "shaped_unit", "sigmoid", "snake",
    "soft_shrink", "softmax", "softmin", "softplus", "softsign",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "squared_relu",
    "squareplus", "swiglu", "swish", "tanh", "tanh_shrink", "threshold",
]

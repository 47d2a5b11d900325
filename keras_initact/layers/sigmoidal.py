"""Sigmoidal activations: bounded, S-shaped, saturating at both ends."""

from keras_initact.math import functions
from keras_initact.serialization import register
from keras_initact.math.table import sigmoidal as records
from keras_initact.layers.base import ActivationLayer


@register
class Sigmoid(ActivationLayer):
    """Logistic sigmoid layer, `f(x) = 1 / (1 + exp(-x))`.

    Outputs lie in (0, 1); they saturate (gradient near 0) for |x| > ~5.

    >>> layer = Sigmoid()
    >>> layer(np.array([-1.0, 0.0, 1.0]))  # [0.2689, 0.5, 0.7311]

    Reference: Rumelhart, Hinton & Williams, "Learning representations by
    back-propagating errors", Nature 1986.
    """

    record = records.SIGMOID

    def call(self, inputs):
        return functions.sigmoid(inputs)


@register
class Tanh(ActivationLayer):
    """Hyperbolic tangent layer, `f(x) = tanh(x)`.

    Outputs lie in (-1, 1), are zero-centred, and saturate for |x| > ~3.

    >>> layer = Tanh()
    >>> layer(np.array([-1.0, 0.0, 1.0]))  # [-0.7616, 0.0, 0.7616]

    Reference: LeCun et al., "Efficient BackProp", 1998.
    """

    record = records.TANH

    def call(self, inputs):
        return functions.tanh(inputs)


@register
class HardSigmoid(ActivationLayer):
    """Piecewise-linear sigmoid layer, `f(x) = relu6(x + 3) / 6`.

    0 below -3, 1 above 3, `x / 6 + 0.5` between (Keras's `hard_sigmoid`,
    PyTorch's `Hardsigmoid`); the flat parts have gradient 0.

    >>> HardSigmoid()(np.array([-4.0, 0.0, 1.5]))  # [0.0, 0.5, 0.75]

    Reference: Courbariaux et al., "BinaryConnect", NeurIPS 2015.
    """

    record = records.HARD_SIGMOID

    def call(self, inputs):
        return functions.hard_sigmoid(inputs)


@register
class HardTanh(ActivationLayer):
    """Hard tanh layer, `f(x) = clip(x, min_val, max_val)`, with PyTorch's
    `Hardtanh` arguments (the defaults are Keras's `hard_tanh`).

    >>> HardTanh()(np.array([-2.0, 0.5, 3.0]))  # [-1.0, 0.5, 1.0]
    >>> HardTanh(min_val=-2.0, max_val=3.0)(np.array([-4.0, 4.0]))  # [-2, 3]

    Args:
        min_val: the lower bound, a finite number (default -1).
        max_val: the upper bound, a finite number larger than `min_val`
            (default 1).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Collobert, "Large Scale Machine Learning", 2004.
    """

    record = records.HARD_TANH

    def __init__(self, min_val=-1.0, max_val=1.0, **kwargs):
        super().__init__(**kwargs)
        self.min_val, self.max_val = functions.check_hard_tanh_bounds(
            min_val, max_val, type(self).__name__)
        self._finish_init()

    @classmethod
    def activation_record(cls, config):
        return records.hard_tanh_variant(config["min_val"], config["max_val"])

    def call(self, inputs):
        return functions.hard_tanh(inputs, self.min_val, self.max_val)

    def get_config(self):
        return {**super().get_config(), "min_val": self.min_val,
                "max_val": self.max_val}


@register
class LogSigmoid(ActivationLayer):
    """Log-sigmoid layer, `f(x) = log(1 / (1 + exp(-x)))`, computed stably.

    >>> LogSigmoid()(np.array([-1.0, 0.0, 1.0]))  # [-1.3133, -0.6931, -0.3133]
    """

    record = records.LOG_SIGMOID

    def call(self, inputs):
        return functions.log_sigmoid(inputs)


@register
class Softsign(ActivationLayer):
    """Softsign layer, `f(x) = x / (1 + |x|)`: tanh's shape, polynomial tails.

    >>> Softsign()(np.array([-1.0, 0.0, 3.0]))  # [-0.5, 0.0, 0.75]

    Reference: Bergstra et al., "Quadratic polynomials learn better image
    features", 2009.
    """

    record = records.SOFTSIGN

    def call(self, inputs):
        return functions.softsign(inputs)


@register
class SparseSigmoid(ActivationLayer):
    """Piecewise-linear sigmoid layer: 0 below -1, `(x + 1) / 2` on [-1, 1],
    1 above 1 (Keras's `sparse_sigmoid`).

    >>> SparseSigmoid()(np.array([-2.0, 0.0, 0.5]))  # [0.0, 0.5, 0.75]
    """

    record = records.SPARSE_SIGMOID

    def call(self, inputs):
        return functions.sparse_sigmoid(inputs)

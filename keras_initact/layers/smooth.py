"""Smooth activations: GELU, Swish/SiLU, Mish, Softplus, LiSHT and Snake."""

from keras import ops

from keras_initact.math import functions
from keras_initact.checks import check_bool, check_frequency, check_number
from keras_initact.serialization import register
from keras_initact.math.table import smooth as records
from keras_initact.layers.base import ActivationLayer

# A learned Snake frequency is kept at least this large (it divides).
MIN_FREQUENCY = 1e-7


@register
class GELU(ActivationLayer):
    """Gaussian error linear unit layer, `f(x) = x * Phi(x)`.

    `Phi` is the standard normal CDF. With `approximate=True`:
    `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`.

    >>> layer = GELU()
    >>> layer(np.array([-1.0, 0.0, 1.0]))  # [-0.1587, 0.0, 0.8413]

    Args:
        approximate: use the tanh approximation (default `False`, the exact
            form, as Keras's `gelu` function and PyTorch's `GELU` default).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)",
    2016.
    """

    record = records.GELU

    def __init__(self, approximate=False, **kwargs):
        super().__init__(**kwargs)
        self.approximate = check_bool(
            "approximate", approximate, type(self).__name__
        )
        self._finish_init()

    def call(self, inputs):
        return functions.gelu(inputs, approximate=self.approximate)

    def get_config(self):
        return {**super().get_config(), "approximate": self.approximate}


@register
class Swish(ActivationLayer):
    """Swish layer, `f(x) = x * sigmoid(beta * x)`; `beta = 1` is SiLU.

    `beta` is fixed, or with `trainable_beta=True` learned, one per channel
    (last axis), starting from `beta`. `beta -> inf` tends to ReLU,
    `beta = 0` gives `x / 2`.

    >>> layer = Swish(beta=1.0, trainable_beta=True)
    >>> y = layer(np.zeros((4, 16)))

    Args:
        beta: the (initial) slope of the gate, a finite number (default 1).
        trainable_beta: learn `beta` per channel (default `False`).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Ramachandran, Zoph & Le, "Searching for Activation
    Functions", 2017; Elfwing et al., "Sigmoid-Weighted Linear Units", 2018.
    """

    record = records.SWISH

    def __init__(self, beta=1.0, trainable_beta=False, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.beta = check_number("beta", beta, owner)
        self.trainable_beta = check_bool(
            "trainable_beta", trainable_beta, owner
        )
        self.beta_weight = None
        self._finish_init()

    @property
    def weights_need_input_shape(self):
        return self.trainable_beta

    def build(self, input_shape):
        if self.trainable_beta:
            self.beta_weight = self.add_channel_weight(
                input_shape, "beta", self.beta, "trainable_beta"
            )

    def call(self, inputs):
        if self.beta_weight is None:
            return functions.swish(inputs, beta=self.beta)
        return functions.swish(
            inputs, ops.cast(self.beta_weight, inputs.dtype)
        )

    def get_config(self):
        return {
            **super().get_config(),
            "beta": self.beta,
            "trainable_beta": self.trainable_beta,
        }


@register
class Mish(ActivationLayer):
    """Mish layer, `f(x) = x * tanh(softplus(x))`.

    >>> layer = Mish()
    >>> layer(np.array([-1.0, 0.0, 1.0]))  # [-0.3034, 0.0, 0.8651]

    Reference: Misra, "Mish: A Self Regularized Non-Monotonic Activation
    Function", BMVC 2020.
    """

    record = records.MISH

    def call(self, inputs):
        return functions.mish(inputs)


@register
class Softplus(ActivationLayer):
    """Softplus layer, a smooth ReLU, with PyTorch's `Softplus` arguments.

    ```
    f(x) = log(1 + exp(beta * x)) / beta   if beta * x <= threshold
    f(x) = x                               otherwise
    ```

    The defaults (`beta=1`, `threshold=20`, PyTorch's) give
    `log(1 + exp(x))` to float32 rounding.

    >>> layer = Softplus(beta=2.0, threshold=10.0)
    >>> layer(np.array([-1.0, 0.0, 6.0]))  # [0.0635, 0.3466, 6.0]

    Args:
        beta: the sharpness, > 0 (default 1); larger is closer to ReLU.
        threshold: a finite number (default 20); where `beta * x` exceeds
            it the unit is the identity.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Dugas et al., "Incorporating Second-Order Functional Knowledge
    for Better Option Pricing", NeurIPS 2001.
    """

    record = records.SOFTPLUS

    def __init__(self, beta=1.0, threshold=functions.SOFTPLUS_THRESHOLD,
                 **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.beta = check_number("beta", beta, owner, positive=True)
        self.threshold = check_number("threshold", threshold, owner)
        self._finish_init()

    @classmethod
    def activation_record(cls, config):
        return records.softplus_variant(config["beta"], config["threshold"])

    def call(self, inputs):
        return functions.softplus(inputs, beta=self.beta,
                                  threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "beta": self.beta,
                "threshold": self.threshold}


@register
class LiSHT(ActivationLayer):
    """Linearly scaled hyperbolic tangent layer, `f(x) = x * tanh(x)`.

    Even and non-negative: `f(-x) = f(x) >= 0`.

    >>> layer = LiSHT()
    >>> layer(np.array([-1.0, 0.0, 1.0]))  # [0.7616, 0.0, 0.7616]

    Reference: Roy et al., "LiSHT: Non-Parametric Linearly Scaled
    Hyperbolic Tangent Activation Function for Neural Networks", 2019.
    """

    record = records.LISHT

    def call(self, inputs):
        return functions.lisht(inputs)


@register
class Snake(ActivationLayer):
    """Snake layer, `f(x) = x + sin(a x)^2 / a` with frequency `a > 0`.

    Monotone-ish and periodic around the identity, so that networks can
    extrapolate periodic functions. With `trainable_frequency=True`, `a` is
    learned per channel (last axis), starting from `frequency`, and kept
    >= 1e-7 in the computation.

    >>> layer = Snake(frequency=2.0)
    >>> layer(np.array([-1.0, 0.0, 1.0]))  # [-0.5866, 0.0, 1.4134]

    Args:
        frequency: the (initial) frequency `a`, > 0 (default 1).
        trainable_frequency: learn `a` per channel (default `False`).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Liu Ziyin, Hartwig & Ueda, "Neural Networks Fail to Learn
    Periodic Functions and How to Fix It", NeurIPS 2020.
    """

    record = records.SNAKE

    def __init__(self, frequency=1.0, trainable_frequency=False, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.frequency = check_frequency(frequency, owner)
        self.trainable_frequency = check_bool(
            "trainable_frequency", trainable_frequency, owner
        )
        self.frequency_weight = None
        self._finish_init()

    @property
    def weights_need_input_shape(self):
        return self.trainable_frequency

    def build(self, input_shape):
        if self.trainable_frequency:
            self.frequency_weight = self.add_channel_weight(
                input_shape, "frequency", self.frequency, "trainable_frequency"
            )

    def call(self, inputs):
        if self.frequency_weight is None:
            return functions.snake(inputs, self.frequency)
        frequency = ops.maximum(self.frequency_weight, MIN_FREQUENCY)
        return functions.snake(inputs, ops.cast(frequency, inputs.dtype))

    def get_config(self):
        return {
            **super().get_config(),
            "frequency": self.frequency,
            "trainable_frequency": self.trainable_frequency,
        }


@register
class Exponential(ActivationLayer):
    """Exponential layer, `f(x) = exp(x)`.

    >>> Exponential()(np.array([0.0, 1.0]))  # [1.0, 2.7183]
    """

    record = records.EXPONENTIAL

    def call(self, inputs):
        return functions.exponential(inputs)


@register
class Squareplus(ActivationLayer):
    """Squareplus layer, `f(x) = (x + sqrt(x^2 + b)) / 2`: a smooth ReLU made
    of algebraic functions (Keras's `squareplus`).

    >>> Squareplus()(np.array([-1.0, 0.0, 1.0]))  # [0.618, 1.0, 1.618]

    Args:
        b: the curvature near 0, >= 0 (default 4; 0 gives ReLU).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Barron, "Squareplus: A Softplus-Like Algebraic Rectifier",
    2021.
    """

    record = records.SQUAREPLUS

    def __init__(self, b=4.0, **kwargs):
        super().__init__(**kwargs)
        self.b = float(check_number("b", b, type(self).__name__,
                                    non_negative=True))
        self._finish_init()

    def call(self, inputs):
        return functions.squareplus(inputs, b=self.b)

    def get_config(self):
        return {**super().get_config(), "b": self.b}

"""Rectifiers: identity for positive inputs, something small for negative ones.

Where Keras has a layer of the same name (ReLU, LeakyReLU, PReLU, ELU), the
arguments and defaults are Keras's, so that ours is a drop-in replacement.
"""

import keras

from keras_initact import initializers
from keras_initact.math import functions
from keras_initact.checks import (
    check_axes, check_axes_in_rank, check_int, check_number,
    check_rrelu_range, check_slope,
)
from keras_initact.serialization import register
from keras_initact.math.table import rectifiers as records
from keras_initact.layers.base import ActivationLayer


@register
class ReLU(ActivationLayer):
    """Rectified linear unit layer, with Keras's `ReLU` options.

    ```
    f(x) = max_value                         if x >= max_value
    f(x) = x                                 if threshold < x < max_value
    f(x) = negative_slope * (x - threshold)  otherwise
    ```

    The arguments and their ranges are Keras's `ReLU`'s, with one more rule
    that the definition needs: `max_value` is at least `threshold` (below
    it, the first and the last case would overlap; Keras's layer accepts it
    and outputs 0 up to the threshold, then `max_value`).

    >>> layer = ReLU(max_value=6.0)
    >>> layer(np.array([-1.0, 3.0, 9.0]))  # [0.0, 3.0, 6.0]

    Args:
        max_value: upper clip, >= `threshold` (and so >= 0), or `None`
            (default) for none.
        negative_slope: slope below `threshold`, >= 0 (default 0).
        threshold: where the unit switches on, >= 0 (default 0).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Nair & Hinton, "Rectified Linear Units Improve Restricted
    Boltzmann Machines", ICML 2010.
    """

    record = records.RELU

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0,
                 **kwargs):
        super().__init__(**kwargs)
        self.negative_slope, self.max_value, self.threshold = (
            functions.check_relu_options(negative_slope, max_value, threshold,
                                         type(self).__name__))
        self._finish_init()

    @classmethod
    def activation_record(cls, config):
        return records.relu_variant(
            config["negative_slope"], config["max_value"], config["threshold"])

    def call(self, inputs):
        return functions.relu(
            inputs, negative_slope=self.negative_slope,
            max_value=self.max_value, threshold=self.threshold,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


@register
class LeakyReLU(ActivationLayer):
    """Leaky ReLU layer, `f(x) = x if x >= 0 else negative_slope * x`.

    The default slope is 0.3 (`functions.LEAKY_RELU_SLOPE`), as in Keras's
    `LeakyReLU` layer, so that this layer is a drop-in for it. Beware:
    Keras's `leaky_relu` *function* defaults to 0.2 and PyTorch's
    `LeakyReLU` to 0.01 (pass `negative_slope=0.01` to reproduce a PyTorch
    model), as does `calculate_gain("leaky_relu")`, which mirrors PyTorch.

    >>> layer = LeakyReLU(negative_slope=0.1)
    >>> layer(np.array([-10.0, 0.0, 5.0]))  # [-1.0, 0.0, 5.0]

    Args:
        negative_slope: slope for negative inputs, >= 0 (default 0.3).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Maas, Hannun & Ng, "Rectifier Nonlinearities Improve Neural
    Network Acoustic Models", ICML 2013.
    """

    record = records.LEAKY_RELU

    def __init__(self, negative_slope=functions.LEAKY_RELU_SLOPE, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = check_slope(
            "negative_slope", negative_slope, type(self).__name__
        )
        self._finish_init()

    @classmethod
    def activation_record(cls, config):
        return records.relu_variant(config["negative_slope"], None, 0.0)

    def call(self, inputs):
        return functions.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


@register
class PReLU(ActivationLayer):
    """Parametric ReLU layer: a leaky ReLU whose slope `alpha` is learned.

    `f(x) = x if x >= 0 else alpha * x`, with one `alpha` per input element
    (batch axis excluded), shared along `shared_axes`.

    `alpha` starts at 0 (`alpha_initializer="zeros"`, Keras's default, so the
    layer starts as a ReLU and is a drop-in for `keras.layers.PReLU`). He et
    al. and PyTorch start from 0.25:
    `PReLU(alpha_initializer=keras.initializers.Constant(0.25))`.

    >>> layer = PReLU(shared_axes=[1, 2])  # one slope per channel of a conv
    >>> y = layer(np.zeros((8, 32, 32, 16)))

    Args:
        alpha_initializer: initializer of `alpha` (default `"zeros"`).
        alpha_regularizer: optional regularizer of `alpha`.
        alpha_constraint: optional constraint on `alpha`.
        shared_axes: axes (an int or a list; 1 is the first non-batch axis,
            negative values count from the end) along which one slope is
            shared. Checked against the input's rank at build.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: He et al., "Delving Deep into Rectifiers: Surpassing
    Human-Level Performance on ImageNet Classification", ICCV 2015.
    """

    record = records.PRELU

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        try:
            self.alpha_initializer = initializers.get(alpha_initializer)
        except ValueError as error:
            raise ValueError(
                f"{owner}: cannot use alpha_initializer={alpha_initializer!r}: "
                f"{error}"
            ) from None
        self.alpha_regularizer = keras.regularizers.get(alpha_regularizer)
        self.alpha_constraint = keras.constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = check_axes("shared_axes", shared_axes, owner)
            if 0 in self.shared_axes:
                raise ValueError(
                    f"{owner}: `shared_axes` cannot contain the batch axis 0; "
                    f"received shared_axes={shared_axes!r}."
                )
        self._finish_init()

    def build(self, input_shape):
        owner = type(self).__name__
        rank = len(input_shape)
        if rank < 2:
            raise ValueError(
                f"{owner} needs inputs of rank >= 2 (batch first); received "
                f"input_shape={tuple(input_shape)}."
            )
        shared = check_axes_in_rank(
            "shared_axes", self.shared_axes or [], rank, owner,
            allow_batch=False,
        )
        param_shape = []
        for axis in range(1, rank):
            if axis in shared:
                param_shape.append(1)
            elif input_shape[axis] is None:
                raise ValueError(
                    f"{owner} learns one slope per element of axis {axis}, "
                    f"whose size is unknown in input_shape="
                    f"{tuple(input_shape)}; share it with `shared_axes`."
                )
            else:
                param_shape.append(int(input_shape[axis]))
        self.alpha = self.add_weight(
            shape=tuple(param_shape), name="alpha",
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        self.input_spec = keras.layers.InputSpec(
            ndim=rank,
            axes={a: input_shape[a] for a in range(1, rank) if a not in shared},
        )

    def call(self, inputs):
        return functions.prelu(inputs, keras.ops.cast(self.alpha, inputs.dtype))

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": keras.initializers.serialize(
                self.alpha_initializer
            ),
            "alpha_regularizer": keras.regularizers.serialize(
                self.alpha_regularizer
            ),
            "alpha_constraint": keras.constraints.serialize(
                self.alpha_constraint
            ),
            "shared_axes": self.shared_axes,
        }


@register
class RReLU(ActivationLayer):
    """Randomized leaky ReLU layer, `f(x) = x if x >= 0 else a * x`.

    In training, `a ~ U[lower, upper]` is drawn anew for every element and
    every call; in inference, `a = (lower + upper) / 2`. The draws come from
    a `keras.random.SeedGenerator` owned by the layer: the same `seed` gives
    the same sequence of draws.

    >>> layer = RReLU(seed=1)
    >>> y = layer(x, training=True)  # random slopes in [1/8, 1/3]

    Args:
        lower: smallest slope, default 1/8.
        upper: largest slope, default 1/3; `0 <= lower <= upper < 1`.
        seed: an integer or `None`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Xu et al., "Empirical Evaluation of Rectified Activations in
    Convolutional Network", 2015.
    """

    record = records.RRELU

    def __init__(self, lower=functions.RRELU_LOWER, upper=functions.RRELU_UPPER,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.lower, self.upper = check_rrelu_range(lower, upper, owner)
        self.seed = None if seed is None else check_int("seed", seed, owner)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self._finish_init()

    def call(self, inputs, training=False):
        return functions.rrelu(
            inputs, self.lower, self.upper, training=bool(training),
            seed=self.seed_generator,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "lower": self.lower,
            "upper": self.upper,
            "seed": self.seed,
        }


@register
class ELU(ActivationLayer):
    """Exponential linear unit layer, `f(x) = x if x > 0 else alpha (exp(x) - 1)`.

    >>> layer = ELU(alpha=1.0)
    >>> layer(np.array([-1.0, 0.0, 2.0]))  # [-0.6321, 0.0, 2.0]

    Args:
        alpha: the negative saturation value's magnitude, >= 0 (default 1).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Clevert, Unterthiner & Hochreiter, "Fast and Accurate Deep
    Network Learning by Exponential Linear Units (ELUs)", ICLR 2016.
    """

    record = records.ELU

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = check_number(
            "alpha", alpha, type(self).__name__, non_negative=True
        )
        self._finish_init()

    def call(self, inputs):
        return functions.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


@register
class SELU(ActivationLayer):
    """Scaled ELU layer, `f(x) = scale * (x if x > 0 else alpha (exp(x) - 1))`.

    `scale ~ 1.0507`, `alpha ~ 1.6733`: with LeCun-normal weights the
    activations keep mean 0 and variance 1 through depth.

    >>> layer = SELU()
    >>> layer(np.array([-1.0, 0.0, 1.0]))  # [-1.1113, 0.0, 1.0507]

    Reference: Klambauer et al., "Self-Normalizing Neural Networks",
    NeurIPS 2017.
    """

    record = records.SELU

    def call(self, inputs):
        return functions.selu(inputs)


@register
class CELU(ActivationLayer):
    """Continuously differentiable ELU layer,
    `f(x) = max(0, x) + min(0, alpha (exp(x / alpha) - 1))`.

    >>> CELU(alpha=1.0)(np.array([-1.0, 0.0, 2.0]))  # [-0.6321, 0.0, 2.0]

    Args:
        alpha: the scale of the negative part, > 0 (default 1).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference: Barron, "Continuously Differentiable Exponential Linear
    Units", 2017.
    """

    record = records.CELU

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = check_number("alpha", alpha, type(self).__name__,
                                  positive=True)
        self._finish_init()

    def call(self, inputs):
        return functions.celu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


@register
class ReLU6(ActivationLayer):
    """ReLU capped at 6, `f(x) = min(max(x, 0), 6)`.

    >>> ReLU6()(np.array([-1.0, 3.0, 9.0]))  # [0.0, 3.0, 6.0]

    Reference: Krizhevsky, "Convolutional Deep Belief Networks on
    CIFAR-10", 2010.
    """

    record = records.RELU6

    def call(self, inputs):
        return functions.relu6(inputs)


@register
class Threshold(ActivationLayer):
    """Threshold layer, `f(x) = x if x > threshold else value` (PyTorch's
    `Threshold`; Keras's `threshold` function). The defaults give ReLU.

    >>> Threshold(threshold=1.0, value=-1.0)(np.array([0.5, 2.0]))  # [-1.0, 2.0]

    Args:
        threshold: where the unit switches on, a finite number (default 0).
        value: the output at or below it, a finite number (default 0).
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    record = records.THRESHOLD

    def __init__(self, threshold=0.0, value=0.0, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.threshold = float(check_number("threshold", threshold, owner))
        self.value = float(check_number("value", value, owner))
        self._finish_init()

    @classmethod
    def activation_record(cls, config):
        return records.threshold_variant(config["threshold"], config["value"])

    def call(self, inputs):
        return functions.threshold(inputs, self.threshold, self.value)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold,
                "value": self.value}


@register
class SquaredReLU(ActivationLayer):
    """Squared ReLU layer, `f(x) = max(x, 0)^2`.

    >>> SquaredReLU()(np.array([-1.0, 0.5, 2.0]))  # [0.0, 0.25, 4.0]

    Reference: So et al., "Primer: Searching for Efficient Transformers for
    Language Modeling", NeurIPS 2021.
    """

    record = records.SQUARED_RELU

    def call(self, inputs):
        return functions.squared_relu(inputs)


@register
class HardSwish(ActivationLayer):
    """Hard swish layer, `f(x) = x * relu6(x + 3) / 6` (Keras's `hard_silu`,
    PyTorch's `Hardswish`). `HardSiLU` is the same class.

    >>> HardSwish()(np.array([-4.0, 0.0, 1.0]))  # [0.0, 0.0, 0.6667]

    Reference: Howard et al., "Searching for MobileNetV3", ICCV 2019.
    """

    record = records.HARD_SWISH

    def call(self, inputs):
        return functions.hard_swish(inputs)


@register
class SparsePlus(ActivationLayer):
    """Sparse-plus layer: 0 below -1, `(x + 1)^2 / 4` on [-1, 1], `x` above 1
    (Keras's `sparse_plus`, a ReLU whose joins are smooth).

    >>> SparsePlus()(np.array([-2.0, 0.0, 2.0]))  # [0.0, 0.25, 2.0]
    """

    record = records.SPARSE_PLUS

    def call(self, inputs):
        return functions.sparse_plus(inputs)

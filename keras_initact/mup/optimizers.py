"""μP's optimizers: Keras's Adam, AdamW and SGD with each variable's
learning rate scaled by the μP table.

Each overrides only Keras's public `update_step(gradient, variable,
learning_rate)`, so they run under `model.fit` on every backend (inside
the compiled step on JAX). The learning rate each variable gets is the
optimizer's (with its schedule) times the μP table's multiplier
(`keras_initact.mup.table`) for the variable's `WidthShape`, from the
`BaseShapes` that `set_base_shapes` recorded. The base shapes are part of
the optimizer's config, so a compiled model saved as `.keras` trains with
the same rates after loading.

Keras applies AdamW's weight decay as `variable -= learning_rate *
weight_decay * variable` with the optimizer's own learning rate, which is
what `mup.MuAdamW` keeps per variable (its `lr / m` times `weight_decay *
m`); it needs no scaling here.
"""

import keras

from keras_initact.mup.shapes import BaseShapes
from keras_initact.serialization import register


class MupOptimizer:
    """What the μP optimizers share: `base_shapes`, read at `build`.

    `learning_rate_rule` is `"adam"` for optimizers that normalize the
    gradient entrywise and `"sgd"` for the others (`mup`'s `MuAdam` and
    `MuSGD`, whose `impl` argument makes any optimizer one of the two).
    """

    learning_rate_rule = "adam"

    def _set_base_shapes(self, base_shapes):
        if isinstance(base_shapes, dict):
            base_shapes = BaseShapes.from_config(base_shapes)
        if not isinstance(base_shapes, BaseShapes):
            raise ValueError(
                f"{type(self).__name__}: `base_shapes` must be what "
                "keras_initact.mup.set_base_shapes(model, base_model) "
                f"returns (or its config); received {base_shapes!r}.")
        self.base_shapes = base_shapes
        self._multipliers = {}

    def build(self, variables):
        shapes = [self.base_shapes.shape_of(v.path) for v in variables]
        missing = [v.path for v, shape in zip(variables, shapes)
                   if shape is None]
        if missing:
            raise ValueError(
                f"{type(self).__name__}: no base shape for "
                f"{missing[:3]}{' ...' if len(missing) > 3 else ''}; pass "
                "the base_shapes that set_base_shapes recorded for the "
                "model this optimizer trains.")
        for variable, shape in zip(variables, shapes):
            if tuple(variable.shape) != shape.shape:
                raise ValueError(
                    f"{type(self).__name__}: the base shapes recorded "
                    f"{variable.path!r} with shape {shape.shape}, but the "
                    f"variable has shape {tuple(variable.shape)}; pass the "
                    "base_shapes that set_base_shapes recorded for the "
                    "model this optimizer trains.")
            multiplier = shape.learning_rate_multiplier(
                self.learning_rate_rule)
            self._multipliers[id(variable)] = multiplier
            if keras.backend.backend() == "tensorflow":
                # TensorFlow's update step receives the tf.Variable.
                self._multipliers[id(variable.value)] = multiplier
        super().build(variables)

    def learning_rate_multiplier(self, variable):
        """The μP multiplier of `variable`'s learning rate."""
        return self._multipliers[id(variable)]

    def update_step(self, gradient, variable, learning_rate):
        multiplier = self._multipliers[id(variable)]
        if multiplier != 1.0:
            learning_rate = learning_rate * multiplier
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(),
                "base_shapes": self.base_shapes.get_config()}


@register
class Adam(MupOptimizer, keras.optimizers.Adam):
    """`keras.optimizers.Adam` with μP's per-variable learning rates:
    hidden weights `lr / m_in`, every other variable `lr` (Tensor
    Programs V's Table 3, as `mup.MuAdam`).

    >>> shapes = keras_initact.mup.set_base_shapes(model, base_model)
    >>> model.compile(optimizer=keras_initact.mup.Adam(1e-3, base_shapes=shapes), loss="mse")

    Args:
        learning_rate: the base model's learning rate (or schedule).
        base_shapes: what `set_base_shapes` returned.
        **kwargs: `keras.optimizers.Adam`'s.
    """

    def __init__(self, learning_rate=0.001, base_shapes=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._set_base_shapes(base_shapes)


@register
class AdamW(MupOptimizer, keras.optimizers.AdamW):
    """`keras.optimizers.AdamW` with μP's per-variable learning rates, as
    `Adam`'s (`mup.MuAdamW`).

    >>> optimizer = keras_initact.mup.AdamW(1e-3, base_shapes=shapes, weight_decay=0.01)
    """

    def __init__(self, learning_rate=0.001, base_shapes=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._set_base_shapes(base_shapes)


@register
class SGD(MupOptimizer, keras.optimizers.SGD):
    """`keras.optimizers.SGD` with μP's per-variable learning rates:
    input weights and biases `lr * m_out`, hidden weights
    `lr * m_out / m_in`, the readout `lr * m_in` (Tensor Programs V's
    Table 3, as `mup.MuSGD`).

    >>> optimizer = keras_initact.mup.SGD(0.1, base_shapes=shapes, momentum=0.9)
    """

    learning_rate_rule = "sgd"

    def __init__(self, learning_rate=0.01, base_shapes=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self._set_base_shapes(base_shapes)

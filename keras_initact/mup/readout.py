"""`MuReadout`: μP's output layer."""

import keras

from keras_initact.checks import check_bool, check_number
from keras_initact.serialization import register


@register
class MuReadout(keras.layers.Dense):
    """A `Dense` output layer with μP's output multiplier:

        y = Dense(x * output_multiplier / width_mult)

    where `width_mult` is the fan-in's width over the base model's
    (`set_base_shapes` sets it). The layer that maps the last width to the
    fixed number of outputs (classes, vocabulary) must be one: without the
    `1/width_mult`, the logits' updates grow with width (Yang et al.,
    Tensor Programs V, 2021; `mup.MuReadout`). It starts at zero by
    default, as `mup` recommends (`readout_zero_init`).

    >>> outputs = keras_initact.mup.MuReadout(10, activation="softmax")(hidden)
    >>> keras_initact.mup.set_base_shapes(model, base_model)   # sets width_mult

    Args:
        units: the number of outputs.
        width_mult: the fan-in's width over the base's (1 at the base).
        output_multiplier: a tunable constant, the same at every width.
        zero_init: start the kernel and bias at zero.
        **kwargs: `keras.layers.Dense`'s (`activation`, `use_bias`, ...).
    """

    def __init__(self, units, width_mult=1.0, output_multiplier=1.0,
                 zero_init=True, **kwargs):
        check_number("width_mult", width_mult, "MuReadout", positive=True)
        check_number("output_multiplier", output_multiplier, "MuReadout")
        check_bool("zero_init", zero_init, "MuReadout")
        if zero_init:
            kwargs.setdefault("kernel_initializer", "zeros")
            kwargs.setdefault("bias_initializer", "zeros")
        super().__init__(units, **kwargs)
        self.width_mult = float(width_mult)
        self.output_multiplier = float(output_multiplier)
        self.zero_init = zero_init

    def call(self, inputs, training=None):
        scale = keras.ops.cast(self.output_multiplier / self.width_mult,
                               inputs.dtype)
        return super().call(inputs * scale, training=training)

    def get_config(self):
        return {**super().get_config(), "width_mult": self.width_mult,
                "output_multiplier": self.output_multiplier,
                "zero_init": self.zero_init}

"""An activation with an affine map on its input and its output."""

import functools

from keras_initact.checks import check_non_zero, check_number
from keras_initact.serialization import register
from keras_initact.layers.base import ActivationLayer
from keras_initact.math.functions import shaped_unit
from keras_initact.math.table import TABLE, unknown_name_message


@register
class ShapedActivation(ActivationLayer):
    """An activation transformed as Deep Kernel Shaping and TAT do:

        f(x) = output_scale * (phi(input_scale * x + input_shift) + output_shift)

    The unit stays in `phi`'s family; the four numbers (fixed, not learned)
    change where and how strongly it bends. `for_activation(...,
    shaping=True)` computes them for a network's depth
    (`keras_initact.deep.shaping.tat_transform`); the factory builds this
    layer from them.

    >>> layer = ShapedActivation("gelu", input_scale=0.075, input_shift=0.33,
    ...                          output_shift=-0.2, output_scale=17.8)
    >>> y = layer(np.zeros((2, 8)))

    Monitors (`LayerStats`, `diagnose`) read it through
    `keras_initact.activations.identify(layer)`: `phi`'s record with its
    dead and saturated regions carried through the output map
    (`activation_record`), so they judge this layer's outputs as `phi`'s.

    Args:
        activation: the name or alias (any spelling, e.g. `"silu"`) of an
            elementwise function of `keras_initact.activations` without
            learned parameters; the config holds its canonical name.
        input_scale: multiplies the input; finite and non-zero (default 1).
        input_shift: added to the scaled input; finite (default 0).
        output_shift: added to `phi`'s output; finite (default 0).
        output_scale: multiplies the shifted output; finite and non-zero
            (default 1).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    References: Martens et al., "Rapid training of deep neural networks
    without skip connections or normalization layers using Deep Kernel
    Shaping", 2021; Zhang et al., "Deep Learning without Shortcuts: Shaping
    the Kernel with Tailored Rectifiers", ICLR 2022.
    """

    # `record` stays `None`: it shapes the record it is given.
    option_attributes = {"activation": "activation_name"}

    def __init__(self, activation, input_scale=1.0, input_shift=0.0,
                 output_shift=0.0, output_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.base_record = _shapeable(activation, owner)
        self.function = self.base_record.function
        self.input_scale = check_non_zero("input_scale", input_scale, owner)
        self.input_shift = float(check_number("input_shift", input_shift, owner))
        self.output_shift = float(
            check_number("output_shift", output_shift, owner)
        )
        self.output_scale = check_non_zero("output_scale", output_scale,
                                           owner)
        self._finish_init()

    @property
    def activation_name(self):
        """The canonical name of `phi`."""
        return self.base_record.name

    @classmethod
    def activation_record(cls, config):
        """`phi`'s record carried through the affine maps
        (`ActivationRecord.shaped`), computed once per configuration."""
        return _shaped_record(
            config["activation"], config["input_scale"],
            config["input_shift"], config["output_shift"],
            config["output_scale"])

    def call(self, inputs):
        return shaped_unit(inputs, self.function, self.input_scale,
                           self.input_shift, self.output_shift,
                           self.output_scale)

    def get_config(self):
        return {
            **super().get_config(),
            "activation": self.activation_name,
            "input_scale": self.input_scale,
            "input_shift": self.input_shift,
            "output_shift": self.output_shift,
            "output_scale": self.output_scale,
        }


def _shapeable(activation, owner):
    """The record of the activation named `activation`, which must be
    elementwise and learn nothing."""
    if not isinstance(activation, str):
        raise ValueError(
            f"{owner}: `activation` must name a function of "
            "keras_initact.activations (any spelling), such as 'gelu'; "
            f"received activation={activation!r}."
        )
    record = TABLE.find(activation)
    if record is None:
        raise ValueError(f"{owner}: " + unknown_name_message(
            activation, TABLE.names(aliases=True)))
    if not record.elementwise:
        raise ValueError(
            f"{owner}: {record.name!r} mixes units (it is not elementwise), "
            "so it cannot be shaped unit by unit; use an elementwise "
            "activation."
        )
    if record.learned_parameters:
        raise ValueError(
            f"{owner}: {record.name!r} learns "
            f"{', '.join(record.learned_parameters)} in its own layer, which "
            "a shaped unit would freeze; shape a fixed activation instead "
            "(e.g. 'leaky_relu' for 'prelu')."
        )
    return record


@functools.lru_cache(maxsize=256)
def _shaped_record(name, *transform):
    return TABLE.record(name).shaped(*transform)

"""`ActivationSpec`: an activation's record with the layer class computing it."""

import dataclasses
import inspect

import keras

from keras_initact import initializers
from keras_initact import layers as L
from keras_initact.math.gains import TORCH_GAINS, calculate_gain
from keras_initact.math.table import TABLE, ActivationRecord


@dataclasses.dataclass(frozen=True, eq=False)
class ActivationSpec(ActivationRecord):
    """Everything keras_initact knows about one activation: its record in
    the table (`keras_initact.math.table.ActivationRecord`, whose arguments
    it takes after these three) and the layer class that computes it.

    >>> spec = ActivationSpec("cube", lambda x: x ** 3, keras.layers.Identity,
    ...                       zero_centred=True)
    >>> spec.gain  # 1 / sqrt(E[z^6]) = 1 / sqrt(15)

    Args:
        name: the canonical lower-case snake name, e.g. `"leaky_relu"`.
        function: the plain function (`keras_initact.activations.NAME`).
        layer_class: the `keras.layers.Layer` class computing it.
        **facts: the record's other arguments (`aliases`, `zero_centred`,
            `kernel_initializer`, `dead`, ...; see `ActivationRecord`).
    """

    layer_class: type

    def __post_init__(self):
        super().__post_init__()
        if not (isinstance(self.layer_class, type)
                and issubclass(self.layer_class, keras.layers.Layer)):
            raise ValueError(
                f"ActivationSpec {self.name!r}: `layer_class` must be a "
                f"keras.layers.Layer subclass; received {self.layer_class!r}."
            )

    @classmethod
    def of(cls, record, layer_class):
        """The spec of `record` (an `ActivationRecord`) computed by
        `layer_class`."""
        facts = {field.name: getattr(record, field.name)
                 for field in dataclasses.fields(ActivationRecord)}
        return cls(layer_class=layer_class, **facts)

    @property
    def gain(self):
        """The gain from `calculate_gain`.

        PyTorch's value for the names PyTorch knows (relu, tanh, sigmoid,
        selu, linear, and leaky_relu with this activation's slope, which
        `gain_nonlinearity`/`gain_param` name); otherwise the
        variance-preserving gain `1 / sqrt(E[f(z)^2])` of `activation` (of
        its gate, for a gated unit), by quadrature (computed once, then
        cached).
        """
        if self.gain_nonlinearity is not None:
            return calculate_gain(self.gain_nonlinearity, self.gain_param)
        if self.name in TORCH_GAINS:
            return calculate_gain(self.name)
        return calculate_gain(self.gate or self.activation)

    def initializer(self, seed=None):
        """A new instance of `kernel_initializer` for this activation.

        He/Kaiming initializers get this activation's nonlinearity, so that
        `Var(W) = gain^2 / fan_in`; Glorot and LeCun ones are returned as
        their authors define them.
        """
        cls = type(initializers.get(self.kernel_initializer))
        kwargs = {"seed": seed}
        if "nonlinearity" in inspect.signature(cls).parameters:
            kwargs["nonlinearity"] = self._gain_nonlinearity()
            kwargs["param"] = self.gain_param
        return cls(**kwargs)

    def _gain_nonlinearity(self):
        """What `calculate_gain` is given: a name when it resolves to this
        activation's function (readable in configs), else the function
        itself (its gate, for a gated unit)."""
        if self.gain_nonlinearity is not None:
            return self.gain_nonlinearity
        found = TABLE.find(self.name)
        if self.name in TORCH_GAINS or (
                found is not None and found.function is self.function):
            return self.name
        return self.gate or self.activation

    def layer(self, **kwargs):
        """A new layer computing this activation."""
        return self.layer_class(**kwargs)

    def shaped(self, input_scale, input_shift, output_shift, output_scale):
        """The spec of `output_scale * (f(input_scale * x + input_shift) +
        output_shift)`: `ActivationRecord.shaped`, computed by a
        `ShapedActivation` layer."""
        record = super().shaped(input_scale, input_shift, output_shift,
                                output_scale)
        return dataclasses.replace(record, layer_class=L.ShapedActivation)

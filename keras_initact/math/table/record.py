"""`ActivationRecord`: everything keras_initact knows about one activation
that is mathematics (no layer, no initializer object)."""

import dataclasses
import functools
import types
from typing import Any, Callable, Mapping, Optional, Tuple

import keras

from keras_initact.math.functions import shaped_unit
from keras_initact.math.quadrature import gaussian_expectation
from keras_initact.math.regions import Region

# "Near a bound": within 1% of the range from it.
NEAR_BOUND = 0.99


@dataclasses.dataclass(frozen=True, eq=False)
class ActivationRecord:
    """One activation's names, function and facts: a row of the table.

    `keras_initact.activations.ActivationSpec` is this record with the layer
    class that computes it.

    >>> record = ActivationRecord("cube", lambda x: x ** 3, zero_centred=True)
    >>> record.names
    ('cube',)

    Args:
        name: the canonical lower-case snake name, e.g. `"leaky_relu"`.
        function: the plain function (`keras_initact.activations.NAME`).
        aliases: other names every lookup accepts (`"silu"` for `"swish"`).
        elementwise: whether `f` acts on each element alone (softmax and
            the gated units do not).
        gate: a gated unit's elementwise gate (`f(x) = a * gate(b)` for the
            halves `a, b` of `x`, which halve the layer's width), else
            `None`.
        learned_parameters: parameters the layer learns, with their initial
            values; `function` needs them, so such an activation has no
            parameter-free function (`get` points to its layer).
        zero_centred: whether `E[f(z)] ~ 0` for `z ~ N(0, 1)`, i.e. whether
            the activation keeps a zero-mean signal zero-mean (tanh, SELU).
        homogeneous: whether `f(c x) = c f(x)` for every `c > 0` (linear and
            the ReLU family): such units are scale-free, so only the gain of
            the weights matters, not their scale relative to a bend.
        continuous: whether `f` is continuous (hard shrink jumps at +-0.5),
            so that mean-field theory applies to it at all.
        smooth: whether `f` is smooth (analytic) everywhere, so that its
            correlation map has a finite curvature and TAT can shape it
            (`keras_initact.deep.shaping.tat_transform`); units with a kink
            (ReLU family, SELU) or a jump in `f''` (ELU) are not.
        kernel_initializer: the name (for `keras_initact.initializers.get`)
            of the initializer that suits it.
        dead: the outputs whose gradient is exactly zero (`Region`), or
            `None` when no output is dead.
        saturated: the outputs near a bound of the function, where the
            gradient all but vanishes, or `None`.
        gain_nonlinearity, gain_param: the arguments of `calculate_gain` that
            give the gain; `None` means the activation's own name.
        reference: the paper.
    """

    name: str
    function: Callable
    _: dataclasses.KW_ONLY
    aliases: Tuple[str, ...] = ()
    elementwise: bool = True
    gate: Optional[Callable] = None
    learned_parameters: Mapping[str, Any] = dataclasses.field(
        default_factory=dict
    )
    zero_centred: bool = False
    homogeneous: bool = False
    continuous: bool = True
    smooth: bool = False
    kernel_initializer: str = "he_normal"
    dead: Optional[Region] = None
    saturated: Optional[Region] = None
    gain_nonlinearity: Optional[Any] = None
    gain_param: Optional[float] = None
    reference: str = ""

    def __post_init__(self):
        if not callable(self.function):
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: `function` must be "
                f"callable; received {self.function!r}."
            )
        object.__setattr__(self, "aliases", tuple(self.aliases))
        object.__setattr__(
            self, "learned_parameters",
            types.MappingProxyType(dict(self.learned_parameters)),
        )

    @property
    def names(self):
        """The canonical name followed by the aliases."""
        return (self.name, *self.aliases)

    @property
    def hidden(self):
        """Whether it can follow a hidden layer: elementwise, or a gated
        unit. Softmax and its relatives mix a layer's units: output heads."""
        return self.elementwise or self.gate is not None

    @property
    def registered_name(self):
        """The name Keras serialization knows the function by."""
        return keras.saving.get_registered_name(self.function)

    @functools.cached_property
    def activation(self):
        """A one-argument callable: `function`, with the learned parameters
        (if any) at the values the layer starts from."""
        if not self.learned_parameters:
            return self.function
        return functools.partial(self.function, **self.learned_parameters)

    def measured(self, unit, **facts):
        """This record for the unit `unit` (a variant: other options, a
        shaped unit), zero-centred as measured and with `unit`'s own gain;
        `facts` replace the others that change."""
        mean = gaussian_expectation(unit)
        spread = gaussian_expectation(lambda x: unit(x) ** 2) ** 0.5
        return dataclasses.replace(
            self, function=unit, zero_centred=abs(mean) <= 0.1 * spread,
            gain_nonlinearity=unit, gain_param=None, **facts)

    def shaped(self, input_scale, input_shift, output_shift, output_scale):
        """The record of `output_scale * (f(input_scale * x + input_shift) +
        output_shift)` (a `ShapedActivation` layer): this one's facts, with
        the dead and saturated regions carried through the output map (an
        output is dead or saturated when `f`'s was), the function and gain
        of the shaped unit, and zero-centred and homogeneous measured anew.
        """
        unit = functools.partial(
            shaped_unit, activation=self.function,
            input_scale=input_scale, input_shift=input_shift,
            output_shift=output_shift, output_scale=output_scale,
        )

        def carried(region):
            if region is None:
                return None
            return region.affine(
                output_scale, output_shift,
                f"{region.meaning}, before the output map" if region.meaning
                else None,
            )

        return self.measured(
            unit, dead=carried(self.dead), saturated=carried(self.saturated),
            homogeneous=(self.homogeneous and input_shift == 0.0
                         and output_shift == 0.0 and input_scale > 0),
        )

    def dead_fraction(self, y):
        """The fraction of outputs `y` that are dead (a float32 scalar
        tensor), or `None` when nothing is ever dead for this activation."""
        return None if self.dead is None else self.dead.fraction(y)

    def saturated_fraction(self, y):
        """The fraction of outputs `y` that are saturated, or `None`."""
        return None if self.saturated is None else self.saturated.fraction(y)

"""The activation registry: one record per activation, in one table.

`ACTIVATIONS` is the only place that knows an activation's names, function,
layer class, gain, suited initializer and dead/saturated regions (the
aliases it reads from `keras_initact.math.functions.ALIASES`, the one table
of them, which the lookups below this package read too). `get`,
`lookup`, `names`, the model factory, the automatic initializer choice and the
monitoring callbacks all read it. To add an activation, write its function
and layer and add one `ActivationSpec` to `_TABLE`.
"""

import dataclasses
import functools
import inspect
import math
import re
import types
from typing import Any, Callable, Mapping, Optional, Tuple

import keras

from keras_initact import initializers
from keras_initact import layers as L
from keras_initact.math import functions
from keras_initact.math.functions import (
    normalize, shaped_unit, unknown_name_message,
)
from keras_initact.math.gains import (
    TORCH_GAINS, calculate_gain, gaussian_expectation,
)
from keras_initact.math.regions import Region


@dataclasses.dataclass(frozen=True, eq=False)
class ActivationSpec:
    """Everything keras_initact knows about one activation.

    Args:
        name: the canonical lower-case snake name, e.g. `"leaky_relu"`.
        function: the plain function (`keras_initact.activations.NAME`).
        layer_class: the `keras.layers.Layer` class computing it.
        aliases: other names `get` and `lookup` accept. By default (`None`)
            those that `keras_initact.math.functions.ALIASES`, the one
            table of aliases, gives the function registered as `name`
            (none for a function of one's own).
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
            of the initializer that suits it; see `initializer()`.
        dead: the outputs whose gradient is exactly zero (`Region`), or
            `None` when no output is dead.
        saturated: the outputs near a bound of the function, where the
            gradient all but vanishes, or `None`.
        gain_nonlinearity, gain_param: the arguments of `calculate_gain` that
            give the gain; `None` means the activation's own name.
        learned_parameters: parameters the layer learns, with their initial
            values; `function` needs them, so such an activation has no
            parameter-free function (`get` points to its layer).
        reference: the paper.
    """

    name: str
    function: Callable
    layer_class: type
    aliases: Optional[Tuple[str, ...]] = None
    zero_centred: bool = False
    homogeneous: bool = False
    continuous: bool = True
    smooth: bool = False
    kernel_initializer: str = "he_normal"
    dead: Optional[Region] = None
    saturated: Optional[Region] = None
    gain_nonlinearity: Optional[str] = None
    gain_param: Optional[float] = None
    learned_parameters: Mapping[str, Any] = dataclasses.field(
        default_factory=dict
    )
    reference: str = ""

    def __post_init__(self):
        if not callable(self.function):
            raise ValueError(
                f"ActivationSpec {self.name!r}: `function` must be callable; "
                f"received {self.function!r}."
            )
        if not (isinstance(self.layer_class, type)
                and issubclass(self.layer_class, keras.layers.Layer)):
            raise ValueError(
                f"ActivationSpec {self.name!r}: `layer_class` must be a "
                f"keras.layers.Layer subclass; received {self.layer_class!r}."
            )
        object.__setattr__(
            self, "learned_parameters",
            types.MappingProxyType(dict(self.learned_parameters)),
        )
        if self.aliases is None:
            own = functions.FUNCTIONS.get(self.name) is self.function
            object.__setattr__(self, "aliases", functions.aliases_of(
                self.name) if own else ())
        else:
            object.__setattr__(self, "aliases", tuple(self.aliases))

    @property
    def names(self):
        """The canonical name followed by the aliases."""
        return (self.name, *self.aliases)

    @property
    def elementwise(self):
        """Whether `f` acts on each element alone (softmax and the gated
        units do not): a fact of the function (`functions._register`)."""
        return getattr(self.function, "elementwise", True)

    @property
    def gate(self):
        """A gated unit's elementwise gate (`f(x) = a * gate(b)` for the
        halves of `x`, which halve the layer's width), else `None`."""
        return getattr(self.function, "gate", None)

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

    @property
    def gain(self):
        """The gain from `calculate_gain`.

        PyTorch's value for the names PyTorch knows (relu, tanh, sigmoid,
        selu, linear, and leaky_relu with this activation's slope, which
        `gain_nonlinearity`/`gain_param` name); otherwise the
        variance-preserving gain `1 / sqrt(E[f(z)^2])` of `activation`, by
        quadrature (computed once, then cached).
        """
        if self.gain_nonlinearity is not None:
            return calculate_gain(self.gain_nonlinearity, self.gain_param)
        if self.name in TORCH_GAINS:
            return calculate_gain(self.name)
        return calculate_gain(self.activation)

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
        record (readable in configs), else the function itself."""
        if self.gain_nonlinearity is not None:
            return self.gain_nonlinearity
        if self.name in TORCH_GAINS or ACTIVATIONS.find(self.name) is self:
            return self.name
        return self.activation

    def layer(self, **kwargs):
        """A new layer computing this activation."""
        return self.layer_class(**kwargs)

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
        mean = gaussian_expectation(unit)
        spread = gaussian_expectation(lambda x: unit(x) ** 2) ** 0.5

        def carried(region):
            if region is None:
                return None
            return region.affine(
                output_scale, output_shift,
                f"{region.meaning}, before the output map" if region.meaning
                else None,
            )

        return dataclasses.replace(
            self, function=unit, layer_class=L.ShapedActivation,
            zero_centred=abs(mean) <= 0.1 * spread,
            homogeneous=(self.homogeneous and input_shift == 0.0
                         and output_shift == 0.0 and input_scale > 0),
            dead=carried(self.dead), saturated=carried(self.saturated),
            gain_nonlinearity=unit, gain_param=None,
        )

    def dead_fraction(self, y):
        """The fraction of outputs `y` that are dead (a float32 scalar
        tensor), or `None` when nothing is ever dead for this activation."""
        return None if self.dead is None else self.dead.fraction(y)

    def saturated_fraction(self, y):
        """The fraction of outputs `y` that are saturated, or `None`."""
        return None if self.saturated is None else self.saturated.fraction(y)


class Registry(Mapping):
    """A read-mostly mapping from canonical names to `ActivationSpec`s.

    `find` accepts any spelling of a name or alias (see `normalize`); `spec`
    does the same but raises a `ValueError` listing the known names.
    """

    def __init__(self, specs=()):
        self._specs = {}
        self._keys = {}
        self._shaped_specs = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec):
        """Adds `spec`; its names must be new."""
        if not isinstance(spec, ActivationSpec):
            raise ValueError(
                f"Registry.add expects an ActivationSpec; received {spec!r}."
            )
        if not re.fullmatch(r"[a-z][a-z0-9_]*", spec.name):
            raise ValueError(
                f"Activation names are lower-case snake names; received "
                f"{spec.name!r}."
            )
        keys = [normalize(name) for name in spec.names]
        for name, key in zip(spec.names, keys):
            if key in self._keys or keys.count(key) > 1:
                raise ValueError(
                    f"The activation name {name!r} of {spec.name!r} is "
                    f"already taken (by {self._keys.get(key, spec).name!r})."
                )
        self._specs[spec.name] = spec
        for key in keys:
            self._keys[key] = spec
        return spec

    def find(self, name):
        """The spec for any spelling of a name or alias, or `None`."""
        if not isinstance(name, str):
            return None
        return self._keys.get(normalize(name))

    def spec(self, name):
        """The spec for `name`, or a `ValueError` naming the known ones."""
        if not isinstance(name, str):
            raise TypeError(
                f"An activation is named by a string; received {name!r} (a "
                f"{type(name).__name__}). Known names: "
                f"{', '.join(self.names(aliases=True))}."
            )
        found = self.find(name)
        if found is not None:
            return found
        raise ValueError(unknown_name_message(name, self.names(aliases=True)))

    def identify(self, activation):
        """The spec of an activation however it is given, or `None`.

        Accepts a name (any spelling), a function (keras_initact's, or any
        of Keras's own, `keras.activations.relu6`), a layer or layer class
        (keras_initact's; Keras's `ReLU`, `LeakyReLU`, `PReLU`, `ELU`,
        `Softmax` and `Identity`; a `keras.layers.Activation` wrapping any
        of these), and a `functools.partial` of a function. A ReLU layer
        with options (`ReLU(max_value=6)`, `ReLU(negative_slope=0.1)`,
        keras_initact's or Keras's) gets the record of what it computes, its
        regions following the options; a `ShapedActivation`, its base's
        record through the output map (`ActivationSpec.shaped`). Anything
        else, such as a `Dense` layer or a user's own function, gives
        `None`.

        >>> ACTIVATIONS.identify(keras.layers.Dense(4, "relu6").activation)
        ... # the "relu6" record
        """
        if activation is None:
            return None
        if isinstance(activation, str):
            return self.find(activation)
        if isinstance(activation, keras.layers.Activation):
            return self.identify(activation.activation)
        if isinstance(activation, L.ShapedActivation):
            return self._shaped(activation.activation_name,
                                activation.input_scale, activation.input_shift,
                                activation.output_shift,
                                activation.output_scale)
        if isinstance(activation, (L.ReLU, keras.layers.ReLU)):
            return self._relu_variant(activation.negative_slope,
                                      activation.max_value,
                                      activation.threshold)
        if isinstance(activation, (L.LeakyReLU, keras.layers.LeakyReLU)):
            return self._relu_variant(activation.negative_slope, None, 0.0)
        if isinstance(activation, L.Threshold):
            return self._threshold_variant(activation.threshold,
                                           activation.value)
        if isinstance(activation, L.HardTanh):
            return self._variant(self._hard_tanh_variant, activation.min_val,
                                 activation.max_val)
        if isinstance(activation, L.Softplus):
            return self._variant(self._softplus_variant, activation.beta,
                                 activation.threshold)
        if isinstance(activation, functools.partial):
            return self.identify(activation.func)
        cls = activation if isinstance(activation, type) else type(activation)
        if issubclass(cls, keras.layers.Layer):
            for spec in self._specs.values():
                if issubclass(cls, spec.layer_class):
                    return spec
            if cls.__module__.split(".")[0] == "keras":  # Keras's own layers
                return self.find(cls.__name__)
            return None
        for spec in self._specs.values():
            if activation is spec.function:
                return spec
        name = getattr(activation, "__name__", None)
        if isinstance(name, str) and (
            getattr(keras.activations, name, None) is activation
        ):
            return self.find(name)
        return None

    def _shaped(self, *key):
        """`spec(name).shaped(...)` (a quadrature), once per unit."""
        if key not in self._shaped_specs:
            name, *transform = key
            self._shaped_specs[key] = self.spec(name).shaped(*transform)
        return self._shaped_specs[key]

    def _relu_variant(self, negative_slope, max_value, threshold):
        """The record of `ReLU(max_value, negative_slope, threshold)`."""
        negative_slope = float(negative_slope or 0.0)
        threshold = float(threshold or 0.0)
        if max_value is None and threshold == 0.0:
            if negative_slope == 0.0:
                return self.find("relu")
            leaky = self.find("leaky_relu")
            if negative_slope == leaky.gain_param:
                return leaky
            return dataclasses.replace(leaky, gain_param=negative_slope)
        if (max_value is not None and float(max_value) == 6.0
                and negative_slope == 0.0 and threshold == 0.0):
            return self.find("relu6")
        cap = None if max_value is None else float(max_value)
        bottom = (Region(below=0.0, meaning=f"output 0: input at or below "
                         f"{threshold:g}") if negative_slope == 0.0 else None)
        if cap is not None:
            top = Region(above=cap, meaning=f"output {cap:g}: capped")
            dead = top if bottom is None else Region(
                below=0.0, above=cap,
                meaning=f"output 0 or {cap:g}: below the threshold or capped")
        else:
            dead = bottom
        return dataclasses.replace(self.find("relu"), homogeneous=(
            cap is None and threshold == 0.0), dead=dead,
            gain_nonlinearity="leaky_relu", gain_param=negative_slope)

    def _variant(self, make, *options):
        """`make(*options)`, computed once per options (it integrates)."""
        key = (make.__name__, *options)
        if key not in self._shaped_specs:
            self._shaped_specs[key] = make(*options)
        return self._shaped_specs[key]

    def _hard_tanh_variant(self, min_val, max_val):
        """The record of `HardTanh(min_val, max_val)`: dead where clipped,
        zero-centred when its mean output is (as `ActivationSpec.shaped`
        measures it), and the gain of what it computes."""
        record = self.find("hard_tanh")
        if (min_val, max_val) == (-1.0, 1.0):
            return record
        unit = functools.partial(functions.hard_tanh, min_val=min_val,
                                 max_val=max_val)
        mean = gaussian_expectation(unit)
        spread = gaussian_expectation(lambda x: unit(x) ** 2) ** 0.5
        return dataclasses.replace(
            record, function=unit, zero_centred=abs(mean) <= 0.1 * spread,
            dead=Region(below=min_val, above=max_val,
                        meaning=f"y = {min_val:g} or {max_val:g}: clipped"),
            gain_nonlinearity=unit, gain_param=None)

    def _softplus_variant(self, beta, threshold):
        """The record of `Softplus(beta, threshold)`: saturated at outputs
        up to `0.01 / beta`, where its slope `1 - exp(-beta y)` is below
        0.01 as the default's is below 0.01, and the gain of what it
        computes."""
        record = self.find("softplus")
        if (beta, threshold) == (1.0, functions.SOFTPLUS_THRESHOLD):
            return record
        unit = functools.partial(functions.softplus, beta=beta,
                                 threshold=threshold)
        bound = (1 - _BOUND) / beta
        return dataclasses.replace(
            record, function=unit,
            saturated=Region(below=bound, meaning=f"y <= {bound:.3g}"),
            gain_nonlinearity=unit, gain_param=None)

    def _threshold_variant(self, threshold, value):
        """The record of `Threshold(threshold, value)`: with the defaults
        (ReLU) the record itself; otherwise a unit that jumps unless
        `value == threshold`, and dead where it outputs `value`."""
        record = self.find("threshold")
        if threshold == 0.0 and value == 0.0:
            return record
        return dataclasses.replace(
            record, homogeneous=False, continuous=(value == threshold),
            dead=Region(within=(value, value), meaning=f"output {value:g}: "
                        f"input at or below {threshold:g}"))

    def hidden_names(self):
        """The canonical names of the activations a hidden layer can use."""
        return [name for name, spec in self._specs.items() if spec.hidden]

    def names(self, aliases=False):
        """The canonical names, sorted; with `aliases=True`, aliases too."""
        if not aliases:
            return sorted(self._specs)
        return sorted(n for spec in self._specs.values() for n in spec.names)

    def __getitem__(self, name):
        found = self.find(name)
        if found is None:
            raise KeyError(name)
        return found

    def __iter__(self):
        return iter(self._specs)

    def __len__(self):
        return len(self._specs)

    def __repr__(self):
        return f"Registry({', '.join(self._specs)})"


_F = functions
_BOUND = 0.99  # "near a bound": within 1% of the range from it

_TABLE = (
    ActivationSpec(
        "linear", _F.linear, keras.layers.Identity, zero_centred=True,
        homogeneous=True, kernel_initializer="glorot_uniform",
    ),
    # -- sigmoidal: bounded, S-shaped
    ActivationSpec(
        "sigmoid", _F.sigmoid, L.Sigmoid, smooth=True,
        kernel_initializer="glorot_uniform",
        saturated=Region(below=1 - _BOUND, above=_BOUND,
                         meaning="within 0.01 of 0 or 1"),
    ),
    ActivationSpec(
        "tanh", _F.tanh, L.Tanh, zero_centred=True, smooth=True,
        kernel_initializer="glorot_uniform",
        saturated=Region(below=-_BOUND, above=_BOUND,
                         meaning="|y| >= 0.99"),
        reference="LeCun et al., Efficient BackProp, 1998",
    ),
    ActivationSpec(
        "hard_sigmoid", _F.hard_sigmoid, L.HardSigmoid,
        kernel_initializer="glorot_uniform",
        dead=Region(below=0.0, above=1.0, meaning="output 0 or 1: flat"),
        reference="Courbariaux et al. 2015",
    ),
    ActivationSpec(
        "hard_tanh", _F.hard_tanh, L.HardTanh, zero_centred=True, kernel_initializer="glorot_uniform",
        dead=Region(below=-1.0, above=1.0, meaning="|y| = 1: clipped"),
        reference="Collobert 2004",
    ),
    ActivationSpec(
        "log_sigmoid", _F.log_sigmoid, L.LogSigmoid, smooth=True, kernel_initializer="glorot_uniform",
        saturated=Region(above=-(1 - _BOUND), meaning="y >= -0.01"),
    ),
    ActivationSpec(
        "softsign", _F.softsign, L.Softsign, zero_centred=True,
        kernel_initializer="glorot_uniform",
        # slope (1 - |y|)^2: 0.01 at |y| = 0.9, as tanh's and sigmoid's near
        # their bounds; softsign approaches its bounds only polynomially.
        saturated=Region(below=-0.9, above=0.9,
                         meaning="|y| >= 0.9: slope <= 0.01"),
        reference="Bergstra et al. 2009",
    ),
    ActivationSpec(
        "sparse_sigmoid", _F.sparse_sigmoid, L.SparseSigmoid,
        kernel_initializer="glorot_uniform",
        dead=Region(below=0.0, above=1.0, meaning="output 0 or 1: flat"),
    ),
    # -- rectifiers: identity above a point, something small below
    ActivationSpec(
        "relu", _F.relu, L.ReLU, homogeneous=True,
        dead=Region(below=0.0, meaning="output 0: input below 0"),
        reference="Nair & Hinton 2010",
    ),
    ActivationSpec(
        "leaky_relu", _F.leaky_relu, L.LeakyReLU, homogeneous=True,
        gain_nonlinearity="leaky_relu", gain_param=_F.LEAKY_RELU_SLOPE,
        reference="Maas et al. 2013",
    ),
    ActivationSpec(
        "prelu", _F.prelu, L.PReLU, learned_parameters={"alpha": 0.0},
        homogeneous=True, gain_nonlinearity="leaky_relu", gain_param=0.0,
        reference="He et al. 2015",
    ),
    ActivationSpec(
        "rrelu", _F.rrelu, L.RReLU, homogeneous=True,
        gain_nonlinearity="leaky_relu",
        gain_param=(_F.RRELU_LOWER + _F.RRELU_UPPER) / 2.0,
        reference="Xu et al. 2015",
    ),
    ActivationSpec(
        "relu6", _F.relu6, L.ReLU6,
        dead=Region(below=0.0, above=6.0, meaning="output 0 or 6: flat"),
        reference="Krizhevsky 2010",
    ),
    ActivationSpec(
        "threshold", _F.threshold, L.Threshold, homogeneous=True,
        dead=Region(below=0.0, meaning="output 0: input at or below 0"),
        reference="PyTorch's Threshold; Keras's threshold",
    ),
    ActivationSpec(
        "squared_relu", _F.squared_relu, L.SquaredReLU,
        dead=Region(below=0.0, meaning="output 0: input below 0"),
        reference="So et al. 2021 (Primer)",
    ),
    ActivationSpec(
        "hard_swish", _F.hard_swish, L.HardSwish,
        dead=Region(within=(0.0, 0.0), meaning="output 0: input at or "
                    "below -3"),
        reference="Howard et al. 2019",
    ),
    ActivationSpec(
        "sparse_plus", _F.sparse_plus, L.SparsePlus,
        dead=Region(below=0.0, meaning="output 0: input at or below -1"),
    ),
    ActivationSpec(
        "elu", _F.elu, L.ELU,
        saturated=Region(below=-_BOUND, meaning="y <= -0.99 (alpha = 1)"),
        reference="Clevert et al. 2016",
    ),
    ActivationSpec(
        "celu", _F.celu, L.CELU,
        saturated=Region(below=-_BOUND, meaning="y <= -0.99 (alpha = 1)"),
        reference="Barron 2017",
    ),
    ActivationSpec(
        "selu", _F.selu, L.SELU, zero_centred=True,
        kernel_initializer="lecun_normal",
        saturated=Region(
            below=-_BOUND * _F.SELU_SCALE * _F.SELU_ALPHA,
            meaning="y <= -0.99 * scale * alpha",
        ),
        reference="Klambauer et al. 2017",
    ),
    # -- smooth
    ActivationSpec(
        "gelu", _F.gelu, L.GELU, smooth=True,
        reference="Hendrycks & Gimpel 2016",
    ),
    ActivationSpec(
        "swish", _F.swish, L.Swish, smooth=True,
        reference="Ramachandran et al. 2017",
    ),
    ActivationSpec("mish", _F.mish, L.Mish, smooth=True,
                   reference="Misra 2020"),
    ActivationSpec(
        "softplus", _F.softplus, L.Softplus, smooth=True,
        saturated=Region(below=1 - _BOUND, meaning="y <= 0.01"),
        reference="Dugas et al. 2001",
    ),
    ActivationSpec(
        "squareplus", _F.squareplus, L.Squareplus, smooth=True,
        # slope y / sqrt(x^2 + 4): 0.01 where y = 0.1
        saturated=Region(below=0.1, meaning="y <= 0.1: slope <= 0.01"),
        reference="Barron 2021",
    ),
    ActivationSpec(
        "exponential", _F.exponential, L.Exponential, smooth=True,
        kernel_initializer="glorot_uniform",
        saturated=Region(below=1 - _BOUND, meaning="y <= 0.01"),
    ),
    ActivationSpec(
        "lisht", _F.lisht, L.LiSHT, smooth=True,
        reference="Roy et al. 2019",
    ),
    ActivationSpec(
        "snake", _F.snake, L.Snake, smooth=True,
        reference="Liu Ziyin et al. 2020",
    ),
    # -- shrinkage
    ActivationSpec(
        "hard_shrink", _F.hard_shrink, L.HardShrink, zero_centred=True, continuous=False,
        kernel_initializer="glorot_uniform",
        dead=Region(within=(0.0, 0.0), meaning="output 0: |input| <= 0.5"),
    ),
    ActivationSpec(
        "soft_shrink", _F.soft_shrink, L.SoftShrink, zero_centred=True, kernel_initializer="glorot_uniform",
        dead=Region(within=(0.0, 0.0), meaning="output 0: |input| <= 0.5"),
    ),
    ActivationSpec(
        "tanh_shrink", _F.tanh_shrink, L.TanhShrink, zero_centred=True, smooth=True, kernel_initializer="glorot_uniform",
    ),
    # -- gated: halve the last axis (not elementwise)
    ActivationSpec(
        "glu", _F.glu, L.GLU, kernel_initializer="glorot_uniform",
        reference="Dauphin et al. 2017",
    ),
    ActivationSpec(
        "swiglu", _F.swiglu, L.SwiGLU, reference="Shazeer 2020",
    ),
    ActivationSpec(
        "geglu", _F.geglu, L.GEGLU, reference="Shazeer 2020",
    ),
    ActivationSpec(
        "reglu", _F.reglu, L.ReGLU,
        dead=Region(within=(0.0, 0.0), meaning="output 0: gate input below 0"),
        reference="Shazeer 2020",
    ),
    # -- output heads (normalize along an axis)
    ActivationSpec(
        "softmax", _F.softmax, L.Softmax,
        kernel_initializer="glorot_uniform", gain_nonlinearity="linear",
        saturated=Region(above=_BOUND, axis=-1,
                         meaning="top probability >= 0.99"),
    ),
    ActivationSpec(
        "log_softmax", _F.log_softmax, L.LogSoftmax, kernel_initializer="glorot_uniform", gain_nonlinearity="linear",
        saturated=Region(above=math.log(_BOUND), axis=-1,
                         meaning="top probability >= 0.99"),
    ),
    ActivationSpec(
        "softmin", _F.softmin, L.Softmin,
        kernel_initializer="glorot_uniform", gain_nonlinearity="linear",
        saturated=Region(above=_BOUND, axis=-1,
                         meaning="top probability >= 0.99"),
    ),
    ActivationSpec(
        "sparsemax", _F.sparsemax, L.Sparsemax,
        kernel_initializer="glorot_uniform", gain_nonlinearity="linear",
        saturated=Region(above=_BOUND, axis=-1,
                         meaning="top probability >= 0.99"),
        reference="Martins & Astudillo 2016",
    ),
)

ACTIVATIONS = Registry(_TABLE)

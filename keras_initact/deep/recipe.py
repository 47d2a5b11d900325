"""What `for_activation` returns: an `InitRecipe`, with a `ShapingResult`
where activation shaping applied."""

import dataclasses
from typing import Any, Mapping, Optional

from keras_initact.activations import ACTIVATIONS
from keras_initact.checks import check_choice, check_number
from keras_initact.deep.shaping import ActivationTransform
from keras_initact.layers import ShapedActivation


@dataclasses.dataclass(frozen=True)
class ShapingResult:
    """What shaping did to a deep network's recipe.

    Attributes:
        weight_scale: the weight-scale reparametrization's factor: every
            hidden kernel after the first is this much larger, and every
            activation's output this much smaller (see `for_activation`).
        method: `"tat"` or `"dks"`, the method that changed the activation;
            None where the activation stays as it was (linear, or a unit
            that keeps its critical point).
        transform: the `shaping.ActivationTransform` of a shaped smooth or
            kinked unit (its layer is then a `ShapedActivation`); None for
            TAT's leaky ReLU and where the activation stays.
    """

    weight_scale: float
    method: Optional[str] = None
    transform: Optional[ActivationTransform] = None

    def __post_init__(self):
        owner = "ShapingResult"
        check_number("weight_scale", self.weight_scale, owner, positive=True)
        if self.method is not None:
            check_choice("method", self.method, ("tat", "dks"), owner)
        if self.transform is not None and self.method is None:
            raise ValueError(f"{owner}: a transform needs the method that "
                             "made it; received method=None.")


@dataclasses.dataclass(frozen=True, kw_only=True)
class InitRecipe:
    """How to initialize (and, with shaping, which activation to use in) a
    plain network.

    >>> recipe = for_activation("gelu", depth=60, shaping=True)
    >>> recipe.shaping, recipe.transform.input_scale   # 'tat', about 0.075

    Attributes:
        activation: the registry name of the activation to use; differs from
            the one asked for only when TAT turned a ReLU-family unit into a
            leaky ReLU.
        activation_arguments: keyword arguments of that activation's layer
            (e.g. `{"negative_slope": 0.47}` for a TAT leaky ReLU).
        kernel_initializer, bias_initializer: for hidden layers after the
            first; call `.derive(i)` (see `kernel_for`) so that no two
            layers share values.
        input_kernel_initializer, input_bias_initializer: for the first
            layer, which sees the data (assumed standardized) rather than an
            activation's output.
        rationale: one line on why.
        shaping_result: a `ShapingResult` where shaping applied (deeper
            than `SHALLOW_DEPTH`, with `shaping` asked for), else None.
    """

    activation: str
    activation_arguments: Mapping[str, Any] = dataclasses.field(
        default_factory=dict)
    kernel_initializer: Any
    bias_initializer: Any
    input_kernel_initializer: Any
    input_bias_initializer: Any
    rationale: str
    shaping_result: Optional[ShapingResult] = None

    @property
    def shaped(self):
        """Whether shaping applied: it changed the activation, or at least
        added the weight-scale reparametrization."""
        return self.shaping_result is not None

    @property
    def shaping(self):
        """`"tat"` or `"dks"`, the method that changed the activation (`"dks"`
        only for a DKS-transformed unit); None where it did not change."""
        return None if self.shaping_result is None else self.shaping_result.method

    @property
    def transform(self):
        """The `shaping.ActivationTransform` of a shaped smooth or kinked
        unit (the layer is then a `ShapedActivation`), else None."""
        return (None if self.shaping_result is None
                else self.shaping_result.transform)

    @property
    def activation_rescale(self):
        """The factor every activation's output is multiplied by (a
        `keras.layers.Rescaling` after it): `1 / weight_scale` of the
        weight-scale reparametrization; 1 unless shaped."""
        return (1.0 if self.shaping_result is None
                else 1.0 / self.shaping_result.weight_scale)

    def kernel_for(self, index):
        """The kernel initializer of hidden layer `index` (0 = first)."""
        init = self.input_kernel_initializer if index == 0 else self.kernel_initializer
        return init.derive(index) if hasattr(init, "derive") else init

    def bias_for(self, index):
        """The bias initializer of hidden layer `index`."""
        init = self.input_bias_initializer if index == 0 else self.bias_initializer
        return init.derive(index) if hasattr(init, "derive") else init

    def activation_layer(self, **kwargs):
        """A new layer computing the (possibly shaped) activation."""
        if self.transform is not None:
            return ShapedActivation(self.activation,
                                    **self.transform.arguments(), **kwargs)
        return ACTIVATIONS.spec(self.activation).layer(
            **self.activation_arguments, **kwargs
        )

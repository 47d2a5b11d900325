"""`ModelSpec`: the arguments of `build_sequential`, checked, as one frozen value.

`ModelSpec`'s fields are `build_sequential`'s arguments, in order, with their
defaults and their checks (`keras_initact.models.arguments`); everything else
is derived from them: the factory's signature, the argument checks, the
canonical spec that `spec_of` reads back from a model, and its JSON form.

    spec = ModelSpec((28, 28, 1), [128], "mish", conv_filters=[32], num_classes=10)
    build_sequential(**spec.get_config())  # the same model, from JSON types

Making a `ModelSpec` checks every argument and stores its canonical value:
tuples for sequences, initializers as `"auto"` or Keras config dicts, the
activation's registry name, the seed actually used (None draws one), and
arguments without effect on the model reset to their defaults, so that
equal models have equal specs. Making one from a canonical spec returns it.
"""

import dataclasses
import inspect

from keras_initact.deep.pairing import for_activation
from keras_initact.models import arguments
from keras_initact.models.arguments import (
    AUTO, OWNER, PADDINGS, PARAMETRIZATIONS, POOLINGS, TASKS,
)


def _argument(check, default=dataclasses.MISSING):
    """A field that `check(name, value, spec)` makes canonical."""
    return dataclasses.field(default=default, metadata={"check": check})


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """The arguments of `build_sequential`, checked and canonical.

    The fields are documented as `build_sequential`'s arguments. Raises
    `ValueError` naming the bad argument, its value and what is allowed.

    >>> spec = ModelSpec((8,), [16], task="regression", seed=1)
    >>> spec.depth, spec.get_config()["hidden_units"]  # (1, [16])
    """

    input_shape: tuple = _argument(arguments.input_shape)
    hidden_units: tuple = _argument(arguments.widths)
    activation: str = _argument(arguments.hidden_activation, "relu")
    kernel_initializer: str | dict = _argument(arguments.initializer, AUTO)
    bias_initializer: str | dict = _argument(arguments.initializer, AUTO)
    conv_filters: tuple = _argument(arguments.conv_filters, ())
    conv_kernel_size: int | tuple = _argument(arguments.per_axis, 3)
    conv_strides: int | tuple = _argument(arguments.per_axis, 1)
    conv_padding: str = _argument(arguments.one_of(PADDINGS), "same")
    pooling: str | None = _argument(arguments.one_of(POOLINGS), "max")
    pool_size: int | tuple = _argument(arguments.per_axis, 2)
    downsample_blocks: tuple | None = _argument(arguments.block_indices, None)
    task: str = _argument(arguments.one_of(TASKS), "classification")
    num_classes: int = _argument(arguments.num_classes, None)
    batch_norm: bool = _argument(arguments.flag, False)
    dropout: float = _argument(arguments.rate, 0.0)
    shaping: bool | str = _argument(arguments.shaping, False)
    seed: int = _argument(arguments.seed, None)
    name: str = _argument(arguments.model_name, None)
    parametrization: str = _argument(arguments.one_of(PARAMETRIZATIONS),
                                     "standard")
    base_width: int | None = _argument(arguments.base_width, None)

    def __post_init__(self):
        # In field order, so that a check may read the fields before it.
        for field in dataclasses.fields(self):
            check = field.metadata["check"]
            self._set(field.name, check(field.name, getattr(self, field.name),
                                        self))
        if self.conv_filters:
            self.spatial_sizes()  # raises if the stack shrinks the input away
        self._reset_unused()

    def _set(self, name, value):
        object.__setattr__(self, name, value)  # the dataclass is frozen

    def _reset_unused(self):
        """Resets the arguments that have no effect on the model to their
        defaults, so that equal models have equal specs (and `spec_of` a
        loaded model gives what the factory made)."""
        if self.pooling == "stride" and self.downsample_blocks is None:
            # Every block's conv strides by pool_size: conv_strides is unused.
            self._set("pooling", None)
            self._set("conv_strides", self.pool_size)
        if not self.conv_filters:
            for name in ("conv_kernel_size", "conv_strides", "conv_padding",
                         "pooling", "pool_size", "downsample_blocks"):
                self._set(name, _default(name))
        elif self.pooling is None:
            self._set("pool_size", _default("pool_size"))
        if not self.hidden_units:
            self._set("dropout", _default("dropout"))
        if not self.hidden_units and not self.conv_filters:
            self._set("batch_norm", _default("batch_norm"))
        if self.shaping:
            recipe = self.recipe() if self.kernel_initializer == AUTO else None
            if recipe is None or not recipe.shaped:
                self._set("shaping", False)
            else:  # DKS and TAT differ only where DKS shapes the unit
                self._set("shaping", "dks" if recipe.shaping == "dks" else True)

    # -- the JSON form -------------------------------------------------------

    def get_config(self):
        """The spec as a dict of JSON types (lists for tuples), keyed by
        `build_sequential`'s arguments in their order."""
        return {field.name: _json(getattr(self, field.name))
                for field in dataclasses.fields(self)}

    @classmethod
    def from_config(cls, config):
        """The spec of a `get_config()` dict (or of any arguments as a dict)."""
        return cls(**config)

    # -- what the fields make of the network ---------------------------------

    @property
    def depth(self):
        """The number of hidden (conv and dense) layers."""
        return len(self.conv_filters) + len(self.hidden_units)

    @property
    def conv_rank(self):
        """The number of spatial axes of the conv stack (0: none)."""
        return len(self.input_shape) - 1 if self.conv_filters else 0

    def base_spec(self):
        """The spec of μP's base model: every hidden `Dense` layer
        `base_width` wide, the rest the same (None under the standard
        parametrization)."""
        if self.parametrization != "mup":
            return None
        return dataclasses.replace(
            self, hidden_units=(self.base_width,) * len(self.hidden_units))

    @property
    def readout_width_mult(self):
        """`MuReadout`'s `width_mult`: the head's fan-in over the base
        model's (1.0 under the standard parametrization)."""
        if self.parametrization != "mup":
            return 1.0
        return self.hidden_units[-1] / self.base_width

    def recipe(self):
        """`keras_initact.deep.for_activation`'s recipe for the activation
        and depth, or None without hidden layers."""
        if self.depth == 0:
            return None
        return for_activation(self.activation, depth=self.depth,
                              shaping=self.shaping, seed=self.seed)

    def downsamples(self, block):
        """Whether conv block `block` ends by downsampling."""
        blocks = self.downsample_blocks
        return self.pooling is not None and (blocks is None or block in blocks)

    def conv_strides_of(self, block):
        """The strides of conv block `block`'s convolution: `pool_size` where
        `pooling="stride"` downsamples, else `conv_strides`."""
        if self.pooling == "stride" and self.downsamples(block):
            return self.pool_size
        return self.conv_strides

    def pooling_layer_of(self, block):
        """`"Max"`, `"Average"` or None: the pooling layer ending `block`."""
        if self.pooling in ("max", "average") and self.downsamples(block):
            return "Max" if self.pooling == "max" else "Average"
        return None

    def spatial_sizes(self):
        """The spatial sizes after each conv block, as a list of tuples.

        Raises `ValueError` when a size reaches zero.
        """
        sizes = list(self.input_shape[:-1])
        rank = len(sizes)
        kernel = _per_axis(self.conv_kernel_size, rank)
        pool = _per_axis(self.pool_size, rank)
        after = []
        for i in range(len(self.conv_filters)):
            strides = _per_axis(self.conv_strides_of(i), rank)
            if self.conv_padding == "same":
                sizes = [-(-n // s) for n, s in zip(sizes, strides)]
            else:
                sizes = [(n - k) // s + 1
                         for n, k, s in zip(sizes, kernel, strides)]
            pooled = self.pooling_layer_of(i) is not None
            if pooled:
                sizes = [n // p for n, p in zip(sizes, pool)]
            if min(sizes) < 1:
                where = f"pool_{i}" if pooled else f"conv_{i}"
                raise ValueError(
                    f"{OWNER}: the conv stack shrinks input_shape="
                    f"{self.input_shape} to nothing at {where} (block {i} of "
                    f"{len(self.conv_filters)}). Use fewer conv_filters, "
                    "pooling=None, conv_padding='same', smaller strides or a "
                    "larger input."
                )
            after.append(tuple(sizes))
        return after


def normalize_spec(*args, **kwargs):
    """Checks the arguments of `build_sequential`; returns the canonical spec
    as a dict of JSON types: `ModelSpec(*args, **kwargs).get_config()`.

    `build_sequential(**spec)` rebuilds the model, and normalizing a
    canonical spec returns it unchanged.
    """
    return bind("normalize_spec", args, kwargs).get_config()


def signature():
    """`build_sequential`'s signature: `ModelSpec`'s fields and defaults."""
    return inspect.Signature([
        inspect.Parameter(
            field.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=(inspect.Parameter.empty
                     if field.default is dataclasses.MISSING
                     else field.default))
        for field in dataclasses.fields(ModelSpec)
    ])


def bind(owner, args, kwargs):
    """The `ModelSpec` of the call `owner(*args, **kwargs)`; a missing or
    unknown argument raises `TypeError` as Python's own call would."""
    try:
        bound = signature().bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{owner}(): {error}") from None
    return ModelSpec(**bound.arguments)


normalize_spec.__signature__ = signature()


def _default(name):
    return next(field.default for field in dataclasses.fields(ModelSpec)
                if field.name == name)


def _per_axis(value, rank):
    return tuple(value) if isinstance(value, tuple) else (value,) * rank


def _json(value):
    if isinstance(value, (tuple, list)):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value

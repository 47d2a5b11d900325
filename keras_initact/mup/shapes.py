"""`set_base_shapes`: each variable's widths against a base model, and the
μP initialization from them."""

import dataclasses
import math
import warnings
from typing import Tuple

import keras
import numpy as np

from keras_initact import keras_adapter
from keras_initact.checks import check_bool
from keras_initact.mup.attention import MuMultiHeadAttention
from keras_initact.mup.readout import MuReadout
from keras_initact.mup.table import LEARNING_RATE_RULES, MUP_TABLE, kind_of


@dataclasses.dataclass(frozen=True)
class WidthShape:
    """One variable's shape against its base model's.

    An axis is a width when its size differs from the base's (or, with a
    delta model, when the base's and the delta's differ). `fan_in_axes`
    are the axes the layer sums over (a kernel's input channels),
    `fan_out_axes` its output units; a kernel's spatial axes are neither.

    >>> shape = WidthShape((256, 256), (64, 64), (0,), (1,), (0, 1))
    >>> shape.kind, shape.fan_in_mult, shape.learning_rate_multiplier("adam")
    ('hidden', 4.0, 0.25)
    """

    shape: Tuple[int, ...]
    base_shape: Tuple[int, ...]
    fan_in_axes: Tuple[int, ...]
    fan_out_axes: Tuple[int, ...]
    width_axes: Tuple[int, ...]

    def _mult(self, axes):
        widths = [a for a in axes if a in self.width_axes]
        return float(math.prod(self.shape[a] / self.base_shape[a]
                               for a in widths))

    @property
    def fan_in_mult(self):
        """`m_in`: the fan-in's width over the base's (1 when fixed)."""
        return self._mult(self.fan_in_axes)

    @property
    def fan_out_mult(self):
        """`m_out`: the fan-out's width over the base's."""
        return self._mult(self.fan_out_axes)

    @property
    def kind(self):
        """The μP table's row: `input`, `hidden`, `output` or `fixed`."""
        return kind_of(any(a in self.width_axes for a in self.fan_in_axes),
                       any(a in self.width_axes for a in self.fan_out_axes))

    @property
    def rule(self):
        return MUP_TABLE[self.kind]

    @property
    def init_variance_multiplier(self):
        """The initialization variance over the base model's."""
        return self.rule.init_variance(self.fan_in_mult, self.fan_out_mult)

    def learning_rate_multiplier(self, optimizer="adam"):
        """The learning rate over the base model's, for an Adam-like
        (`"adam"`) or SGD-like (`"sgd"`) optimizer."""
        entry = LEARNING_RATE_RULES[optimizer](self.rule)
        return entry(self.fan_in_mult, self.fan_out_mult)

    def get_config(self):
        return {field.name: list(getattr(self, field.name))
                for field in dataclasses.fields(self)}

    @classmethod
    def from_config(cls, config):
        return cls(**{name: tuple(value) for name, value in config.items()})


class BaseShapes:
    """Each variable's `WidthShape`, by variable path: what
    `set_base_shapes` recorded and the μP optimizers read.

    >>> shapes = keras_initact.mup.set_base_shapes(model, base_model)
    >>> shapes["dense_1/kernel"].kind
    'hidden'
    """

    def __init__(self, shapes):
        self._shapes = dict(shapes)

    def __getitem__(self, path):
        return self._shapes[path]

    def __contains__(self, path):
        return path in self._shapes

    def __iter__(self):
        return iter(self._shapes)

    def __len__(self):
        return len(self._shapes)

    def items(self):
        return self._shapes.items()

    def shape_of(self, path):
        """The `WidthShape` recorded for the variable at `path`, or None.

        Paths are recorded without the model's name, which a Sequential's
        variables carry while it is built (`<model>/<layer>/<name>`) and
        lose once loaded from `.keras`; so a path also matches the one
        recorded path that it ends, or that ends it, at a `/`.
        """
        if path in self._shapes:
            return self._shapes[path]
        matches = [shape for recorded, shape in self._shapes.items()
                   if recorded.endswith("/" + path)
                   or path.endswith("/" + recorded)]
        return matches[0] if len(matches) == 1 else None

    def __eq__(self, other):
        return isinstance(other, BaseShapes) and \
            self.get_config() == other.get_config()

    def __repr__(self):
        kinds = {}
        for shape in self._shapes.values():
            kinds[shape.kind] = kinds.get(shape.kind, 0) + 1
        return f"BaseShapes({len(self)} variables: {kinds})"

    def get_config(self):
        return {path: shape.get_config()
                for path, shape in self._shapes.items()}

    @classmethod
    def from_config(cls, config):
        return cls({path: WidthShape.from_config(value)
                    for path, value in config.items()})


def set_base_shapes(model, base_model, *, delta_model=None, rescale=True,
                    seed=None):
    """Records each variable's widths against `base_model` and, with
    `rescale`, re-initializes `model` as μP prescribes.

    `base_model` is the same architecture at the base width (where μP and
    the standard parametrization agree: hyperparameters tuned there
    transfer). Variables are matched in order; an axis whose size differs
    from the base's is a width (with `delta_model`, one whose size differs
    between base and delta, so that `model` may be the base width itself).
    Each `MuReadout` gets its `width_mult`; every other weight is
    re-initialized to the base's mean square times the μP table's variance
    multiplier (`keras_initact.mup.table`): hidden weights `1/m_in`, the
    rest unchanged, each kernel keeping the shape of its distribution.
    Readouts start at zero when built with `zero_init=True`.

    >>> shapes = keras_initact.mup.set_base_shapes(build(1024), build(64))
    >>> model.compile(optimizer=keras_initact.mup.Adam(1e-3, base_shapes=shapes), loss=...)

    Args:
        model: a built Keras model whose weights are Dense, EinsumDense,
            convolution or Embedding kernels, biases and normalization
            scales.
        base_model: the same architecture at the base width, built.
        delta_model: optional, the same architecture at another width,
            to say which axes are widths.
        rescale: re-initialize `model`'s weights (False for a model whose
            weights are already μP's, such as one loaded from a file).
        seed: for kernels drawn anew (all-zero ones whose base is not).

    Returns:
        `BaseShapes`, also kept as `model.base_shapes`.

    Raises:
        ValueError: for a base of another architecture, a width below the
            base's, or a layer that maps a width to a fixed size without
            being a `MuReadout`.
    """
    check_bool("rescale", rescale, "set_base_shapes")
    if not isinstance(model, keras.Model) or not model.weights:
        raise ValueError(
            "set_base_shapes: `model` must be a built keras.Model with "
            f"variables (call it on data, or give it an Input); received "
            f"{model!r}.")
    for name, other in (("base_model", base_model),
                        ("delta_model", delta_model)):
        if other is not None:
            _check_pair(model, other, name)
    reference = model if delta_model is None else delta_model
    known = _fan_axes_by_variable(model)
    paths = _relative_paths(model)
    shapes = {}
    for variable, base, other in zip(model.weights, base_model.weights,
                                     reference.weights):
        width_axes = tuple(axis for axis, (a, b) in enumerate(
            zip(base.shape, other.shape)) if a != b)
        shape = tuple(variable.shape)
        for axis in width_axes:
            if shape[axis] < base.shape[axis]:
                raise ValueError(
                    f"set_base_shapes: {variable.path!r} has width "
                    f"{shape[axis]} on axis {axis}, below the base model's "
                    f"{base.shape[axis]}; the base must be the narrowest "
                    "(give the model the base width or wider).")
        fan_in, fan_out = _fan_axes(variable, known)
        shapes[paths[id(variable)]] = WidthShape(
            shape, tuple(base.shape), fan_in, fan_out, width_axes)
    if len(shapes) != len(model.weights):
        found = list(paths.values())
        twice = sorted({path for path in found if found.count(path) > 1})
        raise ValueError(
            f"set_base_shapes: the model has several variables at each of "
            f"{twice[:3]}; give its layers unique names, since the base "
            "shapes are recorded by variable path.")
    base_shapes = BaseShapes(shapes)
    _set_attention(model, base_model)
    _set_readouts(model, base_shapes)
    if rescale:
        _rescale(model, base_model, base_shapes, seed)
    model.base_shapes = base_shapes
    # The multipliers are Python numbers read at each call: functions that
    # Keras traced before hold the old ones.
    for name in ("train_function", "test_function", "predict_function"):
        if getattr(model, name, None) is not None:
            setattr(model, name, None)
    return base_shapes


def _set_attention(model, base_model):
    """Each `MuMultiHeadAttention` gets its base `key_dim`; a Keras
    `MultiHeadAttention` whose `key_dim` widens is warned about."""
    attention = [(ours, theirs) for ours, theirs in zip(
        _all_layers(model), _all_layers(base_model))
        if isinstance(ours, keras.layers.MultiHeadAttention)]
    for ours, theirs in attention:
        if isinstance(ours, MuMultiHeadAttention):
            ours.set_base_key_dim(theirs.key_dim)
        elif ours.key_dim != theirs.key_dim:
            warnings.warn(
                f"set_base_shapes: {ours.name!r} widens key_dim "
                f"({theirs.key_dim} -> {ours.key_dim}); μP scales attention "
                "logits by 1/key_dim, and Keras's MultiHeadAttention by "
                "1/sqrt(key_dim): make it a "
                "keras_initact.mup.MuMultiHeadAttention, or widen num_heads "
                "instead.", stacklevel=3)


def _relative_paths(model):
    """`id(variable) -> path` without the model's own name: a Sequential's
    variables are `<model>/<layer>/<name>` while it is built and
    `<layer>/<name>` once loaded from `.keras`, a functional model's
    `<layer>/<name>` always."""
    prefix = model.name + "/"
    paths = {id(v): v.path for v in model.weights}
    if paths and all(path.startswith(prefix) for path in paths.values()):
        paths = {key: path[len(prefix):] for key, path in paths.items()}
    return paths


def _check_pair(model, other, name):
    if not isinstance(other, keras.Model):
        raise ValueError(f"set_base_shapes: `{name}` must be a built "
                         f"keras.Model; received {other!r}.")
    ours, theirs = model.weights, other.weights
    mismatch = _layer_mismatch(_signature(model), _signature(other))
    if mismatch is None and len(ours) != len(theirs):
        mismatch = (f"it has {len(theirs)} variables and the model "
                    f"{len(ours)}")
    elif mismatch is None:
        for index, (a, b) in enumerate(zip(ours, theirs)):
            if len(a.shape) != len(b.shape) or a.name != b.name:
                mismatch = (f"its variable #{index} is {b.path!r} of shape "
                            f"{tuple(b.shape)}, the model's {a.path!r} of "
                            f"shape {tuple(a.shape)}")
                break
    if mismatch:
        raise ValueError(
            f"set_base_shapes: `{name}` must be the model's architecture "
            f"at another width; {mismatch}.")


def _signature(model):
    """Each layer's class and number of variables, nested models' layers
    included, in order."""
    return [(type(layer).__name__, len(layer.weights))
            for layer in _all_layers(model) if not isinstance(layer, (
                keras.layers.InputLayer, keras.Model))]


def _layer_mismatch(ours, theirs):
    for index, (a, b) in enumerate(zip(ours, theirs)):
        if a != b:
            return (f"its layer #{index} is a {b[0]} with {b[1]} "
                    f"variables, the model's a {a[0]} with {a[1]}")
    if len(ours) != len(theirs):
        return f"it has {len(theirs)} layers and the model {len(ours)}"
    return None


def _fan_axes_by_variable(model):
    """`id(variable) -> (fan_in_axes, fan_out_axes)` for the variables
    whose axes the rank alone does not tell: every EinsumDense kernel
    (attention's included) from its equation, every bias (all of its axes
    are outputs, even an EinsumDense's `(heads, key_dim)` one), transposed
    convolutions' kernels (`kernel_size + (filters, in_channels)`) and
    depthwise kernels (`kernel_size + (in_channels, depth_multiplier)`:
    each output sums over the window alone)."""
    found = {}
    for layer in _all_layers(model):
        kernel = getattr(layer, "kernel", None)
        if isinstance(layer, keras.layers.EinsumDense):
            found[id(kernel)] = _einsum_axes(layer.equation,
                                             len(kernel.shape))
        elif isinstance(layer, _TRANSPOSED) and kernel is not None:
            rank = len(kernel.shape)
            found[id(kernel)] = (rank - 1,), (rank - 2,)
        for depthwise in (getattr(layer, "depthwise_kernel", None),
                          kernel if isinstance(layer, _DEPTHWISE) else None):
            if isinstance(depthwise, keras.Variable):
                rank = len(depthwise.shape)
                found[id(depthwise)] = (), (rank - 2, rank - 1)
        bias = getattr(layer, "bias", None)
        if isinstance(bias, keras.Variable):
            found[id(bias)] = (), tuple(range(len(bias.shape)))
    return found


_TRANSPOSED = (keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
               keras.layers.Conv3DTranspose)
_DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)


def _einsum_axes(equation, rank):
    inputs, output = equation.replace("...", "").split("->")
    kernel_spec = inputs.split(",")[1]
    fan_in = tuple(i for i, letter in enumerate(kernel_spec)
                   if letter not in output)
    return fan_in, tuple(i for i in range(rank) if i not in fan_in)


def _fan_axes(variable, known):
    rank = len(variable.shape)
    if id(variable) in known:
        return known[id(variable)]
    if rank == 0:
        return (), ()
    if rank == 1:
        return (), (0,)
    return (rank - 2,), (rank - 1,)


def _set_readouts(model, base_shapes):
    paths = _relative_paths(model)
    readouts = [layer for layer in _all_layers(model)
                if isinstance(layer, MuReadout)]
    for layer in readouts:
        layer.width_mult = base_shapes[paths[id(layer.kernel)]].fan_in_mult
    readout_kernels = {id(layer.kernel) for layer in readouts}
    for variable in model.weights:
        shape = base_shapes[paths[id(variable)]]
        if shape.kind == "output" and id(variable) not in readout_kernels:
            raise ValueError(
                f"set_base_shapes: {variable.path!r} maps a width (fan-in "
                f"x{shape.fan_in_mult:g}) to a fixed size, which μP's "
                "output multiplier must scale: make its layer a "
                "keras_initact.mup.MuReadout (inside attention, scale the "
                "number of heads with the width, or key_dim, not neither).")


def _rescale(model, base_model, base_shapes, seed):
    paths = _relative_paths(model)
    zeroed = {id(variable) for layer in _all_layers(model)
              if isinstance(layer, MuReadout) and layer.zero_init
              for variable in layer.trainable_weights}
    for variable, base in zip(model.weights, base_model.weights):
        if not variable.trainable:
            continue
        if id(variable) in zeroed:
            variable.assign(np.zeros(variable.shape, variable.dtype))
            continue
        base_values = keras.ops.convert_to_numpy(base).astype(np.float64)
        if base_values.size and np.all(base_values == base_values.flat[0]):
            # Constant (zeros, ones): the same constant at every width.
            variable.assign(np.full(variable.shape, base_values.flat[0],
                                    dtype=variable.dtype))
            continue
        values = keras.ops.convert_to_numpy(variable).astype(np.float64)
        wanted = float(np.mean(base_values ** 2)) * \
            base_shapes[paths[id(variable)]].init_variance_multiplier
        current = float(np.mean(values ** 2))
        if current > 0.0:
            new = values * math.sqrt(wanted / current)
        else:
            new = keras.ops.convert_to_numpy(keras.random.normal(
                variable.shape, stddev=math.sqrt(wanted), seed=seed))
        variable.assign(keras.ops.cast(new, variable.dtype))


def _all_layers(model):
    """Every layer inside `model`: those of sub-models, of custom layers
    and attention's projections included."""
    return keras_adapter.nested_layers(model)

"""`build_sequential`: a whole network, initialized to suit its activation, in one call.

The model is a plain `keras.Sequential` of Keras and keras_initact layers
(no lambdas, no subclass), so it saves as `.keras`, loads with
`safe_mode=True` and exports as a SavedModel. Its layers have stable names:

| block               | layers, in order                                         |
|---------------------|----------------------------------------------------------|
| conv block `i`      | `conv_i`, `bn_conv_i`*, `act_conv_i`, `scale_conv_i`*, `pool_i`* |
| (input rank > 1)    | `flatten`                                                |
| dense block `i`     | `dense_i`, `bn_i`*, `act_i`, `scale_i`*, `dropout_i`*    |
| output              | `head` (a `Dense` with softmax, sigmoid or no activation)|

(* only with `batch_norm=True`, a pooling layer ending the block,
`dropout > 0`.) The input is named `inputs`. Under
`parametrization="mup"` the head is a `keras_initact.mup.MuReadout` and
the model carries its `BaseShapes` (`model.base_shapes`, from
`set_base_shapes` against the same spec at `base_width`).
"""

import json

import keras

from keras_initact.models.arguments import HEAD_ACTIVATIONS
from keras_initact.models.initialization import InitPlan
from keras_initact.models.spec import bind, signature
from keras_initact.mup import MuReadout, set_base_shapes

# Where the factory keeps a model's spec, as a JSON string (a plain string
# attribute is not tracked by Keras); `spec_of` checks it against the layers.
SPEC_ATTRIBUTE = "_keras_initact_spec"
INPUT_NAME = "inputs"


def build_sequential(*args, **kwargs):
    """Builds a `keras.Sequential` whose initializers suit its activation.

    The arguments are the fields of `keras_initact.models.ModelSpec`, which
    gives this function its signature, its defaults and its checks: every
    argument is checked before any layer is made. The activation is
    applied by separate layers (`act_0`, ...) so that callbacks can monitor
    their outputs. `spec_of(model)` returns the arguments as a JSON-ready
    dict, and `build_sequential(**spec_of(model))` rebuilds the same model,
    weights included.

    >>> model = build_sequential((28, 28, 1), [128], "mish", conv_filters=[32, 64],
    ...                          num_classes=10, seed=0)  # an MNIST CNN
    >>> deep = build_sequential((28, 28, 1), [], "tanh", conv_filters=[16] * 50,
    ...                         pooling="stride", downsample_blocks=[0, 25],
    ...                         num_classes=10, shaping=True)  # a plain 50-layer CNN

    Args:
        input_shape: the shape of one example, e.g. `(784,)` or
            `(28, 28, 1)`. An input of rank > 1 is flattened before the
            dense layers.
        hidden_units: the widths of the hidden `Dense` layers, e.g.
            `[256, 128]`; may be empty.
        activation: the hidden activation: a registry name (any alias), an
            `ActivationSpec`, a keras_initact layer class or a function the
            registry knows. Elementwise activations only.
        kernel_initializer: `"auto"` (default): the initialization that
            suits the activation at this depth, from
            `keras_initact.deep.for_activation`: the registry's pairing (He
            for the ReLU family, LeCun for SELU, Glorot for tanh and sigmoid)
            up to 8 hidden layers, a critical (edge-of-chaos) point deeper;
            the head gets Glorot uniform. Or a name, a config dict or an
            initializer object, used for every layer, the head included.
            The model's `seed`, not the initializer's, seeds each layer.
        bias_initializer: `"auto"` (default): the recipe's biases (zeros up
            to depth 8) when `kernel_initializer="auto"`, else zeros; or a
            name, dict or object for every layer. With `batch_norm=True` the
            hidden layers have no bias, so this only concerns the head.
        conv_filters: the filters of the conv blocks before the dense
            layers, e.g. `[32, 64]`; empty (default) for none. The input must
            have spatial axes and channels: Conv1D for `(steps, channels)`,
            Conv2D for `(height, width, channels)`, Conv3D for rank 4.
        conv_kernel_size, conv_strides: an int or one int per spatial axis.
        conv_padding: `"same"` (default) or `"valid"`.
        pooling: how a conv block downsamples: `"max"` (default) or
            `"average"`, a pooling layer ending the block; `"stride"`, the
            block's convolution has stride `pool_size` (instead of
            `conv_strides`); None: no downsampling but `conv_strides`.
        pool_size: an int or one per spatial axis: the pooling window and
            its strides, or the downsampling convolution's strides.
        downsample_blocks: which conv blocks downsample (0-based indices,
            e.g. `[0, 25]` for two stages of a 50-block stack); None
            (default): every block. Deep plain CNNs downsample at a few
            blocks only, or the input shrinks to nothing.
        task: `"classification"` (softmax over `num_classes`), `"binary"`
            (sigmoid) or `"regression"` (linear).
        num_classes: the softmax width (required, >= 2, for
            classification); for `"binary"` the number of independent
            sigmoid outputs, for `"regression"` of targets (default 1).
        batch_norm: a `BatchNormalization` before each hidden activation
            (the layer before it then has no bias).
        dropout: the rate of a dropout layer after each hidden dense
            activation (`AlphaDropout` for SELU, to keep it self-normalizing);
            0 (default) for none.
        shaping: False (default), True (or `"tat"`) or `"dks"`: with
            `kernel_initializer="auto"` and more than 8 hidden layers
            (convolutions included), let `for_activation` shape the
            network with TAT or DKS: every
            activation's output is scaled by `8 / depth` (a `scale_i`
            `Rescaling` layer after `act_i`) and hidden kernels after the
            first are `depth / 8` times larger, which keeps deep networks
            training under Adam; a ReLU-family network also becomes a TAT
            leaky ReLU whose slope depends on the depth, and a smooth
            activation (GELU, tanh, sigmoid, Swish, ...) a TAT- or
            DKS-shaped `ShapedActivation` of it. Hidden kernels are
            orthogonal, delta-orthogonal for convolutions.
        seed: an int in `[0, 2**31 - 1)`; every layer's initializer and
            dropout get their own seed derived from it, so the same seed
            gives the same model. None draws one (reproducibly under
            `keras.utils.set_random_seed`); `spec_of` shows it.
        name: the model's name, also its default export folder; default
            `"<activation>_mlp"` or `"<activation>_cnn"`.
        parametrization: `"standard"` (default) or `"mup"`, μP (Yang et
            al., Tensor Programs V, 2021): the head is a
            `keras_initact.mup.MuReadout` (zero-initialized, its logits
            scaled by `1 / width_mult`), and `set_base_shapes` re-scales
            the weights against the same spec with every hidden `Dense`
            layer `base_width` wide (the conv stack is not a width), so
            that `keras_initact.mup.Adam(lr, base_shapes=model.base_shapes)`
            trains it with the base model's tuned learning rate. A model
            loaded from `.keras` gets its base shapes back from
            `keras_initact.models.base_shapes_of(model)`.
        base_width: μP's base width, at most every hidden `Dense` width
            (required for `"mup"`, None for `"standard"`).

    >>> wide = build_sequential((64,), [1024] * 3, num_classes=10, seed=0,
    ...                         parametrization="mup", base_width=64)
    >>> wide.compile(keras_initact.mup.Adam(1e-3, base_shapes=wide.base_shapes), ...)

    Returns:
        A built `keras.Sequential` (not compiled). Build it inside
        `strategy.scope()` to place its variables with a `tf.distribute`
        strategy; its batch normalization then synchronizes the replicas.

    Raises:
        ValueError: for an argument that is not allowed, naming it and what
            is allowed.
    """
    spec = bind("build_sequential", args, kwargs)
    model = _sequential(spec, spec.name)
    if spec.parametrization == "mup":
        set_base_shapes(model, base_model(spec), seed=spec.seed)
    setattr(model, SPEC_ATTRIBUTE, json.dumps(spec.get_config()))
    return model


def base_model(spec):
    """μP's base model of a `ModelSpec`: `spec.base_spec()` built, the
    same seeds (None under the standard parametrization)."""
    base = spec.base_spec()
    if base is None:
        return None
    return _sequential(base, f"{base.name}_base")


def _sequential(spec, name):
    layers = build_layers(spec)
    return keras.Sequential(
        [keras.Input(spec.input_shape, name=INPUT_NAME), *layers], name=name)


build_sequential.__signature__ = signature()


def build_layers(spec):
    """The layers of a `ModelSpec`, in order, not yet built."""
    plan = InitPlan(spec)
    layers = []
    for i, filters in enumerate(spec.conv_filters):
        layers += _conv_block(spec, plan, i, filters)
    if len(spec.input_shape) > 1:
        layers.append(keras.layers.Flatten(name="flatten"))
    offset = len(spec.conv_filters)
    for i, units in enumerate(spec.hidden_units):
        layers += _dense_block(spec, plan, i, offset + i, units)
    head = dict(activation=HEAD_ACTIVATIONS[spec.task],
                kernel_initializer=plan.kernel(plan.depth),
                bias_initializer=plan.bias(plan.depth), name="head")
    if spec.parametrization == "mup":
        # Its initializers stay in its config (the head's kernel carries
        # the model's seed, for spec_of); set_base_shapes zeroes it.
        layers.append(MuReadout(spec.num_classes,
                                width_mult=spec.readout_width_mult,
                                zero_init=True, **head))
    else:
        layers.append(keras.layers.Dense(spec.num_classes, **head))
    return layers


def _conv_block(spec, plan, i, filters):
    conv = getattr(keras.layers, f"Conv{spec.conv_rank}D")
    layers = [conv(
        filters * _widening(plan), spec.conv_kernel_size,
        strides=spec.conv_strides_of(i),
        padding=spec.conv_padding, use_bias=not spec.batch_norm,
        kernel_initializer=plan.kernel(i), bias_initializer=plan.bias(i),
        name=f"conv_{i}",
    )]
    if spec.batch_norm:
        layers.append(_batch_norm(f"bn_conv_{i}"))
    layers.append(plan.activation_layer(f"act_conv_{i}"))
    layers.extend(plan.scale_layers(f"scale_conv_{i}"))
    kind = spec.pooling_layer_of(i)
    if kind is not None:
        pool = getattr(keras.layers, f"{kind}Pooling{spec.conv_rank}D")
        layers.append(pool(spec.pool_size, name=f"pool_{i}"))
    return layers


def _dense_block(spec, plan, i, index, units):
    layers = [keras.layers.Dense(
        units * _widening(plan), use_bias=not spec.batch_norm,
        kernel_initializer=plan.kernel(index),
        bias_initializer=plan.bias(index), name=f"dense_{i}",
    )]
    if spec.batch_norm:
        layers.append(_batch_norm(f"bn_{i}"))
    layers.append(plan.activation_layer(f"act_{i}"))
    layers.extend(plan.scale_layers(f"scale_{i}"))
    if spec.dropout > 0.0:
        dropout = (keras.layers.AlphaDropout if plan.activation.name == "selu"
                   else keras.layers.Dropout)
        layers.append(dropout(spec.dropout, seed=plan.dropout_seed(index),
                              name=f"dropout_{i}"))
    return layers


def _widening(plan):
    """2 for a gated activation (it halves its input's last axis: the layer
    before it is twice as wide), else 1."""
    return 2 if plan.activation.gate else 1


def _batch_norm(name):
    """A BatchNormalization layer; synchronized across replicas when built
    under a TensorFlow distribution strategy with several replicas, so that
    every replica keeps the same moving statistics (unsynchronized, each
    replica's would drift apart and `predict` would depend on the replica
    a row lands on, while an export keeps only the first replica's)."""
    return keras.layers.BatchNormalization(
        synchronized=_replicas_in_sync() > 1, name=name
    )


def _replicas_in_sync():
    if keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    if not tf.distribute.has_strategy():
        return 1
    return tf.distribute.get_strategy().num_replicas_in_sync

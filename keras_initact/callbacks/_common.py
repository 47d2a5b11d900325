"""What the callbacks share: naming, probe batches, monitored layers."""

import re
import warnings

import keras
import numpy as np
import tensorflow as tf

from keras_initact.activations.registry import ACTIVATIONS


def weight_names(variables):
    """Unique, tag-safe names for variables: their Keras paths
    (`"dense_1/kernel"`, `"block/conv/bias"`), suffixed `_1`, `_2`, ... on
    a clash."""
    names, seen = [], {}
    for v in variables:
        name = getattr(v, "path", None) or v.name
        name = re.sub(r"[^A-Za-z0-9_./-]", "_", name.split(":")[0])
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def unique_variables(variables):
    out, ids = [], set()
    for v in variables:
        if id(v) not in ids:
            ids.add(id(v))
            out.append(v)
    return out


def probe_batch(probe_data):
    """The input part of `probe_data` (an array, a tensor, a tuple `(x, y)`
    or `(x, y, w)`, a dict, or a `tf.data.Dataset`, of which the first
    batch is taken) as tensors."""
    if probe_data is None:
        return None
    if isinstance(probe_data, tf.data.Dataset):
        probe_data = next(iter(probe_data))
    if isinstance(probe_data, tuple):
        probe_data = probe_data[0]
    return tf.nest.map_structure(tf.convert_to_tensor, probe_data)


def activation_spec(layer):
    """The registry record of the activation a layer applies: its own for
    activation layers, that of `layer.activation` for layers with a fused
    activation (`Dense(4, activation="relu")`), else `None`."""
    spec = ACTIVATIONS.identify(layer)
    if spec is None:
        act = getattr(layer, "activation", None)
        if act is not None and not isinstance(act, keras.layers.Layer):
            spec = ACTIVATIONS.identify(act)
        elif isinstance(act, keras.layers.Layer):
            spec = ACTIVATIONS.identify(act)
    return spec


def monitored_layers(model, names=None):
    """`(layer, spec)` for the model's top-level layers whose output can be
    read from a functional graph: every layer but `InputLayer`s (nested
    models count as one layer, their output). `names` keeps only those."""
    if not getattr(model, "inputs", None):
        warnings.warn(
            f"{type(model).__name__} {model.name!r} is not a functional or "
            "Sequential model with known inputs; activation statistics are "
            "not computed for it.", stacklevel=3)
        return []
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if names is not None and layer.name not in names:
            continue
        try:
            output = layer.output
        except (AttributeError, ValueError):
            continue  # shared layers, layers never called in the graph
        if not isinstance(output, keras.KerasTensor):
            continue
        if not np.issubdtype(np.dtype(keras.backend.standardize_dtype(
                output.dtype)), np.floating):
            continue
        out.append((layer, activation_spec(layer)))
    return out


def probe_model(model, layers):
    """A `keras.Model` from the model's inputs to the listed layers'
    outputs (no new weights: it shares them)."""
    return keras.Model(model.inputs, [layer.output for layer, _ in layers],
                       name=f"{model.name}_probe")


def built_update_optimizer(model):
    """The model's optimizer, built on the model's trainable variables if
    `fit` has not built it yet (as its first `apply` would), and the
    innermost optimizer whose `update_step` the hooks wrap."""
    from keras_initact.callbacks import _hooks

    optimizer = model.optimizer
    if not optimizer.built:
        with model.distribute_strategy.scope():
            optimizer.build(model.trainable_variables)
    return optimizer, _hooks.update_optimizer(optimizer)


def refresh_train_function(model):
    """Rebuilds the model's train function after a hook was installed, so
    that the next call traces it with the hook; keeps `LayerStats`'s
    capturing wrapper when one is in place."""
    refresh = getattr(getattr(model, "train_function", None),
                      "_initact_refresh", None)
    if refresh is not None:
        refresh()
    else:
        model.make_train_function(force=True)

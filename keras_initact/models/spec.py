"""Model specs: the plain, JSON-serializable description of a factory model.

`normalize_spec` checks every argument of `build_sequential` before anything
is built and returns the canonical spec: a dict of JSON types (lists, not
tuples; initializers as `"auto"` or Keras config dicts; the activation's
canonical registry name; the seed actually used), with the keys in the order
of `build_sequential`'s arguments. `build_sequential(**spec)` rebuilds the
model, and normalizing a canonical spec returns it unchanged.
"""

import copy
import difflib
import numbers
import random as python_random
import re

import keras

from keras_initact import initializers
from keras_initact.activations import ACTIVATIONS, ActivationSpec
from keras_initact.deep.pairing import for_activation, shaping_method

TASKS = ("classification", "binary", "regression")
# The activation of the output layer for each task (a Keras built-in name).
HEAD_ACTIVATIONS = {
    "classification": "softmax", "binary": "sigmoid", "regression": "linear",
}
POOLINGS = ("max", "average", "stride", None)
PADDINGS = ("same", "valid")
AUTO = "auto"
SEED_LIMIT = 2**31 - 1
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# Conv1D/2D/3D take inputs of rank 2/3/4: spatial axes, then channels.
CONV_INPUT_RANKS = (2, 3, 4)

FIELDS = (
    "input_shape", "hidden_units", "activation", "kernel_initializer",
    "bias_initializer", "conv_filters", "conv_kernel_size", "conv_strides",
    "conv_padding", "pooling", "pool_size", "downsample_blocks", "task",
    "num_classes",
    "batch_norm", "dropout", "shaping", "seed", "name",
)

OWNER = "build_sequential"


def normalize_spec(input_shape, hidden_units, activation="relu",
                   kernel_initializer=AUTO, bias_initializer=AUTO,
                   conv_filters=(), conv_kernel_size=3, conv_strides=1,
                   conv_padding="same", pooling="max", pool_size=2,
                   downsample_blocks=None, task="classification",
                   num_classes=None, batch_norm=False, dropout=0.0,
                   shaping=False, seed=None, name=None):
    """Checks the arguments of `build_sequential`; returns the canonical spec.

    Raises `ValueError` naming the bad value and what is allowed. A `seed`
    of `None` is replaced by a drawn one (from Python's `random`, so
    `keras.utils.set_random_seed` makes it reproducible).
    """
    input_shape = _positive_ints("input_shape", input_shape, allow_empty=False)
    hidden_units = _positive_ints("hidden_units", hidden_units)
    conv_filters = _positive_ints("conv_filters", conv_filters)
    hidden = activation_spec(activation)
    _check_conv_input(input_shape, conv_filters)
    spatial = (len(input_shape) - 1
               if len(input_shape) in CONV_INPUT_RANKS else 1)
    conv_kernel_size = _per_axis("conv_kernel_size", conv_kernel_size, spatial)
    conv_strides = _per_axis("conv_strides", conv_strides, spatial)
    pool_size = _per_axis("pool_size", pool_size, spatial)
    conv_padding = _choice("conv_padding", conv_padding, PADDINGS)
    pooling = _choice("pooling", pooling, POOLINGS)
    downsample_blocks = _downsample_blocks(downsample_blocks, conv_filters,
                                           pooling)
    task = _choice("task", task, TASKS)
    spec = {
        "input_shape": input_shape,
        "hidden_units": hidden_units,
        "activation": hidden.name,
        "kernel_initializer": canonical_initializer(
            "kernel_initializer", kernel_initializer),
        "bias_initializer": canonical_initializer(
            "bias_initializer", bias_initializer),
        "conv_filters": conv_filters,
        "conv_kernel_size": conv_kernel_size,
        "conv_strides": conv_strides,
        "conv_padding": conv_padding,
        "pooling": pooling,
        "pool_size": pool_size,
        "downsample_blocks": downsample_blocks,
        "task": task,
        "num_classes": _num_classes(task, num_classes),
        "batch_norm": _flag("batch_norm", batch_norm),
        "dropout": _rate(dropout),
        "shaping": _shaping(shaping),
        "seed": _seed(seed),
        "name": _name(name, hidden.name, conv_filters),
    }
    if conv_filters:
        spatial_sizes(spec)  # raises if the stack shrinks the input to nothing
    return _without_unused(spec, hidden)


def _without_unused(spec, hidden):
    """Resets the arguments that have no effect on the model to their
    defaults, so that equal models have equal specs (and `spec_of` a loaded
    model gives what the factory made)."""
    if spec["pooling"] == "stride" and spec["downsample_blocks"] is None:
        # Every block's conv strides by pool_size: conv_strides is unused.
        spec.update(pooling=None, conv_strides=spec["pool_size"])
    if not spec["conv_filters"]:
        spec.update(conv_kernel_size=3, conv_strides=1, conv_padding="same",
                    pooling="max", pool_size=2, downsample_blocks=None)
    elif spec["pooling"] is None:
        spec["pool_size"] = 2
    if not spec["hidden_units"]:
        spec["dropout"] = 0.0
    if not spec["hidden_units"] and not spec["conv_filters"]:
        spec["batch_norm"] = False
    if spec["shaping"]:
        recipe = None
        if spec["kernel_initializer"] == AUTO:
            recipe = recipe_for(spec)
        if recipe is None or not recipe.shaped:
            spec["shaping"] = False
        else:  # DKS and TAT differ only where DKS shapes the unit
            spec["shaping"] = "dks" if recipe.shaping == "dks" else True
    return spec


def depth_of(spec):
    """The number of hidden (conv and dense) layers."""
    return len(spec["conv_filters"]) + len(spec["hidden_units"])


def recipe_for(spec):
    """`keras_initact.deep.for_activation`'s recipe for the spec's activation
    and depth, or `None` without hidden layers (or without the deep package:
    the registry's pairing is then used)."""
    depth = depth_of(spec)
    if depth == 0:
        return None
    return for_activation(
        spec["activation"], depth=depth, shaping=spec["shaping"],
        seed=spec["seed"],
    )


def activation_spec(activation):
    """The registry record of a hidden activation given in any accepted form.

    Accepts a registry name (any spelling or alias), an `ActivationSpec`, a
    keras_initact (or Keras) activation layer class, or a function the
    registry knows (`keras_initact.activations.mish`, `keras.activations.relu`).
    """
    if isinstance(activation, ActivationSpec):
        found = ACTIVATIONS.find(activation.name)
        if found is not activation:
            raise ValueError(
                f"{OWNER}: the ActivationSpec {activation.name!r} is not the "
                "one in the registry `ACTIVATIONS`; a model's spec names its "
                "activation, so add the record to the registry first."
            )
    elif isinstance(activation, str):
        found = ACTIVATIONS.spec(activation)  # the registry's message if unknown
    elif isinstance(activation, keras.layers.Layer):
        raise ValueError(
            f"{OWNER}: `activation` takes a name, a layer class or a function, "
            f"not a layer instance; received {activation!r}. Pass its class "
            f"(e.g. {type(activation).__name__}) or its registry name."
        )
    else:
        found = ACTIVATIONS.identify(activation)
        if found is None:
            raise ValueError(
                f"{OWNER}: unknown activation {activation!r}. Pass a registry "
                f"name, an ActivationSpec, a keras_initact layer class or a "
                f"function the registry knows; known names: "
                f"{', '.join(ACTIVATIONS.names(aliases=True))}."
            )
    if not found.hidden:
        raise ValueError(
            f"{OWNER}: {found.name!r} mixes units, so it cannot be a hidden "
            f"activation (the output head is chosen by `task`); allowed: "
            f"{', '.join(ACTIVATIONS.hidden_names())}."
        )
    return found


def canonical_initializer(argument, value):
    """`"auto"`, or the Keras config dict of the initializer with no seed.

    The model's seed, not the initializer's, decides each layer's values
    (see `keras_initact.models.factory`), so the seed is dropped here.
    """
    if isinstance(value, str) and value.lower() == AUTO:
        return AUTO
    if value is None:
        raise ValueError(
            f"{OWNER}: `{argument}` must be 'auto', a name, a config dict or "
            "a keras.initializers.Initializer; received None."
        )
    if isinstance(value, (str, dict)):
        try:
            value = initializers.get(value)
        except (ValueError, TypeError) as error:
            raise ValueError(f"{OWNER}: `{argument}`: {error}") from None
    if not isinstance(value, keras.initializers.Initializer):
        raise ValueError(
            f"{OWNER}: `{argument}` must be 'auto', a name, a config dict or "
            "a keras.initializers.Initializer (functions cannot be saved "
            f"safely); received {value!r}."
        )
    config = keras.saving.serialize_keras_object(value)
    if "seed" in config.get("config", {}):
        config["config"]["seed"] = None
    return config


def initializer_with_seed(config, seed):
    """A new initializer from a canonical config, seeded with `seed` when it
    takes a seed (stateless schemes such as Zeros are returned as they are)."""
    config = copy.deepcopy(config)
    if "seed" in config.get("config", {}):
        config["config"]["seed"] = seed
    return keras.initializers.deserialize(config)


def conv_rank(spec):
    """The number of spatial axes a conv stack on this input has (0: none)."""
    return len(spec["input_shape"]) - 1 if spec["conv_filters"] else 0


def spatial_sizes(spec):
    """The spatial sizes after each conv block, as a list of tuples.

    Raises `ValueError` when a size reaches zero.
    """
    sizes = list(spec["input_shape"][:-1])
    rank = len(sizes)
    kernel = _as_tuple(spec["conv_kernel_size"], rank)
    pool = _as_tuple(spec["pool_size"], rank)
    after = []
    for i in range(len(spec["conv_filters"])):
        strides = _as_tuple(conv_strides_of(spec, i), rank)
        if spec["conv_padding"] == "same":
            sizes = [-(-n // s) for n, s in zip(sizes, strides)]
        else:
            sizes = [(n - k) // s + 1 for n, k, s in zip(sizes, kernel, strides)]
        pooled = pooling_layer_of(spec, i) is not None
        if pooled:
            sizes = [n // p for n, p in zip(sizes, pool)]
        if min(sizes) < 1:
            where = f"pool_{i}" if pooled else f"conv_{i}"
            raise ValueError(
                f"{OWNER}: the conv stack shrinks input_shape="
                f"{tuple(spec['input_shape'])} to nothing at {where} (block {i} "
                f"of {len(spec['conv_filters'])}). Use fewer conv_filters, "
                "pooling=None, conv_padding='same', smaller strides or a "
                "larger input."
            )
        after.append(tuple(sizes))
    return after


def downsamples(spec, block):
    """Whether conv block `block` ends by downsampling."""
    blocks = spec["downsample_blocks"]
    return spec["pooling"] is not None and (blocks is None or block in blocks)


def conv_strides_of(spec, block):
    """The strides of conv block `block`'s convolution: `pool_size` where
    `pooling="stride"` downsamples, else `conv_strides`."""
    if spec["pooling"] == "stride" and downsamples(spec, block):
        return spec["pool_size"]
    return spec["conv_strides"]


def pooling_layer_of(spec, block):
    """`"Max"`, `"Average"` or None: the pooling layer ending block `block`."""
    if spec["pooling"] in ("max", "average") and downsamples(spec, block):
        return "Max" if spec["pooling"] == "max" else "Average"
    return None


def _downsample_blocks(value, conv_filters, pooling):
    """None (every block) or the sorted indices of the conv blocks that
    downsample (None again when that is every block)."""
    if value is None:
        return None
    count = len(conv_filters)
    allowed = (f"None (every conv block) or a list of conv block indices "
               f"in [0, {count})")
    if isinstance(value, (str, bytes, dict)) or not _iterable(value):
        raise ValueError(
            f"{OWNER}: `downsample_blocks` must be {allowed}; received "
            f"downsample_blocks={value!r}."
        )
    blocks = list(value)
    for block in blocks:
        if not _is_int(block) or not 0 <= block < count:
            raise ValueError(
                f"{OWNER}: `downsample_blocks` must be {allowed} (there are "
                f"{count} conv blocks); received downsample_blocks={value!r}."
            )
    if len(set(blocks)) != len(blocks):
        raise ValueError(
            f"{OWNER}: `downsample_blocks` lists a block twice; received "
            f"downsample_blocks={value!r}."
        )
    if pooling is None:
        raise ValueError(
            f"{OWNER}: downsample_blocks={value!r} needs a way to downsample: "
            "pooling='max', 'average' or 'stride' (a strided convolution); "
            "received pooling=None."
        )
    blocks = sorted(int(block) for block in blocks)
    return None if blocks == list(range(count)) else blocks


def _shaping(value):
    """False, True (TAT) or "dks"."""
    return {None: False, "tat": True, "dks": "dks"}[
        shaping_method(value, OWNER)]


def _as_tuple(value, rank):
    return tuple(value) if isinstance(value, list) else (value,) * rank


def _positive_ints(argument, value, allow_empty=True):
    example = "(28, 28, 1)" if argument == "input_shape" else "(64, 32)"
    if isinstance(value, (str, bytes, dict)) or not _iterable(value):
        raise ValueError(
            f"{OWNER}: `{argument}` must be a list or tuple of positive "
            f"integers, e.g. {example}; received {argument}={value!r}."
        )
    values = list(value)
    for item in values:
        if not _is_int(item) or item < 1:
            raise ValueError(
                f"{OWNER}: `{argument}` must hold positive integers only; "
                f"received {argument}={value!r}, and {item!r} is not one."
            )
    if not values and not allow_empty:
        raise ValueError(
            f"{OWNER}: `{argument}` must not be empty, e.g. {example}."
        )
    return [int(item) for item in values]


def _per_axis(argument, value, rank):
    """An int, or a list of `rank` positive ints (an int when all equal)."""
    if _is_int(value):
        values = [int(value)]
    elif _iterable(value) and not isinstance(value, (str, bytes, dict)):
        values = list(value)
        if len(values) != rank:
            raise ValueError(
                f"{OWNER}: `{argument}` must be an int or {rank} ints (one per "
                f"spatial axis); received {argument}={value!r}."
            )
    else:
        values = [value]
    for item in values:
        if not _is_int(item) or item < 1:
            raise ValueError(
                f"{OWNER}: `{argument}` must be a positive int or a list of "
                f"them; received {argument}={value!r}."
            )
    values = [int(item) for item in values]
    return values[0] if len(set(values)) == 1 else values


def _check_conv_input(input_shape, conv_filters):
    if not conv_filters:
        return
    if len(input_shape) not in CONV_INPUT_RANKS:
        kind = "1-D" if len(input_shape) == 1 else f"{len(input_shape)}-D"
        raise ValueError(
            f"{OWNER}: a conv stack (conv_filters={conv_filters}) needs an "
            "input with spatial axes and a channel axis: (steps, channels) "
            "for Conv1D, (height, width, channels) for Conv2D or (depth, "
            "height, width, channels) for Conv3D; received input_shape="
            f"{tuple(input_shape)} ({kind}). Add a channel axis, e.g. "
            f"{(*input_shape, 1)}, or pass conv_filters=()."
        )


def _num_classes(task, num_classes):
    if task == "classification":
        if num_classes is None or not _is_int(num_classes) or num_classes < 2:
            raise ValueError(
                f"{OWNER}: task='classification' needs num_classes, an int >= "
                f"2 (the softmax width); received num_classes={num_classes!r}. "
                "For one yes/no output use task='binary'."
            )
        return int(num_classes)
    if num_classes is None:
        return 1
    if not _is_int(num_classes) or num_classes < 1:
        meaning = "independent sigmoid outputs" if task == "binary" \
            else "regression targets"
        raise ValueError(
            f"{OWNER}: for task={task!r}, num_classes is the number of "
            f"{meaning}, a positive int or None (1); received "
            f"num_classes={num_classes!r}."
        )
    return int(num_classes)


def _choice(argument, value, allowed):
    if any(value is choice or (isinstance(value, str) and value == choice)
           for choice in allowed):
        return value
    names = [choice for choice in allowed if isinstance(choice, str)]
    close = difflib.get_close_matches(str(value), names, n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"{OWNER}: unknown {argument}={value!r}. Allowed: "
        f"{', '.join(map(repr, allowed))}.{hint}"
    )


def _flag(argument, value):
    if not isinstance(value, bool):
        raise ValueError(
            f"{OWNER}: `{argument}` must be True or False; received "
            f"{argument}={value!r}."
        )
    return value


def _rate(dropout):
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
            or not 0.0 <= dropout < 1.0:
        raise ValueError(
            f"{OWNER}: `dropout` must be a number in [0, 1); received "
            f"dropout={dropout!r}."
        )
    return float(dropout)


def _seed(seed):
    if seed is None:
        return python_random.randint(0, SEED_LIMIT - 1)
    if not _is_int(seed) or not 0 <= seed < SEED_LIMIT:
        raise ValueError(
            f"{OWNER}: `seed` must be None or an int in [0, {SEED_LIMIT}); "
            f"received seed={seed!r}."
        )
    return int(seed)


def _name(name, activation, conv_filters):
    if name is None:
        return f"{activation}_{'cnn' if conv_filters else 'mlp'}"
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"{OWNER}: `name` names the model and its export folder, so it "
            "must be letters, digits, '_', '.' or '-', starting with a "
            f"letter or digit; received name={name!r}."
        )
    return name


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _iterable(value):
    try:
        iter(value)
    except TypeError:
        return False
    return True

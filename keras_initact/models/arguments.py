"""The checks of `build_sequential`'s arguments, one per kind of argument.

Each check is called as `check(name, value, spec)`, with the argument's
name, the value given, and the `ModelSpec` being checked (its earlier
fields already canonical, so that a check can depend on them). It returns
the canonical value, JSON-ready but for tuples in place of lists, or raises
a `ValueError` naming the argument, the value and what is allowed.
"""

import random as python_random
import re

import keras

from keras_initact import initializers
from keras_initact.activations import ACTIVATIONS, ActivationSpec
from keras_initact.checks import (
    check_bool, check_choice, check_int_in_range, check_positive_int,
    check_positive_ints,
    check_rate, is_bool, is_integer, is_iterable,
)
from keras_initact.deep.pairing import shaping_method

OWNER = "build_sequential"
AUTO = "auto"
TASKS = ("classification", "binary", "regression")
# The activation of the output layer for each task (a Keras built-in name).
HEAD_ACTIVATIONS = {
    "classification": "softmax", "binary": "sigmoid", "regression": "linear",
}
POOLINGS = ("max", "average", "stride", None)
PARAMETRIZATIONS = ("standard", "mup")
PADDINGS = ("same", "valid")
SEED_LIMIT = 2**31 - 1
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# Conv1D/2D/3D take inputs of rank 2/3/4: spatial axes, then channels.
CONV_INPUT_RANKS = (2, 3, 4)


def input_shape(name, value, spec):
    """The shape of one example: a non-empty tuple of positive ints."""
    return tuple(check_positive_ints(name, value, OWNER, allow_empty=False,
                                     example="(28, 28, 1)"))


def widths(name, value, spec):
    """Layer widths: a tuple of positive ints, maybe empty."""
    return tuple(check_positive_ints(name, value, OWNER))


def conv_filters(name, value, spec):
    """The conv blocks' filters; refused for an input without spatial axes
    and channels."""
    filters = widths(name, value, spec)
    shape = spec.input_shape
    if filters and len(shape) not in CONV_INPUT_RANKS:
        kind = "1-D" if len(shape) == 1 else f"{len(shape)}-D"
        raise ValueError(
            f"{OWNER}: a conv stack ({name}={list(filters)}) needs an "
            "input with spatial axes and a channel axis: (steps, channels) "
            "for Conv1D, (height, width, channels) for Conv2D or (depth, "
            "height, width, channels) for Conv3D; received input_shape="
            f"{shape} ({kind}). Add a channel axis, e.g. {(*shape, 1)}, or "
            f"pass {name}=()."
        )
    return filters


def per_axis(name, value, spec):
    """A positive int, or one per spatial axis of the input (an int when
    they are all equal)."""
    rank = (len(spec.input_shape) - 1
            if len(spec.input_shape) in CONV_INPUT_RANKS else 1)
    if is_integer(value):
        values = [value]
    elif is_iterable(value) and not isinstance(value, (str, bytes, dict)):
        values = list(value)
        if len(values) != rank:
            raise ValueError(
                f"{OWNER}: `{name}` must be an int or {rank} ints (one per "
                f"spatial axis); received {name}={value!r}."
            )
    else:
        values = [value]
    if not all(is_integer(item) and item >= 1 for item in values):
        raise ValueError(
            f"{OWNER}: `{name}` must be a positive int or a list of "
            f"them; received {name}={value!r}."
        )
    values = tuple(int(item) for item in values)
    return values[0] if len(set(values)) == 1 else values


def one_of(allowed):
    """The check of an argument that takes one of the values `allowed`."""
    def choice(name, value, spec):
        return check_choice(name, value, allowed, OWNER)
    return choice


def flag(name, value, spec):
    """True or False (NumPy's bools too), as a Python bool."""
    return check_bool(name, value, OWNER)


def rate(name, value, spec):
    """A number in [0, 1), as a float."""
    return check_rate(name, value, OWNER)


def hidden_activation(name, value, spec):
    """The registry's canonical name of a hidden activation."""
    return activation_spec(value).name


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


def initializer(name, value, spec):
    """`"auto"` or an initializer's Keras config dict."""
    return canonical_initializer(name, value)


def canonical_initializer(argument, value):
    """`"auto"`, or the Keras config dict of the initializer with no seed.

    The model's seed, not the initializer's, decides each layer's values
    (see `keras_initact.models.initialization`), so the seed is dropped here.
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


def block_indices(name, value, spec):
    """None (every conv block) or the sorted indices of the conv blocks that
    downsample (None again when that is every block)."""
    if value is None:
        return None
    count = len(spec.conv_filters)
    allowed = (f"None (every conv block) or a list of conv block indices "
               f"in [0, {count})")
    if isinstance(value, (str, bytes, dict)) or not is_iterable(value):
        raise ValueError(
            f"{OWNER}: `{name}` must be {allowed}; received {name}={value!r}."
        )
    blocks = list(value)
    if not all(is_integer(block) and 0 <= block < count for block in blocks):
        raise ValueError(
            f"{OWNER}: `{name}` must be {allowed} (there are {count} conv "
            f"blocks); received {name}={value!r}."
        )
    if len(set(map(int, blocks))) != len(blocks):
        raise ValueError(
            f"{OWNER}: `{name}` lists a block twice; received {name}={value!r}."
        )
    if spec.pooling is None:
        raise ValueError(
            f"{OWNER}: {name}={value!r} needs a way to downsample: "
            "pooling='max', 'average' or 'stride' (a strided convolution); "
            "received pooling=None."
        )
    blocks = tuple(sorted(int(block) for block in blocks))
    return None if blocks == tuple(range(count)) else blocks


def num_classes(name, value, spec):
    """The head's width: >= 2 for classification, else >= 1 (None: 1)."""
    if spec.task == "classification":
        if not is_integer(value) or value < 2:
            raise ValueError(
                f"{OWNER}: task='classification' needs {name}, an int >= "
                f"2 (the softmax width); received {name}={value!r}. "
                "For one yes/no output use task='binary'."
            )
        return int(value)
    if value is None:
        return 1
    if not is_integer(value) or value < 1:
        meaning = ("independent sigmoid outputs" if spec.task == "binary"
                   else "regression targets")
        raise ValueError(
            f"{OWNER}: for task={spec.task!r}, {name} is the number of "
            f"{meaning}, a positive int or None (1); received "
            f"{name}={value!r}."
        )
    return int(value)


def shaping(name, value, spec):
    """False, True (TAT) or "dks"."""
    if is_bool(value):
        value = bool(value)
    return {None: False, "tat": True, "dks": "dks"}[
        shaping_method(value, OWNER)]


def seed(name, value, spec):
    """An int in [0, 2**31 - 1); None draws one from Python's `random` (so
    that `keras.utils.set_random_seed` makes it reproducible)."""
    value = check_int_in_range(name, value, OWNER, 0, SEED_LIMIT,
                               allow_none=True)
    return python_random.randint(0, SEED_LIMIT - 1) if value is None else value


def model_name(name, value, spec):
    """A name fit for a folder; None: `<activation>_mlp` or `_cnn`."""
    if value is None:
        return f"{spec.activation}_{'cnn' if spec.conv_filters else 'mlp'}"
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"{OWNER}: `{name}` names the model and its export folder, so it "
            "must be letters, digits, '_', '.' or '-', starting with a "
            f"letter or digit; received {name}={value!r}."
        )
    return str(value)


def base_width(name, value, spec):
    """μP's base width: None for the standard parametrization; for
    `"mup"`, a positive int no larger than any hidden `Dense` width."""
    if spec.parametrization == "standard":
        if value is not None:
            raise ValueError(
                f"{OWNER}: `{name}` is the base model's width of "
                "parametrization='mup'; with parametrization='standard' it "
                f"must be None; received {name}={value!r}.")
        return None
    if not spec.hidden_units:
        raise ValueError(
            f"{OWNER}: parametrization='mup' scales the hidden Dense widths "
            "with `base_width`, so it needs hidden_units; received "
            "hidden_units=().")
    if value is None:
        raise ValueError(
            f"{OWNER}: parametrization='mup' needs `{name}`, the width of "
            "the base model whose hyperparameters transfer (a positive int, "
            f"at most min(hidden_units)={min(spec.hidden_units)}); received "
            f"{name}=None.")
    value = check_positive_int(name, value, OWNER)
    narrow = [units for units in spec.hidden_units if units < value]
    if narrow:
        raise ValueError(
            f"{OWNER}: under parametrization='mup' every hidden width must be "
            f"at least `{name}` (μP widens a base model, never narrows it); "
            f"received {name}={value} with hidden_units="
            f"{list(spec.hidden_units)}. Allowed: a {name} of at most "
            f"{min(spec.hidden_units)}.")
    return int(value)

"""One way in by name: `get("he_normal")`, `get("keras_initact>XavierUniform")`."""

import difflib
import re

import keras
import numpy as np

from keras_initact.initializers import (
    constant, critical, identity, orthogonal, pretrained, random, sinusoidal,
    sparse, variance_scaling, zer_o,
)

_MODULES = (
    constant, random, sparse, variance_scaling, orthogonal, identity,
    sinusoidal, zer_o, pretrained, critical,
)
# Names users know from other libraries, mapped to our class names.
ALIASES = {
    "XavierNormal": "GlorotNormal",
    "XavierUniform": "GlorotUniform",
    "KaimingNormal": "HeNormal",
    "KaimingUniform": "HeUniform",
    "Dirac": "Identity",
    "Eye": "Identity",
    # Keras's legacy class names, kept by Keras "for compatibility".
    "OrthogonalInitializer": "Orthogonal",
    "IdentityInitializer": "Identity",
}


def _public_classes():
    classes = {}
    for module in _MODULES:
        for name, value in vars(module).items():
            if (isinstance(value, type)
                    and issubclass(value, keras.initializers.Initializer)
                    and value.__module__ == module.__name__
                    and not name.startswith("_")):
                classes[name] = value
    return classes


CLASSES = _public_classes()


def _normalize(name):
    name = name.split(">")[-1]
    return re.sub(r"[_\s-]", "", name).lower()


_BY_NORMALIZED_NAME = {
    **{_normalize(name): cls for name, cls in CLASSES.items()},
    **{_normalize(alias): CLASSES[target] for alias, target in ALIASES.items()},
}


def names():
    """Every class name and alias that `get` accepts, sorted."""
    return sorted({*CLASSES, *ALIASES})


def get(identifier):
    """Returns an initializer for an identifier, as `keras.initializers.get`.

    Strings resolve, case- and underscore-insensitively, to keras_initact's
    classes and aliases first (`"he_normal"`, `"KaimingUniform"`,
    `"keras_initact>XavierNormal"`, Keras's legacy `"OrthogonalInitializer"`),
    then to Keras's own initializers. Instances and callables pass through,
    classes are instantiated. A config dict (`{"class_name": ..., "config":
    ...}`, as `keras.initializers.serialize` writes it) is deserialized by
    Keras, or, when Keras does not know its class name, built as the
    keras_initact class that name spells (any spelling or alias). An array
    or tensor becomes `Constant(value)`: where Keras returns a plain
    function that only fills its own shape, ours broadcasts as `Constant`
    does and can be saved in a `.keras` file.

    >>> get("xavier_uniform")
    GlorotUniform(gain=1.0, ...)
    >>> get(np.full((2, 3), 0.5))   # Constant(value=array(...))
    >>> get({"class_name": "Sparse", "config": {"sparsity": 0.5}})
    Sparse(sparsity=0.5, ...)

    Raises `ValueError` for an unknown name or class name (listing the
    known ones), and for a config its class cannot be made from; the
    class's own checks raise for bad values (`Sparse`'s `sparsity=2`).
    """
    if identifier is None:
        return None
    if isinstance(identifier, type) and issubclass(
            identifier, keras.initializers.Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return _from_config(identifier)
    if isinstance(identifier, (np.ndarray, np.generic)) or \
            keras.ops.is_tensor(identifier):
        return constant.Constant(identifier)
    if not isinstance(identifier, str):
        raise ValueError(
            "Could not interpret initializer identifier "
            f"{identifier!r}: expected a name, a config dict, a callable, "
            "an initializer class, or an array or tensor of values."
        )
    cls = _BY_NORMALIZED_NAME.get(_normalize(identifier))
    if cls is not None:
        try:
            return cls()
        except TypeError as error:
            raise ValueError(
                f"{cls.__name__} cannot be made from its name alone ({error}); "
                f"construct it with its arguments, e.g. {cls.__name__}(...)."
            ) from None
    if not identifier.startswith("keras_initact>"):
        try:
            return keras.initializers.get(identifier)
        except ValueError:
            pass
    raise ValueError(_unknown(identifier))


def _unknown(name):
    """"Unknown initializer NAME", the known names and the closest ones."""
    known = names()
    by_normalized = {_normalize(n): n for n in known}
    close = [
        by_normalized[match] for match in difflib.get_close_matches(
            _normalize(name), list(by_normalized), n=3, cutoff=0.6
        )
    ]
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return (
        f"Unknown initializer {name!r}. keras_initact knows: "
        f"{', '.join(known)} (any spelling: 'he_normal', 'HeNormal'), and "
        f"Keras's own names.{hint}"
    )


def _from_config(identifier):
    """The initializer a config dict describes (see `get`)."""
    class_name = identifier.get("class_name")
    config = identifier.get("config", {})
    if not isinstance(class_name, str):
        raise ValueError(
            "Could not interpret initializer config: its `class_name` must "
            f"name an initializer; received class_name={class_name!r} in "
            f"{identifier!r}."
        )
    if not isinstance(config, dict):
        raise ValueError(
            f"Could not interpret the initializer config of {class_name!r}: "
            f"its `config` must be a dict of arguments; received "
            f"config={config!r}."
        )
    try:
        found = keras.initializers.deserialize(identifier)
    except TypeError as error:  # Keras's class, arguments it does not take
        # Keras's message ends with the class's own error; that is the news
        cause = str(error).strip().splitlines()[-1]
        cause = cause.removeprefix("Exception encountered: ")
        raise ValueError(
            f"{class_name} cannot be made from config={config!r} ({cause})."
        ) from error
    if callable(found):
        return found
    # Keras answers a class name it does not know with the name itself.
    cls = _BY_NORMALIZED_NAME.get(_normalize(class_name))
    if cls is None:
        raise ValueError(_unknown(class_name))
    try:
        return cls.from_config(config)
    except TypeError as error:
        raise ValueError(
            f"{cls.__name__} cannot be made from config={config!r} ({error})."
        ) from None


def _register_aliases():
    custom_objects = keras.saving.get_custom_objects()
    for alias, target in ALIASES.items():
        custom_objects[f"keras_initact>{alias}"] = CLASSES[target]


_register_aliases()

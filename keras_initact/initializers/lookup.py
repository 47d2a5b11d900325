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
    classes are instantiated, dicts are deserialized. An array or tensor
    becomes `Constant(value)`: where Keras returns a plain function that
    only fills its own shape, ours broadcasts as `Constant` does and can be
    saved in a `.keras` file.

    >>> get("xavier_uniform")
    GlorotUniform(gain=1.0, ...)
    >>> get(np.full((2, 3), 0.5))   # Constant(value=array(...))
    """
    if identifier is None:
        return None
    if isinstance(identifier, type) and issubclass(
            identifier, keras.initializers.Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return keras.initializers.deserialize(identifier)
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
    known = names()
    by_normalized = {_normalize(name): name for name in known}
    close = [
        by_normalized[match] for match in difflib.get_close_matches(
            _normalize(identifier), list(by_normalized), n=3, cutoff=0.6
        )
    ]
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"Unknown initializer {identifier!r}. keras_initact knows: "
        f"{', '.join(known)} (any spelling: 'he_normal', 'HeNormal'), and "
        f"Keras's own names.{hint}"
    )


def _register_aliases():
    custom_objects = keras.saving.get_custom_objects()
    for alias, target in ALIASES.items():
        custom_objects[f"keras_initact>{alias}"] = CLASSES[target]


_register_aliases()

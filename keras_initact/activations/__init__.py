"""Activation functions, and the registry that knows each activation.

    from keras_initact import activations
    y = activations.mish(x)
    layer = keras.layers.Dense(64, activation="keras_initact>mish")

This package sits above `keras_initact.layers` and
`keras_initact.initializers`: its registry pairs each record of the table
of activations (`keras_initact.math.table`, below both) with its layer
class. The plain functions live in `keras_initact.math.functions` and are
re-exported here; `keras_initact.math.regions` holds `Region`, the dead and
saturated outputs of an activation.

Every function is registered as `"keras_initact>NAME"`. Importing this
package also lets Keras resolve those strings (`Dense(activation=...)`,
`keras.activations.get`), and models using them save and load as `.keras`.
"""

import keras

from keras_initact import keras_adapter
from keras_initact.activations.registry import ACTIVATIONS, Registry
from keras_initact.activations.spec import ActivationSpec
from keras_initact.math.functions import (  # noqa: F401  (re-exported)
    LEAKY_RELU_SLOPE, RRELU_LOWER, RRELU_UPPER, celu, elu, exponential, geglu,
    gelu, glu, hard_shrink, hard_sigmoid, hard_swish, hard_tanh, leaky_relu,
    linear, lisht, log_sigmoid, log_softmax, mish, prelu, reglu, relu, relu6,
    rrelu, selu, sigmoid, snake, soft_shrink, softmax, softmin, softplus,
    softsign, sparse_plus, sparse_sigmoid, sparsemax, squared_relu,
    squareplus, swiglu, swish, tanh, tanh_shrink, threshold,
)
from keras_initact.math.regions import Region
from keras_initact.math.table import (  # noqa: F401  (re-exported)
    FUNCTIONS, PREFIX, normalize, unknown_name_message,
)

silu = swish
hard_silu = hard_swish


def get(identifier):
    """Returns an activation function for an identifier.

    - a name: any spelling of a keras_initact name or alias (`"mish"`,
      `"LeakyReLU"`, `"keras_initact>silu"`; every Keras activation has one),
      then any other name Keras resolves (a custom activation registered
      with `keras.saving.register_keras_serializable`);
    - a callable (a function or a layer instance): returned as is;
    - a dict from `serialize`: deserialized;
    - `None`: `linear`.

    >>> get("silu") is swish
    True

    Raises `ValueError` for an unknown name (listing the known names and the
    close matches) and for activations whose parameters are learned (PReLU),
    which only exist as layers.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        return keras.activations.deserialize(identifier)
    if callable(identifier):
        return identifier
    if not isinstance(identifier, str):
        raise ValueError(
            "Could not interpret activation identifier "
            f"{identifier!r}: expected a name, a config dict or a callable."
        )
    spec = ACTIVATIONS.find(identifier)
    if spec is not None:
        if spec.learned_parameters:
            learned = ", ".join(spec.learned_parameters)
            raise ValueError(
                f"{spec.name!r} learns its parameters ({learned}), so it has "
                f"no parameter-free function; use the layer "
                f"keras_initact.layers.{spec.layer_class.__name__}() (it can "
                "be passed as `activation=`), or call "
                f"keras_initact.activations.{spec.name}(x, {learned}=...)."
            )
        return spec.function
    if not identifier.startswith(PREFIX):
        try:
            return keras.activations.get(identifier)
        except ValueError:
            pass
    raise ValueError(
        unknown_name_message(identifier, names(aliases=True))
        + " Names Keras resolves are accepted too."
    )


def lookup(name):
    """Returns the one-argument activation for a keras_initact name, or `None`.

    Unlike `get` it never raises, and for an activation with learned
    parameters it returns the function at the layer's initial values (PReLU:
    `alpha = 0`).
    """
    spec = ACTIVATIONS.find(name)
    return None if spec is None else spec.activation


def spec(name):
    """Returns the `ActivationSpec` for any spelling of a name or alias."""
    return ACTIVATIONS.spec(name)


def identify(activation):
    """The `ActivationSpec` of a name, function or layer, or `None`; see
    `Registry.identify`."""
    return ACTIVATIONS.identify(activation)


def names(aliases=False):
    """The canonical activation names, sorted; with aliases if asked."""
    return ACTIVATIONS.names(aliases=aliases)


def serialize(activation):
    """Serializes a function or layer as `keras.activations.serialize` does.

    keras_initact functions give `{"config": "keras_initact>NAME", ...}`
    dicts, layers their full config; `get` and `deserialize` read both.
    """
    return keras.activations.serialize(activation)


def deserialize(config, custom_objects=None):
    """Inverse of `serialize`."""
    return keras.activations.deserialize(config, custom_objects=custom_objects)


def _install_keras_string_names():
    """Lets Keras resolve `"keras_initact>NAME"` strings, so that
    `Dense(activation="keras_initact>mish")` works (through
    `keras_adapter.add_activation_names`: Keras resolves strings only in
    its own table of built-ins)."""
    keras_adapter.add_activation_names({
        PREFIX + name: activation.function
        for activation in ACTIVATIONS.values()
        if not activation.learned_parameters
        for name in activation.names})


_install_keras_string_names()

__all__ = [
    "ACTIVATIONS", "ActivationSpec", "FUNCTIONS", "LEAKY_RELU_SLOPE", "PREFIX",
    "RRELU_LOWER", "RRELU_UPPER", "Region", "Registry", "deserialize",
    "get", "identify", "lookup", "names", "normalize", "serialize", "spec",
    "silu", "hard_silu", *FUNCTIONS,
]

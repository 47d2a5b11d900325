"""`spec_of`: the spec a factory model was built from, also after loading it.

A model fresh from `build_sequential` carries its spec; a model loaded from a
`.keras` file does not, so the spec is read from its layers: the
architecture from their configs, the seed from the head's kernel
initializer, and the initializers and activation by trying the few specs
that fit (`"auto"` or the layers' own initializer; the activation as is, or
shaped). Either way the spec is only returned after checking that it
rebuilds layers with the model's exact configs.
"""

import itertools
import json
import math
import re

import keras

from keras_initact.activations import ACTIVATIONS
from keras_initact.models.arguments import (
    AUTO, HEAD_ACTIVATIONS, canonical_initializer,
)
from keras_initact.models.factory import (
    SPEC_ATTRIBUTE, base_model, build_layers,
)
from keras_initact.models.spec import ModelSpec
from keras_initact.mup import BaseShapes, MuReadout, set_base_shapes

# Config keys that do not describe the architecture: a model may be frozen,
# have been built under another dtype policy, or under a distribution
# strategy (synchronized batch normalization).
IGNORED_KEYS = ("trainable", "dtype", "synchronized")
LAYER_NAME = re.compile(
    r"(?P<kind>conv|bn_conv|act_conv|scale_conv|pool|dense|bn|act|scale|dropout)"
    r"_(?P<i>\d+)"
    r"|flatten|head"
)


def spec_of(model):
    """The spec of a model made by `build_sequential`, as a JSON-ready dict.

    `build_sequential(**spec_of(model))` rebuilds the architecture and, with
    the spec's seed, the initial weights. Works on a model fresh from the
    factory and on one loaded from `.keras` (for a model whose initializers
    take no seed at all, the seed cannot be read back and is None).

    >>> spec = spec_of(keras.models.load_model("mnist.keras"))
    >>> json.dumps(spec)  # store it; build_sequential(**spec) later

    Raises:
        ValueError: when the model was not made by `build_sequential`, or
            its layers were changed since.
    """
    if not isinstance(model, keras.Sequential):
        raise ValueError(
            "spec_of: `model` must be a keras.Sequential made by "
            f"build_sequential; received model={model!r} (a "
            f"{type(model).__name__})."
        )
    configs = [_comparable(layer.get_config()) for layer in model.layers]
    stored = getattr(model, SPEC_ATTRIBUTE, None)
    if stored is not None:
        spec = ModelSpec.from_config(json.loads(stored))
        if _same(_layer_configs(spec), configs):
            return spec.get_config()
    found = _parse(model)
    for candidate in _candidates(found):
        try:
            spec = ModelSpec.from_config(candidate)
        except ValueError:
            continue
        seeded = candidate["seed"] is not None
        if _same(_layer_configs(spec, seeded), _strip_seeds(configs, seeded)):
            config = spec.get_config()
            config["seed"] = candidate["seed"]  # None: no seed to read back
            return config
    raise ValueError(
        f"spec_of: model {model.name!r} has the layer names of a "
        "build_sequential model, but no spec rebuilds its layers exactly: "
        "its layers were changed after it was built."
    )


def _parse(model):
    """The spec fields read from the layers, plus the candidates' material."""
    layers = {}
    for layer in model.layers:
        match = LAYER_NAME.fullmatch(layer.name)
        if match is None:
            raise ValueError(
                f"spec_of: model {model.name!r} was not made by "
                f"build_sequential: its layer {layer.name!r} is not one of "
                "conv_i, bn_conv_i, act_conv_i, scale_conv_i, pool_i, flatten, "
                "dense_i, bn_i, act_i, scale_i, dropout_i, head."
            )
        layers[layer.name] = layer
    if "head" not in layers:
        raise ValueError(
            f"spec_of: model {model.name!r} was not made by build_sequential: "
            "it has no `head` layer."
        )
    head = layers["head"].get_config()
    acts = [layer for name, layer in layers.items() if name.startswith("act")]
    activation = ACTIVATIONS.identify(acts[0]) if acts else None
    # A gated unit halves its input: the layer before it is twice as wide.
    widening = 2 if activation is not None and activation.gate else 1
    tasks = {activation: task for task, activation in HEAD_ACTIVATIONS.items()}
    convs = _numbered(layers, "conv")
    first_conv = convs[0].get_config() if convs else {}
    dropout = layers.get("dropout_0")
    fields = {
        "input_shape": list(model.inputs[0].shape[1:]),
        "hidden_units": [layer.units // widening
                         for layer in _numbered(layers, "dense")],
        "conv_filters": [layer.filters // widening for layer in convs],
        "conv_kernel_size": list(first_conv.get("kernel_size", [3])),
        "conv_padding": first_conv.get("padding", "same"),
        "task": tasks.get(_activation_name(head["activation"])),
        "num_classes": head["units"],
        "batch_norm": any(name.startswith("bn") for name in layers),
        "dropout": float(dropout.rate) if dropout is not None else 0.0,
        "seed": _seed(head["kernel_initializer"]),
        "name": model.name,
        **_parametrization(layers),
    }
    first = (convs or _numbered(layers, "dense") or [layers["head"]])[0]
    return {
        "fields": fields,
        "downsampling": _downsampling(layers, convs),
        "activation": activation.name if activation else "relu",
        # Shaping leaves a Rescaling after every activation.
        "shaped": any(name.startswith("scale") for name in layers),
        "kernel": head["kernel_initializer"],
        "bias": first.get_config().get("bias_initializer")
        if getattr(first, "use_bias", False) else head["bias_initializer"],
    }


def _parametrization(layers):
    """`parametrization` and `base_width`: a `MuReadout` head is μP's, its
    `width_mult` the last hidden width over the base width."""
    head, dense = layers["head"], _numbered(layers, "dense")
    if not isinstance(head, MuReadout):
        return {"parametrization": "standard", "base_width": None}
    fan_in = head.kernel.shape[0] if dense else None
    return {"parametrization": "mup",
            "base_width": None if fan_in is None
            else int(round(fan_in / head.width_mult))}


def base_shapes_of(model):
    """The μP `BaseShapes` of a factory model built with
    `parametrization="mup"`, fresh or loaded from `.keras`: its own
    `model.base_shapes`, or for a loaded model those of the base model
    rebuilt from `spec_of(model)` (`set_base_shapes(model, base,
    rescale=False)`: the weights stay as loaded). Also kept as
    `model.base_shapes`.

    >>> model = keras.models.load_model("mup.keras")
    >>> model.compile(keras_initact.mup.Adam(1e-3, base_shapes=base_shapes_of(model)), ...)

    A model saved compiled needs none of this: its optimizer's config
    carries the base shapes.

    Raises:
        ValueError: for a model not made by `build_sequential`, or made
            with the standard parametrization.
    """
    spec = ModelSpec.from_config(spec_of(model))
    if spec.parametrization != "mup":
        raise ValueError(
            f"base_shapes_of: model {model.name!r} was built with "
            "parametrization='standard'; only parametrization='mup' models "
            "have base shapes (build_sequential(..., parametrization='mup', "
            "base_width=...)).")
    shapes = getattr(model, "base_shapes", None)
    if isinstance(shapes, BaseShapes):
        return shapes
    return set_base_shapes(model, base_model(spec), rescale=False)


def _candidates(found):
    """Specs to try, most likely first."""
    activations = [(found["activation"], found["shaped"])]
    if found["shaped"]:
        activations.append((found["activation"], "dks"))
    if found["activation"] == "leaky_relu" and found["shaped"]:
        # TAT-shaped: every positively homogeneous activation shapes into
        # the same leaky ReLU, so the models are the same; say relu.
        activations = [(name, True) for name, spec in sorted(
            ACTIVATIONS.items(), key=lambda item: item[0] != "relu")
            if spec.homogeneous and spec.elementwise]
    kernels = [AUTO, _canonical(found["kernel"])]
    biases = [AUTO, _canonical(found["bias"])]
    for (activation, shaping), kernel, bias, downsampling in itertools.product(
            activations, kernels, biases, found["downsampling"]):
        if kernel is None or bias is None:
            continue
        yield dict(found["fields"], **downsampling, activation=activation,
                   shaping=shaping, kernel_initializer=kernel,
                   bias_initializer=bias)


def _canonical(config):
    try:
        return canonical_initializer("initializer", config)
    except ValueError:
        return None


def _layer_configs(spec, seeded=True):
    configs = [_comparable(layer.get_config()) for layer in build_layers(spec)]
    return _strip_seeds(configs, seeded)


def _comparable(config):
    """A layer config as JSON types, without keys that may legitimately differ."""
    config = {k: v for k, v in config.items() if k not in IGNORED_KEYS}
    return json.loads(json.dumps(
        keras.saving.serialize_keras_object(config), sort_keys=True
    ))


def _same(a, b):
    """Equal configs, floats within 1e-5 relative: a shaped unit solved on
    another backend (JAX computes tanh in float32) differs from the sixth
    digit on."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-12)
    return a == b and type(a) is type(b)


def _strip_seeds(value, seeded):
    if seeded:
        return value
    if isinstance(value, dict):
        return {k: _strip_seeds(v, False) for k, v in value.items()
                if k != "seed"}
    if isinstance(value, list):
        return [_strip_seeds(v, False) for v in value]
    return value


def _numbered(layers, kind):
    found, i = [], 0
    while f"{kind}_{i}" in layers:
        found.append(layers[f"{kind}_{i}"])
        i += 1
    return found


def _downsampling(layers, convs):
    """The conv stack's possible `pooling`, `pool_size`, `conv_strides` and
    `downsample_blocks`: pooling layers say it outright; without them the
    convolutions' strides take one value, or two (`pooling="stride"`, and
    either value may be the downsampling one)."""
    if not convs:
        return [{}]
    pools = [i for i in range(len(convs)) if f"pool_{i}" in layers]
    strides = [list(conv.get_config()["strides"]) for conv in convs]
    if pools:
        pool = layers[f"pool_{pools[0]}"]
        return [{
            "pooling": "max" if "Max" in type(pool).__name__ else "average",
            "pool_size": list(pool.get_config()["pool_size"]),
            "conv_strides": strides[0], "downsample_blocks": pools,
        }]
    distinct = [list(value) for value in sorted({tuple(s) for s in strides})]
    if len(distinct) == 1:
        return [{"pooling": None, "conv_strides": distinct[0]}]
    return [{
        "pooling": "stride", "pool_size": down, "conv_strides": other,
        "downsample_blocks": [i for i, s in enumerate(strides) if s == down],
    } for down, other in (distinct[::-1], distinct)]  # larger strides first


def _activation_name(activation):
    if isinstance(activation, dict):
        activation = activation.get("config", activation.get("class_name"))
    return activation if isinstance(activation, str) else None


def _seed(initializer):
    seed = initializer.get("config", {}).get("seed") \
        if isinstance(initializer, dict) else None
    return seed if isinstance(seed, int) else None

"""`reinitialize`: an existing model's kernels drawn anew from rules."""

import fnmatch

import keras

from keras_initact import keras_adapter
from keras_initact.graph.walk import Walk, input_flows

AUTO = "auto"


def reinitialize(model, rules, *, x=None, training=True):
    """Re-initializes a built model's kernels in place, by rules.

    Each rule maps layers to an initializer. A layer is selected by its
    class (`keras.layers.Conv2D`: it and its subclasses) or by a name
    pattern (`"conv2_*"`, shell-style, matched against the layer's name
    and, in nested models, its path `"outer/inner"`); the first rule that
    selects a layer applies. The initializer is anything
    `keras.initializers.get` takes (`"he_normal"`,
    `keras_initact.LecunNormal()`, a config), drawn into every kernel of
    the layer (a `MultiHeadAttention`'s four projections, a
    `SeparableConv`'s two kernels), or `"auto"`: AutoInit's rule for those
    layers (`initialize`), from the moments the rest of the model gives
    them. Biases, the layers no rule selects, names, the config and
    `.keras` saving are unchanged.

    >>> keras_initact.reinitialize(model, {keras.layers.Conv2D: "he_normal", "predictions": "zeros"})
    >>> keras_initact.reinitialize(model, [("block*", "auto"), (keras.layers.Dense, keras_initact.LecunNormal(seed=0))])

    Args:
        model: a built Keras model (functional or Sequential for `"auto"`
            rules; any built model otherwise).
        rules: a dict, or a list of `(selector, initializer)` pairs.
        x, training: as for `initialize`, for the `"auto"` rules.

    Returns:
        A dict: each re-initialized kernel's path -> what drew it (the
        initializer's class name, or `"auto"`).

    Raises:
        ValueError: for a selector that is neither a layer class nor a
            string, an initializer Keras does not know, or a rule that
            selects no layer.
    """
    pairs = _rule_pairs(rules)
    layers = list(_layers(model))
    chosen = {}
    for selector, initializer in pairs:
        selected = [(path, layer) for path, layer in layers
                    if _selects(selector, path, layer)]
        if not selected:
            raise ValueError(
                f"reinitialize: the rule {selector!r} selects no layer of "
                f"{model.name!r}; its layers include "
                f"{[path for path, _ in layers[:8]]}.")
        for path, layer in selected:
            chosen.setdefault(id(layer), (layer, initializer))
    drawn, automatic = {}, []
    for layer, initializer in chosen.values():
        for kernel in layer_kernels(layer):
            if initializer == AUTO:
                automatic.append(kernel)
            else:
                kernel.assign(initializer(kernel.shape, dtype=kernel.dtype))
            drawn[_path(kernel)] = AUTO if initializer == AUTO \
                else type(initializer).__name__
    if automatic:
        _auto(model, automatic, x, training)
    return drawn


def layer_kernels(layer):
    """Every kernel of `layer`: its `kernel`, `depthwise_kernel`,
    `pointwise_kernel` or `embeddings`, and a `MultiHeadAttention`'s four
    projections'."""
    if isinstance(layer, keras.layers.MultiHeadAttention):
        return tuple(sub.kernel for sub in
                     keras_adapter.attention_projections(layer))
    return tuple(getattr(layer, name) for name in
                 ("depthwise_kernel", "pointwise_kernel", "kernel",
                  "embeddings")
                 if isinstance(getattr(layer, name, None), keras.Variable))


def _auto(model, kernels, x, training):
    if keras_adapter.functional_graph(model) is None:
        raise ValueError(
            f"reinitialize: `\"auto\"` rules need a built functional or "
            f"Sequential model; {model.name!r} "
            f"({type(model).__name__}) has no graph.")
    chosen = {id(kernel) for kernel in kernels}
    kept = {id(v): None for v in model.weights if id(v) not in chosen}
    walk = Walk(initializing=True, training=training, fixed=kept)
    walk.run(model, input_flows(model, x))


def _rule_pairs(rules):
    pairs = list(rules.items()) if isinstance(rules, dict) else rules
    try:
        pairs = [tuple(pair) for pair in pairs]
    except TypeError:
        pairs = None
    if not pairs or any(len(pair) != 2 for pair in pairs):
        raise ValueError(
            "reinitialize: `rules` must be a non-empty dict, or list of "
            "(selector, initializer) pairs, such as "
            "{keras.layers.Conv2D: 'he_normal', 'head*': 'auto'}; received "
            f"{rules!r}.")
    checked = []
    for selector, initializer in pairs:
        if not (isinstance(selector, str) or (
                isinstance(selector, type)
                and issubclass(selector, keras.layers.Layer))):
            raise ValueError(
                "reinitialize: each rule's selector must be a "
                "keras.layers.Layer subclass or a layer-name pattern "
                f"(a string); received {selector!r}.")
        if not (isinstance(initializer, str) and initializer == AUTO):
            try:
                initializer = keras.initializers.get(initializer)
            except (ValueError, TypeError) as error:
                raise ValueError(
                    f"reinitialize: the initializer of rule {selector!r} "
                    f"must be 'auto' or one keras.initializers.get "
                    f"accepts (a name, an instance or a config); received "
                    f"{initializer!r} ({error}).") from None
            if initializer is None:
                raise ValueError(
                    f"reinitialize: the initializer of rule {selector!r} "
                    "must be 'auto' or an initializer; received None.")
        checked.append((selector, initializer))
    return checked


def _layers(model, prefix=""):
    for layer in model.layers:
        path = f"{prefix}{layer.name}"
        yield path, layer
        if isinstance(layer, keras.Model):
            yield from _layers(layer, f"{path}/")


def _selects(selector, path, layer):
    if isinstance(selector, str):
        return fnmatch.fnmatchcase(layer.name, selector) or \
            fnmatch.fnmatchcase(path, selector)
    return isinstance(layer, selector)


def _path(variable):
    return getattr(variable, "path", None) or variable.name

"""`initialize` and `predict_moments`: data-free initialization of any
Keras model's graph, in place."""

import keras

from keras_initact import keras_adapter
from keras_initact.checks import check_bool, check_choice
from keras_initact.graph.report import MomentsReport
from keras_initact.graph.walk import Walk, input_flows

SCHEMES = ("auto",)


def initialize(model, x=None, scheme="auto", *, training=True, seed=None,
               input_moments=(0.0, 1.0)):
    """Initializes a built Keras model's kernels in place so that every
    layer's pre-activation output has unit second moment.

    The AutoInit rule (Bingham & Miikkulainen, "AutoInit: Analytic
    Signal-Preserving Weight Initialization for Neural Networks", AAAI
    2023): each tensor's mean and second moment are propagated through the
    graph, layer by layer, and each kernel is scaled so that

        fan_in * E[w^2] * E[x^2] = 1

    for its input `x`'s predicted second moment (`E[x^2]`, not the
    variance: a ReLU's output has mean). Convolutions count the taps that
    fall on real input; normalization, dropout, pooling, merges,
    attention and every activation of Keras and keras_initact have
    estimators (`keras_initact.graph.estimators`). Each kernel is
    multiplied by one factor, so its distribution's shape (orthogonal,
    uniform, ...) stays; an all-zero kernel is drawn anew. Biases, layer
    names, the config and `.keras` saving are unchanged.

    >>> model = keras.applications.ResNet50V2(weights=None, input_shape=(32, 32, 3), classes=10)
    >>> report = keras_initact.initialize(model)

    Args:
        model: a built functional or Sequential model (nested models
            included).
        x: optional data (an array, or one per model input). Layers
            without an estimator are measured on it rather than taken as
            the identity, and the report gives measured moments beside
            the predicted ones.
        scheme: `"auto"`.
        training: predict the training-mode pass (dropout active, batch
            normalization by the batch's statistics), as at the start of
            training; `False` for inference.
        seed: seeds the kernels drawn anew (all-zero ones).
        input_moments: `(mean, second moment)` of the model's float inputs
            when `x` is not given: standard normal by default.

    Returns:
        A `MomentsReport`: per layer call, the predicted moments (and the
        measured ones with `x`) and the factor each kernel was scaled by.

    Warns:
        `UnknownLayerWarning` for each layer without an estimator when `x`
        is not given, naming it: it is taken as the identity.
    """
    check_choice("scheme", scheme, SCHEMES, "initialize")
    return _walk(model, x, initializing=True, training=training, seed=seed,
                 input_moments=input_moments, scheme=scheme)


def predict_moments(model, x=None, *, training=True,
                    input_moments=(0.0, 1.0)):
    """The moments `initialize` would predict for each layer of `model`
    with its current weights, which stay as they are (with `x`, measured
    beside them): a `MomentsReport`."""
    return _walk(model, x, initializing=False, training=training, seed=None,
                 input_moments=input_moments, scheme="predicted")


def _walk(model, x, initializing, training, seed, input_moments, scheme):
    owner = "initialize" if initializing else "predict_moments"
    check_bool("training", training, owner)
    _check_model(model, owner)
    walk = Walk(initializing=initializing, training=training, seed=seed)
    walk.run(model, input_flows(model, x, tuple(input_moments)))
    return MomentsReport(scheme, tuple(walk.rows))


def _check_model(model, owner):
    if not isinstance(model, keras.Model):
        raise ValueError(
            f"{owner}: `model` must be a keras.Model (functional or "
            f"Sequential); received {model!r}.")
    if keras_adapter.functional_graph(model) is None:
        raise ValueError(
            f"{owner}: `model` must be a built functional or Sequential "
            f"model; {model.name!r} ({type(model).__name__}) has no graph "
            "yet (give a Sequential model an `keras.Input`, or build it) or "
            "is a subclassed model, whose layers are not a graph.")

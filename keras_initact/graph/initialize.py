"""`initialize` and `predict_moments`: data-free initialization of any
Keras model's graph, in place."""

import dataclasses
import warnings

import keras

from keras_initact import keras_adapter
from keras_initact.checks import check_bool
from keras_initact.graph.report import MomentsReport
from keras_initact.graph.residual import residual_structure
from keras_initact.graph.schemes import scheme_named
from keras_initact.graph.walk import UnknownLayerWarning, Walk, input_flows


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
        x: optional data (an array, or one per model input). With it,
            each layer's kernels are set from the moments its inputs
            really have on `x` (and attention from their measured
            correlation between positions), as LSUV does but in one pass;
            layers without an estimator are measured rather than taken as
            the identity; and the report gives each layer's measured
            moments beside the prediction from its measured inputs.
        scheme: `"auto"` (AutoInit's rule), `"fixup"` (Fixup's rule in
            every residual branch, on AutoInit's), `"deepnorm"` (DeepNorm's
            in the branches of `DeepNormResidual` merges), or a
            `keras_initact.graph.Scheme` instance such as
            `Fixup(zero_classifier=False)` or `DeepNorm(beta=0.2)`.
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
    scheme = scheme_named(scheme)
    check_bool("training", training, "initialize")
    _check_model(model, "initialize")
    structure = residual_structure(model)
    walk = Walk(initializing=True, training=training, seed=seed,
                fixed={id(v): 0.0 for v in scheme.zeroed(structure)},
                calibrated=x is not None)
    walk.run(model, input_flows(model, x, tuple(input_moments)))
    factors = scheme.rescaled(structure)
    if not factors:
        return MomentsReport(scheme.name, tuple(walk.rows))
    for variable, factor in factors:
        variable.assign(variable * factor)
    set_by_walk = {kernel.variable: kernel.factor
                   for row in walk.rows for kernel in row.kernels}
    rescaled_by = {_name(v): factor for v, factor in factors}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownLayerWarning)
        final = Walk(initializing=False, training=training,
                     calibrated=x is not None)
        final.run(model, input_flows(model, x, tuple(input_moments)))
    return MomentsReport(scheme.name, tuple(
        dataclasses.replace(row, kernels=tuple(
            dataclasses.replace(kernel, factor=set_by_walk.get(
                kernel.variable, 1.0) * rescaled_by.get(kernel.variable, 1.0))
            for kernel in row.kernels))
        for row in final.rows))


def predict_moments(model, x=None, *, training=True,
                    input_moments=(0.0, 1.0)):
    """The moments `initialize` would predict for each layer of `model`
    with its current weights, which stay as they are (with `x`, measured
    beside them): a `MomentsReport`."""
    check_bool("training", training, "predict_moments")
    _check_model(model, "predict_moments")
    walk = Walk(initializing=False, training=training)
    walk.run(model, input_flows(model, x, tuple(input_moments)))
    return MomentsReport("predicted", tuple(walk.rows))


def _name(variable):
    return getattr(variable, "path", None) or variable.name


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

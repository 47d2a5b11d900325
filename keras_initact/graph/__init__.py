"""Initialization for any Keras model's graph.

    report = keras_initact.initialize(model)          # AutoInit, in place
    print(keras_initact.predict_moments(model, x))    # predicted vs measured

| module          | what                                                     |
|-----------------|----------------------------------------------------------|
| `signal`        | `Signal`: a tensor's predicted distribution              |
| `call`          | `LayerCall`: what an estimator reads, and kernel setting |
| `linear`, `normalization`, `elementwise`, `reshaping` | the estimators |
| `estimators`    | the table: layer class -> estimator; `register_estimator`|
| `walk`          | the graph run on signals (and data)                      |
| `report`        | `MomentsReport`, `LayerMoments`                          |
| `initialize`    | `initialize`, `predict_moments`                          |
"""

from keras_initact.graph.call import KernelScale, LayerCall
from keras_initact.graph.estimators import (
    ESTIMATORS, Estimator, register_estimator,
)
from keras_initact.graph.initialize import initialize, predict_moments
from keras_initact.graph.report import LayerMoments, MomentsReport
from keras_initact.graph.signal import Signal
from keras_initact.graph.walk import UnknownLayerWarning

__all__ = [
    "ESTIMATORS", "Estimator", "KernelScale", "LayerCall", "LayerMoments",
    "MomentsReport", "Signal", "UnknownLayerWarning", "initialize",
    "predict_moments", "register_estimator",
]

"""Initialization for any Keras model's graph.

    report = keras_initact.initialize(model)          # AutoInit, in place
    keras_initact.initialize(model, scheme="fixup")   # Fixup's residual rule
    print(keras_initact.predict_moments(model, x))    # predicted vs measured

| module          | what                                                     |
|-----------------|----------------------------------------------------------|
| `signal`        | `Signal`: a tensor's predicted distribution              |
| `call`          | `LayerCall`: what an estimator reads, and kernel setting |
| `correlation`   | two positions' correlation, which attention reads        |
| `linear`, `attention`, `normalization`, `elementwise`, `reshaping` | the estimators |
| `estimators`    | the table: layer class -> estimator; `register_estimator`|
| `walk`          | the graph run on signals (and data)                      |
| `report`        | `MomentsReport`, `LayerMoments`                          |
| `residual`      | residual branches found in the graph                     |
| `schemes`       | `AutoInit`, `Fixup`, `DeepNorm`: what a scheme changes   |
| `initialize`    | `initialize`, `predict_moments`                          |
| `reinitialize`  | `reinitialize(model, rules)`                             |
"""

from keras_initact.graph.call import KernelScale, LayerCall
from keras_initact.graph.estimators import (
    ESTIMATORS, Estimator, register_estimator,
)
from keras_initact.graph.initialize import initialize, predict_moments
from keras_initact.graph.reinitialize import reinitialize
from keras_initact.graph.report import LayerMoments, MomentsReport
from keras_initact.graph.residual import (
    ResidualBranch, ResidualStructure, residual_structure,
)
from keras_initact.graph.schemes import (
    SCHEMES, AutoInit, DeepNorm, Fixup, Scheme,
)
from keras_initact.graph.signal import Signal
from keras_initact.graph.walk import UnknownLayerWarning

__all__ = [
    "ESTIMATORS", "SCHEMES", "AutoInit", "DeepNorm", "Estimator", "Fixup",
    "KernelScale", "LayerCall", "LayerMoments", "MomentsReport",
    "ResidualBranch", "ResidualStructure", "Scheme", "Signal",
    "UnknownLayerWarning", "initialize", "predict_moments",
    "register_estimator", "reinitialize", "residual_structure",
]

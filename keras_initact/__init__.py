"""keras_initact: weight initialization and activation functions for Keras 3.

    from keras_initact import HeNormal, Mish
    model = keras.Sequential([keras.layers.Dense(64, kernel_initializer=HeNormal()), Mish()])

| subpackage      | what                                                      |
|-----------------|-----------------------------------------------------------|
| `math`          | activation functions, gains, mean-field theory (no layers)|
| `initializers`  | every initialization scheme, `calculate_gain`, fans       |
| `layers`        | every activation as a Keras layer                         |
| `activations`   | the registry: one record per activation, by name          |
| `deep`          | LSUV, `for_activation`, activation shaping, `diagnose`    |
| `graph`         | `initialize`, `predict_moments`: any model's graph (AutoInit, Fixup) |
| `mup`           | μP: `set_base_shapes`, `MuReadout`, μP's Adam and SGD      |
| `models`        | `build_sequential`, `spec_of`, `export_saved_model`       |
| `callbacks`     | LayerStats, NonFiniteGuard: per-layer statistics in TensorBoard |
| `reporting`     | `report(log_dir)`: logged statistics to a table and figures |

A subpackage imports only those listed before it, and `models`, `callbacks`
and `reporting` not each other (`lint-imports` checks it; see setup.cfg).
Importing the package registers every class and function with Keras's
serialization, so that `.keras` files using them load after
`import keras_initact`.
"""

from keras_initact import (
    activations, callbacks, graph, initializers, layers, math, models, mup,
)
from keras_initact.deep import diagnose, for_activation, lsuv_initialize
from keras_initact.graph import (
    initialize, predict_moments, register_estimator, reinitialize,
)
from keras_initact.initializers import *  # noqa: F401,F403
from keras_initact.initializers import __all__ as _initializer_names
from keras_initact.layers import *  # noqa: F401,F403
from keras_initact.layers import __all__ as _layer_names
from keras_initact.models import build_sequential, export_saved_model, spec_of
from keras_initact.reporting import report
from keras_initact.seeding import derive_seed

__version__ = "0.1.0"
__all__ = [
    "activations", "callbacks", "graph", "initializers", "layers", "math",
    "models", "mup", "build_sequential", "derive_seed", "diagnose",
    "export_saved_model", "for_activation", "initialize", "lsuv_initialize",
    "predict_moments", "register_estimator", "reinitialize", "report",
    "spec_of",
    *_initializer_names, *_layer_names,
]

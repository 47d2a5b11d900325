"""Deep plain networks that train.

| module     | what                                                           |
|------------|----------------------------------------------------------------|
| `lsuv`     | `lsuv_initialize`, `LSUVCallback` (Mishkin & Matas 2016)       |
| `pairing`  | `for_activation`: the initialization for an activation, depth  |
| `shaping`  | TAT (Zhang et al. 2022): the depth-set leaky ReLU, and the     |
|            | transformation of smooth units (`tat_transform`)               |
| `diagnose` | `diagnose`: per-layer signal at initialization, with a verdict |

The mean-field theory they use is `keras_initact.math.mean_field`; the critical
initializer is `keras_initact.initializers.Critical`.
"""

from keras_initact.deep.diagnose import Diagnosis, LayerSignal, diagnose
from keras_initact.deep.lsuv import (
    LayerVariance, LSUVCallback, LSUVError, format_report, lsuv_initialize,
)
from keras_initact.deep.pairing import InitRecipe, for_activation

__all__ = [
    "Diagnosis", "InitRecipe", "LSUVCallback", "LSUVError", "LayerSignal",
    "LayerVariance", "diagnose", "for_activation", "format_report",
    "lsuv_initialize",
]

"""Deep plain networks that train.

| module        | what                                                          |
|---------------|---------------------------------------------------------------|
| `lsuv`        | `lsuv_initialize`, `LSUVCallback` (Mishkin & Matas 2016)      |
| `pairing`     | `for_activation`: the initialization for an activation, depth |
| `recipe`      | `InitRecipe`, what `for_activation` returns                   |
| `shaping`     | DKS (Martens et al. 2021) and TAT (Zhang et al. 2022): the    |
|               | depth-set leaky ReLU, `tat_transform` and `dks_transform`     |
| `kernel_maps` | a unit's local Q and C maps, from its Hermite expansion       |
| `diagnose`    | `diagnose`: per-layer signal at initialization, and a verdict |

The mean-field theory they use is `keras_initact.math.mean_field`; the critical
initializer is `keras_initact.initializers.Critical`.
"""

from keras_initact.deep.diagnose import Diagnosis, LayerSignal, diagnose
from keras_initact.deep.lsuv import (
    LayerVariance, LSUVCallback, LSUVError, format_report, lsuv_initialize,
)
from keras_initact.deep.pairing import for_activation
from keras_initact.deep.recipe import InitRecipe, ShapingResult

__all__ = [
    "Diagnosis", "InitRecipe", "LSUVCallback", "LSUVError", "LayerSignal",
    "LayerVariance", "ShapingResult", "diagnose", "for_activation",
    "format_report", "lsuv_initialize",
]

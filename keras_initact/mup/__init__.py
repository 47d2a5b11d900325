"""μP, the Maximal Update Parametrization (Yang et al., "Tensor Programs V",
2021), for Keras 3: hyperparameters tuned on a narrow model transfer to a
wide one.

    base_shapes = keras_initact.mup.set_base_shapes(model, base_model)
    model.compile(optimizer=keras_initact.mup.Adam(1e-3, base_shapes=base_shapes), ...)

| module        | what                                                     |
|---------------|----------------------------------------------------------|
| `table`       | the μP table: init variance, multiplier, SGD and Adam lr |
| `readout`     | `MuReadout`: the output layer's `1/width_mult`           |
| `attention`   | `MuMultiHeadAttention`: logits scaled by `1/key_dim`     |
| `shapes`      | `set_base_shapes`, `BaseShapes`, `WidthShape`            |
| `optimizers`  | `Adam`, `AdamW`, `SGD` with μP's per-variable rates      |
| `coord_check` | `coord_check`, `plot_coord_check`: is μP wired right?    |
"""

from keras_initact.mup.attention import MuMultiHeadAttention
from keras_initact.mup.coord_check import coord_check, plot_coord_check
from keras_initact.mup.optimizers import SGD, Adam, AdamW, MupOptimizer
from keras_initact.mup.readout import MuReadout
from keras_initact.mup.shapes import BaseShapes, WidthShape, set_base_shapes
from keras_initact.mup.table import MUP_TABLE, MupRule

__all__ = [
    "MUP_TABLE", "SGD", "Adam", "AdamW", "BaseShapes",
    "MuMultiHeadAttention", "MuReadout",
    "MupOptimizer", "MupRule", "WidthShape", "coord_check",
    "plot_coord_check", "set_base_shapes",
]

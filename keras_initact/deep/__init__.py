"""Deep plain networks that train: LSUV, diagnosis and the initializer for each activation."""

from keras_initact.deep.lsuv import (
    LayerVariance, LSUVCallback, LSUVError, format_report, lsuv_initialize,
)

__all__ = [
    "LSUVCallback", "LSUVError", "LayerVariance", "format_report",
    "lsuv_initialize",
]

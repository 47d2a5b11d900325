"""Monitoring callbacks: per-layer statistics in TensorBoard while training.

    model.fit(x, y, callbacks=[
        keras_initact.callbacks.LayerStats("logs", probe_data=x[:256]),
        keras_initact.callbacks.NonFiniteGuard(),
        keras.callbacks.TensorBoard("logs"),       # may share the log dir
    ])
    keras_initact.report("logs")                   # table + PNG figures
"""

from keras_initact.callbacks.guard import NonFiniteGuard
from keras_initact.callbacks.layer_stats import LayerStats

__all__ = ["LayerStats", "NonFiniteGuard"]

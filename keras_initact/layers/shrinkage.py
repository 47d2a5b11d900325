"""Shrinkage activations: pull small inputs to (or towards) zero."""

from keras_initact.checks import check_number
from keras_initact.serialization import register
from keras_initact.math.table import shrinkage as records
from keras_initact.layers.base import ActivationLayer
from keras_initact.math import functions


class _ThresholdedShrink(ActivationLayer):
    """A shrinkage layer with a `threshold >= 0`, computed by its record's
    function."""

    def __init__(self, threshold=0.5, **kwargs):
        super().__init__(**kwargs)
        self.threshold = float(check_number(
            "threshold", threshold, type(self).__name__, non_negative=True))
        self._finish_init()

    def call(self, inputs):
        return type(self).record.function(inputs, threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


@register
class HardShrink(_ThresholdedShrink):
    """Hard shrinkage layer, `f(x) = x if |x| > threshold else 0`.

    >>> HardShrink()(np.array([-1.0, 0.2, 0.7]))  # [-1.0, 0.0, 0.7]

    Args:
        threshold: the half-width of the zeroed band, >= 0 (default 0.5).
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    record = records.HARD_SHRINK


@register
class SoftShrink(_ThresholdedShrink):
    """Soft shrinkage layer: `x - threshold` above `threshold`, `x +
    threshold` below `-threshold`, else 0.

    >>> SoftShrink()(np.array([-1.0, 0.2, 0.7]))  # [-0.5, 0.0, 0.2]

    Args:
        threshold: the half-width of the zeroed band, >= 0 (default 0.5).
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    record = records.SOFT_SHRINK


@register
class TanhShrink(ActivationLayer):
    """Tanh shrinkage layer, `f(x) = x - tanh(x)`.

    >>> TanhShrink()(np.array([-1.0, 0.0, 1.0]))  # [-0.2384, 0.0, 0.2384]
    """

    record = records.TANH_SHRINK

    def call(self, inputs):
        return functions.tanh_shrink(inputs)

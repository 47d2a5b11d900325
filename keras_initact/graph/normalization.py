"""Estimators of the normalization layers.

A layer that standardizes its input (batch norm in training, layer and
group norm always) gives the standardized input distribution; its scale
`gamma` and offset `beta` then act per channel. Per-channel values that
differ make the output a mixture over channels, of which the moments are
kept (`per_channel_affine`).
"""

import math

import keras
import numpy as np

from keras_initact.graph.signal import Signal


def batch_normalization(call):
    """`BatchNormalization`: standardized in training (by the batch's
    statistics, which removes each channel's offset shared by the
    positions); at inference, by the moving mean and variance."""
    layer = call.layer
    x = call.input
    if call.training and layer.trainable:
        normalized = x.standardized()
        call.output_correlation = 0.0  # the channels' offsets subtracted
    else:
        mean = _values(layer.moving_mean)
        spread = np.sqrt(_values(layer.moving_variance) + layer.epsilon)
        normalized = per_channel_affine(x, 1.0 / spread, -mean / spread)
    return _scaled(layer, normalized)


def layer_normalization(call):
    """`LayerNormalization`, `GroupNormalization`: standardized over the
    normalized axes (by the root mean square with `rms_scaling`)."""
    layer = call.layer
    x = call.input
    if getattr(layer, "rms_scaling", False):
        normalized = x.affine(1.0 / math.sqrt(max(x.second, 1e-30)))
    else:
        normalized = x.standardized()
    return _scaled(layer, normalized)


def rms_normalization(call):
    """`RMSNormalization`: `x / sqrt(E[x^2])`, times its scale."""
    x = call.input
    normalized = x.affine(1.0 / math.sqrt(max(x.second, 1e-30)))
    return _scaled(call.layer, normalized, "scale", None)


def unit_normalization(call):
    """`UnitNormalization`: `x / ||x||` over its axes of `d` elements, so
    that each element's second moment is `1 / d`."""
    layer = call.layer
    x = call.input
    shape = call.input_shape
    axes = [layer.axis] if isinstance(layer.axis, int) else layer.axis
    size = math.prod(shape[axis] for axis in axes)
    return x.affine(1.0 / math.sqrt(max(size * x.second, 1e-30)))


def preprocessing_normalization(call):
    """`keras.layers.Normalization`: `(x - mean) / sqrt(variance)` with its
    adapted (or given) per-feature statistics."""
    layer = call.layer
    # Keras's own floor: max(sqrt(variance), epsilon), not sqrt of a floor
    spread = np.maximum(np.sqrt(_values(layer.variance)),
                        keras.backend.epsilon())
    if layer.invert:
        return per_channel_affine(call.input, spread, _values(layer.mean))
    return per_channel_affine(call.input, 1.0 / spread,
                              -_values(layer.mean) / spread)


def _scaled(layer, normalized, scale_name="gamma", shift_name="beta"):
    scale = getattr(layer, scale_name, None)
    shift = getattr(layer, shift_name, None) if shift_name else None
    return per_channel_affine(
        normalized, 1.0 if scale is None else _values(scale),
        0.0 if shift is None else _values(shift))


def per_channel_affine(signal, scale, shift):
    """`scale_c * x + shift_c` over channels `c` of one input distribution:
    an affine map of it when every channel's is the same, else the
    Gaussian of the mixture's moments."""
    scale = np.atleast_1d(np.asarray(scale, dtype=np.float64)).ravel()
    shift = np.atleast_1d(np.asarray(shift, dtype=np.float64)).ravel()
    if np.ptp(scale) == 0.0 and np.ptp(shift) == 0.0:
        return signal.affine(float(scale[0]), float(shift[0]))
    mean, second = signal.mean, signal.second
    scale, shift = np.broadcast_arrays(scale, shift)
    return Signal.of_moments(
        float(np.mean(scale * mean + shift)),
        float(np.mean(scale * scale * second + 2 * scale * shift * mean
                      + shift * shift)))


def _values(variable):
    return np.asarray(keras.ops.convert_to_numpy(variable), dtype=np.float64)

"""The normalization layers' estimators: predicted moments against the
layer's output measured on Gaussian data of the same moments.

A layer that standardizes by the data's own statistics (batch norm in
training, layer, group and RMS norm) gives its per-channel `gamma`, `beta`
moments almost exactly (to the epsilon and the sample's own statistics);
one that applies fixed statistics (batch norm at inference, Keras's
`Normalization`) is checked within five standard errors of the sample."""

import math

import keras
import numpy as np
import pytest

import keras_initact as ki
from keras_initact.graph import normalization as N
from keras_initact.graph.signal import Signal

KL = keras.layers
RNG = np.random.default_rng(0)
GAMMA = RNG.uniform(0.5, 2.0, 16)
BETA = RNG.normal(0.0, 0.5, 16)


def _data(shape, mean=2.0, variance=9.0, seed=0):
    z = np.random.default_rng(seed).standard_normal(shape)
    return (mean + math.sqrt(variance) * z).astype("float32")


def _compare(layer, shape, *, training, mean=2.0, variance=9.0,
             batch=512, tolerance=None):
    """Predicted vs measured (mean, second moment) of `layer`'s output on
    N(mean, variance) inputs."""
    model = keras.Sequential([keras.Input(shape), layer])
    for name, values in (("gamma", GAMMA), ("beta", BETA), ("scale", GAMMA)):
        weight = getattr(layer, name, None)
        if isinstance(weight, keras.Variable) and weight.shape == (16,):
            weight.assign(values)
    row = ki.predict_moments(model, training=training, input_moments=(
        mean, mean * mean + variance)).rows[-1]
    x = _data((batch,) + shape, mean, variance)
    y = np.asarray(keras.ops.convert_to_numpy(model(x, training=training)),
                   dtype=np.float64)
    measured = (y.mean(), np.mean(y * y))
    if tolerance is None:  # five standard errors of the sample's moments
        tolerance = (5 * math.sqrt(y.var() / y.size),
                     5 * math.sqrt(np.var(y * y) / y.size))
    assert row.predicted_mean == pytest.approx(measured[0], abs=tolerance[0])
    assert row.predicted_second == pytest.approx(measured[1],
                                                 abs=tolerance[1])
    return row


def test_batch_norm_in_training_standardizes_then_scales():
    row = _compare(KL.BatchNormalization(), (16,), training=True,
                   tolerance=(1e-4, 1e-3))
    assert row.predicted_mean == pytest.approx(BETA.mean(), rel=1e-6)
    assert row.predicted_second == pytest.approx(
        np.mean(GAMMA ** 2 + BETA ** 2), rel=1e-6)


def test_batch_norm_at_inference_uses_its_moving_statistics():
    layer = KL.BatchNormalization()
    keras.Sequential([keras.Input((16,)), layer])
    layer.moving_mean.assign(RNG.normal(0.0, 1.0, 16))
    layer.moving_variance.assign(RNG.uniform(0.5, 4.0, 16))
    row = _compare(layer, (16,), training=False, batch=4096)
    # at the moving statistics' own defaults (0, 1) it is gamma x + beta
    fresh = _compare(KL.BatchNormalization(), (16,), training=False,
                     batch=4096)
    assert fresh.predicted_second == pytest.approx(np.mean(
        GAMMA ** 2 * (9 + 4) / (1 + 1e-3) + 2 * GAMMA * BETA * 2
        / math.sqrt(1 + 1e-3) + BETA ** 2), rel=1e-6)
    assert row.predicted_second != pytest.approx(fresh.predicted_second)


def test_a_frozen_batch_norm_is_at_inference_even_in_training():
    layer = KL.BatchNormalization()
    keras.Sequential([keras.Input((16,)), layer])
    layer.moving_variance.assign(np.full(16, 4.0))
    layer.trainable = False
    _compare(layer, (16,), training=True, batch=4096)


@pytest.mark.parametrize("layer, shape", [
    (lambda: KL.LayerNormalization(), (16,)),
    (lambda: KL.LayerNormalization(center=False, scale=False), (16,)),
    (lambda: KL.GroupNormalization(groups=4), (4, 16)),
    (lambda: KL.GroupNormalization(groups=16), (8, 16)),
], ids=["layer", "layer_plain", "group", "group_instance"])
def test_layer_and_group_norm_standardize(layer, shape):
    # per sample (and group): the sample's own statistics of 16 or 32
    # elements, close to but not exactly the population's
    _compare(layer(), shape, training=False, tolerance=(0.01, 0.05))


@pytest.mark.skipif(not hasattr(KL, "RMSNormalization"),
                    reason="this Keras has no RMSNormalization")
def test_rms_norm_divides_by_the_root_mean_square():
    row = _compare(KL.RMSNormalization(), (16,), training=False,
                   tolerance=(0.02, 0.06))
    # x / sqrt(E[x^2]), E[x^2] = 13: mean 2 / sqrt(13) times the scale
    assert row.predicted_mean == pytest.approx(
        GAMMA.mean() * 2 / math.sqrt(13), rel=1e-6)
    assert row.predicted_second == pytest.approx(np.mean(GAMMA ** 2),
                                                 rel=1e-6)


@pytest.mark.parametrize("axis, shape, size", [(-1, (16,), 16),
                                               ((1, 2), (4, 6), 24)])
def test_unit_norm_gives_each_element_one_over_the_size(axis, shape, size):
    row = _compare(KL.UnitNormalization(axis=axis), shape, training=False,
                   tolerance=(0.02, 1e-6))
    assert row.predicted_second == pytest.approx(1 / size, rel=1e-9)


def test_preprocessing_normalization_applies_its_statistics():
    mean, variance = RNG.normal(0, 2, 16), RNG.uniform(0.5, 5, 16)
    layer = KL.Normalization(mean=mean, variance=variance)
    row = _compare(layer, (16,), training=False, batch=4096)
    # (x - m) / s on N(2, 9): mean of (2 - m) / s, E[y^2] of
    # ((2 - m)^2 + 9) / s^2 over the features
    assert row.predicted_second == pytest.approx(
        np.mean(((2 - mean) ** 2 + 9) / variance), rel=1e-6)


def test_preprocessing_normalization_adapted_and_inverted():
    adapted = KL.Normalization()
    adapted.adapt(_data((1000, 16), seed=3))
    row = _compare(adapted, (16,), training=False, batch=4096)
    assert row.predicted_second == pytest.approx(1.0, abs=0.1)
    inverse = KL.Normalization(mean=3.0, variance=4.0, invert=True)
    row = _compare(inverse, (16,), training=False, mean=0.0, variance=1.0,
                   batch=4096)
    assert row.predicted_mean == pytest.approx(3.0)
    assert row.predicted_second == pytest.approx(9.0 + 4.0)


def test_a_constant_feature_is_divided_by_kerass_floor():
    # Keras divides by max(sqrt(variance), epsilon), so a feature without
    # variance is multiplied by 1e7
    layer = KL.Normalization(mean=0.0, variance=0.0)
    model = keras.Sequential([keras.Input((4,)), layer])
    row = ki.predict_moments(model).rows[-1]
    x = np.full((2, 4), 1e-6, "float32")
    assert float(np.mean(keras.ops.convert_to_numpy(model(x)))) == \
        pytest.approx(10.0, rel=1e-4)
    assert row.predicted_second == pytest.approx(1e14, rel=1e-6)


def test_per_channel_affine_is_the_mixture_over_channels():
    x = Signal.gaussian(1.0, 4.0)
    same = N.per_channel_affine(x, [2.0, 2.0], [1.0, 1.0])
    assert same.source is x.source  # one affine map
    assert (same.mean, same.variance) == (pytest.approx(3.0),
                                          pytest.approx(16.0))
    mixed = N.per_channel_affine(x, [1.0, 3.0], [0.0, -1.0])
    # channel 1: N(1, 4), second 5; channel 2: N(2, 36), second 40
    assert mixed.mean == pytest.approx(1.5)
    assert mixed.second == pytest.approx((5 + 40) / 2)

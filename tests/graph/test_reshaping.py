"""The estimators of the layers that move, pad, pool or copy elements:
predicted moments against the output measured on Gaussian data (five
standard errors), and the exact cases (a rearrangement keeps the input's
moments; padding is kept aside as borders)."""

import math

import keras
import numpy as np
import pytest

import keras_initact as ki

KL = keras.layers
MEAN, VARIANCE = 0.5, 2.0


def _row_and_output(layer, shape, batch=256, x=None):
    model = keras.Sequential([keras.Input(shape), layer])
    row = ki.predict_moments(model, input_moments=(
        MEAN, MEAN * MEAN + VARIANCE)).rows[-1]
    if x is None:
        z = np.random.default_rng(0).standard_normal((batch,) + shape)
        x = (MEAN + math.sqrt(VARIANCE) * z).astype("float32")
    y = np.asarray(keras.ops.convert_to_numpy(model(x)), dtype=np.float64)
    return row, y


def _assert_as_measured(row, y, slack=0.0):
    assert row.method == "estimated"
    mean_se = math.sqrt(y.var() / y.size)
    second_se = math.sqrt(np.var(y * y) / y.size)
    assert row.predicted_mean == pytest.approx(
        y.mean(), abs=5 * mean_se + slack)
    assert row.predicted_second == pytest.approx(
        np.mean(y * y), abs=5 * second_se + slack)


@pytest.mark.parametrize("layer, shape", [
    (lambda: KL.Flatten(), (4, 4, 2)),
    (lambda: KL.Reshape((8, 4)), (4, 4, 2)),
    (lambda: KL.Permute((2, 1)), (4, 8)),
    (lambda: KL.RepeatVector(3), (8,)),
    (lambda: KL.UpSampling1D(2), (4, 8)),
    (lambda: KL.UpSampling2D(2), (4, 4, 2)),
    (lambda: KL.UpSampling3D(2), (2, 2, 2, 2)),
    (lambda: KL.Cropping1D(1), (6, 4)),
    (lambda: KL.Cropping2D(1), (6, 6, 2)),
    (lambda: KL.Cropping3D(1), (4, 4, 4, 2)),
    (lambda: KL.Identity(), (8,)),
    (lambda: KL.Masking(), (4, 8)),
    (lambda: KL.ActivityRegularization(), (8,)),
], ids=["flatten", "reshape", "permute", "repeat", "up1d", "up2d", "up3d",
        "crop1d", "crop2d", "crop3d", "identity", "masking", "activity"])
def test_a_rearrangement_keeps_the_moments(layer, shape):
    row, y = _row_and_output(layer(), shape)
    assert row.predicted_mean == pytest.approx(MEAN, rel=1e-12)
    assert row.predicted_second == pytest.approx(MEAN ** 2 + VARIANCE,
                                                 rel=1e-12)
    _assert_as_measured(row, y)


@pytest.mark.parametrize("layer, shape, real", [
    (lambda: KL.ZeroPadding1D(2), (6, 4), 6 / 10),
    (lambda: KL.ZeroPadding1D((1, 3)), (6, 4), 6 / 10),
    (lambda: KL.ZeroPadding2D(((1, 2), (0, 1))), (4, 4, 2), 4 / 7 * 4 / 5),
    (lambda: KL.ZeroPadding3D(1), (2, 2, 2, 2), (2 / 4) ** 3),
], ids=["pad1d", "pad1d_pair", "pad2d", "pad3d"])
def test_zero_padding_is_borders_and_mixes_the_zeros_in_after(layer, shape,
                                                              real):
    model = keras.Sequential([keras.Input(shape), layer(), KL.Flatten()])
    report = ki.predict_moments(model, input_moments=(
        MEAN, MEAN * MEAN + VARIANCE))
    # the padding layer's own row: the real elements' moments
    assert report.rows[0].predicted_second == pytest.approx(
        MEAN ** 2 + VARIANCE)
    # the layer after it (no convolution) sees the zeros
    flatten = report.rows[-1]
    assert flatten.predicted_mean == pytest.approx(real * MEAN)
    assert flatten.predicted_second == pytest.approx(
        real * (MEAN ** 2 + VARIANCE))


@pytest.mark.parametrize("layer, shape", [
    (lambda: KL.AveragePooling1D(2), (8, 16)),
    (lambda: KL.AveragePooling2D(2), (8, 8, 8)),
    (lambda: KL.AveragePooling2D(3, strides=1), (8, 8, 8)),
    (lambda: KL.AveragePooling3D(2), (4, 4, 4, 4)),
    (lambda: KL.MaxPooling1D(2), (8, 16)),
    (lambda: KL.MaxPooling2D(2), (8, 8, 8)),
    (lambda: KL.MaxPooling2D(3, strides=2), (9, 9, 8)),
    (lambda: KL.MaxPooling3D(2), (4, 4, 4, 4)),
    (lambda: KL.GlobalAveragePooling1D(), (16, 16)),
    (lambda: KL.GlobalAveragePooling2D(), (4, 4, 16)),
    (lambda: KL.GlobalAveragePooling3D(), (2, 2, 4, 16)),
    (lambda: KL.GlobalMaxPooling1D(), (16, 16)),
    (lambda: KL.GlobalMaxPooling2D(), (4, 4, 16)),
    (lambda: KL.GlobalMaxPooling3D(), (2, 2, 4, 16)),
], ids=["avg1d", "avg2d", "avg2d_overlapping", "avg3d", "max1d", "max2d",
        "max2d_overlapping", "max3d", "gap1d", "gap2d", "gap3d", "gmp1d",
        "gmp2d", "gmp3d"])
def test_pooling_of_independent_elements(layer, shape):
    # the order statistic of the 101-node rule is within 1% (test_signal)
    row, y = _row_and_output(layer(), shape, batch=512)
    _assert_as_measured(row, y, slack=0.01 * np.mean(y * y))


def test_average_pooling_divides_the_variance_by_the_window():
    row, _ = _row_and_output(KL.AveragePooling2D((2, 3)), (6, 6, 2))
    assert row.predicted_mean == pytest.approx(MEAN)
    assert row.predicted_second == pytest.approx(MEAN ** 2 + VARIANCE / 6)


def test_global_average_pooling_of_an_unknown_size_keeps_only_the_mean():
    model = keras.Sequential([keras.Input((None, 8)),
                              KL.GlobalAveragePooling1D()])
    row = ki.predict_moments(model, input_moments=(MEAN, 3.0)).rows[-1]
    assert (row.predicted_mean, row.predicted_second) == (
        pytest.approx(MEAN), pytest.approx(MEAN ** 2))

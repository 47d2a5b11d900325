"""The estimators of the layers with kernels (keras_initact.graph.linear).

Two checks per layer: exactly, the predicted second moment of a layer whose
kernel is all ones on N(0, 1) input is `E[y^2] = mean over outputs of the
number of kernel taps on real input` (times the channels), which is the
layer itself applied to an all-ones input; statistically, after
`initialize` the layer's measured output on N(0, 1) data has second moment
1 within five standard errors (`sqrt(2 / n)` for `n` output elements, plus
the input sample's own)."""

import math

import keras
import numpy as np
import pytest

import keras_initact as ki
from keras_initact.graph import attention, linear

KL = keras.layers


def _model(layer, shape):
    return keras.Sequential([keras.Input(shape), layer])


def _numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype=np.float64)


def _ones_prediction(layer_factory, shape):
    """(predicted E[y^2], exact E[y^2]) of a layer with all-ones kernels
    on standard normal input."""
    model = _model(layer_factory(), shape)
    layer = model.layers[-1]
    for weight in layer.weights:
        weight.assign(np.ones(weight.shape) if "kernel" in weight.path
                      else np.zeros(weight.shape))
    predicted = ki.predict_moments(model).rows[-1].predicted_second
    exact = float(np.mean(_numpy(model(np.ones((1,) + shape, "float32")))))
    # all-ones kernels: each output is the count of real taps (times the
    # channels), and that count is its mean square over iid unit inputs
    return predicted, exact


def _standard_normal(shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    return (x / np.sqrt(np.mean(x * x))).astype("float32")


def _assert_unit_second_moment(y, fan):
    y = _numpy(y)
    n = y.size
    # the output sample's error, and the input sample's (batch * fan)
    tolerance = 5 * math.sqrt(2 / n) + 5 * math.sqrt(2 / (y.shape[0] * fan))
    assert np.mean(y * y) == pytest.approx(1.0, abs=tolerance)


@pytest.mark.parametrize("equation, kernel_shape, fan", [
    ("ab,bc->ac", (16, 8), 16),
    ("abc,cde->abde", (16, 4, 8), 16),
    ("abc,cd->abd", (12, 5), 12),
    ("abc,bcd->ad", (3, 4, 5), 12),
    ("...b,bc->...c", (7, 3), 7),
    ("abcd,cde->abe", (6, 2, 3), 12),
    ("ab,bc->abc", (5, 4), 1),  # nothing summed
])
def test_einsum_fan_is_the_product_of_the_summed_axes(equation, kernel_shape,
                                                      fan):
    assert linear.einsum_fan(equation, kernel_shape) == fan


@pytest.mark.parametrize("length, kernel, stride, dilation, padding, taps", [
    (1, 3, 1, 1, "same", 1.0),
    (4, 3, 1, 1, "same", (2 + 3 + 3 + 2) / 4),
    (5, 3, 1, 1, "valid", 3.0),
    (4, 3, 1, 1, "causal", (1 + 2 + 3 + 3) / 4),
    (6, 3, 1, 2, "causal", (1 + 1 + 2 + 2 + 3 + 3) / 6),
    (6, 3, 2, 1, "same", (3 + 3 + 2) / 3),
    (5, 3, 1, 2, "same", (2 + 2 + 3 + 2 + 2) / 5),
])
def test_axis_taps_counts_the_taps_on_real_input(length, kernel, stride,
                                                 dilation, padding, taps):
    assert linear.axis_taps(length, 0, 0, kernel, stride, dilation,
                            padding) == pytest.approx(taps, abs=1e-12)


def test_axis_taps_leaves_out_zeros_already_in_the_input():
    # 6 positions, the first and the last padding: a "valid" 3-tap kernel
    # sees 2, 3, 3, 2 real inputs
    assert linear.axis_taps(6, 1, 1, 3) == pytest.approx(2.5)


def test_axis_taps_of_an_unknown_length_is_the_kernel():
    assert linear.axis_taps(None, 0, 0, 5) == 5.0
    with pytest.raises(ValueError, match="padding"):
        linear.axis_taps(4, 0, 0, 3, padding="full")


CONVOLUTIONS = {
    "conv1d_same": (lambda: KL.Conv1D(2, 3, padding="same"), (5, 3)),
    "conv1d_valid": (lambda: KL.Conv1D(2, 3, padding="valid"), (7, 3)),
    "conv1d_causal_dilated": (
        lambda: KL.Conv1D(2, 3, padding="causal", dilation_rate=2), (6, 2)),
    "conv1d_same_dilated": (
        lambda: KL.Conv1D(2, 3, padding="same", dilation_rate=2), (5, 2)),
    "conv1d_same_strided": (
        lambda: KL.Conv1D(2, 3, padding="same", strides=2), (7, 2)),
    "conv2d_same_3x3": (lambda: KL.Conv2D(2, 3, padding="same"), (3, 3, 4)),
    "conv2d_same_1x1_map": (lambda: KL.Conv2D(2, 3, padding="same"),
                            (1, 1, 4)),
    "conv2d_same_strided": (
        lambda: KL.Conv2D(2, 3, padding="same", strides=2), (5, 4, 2)),
    "conv2d_valid_dilated": (
        lambda: KL.Conv2D(2, 3, padding="valid", dilation_rate=2), (6, 7, 2)),
    "conv2d_groups": (lambda: KL.Conv2D(4, 3, padding="same", groups=2),
                      (4, 4, 4)),
    "conv3d_same": (lambda: KL.Conv3D(2, 3, padding="same"), (3, 4, 2, 2)),
    "depthwise2d_same": (lambda: KL.DepthwiseConv2D(3, padding="same"),
                         (3, 4, 2)),
    "depthwise1d_valid_dilated": (
        lambda: KL.DepthwiseConv1D(3, padding="valid", dilation_rate=2),
        (8, 2)),
    "separable2d_same": (lambda: KL.SeparableConv2D(3, 3, padding="same"),
                         (4, 3, 2)),
    "separable1d_same": (lambda: KL.SeparableConv1D(3, 3, padding="same"),
                         (4, 2)),
    "conv1d_transpose_same": (
        lambda: KL.Conv1DTranspose(2, 3, strides=2, padding="same"), (4, 3)),
    "conv2d_transpose_same": (
        lambda: KL.Conv2DTranspose(2, 3, strides=2, padding="same"),
        (4, 4, 3)),
    "conv2d_transpose_valid": (
        lambda: KL.Conv2DTranspose(2, 3, strides=2, padding="valid"),
        (3, 3, 2)),
    "conv2d_transpose_stride1": (
        lambda: KL.Conv2DTranspose(2, 3, padding="same"), (4, 4, 2)),
    "conv3d_transpose_same": (
        lambda: KL.Conv3DTranspose(2, 2, strides=2, padding="same"),
        (2, 2, 2, 2)),
}


@pytest.mark.parametrize("name", CONVOLUTIONS)
def test_a_convolution_counts_exactly_the_taps_on_real_input(name):
    factory, shape = CONVOLUTIONS[name]
    predicted, exact = _ones_prediction(factory, shape)
    assert predicted == pytest.approx(exact, rel=1e-9)


def test_channels_first_reads_the_spatial_axes_after_the_channels():
    # TensorFlow's CPU convolutions are channels-last only: the count by
    # hand, 3 channels times (2 + 3 + 3 + 2) / 4 taps per axis
    model = _model(KL.Conv2D(2, 3, padding="same",
                             data_format="channels_first"), (3, 4, 5))
    model.layers[-1].kernel.assign(np.ones(model.layers[-1].kernel.shape))
    predicted = ki.predict_moments(model).rows[-1].predicted_second
    assert predicted == pytest.approx(3 * 2.5 * (2 + 3 * 3 + 2) / 5)


def test_a_convolution_after_zero_padding_leaves_the_zeros_out():
    # The padding's zeros stay borders: the 3x3 kernel's taps on them do
    # not count, as they do not in the output on all-ones input.
    model = keras.Sequential([keras.Input((3, 3, 2)),
                              KL.ZeroPadding2D(((1, 2), (0, 1))),
                              KL.Conv2D(2, 3, padding="same")])
    conv = model.layers[-1]
    conv.kernel.assign(np.ones(conv.kernel.shape))
    report = ki.predict_moments(model)
    exact = float(np.mean(_numpy(model(np.ones((1, 3, 3, 2), "float32")))))
    assert report.row(conv.name).predicted_second == pytest.approx(exact,
                                                                   rel=1e-9)
    assert report.row(conv.name).kernels[0].fan == pytest.approx(exact)


def test_a_zero_padded_convolution_is_measured_at_the_predicted_variance():
    # ±1 kernels: the measured output's mean square is the taps count
    model = keras.Sequential([keras.Input((4, 4, 8)), KL.ZeroPadding2D(1),
                              KL.Conv2D(16, 3, padding="valid",
                                        use_bias=False)])
    conv = model.layers[-1]
    signs = np.random.default_rng(1).choice([-1.0, 1.0], conv.kernel.shape)
    conv.kernel.assign(signs)
    predicted = ki.predict_moments(model).row(conv.name).predicted_second
    y = _numpy(model(_standard_normal((256, 4, 4, 8))))
    # 36 taps on a 6x6 padded map seen, of 72 = 9 * 8 with no padding
    assert predicted == pytest.approx(8 * (2 + 3 + 3 + 2) ** 2 / 16)
    assert np.mean(y * y) / predicted == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("length, kernel, stride, padding, taps", [
    (4, 3, 2, "same", 11 / 8),
    (4, 2, 2, "valid", 1.0),
    (4, 3, 1, "same", 2.5),
    (4, 3, 1, "valid", 2.0),
])
def test_transposed_axis_taps(length, kernel, stride, padding, taps):
    assert linear.transposed_axis_taps(length, kernel, stride,
                                       padding=padding) == pytest.approx(taps)


INITIALIZED = {
    "dense": (lambda: KL.Dense(64), (64,), 512, 64),
    "einsum": (lambda: KL.EinsumDense("abc,cde->abde", output_shape=(8, 4, 16)),
               (8, 32), 128, 32),
    "conv1d_causal": (lambda: KL.Conv1D(32, 3, padding="causal",
                                        dilation_rate=2), (16, 16), 128, 48),
    "conv1d_same_dilated": (lambda: KL.Conv1D(32, 3, padding="same",
                                              dilation_rate=2),
                            (16, 16), 128, 48),
    "conv2d_same_strided": (lambda: KL.Conv2D(32, 3, padding="same",
                                              strides=2), (8, 8, 8), 128, 72),
    "conv2d_small_map": (lambda: KL.Conv2D(32, 3, padding="same"),
                         (2, 2, 16), 256, 64),
    "conv3d_same": (lambda: KL.Conv3D(16, 3, padding="same"),
                    (4, 4, 4, 4), 64, 108),
    "depthwise": (lambda: KL.DepthwiseConv2D(3, padding="same",
                                             depth_multiplier=2),
                  (6, 6, 16), 128, 9),
    "separable": (lambda: KL.SeparableConv2D(32, 3, padding="same"),
                  (6, 6, 16), 128, 16),
    "conv2d_transpose": (lambda: KL.Conv2DTranspose(32, 3, strides=2,
                                                    padding="same"),
                         (4, 4, 16), 128, 32),
    "conv1d_transpose": (lambda: KL.Conv1DTranspose(32, 3, strides=2,
                                                    padding="same"),
                         (8, 16), 128, 24),
}


@pytest.mark.parametrize("name", INITIALIZED)
def test_after_initialize_the_output_has_unit_second_moment(name):
    factory, shape, batch, fan = INITIALIZED[name]
    keras.utils.set_random_seed(0)  # one draw of the weights
    model = _model(factory(), shape)
    report = ki.initialize(model)
    assert report.rows[-1].predicted_second == pytest.approx(1.0, rel=1e-9)
    _assert_unit_second_moment(model(_standard_normal((batch,) + shape)),
                               fan)


def test_initialize_scales_the_kernel_to_fan_times_mean_square_one():
    model = _model(KL.Dense(32), (48,))
    before = _numpy(model.layers[-1].kernel)
    scale = ki.initialize(model).rows[-1].kernels[0]
    after = _numpy(model.layers[-1].kernel)
    assert scale.fan == 48 and scale.input_second == pytest.approx(1.0)
    assert 48 * np.mean(after ** 2) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(after, before * scale.factor, rtol=1e-5)


def test_the_target_is_the_second_moment_not_the_variance():
    # input with mean 2 and variance 1: E[x^2] = 5, so fan * E[w^2] = 1/5
    model = _model(KL.Dense(32), (48,))
    ki.initialize(model, input_moments=(2.0, 5.0))
    assert 48 * np.mean(_numpy(model.layers[-1].kernel) ** 2) * 5.0 == \
        pytest.approx(1.0, rel=1e-5)


def test_a_bias_adds_its_mean_square():
    model = _model(KL.Dense(8, bias_initializer=keras.initializers.Constant(
        0.5)), (16,))
    row = ki.initialize(model).rows[-1]
    assert row.predicted_mean == pytest.approx(0.5)
    assert row.predicted_second == pytest.approx(1.25)


def test_an_all_zero_kernel_is_drawn_anew_at_the_target():
    model = _model(KL.Dense(256, kernel_initializer="zeros"), (128,))
    scale = ki.initialize(model, seed=3).rows[-1].kernels[0]
    kernel = _numpy(model.layers[-1].kernel)
    assert scale.factor == math.inf
    # 32768 normal draws of variance 1/128: mean square within 5 se
    assert 128 * np.mean(kernel ** 2) == pytest.approx(
        1.0, abs=5 * math.sqrt(2 / kernel.size))


def test_an_embedding_is_set_to_unit_second_moment():
    keras.utils.set_random_seed(0)  # one table: its rows' spread is ~0.05
    model = _model(KL.Embedding(100, 64), (8,))
    report = ki.initialize(model)
    table = _numpy(model.layers[-1].embeddings)
    assert np.mean(table ** 2) == pytest.approx(1.0, rel=1e-5)
    assert report.rows[-1].predicted_second == pytest.approx(1.0, rel=1e-6)
    assert report.rows[-1].predicted_mean == pytest.approx(np.mean(table))
    ids = np.random.default_rng(0).integers(0, 100, (256, 8))
    y = _numpy(model(ids))
    assert np.mean(y ** 2) == pytest.approx(1.0, abs=0.05)


def test_attention_concentration_exact_cases():
    assert attention.attention_concentration(1.0, None) == 0.0
    assert attention.attention_concentration(1.0, 1) == 1.0
    # no logit variance: uniform weights 1/T, sum of squares 1/T
    assert attention.attention_concentration(0.0, 8) == pytest.approx(1 / 8)
    assert attention.attention_concentration(0.0, 4, causal=True) == \
        pytest.approx(np.mean([1, 1 / 2, 1 / 3, 1 / 4]))


def test_attention_concentration_matches_sampled_softmax():
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((20_000, 16)) * math.sqrt(2.0)
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    sampled = np.mean(np.sum(weights ** 2, axis=1))
    assert attention.attention_concentration(2.0, 16) == pytest.approx(
        sampled, rel=0.02)


def _attention_second_moment(query_shape, value_shape=None, seeds=4,
                             **call_kwargs):
    """The measured output mean square after `initialize`, averaged over
    `seeds` draws of the weights (one draw's own logit variance moves
    the attention's concentration by some 10%)."""
    seconds = []
    for seed in range(seeds):
        keras.utils.set_random_seed(seed)
        query = keras.Input(query_shape)
        inputs, value = [query], query
        if value_shape is not None:
            value = keras.Input(value_shape)
            inputs.append(value)
        layer = KL.MultiHeadAttention(2, 16)
        model = keras.Model(inputs, layer(query, value, **call_kwargs))
        report = ki.initialize(model)
        assert report.rows[-1].predicted_second == pytest.approx(1.0)
        assert len(report.rows[-1].kernels) == 4  # q, k, v and output
        data = [_standard_normal((128,) + shape, seed + i)
                for i, shape in enumerate([query_shape, value_shape][
                    :len(inputs)])]
        y = _numpy(model(data))
        seconds.append(np.mean(y * y))
    return float(np.mean(seconds))


def test_multi_head_self_attention_is_set_to_unit_output():
    assert _attention_second_moment((8, 64)) == pytest.approx(1.0, abs=0.08)


def test_multi_head_attention_with_a_causal_mask():
    assert _attention_second_moment((8, 64), use_causal_mask=True) == \
        pytest.approx(1.0, abs=0.08)


def test_multi_head_cross_attention_on_narrow_values_is_set_to_unit_output():
    assert _attention_second_moment((6, 16), (10, 8)) == pytest.approx(
        1.0, abs=0.08)

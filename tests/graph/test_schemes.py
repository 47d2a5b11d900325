"""keras_initact.graph.schemes, through `initialize(model, scheme=...)`.

Fixup (Zhang et al. 2019): every branch's last kernel and the classifier
are zero, and the branch's other kernels are AutoInit's times
`L^(-1/(2m-2))`, exactly. DeepNorm (Wang et al. 2022): in the branches of
`DeepNormResidual` merges each kernel has Xavier-normal's mean square,
`gain^2 * 2 / (fan_in + fan_out)`, with `gain = beta` except attention's
query and key (gain 1); `beta` is by default `(8N)^(-1/4)` for `N` layers
of two merges each. Schemes are named or given as instances, and refused
otherwise.
"""

import math

import keras
import numpy as np
import pytest

import keras_initact
from keras_initact.graph import AutoInit, DeepNorm, Fixup, SCHEMES
from keras_initact.layers import DeepNormResidual, deepnorm_constants


def mean_square(variable):
    values = keras.ops.convert_to_numpy(variable).astype(np.float64)
    return float(np.mean(values * values))


def residual_mlp(blocks=4, width=16, branch_layers=2):
    x = inputs = keras.Input((width,))
    for i in range(blocks):
        h = x
        for j in range(branch_layers):
            h = keras.layers.Dense(
                width, activation="relu" if j < branch_layers - 1 else None,
                name=f"b{i}_{j}")(h)
        x = keras.layers.Add(name=f"b{i}_add")([x, h])
    return keras.Model(inputs, keras.layers.Dense(3, name="head")(x))


@pytest.mark.parametrize("branch_layers", [2, 3])
def test_fixup_zeroes_each_branch_end_and_scales_the_rest(branch_layers):
    blocks = 4
    auto_model = residual_mlp(blocks, branch_layers=branch_layers)
    fixup_model = residual_mlp(blocks, branch_layers=branch_layers)
    fixup_model.set_weights(auto_model.get_weights())
    auto_report = keras_initact.initialize(auto_model)
    report = keras_initact.initialize(fixup_model, scheme="fixup")
    assert report.scheme == "fixup"
    factor = blocks ** (-1.0 / (2 * branch_layers - 2))
    first = fixup_model.get_layer("b0_0").kernel
    assert mean_square(first) == pytest.approx(
        factor ** 2 * mean_square(auto_model.get_layer("b0_0").kernel),
        rel=1e-5)
    for i in range(blocks):
        assert mean_square(
            fixup_model.get_layer(f"b{i}_{branch_layers - 1}").kernel) == 0.0
    assert mean_square(fixup_model.get_layer("head").kernel) == 0.0
    assert report.row("b0_0").kernels[0].factor == pytest.approx(
        auto_report.row("b0_0").kernels[0].factor * factor, rel=1e-6)
    assert report.row(f"b0_{branch_layers - 1}").kernels[0].factor == 0.0


def test_fixup_keeps_the_signal_of_a_zeroed_branch_at_the_skip():
    model = residual_mlp(blocks=6)
    x = np.random.default_rng(0).standard_normal((512, 16)).astype("float32")
    report = keras_initact.initialize(model, x, scheme="fixup")
    for i in range(6):
        assert report.row(f"b{i}_add").measured_second == pytest.approx(
            float(np.mean(x * x)), rel=1e-5)


def test_fixup_can_leave_the_classifier_to_autoinit():
    model = residual_mlp()
    keras_initact.initialize(model, scheme=Fixup(zero_classifier=False))
    assert mean_square(model.get_layer("head").kernel) > 0.0


def transformer(layers=2, width=16, heads=2, alpha=None):
    constants = deepnorm_constants(encoder_layers=layers)
    alpha = constants.alpha if alpha is None else alpha
    x = inputs = keras.Input((6, width))
    for i in range(layers):
        attended = keras.layers.MultiHeadAttention(
            heads, width // heads, name=f"mha{i}")(x, x)
        x = keras.layers.LayerNormalization()(
            DeepNormResidual(alpha)([x, attended]))
        h = keras.layers.Dense(2 * width, activation="gelu",
                               name=f"up{i}")(x)
        h = keras.layers.Dense(width, name=f"down{i}")(h)
        x = keras.layers.LayerNormalization()(DeepNormResidual(alpha)([x, h]))
    return keras.Model(inputs, x)


def xavier(fan_in, fan_out, gain):
    return gain * gain * 2.0 / (fan_in + fan_out)


@pytest.mark.parametrize("beta", [None, 0.3])
def test_deepnorm_gives_xavier_mean_squares_with_gain_beta(beta):
    model = transformer(layers=3)
    keras_initact.initialize(model, scheme=DeepNorm(beta=beta)
                             if beta else "deepnorm")
    if beta is None:
        beta = (8 * 3) ** -0.25
        assert deepnorm_constants(encoder_layers=3).beta == pytest.approx(beta)
    up, down = model.get_layer("up1"), model.get_layer("down1")
    assert mean_square(up.kernel) == pytest.approx(xavier(16, 32, beta),
                                                   rel=1e-5)
    assert mean_square(down.kernel) == pytest.approx(xavier(32, 16, beta),
                                                     rel=1e-5)
    attention = model.get_layer("mha0")
    for projection, gain in ((attention.query_dense, 1.0),
                             (attention.key_dense, 1.0),
                             (attention.value_dense, beta),
                             (attention.output_dense, beta)):
        assert mean_square(projection.kernel) == pytest.approx(
            xavier(16, 16, gain), rel=1e-5)


def test_deepnorm_needs_deepnorm_merges():
    with pytest.raises(ValueError, match="DeepNormResidual"):
        keras_initact.initialize(residual_mlp(), scheme="deepnorm")


def test_schemes_by_name_and_instance():
    assert set(SCHEMES) == {"auto", "fixup", "deepnorm"}
    model = residual_mlp()
    assert keras_initact.initialize(model, scheme=AutoInit()).scheme == "auto"


@pytest.mark.parametrize("scheme", ["he", 3, None])
def test_an_unknown_scheme_is_refused_with_the_choices(scheme):
    with pytest.raises(ValueError, match=r"`scheme` must be one of "
                       r"\['auto', 'deepnorm', 'fixup'\]"):
        keras_initact.initialize(residual_mlp(), scheme=scheme)


def test_scheme_options_are_checked():
    with pytest.raises(ValueError, match="beta"):
        DeepNorm(beta=-1.0)
    with pytest.raises(ValueError, match="zero_classifier"):
        Fixup(zero_classifier="yes")

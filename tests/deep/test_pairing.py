"""keras_initact.deep.pairing: `for_activation` pairs each activation with an
initialization. Shallow networks get the classic pairing; deep ones
orthogonal or delta-orthogonal kernels on the critical line, scale-free
units He's gain; shaping gives TAT's leaky ReLU, or a TAT- or DKS-shaped
smooth unit, with the weight-scale reparametrization; units that cannot go
deep say why; bad options are refused at every depth; and the recipes carry
a signal through 20 layers in both directions."""

import math

import keras
import numpy as np
import pytest

from keras_initact import initializers as inits
from keras_initact.activations import ACTIVATIONS
from keras_initact.deep import diagnose, for_activation
from keras_initact.deep.shaping import (
    dks_transform, network_c_map, tat_leaky_relu_slope, tat_transform,
)
from keras_initact.models import build_sequential

from deep_references import plain_mlp


class TestForActivation:
    @pytest.mark.parametrize("name, expected", [
        ("relu", inits.HeNormal), ("selu", inits.LecunNormal),
        ("tanh", inits.GlorotUniform), ("sigmoid", inits.GlorotUniform),
    ])
    def test_shallow_networks_get_the_classic_pairing(self, name, expected):
        recipe = for_activation(name)
        assert type(recipe.kernel_initializer) is expected
        assert not recipe.shaped and recipe.activation == name

    def test_deep_relu_gets_he_scaled_orthogonal_kernels(self):
        recipe = for_activation("relu", depth=50)
        kernel = keras.ops.convert_to_numpy(recipe.kernel_for(3)((32, 32)))
        np.testing.assert_allclose(kernel.T @ kernel, 2.0 * np.eye(32), atol=1e-5)
        # The data's layer: Keras's Orthogonal over all of a conv's taps.
        assert isinstance(recipe.input_kernel_initializer, inits.Orthogonal)
        assert recipe.input_kernel_initializer.gain == pytest.approx(math.sqrt(2))

    @pytest.mark.parametrize("name, shaping", [
        ("relu", False), ("relu", True), ("tanh", False), ("tanh", True),
        ("gelu", "dks"), ("selu", True),
    ])
    def test_deep_conv_kernels_are_delta_orthogonal(self, name, shaping):
        recipe = for_activation(name, depth=30, shaping=shaping, seed=0)
        kernel = keras.ops.convert_to_numpy(recipe.kernel_for(4)((3, 3, 16, 16)))
        taps = kernel.reshape(9, 16, 16)
        assert not np.any(np.delete(taps, 4, axis=0))  # only the centre tap
        gram = taps[4].T @ taps[4]
        np.testing.assert_allclose(gram, gram[0, 0] * np.eye(16),
                                   atol=1e-5 * gram[0, 0])

    def test_dks_shapes_smooth_and_kinked_units_and_leaves_relu_to_tat(self):
        gelu = ACTIVATIONS.spec("gelu").activation
        recipe = for_activation("gelu", depth=50, shaping="dks", seed=0)
        assert recipe.shaped and recipe.shaping == "dks"
        assert recipe.transform == dks_transform(gelu, 50)
        assert "DKS: gelu shaped into" in recipe.rationale
        assert "C'(1) = 1.5" in recipe.rationale
        assert for_activation("gelu", depth=50, shaping="dks",
                              zeta=1.2).transform == dks_transform(gelu, 50, 1.2)
        assert for_activation("gelu", depth=50, shaping="tat").shaping == "tat"
        relu = for_activation("relu", depth=50, shaping="dks", seed=0)
        tat = for_activation("relu", depth=50, shaping=True, seed=0)
        assert relu.activation == "leaky_relu" and relu.shaping == "tat"
        assert relu.activation_arguments == tat.activation_arguments
        assert relu.kernel_for(3).get_config() == tat.kernel_for(3).get_config()
        assert "DKS leaves the ReLU family to TAT's leaky ReLU" in relu.rationale
        # SELU's kink makes TAT's C''(1) infinite; DKS needs only C'(1), so
        # it shapes SELU under either method.
        selu = for_activation("selu", depth=50, shaping="dks")
        assert selu.shaping == "dks"
        assert selu.transform == dks_transform(ACTIVATIONS.spec("selu").activation, 50)
        assert for_activation("selu", depth=50, shaping=True).transform == \
            selu.transform
        assert "as selu has a kink" in selu.rationale
        # hard_tanh: no transformation meets DKS's conditions either
        hard = for_activation("hard_tanh", depth=50, shaping="dks")
        assert hard.transform is None and hard.shaping is None
        assert "no transformation meets DKS's conditions" in hard.rationale

    def test_deep_smooth_units_sit_on_the_critical_line(self):
        from keras_initact.math import mean_field

        recipe = for_activation("tanh", depth=50)
        kernel = recipe.kernel_initializer
        assert isinstance(kernel, inits.Critical)
        point = kernel.point
        assert mean_field.chi(keras.activations.tanh, point.q_star,
                              point.weight_variance) == pytest.approx(1.0, abs=1e-6)
        assert mean_field.network_c_map(keras.activations.tanh, point, 50) <= 0.9 + 1e-3
        assert mean_field.is_stable(keras.activations.tanh, point)
        assert for_activation("sigmoid", depth=50).kernel_initializer.centred

    def test_shaping_turns_relu_into_a_tat_leaky_relu(self):
        recipe = for_activation("relu", depth=60, shaping=True)
        alpha = recipe.activation_arguments["negative_slope"]
        assert recipe.shaped and recipe.activation == "leaky_relu"
        assert alpha == pytest.approx(tat_leaky_relu_slope(60, 0.9))
        assert network_c_map(0.0, alpha, 60) == pytest.approx(0.9, abs=1e-6)
        layer = recipe.activation_layer()
        assert layer.negative_slope == pytest.approx(alpha)
        # Outputs scaled by 1/k, hidden kernels after the first k times
        # larger (k = depth / 8 by default): the same function at
        # initialization, smaller relative Adam steps.
        gain = math.sqrt(2.0 / (1.0 + alpha**2))
        assert recipe.activation_rescale == pytest.approx(8 / 60)
        assert recipe.input_kernel_initializer.gain == pytest.approx(gain)
        assert recipe.kernel_initializer.gain == pytest.approx(7.5 * gain)
        explicit = for_activation("relu", depth=60, shaping=True, weight_scale=4)
        assert explicit.activation_rescale == 0.25
        assert explicit.kernel_initializer.gain == pytest.approx(4.0 * gain)
        with pytest.raises(ValueError, match="`weight_scale` must be positive"):
            for_activation("relu", depth=60, shaping=True, weight_scale=0.0)

    def test_shaping_scales_critical_kernels_and_outputs_alike(self):
        # hard_tanh can be shaped by neither TAT (kinks) nor DKS, so shaping
        # keeps its critical point and adds the weight-scale
        # reparametrization only.
        plain = for_activation("hard_tanh", depth=60, seed=1)
        shaped = for_activation("hard_tanh", depth=60, shaping=True, seed=1)
        assert shaped.shaped and shaped.activation == "hard_tanh"
        assert shaped.transform is None
        assert shaped.activation_rescale == pytest.approx(1 / 7.5)
        assert plain.activation_rescale == 1.0
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(shaped.kernel_for(2)((16, 16))),
            7.5 * keras.ops.convert_to_numpy(plain.kernel_for(2)((16, 16))),
            rtol=1e-6)
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(shaped.kernel_for(0)((16, 16))),
            keras.ops.convert_to_numpy(plain.kernel_for(0)((16, 16))))

    @pytest.mark.parametrize("shaping", [True, "dks"])
    def test_a_linear_unit_stays_linear_under_shaping(self, shaping):
        # A linear unit's kernel map is already the identity (C(c) = c):
        # TAT and DKS have nothing to shape, so it stays linear, with the
        # weight-scale reparametrization of every shaped network.
        plain = for_activation("linear", depth=30, seed=1)
        recipe = for_activation("identity", depth=30, shaping=shaping, seed=1)
        assert recipe.activation == "linear"
        assert recipe.activation_arguments == {} and recipe.transform is None
        assert recipe.shaped and recipe.shaping is None
        assert "identity kernel map" in recipe.rationale
        x = np.linspace(-3.0, 3.0, 7, dtype="float32")
        np.testing.assert_array_equal(recipe.activation_layer()(x), x)
        assert recipe.activation_rescale == pytest.approx(8 / 30)
        np.testing.assert_allclose(  # orthogonal kernels, gain 1 times 30/8
            keras.ops.convert_to_numpy(recipe.kernel_for(2)((16, 16))),
            3.75 * keras.ops.convert_to_numpy(plain.kernel_for(2)((16, 16))),
            rtol=1e-6)
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(recipe.kernel_for(0)((16, 16))),
            keras.ops.convert_to_numpy(plain.kernel_for(0)((16, 16))))

    def test_a_shaped_linear_model_is_linear_as_its_spec_says(self):
        from keras_initact.models import spec_of

        model = build_sequential((4,), [4] * 10, "linear", num_classes=3,
                                 shaping=True, seed=0)
        spec = spec_of(model)
        assert spec["activation"] == "linear" and spec["shaping"] is True
        units = [layer for layer in model.layers
                 if layer.name.startswith("act_")]
        assert len(units) == 10
        assert all(ACTIVATIONS.identify(unit) is ACTIVATIONS["linear"]
                   for unit in units)
        # the hidden layers are linear: f(2 x) = 2 f(x) and f(-x) = -f(x)
        hidden = keras.Model(model.inputs, model.get_layer("scale_9").output)
        x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
        y = keras.ops.convert_to_numpy(hidden([x]))
        assert np.abs(y).max() > 0.1
        np.testing.assert_allclose(hidden([2 * x]), 2 * y, rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(hidden([-x]), -y, rtol=1e-5, atol=1e-6)

    def test_the_factory_rescales_each_activation_by_the_weight_scale(self):
        from keras_initact.models import build_sequential

        model = build_sequential((16,), [8] * 16, "relu", num_classes=3,
                                 shaping=True, seed=0)
        names = [layer.name for layer in model.layers]
        assert names[:4] == ["dense_0", "act_0", "scale_0", "dense_1"]
        assert model.get_layer("scale_3").scale == 0.5  # 1 / (16 / 8)

    def test_layers_get_distinct_reproducible_kernels(self):
        recipe = for_activation("gelu", depth=20, seed=3)
        a, b = (keras.ops.convert_to_numpy(recipe.kernel_for(i)((8, 8)))
                for i in (1, 2))
        again = keras.ops.convert_to_numpy(
            for_activation("gelu", depth=20, seed=3).kernel_for(1)((8, 8)))
        assert not np.array_equal(a, b)
        np.testing.assert_array_equal(a, again)

    def test_bad_input(self):
        with pytest.raises(ValueError, match="shaping must be False, True "
                                             r"\(TAT\), 'tat' or 'dks'; "
                                             "received shaping='DKS'"):
            for_activation("gelu", depth=50, shaping="DKS")
        with pytest.raises(ValueError, match="zeta must be > 1.*zeta=1.0"):
            for_activation("gelu", depth=50, shaping="dks", zeta=1.0)
        with pytest.raises(ValueError, match="zeta.*nan"):
            for_activation("gelu", depth=50, shaping="dks", zeta=float("nan"))
        with pytest.raises(ValueError, match="Unknown activation 'rleu'"):
            for_activation("rleu")
        with pytest.raises(ValueError, match="`depth` must be a positive "
                           "integer or None; received depth=0"):
            for_activation("relu", depth=0)
        with pytest.raises(ValueError, match="not elementwise"):
            for_activation("softmax", depth=20)

    @pytest.mark.parametrize("name", ["glu", "swiglu", "geglu", "reglu"])
    def test_gated_units_get_the_classic_pairing_and_no_deep_theory(self,
                                                                     name):
        recipe = for_activation(name, depth=8)
        assert recipe.activation == name and not recipe.shaped
        assert "classic pairing" in recipe.rationale
        with pytest.raises(ValueError, match=rf"'{name}' is a gated unit.*"
                                             r"depth <= 8"):
            for_activation(name, depth=9)

    def test_a_unit_that_jumps_has_no_deep_recipe(self):
        assert for_activation("hard_shrink", depth=8).activation == "hard_shrink"
        with pytest.raises(ValueError, match="'hard_shrink' jumps"):
            for_activation("hard_shrink", depth=30)
        # with its defaults the threshold unit is ReLU, which is continuous
        recipe = for_activation("threshold", depth=30)
        assert recipe.rationale.startswith("threshold is scale-free")
        assert recipe.input_kernel_initializer.gain == pytest.approx(math.sqrt(2))

    @pytest.mark.parametrize("arguments, message", [
        ({"eta": float("nan")}, "`eta` must be finite; received eta=nan"),
        ({"eta": 2.0}, "`eta` must lie strictly between 0.0 and 1.0; "
                       "received eta=2.0"),
        ({"eta": 0.0}, "received eta=0.0"),
        ({"tau": -0.3}, "`tau` must be positive; received tau=-0.3"),
        ({"tau": float("inf")}, "`tau` must be finite"),
        ({"weight_scale": float("inf")}, "`weight_scale` must be finite"),
        ({"shaping": "yes"}, "shaping must be False, True .*shaping='yes'"),
    ])
    @pytest.mark.parametrize("depth", [None, 30])
    def test_bad_options_are_refused_at_every_depth(self, depth, arguments,
                                                    message):
        with pytest.raises(ValueError, match=message):
            for_activation("tanh", depth=depth, **arguments)

    def test_shallow_critical_point_checks_eta(self):
        from keras_initact.math import mean_field

        with pytest.raises(ValueError, match="`eta` must be finite"):
            mean_field.shallow_critical_point(np.tanh, 30, eta=float("nan"))

    def test_an_unreachable_tat_target_warns_and_says_why(self):
        # At depth 10 a plain ReLU network already maps correlation 0 to
        # 0.87 < 0.9: no slope in [0, 1) reaches eta.
        assert network_c_map(0.0, 0.0, 10) == pytest.approx(0.87, abs=0.01)
        with pytest.warns(UserWarning, match=r"at depth 10 a plain ReLU "
                          r"network already maps orthogonal inputs to "
                          r"correlation 0\.87\d <= eta=0\.9"):
            assert tat_leaky_relu_slope(10, 0.9) == 0.0
        with pytest.warns(UserWarning, match="Pass a smaller eta"):
            recipe = for_activation("relu", depth=10, shaping=True)
        assert recipe.activation_arguments == {"negative_slope": 0.0}
        assert tat_leaky_relu_slope(10, 0.8) > 0.0


class TestShapedRecipes:
    def test_for_activation_shapes_smooth_units_with_tat(self):
        recipe = for_activation("gelu", depth=60, shaping=True, seed=0)
        expected = tat_transform(ACTIVATIONS.spec("gelu").activation, 60)
        assert recipe.shaped and recipe.transform == expected
        layer = recipe.activation_layer(name="act_3")
        assert type(layer).__name__ == "ShapedActivation"
        assert layer.get_config()["input_scale"] == expected.input_scale
        # Variance 1 / fan_in: orthogonal (times the weight scale) after the
        # first layer, also when a layer widens; LeCun-scaled normal for
        # the data.
        kernel = recipe.kernel_initializer
        assert kernel.gain == pytest.approx(7.5)
        assert kernel.point.weight_variance == pytest.approx(1.0)
        assert kernel.point.bias_variance == pytest.approx(0.0, abs=1e-9)
        widening = keras.ops.convert_to_numpy(recipe.kernel_for(2)((32, 96)))
        assert (widening**2).sum(axis=0).mean() == pytest.approx(7.5**2, rel=1e-5)
        assert type(recipe.bias_for(2)).__name__ == "Zeros"
        assert recipe.activation_rescale == pytest.approx(1 / 7.5)
        assert recipe.input_kernel_initializer.get_config()["scale"] == 1.0
        assert "TAT: gelu shaped into" in recipe.rationale

    def test_tau_reaches_the_transform(self):
        recipe = for_activation("tanh", depth=30, shaping=True, tau=0.1)
        assert recipe.transform == tat_transform(
            ACTIVATIONS.spec("tanh").activation, 30, 0.1)

    def test_without_shaping_or_when_shallow_nothing_is_transformed(self):
        assert for_activation("gelu", depth=60).transform is None
        assert for_activation("gelu", depth=8, shaping=True).transform is None


@pytest.mark.parametrize("activation", [
    "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "mish", "tanh",
    "sigmoid", "softplus",
])
def test_signal_reaches_depth_20_in_both_directions(activation):
    """The small version of benchmarks/signal_propagation.py."""
    depth = 20
    model = plain_mlp(for_activation(activation, depth, seed=0), depth, width=64,
                      inputs=64)
    x = np.random.default_rng(0).standard_normal((256, 64)).astype("float32")
    rows = diagnose(model, x, verbose=False).layers[:depth]
    rms_ratio = rows[-1].pre_activation_rms / rows[0].pre_activation_rms
    grad_ratio = rows[0].gradient_norm / rows[-1].gradient_norm
    assert 0.5 <= rms_ratio <= 2.0
    assert 0.1 <= grad_ratio <= 10.0

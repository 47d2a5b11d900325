"""keras_initact.initializers.variance_scaling: VarianceScaling and the named
schemes built on it (Glorot/Xavier, He/Kaiming, LeCun). Every mode and
distribution draws the variance its formula gives, within five standard
errors, inside its bound; kernel layouts and EinsumDense axes use the true
fans; He's gain follows its nonlinearity; the defaults equal Keras's; and an
unknown choice lists the allowed values."""

import math

import keras
import numpy as np
import pytest

from keras_initact import initializers as inits

from sample_moments import CONV, DENSE, as_numpy, assert_moments


def fans(shape):
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class TestVarianceScaling:
    @pytest.mark.parametrize("shape", [DENSE, CONV])
    @pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
    @pytest.mark.parametrize(
        "distribution", ["truncated_normal", "untruncated_normal", "uniform"]
    )
    def test_every_mode_and_distribution(self, shape, mode, distribution):
        fan_in, fan_out = fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out,
             "fan_avg": (fan_in + fan_out) / 2}[mode]
        init = inits.VarianceScaling(
            scale=1.7, mode=mode, distribution=distribution, seed=3
        )
        assert_moments(init(shape), 0.0, 1.7 / n)

    def test_uniform_bound_and_truncation_bound(self):
        fan_in = DENSE[0]
        uniform = inits.VarianceScaling(2.0, "fan_in", "uniform", seed=0)(DENSE)
        assert float(keras.ops.max(keras.ops.abs(uniform))) <= math.sqrt(6 / fan_in)
        normal = inits.VarianceScaling(2.0, "fan_in", "truncated_normal", seed=0)
        limit = 2 * math.sqrt(2 / fan_in) / 0.87962566103423978
        assert float(keras.ops.max(keras.ops.abs(normal(DENSE)))) <= limit * 1.0001

    def test_gain_is_the_square_root_of_scale(self):
        a = inits.VarianceScaling(gain=1.5, seed=4)(DENSE)
        b = inits.VarianceScaling(scale=2.25, seed=4)(DENSE)
        np.testing.assert_allclose(as_numpy(a), as_numpy(b), rtol=1e-6)

    def test_normal_is_the_truncated_normal_as_in_keras(self):
        assert inits.VarianceScaling(distribution="normal").distribution == (
            "truncated_normal"
        )

    def test_kernel_layouts_use_the_true_fans(self):
        shape = (3, 3, 4, 2)  # depthwise: 9 taps of one channel per output
        init = inits.VarianceScaling(2.0, kernel_layout="depthwise", seed=0)
        assert init.variance(shape) == 2.0 / 9.0
        transpose = inits.VarianceScaling(1.0, kernel_layout="conv_transpose")
        assert transpose.variance((3, 3, 8, 4)) == 1.0 / 36.0

    def test_einsum_dense_axes(self):
        init = inits.VarianceScaling(1.0, "fan_out", input_axes=[0],
                                     output_axes=[1, 2], seed=0)
        assert_moments(init((64, 16, 24)), 0.0, 1.0 / (16 * 24))


class TestNamedSchemes:
    @pytest.mark.parametrize("shape", [DENSE, CONV])
    @pytest.mark.parametrize("truncated", [True, False])
    def test_glorot_normal(self, shape, truncated):
        fan_in, fan_out = fans(shape)
        init = inits.GlorotNormal(gain=5 / 3, truncated=truncated, seed=5)
        assert_moments(init(shape), 0.0, (5 / 3) ** 2 * 2.0 / (fan_in + fan_out))

    @pytest.mark.parametrize("shape", [DENSE, CONV])
    def test_glorot_uniform(self, shape):
        fan_in, fan_out = fans(shape)
        values = inits.GlorotUniform(seed=5)(shape)
        assert_moments(values, 0.0, 2.0 / (fan_in + fan_out))
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        assert float(keras.ops.max(keras.ops.abs(values))) <= bound

    @pytest.mark.parametrize("shape", [DENSE, CONV])
    @pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
    @pytest.mark.parametrize(
        "nonlinearity, param, gain",
        [("relu", None, math.sqrt(2)), ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
         ("tanh", None, 5 / 3), ("linear", None, 1.0)],
    )
    def test_he_normal_and_uniform(self, shape, mode, nonlinearity, param, gain):
        fan_in, fan_out = fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out,
             "fan_avg": (fan_in + fan_out) / 2}[mode]
        for cls in (inits.HeNormal, inits.HeUniform):
            init = cls(mode=mode, nonlinearity=nonlinearity, param=param, seed=6)
            assert_moments(init(shape), 0.0, gain**2 / n)

    def test_he_defaults_equal_keras_he(self):
        for ours, theirs in [(inits.HeNormal, keras.initializers.HeNormal),
                             (inits.HeUniform, keras.initializers.HeUniform),
                             (inits.GlorotNormal, keras.initializers.GlorotNormal),
                             (inits.GlorotUniform, keras.initializers.GlorotUniform),
                             (inits.LecunNormal, keras.initializers.LecunNormal),
                             (inits.LecunUniform, keras.initializers.LecunUniform)]:
            np.testing.assert_allclose(
                as_numpy(ours(seed=11)(CONV)), as_numpy(theirs(seed=11)(CONV)),
                rtol=1e-6, atol=1e-7, err_msg=ours.__name__,
            )

    def test_he_accepts_an_activation_callable(self):
        init = inits.HeNormal(nonlinearity=keras.activations.gelu, seed=0)
        gain = inits.calculate_gain(keras.activations.gelu)
        assert init.variance(DENSE) == pytest.approx(gain**2 / DENSE[0])
        restored = inits.HeNormal.from_config(init.get_config())
        assert restored.variance(DENSE) == init.variance(DENSE)

    @pytest.mark.parametrize("shape", [DENSE, CONV])
    def test_lecun(self, shape):
        fan_in, _ = fans(shape)
        assert_moments(inits.LecunNormal(seed=7)(shape), 0.0, 1.0 / fan_in)
        assert_moments(inits.LecunUniform(seed=7)(shape), 0.0, 1.0 / fan_in)

    def test_aliases_are_the_same_classes(self):
        assert inits.XavierNormal is inits.GlorotNormal
        assert inits.XavierUniform is inits.GlorotUniform
        assert inits.KaimingNormal is inits.HeNormal
        assert inits.KaimingUniform is inits.HeUniform
        assert inits.Dirac is inits.Identity


class TestBadInput:
    def test_unknown_choice_lists_the_allowed_values(self):
        with pytest.raises(ValueError, match="Allowed: 'fan_in', 'fan_out', 'fan_avg'"):
            inits.HeUniform(mode="fanin")

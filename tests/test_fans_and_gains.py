"""compute_fans and calculate_gain: the numbers every variance-scaling scheme uses."""

import math

import keras
import numpy as np
import pytest

from keras_initact.initializers import calculate_gain, compute_fans
from keras_initact.math.gains import gaussian_expectation


class TestComputeFans:
    @pytest.mark.parametrize(
        "shape, layout, expected",
        [
            ((), "standard", (1, 1)),
            ((7,), "standard", (7, 7)),
            ((5, 3), "standard", (5, 3)),                    # Dense (in, out)
            ((3, 4, 8), "standard", (12, 24)),               # Conv1D
            ((3, 3, 4, 8), "standard", (36, 72)),            # Conv2D
            ((2, 3, 3, 4, 8), "standard", (72, 144)),        # Conv3D
            ((3, 3, 8, 4), "conv_transpose", (36, 72)),      # (k, k, out, in)
            ((3, 3, 4, 2), "depthwise", (9, 18)),            # (k, k, in, mult)
        ],
    )
    def test_layouts(self, shape, layout, expected):
        assert compute_fans(shape, layout) == expected

    def test_standard_layout_matches_keras_for_every_rank(self):
        from keras.src.initializers.random_initializers import (
            compute_fans as keras_compute_fans,
        )

        for shape in [(7,), (5, 3), (3, 4, 8), (3, 3, 4, 8), (2, 3, 3, 4, 8)]:
            assert compute_fans(shape) == keras_compute_fans(shape)

    def test_einsum_dense_axes(self):
        # EinsumDense("abc,cde->abde") kernel (c, d, e): in c, out d*e.
        assert compute_fans((16, 4, 8), input_axes=[0], output_axes=[1, 2]) == (
            16, 32,
        )

    def test_fans_match_the_layers_that_own_the_kernels(self):
        conv_t = keras.layers.Conv2DTranspose(8, 3)
        conv_t.build((None, 5, 5, 4))
        # 4 input channels x 9 taps feed each output position.
        assert compute_fans(conv_t.kernel.shape, "conv_transpose")[0] == 36
        depthwise = keras.layers.DepthwiseConv2D(3, depth_multiplier=2)
        depthwise.build((None, 5, 5, 4))
        assert compute_fans(depthwise.kernel.shape, "depthwise") == (9, 18)

    @pytest.mark.parametrize("shape", [(0, 3), (3, -1), (2, None)])
    def test_non_positive_dimensions_are_rejected(self, shape):
        with pytest.raises(ValueError, match="positive integer"):
            compute_fans(shape)

    def test_unknown_layout_and_half_given_axes_are_rejected(self):
        with pytest.raises(ValueError, match="'conv_transposed'.*Did you mean"):
            compute_fans((3, 3, 4, 8), "conv_transposed")
        with pytest.raises(ValueError, match="both `input_axes` and `output_axes`"):
            compute_fans((3, 4), input_axes=[0])
        with pytest.raises(ValueError, match=r"output_axes=\[5\] holds axis 5, outside"):
            compute_fans((3, 4), input_axes=[0], output_axes=[5])


class TestCalculateGain:
    @pytest.mark.parametrize(
        "name, expected",
        [
            ("linear", 1.0), ("conv1d", 1.0), ("conv2d", 1.0), ("conv3d", 1.0),
            ("conv_transpose1d", 1.0), ("conv_transpose2d", 1.0),
            ("conv_transpose3d", 1.0), ("sigmoid", 1.0), ("tanh", 5.0 / 3.0),
            ("relu", math.sqrt(2.0)), ("selu", 0.75),
            ("leaky_relu", math.sqrt(2.0 / (1.0 + 0.01**2))),
        ],
    )
    def test_pytorch_values_exactly(self, name, expected):
        assert calculate_gain(name) == expected

    def test_leaky_relu_slope_parameter(self):
        assert calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
        assert calculate_gain("leaky_relu", 0) == math.sqrt(2.0)

    def test_other_activations_get_the_variance_preserving_gain(self):
        # Reference by adaptive quadrature (SciPy), independent of Gauss-Hermite.
        from scipy import integrate, special, stats

        def gelu_squared_density(z):
            return (0.5 * z * (1.0 + special.erf(z / math.sqrt(2.0)))) ** 2 * (
                stats.norm.pdf(z)
            )

        second_moment, _ = integrate.quad(gelu_squared_density, -np.inf, np.inf)
        assert calculate_gain("gelu") == pytest.approx(
            1.0 / math.sqrt(second_moment), rel=1e-3
        )

    def test_quadrature_reproduces_the_closed_forms(self):
        relu = keras.activations.relu
        # E[relu(z)^2] = 1/2, so the callable route gives He's sqrt(2).
        assert calculate_gain(relu) == pytest.approx(math.sqrt(2.0), abs=1e-9)
        # E[tanh(z)^2] = 0.394294...; E[z^4] = 3 checks the quadrature itself.
        assert gaussian_expectation(lambda z: z**4) == pytest.approx(3.0)
        assert calculate_gain(keras.activations.tanh) == pytest.approx(
            1.0 / math.sqrt(0.3942944903978), rel=1e-6
        )

    def test_user_callables_and_unhashable_callables(self):
        class Scaled:
            __hash__ = None

            def __call__(self, x):
                return 2.0 * x

        assert calculate_gain(lambda x: 3.0 * x) == pytest.approx(1.0 / 3.0)
        assert calculate_gain(Scaled()) == pytest.approx(0.5)

    def test_unknown_names_list_the_known_ones(self):
        with pytest.raises(ValueError, match="Unknown nonlinearity 'rleu'.*relu"):
            calculate_gain("rleu")

    def test_param_only_for_leaky_relu(self):
        with pytest.raises(ValueError, match="only applies to 'leaky_relu'"):
            calculate_gain("tanh", 0.5)
        with pytest.raises(ValueError, match="negative slope, must be a finite"):
            calculate_gain("leaky_relu", "steep")

    @pytest.mark.parametrize("param", [float("nan"), float("inf"),
                                       float("-inf")])
    def test_a_non_finite_leaky_relu_slope_is_refused(self, param):
        with pytest.raises(ValueError, match=r"`param` must be finite; "
                                             rf"received param={param}"):
            calculate_gain("leaky_relu", param)

    def test_an_activation_that_is_identically_zero_has_no_gain(self):
        with pytest.raises(ValueError, match="not a positive finite number"):
            calculate_gain(lambda x: 0.0 * x)

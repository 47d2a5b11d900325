"""Critical initialization: the order-to-chaos line and the initializer built on it."""

import math

import keras
import numpy as np
import pytest

from keras_initact import Critical
from keras_initact.math import mean_field

tanh, relu = keras.activations.tanh, keras.activations.relu


class TestCriticalLine:
    def test_relu_is_critical_at_he_variance_without_bias(self):
        point = mean_field.critical_point(relu, 0.0)
        assert point.weight_variance == pytest.approx(2.0, rel=1e-6)
        assert point.chi == pytest.approx(1.0, abs=1e-6)

    def test_relu_has_no_critical_point_with_bias_noise(self):
        with pytest.raises(ValueError, match="no critical point with bias variance"):
            mean_field.critical_point(relu, 0.05)

    @pytest.mark.parametrize(
        "bias_variance, weight_variance",
        # Schoenholz et al. 2017's tanh line, as tabulated in shared notes.
        [(0.0, 1.0), (1e-3, 1.189), (0.01, 1.424), (0.05, 1.761), (0.1, 1.986),
         (0.5, 2.843), (1.0, 3.443)],
    )
    def test_tanh_line(self, bias_variance, weight_variance):
        point = mean_field.critical_point(tanh, bias_variance)
        assert point.weight_variance == pytest.approx(weight_variance, abs=2e-3)

    def test_the_point_is_a_fixed_point_with_unit_chi(self):
        point = mean_field.critical_point(tanh, 0.05)
        q_next = mean_field.q_map(tanh, point.q_star, point.weight_variance, 0.05)
        assert q_next == pytest.approx(point.q_star, rel=1e-8)
        assert mean_field.chi(tanh, point.q_star, point.weight_variance) == (
            pytest.approx(1.0, abs=1e-8)
        )

    def test_point_at_a_chosen_fixed_point(self):
        point = mean_field.critical_point_at(tanh, 1.0)
        # E[tanh'(z)^2] = 0.46440, E[tanh(z)^2] = 0.39429 (numerical constants).
        assert point.weight_variance == pytest.approx(1 / 0.464401, rel=1e-4)
        assert point.bias_variance == pytest.approx(1 - 0.394294 / 0.464401, rel=1e-3)
        with pytest.raises(ValueError, match="negative|< 0"):
            mean_field.critical_point_at(keras.activations.sigmoid, 1.0)

    def test_iterating_the_q_map_converges_to_q_star(self):
        point = mean_field.critical_point(tanh, 0.1)
        q = 3.0
        for _ in range(200):
            q = mean_field.q_map(tanh, q, point.weight_variance, 0.1)
        assert q == pytest.approx(point.q_star, rel=0.02)


class TestCriticalInitializer:
    def test_gaussian_weights_have_the_critical_variance(self):
        init = Critical("tanh", bias_variance=0.05, distribution="gaussian", seed=0)
        w = keras.ops.convert_to_numpy(init((512, 256)))
        assert w.var() == pytest.approx(init.point.weight_variance / 512, rel=0.02)

    def test_orthogonal_weights_are_scaled_orthogonal(self):
        init = Critical("relu", bias_variance=0.0, seed=0)
        w = keras.ops.convert_to_numpy(init((128, 128)))
        np.testing.assert_allclose(w.T @ w, 2.0 * np.eye(128), atol=1e-4)

    def test_conv_kernels_are_delta_orthogonal(self):
        w = keras.ops.convert_to_numpy(Critical("tanh", seed=0)((3, 3, 8, 8)))
        centre = w[1, 1].copy()
        w[1, 1] = 0
        assert not w.any()
        gram = centre.T @ centre
        np.testing.assert_allclose(gram, gram[0, 0] * np.eye(8), atol=1e-4)

    def test_matching_bias_initializer(self):
        init = Critical("tanh", bias_variance=0.05, seed=0)
        bias = keras.ops.convert_to_numpy(init.bias_initializer()((20000,)))
        assert bias.var() == pytest.approx(0.05, rel=0.05)
        assert isinstance(Critical("relu", bias_variance=0.0).bias_initializer(),
                          keras.initializers.Initializer)

    def test_signal_keeps_its_scale_through_a_deep_tanh_stack(self):
        init = Critical("tanh", q_star=1.0, seed=0)
        x = np.random.default_rng(0).standard_normal((256, 128)).astype("float32")
        bias_std = math.sqrt(init.point.bias_variance)
        rng = np.random.default_rng(1)
        h = x
        for depth in range(50):
            kernel = keras.ops.convert_to_numpy(init.derive(depth)((128, 128)))
            h = np.tanh(h) @ kernel + rng.normal(0, bias_std, 128)
        assert np.mean(h**2) == pytest.approx(1.0, rel=0.25)

    def test_config_round_trip_and_bad_arguments(self):
        init = Critical("tanh", bias_variance=0.05, distribution="gaussian", seed=3)
        restored = Critical.from_config(init.get_config())
        assert restored.point == init.point
        with pytest.raises(ValueError, match="not both"):
            Critical("tanh", bias_variance=0.1, q_star=1.0)
        with pytest.raises(ValueError, match="`bias_variance` must be non-negative"):
            Critical("tanh", bias_variance=-0.1)
        with pytest.raises(ValueError, match="unknown distribution='uniform'"):
            Critical("tanh", distribution="uniform")
        with pytest.raises(ValueError, match="Critical: Unknown activation 'tahn'"):
            Critical("tahn")

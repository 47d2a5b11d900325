"""keras_initact.math.mean_field: the order-to-chaos line. ReLU is critical
at He's variance without bias noise and nowhere with it; tanh's line is
Schoenholz et al.'s; the critical point is a fixed point of the q-map with
unit chi, and iterating the q-map converges to it."""

import keras
import pytest

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

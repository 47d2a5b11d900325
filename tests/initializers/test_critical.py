"""keras_initact.initializers.critical: `Critical`, the initializer on the
order-to-chaos line. Its Gaussian weights have the critical variance, its
orthogonal ones are scaled orthogonal (delta-orthogonal for convolutions);
it gives the matching bias initializer, keeps a signal's scale through a
deep tanh stack, round-trips its config and refuses bad arguments."""

import math

import keras
import numpy as np
import pytest

from keras_initact import Critical


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

"""keras_initact.initializers.random: RandomNormal, RandomUniform and
TruncatedNormal. The sample mean and variance of a large draw match the
formula within five standard errors, within the bounds each scheme sets."""

import keras
import pytest

from keras_initact import initializers as inits

from sample_moments import CONV, DENSE, assert_moments


class TestSmallRandom:
    @pytest.mark.parametrize("shape", [DENSE, CONV])
    def test_random_normal(self, shape):
        assert_moments(inits.RandomNormal(0.1, 0.02, seed=1)(shape), 0.1, 0.02**2)

    @pytest.mark.parametrize("shape", [DENSE, CONV])
    def test_random_uniform(self, shape):
        values = inits.RandomUniform(-0.3, 0.1, seed=1)(shape)
        assert_moments(values, -0.1, 0.4**2 / 12.0)
        assert -0.3 <= float(keras.ops.min(values))
        assert float(keras.ops.max(values)) < 0.1

    @pytest.mark.parametrize("shape", [DENSE, CONV])
    def test_truncated_normal_cuts_at_two_sigma(self, shape):
        values = inits.TruncatedNormal(0.0, 0.05, seed=1)(shape)
        assert_moments(values, 0.0, (0.05 * 0.87962566103423978) ** 2)
        assert float(keras.ops.max(keras.ops.abs(values))) <= 0.1 + 1e-7

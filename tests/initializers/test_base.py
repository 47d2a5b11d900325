"""keras_initact.initializers.base: what every scheme shares. A seed gives
the same values in every run (and `set_random_seed` makes unseeded
instances reproducible), `derive` gives distinct reproducible layers, a seed
generator new values per call; bad seeds, non-positive dimensions and
non-float dtypes are refused; layers under mixed precision get float32
variables."""

import keras
import numpy as np
import pytest

import keras_initact as ki
from keras_initact import initializers as inits

from sample_moments import as_numpy


class TestSeeds:
    def test_same_seed_same_values_in_every_run(self):
        a = as_numpy(inits.HeNormal(seed=42)((8, 8)))
        b = as_numpy(inits.HeNormal(seed=42)((8, 8)))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, as_numpy(inits.HeNormal(seed=43)((8, 8))))

    def test_set_random_seed_makes_unseeded_instances_reproducible(self):
        keras.utils.set_random_seed(5)
        a = as_numpy(inits.GlorotUniform()((8, 8)))
        keras.utils.set_random_seed(5)
        b = as_numpy(inits.GlorotUniform()((8, 8)))
        np.testing.assert_array_equal(a, b)

    def test_a_shared_seeded_instance_repeats_itself_as_in_keras(self):
        init = inits.HeNormal(seed=1)
        first, second = (keras.layers.Dense(8, kernel_initializer=init)
                         for _ in range(2))
        first.build((None, 8))
        second.build((None, 8))
        np.testing.assert_array_equal(as_numpy(first.kernel), as_numpy(second.kernel))

    def test_derive_gives_distinct_reproducible_layers(self):
        init = inits.HeNormal(seed=1)
        kernels = [as_numpy(init.derive(i)((8, 8))) for i in range(3)]
        again = [as_numpy(inits.HeNormal(seed=1).derive(i)((8, 8))) for i in range(3)]
        for i in range(3):
            np.testing.assert_array_equal(kernels[i], again[i])
            for j in range(i):
                assert not np.array_equal(kernels[i], kernels[j])
        assert init.derive(0).get_config()["mode"] == "fan_in"

    def test_a_seed_generator_gives_new_values_per_call(self):
        init = inits.Orthogonal(seed=keras.random.SeedGenerator(3))
        a, b = as_numpy(init((6, 6))), as_numpy(init((6, 6)))
        assert not np.array_equal(a, b)
        derived = init.derive(1)
        assert isinstance(derived.seed, keras.random.SeedGenerator)
        assert not np.array_equal(as_numpy(derived((6, 6))), a)

    def test_bad_seeds(self):
        for seed in ("1", 1.5, True):
            with pytest.raises(ValueError, match="`seed` must be None, an int"):
                inits.RandomNormal(seed=seed)


class TestBadInput:
    @pytest.mark.parametrize("shape", [(0, 4), (4, -2), (3, None), (2.5, 2)])
    def test_non_positive_dimensions(self, shape):
        with pytest.raises(ValueError, match="every dimension must be a positive"):
            inits.HeNormal()(shape)

    @pytest.mark.parametrize("dtype", ["int32", "bool", "uint8"])
    def test_non_float_dtypes(self, dtype):
        with pytest.raises(TypeError, match=f"dtype='{dtype}'"):
            inits.GlorotUniform()((4, 4), dtype)


def test_mixed_precision_layers_get_float32_variables():
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    layer = keras.layers.Dense(8, kernel_initializer=ki.HeNormal(seed=0))
    y = layer(np.ones((2, 4), "float32"))
    assert layer.kernel.dtype == "float32"
    assert keras.backend.standardize_dtype(y.dtype) == "float16"

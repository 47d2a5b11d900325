"""Every initialization scheme against its published formula.

Random schemes: the sample mean and variance of a large draw must match the
formula within five standard errors (a false alarm about once in a million
runs; a wrong fan or factor is off by dozens of standard errors). Deterministic
schemes: exact values against a NumPy reference written from the paper.
"""

import math
import subprocess
import sys

import keras
import numpy as np
import pytest
from scipy import stats

import keras_initact as ki
from keras_initact import initializers as inits

DENSE = (256, 384)
CONV = (3, 3, 32, 48)
DTYPES = ("float16", "bfloat16", "float32", "float64")


def as_numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(
        keras.ops.cast(tensor, "float64")
    ))


def assert_moments(values, mean, variance, sigmas=5.0):
    """Sample mean and variance within `sigmas` standard errors of the truth."""
    x = as_numpy(values).ravel()
    n = x.size
    centred = x - x.mean()
    sample_var = centred.var()
    fourth = np.mean(centred**4)
    assert abs(x.mean() - mean) <= sigmas * math.sqrt(variance / n), (
        f"mean {x.mean():.3g} vs {mean:.3g}"
    )
    var_se = math.sqrt(max(fourth - sample_var**2, 1e-30) / n)
    assert abs(sample_var - variance) <= sigmas * var_se, (
        f"variance {sample_var:.5g} vs {variance:.5g} (se {var_se:.2g})"
    )


def fans(shape):
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


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


class TestOrthogonal:
    @pytest.mark.parametrize("shape", [(64, 64), (96, 32), (32, 96), (3, 3, 8, 16)])
    def test_orthonormal_rows_or_columns_times_gain(self, shape):
        w = as_numpy(inits.Orthogonal(gain=1.3, seed=8)(shape))
        matrix = w.reshape(-1, shape[-1])
        small = min(matrix.shape)
        gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else (
            matrix @ matrix.T
        )
        np.testing.assert_allclose(gram, 1.69 * np.eye(small), atol=1e-5)

    def test_haar_entries_have_variance_one_over_rows(self):
        # Entries of a Haar orthogonal n x n matrix have mean 0, variance 1/n.
        w = np.stack([as_numpy(inits.Orthogonal(seed=s)((64, 64))) for s in range(8)])
        assert_moments(w, 0.0, 1.0 / 64)

    def test_sixteen_bit_dtypes_are_computed_in_float32(self):
        w = inits.Orthogonal(seed=0)((32, 32), "bfloat16")
        assert keras.backend.standardize_dtype(w.dtype) == "bfloat16"
        gram = as_numpy(w).T @ as_numpy(w)
        np.testing.assert_allclose(gram, np.eye(32), atol=0.05)

    def test_delta_orthogonal_centre_tap_and_zeros_elsewhere(self):
        shape = (3, 5, 8, 16)
        w = as_numpy(inits.DeltaOrthogonal(gain=2.0, seed=9)(shape))
        centre = w[1, 2]
        np.testing.assert_allclose(centre @ centre.T, 4.0 * np.eye(8), atol=1e-5)
        w[1, 2] = 0.0
        assert not w.any()

    def test_delta_orthogonal_even_kernels_and_conv1d(self):
        w = as_numpy(inits.DeltaOrthogonal(seed=1)((4, 6, 6)))
        assert np.count_nonzero(w[[0, 2, 3]]) == 0  # centre (4 - 1) // 2 = 1
        np.testing.assert_allclose(w[1] @ w[1].T, np.eye(6), atol=1e-5)


class TestDeterministicSchemes:
    def test_zeros_ones_constant(self):
        assert not as_numpy(inits.Zeros()((3, 4))).any()
        assert (as_numpy(inits.Ones()((3,))) == 1).all()
        assert (as_numpy(inits.Constant(0.25)((2, 2))) == 0.25).all()
        counts = inits.Constant(3)((2,), "int32")
        assert keras.backend.standardize_dtype(counts.dtype) == "int32"

    def test_identity_dense_rectangular(self):
        w = as_numpy(inits.Identity(gain=0.5)((3, 5)))
        expected = np.zeros((3, 5))
        expected[np.arange(3), np.arange(3)] = 0.5
        np.testing.assert_array_equal(w, expected)

    def test_dirac_conv_passes_the_input_through(self):
        conv = keras.layers.Conv2D(
            4, 3, padding="same", use_bias=False, kernel_initializer=inits.Dirac()
        )
        x = np.random.default_rng(0).standard_normal((2, 5, 5, 4)).astype("float32")
        np.testing.assert_allclose(as_numpy(conv(x)), x, atol=1e-6)

    def test_dirac_grouped_conv(self):
        conv = keras.layers.Conv2D(
            8, 3, padding="same", groups=2, use_bias=False,
            kernel_initializer=inits.Identity(groups=2),
        )
        x = np.random.default_rng(1).standard_normal((1, 4, 4, 4)).astype("float32")
        y = as_numpy(conv(x))
        # Group g maps its 2 inputs to the first 2 of its 4 outputs.
        np.testing.assert_allclose(y[..., [0, 1, 4, 5]], x, atol=1e-6)
        assert not y[..., [2, 3, 6, 7]].any()

    @pytest.mark.parametrize("shape", [(5, 7), (12, 4), (3, 3, 2, 4), (3, 2, 6)])
    def test_sinusoidal_matches_the_paper(self, shape):
        c_in, c_out = shape[-2:]
        n_in = c_in * math.prod(shape[:-2])
        j = np.arange(n_in)
        i = np.arange(c_out)[:, None]
        s = np.sin((i + 1) * (2 * np.pi * j / n_in + 2 * np.pi / c_out))
        a = math.sqrt(2.0 / (s.var(ddof=1) * (n_in + c_out)))
        reference = (a * s).reshape(c_out, c_in, *shape[:-2])
        reference = np.moveaxis(reference, (0, 1), (-1, -2))
        np.testing.assert_allclose(
            as_numpy(inits.Sinusoidal()(shape, "float64")), reference, rtol=1e-10,
            atol=1e-12,
        )

    def test_sinusoidal_has_glorot_variance_and_distinct_units(self):
        w = as_numpy(inits.Sinusoidal()((100, 50)))
        assert w.var(ddof=1) == pytest.approx(2.0 / 150.0, rel=1e-4)
        assert len({tuple(np.round(col, 6)) for col in w.T}) == 50

    @staticmethod
    def sylvester(i, j):
        return (-1.0) ** bin(i & j).count("1")

    @pytest.mark.parametrize("inputs, outputs", [(6, 4), (4, 4), (3, 5), (8, 16)])
    def test_zer_o_dense(self, inputs, outputs):
        w = as_numpy(inits.ZerO()((inputs, outputs)))
        if outputs <= inputs:
            np.testing.assert_array_equal(w, np.eye(inputs, outputs))
        else:
            p = 2 ** math.ceil(math.log2(outputs))
            expected = np.array([[self.sylvester(i, j) for j in range(outputs)]
                                 for i in range(inputs)]) / math.sqrt(p)
            np.testing.assert_allclose(w, expected, atol=1e-7)

    def test_zer_o_conv_has_the_matrix_at_the_centre(self):
        w = as_numpy(inits.ZerO()((3, 3, 3, 5)))
        np.testing.assert_allclose(w[1, 1], as_numpy(inits.ZerO()((3, 5))))
        w[1, 1] = 0
        assert not w.any()


ALL_INITIALIZERS = [
    inits.Zeros(), inits.Ones(), inits.Constant(0.3),
    inits.RandomNormal(seed=1), inits.RandomUniform(seed=1),
    inits.TruncatedNormal(seed=1),
    inits.VarianceScaling(gain=1.2, mode="fan_out", distribution="uniform", seed=1),
    inits.GlorotNormal(seed=1), inits.GlorotUniform(seed=1),
    inits.HeNormal(nonlinearity="leaky_relu", param=0.1, seed=1),
    inits.HeUniform(mode="fan_avg", seed=1), inits.LecunNormal(seed=1),
    inits.LecunUniform(seed=1), inits.Orthogonal(gain=2.0, seed=1),
    inits.DeltaOrthogonal(seed=1), inits.Identity(), inits.Sinusoidal(),
    inits.ZerO(), inits.Critical("tanh", bias_variance=0.05, seed=1),
]
CONV_ONLY = (inits.DeltaOrthogonal,)


def ids(initializer):
    return type(initializer).__name__


class TestEveryScheme:
    @pytest.mark.parametrize("init", ALL_INITIALIZERS, ids=ids)
    @pytest.mark.parametrize("dtype", DTYPES)
    def test_honours_the_dtype(self, init, dtype):
        values = init((3, 3, 4, 6), dtype)
        assert keras.backend.standardize_dtype(values.dtype) == dtype
        assert tuple(values.shape) == (3, 3, 4, 6)
        assert np.isfinite(as_numpy(values)).all()

    @pytest.mark.parametrize("init", ALL_INITIALIZERS, ids=ids)
    def test_config_round_trip(self, init):
        config = keras.initializers.serialize(init)
        assert config["registered_name"] == f"keras_initact>{type(init).__name__}"
        restored = keras.initializers.deserialize(config)
        assert type(restored) is type(init)
        assert restored.get_config() == init.get_config()
        shape = (3, 3, 4, 6)
        np.testing.assert_array_equal(as_numpy(restored(shape)), as_numpy(init(shape)))

    @pytest.mark.parametrize("init", ALL_INITIALIZERS, ids=ids)
    def test_string_lookup(self, init):
        name = type(init).__name__
        assert type(keras.initializers.get(f"keras_initact>{name}")) is type(init)
        assert type(inits.get(name)) is type(init)

    @pytest.mark.parametrize("init", ALL_INITIALIZERS, ids=ids)
    def test_config_holds_every_constructor_argument(self, init):
        import inspect

        parameters = {
            name for name, parameter
            in inspect.signature(type(init).__init__).parameters.items()
            if name != "self" and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
        }
        assert set(init.get_config()) == parameters

    @pytest.mark.parametrize(
        "init", [i for i in ALL_INITIALIZERS if not isinstance(i, inits.Constant)],
        ids=ids,
    )
    def test_only_constants_fill_integer_weights(self, init):
        with pytest.raises(TypeError, match="dtype='int32'.*float16, bfloat16"):
            init((4, 4), "int32")


def test_keras_file_round_trip_of_every_scheme(tmp_path):
    dense_layers = [
        keras.layers.Dense(6, kernel_initializer=init, name=f"d{i}")
        for i, init in enumerate(ALL_INITIALIZERS)
        if not isinstance(init, CONV_ONLY)
    ]
    model = keras.Sequential([
        keras.Input((5, 5, 3)),
        keras.layers.Conv2D(6, 3, kernel_initializer=inits.DeltaOrthogonal(seed=2),
                            name="conv_delta"),
        keras.layers.Conv2D(6, 3, padding="same", kernel_initializer=inits.Dirac(),
                            name="conv_dirac"),
        keras.layers.Flatten(),
        keras.layers.Dense(6),
        *dense_layers,
    ])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for original, restored in zip(model.layers, loaded.layers):
        for w, v in zip(original.weights, restored.weights):
            np.testing.assert_array_equal(as_numpy(w), as_numpy(v))
        if hasattr(original, "kernel_initializer"):
            assert type(restored.kernel_initializer) is type(
                original.kernel_initializer
            )
            assert (restored.kernel_initializer.get_config()
                    == original.kernel_initializer.get_config())
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3))
    np.testing.assert_array_equal(model.predict(x, verbose=0),
                                  loaded.predict(x, verbose=0))
    # A user's fresh process: `import keras_initact` is all it takes.
    script = (
        "import sys, keras, keras_initact\n"
        "model = keras.saving.load_model(sys.argv[1])\n"
        "print(sum(float(keras.ops.sum(w)) for w in model.weights))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    total = sum(float(np.sum(as_numpy(w))) for w in model.weights)
    assert float(result.stdout.split()[-1]) == pytest.approx(total, rel=1e-6)


class TestLookup:
    @pytest.mark.parametrize(
        "name, cls",
        [("he_normal", inits.HeNormal), ("kaiming_uniform", inits.HeUniform),
         ("xavier_normal", inits.GlorotNormal), ("XavierUniform", inits.GlorotUniform),
         ("keras_initact>KaimingNormal", inits.HeNormal), ("dirac", inits.Identity),
         ("delta_orthogonal", inits.DeltaOrthogonal), ("zer_o", inits.ZerO)],
    )
    def test_names_and_aliases(self, name, cls):
        assert type(inits.get(name)) is cls

    def test_alias_strings_resolve_through_keras(self):
        assert type(keras.initializers.get("keras_initact>XavierUniform")) is (
            inits.GlorotUniform
        )

    def test_keras_names_fall_through_and_objects_pass(self):
        assert isinstance(inits.get("stft"), keras.initializers.STFT)
        init = inits.HeNormal()
        assert inits.get(init) is init and inits.get(None) is None

    def test_unknown_names_list_the_known_ones(self):
        with pytest.raises(ValueError, match="Unknown initializer 'he_normall'.*HeNormal"):
            inits.get("he_normall")
        with pytest.raises(ValueError, match="cannot be made from its name alone"):
            inits.get("pretrained")

    def test_a_config_dict_names_one_of_ours_or_keras_or_is_refused(self):
        sparse = inits.get({"class_name": "Sparse",
                            "config": {"sparsity": 0.25, "seed": 1}})
        assert type(sparse) is inits.Sparse and sparse.sparsity == 0.25
        xavier = inits.get({"class_name": "XavierUniform",
                            "config": {"gain": 2.0}})
        assert type(xavier) is inits.GlorotUniform and xavier.gain == 2.0
        assert type(inits.get({"class_name": "ZerO"})) is inits.ZerO
        keras_own = keras.initializers.serialize(
            keras.initializers.GlorotUniform(seed=1))
        assert type(inits.get(keras_own)) is keras.initializers.GlorotUniform

    @pytest.mark.parametrize("config, message", [
        ({"class_name": "Sparse", "config": {"sparsity": 2}},
         r"Sparse: `sparsity` is a fraction in \[0, 1\]; received "
         r"sparsity=2"),
        ({"class_name": "keras_initact>Sparse", "config": {"sparsity": 2}},
         "received sparsity=2"),
        ({"class_name": "Sparse"}, r"Sparse cannot be made from config=\{\}"
         r".*sparsity"),
        ({"class_name": "HeNormal", "config": {"sead": 1}},
         r"HeNormal cannot be made from config=\{'sead': 1\}.*'sead'"),
        ({"class_name": "Bogus"}, r"Unknown initializer 'Bogus'\. "
         "keras_initact knows"),
        ({"class_name": "Bogus", "config": {}}, "Unknown initializer 'Bogus'"),
        ({"class_name": "XavierUnifrom", "config": {}},
         "Did you mean 'XavierUniform'"),
        ({"class_name": 3}, r"class_name=3"),
        ({"class_name": "Sparse", "config": [0.5]},
         r"`config` must be a dict"),
    ])
    def test_a_bad_config_dict_is_an_error_as_in_keras(self, config, message):
        with pytest.raises(ValueError, match=message):
            inits.get(config)
        with pytest.raises((ValueError, TypeError)):
            keras.initializers.get(config)  # Keras refuses each one too


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

    def test_constant_value_must_fit_an_integer_dtype(self):
        with pytest.raises(ValueError, match="value=0.5 is not representable"):
            inits.Constant(0.5)((2,), "int32")

    @pytest.mark.parametrize(
        "make, message",
        [
            (lambda: inits.VarianceScaling(mode="fan_sum"), "unknown mode='fan_sum'"),
            (lambda: inits.VarianceScaling(distribution="gamma"),
             "unknown distribution='gamma'"),
            (lambda: inits.HeNormal(nonlinearity="rellu"), "Unknown nonlinearity 'rellu'"),
            (lambda: inits.VarianceScaling(scale=-1.0), "`scale` must be positive"),
            (lambda: inits.VarianceScaling(scale=1.0, gain=2.0), "not both"),
            (lambda: inits.GlorotNormal(gain=-1.0), "`gain` must be positive"),
            (lambda: inits.Orthogonal(gain=0.0), "`gain` must be positive"),
            (lambda: inits.Identity(gain=float("nan")), "must be finite"),
            (lambda: inits.Identity(groups=0), "`groups` must be a positive int"),
            (lambda: inits.RandomNormal(stddev=-0.1), "`stddev` must be positive"),
            (lambda: inits.RandomUniform(0.1, -0.1), "greater than `minval`"),
            (lambda: inits.HeNormal(truncated="yes"), "`truncated` must be True"),
            (lambda: inits.HeNormal(kernel_layout="nhwc"), "unknown kernel_layout"),
        ],
    )
    def test_bad_arguments_name_the_value_and_what_is_allowed(self, make, message):
        with pytest.raises(ValueError, match=message):
            make()

    def test_unknown_choice_lists_the_allowed_values(self):
        with pytest.raises(ValueError, match="Allowed: 'fan_in', 'fan_out', 'fan_avg'"):
            inits.HeUniform(mode="fanin")

    @pytest.mark.parametrize(
        "init, shape",
        [(inits.Orthogonal(), (5,)), (inits.DeltaOrthogonal(), (4, 4)),
         (inits.Identity(), (4,)), (inits.Sinusoidal(), (4,)), (inits.ZerO(), (4,)),
         (inits.Identity(groups=3), (3, 3, 2, 4))],
        ids=["orthogonal", "delta", "identity", "sinusoidal", "zero", "groups"],
    )
    def test_shapes_a_scheme_cannot_fill(self, init, shape):
        with pytest.raises(ValueError, match=r"shape=\("):
            init(shape)


def test_mixed_precision_layers_get_float32_variables():
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    layer = keras.layers.Dense(8, kernel_initializer=ki.HeNormal(seed=0))
    y = layer(np.ones((2, 4), "float32"))
    assert layer.kernel.dtype == "float32"
    assert keras.backend.standardize_dtype(y.dtype) == "float16"


def test_top_level_and_subpackage_imports_agree():
    from keras_initact import HeNormal
    from keras_initact.initializers import HeNormal as SubpackageHeNormal

    assert HeNormal is SubpackageHeNormal
    for name in inits.__all__:
        assert getattr(ki, name) is getattr(inits, name)


# --- Sparse -----------------------------------------------------------------


def test_sparse_zeroes_exactly_the_fraction_of_each_row_at_random_places():
    kernel = keras.ops.convert_to_numpy(inits.Sparse(0.75, seed=3)((200, 16)))
    np.testing.assert_array_equal((kernel == 0).sum(axis=1), 12)
    # every output is as likely to be cut: 200 * 12/16 = 150 zeros per column
    per_column = (kernel == 0).sum(axis=0)
    assert stats.chisquare(per_column).pvalue > 1e-3
    assert (kernel[kernel != 0].std()) == pytest.approx(0.01, rel=0.1)


def test_sparse_is_seeded_and_derived_like_every_random_scheme():
    first = keras.ops.convert_to_numpy(inits.Sparse(0.5, seed=4)((6, 8)))
    again = keras.ops.convert_to_numpy(inits.Sparse(0.5, seed=4)((6, 8)))
    other = keras.ops.convert_to_numpy(inits.Sparse(0.5, seed=4).derive(1)((6, 8)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first == 0, other == 0)
    assert inits.Sparse.from_config(inits.Sparse(0.5, 0.2, seed=4).get_config()) \
        .get_config() == {"sparsity": 0.5, "stddev": 0.2, "seed": 4}
    assert np.all(keras.ops.convert_to_numpy(inits.Sparse(0.0, seed=1)((4, 4))))
    assert not np.any(keras.ops.convert_to_numpy(inits.Sparse(1.0, seed=1)((4, 4))))

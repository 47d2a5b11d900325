"""keras_initact.initializers: what every scheme does. Each honours the
dtype, round-trips its config (holding every constructor argument), is
found by its string name, fills integer weights only if it is a constant,
and saves and loads inside a `.keras` model that a fresh process loads with
`import keras_initact` alone; bad arguments name the value and what is
allowed, and a shape a scheme cannot fill is refused; the top-level package
exports the same classes."""

import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_initact as ki
from keras_initact import initializers as inits

from sample_moments import as_numpy


DTYPES = ("float16", "bfloat16", "float32", "float64")


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


class TestBadInput:
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


def test_top_level_and_subpackage_imports_agree():
    from keras_initact import HeNormal
    from keras_initact.initializers import HeNormal as SubpackageHeNormal

    assert HeNormal is SubpackageHeNormal
    for name in inits.__all__:
        assert getattr(ki, name) is getattr(inits, name)

"""Keras's own tests of its initializers and activation layers, run on ours.

The keras wheel ships its test modules (`keras/src/initializers/*_test.py`,
`keras/src/layers/activations/*_test.py`). Each class below subclasses one
of Keras's test cases and, for the length of each test, points the name
that Keras's test reads (`initializers`, `relu`, ...) at keras_initact's
classes, so every Keras test runs unchanged against ours. Where we differ
on purpose, the test is overridden here: its docstring says how and why,
and it tests our behaviour instead.

The other half of Keras's layer contract, `run_layer_test` (config round
trip, symbolic call, training, mixed precision, built on construction), is
run on every layer of ours at the end of this module.
"""

import types
from unittest import mock

import keras
import numpy as np
import pytest
from keras.src import testing
from keras.src.initializers import constant_initializers_test
from keras.src.initializers import random_initializers_test
from keras.src.layers.activations import elu_test
from keras.src.layers.activations import leaky_relu_test
from keras.src.layers.activations import prelu_test
from keras.src.layers.activations import relu_test
from keras.src.layers.activations import softmax_test

from keras_initact import initializers as ours
from keras_initact import layers as L


class AgainstKerasInitact:
    """Runs a Keras test case with names of its module replaced by ours."""

    upstream = None  # Keras's test module
    replaced = {}  # name read by the module -> what it reads instead

    def setUp(self):
        super().setUp()
        for name, replacement in self.replaced.items():
            patcher = mock.patch.object(self.upstream, name, replacement)
            patcher.start()
            self.addCleanup(patcher.stop)

    def test_runs_against_keras_initact(self):
        for name, replacement in self.replaced.items():
            self.assertIs(getattr(self.upstream, name), replacement)


OUR_INITIALIZERS = types.SimpleNamespace(
    Constant=ours.Constant, GlorotNormal=ours.GlorotNormal,
    Identity=ours.Identity, Ones=ours.Ones, Orthogonal=ours.Orthogonal,
    RandomNormal=ours.RandomNormal, RandomUniform=ours.RandomUniform,
    VarianceScaling=ours.VarianceScaling, Zeros=ours.Zeros, get=ours.get,
)


class TestKerasRandomInitializerTests(
        AgainstKerasInitact, random_initializers_test.RandomInitializersTest):
    upstream = random_initializers_test
    replaced = {"initializers": OUR_INITIALIZERS,
                "compute_fans": ours.compute_fans}

    def test_variance_scaling_invalid_scale(self):
        """Differs on purpose in wording only: our messages name the class,
        the argument, the value received and what is allowed."""
        with self.assertRaisesRegex(
                ValueError, r"VarianceScaling: `scale` must be positive; "
                r"received scale=-1\.0"):
            ours.VarianceScaling(scale=-1.0, seed=1234, mode="fan_in")

    def test_variance_scaling_invalid_mode(self):
        """Differs in wording only (see above)."""
        with self.assertRaisesRegex(
                ValueError, r"unknown mode='invalid_mode'\. Allowed: "
                r"'fan_in', 'fan_out', 'fan_avg'"):
            ours.VarianceScaling(scale=2.0, seed=1234, mode="invalid_mode")

    def test_variance_scaling_invalid_distribution(self):
        """Differs in wording only (see above)."""
        with self.assertRaisesRegex(
                ValueError, r"unknown distribution='invalid_dist'\. Allowed: "
                r"'truncated_normal', 'untruncated_normal', 'uniform'"):
            ours.VarianceScaling(scale=2.0, seed=1234, mode="fan_in",
                                 distribution="invalid_dist")

    def test_mha_query_projection_variance(self):
        """Keras's test passes the string "lecun_normal", which resolves to
        Keras's class inside `MultiHeadAttention`; the same check with our
        `LecunNormal` instance."""
        keras.utils.set_random_seed(1337)
        mha = keras.layers.MultiHeadAttention(
            num_heads=8, key_dim=16, kernel_initializer=ours.LecunNormal())
        mha.build((None, 10, 32), (None, 10, 32))
        kernel = keras.ops.convert_to_numpy(mha.query_dense.kernel)
        self.assertEqual(kernel.shape, (32, 8, 16))
        self.assertAllClose(np.std(kernel), np.sqrt(1.0 / 32), atol=1e-1)


class TestKerasConstantInitializerTests(
        AgainstKerasInitact,
        constant_initializers_test.ConstantInitializersTest):
    upstream = constant_initializers_test
    replaced = {"initializers": OUR_INITIALIZERS}

    def test_stft_initializer(self):
        """keras_initact has no STFT: it fills a spectrogram layer's fixed
        filters, not weights that train."""
        self.assertFalse(hasattr(ours, "STFT"))


def _module(**classes):
    return types.SimpleNamespace(**classes)


class TestKerasReLUTests(AgainstKerasInitact, relu_test.ReLUTest):
    upstream = relu_test
    replaced = {"relu": _module(ReLU=L.ReLU)}

    def test_invalid_usage(self):
        """Differs in wording only: Keras says "max_value of a ReLU layer
        cannot be a negative value"; ours names the argument, the value and
        what is allowed. Same arguments refused."""
        for arguments, message in [
            ({"max_value": -10}, r"`max_value` must be non-negative; "
                                 r"received max_value=-10"),
            ({"negative_slope": -10}, r"negative_slope=-10"),
            ({"threshold": -10}, r"`threshold` must be non-negative; "
                                 r"received threshold=-10"),
        ]:
            with self.assertRaisesRegex(ValueError, message):
                L.ReLU(**arguments)

    def test_negative_slope_none_raises(self):
        """Differs in wording only (see `test_invalid_usage`)."""
        with self.assertRaisesRegex(ValueError, r"negative_slope=None"):
            L.ReLU(negative_slope=None)

    def test_threshold_none_raises(self):
        """Differs in wording only (see `test_invalid_usage`)."""
        with self.assertRaisesRegex(ValueError, r"threshold=None"):
            L.ReLU(threshold=None)


class TestKerasLeakyReLUTests(AgainstKerasInitact,
                              leaky_relu_test.LeakyReLUTest):
    upstream = leaky_relu_test
    replaced = {"leaky_relu": _module(LeakyReLU=L.LeakyReLU)}

    def test_invalid_usage(self):
        """Differs in wording only: ours names the argument and value."""
        with self.assertRaisesRegex(ValueError, r"negative_slope=None"):
            L.LeakyReLU(negative_slope=None)


class TestKerasELUTests(AgainstKerasInitact, elu_test.ELUTest):
    upstream = elu_test
    replaced = {"elu": _module(ELU=L.ELU)}


class TestKerasPReLUTests(AgainstKerasInitact, prelu_test.PReLUTest):
    upstream = prelu_test
    replaced = {"prelu": _module(PReLU=L.PReLU)}


class TestKerasSoftmaxTests(AgainstKerasInitact, softmax_test.SoftmaxTest):
    upstream = softmax_test
    replaced = {"softmax": _module(Softmax=L.Softmax)}


# --- Keras's layer contract on every layer of ours --------------------------

# name -> (layer class, constructor arguments, learned weights, seed generators)
LAYER_CONTRACTS = {
    "Sigmoid": (L.Sigmoid, {}, 0, 0),
    "Tanh": (L.Tanh, {}, 0, 0),
    "ReLU": (L.ReLU, {"max_value": 6.0, "negative_slope": 0.1,
                      "threshold": 0.5}, 0, 0),
    "LeakyReLU": (L.LeakyReLU, {"negative_slope": 0.2}, 0, 0),
    "PReLU": (L.PReLU, {"shared_axes": [1]}, 1, 0),
    "RReLU": (L.RReLU, {"seed": 3}, 0, 1),
    "ELU": (L.ELU, {"alpha": 0.7}, 0, 0),
    "SELU": (L.SELU, {}, 0, 0),
    "GELU": (L.GELU, {"approximate": True}, 0, 0),
    "Swish": (L.Swish, {"beta": 1.5}, 0, 0),
    "Swish_trainable": (L.Swish, {"trainable_beta": True}, 1, 0),
    "Mish": (L.Mish, {}, 0, 0),
    "Softplus": (L.Softplus, {}, 0, 0),
    "LiSHT": (L.LiSHT, {}, 0, 0),
    "Snake": (L.Snake, {"frequency": 2.0}, 0, 0),
    "Snake_trainable": (L.Snake, {"trainable_frequency": True}, 1, 0),
    "Softmax": (L.Softmax, {"axis": [1, 2]}, 0, 0),
    "LogSoftmax": (L.LogSoftmax, {"axis": 1}, 0, 0),
    "Softmin": (L.Softmin, {}, 0, 0),
    "Sparsemax": (L.Sparsemax, {"axis": -1}, 0, 0),
    "HardSigmoid": (L.HardSigmoid, {}, 0, 0),
    "HardTanh": (L.HardTanh, {}, 0, 0),
    "LogSigmoid": (L.LogSigmoid, {}, 0, 0),
    "Softsign": (L.Softsign, {}, 0, 0),
    "SparseSigmoid": (L.SparseSigmoid, {}, 0, 0),
    "CELU": (L.CELU, {"alpha": 0.5}, 0, 0),
    "ReLU6": (L.ReLU6, {}, 0, 0),
    "Threshold": (L.Threshold, {"threshold": 0.2, "value": -1.0}, 0, 0),
    "SquaredReLU": (L.SquaredReLU, {}, 0, 0),
    "HardSwish": (L.HardSwish, {}, 0, 0),
    "SparsePlus": (L.SparsePlus, {}, 0, 0),
    "Exponential": (L.Exponential, {}, 0, 0),
    "Squareplus": (L.Squareplus, {"b": 2.0}, 0, 0),
    "HardShrink": (L.HardShrink, {"threshold": 0.3}, 0, 0),
    "SoftShrink": (L.SoftShrink, {"threshold": 0.3}, 0, 0),
    "TanhShrink": (L.TanhShrink, {}, 0, 0),
    "GLU": (L.GLU, {}, 0, 0),
    "SwiGLU": (L.SwiGLU, {}, 0, 0),
    "GEGLU": (L.GEGLU, {}, 0, 0),
    "ReGLU": (L.ReGLU, {"axis": 2}, 0, 0),
    "ShapedActivation": (L.ShapedActivation, {
        "activation": "gelu", "input_scale": 0.5, "input_shift": 0.1,
        "output_shift": -0.2, "output_scale": 2.0}, 0, 0),
}


def test_every_layer_is_listed_in_the_contract_table():
    listed = {cls for cls, *_ in LAYER_CONTRACTS.values()}
    public = {cls for cls in (getattr(L, name) for name in L.__all__)
              if isinstance(cls, type) and issubclass(cls, L.ActivationLayer)
              } - {L.ActivationLayer, L.GatedUnit}
    assert public == listed


@pytest.mark.parametrize("name", sorted(LAYER_CONTRACTS))
def test_layer_passes_keras_run_layer_test(name):
    layer_cls, arguments, weights, seed_generators = LAYER_CONTRACTS[name]
    testing.TestCase().run_layer_test(
        layer_cls, init_kwargs=arguments, input_shape=(2, 3, 4),
        # a gated unit halves the axis it splits
        expected_output_shape=(
            (2, 3, 2) if issubclass(layer_cls, L.GatedUnit) else (2, 3, 4)),
        expected_num_trainable_weights=weights,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=seed_generators,
        expected_num_losses=0, supports_masking=True,
        # Layers without weights sized by the input are built when
        # constructed, as Keras's are.
        assert_built_after_instantiation=weights == 0,
    )


# --- Fans inside EinsumDense and MultiHeadAttention --------------------------

VARIANCE_SCALING_PAIRS = {
    "VarianceScaling": (
        lambda seed: ours.VarianceScaling(2.0, "fan_avg", "uniform", seed=seed),
        lambda seed: keras.initializers.VarianceScaling(
            2.0, "fan_avg", "uniform", seed=seed)),
    **{name: (lambda seed, name=name: getattr(ours, name)(seed=seed),
              lambda seed, name=name: getattr(keras.initializers, name)(
                  seed=seed))
       for name in ("GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform",
                    "LecunNormal", "LecunUniform")},
}


def _kernels(layer_factory, initializer):
    layer = layer_factory(initializer)
    return [keras.ops.convert_to_numpy(w) for w in layer.weights
            if w.name == "kernel"]


def _einsum_dense(initializer):
    layer = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 8, 16),
                                     kernel_initializer=initializer)
    layer.build((None, 10, 32))
    return layer


def _attention(initializer):
    layer = keras.layers.MultiHeadAttention(num_heads=8, key_dim=16,
                                            kernel_initializer=initializer)
    layer.build((None, 10, 32), (None, 10, 32))
    return layer


@pytest.mark.parametrize("layer_factory", [_einsum_dense, _attention],
                         ids=["EinsumDense", "MultiHeadAttention"])
@pytest.mark.parametrize("name", sorted(VARIANCE_SCALING_PAIRS))
def test_variance_scaling_gives_keras_values_in_einsum_layers(name,
                                                              layer_factory):
    ours_factory, keras_factory = VARIANCE_SCALING_PAIRS[name]
    expected = _kernels(layer_factory, keras_factory(7))
    got = _kernels(layer_factory, ours_factory(7))
    assert len(got) == len(expected) >= 1
    for ours_kernel, keras_kernel in zip(got, expected):
        np.testing.assert_array_equal(ours_kernel, keras_kernel)


@pytest.mark.parametrize("distribution", ["orthogonal", "gaussian"])
@pytest.mark.parametrize("centred", [False, True])
def test_critical_reads_einsum_axes(distribution, centred):
    init = ours.Critical("tanh", bias_variance=0.0, distribution=distribution,
                         centred=centred, seed=1)
    kernel = _kernels(_einsum_dense, init)[0]  # (32 inputs, 8, 16)
    matrix = kernel.reshape(32, 128)
    # Var = sigma_w^2 / fan_in with fan_in = 32, not the 8 * 32 of a conv.
    expected = init.point.weight_variance / 32
    np.testing.assert_allclose(matrix.var(), expected, rtol=0.1)
    if centred:
        np.testing.assert_allclose(matrix.mean(axis=0), 0.0, atol=1e-6)
    if distribution == "orthogonal" and not centred:
        gram = matrix @ matrix.T  # 32 orthogonal rows of equal norm
        np.testing.assert_allclose(gram, np.diag(np.diag(gram)), atol=1e-5)

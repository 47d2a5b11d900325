"""The elementwise estimators: activations, merges, Keras ops, dropout and
noise, rescaling. Each prediction is checked against the layer's output
measured on Gaussian data: the mean and second moment within five
standard errors of the sample (and a small allowance for the 101-node
rule's error at a kink, 5e-3 on ReLU's mean)."""

import math

import keras
import numpy as np
import pytest

import keras_initact as ki
from activation_cases import KERAS_ACTIVATION_NAMES, SPECS, by_name
from keras_initact.graph import elementwise as E
from keras_initact.graph.signal import Signal

KL = keras.layers
QUADRATURE = 5e-3


def _gaussian(shape, mean=0.0, variance=1.0, seed=0):
    z = np.random.default_rng(seed).standard_normal(shape)
    return (mean + math.sqrt(variance) * z).astype("float32")


def _assert_as_measured(row, y, units=None):
    """`units`: the number of independent draws behind `y` (its size
    unless a noise is shared, as dropout's with a noise shape)."""
    y = np.asarray(keras.ops.convert_to_numpy(y), dtype=np.float64)
    units = units or y.size
    mean_se = math.sqrt(y.var() / units)
    second_se = math.sqrt(np.var(y * y) / units)
    assert row.method == "estimated"
    assert row.predicted_mean == pytest.approx(
        y.mean(), abs=5 * mean_se + QUADRATURE)
    assert row.predicted_second == pytest.approx(
        np.mean(y * y), abs=5 * second_se + QUADRATURE)


def _single(layer, shape=(64,), *, training=False, batch=256, mean=0.0,
            variance=1.0):
    """`layer` on N(mean, variance) data: its predicted row (from the
    input moments alone) and its measured output."""
    model = keras.Sequential([keras.Input(shape), layer])
    row = ki.predict_moments(model, training=training, input_moments=(
        mean, mean * mean + variance)).rows[-1]
    y = model(_gaussian((batch,) + shape, mean, variance), training=training)
    return row, y


# Keras's `threshold` needs arguments; its `sparsemax` returns all zeros
# on rows of 64 normal values (Keras 3.15, TensorFlow), not a
# distribution, so it is compared through keras_initact's below.
KERAS_NAMES = [name for name in KERAS_ACTIVATION_NAMES
               if name not in ("threshold", "sparsemax")]


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_every_keras_activation_is_predicted_as_measured(name):
    _assert_as_measured(*_single(KL.Activation(name)))


@pytest.mark.parametrize("layer", [
    lambda: KL.ReLU(),
    lambda: KL.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
    lambda: KL.LeakyReLU(negative_slope=0.2),
    lambda: KL.PReLU(),
    lambda: KL.ELU(alpha=0.5),
    lambda: KL.Softmax(),
], ids=["relu", "relu_options", "leaky_relu", "prelu", "elu_alpha",
        "softmax"])
def test_kerass_activation_layers_with_their_options(layer):
    _assert_as_measured(*_single(layer()))


@pytest.mark.parametrize("spec", SPECS, ids=by_name)
def test_every_keras_initact_activation_is_predicted_as_measured(spec):
    # in training, as initialize predicts (RReLU draws its slopes)
    _assert_as_measured(*_single(spec.layer(), training=True))


@pytest.mark.parametrize("name", ["gelu", "tanh", "selu", "swish"])
def test_a_fused_activation_is_predicted_after_the_kernel(name):
    model = keras.Sequential([keras.Input((64,)),
                              KL.Dense(64, activation=name),
                              KL.Dense(8)])
    report = ki.initialize(model)
    # the second Dense's input is the activation's output
    expected = Signal.gaussian(0.0, 1.0).map(
        keras.activations.get(name)).second
    assert report.rows[1].kernels[0].input_second == pytest.approx(
        expected, rel=1e-6)
    # and the first row is its pre-activation, at the target
    assert report.rows[0].predicted_second == pytest.approx(1.0)


def test_an_activation_the_registry_does_not_know_is_none():
    assert E.activation_signal(lambda t: t * 2.0,
                               Signal.gaussian(0, 1)) is None


def test_a_softmax_without_a_known_width_is_none():
    assert E.activation_signal("softmax", Signal.gaussian(0, 1)) is None


@pytest.fixture(scope="module")
def two_inputs():
    shape = (32,)
    a, b = keras.Input(shape), keras.Input(shape)
    data = [_gaussian((512,) + shape, 1.0, 4.0, seed=1),
            _gaussian((512,) + shape, -0.5, 1.0, seed=2)]
    return a, b, data


@pytest.mark.parametrize("merge", [KL.Add, KL.Subtract, KL.Multiply,
                                   KL.Average, KL.Maximum, KL.Minimum])
def test_a_merge_of_independent_inputs(merge, two_inputs):
    a, b, data = two_inputs
    model = keras.Model([a, b], merge()([a, b]))
    row = ki.predict_moments(model, data).rows[-1]
    _assert_as_measured(row, model(data))


def test_a_merge_of_three_inputs():
    shape = (32,)
    inputs = [keras.Input(shape) for _ in range(3)]
    model = keras.Model(inputs, KL.Add()(inputs))
    data = [_gaussian((512,) + shape, i, 1.0, seed=i) for i in range(3)]
    row = ki.predict_moments(model, data).rows[-1]
    _assert_as_measured(row, model(data))
    # three independent sources: sampled (SAMPLES = 40000 draws)
    assert row.predicted_mean == pytest.approx(np.mean(data[0]) + np.mean(
        data[1]) + np.mean(data[2]), abs=5 * math.sqrt(3 / 40_000))


def test_a_merge_of_one_tensor_with_itself_is_pointwise():
    x = keras.Input((32,))
    relu = KL.ReLU()(x)
    model = keras.Model(x, [KL.Add(name="add")([x, x]),
                            KL.Multiply(name="multiply")([x, relu])])
    report = ki.predict_moments(model)
    assert report.row("add").predicted_second == pytest.approx(4.0,
                                                               rel=1e-6)
    # x * relu(x) = relu(x)^2: mean 1/2, E[relu(x)^4] = 3/2
    assert report.row("multiply").predicted_mean == pytest.approx(0.5,
                                                                  rel=1e-6)
    assert report.row("multiply").predicted_second == pytest.approx(
        1.5, rel=1e-6)


def test_concatenate_mixes_in_proportion_to_the_sizes():
    a, b = keras.Input((8,)), keras.Input((24,))
    model = keras.Model([a, b], KL.Concatenate()([a, b]))
    data = [_gaussian((512, 8), 2.0, 1.0, 1), _gaussian((512, 24), 0.0, 4.0, 2)]
    row = ki.predict_moments(model, data).rows[-1]
    _assert_as_measured(row, model(data))
    m = [float(np.mean(d)) for d in data]
    assert row.predicted_mean == pytest.approx((8 * m[0] + 24 * m[1]) / 32,
                                               rel=1e-6)


def test_concatenate_on_another_axis():
    a, b = keras.Input((4, 8)), keras.Input((12, 8))
    model = keras.Model([a, b], KL.Concatenate(axis=1)([a, b]))
    data = [_gaussian((256, 4, 8), 3.0, 1.0, 1),
            _gaussian((256, 12, 8), 0.0, 1.0, 2)]
    row = ki.predict_moments(model, data).rows[-1]
    _assert_as_measured(row, model(data))


@pytest.mark.parametrize("layer, shape, units", [
    (lambda: KL.Dropout(0.3), (64,), None),
    (lambda: KL.Dropout(0.5, noise_shape=(None, 1)), (64,), 1024),
    (lambda: KL.SpatialDropout1D(0.25), (16, 16), 1024 * 16),
    (lambda: KL.SpatialDropout2D(0.25), (4, 4, 16), 1024 * 16),
    (lambda: KL.GaussianDropout(0.4), (64,), None),
    (lambda: KL.GaussianNoise(0.5), (64,), None),
    (lambda: KL.AlphaDropout(0.2), (64,), None),
], ids=["dropout", "dropout_noise_shape", "spatial1d", "spatial2d",
        "gaussian_dropout", "gaussian_noise", "alpha_dropout"])
@pytest.mark.parametrize("training", [True, False])
def test_dropout_and_noise(layer, shape, units, training):
    # the mean of ReLU-like input keeps the dropped zeros visible
    row, y = _single(layer(), shape, training=training, batch=1024,
                     mean=1.0, variance=1.0)
    if not training:
        assert (row.predicted_mean, row.predicted_second) == (
            pytest.approx(1.0), pytest.approx(2.0))
    _assert_as_measured(row, y, units if training else None)


def test_dropout_in_training_has_the_inverted_scaling():
    row, _ = _single(KL.Dropout(0.2), training=True)
    # kept with 0.8, scaled by 1 / 0.8: E[y^2] = E[x^2] / 0.8
    assert row.predicted_second == pytest.approx(1.0 / 0.8, rel=1e-12)
    assert row.predicted_mean == pytest.approx(0.0, abs=1e-12)


def test_alpha_dropout_keeps_selus_fixed_point():
    # Klambauer et al.: a and b keep mean 0 and variance 1
    row, _ = _single(KL.AlphaDropout(0.3), training=True)
    assert row.predicted_mean == pytest.approx(0.0, abs=1e-9)
    assert row.predicted_second == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("scale, offset", [
    (1 / 255.0, 0.0), (2.0, -1.0), (np.linspace(0.5, 2, 16), np.zeros(16)),
    (np.linspace(0.5, 2, 16), np.linspace(-1, 1, 16)),
])
def test_rescaling(scale, offset):
    row, y = _single(KL.Rescaling(scale, offset), (16,), batch=2048,
                     mean=0.5, variance=2.0)
    _assert_as_measured(row, y)


def _op_model(function, shape=(64,)):
    x = keras.Input(shape)
    return keras.Model(x, function(x))


@pytest.mark.parametrize("function", [
    lambda x: x + 3.0,
    lambda x: x * (1.0 / 6.0),
    lambda x: keras.ops.relu6(x + 3.0) * (1.0 / 6.0),
    lambda x: x * keras.ops.relu6(x + 3.0) / 6.0,  # hard swish
    lambda x: keras.ops.maximum(x, 0.1 * x),
    lambda x: keras.ops.square(keras.ops.tanh(x)),
    lambda x: keras.ops.sigmoid(x) * x,
    lambda x: keras.ops.add(x, keras.ops.exp(-keras.ops.abs(x))),
    lambda x: keras.ops.subtract(1.0, keras.ops.clip(x, -0.5, 0.5)),
], ids=["add_constant", "multiply_constant", "hard_sigmoid", "hard_swish",
        "leaky_by_maximum", "square_tanh", "silu", "add_exp_abs",
        "subtract_clip"])
def test_keras_ops_in_a_functional_model(function):
    model = _op_model(function)
    x = _gaussian((256, 64))
    report = ki.predict_moments(model)
    assert report.rows, "the ops are nodes of the graph"
    assert all(row.method == "estimated" for row in report.rows)
    _assert_as_measured(report.rows[-1], model(x))


def test_keras_ops_of_two_branches_are_independent():
    a, b = keras.Input((32,)), keras.Input((32,))
    model = keras.Model([a, b], keras.ops.multiply(a, keras.ops.exp(b)) + 1.0)
    data = [_gaussian((512, 32), 0.5, 1.0, 1), _gaussian((512, 32), 0.0, 0.25, 2)]
    report = ki.predict_moments(model, data)
    _assert_as_measured(report.rows[-1], model(data))


def test_merged_names_its_function():
    assert "sum" in E.merged(E.add).__doc__
    assert E.subtract(5.0, 2.0) == 3.0
    assert E.average(1.0, 2.0, 6.0) == 3.0

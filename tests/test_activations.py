"""keras_initact.activations: the plain functions, `get`, and string names.

- each function computes its formula (NumPy float64 reference) on a grid
  reaching the largest float32 values, zero and tiny values, and has the
  derivative finite differences give;
- `get` resolves any spelling of a name or alias, passes callables through,
  refuses unknown names with the known names and close matches;
- `"keras_initact>NAME"` works as `activation=` in Keras layers, and such
  models, and ones holding the functions themselves, survive `.keras` save
  and load.
"""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import special

from keras_initact import activations as A
from keras_initact import layers as L

BIG = float(np.finfo(np.float32).max) * 0.9
GRID = np.array(
    [-BIG, -1e30, -1e4, -88.0, -20.0, -5.0, -1.0, -0.5, -1e-3, -1e-30, 0.0,
     1e-30, 1e-3, 0.5, 1.0, 5.0, 20.0, 88.0, 1e4, 1e30, BIG, 2.0],
    dtype=np.float32,
).reshape(2, 11)
FD_GRID = np.array([-3.1, -1.7, -0.8, -0.3, -0.05, 0.07, 0.35, 0.9, 1.6, 2.7,
                    4.2, 7.3]).reshape(2, 6)


def leaky(slope):
    return lambda x: np.where(x >= 0, x, slope * x)


def elu_ref(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def softmax_ref(x, axis=-1):
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def f32(value):
    return float(np.float32(value))


# id -> (function of x, NumPy reference of x in float64)
CASES = {
    "linear": (A.linear, lambda x: x),
    "sigmoid": (A.sigmoid, special.expit),
    "tanh": (A.tanh, np.tanh),
    "relu": (A.relu, lambda x: np.maximum(x, 0.0)),
    "relu_clipped": (
        lambda x: A.relu(x, max_value=6.0),
        lambda x: np.clip(x, 0.0, 6.0),
    ),
    "relu_threshold": (
        lambda x: A.relu(x, negative_slope=0.2, threshold=0.5, max_value=3.0),
        lambda x: np.minimum(np.where(x > 0.5, x, f32(0.2) * (x - 0.5)), 3.0),
    ),
    "leaky_relu": (A.leaky_relu, leaky(f32(0.3))),
    "prelu": (lambda x: A.prelu(x, 0.25), leaky(0.25)),
    "rrelu": (A.rrelu, leaky((1 / 8 + 1 / 3) / 2)),
    "elu": (A.elu, elu_ref),
    "elu_alpha": (lambda x: A.elu(x, alpha=2.0),
                  lambda x: elu_ref(x, alpha=2.0)),
    "selu": (A.selu,
             lambda x: A.functions.SELU_SCALE * elu_ref(
                 x, A.functions.SELU_ALPHA)),
    "gelu": (A.gelu, lambda x: 0.5 * x * (1 + special.erf(x / math.sqrt(2)))),
    "gelu_tanh": (
        lambda x: A.gelu(x, approximate=True),
        lambda x: 0.5 * x * (1 + np.tanh(
            math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    "swish": (A.swish, lambda x: x * special.expit(x)),
    "swish_beta": (lambda x: A.swish(x, beta=0.5),
                   lambda x: x * special.expit(0.5 * x)),
    "mish": (A.mish, lambda x: x * np.tanh(np.logaddexp(0.0, x))),
    "softplus": (A.softplus, lambda x: np.logaddexp(0.0, x)),
    "lisht": (A.lisht, lambda x: x * np.tanh(x)),
    "snake": (A.snake, lambda x: x + np.sin(x) ** 2),
    "snake_frequency": (
        lambda x: A.snake(x, frequency=3.0),
        lambda x: x + np.sin(3.0 * x) ** 2 / 3.0,
    ),
    "softmax": (A.softmax, softmax_ref),
    "softmax_axes": (
        lambda x: A.softmax(x, axis=[0, 1]),
        lambda x: softmax_ref(x.reshape(-1)).reshape(x.shape),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_function_values_match_numpy_reference(case):
    function, reference = CASES[case]
    y = keras.ops.convert_to_numpy(function(keras.ops.convert_to_tensor(GRID)))
    assert y.dtype == np.float32 and y.shape == GRID.shape
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(
        y, reference(GRID.astype(np.float64)), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_function_gradients_match_finite_differences(case):
    function = CASES[case][0]
    x = tf.constant(FD_GRID, tf.float64)
    w = tf.constant(np.random.default_rng(0).normal(size=FD_GRID.shape))

    def loss(value):
        return tf.reduce_sum(w * function(value))

    with tf.GradientTape() as tape:
        tape.watch(x)
        value = loss(x)
    grad = tape.gradient(value, x).numpy()
    h = 1e-6
    numeric = np.zeros(FD_GRID.shape)
    for index in np.ndindex(FD_GRID.shape):
        step = np.zeros(FD_GRID.shape)
        step[index] = h
        numeric[index] = (loss(x + step) - loss(x - step)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_parameter_tensors_broadcast_and_differentiate():
    x = tf.constant(FD_GRID, tf.float64)
    alpha = tf.Variable([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], dtype=tf.float64)
    frequency = tf.Variable([0.5, 1.0, 1.5, 2.0, 2.5, 3.0], dtype=tf.float64)
    beta = tf.Variable([0.5, 1.0, 1.5, 2.0, 2.5, 3.0], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        y_prelu = A.prelu(x, alpha)
        y_snake = A.snake(x, frequency)
        y_swish = A.swish(x, beta)
    xs = FD_GRID
    np.testing.assert_allclose(
        tape.gradient(y_prelu, alpha), np.minimum(xs, 0).sum(axis=0))
    a = frequency.numpy()
    d_snake = (2 * xs * np.sin(a * xs) * np.cos(a * xs) / a
               - np.sin(a * xs) ** 2 / a**2)
    np.testing.assert_allclose(
        tape.gradient(y_snake, frequency), d_snake.sum(axis=0), rtol=1e-10)
    b = beta.numpy()
    s = special.expit(b * xs)
    np.testing.assert_allclose(
        tape.gradient(y_swish, beta), (xs * xs * s * (1 - s)).sum(axis=0),
        rtol=1e-10)


def test_rrelu_function_is_seeded_and_deterministic_in_inference():
    x = -np.linspace(1, 2, 600, dtype="float32").reshape(6, 100)
    first = keras.ops.convert_to_numpy(A.rrelu(x, training=True, seed=3))
    second = keras.ops.convert_to_numpy(A.rrelu(x, training=True, seed=3))
    np.testing.assert_array_equal(first, second)
    slopes = first / x
    assert 1 / 8 - 1e-6 <= slopes.min() and slopes.max() <= 1 / 3 + 1e-6
    assert slopes.std() > 0.03
    generator = keras.random.SeedGenerator(3)
    a = keras.ops.convert_to_numpy(A.rrelu(x, training=True, seed=generator))
    b = keras.ops.convert_to_numpy(A.rrelu(x, training=True, seed=generator))
    assert not np.allclose(a, b)
    np.testing.assert_allclose(A.rrelu(x), x * (1 / 8 + 1 / 3) / 2,
                               rtol=1e-6)


@pytest.mark.parametrize("call,message", [
    (lambda: A.leaky_relu(1.0, negative_slope=-0.2), "non-negative"),
    (lambda: A.relu(1.0, threshold=-1.0), "non-negative"),
    (lambda: A.relu(1.0, max_value=-1.0), "non-negative"),
    (lambda: A.elu(1.0, alpha=-1.0), "non-negative"),
    (lambda: A.rrelu(1.0, lower=0.5, upper=0.1), "must not exceed"),
    (lambda: A.rrelu(1.0, upper=1.5), r"\[0, 1\)"),
    (lambda: A.snake(1.0, frequency=0.0), "positive"),
    (lambda: A.snake(1.0, frequency=-1.0), "positive"),
])
def test_functions_reject_arguments_their_formula_forbids(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_leaky_relu_default_is_stated_and_differs_from_keras_function():
    assert A.LEAKY_RELU_SLOPE == 0.3
    x = np.array([-10.0], "float32")
    np.testing.assert_allclose(A.leaky_relu(x), [-3.0], rtol=1e-6)
    np.testing.assert_allclose(keras.activations.leaky_relu(x), [-2.0],
                               rtol=1e-6)


# --- get, lookup, serialize -----------------------------------------------


@pytest.mark.parametrize("identifier,expected", [
    ("mish", A.mish), ("Mish", A.mish), ("keras_initact>mish", A.mish),
    ("silu", A.swish), ("SiLU", A.swish), ("leaky-relu", A.leaky_relu),
    ("LeakyReLU", A.leaky_relu), ("identity", A.linear), (None, A.linear),
    ("snake", A.snake), ("lisht", A.lisht), ("rrelu", A.rrelu),
])
def test_get_resolves_any_spelling_of_a_name_or_alias(identifier, expected):
    assert A.get(identifier) is expected


def test_get_passes_callables_through_and_falls_back_to_keras():
    layer = L.Mish()
    assert A.get(layer) is layer
    assert A.get(A.snake) is A.snake
    assert A.get("relu6") is keras.activations.relu6
    assert A.get(A.serialize(A.mish)) is A.mish


def test_get_refuses_activations_whose_parameters_are_learned():
    with pytest.raises(ValueError, match=r"layers\.PReLU"):
        A.get("prelu")
    assert A.lookup("prelu") is not None  # the function at alpha = 0
    np.testing.assert_allclose(A.lookup("prelu")(np.array([-2.0, 3.0])),
                               [0.0, 3.0])


@pytest.mark.parametrize("name,close", [
    ("mishh", "mish"), ("keras_initact>swsh", "swish"),
    ("leaky_rel", "leaky_relu"), ("snak", "snake"),
])
def test_unknown_name_lists_known_names_and_close_matches(name, close):
    with pytest.raises(ValueError) as error:
        A.get(name)
    message = str(error.value)
    assert f"Did you mean '{close}'" in message
    for known in A.names():
        assert known in message


def test_unknown_prefixed_name_is_not_looked_up_in_keras():
    with pytest.raises(ValueError, match="Unknown activation"):
        A.get("keras_initact>relu6")
    assert A.lookup("not_an_activation") is None
    assert A.lookup(42) is None


def test_serialize_gives_registered_names():
    config = A.serialize(A.mish)
    assert config["config"] == "keras_initact>mish"
    assert A.deserialize(config) is A.mish
    assert A.deserialize(A.serialize(L.Snake(frequency=2.0))).frequency == 2.0


def test_every_function_is_registered_with_keras():
    for name in A.names():
        function = A.spec(name).function
        registered = f"keras_initact>{name}"
        assert keras.saving.get_registered_name(function) == registered
        assert keras.saving.get_registered_object(registered) is function


# --- string names in Keras layers and .keras files -------------------------


def test_keras_resolves_prefixed_strings_but_not_learned_ones():
    assert keras.activations.get("keras_initact>mish") is A.mish
    assert keras.activations.get("keras_initact>silu") is A.swish
    assert keras.layers.Dense(2, activation="keras_initact>lisht").activation \
        is A.lisht
    with pytest.raises(ValueError):
        keras.activations.get("keras_initact>prelu")
    assert keras.activations.get("mish") is keras.activations.mish


def test_string_function_and_layer_activations_survive_keras_file(tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((5,))
    h = keras.layers.Dense(6, activation="keras_initact>mish")(inputs)
    h = keras.layers.Dense(6, activation=A.snake)(h)
    h = keras.layers.Activation("keras_initact>gelu")(h)
    h = keras.layers.Dense(6, activation=L.Snake(trainable_frequency=True))(h)
    h = keras.layers.Dense(6, activation="keras_initact>silu")(h)
    model = keras.Model(inputs, h)
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    model(x)  # Dense builds a layer used as its activation on the first call
    model.layers[-2].activation.frequency_weight.assign(np.linspace(.5, 2, 6))
    path = tmp_path / "strings.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        loaded.layers[-2].activation.frequency_weight.numpy(),
        np.linspace(.5, 2, 6, dtype="float32"),
    )
    assert loaded.layers[1].activation is A.mish
    assert loaded.layers[2].activation is A.snake
    assert loaded.layers[3].activation is A.gelu
    assert isinstance(loaded.layers[4].activation, L.Snake)
    assert loaded.layers[5].activation is A.swish
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded(x)),
        keras.ops.convert_to_numpy(model(x)),
    )

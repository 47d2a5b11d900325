"""keras_initact.math.functions: the activations as plain functions (as
`keras_initact.activations` re-exports them). Each function computes its
formula (a NumPy float64 reference) on a grid reaching the largest float32
values, zero and tiny values, and has the derivative finite differences
give; it takes tensors and NumPy numbers as parameters, is seeded where it
draws, and refuses the arguments its formula forbids with a message naming
them; and the functions that Keras and PyTorch also define give their values
and gradients (where Keras's differs on purpose, the test says why)."""

import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import special

from keras_initact import activations as A
from keras_initact import layers as L
from keras_initact.math import functions as F

import references as R
from activation_cases import GRID, KERAS_ACTIVATION_NAMES


FD_GRID = np.array([-3.1, -1.7, -0.8, -0.3, -0.05, 0.07, 0.35, 0.9, 1.6, 2.7,
                    4.2, 7.3]).reshape(2, 6)


def f32(value):
    return float(np.float32(value))


# Keras's formula, kept for speed, loses float32 precision beyond these |x|
# (`test_squareplus_has_the_float32_limits_of_keras_formula`).
FLOAT32_LIMITED = {"squareplus": 20.0, "squareplus_b": 20.0}


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
    "leaky_relu": (A.leaky_relu, R.leaky(f32(0.3))),
    "prelu": (lambda x: A.prelu(x, 0.25), R.leaky(0.25)),
    "rrelu": (A.rrelu, R.leaky((1 / 8 + 1 / 3) / 2)),
    "elu": (A.elu, R.elu()),
    "elu_alpha": (lambda x: A.elu(x, alpha=2.0), R.elu(2.0)),
    "selu": (A.selu,
             lambda x: F.SELU_SCALE * R.elu(F.SELU_ALPHA)(x)),
    "gelu": (A.gelu, R.gelu),
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
    "softplus_torch": (lambda x: A.softplus(x, beta=2.0, threshold=10.0),
                       R.softplus(2.0, 10.0)),
    "lisht": (A.lisht, lambda x: x * np.tanh(x)),
    "snake": (A.snake, lambda x: x + np.sin(x) ** 2),
    "snake_frequency": (
        lambda x: A.snake(x, frequency=3.0),
        lambda x: x + np.sin(3.0 * x) ** 2 / 3.0,
    ),
    "softmax": (A.softmax, R.softmax),
    "softmax_axes": (
        lambda x: A.softmax(x, axis=[0, 1]),
        lambda x: R.softmax(x.reshape(-1)).reshape(x.shape),
    ),
    # Keras's and PyTorch's other activations, from their definitions.
    "celu": (A.celu, R.celu()),
    "celu_alpha": (lambda x: A.celu(x, alpha=0.5), R.celu(0.5)),
    "exponential": (A.exponential, np.exp),
    "hard_sigmoid": (A.hard_sigmoid, R.hard_sigmoid),
    "hard_swish": (A.hard_swish, R.hard_swish),
    "hard_tanh": (A.hard_tanh, R.hard_tanh),
    "hard_tanh_bounds": (lambda x: A.hard_tanh(x, min_val=-2.0, max_val=3.0),
                         R.hard_tanh_between(-2.0, 3.0)),
    "log_sigmoid": (A.log_sigmoid, R.log_sigmoid),
    "relu6": (A.relu6, R.relu6),
    "softsign": (A.softsign, R.softsign),
    "sparse_plus": (A.sparse_plus, R.sparse_plus),
    "sparse_sigmoid": (A.sparse_sigmoid, R.sparse_sigmoid),
    "squareplus": (A.squareplus, R.squareplus()),
    "squareplus_b": (lambda x: A.squareplus(x, b=1.0), R.squareplus(1.0)),
    "hard_shrink": (A.hard_shrink, R.hard_shrink()),
    "soft_shrink": (lambda x: A.soft_shrink(x, threshold=0.25),
                    R.soft_shrink(0.25)),
    "tanh_shrink": (A.tanh_shrink, R.tanh_shrink),
    "threshold": (lambda x: A.threshold(x, threshold=0.2, value=-1.0),
                  R.threshold(0.2, -1.0)),
    "squared_relu": (A.squared_relu, R.squared_relu),
    "log_softmax": (A.log_softmax, R.log_softmax),
    "softmin": (A.softmin, lambda x: R.softmax(-x)),
    "sparsemax": (A.sparsemax, R.sparsemax),
    "glu": (A.glu, R.GLU),
    "swiglu": (A.swiglu, R.SWIGLU),
    "geglu": (A.geglu, R.GEGLU),
    "reglu": (A.reglu, R.REGLU),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_function_values_match_numpy_reference(case):
    function, reference = CASES[case]
    y = keras.ops.convert_to_numpy(function(keras.ops.convert_to_tensor(GRID)))
    with np.errstate(over="ignore", invalid="ignore"):
        # what float32 can hold: exp(1e4) and BIG^2 overflow to inf
        expected = reference(GRID.astype(np.float64)).astype(np.float32)
    if case in FLOAT32_LIMITED:  # compared where the formula is well posed
        kept = np.abs(GRID) <= FLOAT32_LIMITED[case]
        y, expected = y[kept].reshape(1, -1), expected[kept].reshape(1, -1)
    assert y.dtype == np.float32 and y.shape == expected.shape
    np.testing.assert_array_equal(np.isfinite(y), np.isfinite(expected))
    assert not np.any(np.isnan(y))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", sorted(CASES))
def test_function_gradients_match_finite_differences(case):
    function = CASES[case][0]
    x = tf.constant(FD_GRID, tf.float64)
    w = tf.constant(np.random.default_rng(0).normal(
        size=function(x).shape))  # a gated unit halves the last axis

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


def test_squareplus_has_the_float32_limits_of_keras_formula():
    x = np.array([-1e4, -50.0, 1e30], "float32")
    y = keras.ops.convert_to_numpy(A.squareplus(x))
    np.testing.assert_array_equal(
        y, keras.ops.convert_to_numpy(keras.activations.squareplus(x)))
    assert y[0] == 0.0 and y[1] == pytest.approx(0.02, rel=1e-3)
    assert np.isinf(y[2])
    # float16 is computed in float32, where x^2 fits
    half = keras.ops.convert_to_numpy(A.squareplus(np.float16([300.0])))
    assert half.dtype == np.float16 and half[0] == 300.0


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
    (lambda: A.relu(1.0, max_value=0.5, threshold=1.0),
     r"relu: `threshold` must not exceed `max_value`.*threshold=1.0, "
     r"max_value=0.5"),
    (lambda: A.softplus(1.0, beta=0), r"softplus: `beta` must be positive"),
    (lambda: A.softplus(1.0, threshold=float("nan")), "must be finite"),
    (lambda: A.hard_tanh(1.0, min_val=3, max_val=-2),
     r"hard_tanh: `min_val` must be smaller than `max_val`.*min_val=3, "
     r"max_val=-2"),
    (lambda: A.hard_tanh(1.0, max_val="1"), "max_val` must be a real number"),
    # NumPy numbers are numbers: checked as Python's are
    (lambda: A.snake(1.0, frequency=np.float32(0)),
     r"`frequency` must be positive; received frequency=np.float32\(0"),
    (lambda: A.snake(1.0, frequency=np.float32(-2)), "positive"),
    (lambda: A.snake(1.0, frequency=np.float64("nan")), "must be finite"),
    (lambda: A.snake(1.0, frequency=np.array(0.0)), "positive"),
    (lambda: A.snake(1.0, frequency=np.int64(-1)), "positive"),
    (lambda: A.swish(1.0, beta=np.float32("inf")), "swish: `beta` must be "
     "finite"),
    (lambda: A.swish(1.0, beta=float("nan")), "beta` must be finite"),
    (lambda: A.prelu(1.0, alpha=np.float64("nan")), "alpha` must be finite"),
    (lambda: A.elu(1.0, alpha=np.float32(-1)), "non-negative"),
    (lambda: A.leaky_relu(1.0, negative_slope=np.bool_(True)),
     "real number"),
    (lambda: A.gelu(1.0, approximate="yes"), "True or False"),
])
def test_functions_reject_arguments_their_formula_forbids(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_functions_take_numpy_numbers_as_python_numbers():
    x = np.linspace(-3.0, 3.0, 13)
    for call, argument, value in (
            (A.snake, "frequency", 2.5), (A.swish, "beta", 1.0),
            (A.swish, "beta", 0.5), (A.elu, "alpha", 0.5),
            (A.leaky_relu, "negative_slope", 0.1), (A.celu, "alpha", 2.0),
            (A.softplus, "beta", 2.0), (A.hard_tanh, "max_val", 2.0)):
        expected = keras.ops.convert_to_numpy(call(x, **{argument: value}))
        for numpy_value in (np.float32(value), np.float64(value),
                            np.array(value)):
            np.testing.assert_allclose(
                call(x, **{argument: numpy_value}), expected, rtol=1e-7,
                err_msg=f"{call.__name__}({argument}={numpy_value!r})")
    np.testing.assert_allclose(A.gelu(x, approximate=np.bool_(True)),
                               A.gelu(x, approximate=True))


@pytest.mark.parametrize("function", [A.glu, A.swiglu, A.geglu, A.reglu],
                         ids=lambda f: f.__name__)
def test_gated_functions_name_the_axis_and_the_sizes_they_allow(function):
    with pytest.raises(ValueError, match=(
            r"`axis` is outside an input of rank 2; allowed: an int from -2 "
            r"to 1\. Received axis=3")):
        function(np.zeros((2, 4)), axis=3)
    with pytest.raises(ValueError, match="Received axis=-3"):
        function(np.zeros((2, 4)), axis=-3)
    with pytest.raises(ValueError, match=(
            r"size along `axis` must be even.*received axis=0, where "
            r"input_shape=\(3, 4\) has size 3")):
        function(np.zeros((3, 4)), axis=0)
    assert tuple(function(np.zeros((2, 4)), axis=-2).shape) == (1, 4)


EMPTY_SHAPES = [((2, 0), -1), ((0, 3), -1), ((0, 3), 0), ((2, 0, 3), 1)]


@pytest.mark.parametrize("shape, axis", EMPTY_SHAPES)
def test_sparsemax_of_an_empty_input_is_empty_as_softmax(shape, axis):
    x = np.zeros(shape, "float32")
    expected = keras.activations.softmax(x, axis=axis)
    for y in (A.sparsemax(x, axis=axis), L.Sparsemax(axis=axis)(x)):
        assert tuple(y.shape) == tuple(expected.shape) == shape
        assert y.dtype == expected.dtype


def test_sparsemax_of_an_empty_input_is_empty_on_jax_too():
    pytest.importorskip("jax")
    code = (
        "import numpy as np, keras\n"
        "from keras_initact.math import functions as F\n"
        f"for shape, axis in {EMPTY_SHAPES!r}:\n"
        "    x = np.zeros(shape, 'float32')\n"
        "    y, e = F.sparsemax(x, axis=axis), keras.ops.softmax(x, axis)\n"
        "    assert tuple(y.shape) == tuple(e.shape) == shape, (y.shape, e)\n"
        "    assert y.dtype == e.dtype, (y.dtype, e.dtype)\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env,
                   timeout=120)


def test_leaky_relu_default_is_stated_and_differs_from_keras_function():
    assert A.LEAKY_RELU_SLOPE == 0.3
    x = np.array([-10.0], "float32")
    np.testing.assert_allclose(A.leaky_relu(x), [-3.0], rtol=1e-6)
    np.testing.assert_allclose(keras.activations.leaky_relu(x), [-2.0],
                               rtol=1e-6)


# --- the same activations in Keras and PyTorch ------------------------------


PARITY_X = np.random.default_rng(7).normal(scale=3.0, size=(4, 8))
# Keras names whose Keras function differs from ours by design.
KERAS_DIFFERENCES = {
    "leaky_relu": "Keras's function slope is 0.2, ours (and its layer's) 0.3",
    "sparsemax": "Keras 3.15's is wrong for supports of 2+ (keras#23425)",
}


# Keras functions without defaults: (our arguments, Keras's arguments)
KERAS_ARGUMENTS = {"threshold": ({"threshold": 0.3, "value": -2.0},
                                 {"threshold": 0.3, "default_value": -2.0})}


@pytest.mark.parametrize("name", [n for n in KERAS_ACTIVATION_NAMES
                                  if n not in KERAS_DIFFERENCES])
def test_values_and_gradients_equal_keras_functions(name):
    x = tf.constant(PARITY_X)
    our_arguments, keras_arguments = KERAS_ARGUMENTS.get(name, ({}, {}))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        ours = A.get(name)(x, **our_arguments)
        theirs = getattr(keras.activations, name)(x, **keras_arguments)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tape.gradient(ours, x),
                               tape.gradient(theirs, x),
                               rtol=1e-10, atol=1e-12)


def test_sparsemax_projects_onto_the_simplex_where_keras_does_not():
    x = np.array([[0.0, 0.5, 1.0], [0.5, 0.4, -3.0]])
    ours = keras.ops.convert_to_numpy(A.sparsemax(x))
    np.testing.assert_allclose(ours, [[0.0, 0.25, 0.75], [0.55, 0.45, 0.0]])
    np.testing.assert_allclose(A.sparsemax(PARITY_X).numpy().sum(-1), 1.0)
    np.testing.assert_allclose(A.sparsemax(PARITY_X, axis=0).numpy().sum(0),
                               1.0)
    keras_sum = keras.ops.convert_to_numpy(keras.activations.sparsemax(x))
    if np.allclose(keras_sum.sum(-1), 1.0):  # Keras fixed it: agree with it
        np.testing.assert_allclose(ours, keras_sum, atol=1e-12)


def _torch_cases():
    import torch.nn.functional as TF

    return {
        "celu": (lambda x: A.celu(x, 0.7), lambda t: TF.celu(t, 0.7)),
        "elu": (A.elu, TF.elu),
        "gelu": (A.gelu, TF.gelu),
        "gelu_tanh": (lambda x: A.gelu(x, approximate=True),
                      lambda t: TF.gelu(t, approximate="tanh")),
        "glu": (A.glu, TF.glu),
        "hard_shrink": (A.hard_shrink, TF.hardshrink),
        "hard_sigmoid": (A.hard_sigmoid, TF.hardsigmoid),
        "hard_swish": (A.hard_swish, TF.hardswish),
        "hard_tanh": (A.hard_tanh, TF.hardtanh),
        "hard_tanh_bounds": (lambda x: A.hard_tanh(x, -2.0, 3.0),
                             lambda t: TF.hardtanh(t, -2.0, 3.0)),
        "leaky_relu": (lambda x: A.leaky_relu(x, 0.01), TF.leaky_relu),
        "log_sigmoid": (A.log_sigmoid, TF.logsigmoid),
        "log_softmax": (A.log_softmax, lambda t: TF.log_softmax(t, -1)),
        "mish": (A.mish, TF.mish),
        "prelu": (lambda x: A.prelu(x, 0.25),
                  lambda t: TF.prelu(t, t.new_tensor([0.25]))),
        "relu": (A.relu, TF.relu),
        "relu6": (A.relu6, TF.relu6),
        "rrelu": (A.rrelu, lambda t: TF.rrelu(t, training=False)),
        "selu": (A.selu, TF.selu),
        "sigmoid": (A.sigmoid, lambda t: t.sigmoid()),
        "silu": (A.swish, TF.silu),
        "soft_shrink": (A.soft_shrink, TF.softshrink),
        "softmax": (A.softmax, lambda t: TF.softmax(t, -1)),
        "softmin": (A.softmin, lambda t: TF.softmin(t, -1)),
        "softplus": (A.softplus, TF.softplus),
        "softplus_beta": (lambda x: A.softplus(x, beta=2.0, threshold=10.0),
                          lambda t: TF.softplus(t, beta=2.0, threshold=10.0)),
        "softplus_low_threshold": (
            lambda x: A.softplus(x, beta=0.5, threshold=-1.0),
            lambda t: TF.softplus(t, beta=0.5, threshold=-1.0)),
        "softsign": (A.softsign, TF.softsign),
        "tanh": (A.tanh, lambda t: t.tanh()),
        "tanh_shrink": (A.tanh_shrink, TF.tanhshrink),
        "threshold": (lambda x: A.threshold(x, 0.3, -2.0),
                      lambda t: TF.threshold(t, 0.3, -2.0)),
    }


TORCH_NAMES = [
    "celu", "elu", "gelu", "gelu_tanh", "glu", "hard_shrink", "hard_sigmoid",
    "hard_swish", "hard_tanh", "hard_tanh_bounds", "leaky_relu",
    "log_sigmoid", "log_softmax", "mish", "prelu", "relu", "relu6", "rrelu",
    "selu", "sigmoid", "silu",
    "soft_shrink", "softmax", "softmin", "softplus", "softplus_beta",
    "softplus_low_threshold", "softsign", "tanh", "tanh_shrink", "threshold",
]


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_values_and_gradients_equal_pytorch_functional(name):
    torch = pytest.importorskip("torch")
    ours_function, torch_function = _torch_cases()[name]
    x = tf.constant(PARITY_X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        ours = ours_function(x)
    t = torch.tensor(PARITY_X, requires_grad=True)
    theirs = torch_function(t)
    upstream = np.random.default_rng(1).normal(size=theirs.shape)
    theirs.backward(torch.tensor(upstream))
    # TensorFlow keeps some constants (leaky slopes, GELU's) in float32
    np.testing.assert_allclose(ours, theirs.detach().numpy(),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(tape.gradient(ours, x, output_gradients=upstream),
                               t.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_the_pytorch_table_names_every_pytorch_activation_we_share():
    torch = pytest.importorskip("torch")
    assert set(_torch_cases()) == set(TORCH_NAMES)
    # torch.nn's activation modules that keras_initact computes too
    shared = {"CELU", "ELU", "GELU", "GLU", "Hardshrink", "Hardsigmoid",
              "Hardswish", "Hardtanh", "LeakyReLU", "LogSigmoid",
              "LogSoftmax", "Mish", "PReLU", "ReLU", "ReLU6", "RReLU", "SELU",
              "Sigmoid", "SiLU", "Softmax", "Softmin", "Softplus", "Softshrink",
              "Softsign", "Tanh", "Tanhshrink", "Threshold"}
    assert shared <= set(dir(torch.nn))
    for module in shared:
        assert A.lookup(module) is not None, module

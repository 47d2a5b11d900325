"""keras_initact.layers: every activation as a serializable Keras layer.

Each layer, in its default and its non-default configurations:
- computes its formula (a NumPy float64 reference) on a grid reaching the
  largest float32 values, zero and tiny values;
- has the gradients finite differences give, for inputs and learned weights;
- round-trips its config, and saves and loads inside a `.keras` model with
  identical predictions;
- passes masks through and keeps the input's shape;
- computes in float16 / bfloat16 under mixed precision, close to float32,
  with float32 weights;
- trains its learned parameters; rejects bad arguments with a ValueError.
"""

import inspect
import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import special

from keras_initact import layers as L

import references as R

F32 = np.float32


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def snake_ref(a):
    a = float(F32(a))
    return lambda x: x + np.sin(a * x) ** 2 / a


def shaped_ref(function, input_scale, input_shift, output_shift, output_scale):
    """output_scale * (function(input_scale * x + input_shift) + output_shift),
    with the layer's float32 constants."""
    a, b, d, g = (float(F32(v)) for v in (input_scale, input_shift,
                                           output_shift, output_scale))
    return lambda x: g * (function(a * x + b) + d)


# TAT's transformation of tanh for depth 60 (tat_transform), and a GELU
# with a negative output scale.
TAT_TANH = (0.0745, 0.5245, -0.482, 17.45)
GELU_FLIPPED = (0.5, -0.3, 0.2, -2.0)


def relu_options_ref(x):  # ReLU(max_value=6, negative_slope=0.1, threshold=0.5)
    return np.minimum(np.where(x > 0.5, x, 0.1 * (x - 0.5)), 6.0)


# id -> (factory taking base-layer kwargs, NumPy reference in float64).
CASES = {
    "sigmoid": (L.Sigmoid, special.expit),
    "tanh": (L.Tanh, np.tanh),
    "relu": (L.ReLU, lambda x: np.maximum(x, 0.0)),
    "relu_options": (
        lambda **kw: L.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5,
                            **kw),
        relu_options_ref,
    ),
    "leaky_relu": (L.LeakyReLU, R.leaky(float(F32(0.3)))),
    "leaky_relu_torch": (
        lambda **kw: L.LeakyReLU(negative_slope=0.01, **kw),
        R.leaky(float(F32(0.01))),
    ),
    "prelu": (L.PReLU, lambda x: np.maximum(x, 0.0)),
    "prelu_quarter": (
        lambda **kw: L.PReLU(
            alpha_initializer=keras.initializers.Constant(0.25), **kw
        ),
        R.leaky(0.25),
    ),
    "rrelu": (L.RReLU, R.leaky((1 / 8 + 1 / 3) / 2)),
    "elu": (L.ELU, R.elu(1.0)),
    "elu_half": (lambda **kw: L.ELU(alpha=0.5, **kw), R.elu(0.5)),
    "selu": (L.SELU,
             lambda x: SELU_SCALE * R.elu(SELU_ALPHA)(x)),
    "gelu": (L.GELU, R.gelu),
    "gelu_tanh": (
        lambda **kw: L.GELU(approximate=True, **kw),
        lambda x: 0.5 * x * (1 + np.tanh(
            math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    "swish": (L.Swish, lambda x: x * special.expit(x)),
    "swish_beta": (lambda **kw: L.Swish(beta=1.7, **kw),
                   lambda x: x * special.expit(float(F32(1.7)) * x)),
    "swish_trainable": (
        lambda **kw: L.Swish(beta=0.6, trainable_beta=True, **kw),
        lambda x: x * special.expit(float(F32(0.6)) * x),
    ),
    "mish": (L.Mish, lambda x: x * np.tanh(np.logaddexp(0.0, x))),
    "softplus": (L.Softplus, lambda x: np.logaddexp(0.0, x)),
    "softplus_torch": (lambda **kw: L.Softplus(beta=2.0, threshold=10.0, **kw),
                       R.softplus(2.0, 10.0)),
    "lisht": (L.LiSHT, lambda x: x * np.tanh(x)),
    "snake": (L.Snake, snake_ref(1.0)),
    "snake_fast": (lambda **kw: L.Snake(frequency=2.5, **kw), snake_ref(2.5)),
    "snake_trainable": (
        lambda **kw: L.Snake(frequency=0.7, trainable_frequency=True, **kw),
        snake_ref(0.7),
    ),
    "softmax": (L.Softmax, R.softmax),
    # Keras's and PyTorch's other activations
    "hard_sigmoid": (L.HardSigmoid, R.hard_sigmoid),
    "hard_tanh": (L.HardTanh, R.hard_tanh),
    "hard_tanh_bounds": (lambda **kw: L.HardTanh(min_val=-2.0, max_val=3.0,
                                                 **kw),
                         R.hard_tanh_between(-2.0, 3.0)),
    "log_sigmoid": (L.LogSigmoid, R.log_sigmoid),
    "softsign": (L.Softsign, R.softsign),
    "sparse_sigmoid": (L.SparseSigmoid, R.sparse_sigmoid),
    "celu": (lambda **kw: L.CELU(alpha=0.5, **kw), R.celu(0.5)),
    "relu6": (L.ReLU6, R.relu6),
    "threshold": (lambda **kw: L.Threshold(threshold=0.2, value=-1.0, **kw),
                  R.threshold(float(F32(0.2)), -1.0)),
    "squared_relu": (L.SquaredReLU, R.squared_relu),
    "hard_swish": (L.HardSwish, R.hard_swish),
    "sparse_plus": (L.SparsePlus, R.sparse_plus),
    "exponential": (L.Exponential, np.exp),
    "squareplus": (L.Squareplus, R.squareplus()),
    "hard_shrink": (L.HardShrink, R.hard_shrink()),
    "soft_shrink": (lambda **kw: L.SoftShrink(threshold=0.25, **kw),
                    R.soft_shrink(0.25)),
    "tanh_shrink": (L.TanhShrink, R.tanh_shrink),
    "log_softmax": (L.LogSoftmax, R.log_softmax),
    "softmin": (L.Softmin, lambda x: R.softmax(-x)),
    "sparsemax": (L.Sparsemax, R.sparsemax),
    "glu": (L.GLU, R.GLU),
    "swiglu": (L.SwiGLU, R.SWIGLU),
    "geglu": (L.GEGLU, R.GEGLU),
    "reglu": (L.ReGLU, R.REGLU),
    "shaped_tanh": (
        lambda **kw: L.ShapedActivation("tanh", *TAT_TANH, **kw),
        shaped_ref(np.tanh, *TAT_TANH),
    ),
    "shaped_gelu": (
        lambda **kw: L.ShapedActivation("GELU", *GELU_FLIPPED, **kw),
        shaped_ref(R.gelu, *GELU_FLIPPED),
    ),
}
LEARNED = ("prelu", "prelu_quarter", "swish_trainable", "snake_trainable")
LAYER_CLASSES = tuple(sorted(
    {getattr(L, name) for name in L.__all__} - {L.ActivationLayer, L.GatedUnit},
    key=lambda cls: cls.__name__))
GATED = ("glu", "swiglu", "geglu", "reglu")

BIG = float(np.finfo(np.float32).max) * 0.9  # ~3.06e38, next to inf
GRID = np.array(
    [-BIG, -1e30, -1e4, -88.0, -20.0, -5.0, -1.0, -0.5, -1e-3, -1e-30, 0.0,
     1e-30, 1e-3, 0.5, 1.0, 5.0, 20.0, 88.0, 1e4, 1e30, BIG, 2.0, -2.0, 3.0],
    dtype=np.float32,
).reshape(2, 12)  # an even last axis, which the gated units halve
# Away from every kink (0, ReLU's threshold 0.5 and max_value 6).
FD_GRID = np.array(
    [[-3.1, -1.7, -0.8, -0.3, -0.05, 0.07], [0.35, 0.9, 1.6, 2.7, 4.2, 7.3]]
)


def make(case, **kwargs):
    return CASES[case][0](**kwargs)


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_match_numpy_reference_on_extreme_grid(case):
    layer = make(case)
    y = keras.ops.convert_to_numpy(layer(GRID))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # what float32 can hold: exp(1e4) and BIG^2 overflow to inf
        expected = CASES[case][1](GRID.astype(np.float64)).astype(np.float32)
    if case == "squareplus":  # Keras's formula: well posed for |x| <= 20
        kept = np.abs(GRID) <= 20.0
        y, expected = y[kept].reshape(1, -1), expected[kept].reshape(1, -1)
    assert y.dtype == np.float32 and y.shape == expected.shape
    np.testing.assert_array_equal(np.isfinite(y), np.isfinite(expected))
    assert not np.any(np.isnan(y)), y
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def _loss(layer, x, w):
    return tf.reduce_sum(w * layer(x))


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_match_finite_differences(case):
    layer = make(case, dtype="float64")
    x = tf.constant(FD_GRID, tf.float64)
    w = tf.constant(np.random.default_rng(1).normal(
        size=layer(x).shape))  # builds; a gated unit halves the last axis
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = _loss(layer, x, w)
    grad_x, *grad_weights = tape.gradient(
        loss, [x, *layer.trainable_weights]
    )
    h = 1e-6
    numeric = np.zeros(FD_GRID.shape)
    for index in np.ndindex(FD_GRID.shape):
        step = np.zeros(FD_GRID.shape)
        step[index] = h
        numeric[index] = (
            _loss(layer, x + step, w) - _loss(layer, x - step, w)
        ) / (2 * h)
    np.testing.assert_allclose(grad_x, numeric, rtol=1e-6, atol=1e-8)
    for variable, grad in zip(layer.trainable_weights, grad_weights):
        value = variable.numpy()
        numeric = np.zeros(value.shape)
        for index in np.ndindex(value.shape):
            step = np.zeros(value.shape)
            step[index] = h
            variable.assign(value + step)
            up = _loss(layer, x, w)
            variable.assign(value - step)
            numeric[index] = (up - _loss(layer, x, w)) / (2 * h)
            variable.assign(value)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_round_trip(case):
    layer = make(case, name=f"act_{case}")
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    parameters = inspect.signature(type(layer).__init__).parameters
    own = {n for n in parameters if n not in ("self", "kwargs")}
    assert own <= set(config), f"get_config lacks {own - set(config)}"
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert type(restored) is type(layer)
    assert restored.get_config() == config
    np.testing.assert_array_equal(restored(FD_GRID), layer(FD_GRID))


@pytest.mark.parametrize("cls", LAYER_CLASSES, ids=lambda c: c.__name__)
def test_layers_are_registered_with_keras(cls):
    assert keras.saving.get_registered_name(cls) == (
        f"keras_initact>{cls.__name__}"
    )
    assert keras.saving.get_registered_object(
        f"keras_initact>{cls.__name__}"
    ) is cls
    assert issubclass(cls, keras.layers.Layer)


@pytest.mark.parametrize("case", sorted(CASES))
def test_shape_is_kept_and_mask_passes_through(case):
    layer = make(case)
    width = 4 if case in GATED else 8  # a gated unit halves the last axis
    assert layer.compute_output_shape((None, 3, 8)) == (None, 3, width)
    ids = keras.Input((3,), dtype="int32")
    embedded = keras.layers.Embedding(5, 8, mask_zero=True)(ids)
    y = layer(embedded)
    assert tuple(y.shape) == (None, 3, width)
    assert y._keras_mask is not None
    assert layer.supports_masking
    eager_ids = np.array([[1, 2, 0], [3, 0, 0]])
    embedded = keras.layers.Embedding(5, 8, mask_zero=True)(eager_ids)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(make(case)(embedded)._keras_mask),
        eager_ids != 0,
    )


MP_GRID = np.linspace(-6.0, 6.0, 24, dtype=np.float32).reshape(2, 12)


@pytest.mark.parametrize("policy,tolerance", [
    ("mixed_float16", 1e-2), ("mixed_bfloat16", 4e-2),
])
@pytest.mark.parametrize("case", sorted(CASES))
def test_mixed_precision_is_close_to_float32(case, policy, tolerance):
    reference = keras.ops.convert_to_numpy(make(case)(MP_GRID))
    layer = make(case, dtype=policy)
    y = layer(MP_GRID)
    assert keras.backend.standardize_dtype(y.dtype) == policy[len("mixed_"):]
    assert all(w.dtype == "float32" for w in layer.weights)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras.ops.cast(y, "float32")), reference,
        rtol=tolerance, atol=tolerance,
    )


def test_global_mixed_precision_policy_computes_in_float16():
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    layer = L.Snake(trainable_frequency=True)
    y = layer(MP_GRID)
    assert layer.compute_dtype == "float16" and y.dtype == "float16"
    assert layer.frequency_weight.dtype == "float32"
    softmax = L.Softmax()
    masked = softmax(MP_GRID, mask=MP_GRID > -3)
    assert masked.dtype == "float16"
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras.ops.sum(masked, axis=-1)), 1.0,
        rtol=1e-2,
    )


# --- one model with every layer, saved and loaded once -------------------


def _all_layers_model():
    keras.utils.set_random_seed(3)
    inputs = keras.Input((8,))
    h = keras.layers.Dense(8, activation=L.PReLU())(inputs)
    h = keras.layers.Dense(
        8, activation=L.Swish(beta=0.8, trainable_beta=True)
    )(h)
    # side by side, so that each layer sees a live signal
    branches = [make(case, name=f"act_{case}")(keras.layers.Dense(8)(h))
                for case in sorted(CASES)]
    return keras.Model(inputs, keras.layers.Concatenate()(branches))


@pytest.fixture(scope="module")
def saved_and_loaded(tmp_path_factory):
    model = _all_layers_model()
    model(np.zeros((1, 8), "float32"))  # builds the layers used as activation=
    rng = np.random.default_rng(4)
    learned = [v for v in model.trainable_weights
               if v.name in ("alpha", "beta", "frequency")]
    assert len(learned) == 6
    for variable in learned:  # learned values, not the initial ones
        variable.assign(rng.uniform(0.2, 1.2, variable.shape))
    path = tmp_path_factory.mktemp("saved") / "all_layers.keras"
    model.save(path)
    return model, keras.saving.load_model(path)


def as_json(config):  # tuples and lists alike, as in a .keras file
    return json.loads(json.dumps(config))


def test_keras_file_round_trip_gives_identical_predictions(saved_and_loaded):
    model, loaded = saved_and_loaded
    x = np.random.default_rng(5).normal(size=(16, 8)).astype("float32")
    expected = keras.ops.convert_to_numpy(model(x))
    assert np.all(np.isfinite(expected)) and np.std(expected) > 0
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(x)),
                                  expected)
    np.testing.assert_array_equal(model.predict(x, verbose=0),
                                  loaded.predict(x, verbose=0))


def test_keras_file_round_trip_restores_layers_and_weights(saved_and_loaded):
    model, loaded = saved_and_loaded
    for original, restored in zip(model.layers, loaded.layers):
        assert type(restored) is type(original)
        assert as_json(restored.get_config()) == as_json(original.get_config())
    activation = loaded.layers[1].activation
    assert isinstance(activation, L.PReLU)
    names = [w.name for w in loaded.trainable_weights]
    assert names.count("alpha") == 3 and names.count("beta") == 2
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_training_step_changes_learned_parameters():
    keras.utils.set_random_seed(6)
    learned = [make(case) for case in LEARNED]
    inputs = keras.Input((4,))
    h = inputs
    for layer in [*learned, L.RReLU(seed=1)]:
        h = layer(keras.layers.Dense(4)(h))
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = [[w.numpy().copy() for w in layer.weights] for layer in learned]
    x = np.random.default_rng(7).normal(size=(32, 4)).astype("float32")
    loss = model.train_on_batch(x, np.sum(x**2, axis=1, keepdims=True))
    assert np.isfinite(loss)
    for layer, old in zip(learned, before):
        assert layer.trainable_weights, layer.name
        for weight, value in zip(layer.weights, old):
            assert not np.allclose(weight.numpy(), value), layer.name


# --- specific behaviour ---------------------------------------------------


def test_leaky_relu_default_slope_is_keras_layer_default():
    assert L.LeakyReLU().negative_slope == 0.3
    assert keras.layers.LeakyReLU().negative_slope == 0.3


@pytest.mark.parametrize("ours,keras_layer", [
    (L.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
     keras.layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5)),
    (L.ReLU(max_value=6.0), keras.layers.ReLU(max_value=6.0)),
    (L.LeakyReLU(), keras.layers.LeakyReLU()),
    (L.ELU(alpha=0.7), keras.layers.ELU(alpha=0.7)),
    (L.PReLU(), keras.layers.PReLU()),
    (L.Softmax(axis=[1, 2]), keras.layers.Softmax(axis=[1, 2])),
], ids=["relu_options", "relu6", "leaky", "elu", "prelu", "softmax_axes"])
def test_drop_in_for_keras_layer_with_defaults(ours, keras_layer):
    x = np.random.default_rng(8).normal(scale=4, size=(2, 3, 5))
    x = x.astype("float32")
    np.testing.assert_allclose(ours(x), keras_layer(x), rtol=1e-6, atol=1e-7)


def test_prelu_shared_axes_give_one_slope_per_channel():
    layer = L.PReLU(shared_axes=[1, 2])
    layer(np.zeros((2, 5, 6, 3), "float32"))
    assert tuple(layer.alpha.shape) == (1, 1, 3)
    negative = L.PReLU(shared_axes=[-3, -2])
    negative(np.zeros((2, 5, 6, 3), "float32"))
    assert tuple(negative.alpha.shape) == (1, 1, 3)
    assert negative.get_config()["shared_axes"] == [-3, -2]


def test_rrelu_draws_slopes_in_range_in_training_and_uses_mean_otherwise():
    x = -np.linspace(1.0, 2.0, 4000, dtype="float32").reshape(40, 100)
    layer = L.RReLU(lower=0.1, upper=0.3, seed=11)
    slopes = keras.ops.convert_to_numpy(layer(x, training=True)) / x
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6
    assert abs(slopes.mean() - 0.2) < 0.005 and slopes.std() > 0.05
    again = keras.ops.convert_to_numpy(layer(x, training=True)) / x
    assert not np.allclose(again, slopes)  # new draws each call
    same_seed = L.RReLU(lower=0.1, upper=0.3, seed=11)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(same_seed(x, training=True)) / x, slopes
    )
    np.testing.assert_allclose(layer(x), 0.2 * x, rtol=1e-6)
    np.testing.assert_array_equal(layer(-x, training=True), -x)


def test_rrelu_training_gradient_is_the_drawn_slope():
    layer = L.RReLU(seed=2, dtype="float64")
    x = tf.constant(-np.linspace(0.5, 3.0, 50).reshape(5, 10))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
    np.testing.assert_allclose(tape.gradient(y, x), y / x, rtol=1e-12)


def test_swish_with_beta_one_is_silu_and_learns_one_beta_per_channel():
    x = np.linspace(-5, 5, 20, dtype="float32").reshape(4, 5)
    np.testing.assert_allclose(L.Swish()(x), keras.activations.silu(x),
                               rtol=1e-6)
    layer = L.Swish(beta=2.0, trainable_beta=True)
    layer(x)
    assert tuple(layer.beta_weight.shape) == (5,)
    np.testing.assert_allclose(layer.beta_weight.numpy(), 2.0)


def test_snake_stays_finite_where_frequency_times_x_overflows():
    y = keras.ops.convert_to_numpy(L.Snake(frequency=4.0)(GRID))
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, GRID, rtol=1e-6, atol=0.26)


def test_trainable_snake_frequency_is_kept_positive_in_the_computation():
    layer = L.Snake(trainable_frequency=True)
    layer(MP_GRID)
    layer.frequency_weight.assign(np.zeros(12))
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(layer(MP_GRID))))


def test_softmax_mask_gives_zero_to_masked_positions_like_keras():
    x = np.random.default_rng(9).normal(size=(3, 5)).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]],
                    dtype=bool)
    y = keras.ops.convert_to_numpy(L.Softmax()(x, mask=mask))
    np.testing.assert_allclose(y, keras.layers.Softmax()(x, mask=mask),
                               rtol=1e-6)
    assert np.all(y[~mask] == 0)
    np.testing.assert_allclose(y[[0, 2]].sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(
        L.Softmax()(x, mask=mask.astype("float32")), y, rtol=1e-6
    )


# --- bad input -------------------------------------------------------------


@pytest.mark.parametrize("factory,message", [
    (lambda: L.LeakyReLU(negative_slope=-0.1), "non-negative"),
    (lambda: L.LeakyReLU(negative_slope=None), "real number"),
    (lambda: L.ReLU(negative_slope=-1.0), "non-negative"),
    (lambda: L.ReLU(max_value=-1.0), "non-negative"),
    (lambda: L.ReLU(threshold=-0.5), "non-negative"),
    (lambda: L.ReLU(threshold=float("nan")), "finite"),
    (lambda: L.ReLU(max_value=0.5, threshold=1.0),
     r"`threshold` must not exceed `max_value`.*threshold=1.0, "
     r"max_value=0.5"),
    (lambda: L.Softplus(beta=0.0), r"`beta` must be positive.*beta=0.0"),
    (lambda: L.Softplus(beta=-1.0), "positive"),
    (lambda: L.Softplus(threshold=float("inf")), "threshold` must be finite"),
    (lambda: L.HardTanh(min_val=1.0, max_val=1.0),
     r"`min_val` must be smaller than `max_val`.*min_val=1.0, max_val=1.0"),
    (lambda: L.HardTanh(min_val=2.0), r"min_val=2.0, max_val=1.0"),
    (lambda: L.HardTanh(max_val=float("nan")), "max_val` must be finite"),
    (lambda: L.ShapedActivation("tanh", input_scale=np.float32(0)),
     "input_scale` must be non-zero"),
    (lambda: L.ELU(alpha=-1.0), "non-negative"),
    (lambda: L.RReLU(lower=0.4, upper=0.2), "must not exceed"),
    (lambda: L.RReLU(upper=1.0), r"\[0, 1\)"),
    (lambda: L.RReLU(lower=-0.1), "non-negative"),
    (lambda: L.RReLU(seed=1.5), "seed"),
    (lambda: L.Snake(frequency=0.0), "positive"),
    (lambda: L.Snake(frequency=-2.0), "positive"),
    (lambda: L.Snake(trainable_frequency="yes"), "True or False"),
    (lambda: L.Swish(beta=float("inf")), "finite"),
    (lambda: L.GELU(approximate=1), "True or False"),
    (lambda: L.PReLU(shared_axes=[0]), "batch axis"),
    (lambda: L.PReLU(shared_axes="1"), "int or a non-empty list"),
    (lambda: L.Softmax(axis=1.5), "int or a non-empty list"),
    (lambda: L.ShapedActivation("gleu"), r"Unknown activation 'gleu'.*'gelu'"),
    (lambda: L.ShapedActivation(L.GELU()), "must name a function"),
    (lambda: L.ShapedActivation("softmax"), "not elementwise"),
    (lambda: L.ShapedActivation("prelu"), "learns alpha"),
    (lambda: L.ShapedActivation("tanh", input_scale=0.0),
     r"input_scale` must be non-zero .*received input_scale=0.0"),
    (lambda: L.ShapedActivation("tanh", output_scale=float("nan")),
     "output_scale` must be finite"),
    (lambda: L.ShapedActivation("tanh", input_shift=[1]), "input_shift"),
    (lambda: L.ShapedActivation("tanh", output_shift=None), "real number"),
])
def test_bad_arguments_raise_at_construction(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


@pytest.mark.parametrize("layer,shape,message", [
    (L.PReLU(shared_axes=[3]), (2, 4, 5), "outside an input of rank 3"),
    (L.PReLU(shared_axes=[-3]), (2, 4, 5), "outside an input of rank 3"),
    (L.PReLU(shared_axes=[1, -2]), (2, 4, 5), "twice"),
    (L.PReLU(), (None, None, 5), "size is unknown"),
    (L.Swish(trainable_beta=True), (2, None), "last axis"),
    (L.Snake(trainable_frequency=True), (2, None), "last axis"),
])
def test_bad_arguments_for_the_input_raise_at_build(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer.build(shape)


def test_relu_allows_max_value_equal_to_threshold_a_step():
    # f = max_value at and above it, negative_slope * (x - threshold) below
    layer = L.ReLU(max_value=1.0, threshold=1.0)
    np.testing.assert_array_equal(layer(np.array([0.5, 1.5, 3.0])),
                                  [0.0, 1.0, 1.0])


@pytest.mark.parametrize("cls", [L.GLU, L.SwiGLU, L.GEGLU, L.ReGLU],
                         ids=lambda c: c.__name__)
def test_a_gated_unit_refuses_an_odd_size_when_the_model_is_built(cls):
    message = (r"size along `axis` must be even.*received axis=-1, where "
               r"input_shape=\(None, 7\) has size 7")
    with pytest.raises(ValueError, match=message):
        cls().compute_output_shape((None, 7))
    with pytest.raises(ValueError, match="must be even"):
        cls()(keras.Input((7,)))  # a model cannot be built with it
    with pytest.raises(ValueError, match=r"received axis=1, where "
                       r"input_shape=\(2, 3, 4\) has size 3"):
        cls(axis=1).compute_output_shape((2, 3, 4))
    assert cls(axis=1).compute_output_shape((2, 6, 5)) == (2, 3, 5)
    assert cls().compute_output_shape((None, None)) == (None, None)


@pytest.mark.parametrize("cls", [L.GLU, L.SwiGLU, L.GEGLU, L.ReGLU],
                         ids=lambda c: c.__name__)
def test_a_gated_unit_axis_outside_the_input_is_a_value_error(cls):
    message = (r"`axis` is outside an input of rank 2; allowed: an int from "
               r"-2 to 1\. Received axis=2")
    with pytest.raises(ValueError, match=message):
        cls(axis=2).compute_output_shape((None, 4))
    with pytest.raises(ValueError, match=message):
        cls(axis=2)(keras.Input((4,)))
    with pytest.raises(ValueError, match="Received axis=-3"):
        cls(axis=-3)(np.zeros((2, 4), "float32"))
    assert cls(axis=-2).compute_output_shape((4, 3)) == (2, 3)


def test_softplus_and_hard_tanh_take_pytorchs_arguments_and_equal_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(6).normal(scale=4.0, size=(3, 8))
    x[0, :3] = [5.0, 5.0 + 1e-7, 5.0 - 1e-7]  # beta * x at the threshold
    for ours, theirs in (
            (L.Softplus(beta=2, threshold=10, dtype="float64"),
             torch.nn.Softplus(beta=2, threshold=10)),
            (L.Softplus(beta=0.5, threshold=-1, dtype="float64"),
             torch.nn.Softplus(beta=0.5, threshold=-1)),
            (L.HardTanh(min_val=-2, max_val=3, dtype="float64"),
             torch.nn.Hardtanh(min_val=-2, max_val=3))):
        t = torch.tensor(x, requires_grad=True)
        expected = theirs(t)
        expected.sum().backward()
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = ours(xt)
        np.testing.assert_allclose(y, expected.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
        np.testing.assert_allclose(tape.gradient(y, xt), t.grad.numpy(),
                                   rtol=1e-12, atol=1e-12)
    config = L.Softplus(beta=2, threshold=10).get_config()
    assert (config["beta"], config["threshold"]) == (2, 10)
    config = L.HardTanh(min_val=-2, max_val=3).get_config()
    assert (config["min_val"], config["max_val"]) == (-2, 3)


def test_softmax_axis_outside_the_input_raises_when_called():
    layer = L.Softmax(axis=2)
    assert layer.built  # no weights: built when constructed, as Keras's
    with pytest.raises(ValueError, match="outside an input of rank 2"):
        layer(np.zeros((2, 4)))


def test_softmax_takes_a_propagated_sequence_mask_over_leading_axes():
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    embedded = keras.layers.Embedding(5, 4, mask_zero=True)(ids)
    y = keras.ops.convert_to_numpy(L.Softmax()(embedded))
    np.testing.assert_array_equal(y[ids == 0], 0.0)
    np.testing.assert_allclose(y[ids != 0].sum(axis=-1), 1.0, rtol=1e-6)


# --- ShapedActivation: what monitors read from it --------------------------


def test_shaped_activation_stores_the_canonical_name():
    layer = L.ShapedActivation("Leaky-ReLU", input_scale=2)
    assert layer.get_config()["activation"] == "leaky_relu"
    assert layer.get_config()["input_scale"] == 2.0


@pytest.mark.parametrize("alias, name", [
    ("silu", "swish"), ("SiLU", "swish"), ("keras_initact>silu", "swish"),
    ("hard_silu", "hard_swish"), ("logistic", "sigmoid"),
    ("lrelu", "leaky_relu"), ("relu2", "squared_relu"), ("exp", "exponential"),
])
def test_shaped_activation_accepts_the_registrys_aliases(alias, name):
    from keras_initact.activations import ACTIVATIONS

    layer = L.ShapedActivation(alias, input_scale=0.5)
    assert layer.get_config()["activation"] == name
    assert ACTIVATIONS.identify(layer).name == name
    x = np.linspace(-3.0, 3.0, 7)
    np.testing.assert_allclose(
        layer(x), L.ShapedActivation(name, input_scale=0.5)(x))


def test_shaped_activation_lists_the_aliases_when_a_name_is_unknown():
    with pytest.raises(ValueError, match=r"Unknown activation 'sliu'.*silu"):
        L.ShapedActivation("sliu")


def test_shaped_activation_record_carries_regions_through_the_output_map():
    from keras_initact.activations import ACTIVATIONS

    layer = L.ShapedActivation("tanh", *TAT_TANH)
    record = ACTIVATIONS.identify(layer)
    assert record is ACTIVATIONS.identify(layer) and record.name == "tanh"
    assert record.layer_class is L.ShapedActivation
    x = np.linspace(-60.0, 60.0, 241, dtype=np.float32)
    inner = np.tanh(TAT_TANH[0] * x + TAT_TANH[1])
    y = keras.ops.convert_to_numpy(layer(x))
    # An output is saturated exactly when tanh's was.
    expected = np.mean(np.abs(inner) >= 0.99)
    assert 0 < expected < 1
    assert float(record.saturated_fraction(y)) == pytest.approx(expected)
    # A negative output scale swaps the bounds; a dead region moves too.
    relu = ACTIVATIONS.identify(L.ShapedActivation("relu", 1.0, 0.0, 0.5, -2.0))
    assert relu.dead.above == -1.0 and relu.dead.below is None
    y = keras.ops.convert_to_numpy(L.ShapedActivation("relu", 1.0, 0.0, 0.5, -2.0)(x))
    assert float(relu.dead_fraction(y)) == pytest.approx(np.mean(x <= 0))


def test_shaped_activation_record_has_the_shaped_units_gain():
    from keras_initact.activations import ACTIVATIONS
    from keras_initact.math.gains import variance_preserving_gain

    layer = L.ShapedActivation("gelu", 0.5, 0.3, -0.2, 2.0)
    record = ACTIVATIONS.identify(layer)
    assert record.gain == pytest.approx(
        variance_preserving_gain(record.function))
    assert record.gain != pytest.approx(ACTIVATIONS.spec("gelu").gain)
    assert not record.homogeneous
    assert ACTIVATIONS.identify(L.ShapedActivation("relu", 3.0, 0.0, 0.0, 0.5)
                                ).homogeneous


def test_pytorchs_spellings_of_layer_names_are_the_same_classes():
    from keras_initact import layers

    assert layers.SiLU is layers.Swish and layers.HardSiLU is layers.HardSwish
    assert layers.Hardtanh is layers.HardTanh
    assert layers.Hardtanh(min_val=-2, max_val=3).get_config()["max_val"] == 3

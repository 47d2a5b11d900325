"""keras_initact.layers: every activation as a serializable Keras layer.
Each layer, in its default and its non-default configurations, computes its
formula (a NumPy float64 reference) on a grid reaching the largest float32
values, zero and tiny values; has the gradients finite differences give, for
inputs and learned weights; round-trips its config and is registered with
Keras, and saves and loads inside a `.keras` model with identical
predictions; passes masks through and keeps the input's shape; computes in
float16 / bfloat16 under mixed precision, close to float32, with float32
weights; trains its learned parameters; drops in for Keras's layer of the
same name; and rejects bad arguments with a ValueError."""

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
from activation_cases import GRID, MP_GRID, TAT_TANH


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


# A GELU with a negative output scale.
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
# The activation layers of `__all__` (the residual ones have their tests).
LAYER_CLASSES = tuple(sorted(
    {cls for cls in (getattr(L, name) for name in L.__all__)
     if isinstance(cls, type) and issubclass(cls, L.ActivationLayer)}
    - {L.ActivationLayer, L.GatedUnit},
    key=lambda cls: cls.__name__))
GATED = ("glu", "swiglu", "geglu", "reglu")


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


# --- Keras's and PyTorch's layers -----------------------------------------


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


def test_pytorchs_spellings_of_layer_names_are_the_same_classes():
    from keras_initact import layers

    assert layers.SiLU is layers.Swish and layers.HardSiLU is layers.HardSwish
    assert layers.Hardtanh is layers.HardTanh
    assert layers.Hardtanh(min_val=-2, max_val=3).get_config()["max_val"] == 3


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

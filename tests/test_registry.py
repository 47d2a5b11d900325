"""The activation registry: one record per activation, read by everything.

- it holds exactly the activations keras_initact promises, under lower-case
  snake names, each with a registered function and layer class;
- a record's layer and function compute the same thing;
- its claims are true: zero-centred means `E[f(z)] ~ 0`, the gain is
  `calculate_gain`'s (PyTorch's where PyTorch has one, else
  variance-preserving), the initializer gives `Var(W) = gain^2 / fan_in`
  for He schemes, and the dead/saturated regions pick the right outputs,
  also in compiled code;
- names resolve in any spelling, unknown ones raise with suggestions, and
  `calculate_gain` finds keras_initact's activations through `lookup`.
"""

import math
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import integrate

from keras_initact import activations as A
from keras_initact import initializers
from keras_initact import layers as L
from keras_initact.activations import ACTIVATIONS, ActivationSpec, Region
from keras_initact.activations.registry import Registry
from keras_initact.math.gains import (
    gaussian_expectation, gaussian_expectation_of_any, variance_preserving_gain,
)

REQUIRED = {
    "linear", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "rrelu",
    "elu", "selu", "gelu", "swish", "mish", "softplus", "softmax", "snake",
    "lisht",
    # Keras's and PyTorch's other activations (issue 15)
    "celu", "exponential", "hard_sigmoid", "hard_swish", "hard_tanh",
    "log_sigmoid", "relu6", "softsign", "sparse_plus", "sparse_sigmoid",
    "squareplus", "hard_shrink", "soft_shrink", "tanh_shrink", "threshold",
    "squared_relu", "log_softmax", "softmin", "sparsemax",
    "glu", "swiglu", "geglu", "reglu",
}
SPECS = [ACTIVATIONS[name] for name in ACTIVATIONS]
X = np.linspace(-4.0, 4.0, 40, dtype="float32").reshape(4, 10)


def by_name(spec):
    return spec.name


def test_registry_holds_the_promised_activations():
    assert set(A.names()) == REQUIRED
    assert A.names() == sorted(REQUIRED)
    assert "silu" in A.names(aliases=True)
    assert ACTIVATIONS["silu"] is ACTIVATIONS["swish"]


@pytest.mark.parametrize("spec", SPECS, ids=by_name)
def test_each_record_is_complete(spec):
    assert spec.name == spec.name.lower() and " " not in spec.name
    assert spec.registered_name == f"keras_initact>{spec.name}"
    assert spec.function is getattr(A, spec.name)
    assert issubclass(spec.layer_class, keras.layers.Layer)
    if spec.name != "linear":  # linear's layer is keras.layers.Identity
        assert keras.saving.get_registered_name(spec.layer_class) == (
            f"keras_initact>{spec.layer_class.__name__}"
        )
        assert ACTIVATIONS.find(spec.layer_class.__name__) is spec
    assert isinstance(spec.zero_centred, bool)
    initializers.get(spec.kernel_initializer)
    for region in (spec.dead, spec.saturated):
        assert region is None or isinstance(region, Region)


@pytest.mark.parametrize("spec", SPECS, ids=by_name)
def test_layer_and_function_compute_the_same(spec):
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(spec.layer()(X)),
        keras.ops.convert_to_numpy(spec.activation(X)),
        rtol=1e-6, atol=1e-7,
    )


@pytest.mark.parametrize(
    "spec", [s for s in SPECS if s.elementwise], ids=by_name
)
def test_zero_centred_means_zero_mean_output_for_standard_normal_input(spec):
    mean = gaussian_expectation(spec.activation)
    assert (abs(mean) < 0.02) == spec.zero_centred, mean


def test_only_the_softmax_family_and_gated_units_mix_elements():
    assert {s.name for s in SPECS if not s.elementwise} == {
        "softmax", "log_softmax", "softmin", "sparsemax",
        "glu", "swiglu", "geglu", "reglu",
    }
    assert {s.name for s in SPECS if s.gate is not None} == {
        "glu", "swiglu", "geglu", "reglu",
    }
    assert not ACTIVATIONS["softmax"].zero_centred


@pytest.mark.parametrize("name,gain", [
    ("relu", math.sqrt(2.0)), ("tanh", 5.0 / 3.0), ("sigmoid", 1.0),
    ("selu", 0.75), ("linear", 1.0), ("softmax", 1.0),
    ("leaky_relu", math.sqrt(2.0 / (1.0 + 0.3**2))),
    ("prelu", math.sqrt(2.0)),  # alpha starts at 0
    ("rrelu", math.sqrt(2.0 / (1.0 + (11.0 / 48.0) ** 2))),
])
def test_gain_is_pytorchs_where_pytorch_defines_it(name, gain):
    assert ACTIVATIONS[name].gain == pytest.approx(gain, rel=1e-12)


TORCH_GAIN_NAMES = {"relu", "tanh", "sigmoid", "selu", "linear", "softmax",
                    "leaky_relu", "prelu", "rrelu"}
QUADRATURE_NAMES = sorted(
    spec.name for spec in SPECS
    if spec.elementwise and spec.name not in TORCH_GAIN_NAMES)


@pytest.mark.parametrize("name", QUADRATURE_NAMES)
def test_other_gains_preserve_the_second_moment(name):
    spec = ACTIVATIONS[name]
    assert spec.gain == variance_preserving_gain(spec.function)
    second_moment = gaussian_expectation_of_any(
        lambda z: (spec.gain * spec.function(z)) ** 2
    )
    assert second_moment == pytest.approx(1.0, rel=1e-12)
    assert initializers.calculate_gain(name) == spec.gain


@pytest.mark.parametrize("name", QUADRATURE_NAMES)
def test_other_gains_match_adaptive_quadrature_of_the_definition(name):
    """An independent integral (SciPy's adaptive `quad`, split at the kinks)
    of E[f(z)^2] against the registry's Gauss-Hermite gain."""
    spec = ACTIVATIONS[name]

    def integrand(z):
        value = float(spec.activation(np.array([z]))[0])
        return value * value * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    second_moment, _ = integrate.quad(integrand, -12, 12, limit=200,
                                      points=[-3, -1, -0.5, 0, 0.5, 1, 3, 6])
    # quad itself is good to about 1e-10 here; a jump costs the trapezoid
    # rule about 1e-5
    tolerance = 1e-9 if spec.smooth else 2e-5
    assert spec.gain == pytest.approx(1 / math.sqrt(second_moment),
                                      rel=tolerance)


@pytest.mark.parametrize("name", ["glu", "swiglu", "geglu", "reglu"])
def test_gated_gain_keeps_the_second_moment_of_independent_halves(name):
    spec = ACTIVATIONS[name]
    assert spec.gain == pytest.approx(variance_preserving_gain(spec.gate),
                                      rel=1e-12)
    x = np.random.default_rng(0).normal(size=(200_000, 2))
    second_moment = np.mean(np.square(spec.gain * keras.ops.convert_to_numpy(
        spec.activation(x))))
    # E[a^2 g(b)^2] = E[g(b)^2]; the sample's standard error is < 1%
    assert second_moment == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("spec", SPECS, ids=by_name)
def test_initializer_suits_the_activation(spec):
    init = spec.initializer(seed=3)
    assert type(init) is type(initializers.get(spec.kernel_initializer))
    if hasattr(init, "nonlinearity"):  # He/Kaiming: Var(W) = gain^2 / fan_in
        assert init.variance((200, 10)) == pytest.approx(spec.gain**2 / 200)
    restored = type(init).from_config(init.get_config())
    np.testing.assert_array_equal(restored((6, 4)), init((6, 4)))


def test_initializer_choices_follow_the_papers():
    chosen = {name: ACTIVATIONS[name].kernel_initializer for name in A.names()}
    assert chosen["selu"] == "lecun_normal"
    for name in ("relu", "leaky_relu", "prelu", "rrelu", "elu", "gelu"):
        assert chosen[name] == "he_normal"
    for name in ("tanh", "sigmoid", "softmax", "linear"):
        assert chosen[name] == "glorot_uniform"


def test_dead_and_saturated_fractions():
    relu = ACTIVATIONS["relu"]
    y = relu.activation(np.array([-2.0, -0.0, 0.0, 1.0, 3.0, -1.0, 2.0, 5.0]))
    assert float(relu.dead_fraction(y)) == pytest.approx(0.5)
    assert relu.saturated_fraction(y) is None
    assert ACTIVATIONS["leaky_relu"].dead_fraction(y) is None
    tanh = ACTIVATIONS["tanh"]
    y = tanh.activation(np.array([-6.0, -1.0, 0.0, 1.0, 6.0, 2.0, 2.5, 0.5]))
    assert float(tanh.saturated_fraction(y)) == pytest.approx(0.25)
    assert tanh.dead_fraction(y) is None
    sigmoid = ACTIVATIONS["sigmoid"]
    y = sigmoid.activation(np.array([-6.0, -4.0, 0.0, 4.0, 6.0]))
    assert float(sigmoid.saturated_fraction(y)) == pytest.approx(0.4)
    softmax = ACTIVATIONS["softmax"]
    y = softmax.activation(np.array([[10.0, 0.0, 0.0], [1.0, 1.0, 1.0]]))
    assert float(softmax.saturated_fraction(y)) == pytest.approx(0.5)
    selu = ACTIVATIONS["selu"]
    y = selu.activation(np.array([-10.0, -1.0, 0.0, 1.0]))
    assert float(selu.saturated_fraction(y)) == pytest.approx(0.25)


def test_fractions_work_in_compiled_code_for_every_region():
    x = np.linspace(-8, 8, 64, dtype="float32").reshape(8, 8)
    x[0, 0] = 30.0  # one row that softmax saturates
    x[1, 0] = -30.0  # and one that softmin does
    x = tf.constant(x)
    specs = [s for s in SPECS if s.dead or s.saturated]
    assert {s.name for s in specs} >= {"relu", "tanh", "sigmoid", "softmax"}

    @tf.function(jit_compile=True)
    def fractions(x):
        out = []
        for spec in specs:
            y = spec.activation(x)
            for region in (spec.dead, spec.saturated):
                if region is not None:
                    out.append(region.fraction(y))
        return out

    for value in fractions(x):
        assert 0.0 < float(value) < 1.0
    half = keras.ops.convert_to_tensor(np.zeros((2, 4), "float16"))
    assert float(Region(below=0.0).fraction(half)) == 1.0


def test_region_rejects_empty_or_inverted_bounds():
    with pytest.raises(ValueError, match="below"):
        Region()
    with pytest.raises(ValueError, match="smaller"):
        Region(below=0.9, above=0.1)


@pytest.mark.parametrize("spelling", [
    "leaky_relu", "LeakyReLU", "leaky-relu", "Leaky ReLU",
    "keras_initact>leaky_relu", "lrelu",
])
def test_any_spelling_finds_the_record(spelling):
    assert A.spec(spelling) is ACTIVATIONS["leaky_relu"]
    assert A.lookup(spelling) is A.leaky_relu


def test_unknown_name_raises_with_close_matches():
    with pytest.raises(ValueError, match="Did you mean 'gelu'") as error:
        A.spec("gelo")
    assert "keras_initact knows: " in str(error.value)
    with pytest.raises(KeyError):
        ACTIVATIONS["gelo"]


def test_adding_an_activation_is_one_record():
    def cube(x):
        return x * x * x

    registry = Registry(SPECS)
    spec = registry.add(ActivationSpec(
        "cube", cube, keras.layers.Identity, aliases=("x3",),
        zero_centred=True, kernel_initializer="lecun_normal",
    ))
    assert registry.find("X3") is spec and "cube" in registry.names()
    assert spec.gain == pytest.approx(1 / math.sqrt(15.0))  # E[z^6] = 15
    with pytest.raises(ValueError, match="already taken"):
        registry.add(ActivationSpec("silu", cube, keras.layers.Identity))
    with pytest.raises(ValueError, match="snake names"):
        registry.add(ActivationSpec("Cube2", cube, keras.layers.Identity))
    with pytest.raises(ValueError, match="Layer subclass"):
        ActivationSpec("cube3", cube, object)
    assert "cube" not in ACTIVATIONS
    he = Registry().add(ActivationSpec("cube", cube, keras.layers.Identity))
    assert he.initializer(seed=1).gain == pytest.approx(1 / math.sqrt(15.0))


def test_calculate_gain_and_he_initializers_find_our_activations():
    assert initializers.calculate_gain("silu") == ACTIVATIONS["swish"].gain
    assert initializers.calculate_gain("prelu") == pytest.approx(
        math.sqrt(2.0), rel=1e-3
    )
    init = initializers.HeNormal(nonlinearity="snake")
    assert init.gain == ACTIVATIONS["snake"].gain


def test_the_aliases_are_one_table_below_the_registry():
    from keras_initact.math import table as F

    assert F.ALIASES["silu"] == "swish" and F.ALIASES["identity"] == "linear"
    for alias, name in F.ALIASES.items():
        assert ACTIVATIONS.find(alias) is ACTIVATIONS[name]
        assert F.resolve(alias) is F.FUNCTIONS[name]
    for spec in SPECS:  # the registry's aliases are the table's, no others
        assert set(spec.aliases) == {a for a, n in F.ALIASES.items()
                                     if n == spec.name}


@pytest.mark.parametrize("alias, name", [
    ("silu", "swish"), ("lrelu", "leaky_relu"), ("LReLU", "leaky_relu"),
    ("logistic", "sigmoid"), ("relu2", "squared_relu"), ("exp", "exponential"),
    ("hard_silu", "hard_swish"), ("identity", "linear"),
])
def test_every_name_lookup_accepts_the_aliases(alias, name):
    gain = initializers.calculate_gain
    assert gain(alias) == gain(name)
    assert initializers.HeNormal(nonlinearity=alias).gain == gain(name)
    if name in ("sigmoid", "swish"):  # smooth: a critical point exists
        assert (initializers.Critical(alias).point.weight_variance
                == initializers.Critical(name).point.weight_variance)
    assert A.lookup(alias) is A.lookup(name)


def test_a_spelling_of_leaky_relu_is_pytorchs_leaky_relu_gain():
    gain = initializers.calculate_gain
    for spelling in ("lrelu", "LeakyReLU", "leaky-relu"):
        assert gain(spelling) == gain("leaky_relu")  # slope 0.01
        assert gain(spelling, 0.2) == gain("leaky_relu", 0.2)
    assert gain("leaky_relu", np.float32(0.25)) == gain("leaky_relu", 0.25)


def test_records_are_frozen():
    with pytest.raises(AttributeError):
        ACTIVATIONS["relu"].name = "other"
    with pytest.raises(TypeError):
        ACTIVATIONS["prelu"].learned_parameters["alpha"] = 1.0


def test_layers_import_first_in_a_fresh_interpreter():
    code = (
        "import keras_initact.layers.smooth as s\n"
        "import keras_initact.activations as a\n"
        "assert a.spec('snake').layer_class is s.Snake\n"
        "import keras_initact.layers as l\n"
        "assert l.Mish is a.spec('mish').layer_class\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize(
    "spec", [s for s in SPECS if s.elementwise], ids=by_name
)
def test_homogeneous_means_scale_free(spec):
    x = np.linspace(-4.0, 4.0, 33)
    scale_free = all(
        np.allclose(spec.activation(c * x), c * spec.activation(x),
                    rtol=1e-9, atol=1e-12)
        for c in (0.25, 3.0)
    )
    assert scale_free == spec.homogeneous


@pytest.mark.parametrize("activation,name", [
    ("Leaky-ReLU", "leaky_relu"),
    (A.mish, "mish"),
    (keras.activations.relu, "relu"),
    (keras.activations.silu, "swish"),
    (keras.activations.linear, "linear"),
    (keras.layers.Dense(3, activation="tanh").activation, "tanh"),
    (keras.layers.Dense(3, activation="keras_initact>snake").activation,
     "snake"),
    (keras.layers.ReLU(max_value=6.0), "relu6"),
    (keras.activations.relu6, "relu6"),
    (keras.activations.hard_silu, "hard_swish"),
    (keras.layers.Activation("log_softmax"), "log_softmax"),
    (L.Threshold(), "threshold"),
    (keras.layers.LeakyReLU(), "leaky_relu"),
    (keras.layers.PReLU(), "prelu"),
    (keras.layers.Softmax(), "softmax"),
    (keras.layers.Identity(), "linear"),
    (keras.layers.Activation("gelu"), "gelu"),
    (keras.layers.Activation(A.lisht), "lisht"),
    (L.RReLU(), "rrelu"),
    (L.Snake, "snake"),
    (A.spec("prelu").activation, "prelu"),
])
def test_identify_finds_the_record_of_functions_and_layers(activation, name):
    assert ACTIVATIONS.identify(activation) is ACTIVATIONS[name]


@pytest.mark.parametrize("activation", [
    None, "relu7", keras.layers.Dense(3),
    lambda x: x, keras.layers.Activation(lambda x: 2 * x), 3.0,
])
def test_identify_gives_none_for_anything_else(activation):
    assert ACTIVATIONS.identify(activation) is None


KERAS_ACTIVATION_NAMES = sorted(
    name for name in dir(keras.activations)
    if not name.startswith("_") and callable(getattr(keras.activations, name))
    and name not in ("get", "serialize", "deserialize"))


@pytest.mark.parametrize("name", KERAS_ACTIVATION_NAMES)
def test_identify_knows_every_keras_activation_in_every_form(name):
    record = ACTIVATIONS.spec(name)
    assert ACTIVATIONS.identify(name) is record
    assert ACTIVATIONS.identify(getattr(keras.activations, name)) is record
    assert ACTIVATIONS.identify(keras.layers.Activation(name)) is record
    if record.elementwise:
        dense = keras.layers.Dense(4, activation=name)
        assert ACTIVATIONS.identify(dense.activation) is record


@pytest.mark.parametrize("layer, name, gain", [
    (keras.layers.ReLU(max_value=6.0), "relu6", None),
    (keras.layers.LeakyReLU(negative_slope=0.2), "leaky_relu",
     math.sqrt(2 / (1 + 0.2**2))),
    (keras.layers.LeakyReLU(), "leaky_relu", math.sqrt(2 / (1 + 0.3**2))),
    (L.LeakyReLU(negative_slope=0.01), "leaky_relu",
     math.sqrt(2 / (1 + 0.01**2))),
    (keras.layers.ReLU(negative_slope=0.1), "leaky_relu",
     math.sqrt(2 / (1 + 0.1**2))),
    (keras.layers.ELU(), "elu", None),
    (keras.layers.PReLU(), "prelu", math.sqrt(2.0)),
    (keras.layers.Softmax(), "softmax", None),
])
def test_identify_reads_the_options_of_keras_activation_layers(layer, name,
                                                               gain):
    record = ACTIVATIONS.identify(layer)
    assert record.name == name
    assert record.gain == pytest.approx(gain or ACTIVATIONS[name].gain,
                                        rel=1e-12)


def test_a_configured_threshold_unit_jumps_and_is_dead_at_its_value():
    record = ACTIVATIONS.identify(L.Threshold(threshold=0.5, value=-1.0))
    assert not record.continuous and not record.homogeneous
    y = L.Threshold(threshold=0.5, value=-1.0)(np.array([-3.0, 0.2, 0.7, 2.0]))
    assert float(record.dead_fraction(y)) == pytest.approx(0.5)
    assert ACTIVATIONS.identify(L.Threshold(0.5, 0.5)).continuous


def test_identify_reads_the_bounds_of_a_hard_tanh_layer():
    assert ACTIVATIONS.identify(L.HardTanh()) is ACTIVATIONS["hard_tanh"]
    layer = L.HardTanh(min_val=-2.0, max_val=3.0)
    record = ACTIVATIONS.identify(layer)
    assert record is ACTIVATIONS.identify(L.HardTanh(-2.0, 3.0))  # cached
    assert record.name == "hard_tanh" and record.zero_centred  # E ~ 0.008
    assert not ACTIVATIONS.identify(L.HardTanh(0.0, 3.0)).zero_centred
    y = layer(np.array([-5.0, -2.0, -1.0, 0.0, 2.5, 3.0, 7.0]))
    assert float(record.dead_fraction(y)) == pytest.approx(4 / 7)
    assert record.gain == pytest.approx(variance_preserving_gain(
        lambda x: np.clip(x, -2.0, 3.0)), rel=1e-6)


def test_identify_reads_the_sharpness_of_a_softplus_layer():
    assert ACTIVATIONS.identify(L.Softplus()) is ACTIVATIONS["softplus"]
    record = ACTIVATIONS.identify(L.Softplus(beta=4.0, threshold=10.0))
    assert record.name == "softplus"
    # saturated where the slope 1 - exp(-beta y) is ~0.01 or less
    y = L.Softplus(beta=4.0, threshold=10.0)(np.array([-3.0, -0.8, 0.0, 1.0]))
    assert float(record.saturated_fraction(y)) == pytest.approx(0.25)
    assert record.gain == pytest.approx(variance_preserving_gain(
        lambda x: np.logaddexp(0.0, 4.0 * x) / 4.0), rel=1e-6)

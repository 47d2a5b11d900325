"""keras_initact.activations.registry: one record per activation, each with
its layer class, read by everything. The registry holds exactly the
activations keras_initact promises, under lower-case snake names, each with
a registered function and layer class that compute the same thing; names
resolve in any spelling and unknown ones raise with suggestions; adding an
activation is one record; and `identify` finds the record of a name, a
function or a layer (ours or Keras's, in every form), reading the options
of a configured layer."""

import math
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_initact import activations as A
from keras_initact import initializers
from keras_initact import layers as L
from keras_initact.activations import ACTIVATIONS, ActivationSpec, Region
from keras_initact.activations.registry import Registry
from keras_initact.math.gains import variance_preserving_gain

from activation_cases import KERAS_ACTIVATION_NAMES, SPECS, by_name


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
X = np.linspace(-4.0, 4.0, 40, dtype="float32").reshape(4, 10)


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


def test_layers_import_first_in_a_fresh_interpreter():
    code = (
        "import keras_initact.layers.smooth as s\n"
        "import keras_initact.activations as a\n"
        "assert a.spec('snake').layer_class is s.Snake\n"
        "import keras_initact.layers as l\n"
        "assert l.Mish is a.spec('mish').layer_class\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


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

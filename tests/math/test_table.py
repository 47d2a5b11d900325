"""keras_initact.math.table: the one table of activations, whose records
the registry reads. Its claims are true: zero-centred means `E[f(z)] ~ 0`,
homogeneous means scale-free, only the softmax family and the gated units
mix elements, the initializer each record names follows its paper, the
dead and saturated regions pick the right outputs; its aliases are the
registry's, and its records are frozen."""

import numpy as np
import pytest

from keras_initact import activations as A
from keras_initact.activations import ACTIVATIONS
from keras_initact.math.gains import gaussian_expectation

from activation_cases import SPECS, by_name


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


def test_the_aliases_are_one_table_below_the_registry():
    from keras_initact.math import table as F

    assert F.ALIASES["silu"] == "swish" and F.ALIASES["identity"] == "linear"
    for alias, name in F.ALIASES.items():
        assert ACTIVATIONS.find(alias) is ACTIVATIONS[name]
        assert F.resolve(alias) is F.FUNCTIONS[name]
    for spec in SPECS:  # the registry's aliases are the table's, no others
        assert set(spec.aliases) == {a for a, n in F.ALIASES.items()
                                     if n == spec.name}


def test_records_are_frozen():
    with pytest.raises(AttributeError):
        ACTIVATIONS["relu"].name = "other"
    with pytest.raises(TypeError):
        ACTIVATIONS["prelu"].learned_parameters["alpha"] = 1.0


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

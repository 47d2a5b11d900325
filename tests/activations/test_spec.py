"""keras_initact.activations.spec: `ActivationSpec`, a record with its layer
class, and what it derives. Its gain is `calculate_gain`'s: PyTorch's where
PyTorch has one, else variance-preserving (the second moment of the gained
unit is 1, by the registry's quadrature and by SciPy's adaptive one; a gated
unit's, for independent halves); its initializer suits the activation, with
`Var(W) = gain^2 / fan_in` for He schemes, and round-trips its config."""

import math

import keras
import numpy as np
import pytest
from scipy import integrate

from keras_initact import initializers
from keras_initact.activations import ACTIVATIONS
from keras_initact.math.gains import (
    gaussian_expectation_of_any, variance_preserving_gain,
)

from activation_cases import SPECS, by_name


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

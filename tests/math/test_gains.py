"""keras_initact.math.gains: `calculate_gain`, the number every
variance-scaling scheme uses. It gives PyTorch's values exactly where
PyTorch defines them and the variance-preserving gain otherwise (checked
against adaptive quadrature and closed forms), accepts any callable, and
refuses unknown names and parameters with messages; every name lookup built
on it (`calculate_gain`, He's `nonlinearity`, `Critical`) finds
keras_initact's activations under any spelling or alias."""

import math

import keras
import numpy as np
import pytest

from keras_initact import activations as A
from keras_initact import initializers
from keras_initact.activations import ACTIVATIONS
from keras_initact.initializers import calculate_gain
from keras_initact.math.gains import gaussian_expectation


class TestCalculateGain:
    @pytest.mark.parametrize(
        "name, expected",
        [
            ("linear", 1.0), ("conv1d", 1.0), ("conv2d", 1.0), ("conv3d", 1.0),
            ("conv_transpose1d", 1.0), ("conv_transpose2d", 1.0),
            ("conv_transpose3d", 1.0), ("sigmoid", 1.0), ("tanh", 5.0 / 3.0),
            ("relu", math.sqrt(2.0)), ("selu", 0.75),
            ("leaky_relu", math.sqrt(2.0 / (1.0 + 0.01**2))),
        ],
    )
    def test_pytorch_values_exactly(self, name, expected):
        assert calculate_gain(name) == expected

    def test_leaky_relu_slope_parameter(self):
        assert calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
        assert calculate_gain("leaky_relu", 0) == math.sqrt(2.0)

    def test_other_activations_get_the_variance_preserving_gain(self):
        # Reference by adaptive quadrature (SciPy), independent of Gauss-Hermite.
        from scipy import integrate, special, stats

        def gelu_squared_density(z):
            return (0.5 * z * (1.0 + special.erf(z / math.sqrt(2.0)))) ** 2 * (
                stats.norm.pdf(z)
            )

        second_moment, _ = integrate.quad(gelu_squared_density, -np.inf, np.inf)
        assert calculate_gain("gelu") == pytest.approx(
            1.0 / math.sqrt(second_moment), rel=1e-3
        )

    def test_quadrature_reproduces_the_closed_forms(self):
        relu = keras.activations.relu
        # E[relu(z)^2] = 1/2, so the callable route gives He's sqrt(2).
        assert calculate_gain(relu) == pytest.approx(math.sqrt(2.0), abs=1e-9)
        # E[tanh(z)^2] = 0.394294...; E[z^4] = 3 checks the quadrature itself.
        assert gaussian_expectation(lambda z: z**4) == pytest.approx(3.0)
        assert calculate_gain(keras.activations.tanh) == pytest.approx(
            1.0 / math.sqrt(0.3942944903978), rel=1e-6
        )

    def test_user_callables_and_unhashable_callables(self):
        class Scaled:
            __hash__ = None

            def __call__(self, x):
                return 2.0 * x

        assert calculate_gain(lambda x: 3.0 * x) == pytest.approx(1.0 / 3.0)
        assert calculate_gain(Scaled()) == pytest.approx(0.5)

    def test_unknown_names_list_the_known_ones(self):
        with pytest.raises(ValueError, match="Unknown nonlinearity 'rleu'.*relu"):
            calculate_gain("rleu")

    def test_param_only_for_leaky_relu(self):
        with pytest.raises(ValueError, match="only applies to 'leaky_relu'"):
            calculate_gain("tanh", 0.5)
        with pytest.raises(ValueError, match="negative slope, must be a finite"):
            calculate_gain("leaky_relu", "steep")

    @pytest.mark.parametrize("param", [float("nan"), float("inf"),
                                       float("-inf")])
    def test_a_non_finite_leaky_relu_slope_is_refused(self, param):
        with pytest.raises(ValueError, match=r"`param` must be finite; "
                                             rf"received param={param}"):
            calculate_gain("leaky_relu", param)

    def test_an_activation_that_is_identically_zero_has_no_gain(self):
        with pytest.raises(ValueError, match="not a positive finite number"):
            calculate_gain(lambda x: 0.0 * x)


def test_calculate_gain_and_he_initializers_find_our_activations():
    assert initializers.calculate_gain("silu") == ACTIVATIONS["swish"].gain
    assert initializers.calculate_gain("prelu") == pytest.approx(
        math.sqrt(2.0), rel=1e-3
    )
    init = initializers.HeNormal(nonlinearity="snake")
    assert init.gain == ACTIVATIONS["snake"].gain


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

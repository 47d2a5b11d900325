"""keras_initact.deep.shaping: TAT and DKS for smooth activations. Every
smooth registry activation's transformation meets TAT's (and DKS's) four
conditions, computed independently (quadrature of the shaped function and of
its finite-difference derivatives); units that cannot be shaped say why;
the methods are data (each gives its conditions, and its output-shift rule
meets them); bad arguments are refused."""

import math

import numpy as np
import pytest

from keras_initact.activations import ACTIVATIONS
from keras_initact.deep.kernel_maps import (
    LocalMaps, hermite_coefficients, local_maps,
)
from keras_initact.deep.shaping import (
    DKS, TAT, ActivationTransform, dks_transform, tat_transform,
)

from deep_references import NODES, expect


# exp cannot be shaped: with C'(1) = Q'(1) = 1 its q-map gives
# Q(1) = (e^(a^2) - 1) / a^2 > 1 for every input scale a (a test below).
SMOOTH = sorted(name for name, spec in ACTIVATIONS.items()
                if spec.smooth and name != "exponential")


def direct_maps(f, h=1e-3):
    """Q(1), Q'(1), C'(1), C''(1) of `f` from quadrature and central
    differences, independent of the Hermite series."""
    z = NODES
    first = (f(z + h) - f(z - h)) / (2 * h)
    second = (f(z + h) - 2 * f(z) + f(z - h)) / h**2
    q = expect(f(z) ** 2)
    q_slope = (expect(f(math.sqrt(1 + h) * z) ** 2)
               - expect(f(math.sqrt(1 - h) * z) ** 2)) / (2 * h)
    return q, q_slope, expect(first**2) / q, expect(second**2) / q


def numpy_activation(name):
    def f(x):
        return np.asarray(ACTIVATIONS.spec(name).activation(x), np.float64)
    return f


class TestTatTransform:
    @pytest.mark.parametrize("name", SMOOTH)
    def test_meets_tat_conditions_for_every_smooth_activation(self, name):
        depth, tau = 60, 0.3
        transform = tat_transform(ACTIVATIONS.spec(name).activation, depth, tau)
        assert transform.input_scale > 0 and transform.output_scale > 0
        q, q_slope, c_slope, c_curvature = direct_maps(
            transform(numpy_activation(name)))
        assert q == pytest.approx(1.0, abs=1e-6)
        assert q_slope == pytest.approx(1.0, abs=1e-4)
        assert c_slope == pytest.approx(1.0, abs=1e-4)
        assert c_curvature * depth == pytest.approx(tau, rel=2e-3)

    def test_the_exponential_cannot_be_shaped_and_says_so(self):
        with pytest.raises(ValueError, match="no transformation of "
                                             "exponential reaches C''"):
            tat_transform(ACTIVATIONS.spec("exponential").activation, 60)

    def test_gelu_at_depth_60_is_nearly_linear_with_a_shifted_input(self):
        t = tat_transform(ACTIVATIONS.spec("gelu").activation, 60)
        assert 0.05 < t.input_scale < 0.1 and 0.2 < t.input_shift < 0.5
        deeper = tat_transform(ACTIVATIONS.spec("gelu").activation, 240)
        assert deeper.input_scale < t.input_scale  # deeper: closer to linear

    def test_sigmoid_and_tanh_shape_into_the_same_unit(self):
        # sigmoid(x) = (1 + tanh(x / 2)) / 2: TAT's conditions fix the unit,
        # not the parametrization.
        x = np.linspace(-40, 40, 81)
        units = [tat_transform(ACTIVATIONS.spec(n).activation, 60)(
            numpy_activation(n))(x) for n in ("sigmoid", "tanh")]
        np.testing.assert_allclose(units[0], units[1], atol=1e-6)

    def test_of_mirrored_solutions_the_positive_shift_wins(self):
        # tanh is odd: (a, b, d) and (a, -b, -d) are both solutions.
        t = tat_transform(ACTIVATIONS.spec("tanh").activation, 60)
        mirror = ActivationTransform(t.input_scale, -t.input_shift,
                                     -t.output_shift, t.output_scale)
        maps = direct_maps(mirror(np.tanh))
        assert maps[0] == pytest.approx(1.0, abs=1e-6)
        assert maps[3] * 60 == pytest.approx(0.3, rel=2e-3)
        assert t.input_shift > 0

    def test_smaller_tau_is_closer_to_linear(self):
        gelu = ACTIVATIONS.spec("gelu").activation
        assert (tat_transform(gelu, 60, tau=0.1).input_scale
                < tat_transform(gelu, 60, tau=0.3).input_scale)

    def test_a_kink_is_refused(self):
        with pytest.raises(ValueError, match="selu is not smooth enough"):
            tat_transform(ACTIVATIONS.spec("selu").activation, 60)
        with pytest.raises(ValueError, match="no transformation of relu"):
            tat_transform(ACTIVATIONS.spec("relu").activation, 60)

    @pytest.mark.parametrize("kwargs, message", [
        ({"depth": 0}, "tat_transform: `depth` must be a positive integer; "
                       "received depth=0"),
        ({"depth": 2.5}, "depth=2.5"),
        ({"depth": True}, "depth=True"),
        ({"tau": 0.0}, "`tau` must be positive; received tau=0.0"),
        ({"tau": -1}, "tau=-1"),
        ({"tau": float("nan")}, "tau=nan"),
        ({"tau": "0.3"}, "tau='0.3'"),
    ])
    def test_bad_arguments(self, kwargs, message):
        arguments = {"depth": 60, "tau": 0.3, **kwargs}
        with pytest.raises(ValueError, match=message):
            tat_transform(np.tanh, **arguments)


class TestDksTransform:
    @pytest.mark.parametrize("name", SMOOTH)
    def test_meets_dks_conditions_for_every_smooth_activation(self, name):
        depth, zeta = 50, 1.5
        transform = dks_transform(ACTIVATIONS.spec(name).activation, depth, zeta)
        assert transform.input_scale > 0 and transform.output_scale > 0
        shaped = transform(numpy_activation(name))
        q, q_slope, c_slope, _ = direct_maps(shaped)
        assert q == pytest.approx(1.0, abs=1e-6)
        assert q_slope == pytest.approx(1.0, abs=1e-4)
        assert expect(shaped(NODES)) ** 2 / q == pytest.approx(0.0, abs=1e-9)  # C(0)
        assert c_slope ** depth == pytest.approx(zeta, rel=1e-3)

    def test_the_exponential_cannot_be_shaped_and_says_so(self):
        with pytest.raises(ValueError, match="no transformation of exponential "
                                             r"reaches C'\(1\) = zeta"):
            dks_transform(ACTIVATIONS.spec("exponential").activation, 50)

    def test_sigmoid_and_tanh_shape_into_the_same_unit(self):
        x = np.linspace(-40, 40, 81)
        units = [dks_transform(ACTIVATIONS.spec(n).activation, 50)(
            numpy_activation(n))(x) for n in ("sigmoid", "tanh")]
        np.testing.assert_allclose(units[0], units[1], atol=1e-6)

    def test_a_smaller_zeta_or_a_deeper_network_is_closer_to_linear(self):
        tanh = ACTIVATIONS.spec("tanh").activation
        assert (dks_transform(tanh, 50, zeta=1.2).input_scale
                < dks_transform(tanh, 50, zeta=1.5).input_scale)
        assert (dks_transform(tanh, 200).input_scale
                < dks_transform(tanh, 50).input_scale)

    def test_differs_from_tat(self):
        # DKS centres the unit (C(0) = 0); TAT fixes C'(1) = 1 instead.
        gelu = ACTIVATIONS.spec("gelu").activation
        dks, tat = dks_transform(gelu, 50), tat_transform(gelu, 50)
        dks_maps, tat_maps = local_maps(dks(gelu)), local_maps(tat(gelu))
        assert dks_maps.c_zero == pytest.approx(0.0, abs=1e-12)
        assert dks_maps.c_slope == pytest.approx(1.5 ** (1 / 50))
        assert tat_maps.c_zero > 1e-3 and tat_maps.c_slope == pytest.approx(1.0)

    @pytest.mark.parametrize("kwargs, message", [
        ({"depth": 0}, "dks_transform: `depth` must be a positive integer; "
                       "received depth=0"),
        ({"zeta": 1.0}, r"zeta must be > 1 .*received zeta=1.0"),
        ({"zeta": 0.5}, "zeta=0.5"),
        ({"zeta": float("inf")}, "dks_transform: `zeta` must be finite; "
                                 "received zeta=inf"),
        ({"zeta": "1.5"}, "zeta='1.5'"),
    ])
    def test_bad_arguments(self, kwargs, message):
        arguments = {"depth": 50, "zeta": 1.5, **kwargs}
        with pytest.raises(ValueError, match=message):
            dks_transform(np.tanh, **arguments)


class TestMethodsAreData:
    def test_each_method_gives_its_conditions(self):
        assert TAT.output_shift.formula == "C'(1) = 1"
        assert TAT.goal.quantity == "c_curvature"
        assert TAT.goal.target(0.3, 60) == pytest.approx(0.005)
        assert DKS.output_shift.formula == "C(0) = 0"
        assert DKS.goal.quantity == "c_slope"
        assert DKS.goal.target(1.5, 50) == pytest.approx(1.5 ** (1 / 50))
        for method in (TAT, DKS):
            assert [c.quantity for c in method.solved] == ["q_slope",
                                                           method.goal.quantity]

    def test_the_output_shift_rules_meet_their_conditions(self):
        c = hermite_coefficients(lambda z: np.tanh(0.7 * z + 0.3))
        for sign in TAT.output_shift.signs:
            centred = c.copy()
            centred[0] = sign * TAT.output_shift.size(c)
            assert LocalMaps.from_coefficients(centred).c_slope == \
                pytest.approx(1.0)
        centred = c.copy()
        centred[0] = DKS.output_shift.size(c)
        assert LocalMaps.from_coefficients(centred).c_zero == 0.0

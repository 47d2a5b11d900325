"""keras_initact.deep.kernel_maps: a unit's local Q and C maps from its
Hermite expansion. The coefficients of a polynomial are exact, the maps of
polynomials are their closed forms, tanh's match direct quadrature with
analytic derivatives, and `LocalMaps.from_coefficients` reads the series."""

import math

import numpy as np
import pytest

from keras_initact.deep.kernel_maps import (
    LocalMaps, hermite_coefficients, local_maps,
)

from deep_references import NODES, expect


class TestHermiteSeries:
    def test_coefficients_of_a_polynomial_are_exact(self):
        # z^3 = He_3 + 3 He_1, and He_3 / sqrt(3!) is the unit basis vector.
        c = hermite_coefficients(lambda z: z**3, order=6)
        np.testing.assert_allclose(c, [0, 3, 0, math.sqrt(6), 0, 0, 0],
                                   atol=1e-10)

    def test_local_maps_of_polynomials(self):
        identity = local_maps(lambda z: z)
        assert (identity.q, identity.q_slope, identity.c_slope,
                identity.c_curvature, identity.c_zero) == pytest.approx(
            (1, 1, 1, 0, 0), abs=1e-10)
        # f = z^2: Q(q) = E[q^2 z^4] = 3 q^2, so Q'(1) = 6; C(c) = (2c^2 + 1)/3.
        square = local_maps(lambda z: z**2)
        assert square.q == pytest.approx(3)
        assert square.q_slope == pytest.approx(6)
        assert square.c_zero == pytest.approx(1 / 3)
        assert square.c_slope == pytest.approx(4 / 3)
        assert square.c_curvature == pytest.approx(4 / 3)

    def test_local_maps_of_tanh_match_direct_quadrature(self):
        maps = local_maps(np.tanh)
        z = NODES
        sech2 = 1 / np.cosh(z) ** 2
        q = expect(np.tanh(z) ** 2)
        assert maps.q == pytest.approx(q, rel=1e-9)
        assert maps.c_slope == pytest.approx(expect(sech2**2) / q, rel=1e-7)
        assert maps.c_curvature == pytest.approx(
            expect((2 * np.tanh(z) * sech2) ** 2) / q, rel=1e-6)
        # Stein: Q'(1) = E[f f' z] = E[f'^2 + f f''].
        assert maps.q_slope == pytest.approx(
            expect(sech2**2 - 2 * np.tanh(z) ** 2 * sech2), rel=1e-7)
        assert maps.c_zero == pytest.approx(0, abs=1e-12)  # tanh is odd

    def test_from_coefficients_reads_the_series(self):
        maps = LocalMaps.from_coefficients([0.5, 0.0, 1.0])
        assert maps.q == pytest.approx(1.25)
        assert maps.c_zero == pytest.approx(0.25 / 1.25)
        assert maps.q_slope == pytest.approx(2 + math.sqrt(2) * 0.5)

"""keras_initact.initializers.sinusoidal: Sinusoidal gives the paper's
values exactly (a NumPy reference written from it), with Glorot's variance
and distinct units."""

import math

import numpy as np
import pytest

from keras_initact import initializers as inits

from sample_moments import as_numpy


class TestDeterministicSchemes:
    @pytest.mark.parametrize("shape", [(5, 7), (12, 4), (3, 3, 2, 4), (3, 2, 6)])
    def test_sinusoidal_matches_the_paper(self, shape):
        c_in, c_out = shape[-2:]
        n_in = c_in * math.prod(shape[:-2])
        j = np.arange(n_in)
        i = np.arange(c_out)[:, None]
        s = np.sin((i + 1) * (2 * np.pi * j / n_in + 2 * np.pi / c_out))
        a = math.sqrt(2.0 / (s.var(ddof=1) * (n_in + c_out)))
        reference = (a * s).reshape(c_out, c_in, *shape[:-2])
        reference = np.moveaxis(reference, (0, 1), (-1, -2))
        np.testing.assert_allclose(
            as_numpy(inits.Sinusoidal()(shape, "float64")), reference, rtol=1e-10,
            atol=1e-12,
        )

    def test_sinusoidal_has_glorot_variance_and_distinct_units(self):
        w = as_numpy(inits.Sinusoidal()((100, 50)))
        assert w.var(ddof=1) == pytest.approx(2.0 / 150.0, rel=1e-4)
        assert len({tuple(np.round(col, 6)) for col in w.T}) == 50

"""keras_initact.initializers.zer_o: ZerO gives the identity, or a scaled
Sylvester-Hadamard matrix where the outputs outnumber the inputs (a NumPy
reference written from the paper), and puts that matrix at a convolution's
centre tap."""

import math

import numpy as np
import pytest

from keras_initact import initializers as inits

from sample_moments import as_numpy


class TestDeterministicSchemes:
    @staticmethod
    def sylvester(i, j):
        return (-1.0) ** bin(i & j).count("1")

    @pytest.mark.parametrize("inputs, outputs", [(6, 4), (4, 4), (3, 5), (8, 16)])
    def test_zer_o_dense(self, inputs, outputs):
        w = as_numpy(inits.ZerO()((inputs, outputs)))
        if outputs <= inputs:
            np.testing.assert_array_equal(w, np.eye(inputs, outputs))
        else:
            p = 2 ** math.ceil(math.log2(outputs))
            expected = np.array([[self.sylvester(i, j) for j in range(outputs)]
                                 for i in range(inputs)]) / math.sqrt(p)
            np.testing.assert_allclose(w, expected, atol=1e-7)

    def test_zer_o_conv_has_the_matrix_at_the_centre(self):
        w = as_numpy(inits.ZerO()((3, 3, 3, 5)))
        np.testing.assert_allclose(w[1, 1], as_numpy(inits.ZerO()((3, 5))))
        w[1, 1] = 0
        assert not w.any()

"""keras_initact.initializers.orthogonal: Orthogonal and DeltaOrthogonal.
The rows or columns are orthonormal times the gain (Haar entries have
variance one over the rows), 16-bit dtypes are computed in float32, and a
delta-orthogonal kernel has the orthogonal matrix at its centre tap and
zeros elsewhere."""

import keras
import numpy as np
import pytest

from keras_initact import initializers as inits

from sample_moments import as_numpy, assert_moments


class TestOrthogonal:
    @pytest.mark.parametrize("shape", [(64, 64), (96, 32), (32, 96), (3, 3, 8, 16)])
    def test_orthonormal_rows_or_columns_times_gain(self, shape):
        w = as_numpy(inits.Orthogonal(gain=1.3, seed=8)(shape))
        matrix = w.reshape(-1, shape[-1])
        small = min(matrix.shape)
        gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else (
            matrix @ matrix.T
        )
        np.testing.assert_allclose(gram, 1.69 * np.eye(small), atol=1e-5)

    def test_haar_entries_have_variance_one_over_rows(self):
        # Entries of a Haar orthogonal n x n matrix have mean 0, variance 1/n.
        w = np.stack([as_numpy(inits.Orthogonal(seed=s)((64, 64))) for s in range(8)])
        assert_moments(w, 0.0, 1.0 / 64)

    def test_sixteen_bit_dtypes_are_computed_in_float32(self):
        w = inits.Orthogonal(seed=0)((32, 32), "bfloat16")
        assert keras.backend.standardize_dtype(w.dtype) == "bfloat16"
        gram = as_numpy(w).T @ as_numpy(w)
        np.testing.assert_allclose(gram, np.eye(32), atol=0.05)

    def test_delta_orthogonal_centre_tap_and_zeros_elsewhere(self):
        shape = (3, 5, 8, 16)
        w = as_numpy(inits.DeltaOrthogonal(gain=2.0, seed=9)(shape))
        centre = w[1, 2]
        np.testing.assert_allclose(centre @ centre.T, 4.0 * np.eye(8), atol=1e-5)
        w[1, 2] = 0.0
        assert not w.any()

    def test_delta_orthogonal_even_kernels_and_conv1d(self):
        w = as_numpy(inits.DeltaOrthogonal(seed=1)((4, 6, 6)))
        assert np.count_nonzero(w[[0, 2, 3]]) == 0  # centre (4 - 1) // 2 = 1
        np.testing.assert_allclose(w[1] @ w[1].T, np.eye(6), atol=1e-5)

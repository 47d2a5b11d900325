"""keras_initact.initializers.sparse: Sparse (PyTorch's `sparse_`) zeroes
exactly the asked fraction of each row, at random places, and is seeded and
derived like every random scheme."""

import keras
import numpy as np
import pytest
from scipy import stats

from keras_initact import initializers as inits


def test_sparse_zeroes_exactly_the_fraction_of_each_row_at_random_places():
    kernel = keras.ops.convert_to_numpy(inits.Sparse(0.75, seed=3)((200, 16)))
    np.testing.assert_array_equal((kernel == 0).sum(axis=1), 12)
    # every output is as likely to be cut: 200 * 12/16 = 150 zeros per column
    per_column = (kernel == 0).sum(axis=0)
    assert stats.chisquare(per_column).pvalue > 1e-3
    assert (kernel[kernel != 0].std()) == pytest.approx(0.01, rel=0.1)


def test_sparse_is_seeded_and_derived_like_every_random_scheme():
    first = keras.ops.convert_to_numpy(inits.Sparse(0.5, seed=4)((6, 8)))
    again = keras.ops.convert_to_numpy(inits.Sparse(0.5, seed=4)((6, 8)))
    other = keras.ops.convert_to_numpy(inits.Sparse(0.5, seed=4).derive(1)((6, 8)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first == 0, other == 0)
    assert inits.Sparse.from_config(inits.Sparse(0.5, 0.2, seed=4).get_config()) \
        .get_config() == {"sparsity": 0.5, "stddev": 0.2, "seed": 4}
    assert np.all(keras.ops.convert_to_numpy(inits.Sparse(0.0, seed=1)((4, 4))))
    assert not np.any(keras.ops.convert_to_numpy(inits.Sparse(1.0, seed=1)((4, 4))))

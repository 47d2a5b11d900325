"""keras_initact.initializers.identity: Identity (Dirac for convolutions)
is the rectangular identity times the gain for dense kernels, and makes a
convolution pass its input through, group by group."""

import keras
import numpy as np

from keras_initact import initializers as inits

from sample_moments import as_numpy


class TestDeterministicSchemes:
    def test_identity_dense_rectangular(self):
        w = as_numpy(inits.Identity(gain=0.5)((3, 5)))
        expected = np.zeros((3, 5))
        expected[np.arange(3), np.arange(3)] = 0.5
        np.testing.assert_array_equal(w, expected)

    def test_dirac_conv_passes_the_input_through(self):
        conv = keras.layers.Conv2D(
            4, 3, padding="same", use_bias=False, kernel_initializer=inits.Dirac()
        )
        x = np.random.default_rng(0).standard_normal((2, 5, 5, 4)).astype("float32")
        np.testing.assert_allclose(as_numpy(conv(x)), x, atol=1e-6)

    def test_dirac_grouped_conv(self):
        conv = keras.layers.Conv2D(
            8, 3, padding="same", groups=2, use_bias=False,
            kernel_initializer=inits.Identity(groups=2),
        )
        x = np.random.default_rng(1).standard_normal((1, 4, 4, 4)).astype("float32")
        y = as_numpy(conv(x))
        # Group g maps its 2 inputs to the first 2 of its 4 outputs.
        np.testing.assert_allclose(y[..., [0, 1, 4, 5]], x, atol=1e-6)
        assert not y[..., [2, 3, 6, 7]].any()

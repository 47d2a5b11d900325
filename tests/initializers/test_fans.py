"""keras_initact.initializers.fans: `compute_fans`, the fans every
variance-scaling scheme divides by, for every kernel layout (Keras's for the
standard one, the true fans of transposed and depthwise convolutions, and
EinsumDense's axes); it refuses non-positive dimensions, unknown layouts and
half-given axes."""

import keras
import pytest

from keras_initact.initializers import compute_fans


class TestComputeFans:
    @pytest.mark.parametrize(
        "shape, layout, expected",
        [
            ((), "standard", (1, 1)),
            ((7,), "standard", (7, 7)),
            ((5, 3), "standard", (5, 3)),                    # Dense (in, out)
            ((3, 4, 8), "standard", (12, 24)),               # Conv1D
            ((3, 3, 4, 8), "standard", (36, 72)),            # Conv2D
            ((2, 3, 3, 4, 8), "standard", (72, 144)),        # Conv3D
            ((3, 3, 8, 4), "conv_transpose", (36, 72)),      # (k, k, out, in)
            ((3, 3, 4, 2), "depthwise", (9, 18)),            # (k, k, in, mult)
        ],
    )
    def test_layouts(self, shape, layout, expected):
        assert compute_fans(shape, layout) == expected

    def test_standard_layout_matches_keras_for_every_rank(self):
        from keras.src.initializers.random_initializers import (
            compute_fans as keras_compute_fans,
        )

        for shape in [(7,), (5, 3), (3, 4, 8), (3, 3, 4, 8), (2, 3, 3, 4, 8)]:
            assert compute_fans(shape) == keras_compute_fans(shape)

    def test_einsum_dense_axes(self):
        # EinsumDense("abc,cde->abde") kernel (c, d, e): in c, out d*e.
        assert compute_fans((16, 4, 8), input_axes=[0], output_axes=[1, 2]) == (
            16, 32,
        )

    def test_fans_match_the_layers_that_own_the_kernels(self):
        conv_t = keras.layers.Conv2DTranspose(8, 3)
        conv_t.build((None, 5, 5, 4))
        # 4 input channels x 9 taps feed each output position.
        assert compute_fans(conv_t.kernel.shape, "conv_transpose")[0] == 36
        depthwise = keras.layers.DepthwiseConv2D(3, depth_multiplier=2)
        depthwise.build((None, 5, 5, 4))
        assert compute_fans(depthwise.kernel.shape, "depthwise") == (9, 18)

    @pytest.mark.parametrize("shape", [(0, 3), (3, -1), (2, None)])
    def test_non_positive_dimensions_are_rejected(self, shape):
        with pytest.raises(ValueError, match="positive integer"):
            compute_fans(shape)

    def test_unknown_layout_and_half_given_axes_are_rejected(self):
        with pytest.raises(ValueError, match="'conv_transposed'.*Did you mean"):
            compute_fans((3, 3, 4, 8), "conv_transposed")
        with pytest.raises(ValueError, match="both `input_axes` and `output_axes`"):
            compute_fans((3, 4), input_axes=[0])
        with pytest.raises(ValueError, match=r"output_axes=\[5\] holds axis 5, outside"):
            compute_fans((3, 4), input_axes=[0], output_axes=[5])

"""PyTorch's `torch.nn.init` tests (test/nn/test_init.py), on our equivalents.

PyTorch checks each random scheme with a Kolmogorov-Smirnov test of the
drawn values against the distribution the formula gives (passing when
p > 1e-4), and the deterministic ones (`calculate_gain`, `eye_`, `dirac_`,
`orthogonal_`) exactly. The same checks run here, with the same sizes,
parameter ranges and thresholds, on our classes. Kernels are in Keras's
layout `(k..., in, out)` where PyTorch's is `(out, in, k...)`, so fans
are read from the other end. Seeds are fixed, so every run draws the same
values.

Where we follow Keras rather than PyTorch, the test says so and checks ours:
- 1-D shapes: Keras's fans (`fan_in = fan_out = n`); PyTorch's Xavier and
  Kaiming raise;
- zero-element shapes: we raise (a layer with no weights is a bug); PyTorch
  warns and does nothing;
- `TruncatedNormal` cuts at `mean +- 2 stddev` (Keras); PyTorch's
  `trunc_normal_` takes absolute bounds `a`, `b` (default -2, 2);
- `Identity` is `eye_` for 2-D kernels and `dirac_` for convolution
  kernels, where PyTorch has two functions that each refuse the other's.
"""

import math
import random

import keras
import numpy as np
import pytest
from scipy import stats

from keras_initact import initializers as I

P_VALUE = 1e-4  # PyTorch's threshold


def values(initializer, shape, dtype="float32"):
    return keras.ops.convert_to_numpy(initializer(shape, dtype)).astype(
        np.float64)


def is_normal(x, mean, std):
    return stats.kstest(x.ravel(), "norm", args=(mean, std)).pvalue > P_VALUE


def is_uniform(x, a, b):
    return stats.kstest(x.ravel(), "uniform", args=(a, b - a)).pvalue > P_VALUE


def is_trunc_normal(x, mean, std, a, b):
    z = (x.ravel() - mean) / std
    bounds = ((a - mean) / std, (b - mean) / std)
    return stats.kstest(z, "truncnorm", args=bounds).pvalue > P_VALUE


@pytest.fixture
def draw():
    """PyTorch's random sizes and parameters, from a fixed seed."""
    generator = random.Random(123)

    class Draw:
        @staticmethod
        def shape(dims, size_min, size_max):
            return tuple(generator.randint(size_min, size_max)
                         for _ in range(dims))

        @staticmethod
        def number(a, b):
            return (b - a) * generator.random() + a

    return Draw


def keras_fans(shape):
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


# --- calculate_gain ---------------------------------------------------------


@pytest.mark.parametrize("name", ["linear", "conv1d", "conv2d", "conv3d",
                                  "conv_transpose2d", "conv_transpose3d"])
def test_calculate_gain_linear(name):
    assert I.calculate_gain(name) == 1


@pytest.mark.parametrize("name, gain", [
    ("sigmoid", 1), ("tanh", 1.6666666666666667), ("relu", 1.4142135623730951),
    ("leaky_relu", 1.4141428569978354), ("selu", 0.75)])
def test_calculate_gain_nonlinear(name, gain):
    assert I.calculate_gain(name) == gain


@pytest.mark.parametrize("param, gain", [
    (None, 1.4141428569978354), (0, 1.4142135623730951),
    (0.01, 1.4141428569978354), (10, 0.14071950894605836)])
def test_calculate_gain_leaky_relu(param, gain):
    assert I.calculate_gain("leaky_relu", param) == gain


@pytest.mark.parametrize("param", [True, [1], {"a": "b"}])
def test_calculate_gain_leaky_relu_only_accepts_numbers(param):
    with pytest.raises(ValueError, match="param"):
        I.calculate_gain("leaky_relu", param)


@pytest.mark.parametrize("length", [2, 5, 25])
def test_calculate_gain_only_accepts_valid_nonlinearities(length):
    generator = random.Random(length)
    name = "".join(generator.choice("abcdefghijklmnopqrstuvwxyz")
                   for _ in range(length))
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        I.calculate_gain(name)


# --- distributions ----------------------------------------------------------


@pytest.mark.parametrize("dims", [1, 2, 4])
def test_uniform(draw, dims):
    shape = draw.shape(dims, 30, 50)
    a = draw.number(-3, 3)
    b = a + draw.number(1, 5)
    assert is_uniform(values(I.RandomUniform(a, b, seed=dims), shape), a, b)


@pytest.mark.parametrize("dims", [1, 2, 4])
def test_normal(draw, dims):
    shape = draw.shape(dims, 30, 50)
    mean, std = draw.number(-3, 3), draw.number(1, 5)
    x = values(I.RandomNormal(mean, std, seed=dims), shape)
    assert is_normal(x, mean, std)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dims", [1, 2, 4])
def test_trunc_normal_all_dtypes(draw, dims, dtype):
    """Keras's cut-offs, `mean +- 2 std`, where PyTorch's are absolute."""
    shape = draw.shape(dims, 30, 50)
    mean, std = draw.number(-3, 3), draw.number(0.01, 1)
    x = values(I.TruncatedNormal(mean, std, seed=dims), shape, dtype)
    a, b = mean - 2 * std, mean + 2 * std
    assert a <= x.min() and x.max() <= b
    assert is_trunc_normal(x, mean, std, a, b)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_trunc_normal_low_precision(dtype):
    x = values(I.TruncatedNormal(0.0, 1.0, seed=0), (10000,), dtype)
    assert -2.0 <= x.min() and x.max() <= 2.0
    assert is_trunc_normal(x, 0.0, 1.0, -2.0, 2.0)


@pytest.mark.parametrize("dtype, min_unique", [
    ("float32", 5000), ("float64", 5000), ("float16", 3000),
    ("bfloat16", 1000)])
def test_trunc_normal_unique_values(dtype, min_unique):
    x = values(I.TruncatedNormal(0.0, 1.0, seed=0), (10000,), dtype)
    assert np.isfinite(x).all()
    assert len(np.unique(x)) > min_unique


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16",
                                   "bfloat16"])
def test_trunc_normal_no_boundary_values_small_std(dtype):
    x = values(I.TruncatedNormal(0.0, 0.1, seed=0), (10000,), dtype)
    assert not np.any(np.abs(x) == 2.0)


@pytest.mark.parametrize("dims", [1, 2, 4])
def test_constant(draw, dims):
    shape = draw.shape(dims, 1, 5)
    value = draw.number(1, 10)
    np.testing.assert_array_equal(values(I.Constant(value), shape),
                                  np.full(shape, np.float32(value)))


@pytest.mark.parametrize("initializer, value", [(I.Ones(), 1), (I.Zeros(), 0)])
@pytest.mark.parametrize("dims", [1, 2, 4])
def test_ones_and_zeros(draw, initializer, value, dims):
    shape = draw.shape(dims, 1, 5)
    np.testing.assert_array_equal(values(initializer, shape),
                                  np.full(shape, value))


# --- eye and dirac ------------------------------------------------------------


def test_eye(draw):
    shape = draw.shape(2, 1, 5)
    np.testing.assert_array_equal(values(I.Identity(), shape), np.eye(*shape))


def test_eye_needs_at_least_a_2d_kernel():
    with pytest.raises(ValueError, match="rank >= 2"):
        I.Identity()((3,))


def test_eye_of_a_3d_kernel_is_dirac():
    """PyTorch's `eye_` refuses 3-D tensors; our Identity is Dirac there."""
    x = values(I.Identity(), (3, 2, 2))
    np.testing.assert_array_equal(x[1], np.eye(2))
    assert np.count_nonzero(x) == 2


@pytest.mark.parametrize("groups", [1, 2, 3])
@pytest.mark.parametrize("dims", [3, 4, 5])
def test_dirac_properties(draw, dims, groups):
    a, c, d, e = (draw.shape(1, 1, 5)[0] for _ in range(4))
    b = draw.shape(1, 1, 5 * groups)[0]
    torch_shape = (a * groups, b, c, d, e)[:dims]  # (out, in, k...)
    shape = torch_shape[2:] + (b, a * groups)  # Keras: (k..., in, out)
    x = values(I.Identity(groups=groups), shape)
    smallest = min(a, b)  # per group: min(out / groups, in)
    assert np.count_nonzero(x) == smallest * groups
    assert x.sum() == smallest * groups


@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("spatial_dims", [1, 2, 3])
def test_dirac_identity(spatial_dims, groups):
    """A Dirac kernel copies each group's inputs to the group's first
    outputs (a 'valid' convolution crops the border) and zeroes the rest."""
    batch, in_c, out_c, size, kernel_size = 8, 3, 9, 5, 3
    per_group = out_c // groups
    x = np.random.default_rng(0).normal(
        size=(batch,) + (size,) * spatial_dims + (in_c,)).astype("float32")
    kernel = I.Identity(groups=groups)(
        (kernel_size,) * spatial_dims + (in_c, out_c))
    y = keras.ops.convert_to_numpy(keras.ops.conv(x, kernel, padding="valid"))
    cropped = x[(slice(None),) + (slice(1, -1),) * spatial_dims]
    for g in range(groups):
        start = per_group * g
        np.testing.assert_allclose(y[..., start:start + in_c], cropped,
                                   rtol=1e-6, atol=1e-6)
        assert not np.any(y[..., start + in_c:per_group * (g + 1)])


def test_dirac_of_a_2d_kernel_is_eye():
    """PyTorch's `dirac_` refuses 2-D tensors; our Identity is eye there."""
    np.testing.assert_array_equal(values(I.Identity(), (3, 3)), np.eye(3))


# --- Xavier and Kaiming -------------------------------------------------------


@pytest.mark.parametrize("cls", [I.GlorotUniform, I.GlorotNormal, I.HeUniform,
                                 I.HeNormal])
def test_1d_shapes_get_keras_fans(cls):
    """PyTorch's Xavier and Kaiming raise on fewer than 2 dimensions; ours,
    as Keras's, treat a vector `(n,)` as `fan_in = fan_out = n`."""
    assert I.compute_fans((7,)) == (7, 7)
    assert values(cls(seed=0), (7,)).shape == (7,)


@pytest.mark.parametrize("cls", [I.GlorotUniform, I.HeNormal, I.Orthogonal,
                                 I.Zeros])
def test_zero_element_shapes_raise(cls):
    """PyTorch warns "Initializing zero-element tensors is a no-op"; a layer
    without weights is almost always a bug, so ours raise."""
    with pytest.raises(ValueError, match="positive integer"):
        cls()((0, 1))


def _xavier_case(draw, use_gain, dims):
    shape = draw.shape(dims, 20, 25)
    gain = draw.number(0.1, 2) if use_gain else 1.0
    fan_in, fan_out = keras_fans(shape)
    return shape, gain, gain * math.sqrt(2.0 / (fan_in + fan_out))


@pytest.mark.parametrize("dims", [2, 4])
@pytest.mark.parametrize("use_gain", [True, False])
def test_xavier_uniform(draw, use_gain, dims):
    shape, gain, std = _xavier_case(draw, use_gain, dims)
    x = values(I.XavierUniform(gain=gain, seed=dims), shape)
    assert is_uniform(x, -std * math.sqrt(3), std * math.sqrt(3))


@pytest.mark.parametrize("dims", [2, 4])
@pytest.mark.parametrize("use_gain", [True, False])
def test_xavier_normal(draw, use_gain, dims):
    shape, gain, std = _xavier_case(draw, use_gain, dims)
    x = values(I.XavierNormal(gain=gain, truncated=False, seed=dims), shape)
    assert is_normal(x, 0.0, std)


def _kaiming_case(draw, use_a, dims, mode):
    shape = draw.shape(dims, 20, 25)
    a = draw.number(0.1, 2) if use_a else 0.0
    fan_in, fan_out = keras_fans(shape)
    n = fan_in if mode == "fan_in" else fan_out
    arguments = dict(mode=mode, nonlinearity="leaky_relu", param=a, seed=dims)
    return shape, math.sqrt(2.0 / ((1 + a**2) * n)), arguments


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("dims", [2, 4])
@pytest.mark.parametrize("use_a", [True, False])
def test_kaiming_uniform(draw, use_a, dims, mode):
    shape, std, arguments = _kaiming_case(draw, use_a, dims, mode)
    x = values(I.KaimingUniform(**arguments), shape)
    assert is_uniform(x, -std * math.sqrt(3), std * math.sqrt(3))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("dims", [2, 4])
@pytest.mark.parametrize("use_a", [True, False])
def test_kaiming_normal(draw, use_a, dims, mode):
    shape, std, arguments = _kaiming_case(draw, use_a, dims, mode)
    x = values(I.KaimingNormal(truncated=False, **arguments), shape)
    assert is_normal(x, 0.0, std)


# --- orthogonal ---------------------------------------------------------------


@pytest.mark.parametrize("torch_shape", [(3, 4), (4, 3), (20, 2, 3, 4),
                                         (2, 3, 4, 5)])
@pytest.mark.parametrize("use_gain", [True, False])
def test_orthogonal(draw, use_gain, torch_shape):
    gain = draw.number(0.1, 2) if use_gain else 1.0
    shape = torch_shape[2:] + torch_shape[1::-1]  # Keras: (k..., in, out)
    flat = values(I.Orthogonal(gain=gain, seed=len(shape)),
                  shape).reshape(-1, shape[-1])
    rows, cols = flat.shape
    gram = flat.T @ flat if rows > cols else flat @ flat.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)) * gain**2,
                               atol=1e-6, rtol=0)


# --- sparse ---------------------------------------------------------------------


@pytest.mark.parametrize("dims", [1, 3])
def test_sparse_only_works_on_2d_inputs(draw, dims):
    initializer = I.Sparse(draw.number(0.1, 0.9), seed=dims)
    with pytest.raises(ValueError, match="2-D kernels"):
        initializer(draw.shape(dims, 1, 3))


@pytest.mark.parametrize("use_random_std", [True, False])
def test_sparse_default_std(draw, use_random_std):
    torch_shape = draw.shape(2, 30, 35)  # (rows = out, cols = in)
    rows = torch_shape[0]
    sparsity = draw.number(0.1, 0.2)
    std = draw.number(0.01, 0.2) if use_random_std else 0.01
    arguments = {"stddev": std} if use_random_std else {}
    kernel = values(I.Sparse(sparsity, **arguments, seed=5),
                    torch_shape[::-1])  # Keras: (in, out)
    for row in kernel:  # PyTorch's column: one input's weights
        assert np.count_nonzero(row == 0) >= math.ceil(sparsity * rows)
    assert is_normal(kernel[kernel != 0], 0, std)

"""`Signal`: a tensor's predicted distribution on Gauss-Hermite nodes, and
the functions that combine, mix and compact signals.

Polynomial moments of a Gaussian signal are exact (the 101-point rule
integrates polynomials of degree up to 201); a function with a kink at 0
(ReLU) is integrated to about 3e-3 on its mean, the second moment of ReLU
exactly (x^2 on the positive nodes of a symmetric rule)."""

import math

import keras
import numpy as np
import pytest

from keras_initact.graph import signal as S
from keras_initact.graph.signal import Signal, combine, compact, mixture

EXACT = dict(rel=1e-12, abs=1e-12)
FLOAT32 = dict(rel=1e-6, abs=1e-6)  # functions are evaluated in float32


@pytest.mark.parametrize("mean, variance", [(0.0, 1.0), (2.0, 0.25),
                                            (-1.5, 9.0), (3.0, 0.0)])
def test_a_gaussian_has_exactly_its_moments(mean, variance):
    x = Signal.gaussian(mean, variance)
    assert x.mean == pytest.approx(mean, **EXACT)
    assert x.second == pytest.approx(variance + mean * mean, **EXACT)
    assert x.variance == pytest.approx(variance, **EXACT)
    assert x.weights.sum() == pytest.approx(1.0, **EXACT)
    assert len(x.values) == S.POINTS


def test_a_gaussians_fourth_moment_is_exact_too():
    x = Signal.gaussian(0.0, 4.0)
    assert np.dot(x.weights, x.values ** 4) == pytest.approx(3 * 16.0,
                                                             rel=1e-12)


def test_of_moments_is_the_gaussian_of_that_mean_and_second_moment():
    x = Signal.of_moments(0.5, 2.0)
    assert (x.mean, x.second) == (pytest.approx(0.5), pytest.approx(2.0))
    assert x.variance == pytest.approx(1.75, **EXACT)


def test_a_negative_variance_is_taken_as_none():
    assert Signal.gaussian(1.0, -1e-9).variance == pytest.approx(0.0,
                                                                 abs=1e-15)


def test_a_constant_is_one_point():
    c = Signal.constant(3.0)
    assert (c.mean, c.second, c.variance) == (3.0, 9.0, 0.0)


def test_each_gaussian_is_a_new_source():
    assert Signal.gaussian(0, 1).source is not Signal.gaussian(0, 1).source
    assert "Source" in repr(Signal.gaussian(0, 1).source)


def test_relu_of_a_standard_normal_has_the_half_normal_moments():
    y = Signal.gaussian(0.0, 1.0).map(keras.ops.relu)
    assert y.second == pytest.approx(0.5, abs=1e-7)
    assert y.mean == pytest.approx(1 / math.sqrt(2 * math.pi), abs=5e-3)


def test_map_of_a_smooth_function_is_its_gaussian_integral():
    # E[tanh(z)^2] for z ~ N(0, 1) (a known constant, 0.394294...) and the
    # exact E[exp(z)] = e^(1/2) of a lognormal.
    x = Signal.gaussian(0.0, 1.0)
    assert x.map(keras.ops.tanh).second == pytest.approx(0.3942944, abs=1e-5)
    assert x.map(keras.ops.exp).mean == pytest.approx(math.exp(0.5),
                                                      rel=1e-5)
    assert x.map(np.square).mean == pytest.approx(1.0, **FLOAT32)


def test_map_keeps_the_source_and_drops_borders():
    x = Signal.gaussian(0.0, 1.0).padded([(6, 1, 1)])
    y = x.map(keras.ops.relu)
    assert y.source is x.source and y.borders is None


def test_affine_scales_and_shifts():
    y = Signal.gaussian(1.0, 4.0).affine(3.0, -2.0)
    assert y.mean == pytest.approx(1.0, **EXACT)  # 3 * 1 - 2
    assert y.variance == pytest.approx(36.0, **EXACT)
    assert y.affine(0.5).variance == pytest.approx(9.0, **EXACT)


def test_standardized_has_zero_mean_and_unit_variance():
    y = Signal.gaussian(2.0, 3.0).map(keras.ops.exp).standardized()
    assert y.mean == pytest.approx(0.0, abs=1e-10)
    assert y.variance == pytest.approx(1.0, rel=1e-10)


def test_standardized_of_a_constant_only_centres_it():
    y = Signal.constant(5.0).standardized()
    assert (y.mean, y.second) == (0.0, 0.0)


def test_gaussianized_keeps_the_moments_in_a_new_source():
    x = Signal.gaussian(0.0, 1.0).map(keras.ops.relu)
    g = x.gaussianized()
    assert (g.mean, g.second) == (pytest.approx(x.mean),
                                  pytest.approx(x.second))
    assert g.source is not x.source and len(g.values) == S.POINTS


def test_independent_is_the_same_distribution_of_a_new_source():
    x = Signal.gaussian(0.0, 2.0)
    y = x.independent()
    np.testing.assert_array_equal(y.values, x.values)
    assert y.source is not x.source


def test_a_product_of_independent_standard_normals_has_second_moment_one():
    x, y = Signal.gaussian(0, 1), Signal.gaussian(0, 1)
    product = combine(lambda a, b: a * b, x, y)
    assert product.mean == pytest.approx(0.0, abs=1e-7)
    assert product.second == pytest.approx(1.0, **FLOAT32)
    assert product.source not in (x.source, y.source)


def test_a_sum_of_independent_signals_adds_their_variances():
    s = combine(lambda a, b: a + b, Signal.gaussian(1, 1),
                Signal.gaussian(2, 3))
    assert s.mean == pytest.approx(3.0, **FLOAT32)
    assert s.variance == pytest.approx(4.0, **FLOAT32)


def test_a_signal_plus_itself_is_twice_it():
    x = Signal.gaussian(0.0, 1.0)
    doubled = combine(lambda a, b: a + b, x, x)
    assert doubled.second == pytest.approx(4.0, **FLOAT32)
    assert doubled.source is x.source


def test_same_source_functions_combine_point_by_point():
    # x * relu(x) = relu(x)^2 on the same variable: E = 1/2, not 0.
    x = Signal.gaussian(0.0, 1.0)
    y = combine(lambda a, b: a * b, x, x.map(keras.ops.relu))
    assert y.mean == pytest.approx(0.5, **FLOAT32)
    # x - x is zero
    assert combine(lambda a, b: a - b, x, x).second == 0.0


def test_constants_pass_through_combine():
    x = Signal.gaussian(0.0, 1.0)
    assert combine(lambda a, b: a * b, x, 3.0).second == pytest.approx(
        9.0, **FLOAT32)


def test_many_independent_sources_are_sampled_reproducibly():
    xs = [Signal.gaussian(0, 1) for _ in range(3)]  # 101^3 > MAX_GRID
    assert S.POINTS ** 3 > S.MAX_GRID
    s = combine(lambda a, b, c: a + b + c, *xs)
    # E[s^2] = 3 with a standard error sqrt(18 / SAMPLES) = 0.021
    assert s.second == pytest.approx(3.0, abs=5 * math.sqrt(18 / S.SAMPLES))
    again = combine(lambda a, b, c: a + b + c, *xs)
    assert again.second == s.second


def test_with_point_mixes_in_a_value():
    y = Signal.gaussian(0.0, 1.0).with_point(5.0, 0.2)
    assert y.mean == pytest.approx(1.0, **EXACT)   # 0.2 * 5
    assert y.second == pytest.approx(5.8, **EXACT)  # 0.8 * 1 + 0.2 * 25
    x = Signal.gaussian(0.0, 1.0)
    assert x.with_point(1.0, 0.0) is x


def test_a_mixture_weighs_its_parts_by_their_fractions():
    m = mixture([Signal.gaussian(1, 1), Signal.gaussian(-1, 4)], [1, 3])
    assert m.mean == pytest.approx(-0.5, **EXACT)
    assert m.second == pytest.approx((2 * 1 + 5 * 3) / 4, **EXACT)


def test_a_mixture_of_many_is_compacted_to_its_gaussian():
    parts = [Signal.gaussian(i, 1.0) for i in range(6)]
    m = mixture(parts, [1] * 6)
    assert len(m.values) == S.POINTS  # 606 > MAX_POINTS
    assert m.mean == pytest.approx(2.5, **EXACT)
    assert m.second == pytest.approx(1 + np.mean(np.arange(6) ** 2), **EXACT)


def test_compact_leaves_a_small_signal_as_it_is():
    x = Signal.gaussian(0, 1).with_point(0.0, 0.5)
    assert compact(x) is x


@pytest.mark.parametrize("count", [1, 2, 4, 9])
def test_maximum_of_follows_the_order_statistic(count):
    draws = np.random.default_rng(count).standard_normal((200_000, count))
    largest = draws.max(axis=1)
    m = Signal.gaussian(0.0, 1.0).maximum_of(count)
    # The discrete order statistic of the 101-node rule is within 1% of
    # the continuous one (E[max of 2] = 1/sqrt(pi)).
    assert m.weights.sum() == pytest.approx(1.0, **EXACT)
    assert m.mean == pytest.approx(largest.mean(), abs=0.01)
    assert m.second == pytest.approx(np.mean(largest ** 2), rel=0.01,
                                     abs=0.01)
    if count == 2:
        assert m.mean == pytest.approx(1 / math.sqrt(math.pi), rel=0.01)


def test_padding_records_borders_and_real_fraction():
    x = Signal.gaussian(0.0, 1.0)
    assert x.borders is None and x.real_fraction == 1.0
    padded = x.padded([(10, 1, 1), (8, 2, 0)])
    assert padded.borders == ((10, 1, 1), (8, 2, 0))
    assert padded.real_fraction == pytest.approx(0.8 * 0.75, **EXACT)
    assert padded.second == x.second  # the moments leave the zeros out


def test_padding_twice_adds_the_borders():
    twice = Signal.gaussian(0, 1).padded([(10, 1, 1)]).padded([(12, 1, 0)])
    assert twice.borders == ((12, 2, 1),)


def test_materialized_mixes_the_zeros_in():
    x = Signal.gaussian(1.0, 1.0)
    assert x.materialized() is x
    m = x.padded([(10, 1, 1)]).materialized()
    assert m.borders is None
    assert m.mean == pytest.approx(0.8, **EXACT)
    assert m.second == pytest.approx(0.8 * 2.0, **EXACT)


def test_mean_square_of_a_tensor():
    mean, second = S.mean_square(keras.ops.convert_to_tensor(
        np.array([[1.0, -3.0], [2.0, 4.0]], dtype="float32")))
    assert (mean, second) == (1.0, 7.5)

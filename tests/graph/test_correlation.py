"""keras_initact.graph.correlation: the correlation between two positions
of one sample, which the walk carries for attention.

An elementwise activation maps it by its centred correlation map (for
ReLU, the arc-cosine kernel of Cho & Saul 2009, exactly); a merge of
independent inputs weights it by their variances; a kernel layer makes its
input's mean an offset every position shares; a layer without a rule
passes its input's on. Measured on a tensor, it is the shared part of the
variance.
"""

import math

import keras
import numpy as np
import pytest

from keras_initact.graph.call import Flow
from keras_initact.graph.correlation import (
    activated_correlation, activation_correlation, linear_correlation,
    merged_correlation, passed_correlation, position_correlation,
)
from keras_initact.graph.signal import Signal


def relu_centred_correlation(rho):
    """Cho & Saul's arc-cosine kernel of degree 1, centred, on N(0, 1)."""
    product = (math.sqrt(1 - rho * rho) + rho * (math.pi - math.acos(rho))) \
        / (2 * math.pi)
    mean_squared = 1 / (2 * math.pi)
    return (product - mean_squared) / (0.5 - mean_squared)


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9, -0.4])
def test_relu_maps_correlation_by_the_arc_cosine_kernel(rho):
    # A Gauss-Hermite rule converges slowly at ReLU's kink: 0.006 at 32
    # points per axis, far below what moves an initialization.
    got = activation_correlation(keras.ops.relu, Signal.gaussian(0.0, 1.0),
                                 rho)
    assert got == pytest.approx(relu_centred_correlation(rho), abs=0.01)


def test_an_odd_linear_part_keeps_correlation_and_tanh_lowers_it_less():
    unit = Signal.gaussian(0.0, 1.0)
    assert activation_correlation(lambda x: 3.0 * x, unit, 0.6) == \
        pytest.approx(0.6, abs=1e-6)
    assert activation_correlation(keras.ops.tanh, unit, 0.6) < 0.6


def test_zero_correlation_stays_zero_without_evaluating():
    assert activation_correlation(None, Signal.gaussian(0.0, 1.0), 0.0) == 0.0


def test_activated_correlation_reads_the_registry():
    unit = Signal.gaussian(0.0, 1.0)
    assert activated_correlation("relu", unit, 0.5) == pytest.approx(
        relu_centred_correlation(0.5), abs=0.01)
    assert activated_correlation("softmax", unit, 0.5) == 0.5
    assert activated_correlation(lambda x: x, unit, 0.5) == 0.5


def test_merges_weight_correlation_by_variance():
    wide, narrow = Signal.gaussian(0.0, 3.0), Signal.gaussian(0.0, 1.0)
    assert merged_correlation([wide, narrow], [0.0, 0.8]) == \
        pytest.approx(0.2)
    flows = [Flow(wide, (None, 4), correlation=0.0),
             Flow(narrow, (None, 4), correlation=0.8)]
    assert passed_correlation(flows) == pytest.approx(0.2)
    assert passed_correlation(flows[1:]) == 0.8
    assert passed_correlation([]) == 0.0


def test_sampled_relu_correlation_agrees():
    rng = np.random.default_rng(0)
    rho = 0.7
    z1, z2 = rng.standard_normal((2, 200_000))
    u, v = z1, rho * z1 + math.sqrt(1 - rho * rho) * z2
    a, b = np.maximum(u, 0), np.maximum(v, 0)
    sampled = np.corrcoef(a, b)[0, 1]
    assert activation_correlation(keras.ops.relu, Signal.gaussian(0, 1),
                                  rho) == pytest.approx(sampled, abs=0.01)


def test_a_kernel_layer_turns_its_inputs_mean_into_a_shared_offset():
    relu = Signal.gaussian(0.0, 1.0).map(keras.ops.relu)
    assert linear_correlation(relu, 0.0) == pytest.approx(
        relu.mean ** 2 / relu.second)
    assert linear_correlation(Signal.gaussian(0.0, 1.0), 0.3) == \
        pytest.approx(0.3)


@pytest.mark.parametrize("rho", [0.0, 0.4, 0.9])
def test_position_correlation_measures_a_shared_part(rho):
    rng = np.random.default_rng(1)
    shared = rng.standard_normal((512, 1, 1, 16))
    own = rng.standard_normal((512, 4, 4, 16))
    x = math.sqrt(rho) * shared + math.sqrt(1 - rho) * own
    assert position_correlation(x) == pytest.approx(rho, abs=0.03)
    assert position_correlation(x[:, 0, 0, :]) == 0.0  # no positions

"""keras_initact.graph.attention: `MultiHeadAttention` with its inputs'
correlation between positions.

Inputs whose positions share a part (`rho` of their variance) keep it
whole through attention's average, so the averaged values' second moment
is `Var[v] * (rho + (1 - rho) * E[sum a^2])`, not the independent
positions' `Var[v] * E[sum a^2]`; after `initialize` sets the output
projection from it, the output has unit second moment, measured, and the
output's correlation is the predicted one.
"""

import math

import keras
import numpy as np
import pytest

from keras_initact.graph.attention import multi_head_attention
from keras_initact.graph.call import Flow, LayerCall
from keras_initact.graph.signal import Signal

LENGTH, WIDTH = 16, 64


def correlated(rho, batch=256, seed=0):
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((batch, 1, WIDTH))
    own = rng.standard_normal((batch, LENGTH, WIDTH))
    return (math.sqrt(rho) * shared + math.sqrt(1 - rho) * own).astype(
        "float32")


def position_correlation(y):
    centred = y - y.mean(axis=0, keepdims=True)
    variance = np.mean(centred ** 2)
    total = centred.sum(axis=1)
    pairs = (np.mean(total ** 2) - LENGTH * variance) / (LENGTH * (LENGTH - 1))
    return pairs / variance


@pytest.fixture(scope="module")
def attention():
    layer = keras.layers.MultiHeadAttention(4, WIDTH // 4)
    x = keras.ops.zeros((1, LENGTH, WIDTH))
    layer(x, x)
    return layer


@pytest.mark.parametrize("rho", [0.0, 0.5])
def test_initialized_attention_has_unit_output_on_correlated_input(
        attention, rho):
    x = correlated(rho)
    flow = Flow(Signal.gaussian(0.0, 1.0), (None, LENGTH, WIDTH),
                correlation=rho)
    call = LayerCall(attention, (flow, flow), {}, training=False,
                     initializing=True, seed=0)
    predicted = multi_head_attention(call)
    assert predicted.second == pytest.approx(1.0, rel=1e-6)
    y = keras.ops.convert_to_numpy(attention(x, x))
    assert np.mean(y * y) == pytest.approx(1.0, rel=0.15)
    assert call.output_correlation == pytest.approx(
        position_correlation(y), abs=0.1)


def test_shared_positions_raise_the_averages_second_moment(attention):
    def value_part(rho):
        flow = Flow(Signal.gaussian(0.0, 1.0), (None, LENGTH, WIDTH),
                    correlation=rho)
        call = LayerCall(attention, (flow, flow), {})
        multi_head_attention(call)
        return call.scales[-1].input_second  # the output projection's input

    independent, shared = value_part(0.0), value_part(0.5)
    assert shared > 3 * independent

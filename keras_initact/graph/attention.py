"""The estimator of `MultiHeadAttention`, positions' correlation included.

For a query, the attention average over `T` positions is
`y = sum_j a_j v_j` with `a = softmax(l)`. With the values' centred part
split into what all positions share (`rho_v` of its variance) and what is
each position's own,

    E[y^2] = E[v]^2 + Var[v] * (rho_v + (1 - rho_v) * E[sum_j a_j^2]),

plus, when keys and values come from the same tokens, the share that
Stein's lemma gives their alignment (`_aligned`), where the logits vary
across keys only by the keys' own parts,
`Var_j[l] = E[q^2] * Var[k] * (1 - rho_k)` (Keras scales the query by
`1/sqrt(head_dim)`), and `E[sum_j a_j^2]` is found by sampling
(`attention_concentration`). Two queries' averages share
`Var[v] * (rho_v + (1 - rho_v) / T)`, which gives the output's `rho`.
"""

import functools
import math

import numpy as np

from keras_initact import keras_adapter
from keras_initact.graph.call import linear_output
from keras_initact.graph.linear import einsum_fan
from keras_initact.graph.signal import Signal


def multi_head_attention(call):
    """`MultiHeadAttention`: the query, key and value projections, then
    the output projection, each to unit second moment from its input's."""
    layer = call.layer
    query = call.argument("query")
    value = call.argument("value")
    key = call.argument("key") or value
    value_rho = call.argument_correlation("value")
    key_rho = call.argument_correlation("key", value_rho)
    query_dense, key_dense, value_dense, output_dense = \
        keras_adapter.attention_projections(layer)

    def projected(dense_layer, x):
        fan = einsum_fan(dense_layer.equation, dense_layer.kernel.shape)
        second = call.kernel_second(dense_layer.kernel, fan, x.second)
        return linear_output(dense_layer, fan * second * x.second)

    q = projected(query_dense, query)
    k = projected(key_dense, key)
    v = projected(value_dense, value)
    shape = call.argument_shape("value")
    length = shape[-2] if shape is not None and len(shape) >= 3 else None
    causal = bool(call.kwargs.get("use_causal_mask", False))
    logit_variance = q.second * k.variance * (1.0 - key_rho)
    concentration = attention_concentration(logit_variance, length, causal)
    if call.training and layer.dropout:
        concentration /= 1.0 - layer.dropout
    own = (1.0 - value_rho) * (concentration + _aligned(
        call, logit_variance, concentration, shape))
    averaged = Signal.of_moments(
        v.mean, v.mean ** 2 + v.variance * (value_rho + own))
    if length and value_rho + own > 0.0:
        call.output_correlation = min(
            (value_rho + (1.0 - value_rho) / length) / (value_rho + own), 1.0)
    else:
        call.output_correlation = value_rho
    return projected(output_dense, averaged)


def _aligned(call, logit_variance, concentration, value_shape):
    """Keys and values projected from the same tokens: each weight `a_j`
    and its value `v_j` share the token's `d` features, so by Stein's
    lemma `E[a_j x_j] = E[a_j (1 - a_j)] u`, which adds
    `(1 - E[sum a^2])^2 * Var_j[l] / d` to the average's share of
    `Var[v]`."""
    key = call._bound("key")
    if key is not None and key is not call._bound("value"):
        return 0.0
    if value_shape is None or not value_shape[-1]:
        return 0.0
    return (1.0 - concentration) ** 2 * logit_variance / value_shape[-1]


def attention_concentration(logit_variance, length, causal=False):
    """`E[sum_j a_j^2]` for `a = softmax(l)` over `length` independent
    logits of variance `logit_variance` (1 for one key; about
    `exp(variance) / length` for many), averaged over query positions
    `1..length` when `causal`."""
    if length is None:
        return 0.0
    variance = round(float(logit_variance), 2)
    if not causal:
        return _concentration(variance, int(length))
    return float(np.mean([_concentration(variance, t)
                          for t in range(1, int(length) + 1)]))


@functools.lru_cache(maxsize=4096)
def _concentration(variance, length):
    if length <= 1:
        return 1.0
    rng = np.random.default_rng(length)
    rows = max(64, 200_000 // length)
    logits = rng.standard_normal((rows, length)) * math.sqrt(variance)
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    weights /= weights.sum(axis=1, keepdims=True)
    return float(np.mean(np.sum(weights * weights, axis=1)))

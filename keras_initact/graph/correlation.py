"""How alike two positions of one sample are: the correlation the walk
carries beside each signal.

A `Signal` pools a tensor's elements over its positions as if they were
independent. Attention is where that fails: it averages values over the
positions, so its output is nearly the same at every position, and after a
residual `Add` the next attention's values share that part, which its
average keeps whole instead of shrinking it by the attention weights. The
walk therefore carries, for each tensor, the correlation `rho` between the
centred values of two distinct positions of one sample
(`Cov(x_i, x_j) / Var(x)`, the same feature), which attention reads
(`keras_initact.graph.attention`).

- A layer with kernels (`Dense`, a convolution) turns its input's mean
  `m` into an offset per output channel, the same at every position:
  `rho_out = (m^2 + rho * Var[x]) / E[x^2]`.
- Batch normalization removes those offsets (`rho_out = 0`); a layer
  acting on each position alike (normalization over features, dropout,
  an elementwise op) keeps `rho`.
- A merge of independent inputs weights their `rho` by their variances.
- An elementwise activation maps it by its correlation map: for `(u, v)`
  Gaussian with the input's mean and variance and correlation `rho`,
  `(E[phi(u) phi(v)] - E[phi(u)]^2) / Var[phi(u)]` (Poole et al.,
  "Exponential expressivity in deep neural networks through transient
  chaos", NeurIPS 2016, with centred moments).
"""

import functools
import math

import keras
import numpy as np

from keras_initact.activations import ACTIVATIONS

# Nodes per axis of the two-dimensional Gauss-Hermite rule.
POINTS = 32


def merged_correlation(signals, correlations):
    """The `rho` of a sum (or concatenation) of independent inputs: their
    `rho` weighted by their variances."""
    variances = [signal.variance for signal in signals]
    total = sum(variances)
    if total <= 0.0:
        return correlations[0] if correlations else 0.0
    return sum(v * rho for v, rho in zip(variances, correlations)) / total


def position_correlation(tensor):
    """The measured `rho` of a `(batch, positions..., features)` tensor:
    the mean covariance of two distinct positions of one sample, per
    feature, over the variance (0 without positions)."""
    values = np.asarray(keras.ops.convert_to_numpy(tensor), dtype=np.float64)
    if values.ndim < 3:
        return 0.0
    values = values.reshape(values.shape[0], -1, values.shape[-1])
    positions = values.shape[1]
    centred = values - values.mean(axis=(0, 1), keepdims=True)
    variance = float(np.mean(centred ** 2))
    if positions < 2 or variance <= 0.0:
        return 0.0
    sums = centred.sum(axis=1)
    pairs = (float(np.mean(sums ** 2)) - positions * variance) / (
        positions * (positions - 1))
    return min(max(pairs / variance, -1.0), 1.0)


def linear_correlation(signal, rho):
    """The `rho` of a kernel layer's output for an input of `signal` and
    `rho`: its mean becomes an offset shared by every position."""
    if signal.second <= 0.0:
        return rho
    return min((signal.mean ** 2 + rho * signal.variance) / signal.second,
               1.0)


def passed_correlation(flows):
    """The default rule: the one input's `rho`, or the merge of several."""
    if not flows:
        return 0.0
    if len(flows) == 1:
        return flows[0].correlation
    return merged_correlation([f.signal for f in flows],
                              [f.correlation for f in flows])


def activated_correlation(activation, signal, rho):
    """The `rho` of `activation(x)` (a function or layer the registry
    knows) for `x` of `signal` and `rho`: mapped for an elementwise
    activation, kept for the others."""
    spec = ACTIVATIONS.identify(activation)
    if spec is None or not spec.elementwise or spec.name == "linear":
        return rho
    return activation_correlation(spec.activation, signal, rho)


def activation_correlation(function, signal, rho):
    """The `rho` of `function(x)` (elementwise) for `x` Gaussian with
    `signal`'s mean and variance and `rho` between positions."""
    if rho == 0.0 or signal.variance <= 0.0:
        return rho
    return _correlation_map(function, round(signal.mean, 4),
                            round(signal.variance, 4), round(rho, 4))


@functools.lru_cache(maxsize=4096)
def _correlation_map(function, mean, variance, rho):
    nodes, weights = np.polynomial.hermite_e.hermegauss(POINTS)
    z1, z2 = (a.ravel() for a in np.meshgrid(nodes, nodes, indexing="ij"))
    w = np.outer(weights, weights).ravel()
    w /= w.sum()
    rho = min(max(rho, -1.0), 1.0)
    spread = math.sqrt(variance)
    u = mean + spread * z1
    v = mean + spread * (rho * z1 + math.sqrt(1.0 - rho * rho) * z2)
    values = np.asarray(keras.ops.convert_to_numpy(function(
        keras.ops.convert_to_tensor(np.concatenate([u, v]), "float32"))),
        dtype=np.float64)
    phi_u, phi_v = values[: u.size], values[u.size:]
    mean_u = float(np.dot(w, phi_u))
    variance_u = float(np.dot(w, phi_u * phi_u)) - mean_u ** 2
    if variance_u <= 1e-12:
        return rho
    covariance = float(np.dot(w, phi_u * phi_v)) - mean_u * float(
        np.dot(w, phi_v))
    return min(max(covariance / variance_u, -1.0), 1.0)

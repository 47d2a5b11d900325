"""The activations' definitions in NumPy float64: what the tests compare
keras_initact's functions and layers with. Each is written from the paper or
from Keras's or PyTorch's documentation, not from our code."""

import math

import numpy as np
from scipy import special


def leaky(slope):
    return lambda x: np.where(x >= 0, x, slope * x)


def elu(alpha=1.0):
    return lambda x: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def celu(alpha=1.0):
    return lambda x: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))


def gelu(x):
    return 0.5 * x * (1 + special.erf(x / math.sqrt(2)))


def hard_sigmoid(x):  # relu6(x + 3) / 6, as Keras and PyTorch
    return np.clip(x / 6 + 0.5, 0, 1)


def hard_swish(x):
    return x * hard_sigmoid(x)


def hard_tanh(x):
    return np.clip(x, -1, 1)


def hard_tanh_between(min_val, max_val):  # PyTorch's Hardtanh
    return lambda x: np.clip(x, min_val, max_val)


def softplus(beta=1.0, threshold=20.0):
    """PyTorch's Softplus: log(1 + exp(beta x)) / beta, and x where
    beta x > threshold."""
    def f(x):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(beta * x > threshold, x,
                            np.logaddexp(0.0, beta * x) / beta)
    return f


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def relu6(x):
    return np.clip(x, 0, 6)


def softsign(x):
    return x / (1 + np.abs(x))


def sparse_plus(x):  # Keras: 0, (x + 1)^2 / 4, x
    return np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4))


def sparse_sigmoid(x):  # Keras: 0, (x + 1) / 2, 1
    return np.clip((x + 1) / 2, 0, 1)


def squareplus(b=4.0):
    """(x + sqrt(x^2 + b)) / 2, with the equal b / (2 (sqrt(x^2 + b) - x))
    for x < 0, where the first form cancels."""
    def f(x):
        root = np.sqrt(x * x + b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x < 0, b / (2 * (root - x)), (x + root) / 2)
    return f


def hard_shrink(threshold=0.5):
    return lambda x: np.where(np.abs(x) > threshold, x, 0.0)


def soft_shrink(threshold=0.5):
    return lambda x: np.sign(x) * np.maximum(np.abs(x) - threshold, 0)


def tanh_shrink(x):
    return x - np.tanh(x)


def threshold(threshold, value):
    return lambda x: np.where(x > threshold, x, value)


def squared_relu(x):
    return np.maximum(x, 0) ** 2


def softmax(x, axis=-1):
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def sparsemax(x):
    """Martins & Astudillo (2016), Algorithm 1, along the last axis (shifted
    by the maximum first: sparsemax is shift-invariant, and it keeps the
    largest float32 values apart from their neighbours)."""
    z = x - x.max(axis=-1, keepdims=True)
    ordered = -np.sort(-z, axis=-1)
    ranks = np.arange(1, z.shape[-1] + 1)
    support = 1 + ranks * ordered > np.cumsum(ordered, axis=-1)
    size = support.sum(axis=-1, keepdims=True)
    tau = (np.where(support, ordered, 0).sum(axis=-1, keepdims=True) - 1) / size
    return np.maximum(z - tau, 0)


def gated(gate):
    """a * gate(b) for the halves a, b of the last axis (Shazeer 2020)."""
    def f(x):
        a, b = np.split(x, 2, axis=-1)
        return a * gate(b)
    return f


GLU = gated(special.expit)
SWIGLU = gated(lambda b: b * special.expit(b))
GEGLU = gated(gelu)
REGLU = gated(lambda b: np.maximum(b, 0))

"""A unit's local Q and C maps, from its Hermite expansion.

With weights of variance `1 / fan_in` and no biases, a layer maps its input
variance `q` to `Q(q) = E[phi(sqrt(q) z)^2]` and the correlation `c` of two
inputs of variance 1 to `C(c) = E[phi(u) phi(v)] / Q(1)`, `u, v ~ N(0, 1)`
with correlation `c`. Deep Kernel Shaping and TAT
(`keras_initact.deep.shaping`) set the values and slopes of these maps at 1.
From the unit's Hermite expansion, `phi(z) = sum_n c_n He_n(z) / sqrt(n!)`:

    Q(1) = sum c_n^2,   C(0) = c_0^2 / Q(1),   C'(1) = sum n c_n^2 / Q(1),
    C''(1) = sum n (n - 1) c_n^2 / Q(1),
    Q'(1) = sum n c_n^2 + sum sqrt(n (n - 1)) c_n c_{n-2},

which needs no derivatives of `phi`, so any activation callable works at
any precision.

>>> maps = local_maps(np.tanh)
>>> maps.c_slope, maps.c_curvature
"""

import dataclasses
import functools
import math

import numpy as np

# Coefficients kept, and the quadrature nodes that compute them (exact for
# polynomials of degree < 2 * HERMITE_POINTS): tanh's maps at unit scale to
# 1e-7, the nearly linear units TAT makes to rounding.
HERMITE_ORDER = 80
HERMITE_POINTS = 300


@dataclasses.dataclass(frozen=True)
class LocalMaps:
    """The local Q and C maps of a unit at input variance 1 (weights of
    variance `1 / fan_in`, no biases), from its Hermite coefficients.

    Attributes:
        q: `Q(1) = E[phi(z)^2]`, the output variance.
        q_slope: `Q'(1)`; below 1 the variance is a stable fixed point.
        c_zero: `C(0)`, the correlation of the outputs of orthogonal inputs.
        c_slope: `C'(1)`, how fast nearby inputs separate (1: not at all).
        c_curvature: `C''(1)`, the bend of the C map at 1.
    """

    q: float
    q_slope: float
    c_zero: float
    c_slope: float
    c_curvature: float

    # How each attribute is written in the papers (and in messages).
    SYMBOLS = {"q": "Q(1)", "q_slope": "Q'(1)", "c_zero": "C(0)",
               "c_slope": "C'(1)", "c_curvature": "C''(1)"}

    @classmethod
    def from_coefficients(cls, c):
        """The maps of `sum_n c[n] He_n(z) / sqrt(n!)`."""
        c = np.asarray(c, dtype=np.float64)
        n = np.arange(c.size, dtype=np.float64)
        q = float(np.sum(c**2))
        cross = np.sqrt(n[2:] * (n[2:] - 1.0)) * c[2:] * c[:-2]
        return cls(
            q=q,
            q_slope=float(np.sum(n * c**2) + np.sum(cross)),
            c_zero=float(c[0] ** 2 / q),
            c_slope=float(np.sum(n * c**2) / q),
            c_curvature=float(np.sum(n * (n - 1.0) * c**2) / q),
        )


# The identity's maps: C(c) = c and Q(q) = q.
LINEAR_MAPS = LocalMaps.from_coefficients([0.0, 1.0])


def hermite_coefficients(function, order=HERMITE_ORDER):
    """`c_n = E[f(z) He_n(z)] / sqrt(n!)`, `z ~ N(0, 1)`, for `n <= order`.

    `He_n / sqrt(n!)` are orthonormal under the Gaussian, so `f` is
    `sum_n c_n He_n(z) / sqrt(n!)` and `E[f(z)^2] = sum_n c_n^2`.
    `function` receives the quadrature nodes as a float64 NumPy array.

    >>> hermite_coefficients(lambda z: z**3, order=3)   # [0, 3, 0, sqrt(6)]
    """
    nodes, weights = _hermite_rule(HERMITE_POINTS)
    values = _evaluate(function, nodes)
    weighted = values * weights / math.sqrt(2.0 * math.pi)
    coefficients = np.empty(order + 1)
    previous, current = np.zeros_like(nodes), np.ones_like(nodes)
    for n in range(order + 1):
        coefficients[n] = np.dot(weighted, current)
        # He_{n+1} / sqrt((n+1)!) = (z h_n - sqrt(n) h_{n-1}) / sqrt(n+1)
        previous, current = current, (
            (nodes * current - math.sqrt(n) * previous) / math.sqrt(n + 1.0)
        )
    return coefficients


def local_maps(function):
    """The `LocalMaps` of `function` (a callable on arrays)."""
    return LocalMaps.from_coefficients(hermite_coefficients(function))


@functools.lru_cache(maxsize=4)
def _hermite_rule(points):
    return np.polynomial.hermite_e.hermegauss(points)


def _evaluate(function, nodes):
    """`function(nodes)` as float64 NumPy values, computed in float64 where
    the backend allows it (JAX only inside its 64-bit mode)."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        with jax.enable_x64(True):
            return np.asarray(_to_numpy(function(nodes)), dtype=np.float64)
    return np.asarray(_to_numpy(function(nodes)), dtype=np.float64)


def _to_numpy(values):
    if isinstance(values, np.ndarray):
        return values
    import keras

    return keras.ops.convert_to_numpy(values)

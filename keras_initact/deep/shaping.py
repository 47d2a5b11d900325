"""Activation shaping: Tailored Activation Transformation (Zhang et al. 2022).

Weights alone cannot keep every deep plain network trainable: a deep
enough network maps all inputs to nearly the same point (or, past the edge
of chaos, to unrelated points). Deep Kernel Shaping (Martens et al. 2021)
and TAT keep the activation's family but transform it, so that the
network's correlation map (C map) stays close to the identity however deep
it is. With orthogonal weights of variance `1 / fan_in` and zero biases
the signal's scale is the local Q map's and its correlations the local C
map's, both at input variance 1.

ReLU family (positively homogeneous units, which no weights bring to
dynamical isometry): a leaky ReLU whose negative slope `alpha` grows with
depth, normalized to keep the signal's scale,

    phi_alpha(x) = sqrt(2 / (1 + alpha^2)) * (max(x, 0) + alpha * min(x, 0)),

whose C map is

    C(c) = c + (1 - alpha)^2 / (pi (1 + alpha^2)) * (sqrt(1 - c^2) - c arccos c).

`alpha` is chosen so that `depth` layers map correlation 0 to `eta` (0.9 in
the paper).

Smooth activations (GELU, tanh, sigmoid, Swish, ...): the transformed unit

    phi_hat(x) = output_scale * (phi(input_scale * x + input_shift) + output_shift)

with `Q(1) = 1` (the signal keeps unit variance), `Q'(1) = 1` (and that
variance is stable), `C'(1) = 1` (no layer pulls correlations together to
first order) and `C''(1) = tau / depth`, so that the whole network's
`C''(1)`, the sum of its layers', is `tau` (0.3 in the paper): a gentle,
depth-independent bend. The maps come from the activation's Hermite
expansion, `phi_hat(z) = sum_n c_n He_n(z) / sqrt(n!)`:

    Q(1) = sum c_n^2,   C'(1) = sum n c_n^2 / Q(1),
    C''(1) = sum n (n - 1) c_n^2 / Q(1),
    Q'(1) = sum n c_n^2 + sum sqrt(n (n - 1)) c_n c_{n-2},

which needs no derivatives of `phi`, so any activation callable works at
any precision.

Deep Kernel Shaping itself (Martens et al. 2021), `dks_transform`: the same
four-parameter transformation of a smooth unit, with `Q(1) = 1`,
`Q'(1) = 1`, `C(0) = 0` (the output shift removes the unit's mean) and
`C'(1) = zeta^(1 / depth)`, so that the whole network's `C'(1)` is `zeta`
(1.5 in the paper): DKS bounds the network's slope, TAT its curvature.
"""

import dataclasses
import functools
import itertools
import math
import warnings

import numpy as np
from scipy import optimize

from keras_initact.checks import (
    check_between, check_number, check_positive_int,
)
from keras_initact.math.functions import shaped_unit

DEFAULT_ETA = 0.9
DEFAULT_TAU = 0.3
DEFAULT_ZETA = 1.5

# Coefficients kept, and the quadrature nodes that compute them (exact for
# polynomials of degree < 2 * HERMITE_POINTS): tanh's maps at unit scale to
# 1e-7, the nearly linear units TAT makes to rounding.
HERMITE_ORDER = 80
HERMITE_POINTS = 300
# The solver's starting points (input scale, input shift); each is tried
# with both signs of the output shift's root.
_STARTS = tuple(itertools.product((0.05, 0.2, 1.0), (-1.0, 0.0, 0.5, 1.0)))
# The largest residual a solution may leave. JAX computes some of Keras's
# ops in float32 even for float64 inputs in its 64-bit mode (`tanh`, so
# Mish too): its solutions agree with the other backends' to about 1e-6.
_SOLVED = 1e-9
_SOLVED_JAX = 1e-5
# A solution's C''(1) must agree within this relative tolerance when
# recomputed from this many coefficients.
_CONVERGENCE_ORDER = 2 * HERMITE_ORDER
_CONVERGED = 1e-2


def leaky_relu_c_map(c, alpha):
    """The correlation map of the normalized leaky ReLU with slope `alpha`."""
    c = min(max(c, -1.0), 1.0)
    bend = (1.0 - alpha) ** 2 / (math.pi * (1.0 + alpha**2))
    return c + bend * (math.sqrt(1.0 - c * c) - c * math.acos(c))


def network_c_map(c, alpha, depth):
    """`C` applied `depth` times."""
    for _ in range(depth):
        c = leaky_relu_c_map(c, alpha)
    return c


def tat_leaky_relu_slope(depth, eta=DEFAULT_ETA):
    """The negative slope with which `depth` layers map correlation 0 to `eta`.

    >>> round(tat_leaky_relu_slope(60), 3)   # doctest: +SKIP
    """
    depth = _check_depth(depth, "tat_leaky_relu_slope")
    eta = check_between("eta", eta, "tat_leaky_relu_slope", 0.0, 1.0)
    relu_correlation = network_c_map(0.0, 0.0, depth)
    if relu_correlation <= eta:
        warnings.warn(
            f"tat_leaky_relu_slope: at depth {depth} a plain ReLU network "
            f"already maps orthogonal inputs to correlation "
            f"{relu_correlation:.3f} <= eta={eta:g}, so no slope in [0, 1) "
            "reaches eta (a larger slope only lowers the correlation); the "
            "slope is 0, a plain ReLU. Pass a smaller eta to shape it.",
            stacklevel=2,
        )
        return 0.0
    return optimize.brentq(
        lambda alpha: network_c_map(0.0, alpha, depth) - eta, 0.0, 1.0 - 1e-9,
        xtol=1e-10,
    )


def leaky_relu_gain(alpha):
    """`sqrt(2 / (1 + alpha^2))`: keeps `E[phi(x)^2] = E[x^2]`."""
    return math.sqrt(2.0 / (1.0 + alpha**2))


@dataclasses.dataclass(frozen=True)
class ActivationTransform:
    """`phi_hat(x) = output_scale * (phi(input_scale * x + input_shift) + output_shift)`.

    `arguments()` gives the keyword arguments of
    `keras_initact.layers.ShapedActivation`.
    """

    input_scale: float
    input_shift: float
    output_shift: float
    output_scale: float

    def arguments(self):
        return dataclasses.asdict(self)

    def __call__(self, function):
        """`phi_hat` as a one-argument callable, for any `function` that
        accepts arrays or tensors."""
        return functools.partial(shaped_unit, activation=function,
                                 **self.arguments())


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

    @classmethod
    def from_coefficients(cls, c):
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


def hermite_coefficients(function, order=HERMITE_ORDER):
    """`c_n = E[f(z) He_n(z)] / sqrt(n!)`, `z ~ N(0, 1)`, for `n <= order`.

    `He_n / sqrt(n!)` are orthonormal under the Gaussian, so `f` is
    `sum_n c_n He_n(z) / sqrt(n!)` and `E[f(z)^2] = sum_n c_n^2`.
    `function` receives the quadrature nodes as a float64 NumPy array.
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


def tat_transform(activation, depth, tau=DEFAULT_TAU):
    """TAT's transformation of a smooth `activation` for a plain network of
    `depth` nonlinear layers: the `ActivationTransform` with `Q(1) = 1`,
    `Q'(1) = 1`, `C'(1) = 1` and `C''(1) = tau / depth`.

    Given the input scale `a` and shift `b`, the output shift is fixed by
    `C'(1) = 1` (it is the only coefficient `c_0` moves: `c_0^2 =
    sum_{n>=2} (n - 1) c_n^2`, two roots) and the output scale by
    `Q(1) = 1`; `a` and `b` solve the other two conditions (Powell's hybrid
    method from several starting points). Of the solutions, the one with
    the smallest `|input_shift|` is returned: the unit then works nearest
    to the activation's own origin (DKS's code rejects the others with a
    heuristic instead). `(a, b)` and `(-a, b)` give the same maps, so
    `input_scale > 0`; on a tie in `|input_shift|` (odd activations such
    as tanh) the positive shift wins.

    >>> t = tat_transform(keras_initact.activations.gelu, depth=60)
    >>> t.input_scale, t.input_shift   # about 0.075 and 0.327

    Args:
        activation: a callable applying the activation to an array (a
            registry function, or any function of `keras.ops`).
        depth: the number of activation layers, a positive int.
        tau: the whole network's `C''(1)`, > 0 (0.3 as in the paper;
            smaller is closer to linear).

    Raises:
        ValueError: for a bad `depth` or `tau`, when no transformation
            exists, or when `activation` is not smooth enough (SELU's kink
            makes `C''(1)` infinite at every scale; this shows as a series
            that does not converge).
    """
    depth = _check_depth(depth, "tat_transform")
    tau = _positive("tau", tau, "tat_transform")
    return _solve(activation, _TAT, depth, tau)


def dks_transform(activation, depth, zeta=DEFAULT_ZETA):
    """Deep Kernel Shaping's transformation of a smooth `activation` for a
    plain network of `depth` nonlinear layers: the `ActivationTransform`
    with `Q(1) = 1`, `Q'(1) = 1`, `C(0) = 0` and `C'(1) = zeta^(1 / depth)`.

    `C(0) = 0` fixes the output shift (minus the unit's mean) and `Q(1) = 1`
    the output scale; the input scale and shift solve the other two
    conditions as in `tat_transform`, with the same choice among solutions.
    The whole network's C map then sends 0 to 0 and has slope `zeta` at 1:
    nearby inputs separate at most `zeta` times faster than a linear
    network would let them. DKS needs only `C'(1)`, which exists for a unit
    with a kink too; the Hermite series of one whose slope jumps (SELU)
    converges slowly, so there `C'(1) - 1` holds to a few percent (the
    network's `C'(1)` is `zeta` to about 1%).

    >>> t = dks_transform(keras_initact.activations.tanh, depth=50)
    >>> t.output_shift   # 0: tanh is odd

    Args:
        activation: a callable applying the activation to an array.
        depth: the number of activation layers, a positive int.
        zeta: the whole network's `C'(1)`, > 1 (1.5 as in the paper;
            closer to 1 is closer to linear).

    Raises:
        ValueError: for a bad `depth` or `zeta`, when no transformation
            exists, or when `activation` is not smooth enough for its
            Hermite series to give `C'(1)` (a kink or a jump).

    Reference: Martens et al., "Rapid training of deep neural networks
    without skip connections or normalization layers using Deep Kernel
    Shaping", arXiv:2110.01765, 2021.
    """
    depth = _check_depth(depth, "dks_transform")
    zeta = _positive("zeta", zeta, "dks_transform")
    if not zeta > 1.0:
        raise ValueError(
            "dks_transform: zeta must be > 1 (the network's C'(1) of a unit "
            "with C(0) = 0 is at least 1, and 1 only for a linear unit); "
            f"received zeta={zeta!r}."
        )
    return _solve(activation, _DKS, depth, zeta)


@dataclasses.dataclass(frozen=True)
class _Method:
    """What a shaping method fixes in closed form and what it solves for."""

    name: str
    branches: tuple  # the roots of the output shift's condition to try
    target_name: str
    # How far the checked map may move when recomputed from twice as many
    # coefficients (relative). DKS's: 10% of C'(1) - 1 moves the network's
    # C'(1) = zeta by about 4% (SELU's series converges that slowly).
    converged: float

    def centred(self, c, branch):
        """`c` with `c_0` set by the method's condition on C."""
        n = np.arange(c.size)
        c = c.copy()
        if self.name == "TAT":  # C'(1) = 1
            c[0] = branch * math.sqrt(np.sum((n[2:] - 1.0) * c[2:] ** 2))
        else:  # DKS: C(0) = 0
            c[0] = 0.0
        return c

    def solved(self, maps, depth, target):
        """The two residuals that the input scale and shift must zero."""
        if self.name == "TAT":
            second = maps.c_curvature - target / depth
        else:
            second = maps.c_slope - target ** (1.0 / depth)
        return np.array([maps.q_slope - 1.0, second])

    def checked(self, maps):
        """The map whose Hermite series must have converged."""
        return maps.c_curvature if self.name == "TAT" else maps.c_slope - 1.0


_TAT = _Method("TAT", (1.0, -1.0), "tau", _CONVERGED)
_DKS = _Method("DKS", (1.0,), "zeta", 0.1)


@functools.lru_cache(maxsize=128)
def _solve(activation, method, depth, target):
    def transform(point, branch):
        scale, shift = point
        inner = hermite_coefficients(lambda z: activation(scale * z + shift))
        c = method.centred(inner, branch)
        output_scale = 1.0 / math.sqrt(np.sum(c**2))
        maps = LocalMaps.from_coefficients(c * output_scale)
        found = ActivationTransform(float(scale), float(shift),
                                    float(c[0] - inner[0]), output_scale)
        return found, maps

    def residual(point, branch):
        try:
            _, maps = transform(point, branch)
        except (FloatingPointError, ZeroDivisionError, ValueError):
            return np.full(2, 1e6)
        value = method.solved(maps, depth, target)
        return value if np.all(np.isfinite(value)) else np.full(2, 1e6)

    tolerance = _tolerance()
    solutions = []
    with np.errstate(all="ignore"):
        for start, branch in itertools.product(_STARTS, method.branches):
            result = optimize.root(residual, start, args=(branch,),
                                   method="hybr")
            if not (result.success and np.max(np.abs(result.fun)) < tolerance):
                continue
            scale, shift = result.x
            found, _ = transform((abs(scale), shift), branch)
            solutions.append(found)
    if not solutions:
        wanted = ("C''(1) = tau / depth" if method is _TAT
                  else "C'(1) = zeta^(1 / depth)")
        raise ValueError(
            f"{method.name.lower()}_transform: no transformation of "
            f"{_name(activation)} reaches {wanted} ({method.target_name}="
            f"{target}, depth={depth}) with Q(1) = Q'(1) = 1; use "
            f"shaping=False or another {method.target_name}."
        )
    # Ties in |input_shift| (an odd unit's mirrored solutions) are taken
    # within 1e-4, wider than the solutions' spread on JAX.
    smallest = min(abs(t.input_shift) for t in solutions)
    best = min((t for t in solutions
                if abs(t.input_shift) <= smallest + 1e-4 * max(1.0, smallest)),
               key=lambda t: (-t.input_shift, t.input_scale))
    # A kink in phi (a jump in phi', as SELU's) makes C''(1) infinite, and
    # a jump in phi C'(1): the truncated series then has a finite but
    # meaningless sum, which keeps growing with the order.
    solved = method.checked(LocalMaps.from_coefficients(
        hermite_coefficients(best(activation))))
    longer = method.checked(LocalMaps.from_coefficients(hermite_coefficients(
        best(activation), _CONVERGENCE_ORDER)))
    if abs(longer - solved) > method.converged * abs(solved):
        quantity = "C''(1)" if method is _TAT else "C'(1) - 1"
        raise ValueError(
            f"{method.name.lower()}_transform: {_name(activation)} is not "
            f"smooth enough for {method.name}: {quantity} is {solved:.4g} from "
            f"{HERMITE_ORDER + 1} Hermite coefficients but {longer:.4g} from "
            f"{_CONVERGENCE_ORDER + 1}, so its series does not converge (a "
            "kink makes C''(1) infinite). Use shaping=False, or a smooth "
            "activation."
        )
    return best


def _positive(argument, value, owner):
    return float(check_number(argument, value, owner, positive=True))


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


def _tolerance():
    """The largest residual a solution may leave on this backend."""
    import keras

    return _SOLVED_JAX if keras.backend.backend() == "jax" else _SOLVED


def _to_numpy(values):
    if isinstance(values, np.ndarray):
        return values
    import keras

    return keras.ops.convert_to_numpy(values)


def _check_depth(depth, owner):
    return check_positive_int("depth", depth, owner)


def _name(activation):
    return getattr(activation, "__name__", repr(activation))

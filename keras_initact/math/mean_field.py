"""Mean-field signal propagation: the theory behind critical initialization.

In a wide network with weights `W ~ N(0, sigma_w^2 / fan_in)` and biases
`b ~ N(0, sigma_b^2)`, the pre-activation variance follows the q-map

    q_{l+1} = sigma_w^2 E[phi(sqrt(q_l) z)^2] + sigma_b^2,   z ~ N(0, 1),

and a small perturbation grows or shrinks per layer by

    chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]

at the fixed point `q*`. `chi_1 = 1` is the order-to-chaos line: gradients
neither vanish (`chi_1 < 1`) nor explode (`chi_1 > 1`) with depth
(Poole et al. 2016; Schoenholz et al. 2017). Expectations are Gauss-Hermite
quadratures; derivatives are central differences in float64, so any
activation callable works.
"""

import dataclasses
import math

import numpy as np
from scipy import optimize

from keras_initact.checks import check_between, check_number, check_positive_int
from keras_initact.math.quadrature import gaussian_expectation

# An even number of nodes keeps z = 0 (the kink of ReLU-like units) off the grid.
POINTS = 200
_STEP = 1e-5


@dataclasses.dataclass(frozen=True)
class CriticalPoint:
    """A point on the order-to-chaos line of an activation.

    Attributes:
        weight_variance: `sigma_w^2`; weights get `sigma_w^2 / fan_in`.
        bias_variance: `sigma_b^2`.
        q_star: the fixed point of the q-map (pre-activation variance).
        chi: `chi_1` at `q*` (1 up to the solver's tolerance).
    """

    weight_variance: float
    bias_variance: float
    q_star: float
    chi: float


def second_moment(activation, q, centred=False):
    """`E[phi(sqrt(q) z)^2]`, or `Var[phi(sqrt(q) z)]` when `centred`.

    The variance is what reaches the next layer through centred kernels
    (zero column sums), which remove the activations' common mean.
    """
    scale = math.sqrt(q)
    moment = gaussian_expectation(lambda z: activation(scale * z) ** 2, POINTS)
    if centred:
        mean = gaussian_expectation(lambda z: activation(scale * z), POINTS)
        moment -= mean**2
    return moment


def derivative_second_moment(activation, q):
    """`E[phi'(sqrt(q) z)^2]`, with `phi'` by central differences."""
    scale = math.sqrt(q)
    step = _STEP * max(1.0, scale)

    def squared_slope(z):
        x = scale * z
        return ((activation(x + step) - activation(x - step)) / (2 * step)) ** 2

    return gaussian_expectation(squared_slope, POINTS)


def q_map(activation, q, weight_variance, bias_variance, centred=False):
    """One step of the variance recursion."""
    return (weight_variance * second_moment(activation, q, centred)
            + bias_variance)


def chi(activation, q, weight_variance):
    """`chi_1 = sigma_w^2 E[phi'(sqrt(q) z)^2]`."""
    return weight_variance * derivative_second_moment(activation, q)


def critical_point_at(activation, q_star=1.0, centred=False):
    """The critical point whose fixed point is `q_star`.

    Solves `chi_1 = 1` and `q* = q_star` together:
    `sigma_w^2 = 1 / E[phi'(sqrt(q*) z)^2]`,
    `sigma_b^2 = q* - sigma_w^2 E[phi(sqrt(q*) z)^2]`. Keeping the
    pre-activation variance at `q_star` from the first layer on, it is the
    choice for deep networks whose inputs are standardized. Raises when that
    needs a negative bias variance (non-centred activations such as sigmoid
    at moderate `q_star`): `centred=True` (kernels with zero column sums, so
    that `E[phi^2]` becomes `Var[phi]`) or `critical_point` with a bias
    variance then applies.
    """
    _check_activation(activation, "critical_point_at")
    q_star = check_number("q_star", q_star, "critical_point_at", positive=True)
    slope = derivative_second_moment(activation, q_star)
    if not slope > 0:
        raise ValueError(
            f"{_name(activation)} has E[phi'(z)^2] = {slope!r} at q*={q_star}: "
            "no critical point."
        )
    weight_variance = 1.0 / slope
    bias_variance = q_star - weight_variance * second_moment(
        activation, q_star, centred
    )
    if bias_variance < -1e-9:
        raise ValueError(
            f"{_name(activation)} has no critical point with q*={q_star}: it "
            f"would need a bias variance of {bias_variance:.4g} < 0. Give a "
            "bias variance instead (critical_point(activation, bias_variance))."
        )
    return CriticalPoint(weight_variance, max(bias_variance, 0.0), q_star, 1.0)


def critical_point(activation, bias_variance=0.0, q_range=(1e-6, 1e4),
                   centred=False):
    """The critical `sigma_w^2` for a given `sigma_b^2` (Schoenholz et al. 2017).

    Along the fixed points, `sigma_w^2(q) = (q - sigma_b^2) / E[phi(sqrt(q) z)^2]`;
    the critical point is the `q*` where `chi_1(q*) = 1`, found by bracketing
    on a logarithmic grid and Brent's method. With `sigma_b^2 = 0` and no
    root (tanh: `chi_1 < 1` for every `q > 0`), the critical point is the
    limit `q* -> 0`, `sigma_w^2 = 1 / phi'(0)^2`.

    `centred` as in `critical_point_at`. Known values: ReLU `sigma_w^2 = 2`
    at `sigma_b^2 = 0` (no critical point for `sigma_b^2 > 0`); tanh 1 at 0,
    1.761 at 0.05, 1.986 at 0.1.
    """
    _check_activation(activation, "critical_point")
    bias_variance = check_number("bias_variance", bias_variance,
                                 "critical_point", non_negative=True)

    def weight_variance(q):
        return (q - bias_variance) / second_moment(activation, q, centred)

    def excess(q):
        return chi(activation, q, weight_variance(q)) - 1.0

    low = max(q_range[0], bias_variance * (1 + 1e-6) + 1e-12)
    grid = np.geomspace(low, q_range[1], 60)
    values = [excess(q) for q in grid]
    if bias_variance == 0.0 and max(abs(v) for v in values) < 1e-6:
        # Positively homogeneous units (ReLU family): chi_1 = 1 at every q.
        q = 1.0
        return CriticalPoint(weight_variance(q), 0.0, q, excess(q) + 1.0)
    for left, right, f_left, f_right in zip(grid, grid[1:], values, values[1:]):
        if f_left == 0.0:
            return _point(activation, left, weight_variance(left), bias_variance)
        if f_left * f_right < 0:
            q = optimize.brentq(excess, left, right, xtol=1e-12, rtol=1e-10)
            return _point(activation, q, weight_variance(q), bias_variance)
    if bias_variance == 0.0:
        q = q_range[0]
        return _point(
            activation, 0.0, 1.0 / derivative_second_moment(activation, q), 0.0
        )
    raise ValueError(
        f"{_name(activation)} has no critical point with bias variance "
        f"{bias_variance}: chi_1 stays {'below' if values[-1] < 0 else 'above'} "
        "1 for every fixed point. Use bias_variance=0."
    )


def _point(activation, q, weight_variance, bias_variance):
    measured = chi(activation, max(q, 1e-6), weight_variance)
    return CriticalPoint(float(weight_variance), float(bias_variance), float(q),
                         float(measured))


def _name(activation):
    return getattr(activation, "__name__", repr(activation))


def _check_activation(activation, owner):
    if not callable(activation):
        raise TypeError(
            f"{owner}: `activation` must be a callable on tensors (e.g. "
            "keras_initact.activations.get('tanh')); received "
            f"activation={activation!r}."
        )


def is_stable(activation, point, centred=False, span=1e3, points=41):
    """Whether the q-map pulls every variance on a wide grid toward `q*`.

    Checks `(q_map(q) - q) (q* - q) > 0` for `q` from `q*/span` to
    `q* span`: below the fixed point the variance grows, above it shrinks,
    so finite-width fluctuations cannot push the signal away for good.
    """
    q_star = point.q_star
    for q in np.geomspace(q_star / span, q_star * span, points):
        if abs(q - q_star) < 1e-3 * q_star:
            continue
        drift = q_map(activation, q, point.weight_variance, point.bias_variance,
                      centred) - q
        if drift * (q_star - q) <= 0:
            return False
    return True


def stable_critical_point(activation, centred=False,
                          q_stars=(1.0, 2.0, 4.0, 8.0, 16.0)):
    """The first critical point in `q_stars` that exists and is stable.

    Positively homogeneous units (ReLU) are neutral rather than stable at
    `sigma_b^2 = 0` (every `q` is a fixed point), which is also fine; for
    them the point at `q* = 1` is returned.
    """
    _check_activation(activation, "stable_critical_point")
    reasons = []
    for q_star in q_stars:
        try:
            point = critical_point_at(activation, q_star, centred)
        except ValueError as error:
            reasons.append(f"q*={q_star}: {error}")
            continue
        if point.bias_variance < 1e-9 or is_stable(activation, point, centred):
            return point
        reasons.append(f"q*={q_star}: the fixed point is unstable")
    raise ValueError(
        f"{_name(activation)} has no stable critical point at q* in "
        f"{list(q_stars)}: " + "; ".join(reasons)
    )


_C_MAP_POINTS = 48


def c_map(activation, c, point, centred=False):
    """The correlation map at the fixed point: `c_{l+1} = C(c_l)`.

    `C(c) = (sigma_w^2 E[phi(u) phi(v)] + sigma_b^2) / q*` for `(u, v)`
    Gaussian with variance `q*` and correlation `c` (covariance instead of
    `E[phi(u) phi(v)]` with centred kernels), by a two-dimensional
    Gauss-Hermite rule. `C(1) = 1`; how fast `C` pulls other correlations
    toward 1 is how fast a deep network forgets which input it saw.
    """
    import keras

    nodes, weights = np.polynomial.hermite_e.hermegauss(_C_MAP_POINTS)
    z1, z2 = np.meshgrid(nodes, nodes, indexing="ij")
    w = np.outer(weights, weights).ravel() / (2.0 * math.pi)
    c = min(max(c, -1.0), 1.0)
    scale = math.sqrt(point.q_star)
    u = scale * z1.ravel()
    v = scale * (c * z1.ravel() + math.sqrt(1.0 - c * c) * z2.ravel())
    both = np.concatenate([u, v])
    values = np.asarray(keras.ops.convert_to_numpy(
        activation(keras.ops.convert_to_tensor(both, dtype="float64"))
    ), dtype=np.float64)
    phi_u, phi_v = values[: u.size], values[u.size:]
    moment = np.dot(w, phi_u * phi_v)
    if centred:
        moment -= np.dot(w, phi_u) * np.dot(w, phi_v)
    return float((point.weight_variance * moment + point.bias_variance)
                 / point.q_star)


def network_c_map(activation, point, depth, centred=False, c=0.0):
    """`C` applied `depth` times to `c`."""
    for _ in range(depth):
        c = c_map(activation, c, point, centred)
    return c


def shallow_critical_point(activation, depth, eta=0.9, centred=False,
                           q_bounds=(1e-4, 1.0)):
    """The critical point with the largest `q*` whose network map keeps
    orthogonal inputs apart: `C^depth(0) <= eta`.

    On the critical line, a smaller `q*` keeps a smooth activation in its
    nearly linear range, so the network's correlation map stays close to
    the identity (the aim of Deep Kernel Shaping, reached here with weights
    and biases alone, the activation untouched). When even `q_bounds[0]`
    cannot reach `eta` (kinked units such as SELU, whose two slopes at 0
    differ, stay bent at every scale), a smaller scale does not help; and
    a point whose q-map is unstable (finite-width noise would drive the
    variance away) is no use. In both cases the point of
    `stable_critical_point` is returned.
    """
    _check_activation(activation, "shallow_critical_point")
    check_positive_int("depth", depth, "shallow_critical_point")
    eta = check_between("eta", eta, "shallow_critical_point", 0.0, 1.0)

    def excess(log_q):
        point = critical_point_at(activation, math.exp(log_q), centred)
        return network_c_map(activation, point, depth, centred) - eta

    low, high = (math.log(q) for q in q_bounds)
    if excess(high) <= 0:
        point = critical_point_at(activation, q_bounds[1], centred)
    elif excess(low) > 0:
        return stable_critical_point(activation, centred)
    else:
        log_q = optimize.brentq(excess, low, high, xtol=1e-3)
        point = critical_point_at(activation, math.exp(log_q), centred)
    if point.bias_variance > 1e-9 and not is_stable(activation, point, centred):
        return stable_critical_point(activation, centred)
    return point

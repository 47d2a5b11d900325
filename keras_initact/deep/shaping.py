"""Activation shaping for ReLU networks: Tailored Activation Transformation.

No weight distribution gives a deep ReLU network dynamical isometry
(Pennington et al. 2017): its correlation map pulls every pair of inputs
toward correlation 1, so a deep enough plain ReLU network maps all inputs
to nearly the same point. TAT (Zhang et al. 2022) keeps the network's
family but bends the unit less: a leaky ReLU whose negative slope `alpha`
grows with depth, normalized to keep the signal's scale,

    phi_alpha(x) = sqrt(2 / (1 + alpha^2)) * (max(x, 0) + alpha * min(x, 0)),

whose correlation map with orthogonal weights is

    C(c) = c + (1 - alpha)^2 / (pi (1 + alpha^2)) * (sqrt(1 - c^2) - c arccos c).

`alpha` is chosen so that `depth` layers map correlation 0 to `eta`
(0.9 in the paper): the whole network stays far enough from degenerate.
"""

import math

from scipy import optimize

DEFAULT_ETA = 0.9


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
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive int; received depth={depth!r}.")
    if not 0.0 < eta < 1.0:
        raise ValueError(f"eta must lie in (0, 1); received eta={eta!r}.")
    if network_c_map(0.0, 0.0, depth) <= eta:
        return 0.0  # a plain ReLU is already shallow enough
    return optimize.brentq(
        lambda alpha: network_c_map(0.0, alpha, depth) - eta, 0.0, 1.0 - 1e-9,
        xtol=1e-10,
    )


def leaky_relu_gain(alpha):
    """`sqrt(2 / (1 + alpha^2))`: keeps `E[phi(x)^2] = E[x^2]`."""
    return math.sqrt(2.0 / (1.0 + alpha**2))

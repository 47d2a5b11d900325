"""Activation shaping: Deep Kernel Shaping (DKS, Martens et al. 2021) and
Tailored Activation Transformation (TAT, Zhang et al. 2022).

Weights alone cannot keep every deep plain network trainable: a deep
enough network maps all inputs to nearly the same point (or, past the edge
of chaos, to unrelated points). DKS and TAT keep the activation's family
but transform it, so that the network's correlation map (C map) stays
close to the identity however deep it is. With orthogonal weights of
variance `1 / fan_in` and zero biases the signal's scale is the local Q
map's and its correlations the local C map's, both at input variance 1
(`keras_initact.deep.kernel_maps`).

ReLU family (positively homogeneous units, which no weights bring to
dynamical isometry), TAT's leaky ReLU: a negative slope `alpha` that grows
with depth, normalized to keep the signal's scale,

    phi_alpha(x) = sqrt(2 / (1 + alpha^2)) * (max(x, 0) + alpha * min(x, 0)),

whose C map is

    C(c) = c + (1 - alpha)^2 / (pi (1 + alpha^2)) * (sqrt(1 - c^2) - c arccos c).

`alpha` is chosen so that `depth` layers map correlation 0 to `eta` (0.9 in
the paper).

Other units (GELU, tanh, sigmoid, Swish, and for DKS SELU too): the
transformed unit

    phi_hat(x) = output_scale * (phi(input_scale * x + input_shift) + output_shift)

with `Q(1) = 1` (the signal keeps unit variance) and `Q'(1) = 1` (and that
variance is stable), and each method's own conditions (`TAT`, `DKS`):

- TAT: `C'(1) = 1` (no layer pulls correlations together to first order)
  and `C''(1) = tau / depth`, so that the whole network's `C''(1)`, the sum
  of its layers', is `tau` (0.3 in the paper): a gentle, depth-independent
  bend (`tat_transform`).
- DKS: `C(0) = 0` (the output shift removes the unit's mean) and
  `C'(1) = zeta^(1 / depth)`, so that the whole network's `C'(1)` is `zeta`
  (1.5 in the paper): DKS bounds the network's slope, TAT its curvature
  (`dks_transform`).

>>> t = tat_transform(keras_initact.activations.gelu, depth=60)
>>> shaped_gelu = t(keras_initact.activations.gelu)
"""

import dataclasses
import functools
import itertools
import math
import warnings
from typing import Callable

import numpy as np
from scipy import optimize

from keras_initact.checks import (
    check_between, check_number, check_positive_int,
)
from keras_initact.deep.kernel_maps import (
    HERMITE_ORDER, LINEAR_MAPS, LocalMaps, hermite_coefficients,
)
from keras_initact.math.functions import shaped_unit

DEFAULT_ETA = 0.9
DEFAULT_TAU = 0.3
DEFAULT_ZETA = 1.5

# The solver's starting points (input scale, input shift); each is tried
# with every sign of the output shift's root.
_STARTS = tuple(itertools.product((0.05, 0.2, 1.0), (-1.0, 0.0, 0.5, 1.0)))
# The largest residual a solution may leave. JAX computes some of Keras's
# ops in float32 even for float64 inputs in its 64-bit mode (`tanh`, so
# Mish too): its solutions agree with the other backends' to about 1e-6.
_SOLVED = 1e-9
_SOLVED_JAX = 1e-5
# A solution's goal map (less a linear unit's) is recomputed from this many
# coefficients to check that its Hermite series converges.
_CONVERGENCE_ORDER = 2 * HERMITE_ORDER


def leaky_relu_c_map(c, alpha):
    """The correlation map of the normalized leaky ReLU with slope `alpha`."""
    c = min(max(c, -1.0), 1.0)
    bend = (1.0 - alpha) ** 2 / (math.pi * (1.0 + alpha**2))
    return c + bend * (math.sqrt(1.0 - c * c) - c * math.acos(c))


def network_c_map(c, alpha, depth):
    """`leaky_relu_c_map` applied `depth` times."""
    for _ in range(depth):
        c = leaky_relu_c_map(c, alpha)
    return c


def tat_leaky_relu_slope(depth, eta=DEFAULT_ETA):
    """TAT's negative slope for the ReLU family: the one with which `depth`
    layers of the normalized leaky ReLU map correlation 0 to `eta`.

    >>> round(tat_leaky_relu_slope(60), 3)   # doctest: +SKIP

    Args:
        depth: the number of activation layers, a positive int.
        eta: the network's correlation of orthogonal inputs, in (0, 1).
    """
    depth = check_positive_int("depth", depth, "tat_leaky_relu_slope")
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
class Condition:
    """`maps.<quantity> = target(parameter, depth)`: one condition on the
    local maps of a shaped unit.

    Attributes:
        quantity: the `LocalMaps` attribute it sets, e.g. `"c_slope"`.
        target: `target(parameter, depth)`, its value in a network of
            `depth` layers for the method's parameter (`tau`, `zeta`).
        formula: the condition as the papers write it, for messages.
    """

    quantity: str
    target: Callable[[float, int], float]
    formula: str

    def residual(self, maps, parameter, depth):
        return getattr(maps, self.quantity) - self.target(parameter, depth)


@dataclasses.dataclass(frozen=True)
class OutputShiftRule:
    """The condition that fixes the output shift in closed form.

    The output shift moves only `c_0` of the shaped unit's Hermite series
    (its mean); `c_0 = sign * size(c)` meets the condition, for each
    `sign` in `signs` (the roots tried).
    """

    formula: str
    size: Callable[[np.ndarray], float]
    signs: tuple


@dataclasses.dataclass(frozen=True)
class ShapingMethod:
    """A shaping method's conditions, from which the solver builds
    its equations.

    Every method's transformation has `Q(1) = 1` (the output scale) and
    `Q'(1) = 1` (`STABLE_VARIANCE`). `output_shift` fixes the output
    shift in closed form; the input scale and shift then solve
    `STABLE_VARIANCE` and `goal`, the method's depth-set condition.

    >>> TAT.goal.formula, DKS.goal.formula
    ("C''(1) = tau / depth", "C'(1) = zeta^(1 / depth)")

    Attributes:
        name: how the papers call it (`"TAT"`).
        parameter: the name of the argument that sets `goal` (`"tau"`).
        output_shift: an `OutputShiftRule`.
        goal: a `Condition`.
        converged: how far (relative) `goal`'s map, less a linear unit's,
            may move when recomputed from twice as many Hermite
            coefficients: more means the series does not converge.
    """

    name: str
    parameter: str
    output_shift: OutputShiftRule
    goal: Condition
    converged: float

    @property
    def solved(self):
        """The conditions that the input scale and shift solve."""
        return (STABLE_VARIANCE, self.goal)

    @property
    def owner(self):
        return f"{self.name.lower()}_transform"


STABLE_VARIANCE = Condition("q_slope", lambda parameter, depth: 1.0,
                            "Q'(1) = 1")


def _mean_for_unit_c_slope(c):
    """`|c_0|` with `C'(1) = 1`: `c_0^2 = sum_{n>=2} (n - 1) c_n^2`."""
    n = np.arange(c.size)
    return math.sqrt(np.sum((n[2:] - 1.0) * c[2:] ** 2))


TAT = ShapingMethod(
    name="TAT", parameter="tau",
    output_shift=OutputShiftRule("C'(1) = 1", _mean_for_unit_c_slope,
                                 signs=(1.0, -1.0)),
    goal=Condition("c_curvature", lambda tau, depth: tau / depth,
                   "C''(1) = tau / depth"),
    converged=1e-2,
)
DKS = ShapingMethod(
    name="DKS", parameter="zeta",
    output_shift=OutputShiftRule("C(0) = 0", lambda c: 0.0, signs=(1.0,)),
    goal=Condition("c_slope", lambda zeta, depth: zeta ** (1.0 / depth),
                   "C'(1) = zeta^(1 / depth)"),
    # 10% of C'(1) - 1 moves the network's C'(1) = zeta by about 4% (SELU's
    # series converges that slowly).
    converged=0.1,
)


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

    Reference: Zhang et al., "Deep Learning without Shortcuts: Shaping the
    Kernel with Tailored Rectifiers", arXiv:2203.08120, ICLR 2022.
    """
    depth = check_positive_int("depth", depth, TAT.owner)
    tau = float(check_number("tau", tau, TAT.owner, positive=True))
    return _shaped_transform(activation, TAT, depth, tau)


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
    depth = check_positive_int("depth", depth, DKS.owner)
    zeta = check_zeta(zeta, DKS.owner)
    return _shaped_transform(activation, DKS, depth, zeta)


def check_zeta(zeta, owner):
    """DKS's `zeta`: a finite number > 1, returned as a float."""
    zeta = float(check_number("zeta", zeta, owner, positive=True))
    if not zeta > 1.0:
        raise ValueError(
            f"{owner}: zeta must be > 1 (the network's C'(1) of a unit "
            "with C(0) = 0 is at least 1, and 1 only for a linear unit); "
            f"received zeta={zeta!r}."
        )
    return zeta


@functools.lru_cache(maxsize=128)
def _shaped_transform(activation, method, depth, parameter):
    """The `ActivationTransform` of `activation` that meets `method`'s
    conditions (a `ShapingMethod`) for `depth` layers and its `parameter`
    (checked by the caller), as `tat_transform` describes."""
    def transform(point, sign):
        scale, shift = point
        inner = hermite_coefficients(lambda z: activation(scale * z + shift))
        c = inner.copy()
        c[0] = sign * method.output_shift.size(c)
        output_scale = 1.0 / math.sqrt(np.sum(c**2))
        maps = LocalMaps.from_coefficients(c * output_scale)
        found = ActivationTransform(float(scale), float(shift),
                                    float(c[0] - inner[0]), output_scale)
        return found, maps

    def residual(point, sign):
        failed = np.full(len(method.solved), 1e6)
        try:
            _, maps = transform(point, sign)
        except (FloatingPointError, ZeroDivisionError, ValueError):
            return failed
        value = np.array([condition.residual(maps, parameter, depth)
                          for condition in method.solved])
        return value if np.all(np.isfinite(value)) else failed

    tolerance = _tolerance()
    solutions = []
    with np.errstate(all="ignore"):
        for start, sign in itertools.product(_STARTS,
                                             method.output_shift.signs):
            result = optimize.root(residual, start, args=(sign,),
                                   method="hybr")
            if not (result.success and np.max(np.abs(result.fun)) < tolerance):
                continue
            scale, shift = result.x
            found, _ = transform((abs(scale), shift), sign)
            solutions.append(found)
    if not solutions:
        raise ValueError(
            f"{method.owner}: no transformation of {_name(activation)} "
            f"reaches {method.goal.formula} ({method.parameter}={parameter}, "
            f"depth={depth}) with Q(1) = Q'(1) = 1 and "
            f"{method.output_shift.formula}; use shaping=False or another "
            f"{method.parameter}."
        )
    best = _nearest_the_origin(solutions)
    _check_converged(activation, method, best)
    return best


def _nearest_the_origin(solutions):
    """The solution with the smallest `|input_shift|`; of mirrored ones (an
    odd unit's), the positive shift."""
    # Ties are taken within 1e-4, wider than the solutions' spread on JAX.
    smallest = min(abs(t.input_shift) for t in solutions)
    return min((t for t in solutions
                if abs(t.input_shift) <= smallest + 1e-4 * max(1.0, smallest)),
               key=lambda t: (-t.input_shift, t.input_scale))


def _check_converged(activation, method, transform):
    """Raises unless the Hermite series of `transform(activation)` gives
    `method.goal`'s map. A kink in phi (a jump in phi', as SELU's) makes
    C''(1) infinite, and a jump in phi C'(1): the truncated series then has
    a finite but meaningless sum, which keeps growing with the order."""
    quantity = method.goal.quantity
    linear = getattr(LINEAR_MAPS, quantity)

    def departure(order):
        maps = LocalMaps.from_coefficients(
            hermite_coefficients(transform(activation), order))
        return getattr(maps, quantity) - linear

    solved, longer = departure(HERMITE_ORDER), departure(_CONVERGENCE_ORDER)
    if abs(longer - solved) > method.converged * abs(solved):
        symbol = LocalMaps.SYMBOLS[quantity] + (f" - {linear:g}" if linear
                                                else "")
        raise ValueError(
            f"{method.owner}: {_name(activation)} is not smooth enough for "
            f"{method.name}: {symbol} is {solved:.4g} from "
            f"{HERMITE_ORDER + 1} Hermite coefficients but {longer:.4g} from "
            f"{_CONVERGENCE_ORDER + 1}, so its series does not converge (a "
            "kink makes C''(1) infinite). Use shaping=False, or a smooth "
            "activation."
        )


def _tolerance():
    """The largest residual a solution may leave on this backend."""
    import keras

    return _SOLVED_JAX if keras.backend.backend() == "jax" else _SOLVED


def _name(activation):
    return getattr(activation, "__name__", repr(activation))

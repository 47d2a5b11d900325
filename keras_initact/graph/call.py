"""`LayerCall`: what an estimator is given, and how it sets a kernel."""

import dataclasses
import inspect
import math
from typing import Any, Optional

import keras
import numpy as np

from keras_initact.graph.signal import Signal


@dataclasses.dataclass(frozen=True, eq=False)
class Flow:
    """What travels along one edge of the graph: the predicted `signal`,
    the static `shape` (batch first), and the measured `tensor` when the
    walk has data (`initialize(model, x)`), else `None`."""

    signal: Signal
    shape: tuple
    tensor: Any = None
    correlation: float = 0.0


@dataclasses.dataclass(eq=False)
class KernelScale:
    """One kernel as the walk saw it: its `fan` (taps on real input
    included), its input's predicted second moment and its own mean square
    `second` (`fan * second * input_second` is the output's); `factor` is
    what `initialize` multiplied it by (1 when only read)."""

    variable: str
    fan: float
    input_second: float
    second: float
    factor: float


@dataclasses.dataclass(eq=False)
class LayerCall:
    """One call of a layer, as an estimator sees it.

    An estimator is `estimator(call) -> Signal` (or a list of them, one per
    output): it reads the layer (`call.layer`), its inputs' signals and
    shapes (`call.input`, `call.input_shape`, `call.argument(name)`), and
    gets every kernel's mean square from `call.kernel_second`, which also
    sets it when the walk initializes.

    Attributes:
        layer: the layer called.
        args, kwargs: the call's arguments, each input tensor a `Flow`.
        training: whether the walk predicts the training-mode forward pass.
        initializing: whether kernels are to be set (`initialize`) or only
            read (`predict_moments`).
        target: the second moment every kernel's output is set to.
        seed: the seed for kernels drawn anew (all-zero ones).
        fixed: kernels given their mean square by the scheme (`id` of the
            variable -> mean square; 0 zeroes it, `None` keeps it as it
            is), not by their input.
        output_correlation: set by an estimator that knows its output's
            correlation between positions (attention); else the walk's
            default rule gives it.
    """

    layer: Any
    args: tuple
    kwargs: dict
    training: bool = True
    initializing: bool = False
    target: float = 1.0
    seed: Optional[int] = None
    fixed: dict = dataclasses.field(default_factory=dict)
    scales: list = dataclasses.field(default_factory=list)
    output_correlation: Optional[float] = None

    @property
    def input(self):
        """The first argument's signal (a list of them for a merge
        layer's list of inputs)."""
        return _signals(self.args[0])

    @property
    def input_correlation(self):
        """The first argument's correlation between positions."""
        first = self.args[0]
        return first.correlation if isinstance(first, Flow) else 0.0

    @property
    def input_shape(self):
        """The first argument's shape (a list for a list of inputs)."""
        first = self.args[0]
        if isinstance(first, (list, tuple)):
            return [flow.shape for flow in first]
        return first.shape

    def argument(self, name, default=None):
        """The call's argument `name` (a `Flow`'s signal for a tensor),
        bound by the layer's `call` signature, else `default`."""
        return _signals(self._bound(name, default))

    def argument_correlation(self, name, default=0.0):
        """The positions' correlation of the tensor argument `name`, else
        `default`."""
        value = self._bound(name)
        return value.correlation if isinstance(value, Flow) else default

    def argument_shape(self, name):
        """The shape of the tensor argument `name`, or `None`."""
        value = self._bound(name)
        return value.shape if isinstance(value, Flow) else None

    def _bound(self, name, default=None):
        try:
            bound = inspect.signature(self.layer.call).bind(
                *self.args, **self.kwargs)
        except TypeError:
            return default
        return bound.arguments.get(name, default)

    def kernel_second(self, variable, fan, input_second, target=None):
        """The mean square of `variable` (a kernel) once the walk is past
        it.

        Initializing, the kernel is multiplied by the one factor that makes
        `fan * E[w^2] * input_second` equal to `target` (the call's, 1 by
        default): its shape of distribution (orthogonal, uniform, ...) is
        kept. An all-zero kernel is drawn anew from a normal distribution
        of that mean square. Reading, it is the kernel's own."""
        values = keras.ops.convert_to_numpy(variable).astype(np.float64)
        current = float(np.mean(values * values))
        if not self.initializing or (id(variable) in self.fixed
                                     and self.fixed[id(variable)] is None):
            self.scales.append(KernelScale(
                _variable_name(variable), float(fan), float(input_second),
                current, 1.0))
            return current
        target = self.target if target is None else target
        wanted = self.fixed.get(
            id(variable), target / max(fan * input_second, 1e-30))
        if wanted == 0.0:
            factor = 0.0
            new = np.zeros_like(values)
        elif current > 0.0:
            factor = math.sqrt(wanted / current)
            new = values * factor
        else:
            factor = math.inf
            new = keras.ops.convert_to_numpy(keras.random.normal(
                values.shape, stddev=math.sqrt(wanted), seed=self.seed))
        variable.assign(keras.ops.cast(new, variable.dtype))
        self.scales.append(KernelScale(
            _variable_name(variable), float(fan), float(input_second),
            wanted, factor))
        return wanted


def _signals(value):
    if isinstance(value, Flow):
        return value.signal
    if isinstance(value, (list, tuple)):
        return [_signals(item) for item in value]
    return value


def _variable_name(variable):
    return getattr(variable, "path", None) or getattr(variable, "name", "?")


def bias_moments(layer, name="bias"):
    """`(E[b], E[b^2])` of a layer's bias, `(0, 0)` without one."""
    bias = getattr(layer, name, None)
    if bias is None:
        return 0.0, 0.0
    values = keras.ops.convert_to_numpy(bias).astype(np.float64)
    return float(values.mean()), float(np.mean(values * values))


def linear_output(layer, weight_part, bias_name="bias"):
    """The Gaussian signal of `weights . x + bias`, whose weight part has
    second moment `weight_part` (zero-mean weights)."""
    mean, second = bias_moments(layer, bias_name)
    return Signal.gaussian(mean, weight_part + second - mean * mean)

"""`Signal`: the predicted distribution of a tensor's elements.

`initialize` carries one `Signal` along each edge of a model's graph. A
signal is a discrete distribution (support points and their
probabilities) that starts as a Gaussian on probabilists' Gauss-Hermite
nodes, so that an elementwise function acts on it exactly: `signal.map(f)`
is the distribution of `f(x)`, and its moments are `f`'s Gaussian
integrals. Two signals with the same `source` are functions of one random
variable, aligned point by point (`x * hard_sigmoid(x)`); signals of
different sources are independent (a residual branch and its skip).
"""

import dataclasses
import functools
import math

import keras
import numpy as np

# Gauss-Hermite nodes of a Gaussian signal.
POINTS = 101
# The most points `combine` evaluates a function of independent signals on;
# past it, it draws SAMPLES joint samples of them instead.
MAX_GRID = 40_000
SAMPLES = 40_000
# A signal on more points than this (a mixture of many) is reduced to the
# Gaussian of its moments (`compact`).
MAX_POINTS = 4 * POINTS


@functools.lru_cache(maxsize=8)
def _standard_normal(points):
    nodes, weights = np.polynomial.hermite_e.hermegauss(points)
    return nodes, weights / weights.sum()


class Source:
    """The random variable behind signals that are functions of it."""

    def __repr__(self):
        return f"<Source {id(self):#x}>"


@dataclasses.dataclass(frozen=True, eq=False)
class Signal:
    """The distribution of one tensor's elements, pooled over its positions.

    >>> x = Signal.gaussian(0.0, 1.0)
    >>> x.map(keras.ops.relu).second   # E[relu(z)^2] = 1/2
    0.5

    Attributes:
        values: the support points (float64 NumPy array).
        weights: their probabilities (sum 1).
        source: the `Source` whose function `values` are, point by point.
        borders: `None`, or per spatial axis `(length, before, after)`: the
            tensor was zero-padded (`ZeroPadding2D`) with `before` and
            `after` zeros on an axis of `length` positions that the moments
            leave out; convolutions read them (`keras_initact.graph.linear`),
            every other estimator sees them mixed in (`materialized`).
    """

    values: np.ndarray
    weights: np.ndarray
    source: Source = dataclasses.field(default_factory=Source)
    borders: tuple = None

    @classmethod
    def gaussian(cls, mean, variance, points=POINTS):
        """A Gaussian signal `N(mean, variance)`, a new source."""
        nodes, weights = _standard_normal(points)
        spread = math.sqrt(max(float(variance), 0.0))
        return cls(float(mean) + spread * nodes, weights)

    @classmethod
    def of_moments(cls, mean, second, points=POINTS):
        """The Gaussian signal with this mean and second moment."""
        return cls.gaussian(mean, second - mean * mean, points)

    @classmethod
    def constant(cls, value):
        """A signal that is always `value`."""
        return cls(np.array([float(value)]), np.array([1.0]))

    @property
    def mean(self):
        """`E[x]`."""
        return float(np.dot(self.weights, self.values))

    @property
    def second(self):
        """`E[x^2]`, the second moment."""
        return float(np.dot(self.weights, self.values * self.values))

    @property
    def variance(self):
        """`E[x^2] - E[x]^2`."""
        return max(self.second - self.mean ** 2, 0.0)

    def map(self, function):
        """The distribution of `function(x)` for an elementwise `function`
        (a Keras or NumPy function of an array), of the same source."""
        values = _evaluate(function, self.values)
        return dataclasses.replace(self, values=values, borders=None)

    def affine(self, scale, shift=0.0):
        """The distribution of `scale * x + shift`."""
        return dataclasses.replace(
            self, values=scale * self.values + shift, borders=None)

    def standardized(self):
        """`(x - E[x]) / sqrt(Var[x])`: what a normalization layer makes of
        it (the identity map of a signal without variance)."""
        spread = math.sqrt(self.variance)
        if spread == 0.0:
            return self.affine(1.0, -self.mean)
        return self.affine(1.0 / spread, -self.mean / spread)

    def gaussianized(self):
        """The Gaussian of the same moments, a new source: the central
        limit theorem's answer for a sum of many such elements."""
        return Signal.of_moments(self.mean, self.second)

    def independent(self):
        """The same distribution, a new source: an independent copy."""
        return dataclasses.replace(self, source=Source(), borders=None)

    def maximum_of(self, count):
        """The distribution of the largest of `count` independent draws
        (max pooling), a new source."""
        order = np.argsort(self.values, kind="stable")
        values = self.values[order]
        below = np.cumsum(self.weights[order]).clip(0.0, 1.0)
        weights = np.diff(below ** count, prepend=0.0)
        return compact(Signal(values, weights))

    def with_point(self, value, probability):
        """The mixture: `value` with `probability`, else this signal (a new
        source: the choice is independent of `x`)."""
        if probability <= 0.0:
            return self
        return Signal(np.append(self.values, float(value)),
                      np.append(self.weights * (1.0 - probability),
                                probability))

    def padded(self, borders):
        """This signal zero-padded: `borders` as in the attribute, added to
        any it already has."""
        if self.borders is not None:
            borders = tuple((length, before + old[1], after + old[2])
                            for (length, before, after), old
                            in zip(borders, self.borders))
        return dataclasses.replace(self, borders=tuple(borders))

    @property
    def real_fraction(self):
        """The fraction of positions that are not padding."""
        if self.borders is None:
            return 1.0
        return math.prod((length - before - after) / length
                         for length, before, after in self.borders)

    def materialized(self):
        """This signal with its zero padding mixed in, no borders left."""
        if self.borders is None:
            return self
        real = self.real_fraction
        return dataclasses.replace(self, borders=None).with_point(
            0.0, 1.0 - real)


def combine(function, *signals):
    """The distribution of `function(*xs)` for an elementwise `function` of
    several signals: pointwise when they share a source, else over the
    product of their independent sources (then the Gaussian of the same
    moments, a new source). Arguments that are not `Signal`s (constants)
    are passed as they are."""
    found = [signal for signal in signals if isinstance(signal, Signal)]
    sources = list(dict.fromkeys(signal.source for signal in found))
    if len(sources) == 1:
        arrays = [signal.values if isinstance(signal, Signal) else signal
                  for signal in signals]
        return Signal(_evaluate(function, *arrays), found[0].weights,
                      found[0].source)
    sizes = {source: len(next(s for s in found if s.source is source).values)
             for source in sources}
    if math.prod(sizes.values()) > MAX_GRID:
        return _combine_by_sampling(function, signals, found, sources)
    grids = dict(zip(sources, np.meshgrid(
        *[np.arange(sizes[source]) for source in sources], indexing="ij")))
    weights = np.ones(next(iter(grids.values())).shape)
    for source, grid in grids.items():
        weights = weights * next(
            s for s in found if s.source is source).weights[grid]
    arrays = [signal.values[grids[signal.source]].ravel()
              if isinstance(signal, Signal) else signal
              for signal in signals]
    values = _evaluate(function, *arrays)
    return Signal(values, weights.ravel()).gaussianized()


def _combine_by_sampling(function, signals, found, sources):
    """`combine` for too many independent sources to take their product:
    on SAMPLES joint draws (a fixed seed: the same answer every time)."""
    rng = np.random.default_rng(0)
    draws = {}
    for source in sources:
        signal = next(s for s in found if s.source is source)
        draws[source] = rng.choice(len(signal.values), size=SAMPLES,
                                   p=signal.weights)
    arrays = [signal.values[draws[signal.source]]
              if isinstance(signal, Signal) else signal
              for signal in signals]
    values = _evaluate(function, *arrays)
    return Signal.of_moments(float(values.mean()),
                             float(np.mean(values * values)))


def _evaluate(function, *arrays):
    """`function` of the arrays, as a float64 NumPy array: NumPy functions
    directly, Keras ones on float32 tensors (every backend has them)."""
    tensors = [keras.ops.convert_to_tensor(np.asarray(a, dtype=np.float32))
               if isinstance(a, np.ndarray) else a for a in arrays]
    values = function(*tensors)
    return np.asarray(keras.ops.convert_to_numpy(values), dtype=np.float64)


def compact(signal):
    """`signal`, or the Gaussian of its moments when it has more than
    MAX_POINTS points (mixtures, such as many concatenated tensors, grow)."""
    if len(signal.values) <= MAX_POINTS:
        return signal
    return signal.gaussianized()


def mixture(signals, fractions):
    """The distribution of an element drawn from `signals[i]` with
    probability `fractions[i]` (a concatenation), a new source."""
    total = float(sum(fractions))
    values = np.concatenate([s.values for s in signals])
    weights = np.concatenate([s.weights * (f / total)
                              for s, f in zip(signals, fractions)])
    return compact(Signal(values, weights))


def mean_square(array):
    """`(E[x], E[x^2])` of a tensor's elements, in float64."""
    values = np.asarray(keras.ops.convert_to_numpy(array), dtype=np.float64)
    return float(values.mean()), float(np.mean(values * values))

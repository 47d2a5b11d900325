"""Initialization schemes: AutoInit's rule, and what Fixup and DeepNorm
change in a model's residual branches.

A scheme says which kernels the walk holds at zero (`zeroed`) and, once
the walk has set every other kernel by AutoInit's rule, which it then
multiplies by a factor (`rescaled`). `initialize(model, scheme=...)` takes
a scheme's name (`SCHEMES`) or an instance, e.g. `DeepNorm(beta=0.2)`.
"""

import dataclasses
import math
from typing import ClassVar, Optional

import keras
import numpy as np

from keras_initact import keras_adapter
from keras_initact.checks import check_bool, check_number
from keras_initact.graph.linear import einsum_fan
from keras_initact.layers import DeepNormResidual, deepnorm_constants


class Scheme:
    """The base of the schemes: AutoInit's rule alone."""

    name: ClassVar[str] = "auto"

    def zeroed(self, structure):
        """Kernels held at zero by the walk."""
        return ()

    def rescaled(self, structure):
        """`[(variable, factor), ...]` applied once the walk has set the
        kernels."""
        return []


@dataclasses.dataclass(frozen=True)
class AutoInit(Scheme):
    """Every kernel scaled so that its layer's pre-activation output has
    unit second moment, `fan_in * E[w^2] * E[x^2] = 1` (Bingham &
    Miikkulainen, "AutoInit", AAAI 2023).

    >>> keras_initact.initialize(model, scheme=AutoInit())   # = "auto"
    """

    name: ClassVar[str] = "auto"


@dataclasses.dataclass(frozen=True)
class Fixup(Scheme):
    """Fixup (Zhang, Dauphin & Ma, "Fixup Initialization: Residual
    Learning Without Normalization", ICLR 2019), on AutoInit's rule.

    For `L` residual branches of `m` kernel stages each: the last stage of
    every branch is zero, the other stages of a branch are multiplied by
    `L^(-1/(2m-2))` (a stage in nested branches by its innermost's) after AutoInit's rule has set them (the He
    initialization of the paper, with the real inputs' moments), and the
    classifier (the last kernel before each model output) is zero. A
    one-stage branch is only zeroed. Fixup's scalar biases and multiplier
    are layers to add to the model (`ResidualScale(1.0)` is the
    multiplier); this scheme changes weights only.

    >>> keras_initact.initialize(model, scheme="fixup")

    Args:
        zero_classifier: zero the classifier too (the paper's rule 1).
    """

    name: ClassVar[str] = "fixup"
    zero_classifier: bool = True

    def __post_init__(self):
        check_bool("zero_classifier", self.zero_classifier, "Fixup")

    def zeroed(self, structure):
        last = [stage for branch in structure.branches
                for stage in branch.last]
        return last + (list(structure.classifier)
                       if self.zero_classifier else [])

    def rescaled(self, structure):
        count = len(structure.branches)
        zeroed = {id(v) for v in self.zeroed(structure)}
        factors = {}
        for branch in sorted(structure.branches, key=lambda b: -b.depth):
            # Deepest first, so that a nested branch's factor wins.
            if branch.depth < 2:
                continue
            factor = count ** (-1.0 / (2 * branch.depth - 2))
            for stage in branch.stages:
                if id(stage) not in zeroed:
                    factors[id(stage)] = (stage, factor)
        return list(factors.values())


@dataclasses.dataclass(frozen=True)
class DeepNorm(Scheme):
    """DeepNorm's initialization (Wang et al., "DeepNet: Scaling
    Transformers to 1,000 Layers", 2022) in the branches that a
    `DeepNormResidual` merges, `LN(alpha * x + f(x))`.

    In those branches every kernel gets Xavier-normal's mean square,
    `gain^2 * 2 / (fan_in + fan_out)`, with `gain = beta` for the
    feed-forward kernels and attention's value and output projections and
    `gain = 1` for its query and key projections; the rest of the model
    keeps AutoInit's rule.

    >>> keras_initact.initialize(model, scheme=DeepNorm(beta=deepnorm_constants(encoder_layers=18).beta))

    Args:
        beta: the gain; by default that of an encoder (or decoder) alone
            whose `N` layers are half the model's `DeepNormResidual`
            merges (one after attention, one after the feed-forward
            block): `(8N)^(-1/4)`. Give it for an encoder-decoder
            (`deepnorm_constants(encoder_layers, decoder_layers, part)`).
    """

    name: ClassVar[str] = "deepnorm"
    beta: Optional[float] = None

    def __post_init__(self):
        if self.beta is not None:
            check_number("beta", self.beta, "DeepNorm", positive=True)

    def rescaled(self, structure):
        branches = structure.merged_by(DeepNormResidual)
        if not branches:
            raise ValueError(
                "initialize: scheme 'deepnorm' initializes the branches "
                "that DeepNormResidual layers merge, and the model has "
                "none. Merge each residual block with "
                "keras_initact.layers.DeepNormResidual(alpha), or use "
                "scheme 'auto' or 'fixup'.")
        beta = self.beta if self.beta is not None else deepnorm_constants(
            encoder_layers=max(1, len(branches) // 2)).beta
        return [(kernel, _factor_to(
                    kernel, gain * gain * 2.0 / sum(_fans(layer, kernel))))
                for branch in branches for layer in branch.layers
                for kernel, gain in _xavier_gains(layer, beta)]


SCHEMES = {scheme.name: scheme
           for scheme in (AutoInit(), Fixup(), DeepNorm())}


def scheme_named(scheme, owner="initialize"):
    """The `Scheme` that `scheme` (a name in `SCHEMES` or an instance)
    stands for."""
    if isinstance(scheme, Scheme):
        return scheme
    if isinstance(scheme, str) and scheme in SCHEMES:
        return SCHEMES[scheme]
    raise ValueError(
        f"{owner}: `scheme` must be one of {sorted(SCHEMES)} or a "
        f"keras_initact.graph.Scheme (AutoInit(), Fixup(...), "
        f"DeepNorm(...)); received {scheme!r}.")


def _xavier_gains(layer, beta):
    if isinstance(layer, keras.layers.MultiHeadAttention):
        query, key, value, output = keras_adapter.attention_projections(layer)
        return ((query.kernel, 1.0), (key.kernel, 1.0),
                (value.kernel, beta), (output.kernel, beta))
    kernel = getattr(layer, "kernel", None)
    if isinstance(kernel, keras.Variable):
        return ((kernel, beta),)
    return ()


def _fans(layer, kernel):
    """Xavier's `(fan_in, fan_out)` of `kernel`, one of `layer`'s."""
    if isinstance(layer, keras.layers.MultiHeadAttention):
        layer = next(sub for sub in keras_adapter.attention_projections(layer)
                     if sub.kernel is kernel)
    size = math.prod(kernel.shape)
    equation = getattr(layer, "equation", None)
    if equation is not None:
        fan_in = einsum_fan(equation, kernel.shape)
        return fan_in, size // fan_in
    return size // kernel.shape[-1], size // kernel.shape[-2]


def _factor_to(kernel, second):
    values = keras.ops.convert_to_numpy(kernel).astype(np.float64)
    current = float(np.mean(values * values))
    return math.sqrt(second / current) if current > 0.0 else 1.0

"""The initializer that keeps a network of a given depth trainable, per activation."""

import dataclasses
from typing import Any, Mapping, Optional

from keras_initact.activations import ACTIVATIONS
from keras_initact.checks import (
    check_between, check_number, check_positive_int,
)
from keras_initact.deep import shaping as tat
from keras_initact.initializers import (
    Critical,
    Orthogonal,
    VarianceScaling,
    Zeros,
)
from keras_initact.layers import ShapedActivation
from keras_initact.math import mean_field
from keras_initact.seeding import derive_seed

# Up to this depth the classic pairing (He, LeCun, Glorot) keeps the signal.
SHALLOW_DEPTH = 8


@dataclasses.dataclass(frozen=True)
class InitRecipe:
    """How to initialize (and, with shaping, which activation to use in) a
    plain network.

    Attributes:
        activation: the registry name of the activation to use; differs from
            the one asked for only when TAT turned a ReLU-family unit into a
            leaky ReLU.
        activation_arguments: keyword arguments of that activation's layer
            (e.g. `{"negative_slope": 0.47}` for a TAT leaky ReLU).
        transform: for a TAT-shaped smooth activation, its
            `shaping.ActivationTransform` (the layer is then a
            `ShapedActivation`); else None.
        kernel_initializer, bias_initializer: for hidden layers after the
            first; call `.derive(i)` (see `kernel_for`) so that no two
            layers share values.
        input_kernel_initializer, input_bias_initializer: for the first
            layer, which sees the data (assumed standardized) rather than an
            activation's output.
        shaped: whether shaping changed the activation (TAT) or applied
            the weight-scale reparametrization.
        rationale: one line on why.
        shaping: `"tat"` or `"dks"`: the method that changed the activation
            (`"dks"` only for a DKS-transformed smooth unit); None when it
            did not change.
        activation_rescale: the factor every activation's output is
            multiplied by (a `keras.layers.Rescaling` after it), `1 /
            weight_scale` of the weight-scale reparametrization (see
            `for_activation`); 1 unless shaped.
    """

    activation: str
    activation_arguments: Mapping[str, Any]
    kernel_initializer: Any
    bias_initializer: Any
    input_kernel_initializer: Any
    input_bias_initializer: Any
    shaped: bool
    rationale: str
    activation_rescale: float = 1.0
    transform: Optional[Any] = None
    shaping: Optional[str] = None

    def kernel_for(self, index):
        """The kernel initializer of hidden layer `index` (0 = first)."""
        init = self.input_kernel_initializer if index == 0 else self.kernel_initializer
        return init.derive(index) if hasattr(init, "derive") else init

    def bias_for(self, index):
        """The bias initializer of hidden layer `index`."""
        init = self.input_bias_initializer if index == 0 else self.bias_initializer
        return init.derive(index) if hasattr(init, "derive") else init

    def activation_layer(self, **kwargs):
        """A new layer computing the (possibly shaped) activation."""
        if self.transform is not None:
            return ShapedActivation(self.activation,
                                    **self.transform.arguments(), **kwargs)
        return ACTIVATIONS.spec(self.activation).layer(
            **self.activation_arguments, **kwargs
        )


def for_activation(activation, depth=None, shaping=False, eta=0.9, tau=0.3,
                   weight_scale=None, seed=None, zeta=tat.DEFAULT_ZETA):
    """The initialization that suits `activation` in a plain network of `depth`.

    - `depth` unknown or at most `SHALLOW_DEPTH`: the registry's pairing (He
      for the ReLU family, LeCun for SELU, Glorot for tanh and sigmoid),
      zero biases.
    - deeper: a point on mean-field theory's critical line
      (`keras_initact.math.mean_field`): orthogonal kernels with `chi_1 = 1`
      (gradients neither vanish nor explode) and biases `N(0, sigma_b^2)`
      that hold the pre-activation variance at the fixed point `q*`, with
      `q*` chosen by `shallow_critical_point` so that the whole network's
      correlation map sends orthogonal inputs to correlation at most `eta`
      (the network stays close enough to linear to train). Kernels are
      centred for activations whose outputs are not zero-centred. The first
      layer maps standardized data to variance `q*`. Positively homogeneous
      units (ReLU family) are scale-free: He-scaled orthogonal kernels.
    - deeper with `shaping=True` (or `"tat"`): Tailored Activation
      Transformation (`keras_initact.deep.shaping`), which keeps the
      activation's family but changes the unit with the depth, where the
      registry says it applies:
        - linear: nothing to shape (its kernel map is already the
          identity, which TAT and DKS approach): it stays linear, with
          orthogonal kernels of gain 1;
        - ReLU family (positively homogeneous units, which no weights bring
          to dynamical isometry): a leaky ReLU whose negative slope is set
          by the depth (`tat_leaky_relu_slope(depth, eta)`), orthogonal
          kernels scaled by its gain;
        - smooth activations (GELU, tanh, sigmoid, Swish, Mish, ...):
          `output_scale * (phi(input_scale * x + input_shift) +
          output_shift)` with the whole network's `C''(1) = tau`
          (`tat_transform(phi, depth, tau)`), orthogonal kernels of
          variance `1 / fan_in` (delta-orthogonal for convolutions), zero
          biases; the layer is a `ShapedActivation`;
        - units with a kink (SELU, ELU, Softsign, ...): TAT's `C''(1)` is
          infinite for them, so DKS shapes them (below), which needs only
          `C'(1)`; where DKS's conditions cannot be met (hard_tanh,
          relu6, ...) they keep the critical point.
    - deeper with `shaping="dks"`: Deep Kernel Shaping (Martens et al.
      2021), `dks_transform(phi, depth, zeta)`: `C(0) = 0` and the whole
      network's `C'(1) = zeta`, with the same kernels as TAT's, for smooth
      and kinked units alike; the ReLU family gets TAT's leaky ReLU (DKS's
      authors discourage DKS-shaped ReLUs and advise leaky ReLUs). For a
      unit whose slope jumps (SELU) the Hermite series gives `C'(1) - 1`
      to a few percent, so the network's `C'(1)` is `zeta` to about 1%.
    - with either shaping, every activation also gets a weight-scale
      reparametrization, keras_initact's own (neither DKS nor TAT has it;
      their "output scale" is the factor that sets `Q(1) = 1`, inside the
      shaped unit): every activation's output is multiplied by
      `1 / weight_scale` and every hidden kernel after the first is
      `weight_scale` times larger. The function at initialization is the
      same, but Adam's steps, about the learning rate per weight whatever
      the weight's size, change each of those kernels `weight_scale` times
      less in relative terms: exactly as Adam with the learning rate of
      those kernels divided by `weight_scale` (up to Adam's epsilon). That
      keeps the 60 layer gains of a deep network from drifting apart during
      training. The activation changes: build it with
      `recipe.activation_layer()` (and read `recipe.activation_rescale`).

    Deeper than `SHALLOW_DEPTH`, every kernel after the first is orthogonal
    per unit, and a convolution kernel delta-orthogonal (Xiao et al. 2018:
    an orthogonal matrix at the centre tap, zeros elsewhere), so deep plain
    CNNs get the signal propagation of MLPs; the first layer's kernel (the
    data's) is orthogonal over all its taps, or variance-scaled.

    >>> recipe = for_activation("tanh", depth=60)
    >>> layer = keras.layers.Dense(128, kernel_initializer=recipe.kernel_for(3),
    ...                            bias_initializer=recipe.bias_for(3))

    Args:
        activation: a registry name (any spelling or alias).
        depth: the number of hidden layers, or None.
        shaping: False (default), True or `"tat"` (TAT), or `"dks"`
            (DKS): allow activation shaping and the weight-scale
            reparametrization.
        eta: the correlation that `depth` layers may map orthogonal inputs to
            (smaller is closer to linear); 0.9 as in the TAT paper. Used by
            the critical point and the ReLU family's TAT.
        tau: the whole network's `C''(1)` for TAT-shaped smooth activations
            (smaller is closer to linear); 0.3 as in the TAT paper.
        weight_scale: with shaping, how much larger the hidden kernels are
            (and smaller the activations' outputs). Default
            `depth / SHALLOW_DEPTH`: each layer's relative Adam step shrinks
            as the number of layers grows, so the whole network's relative
            change per step stays about that of a `SHALLOW_DEPTH`-layer
            network, which trains with the classic pairing. At depth 60
            (7.5) digits MLPs reached 0.95-0.97 for every activation of the
            README's table (0.10-0.45 without shaping).
        seed: base seed; layer `i` gets `derive_seed(seed, i)`.
        zeta: the whole network's `C'(1)` for DKS-shaped smooth
            activations, > 1 (1.5 as in the DKS paper).
    """
    spec = ACTIVATIONS.spec(activation)
    depth = check_positive_int("depth", depth, "for_activation",
                               allow_none=True)
    method = shaping_method(shaping, "for_activation")
    eta = check_between("eta", eta, "for_activation", 0.0, 1.0)
    tau = check_number("tau", tau, "for_activation", positive=True)
    zeta = check_number("zeta", zeta, "for_activation", positive=True)
    if not zeta > 1.0:
        raise ValueError(
            f"for_activation: zeta must be > 1 (a network's C'(1) with "
            f"C(0) = 0 is at least 1); received zeta={zeta!r}."
        )
    if weight_scale is not None:
        _checked_weight_scale(weight_scale, depth)
    if not spec.hidden:
        raise ValueError(
            f"for_activation: {spec.name!r} is not elementwise (it mixes units), "
            "so it is an output head, not a hidden activation."
        )
    base_seed = derive_seed(0 if seed is None else seed, 0)
    deep = depth is not None and depth > SHALLOW_DEPTH
    if deep and spec.gate is not None:
        raise ValueError(
            f"for_activation: {spec.name!r} is a gated unit (a * gate(b) for "
            "the two halves of its input), and the mean-field theory and TAT "
            "here are those of elementwise units: there is no critical point "
            f"or shaping for it beyond depth {SHALLOW_DEPTH}. Use depth <= "
            f"{SHALLOW_DEPTH}, or an elementwise unit (e.g. the gate alone, "
            f"{spec.gate.__name__!r})."
        )
    if deep and not spec.continuous:
        raise ValueError(
            f"for_activation: {spec.name!r} jumps (it is not continuous), so "
            "its gradient is a spike at the jump and no point of the "
            "order-to-chaos line keeps a deep network's signal; shaping needs "
            f"a continuous unit too. Use depth <= {SHALLOW_DEPTH}, or a "
            "continuous unit."
        )

    if depth is None or depth <= SHALLOW_DEPTH:
        kernel = spec.initializer(seed=base_seed)
        return InitRecipe(
            spec.name, {}, kernel, Zeros(), kernel, Zeros(), False,
            f"depth {depth or 'unknown'} <= {SHALLOW_DEPTH}: the classic pairing "
            f"{type(kernel).__name__} for {spec.name}",
        )

    if method and spec.name == "linear":
        # Already the identity kernel map, C(c) = c, at every depth: the
        # limit TAT's and DKS's shaped units approach (theirs stay a little
        # nonlinear to be expressive). TAT's leaky ReLU would make the
        # network nonlinear, which is not what a linear one asks for, so
        # shaping only adds the weight-scale reparametrization.
        weight_scale = _checked_weight_scale(weight_scale, depth)
        return InitRecipe(
            spec.name, {}, _orthogonal_per_unit(weight_scale, base_seed),
            Zeros(), Orthogonal(gain=1.0, seed=base_seed), Zeros(), True,
            "linear already has the identity kernel map C(c) = c, the "
            f"limit that {method.upper()}'s shaped units approach, so it "
            "stays linear: orthogonal kernels with gain 1"
            + _scaled(weight_scale),
            activation_rescale=1.0 / weight_scale,
        )

    if method and spec.homogeneous:
        weight_scale = _checked_weight_scale(weight_scale, depth)
        alpha = tat.tat_leaky_relu_slope(depth, eta)
        gain = tat.leaky_relu_gain(alpha)
        return InitRecipe(
            "leaky_relu", {"negative_slope": alpha},
            _orthogonal_per_unit(gain * weight_scale, base_seed), Zeros(),
            Orthogonal(gain=gain, seed=base_seed), Zeros(), True,
            f"TAT: {spec.name} shaped into leaky_relu(negative_slope={alpha:.3f}) "
            f"for depth {depth}, orthogonal kernels with gain {gain:.3f}"
            + _scaled(weight_scale)
            + ("; DKS leaves the ReLU family to TAT's leaky ReLU (its "
               "authors discourage DKS-shaped ReLUs and advise leaky ReLUs)"
               if method == "dks" else ""),
            activation_rescale=1.0 / weight_scale, shaping="tat",
        )

    transform = None
    if method and spec.smooth:
        if method == "dks":
            transform = ("dks", tat.dks_transform(spec.activation, depth, zeta),
                         f"C'(1) = {zeta:g}", "")
        else:
            transform = ("tat", tat.tat_transform(spec.activation, depth, tau),
                         f"C''(1) = {tau:g}", "")
    elif method and not spec.homogeneous:
        # A kink (SELU, ELU) makes TAT's C''(1) infinite, but DKS needs only
        # C'(1), which exists: DKS shapes it, under either method, where
        # its conditions can be met.
        try:
            transform = ("dks", tat.dks_transform(spec.activation, depth, zeta),
                         f"C'(1) = {zeta:g}",
                         f"; DKS, as {spec.name} has a kink, which TAT's "
                         "C''(1) cannot have")
        except ValueError:
            transform = None
    if transform is not None:
        weight_scale = _checked_weight_scale(weight_scale, depth)
        shaped_by, t, condition, why = transform
        # The shaped unit has Q(1) = Q'(1) = 1, so weights of variance
        # 1 / fan_in and no biases keep q = 1 (TAT's C'(1) = 1 also makes
        # it the critical point, sigma_w^2 = 1 at q* = 1, as DKS and TAT
        # prescribe).
        return InitRecipe(
            spec.name, {}, _orthogonal_per_unit(weight_scale, base_seed), Zeros(),
            VarianceScaling(scale=1.0, mode="fan_in",
                            distribution="untruncated_normal", seed=base_seed),
            Zeros(), True,
            f"{shaped_by.upper()}: {spec.name} shaped into "
            f"{t.output_scale:.3g} * ({spec.name}({t.input_scale:.3g} x "
            f"{t.input_shift:+.3g}) {t.output_shift:+.3g}) for depth {depth} "
            f"({condition}), orthogonal kernels" + _scaled(weight_scale) + why,
            activation_rescale=1.0 / weight_scale, transform=t,
            shaping=shaped_by,
        )

    if spec.homogeneous:
        gain = spec.gain
        return InitRecipe(
            spec.name, {}, _orthogonal_per_unit(gain, base_seed), Zeros(),
            Orthogonal(gain=gain, seed=base_seed), Zeros(), False,
            f"{spec.name} is scale-free: orthogonal kernels with its gain "
            f"{gain:.3f} (chi_1 = 1); shaping=True also keeps correlations",
        )

    centred = not spec.zero_centred
    point = mean_field.shallow_critical_point(spec.activation, depth, eta, centred)
    scale = _checked_weight_scale(weight_scale, depth) if method else 1.0
    kernel = Critical(spec.name, q_star=point.q_star, centred=centred,
                      gain=scale, seed=base_seed)
    bias = kernel.bias_initializer()
    input_kernel = VarianceScaling(
        scale=max(point.q_star - point.bias_variance, 1e-12), mode="fan_in",
        distribution="untruncated_normal", seed=base_seed,
    )
    return InitRecipe(
        spec.name, {}, kernel, bias, input_kernel, bias, bool(method),
        f"critical point of {spec.name}: sigma_w^2={point.weight_variance:.3f}, "
        f"sigma_b^2={point.bias_variance:.2g}, q*={point.q_star:.3g}"
        + (", centred kernels" if centred else "")
        + (_scaled(scale) + _why_not_tat(spec) if method else ""),
        activation_rescale=1.0 / scale,
    )


def shaping_method(shaping, owner):
    """`None`, `"tat"` or `"dks"` for a `shaping` argument (False, True,
    `"tat"` or `"dks"`)."""
    if shaping is False:
        return None
    if shaping is True or (isinstance(shaping, str) and shaping == "tat"):
        return "tat"
    if isinstance(shaping, str) and shaping == "dks":
        return "dks"
    raise ValueError(
        f"{owner}: shaping must be False, True (TAT), 'tat' or 'dks'; "
        f"received shaping={shaping!r}."
    )


def _orthogonal_per_unit(gain, seed):
    """Orthogonal kernels times `gain`, each unit's variance kept when a
    layer widens, and delta-orthogonal for convolutions (Keras's Orthogonal
    would mix a conv kernel's taps into one matrix)."""
    return Critical("linear", q_star=1.0, gain=gain, seed=seed)


def _why_not_tat(spec):
    return (f"; not TAT-shaped: {spec.name} is neither smooth (TAT needs a "
            "finite C''(1), which a kink or a jump in f'' breaks) nor "
            "positively homogeneous (the leaky-ReLU family), and no "
            "transformation meets DKS's conditions for it")


def _scaled(weight_scale):
    return (f", outputs scaled by 1/{weight_scale:g} and kernels by "
            f"{weight_scale:g}")


def _checked_weight_scale(weight_scale, depth):
    if weight_scale is None:
        return depth / SHALLOW_DEPTH
    return float(check_number("weight_scale", weight_scale, "for_activation",
                              positive=True))

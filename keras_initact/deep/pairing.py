"""The initializer that keeps a network of a given depth trainable, per activation."""

import dataclasses

from keras_initact.activations import ACTIVATIONS
from keras_initact.checks import (
    check_between, check_number, check_positive_int,
)
from keras_initact.deep.recipe import InitRecipe, ShapingResult
from keras_initact.deep.shaping import (
    DEFAULT_ETA, DEFAULT_TAU, DEFAULT_ZETA, ActivationTransform, check_zeta,
    dks_transform, leaky_relu_gain, tat_leaky_relu_slope, tat_transform,
)
from keras_initact.initializers import (
    Critical,
    Orthogonal,
    VarianceScaling,
    Zeros,
)
from keras_initact.math import mean_field
from keras_initact.seeding import derive_seed

# Up to this depth the classic pairing (He, LeCun, Glorot) keeps the signal.
SHALLOW_DEPTH = 8


def for_activation(activation, depth=None, shaping=False, eta=DEFAULT_ETA,
                   tau=DEFAULT_TAU, weight_scale=None, seed=None,
                   zeta=DEFAULT_ZETA):
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
    zeta = check_zeta(zeta, "for_activation")
    if weight_scale is not None:
        weight_scale = float(check_number("weight_scale", weight_scale,
                                          "for_activation", positive=True))
    _check_hidden(spec, depth)
    base_seed = derive_seed(0 if seed is None else seed, 0)
    if depth is None or depth <= SHALLOW_DEPTH:
        return _classic_pairing(spec, depth, base_seed)
    if method and weight_scale is None:
        weight_scale = depth / SHALLOW_DEPTH
    if method and spec.name == "linear":
        return _linear(method, weight_scale, base_seed)
    if method and spec.homogeneous:
        return _tat_leaky_relu(spec, method, depth, eta, weight_scale,
                               base_seed)
    shaped = _shaped_unit(spec, method, depth, tau, zeta) if method else None
    if shaped is not None:
        return _transformed(spec, depth, shaped, weight_scale, base_seed)
    if spec.homogeneous:
        return _scale_free(spec, base_seed)
    return _critical_point(spec, depth, eta, weight_scale if method else None,
                           base_seed)


def shaping_method(shaping, owner):
    """`None`, `"tat"` or `"dks"` for a `shaping` argument (False, True,
    `"tat"` or `"dks"`)."""
    # Not checks.check_choice, whose message could not say that True is TAT.
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


def _check_hidden(spec, depth):
    """Raises unless `spec` can be the hidden activation of `depth` layers."""
    if not spec.hidden:
        raise ValueError(
            f"for_activation: {spec.name!r} is not elementwise (it mixes units), "
            "so it is an output head, not a hidden activation."
        )
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


def _classic_pairing(spec, depth, seed):
    kernel = spec.initializer(seed=seed)
    return InitRecipe(
        activation=spec.name, kernel_initializer=kernel,
        bias_initializer=Zeros(), input_kernel_initializer=kernel,
        input_bias_initializer=Zeros(),
        rationale=f"depth {depth or 'unknown'} <= {SHALLOW_DEPTH}: the classic "
                  f"pairing {type(kernel).__name__} for {spec.name}",
    )


def _linear(method, weight_scale, seed):
    # Already the identity kernel map, C(c) = c, at every depth: the limit
    # TAT's and DKS's shaped units approach (theirs stay a little nonlinear
    # to be expressive). TAT's leaky ReLU would make the network nonlinear,
    # which is not what a linear one asks for, so shaping only adds the
    # weight-scale reparametrization.
    return InitRecipe(
        activation="linear",
        kernel_initializer=_orthogonal_per_unit(weight_scale, seed),
        bias_initializer=Zeros(),
        input_kernel_initializer=Orthogonal(gain=1.0, seed=seed),
        input_bias_initializer=Zeros(),
        rationale="linear already has the identity kernel map C(c) = c, the "
                  f"limit that {method.upper()}'s shaped units approach, so "
                  "it stays linear: orthogonal kernels with gain 1"
                  + _scaled(weight_scale),
        shaping_result=ShapingResult(weight_scale),
    )


def _tat_leaky_relu(spec, method, depth, eta, weight_scale, seed):
    alpha = tat_leaky_relu_slope(depth, eta)
    gain = leaky_relu_gain(alpha)
    return InitRecipe(
        activation="leaky_relu", activation_arguments={"negative_slope": alpha},
        kernel_initializer=_orthogonal_per_unit(gain * weight_scale, seed),
        bias_initializer=Zeros(),
        input_kernel_initializer=Orthogonal(gain=gain, seed=seed),
        input_bias_initializer=Zeros(),
        rationale=f"TAT: {spec.name} shaped into leaky_relu(negative_slope="
                  f"{alpha:.3f}) for depth {depth}, orthogonal kernels with "
                  f"gain {gain:.3f}" + _scaled(weight_scale)
                  + ("; DKS leaves the ReLU family to TAT's leaky ReLU (its "
                     "authors discourage DKS-shaped ReLUs and advise leaky "
                     "ReLUs)" if method == "dks" else ""),
        shaping_result=ShapingResult(weight_scale, method="tat"),
    )


@dataclasses.dataclass(frozen=True)
class _ShapedUnit:
    """A transformed unit, with what the rationale says about it."""

    method: str
    transform: ActivationTransform
    condition: str  # the network's condition, e.g. "C'(1) = 1.5"
    why: str = ""   # why this method, where it is not the one asked for


def _shaped_unit(spec, method, depth, tau, zeta):
    """The `_ShapedUnit` of a smooth or kinked `spec` (not of the ReLU
    family), or None where no transformation meets DKS's conditions."""
    if spec.smooth and method == "tat":
        return _ShapedUnit("tat", tat_transform(spec.activation, depth, tau),
                           f"C''(1) = {tau:g}")
    if spec.smooth:
        return _ShapedUnit("dks", dks_transform(spec.activation, depth, zeta),
                           f"C'(1) = {zeta:g}")
    # A kink (SELU, ELU) makes TAT's C''(1) infinite, but DKS needs only
    # C'(1), which exists: DKS shapes it, under either method, where its
    # conditions can be met.
    try:
        transform = dks_transform(spec.activation, depth, zeta)
    except ValueError:
        return None
    return _ShapedUnit("dks", transform, f"C'(1) = {zeta:g}",
                       f"; DKS, as {spec.name} has a kink, which TAT's "
                       "C''(1) cannot have")


def _transformed(spec, depth, shaped, weight_scale, seed):
    # The shaped unit has Q(1) = Q'(1) = 1, so weights of variance
    # 1 / fan_in and no biases keep q = 1 (TAT's C'(1) = 1 also makes it
    # the critical point, sigma_w^2 = 1 at q* = 1, as DKS and TAT
    # prescribe).
    t = shaped.transform
    return InitRecipe(
        activation=spec.name,
        kernel_initializer=_orthogonal_per_unit(weight_scale, seed),
        bias_initializer=Zeros(),
        input_kernel_initializer=VarianceScaling(
            scale=1.0, mode="fan_in", distribution="untruncated_normal",
            seed=seed),
        input_bias_initializer=Zeros(),
        rationale=f"{shaped.method.upper()}: {spec.name} shaped into "
                  f"{t.output_scale:.3g} * ({spec.name}({t.input_scale:.3g} x "
                  f"{t.input_shift:+.3g}) {t.output_shift:+.3g}) for depth "
                  f"{depth} ({shaped.condition}), orthogonal kernels"
                  + _scaled(weight_scale) + shaped.why,
        shaping_result=ShapingResult(weight_scale, method=shaped.method,
                                     transform=t),
    )


def _scale_free(spec, seed):
    gain = spec.gain
    return InitRecipe(
        activation=spec.name,
        kernel_initializer=_orthogonal_per_unit(gain, seed),
        bias_initializer=Zeros(),
        input_kernel_initializer=Orthogonal(gain=gain, seed=seed),
        input_bias_initializer=Zeros(),
        rationale=f"{spec.name} is scale-free: orthogonal kernels with its "
                  f"gain {gain:.3f} (chi_1 = 1); shaping=True also keeps "
                  "correlations",
    )


def _critical_point(spec, depth, eta, weight_scale, seed):
    """The critical point of `spec`; with `weight_scale` (shaping asked for,
    but neither method changes the unit), the weight-scale
    reparametrization on top."""
    centred = not spec.zero_centred
    point = mean_field.shallow_critical_point(spec.activation, depth, eta,
                                              centred)
    scale = 1.0 if weight_scale is None else weight_scale
    kernel = Critical(spec.name, q_star=point.q_star, centred=centred,
                      gain=scale, seed=seed)
    bias = kernel.bias_initializer()
    input_kernel = VarianceScaling(
        scale=max(point.q_star - point.bias_variance, 1e-12), mode="fan_in",
        distribution="untruncated_normal", seed=seed,
    )
    rationale = (
        f"critical point of {spec.name}: sigma_w^2={point.weight_variance:.3f}, "
        f"sigma_b^2={point.bias_variance:.2g}, q*={point.q_star:.3g}"
        + (", centred kernels" if centred else ""))
    if weight_scale is not None:
        rationale += _scaled(scale) + _why_not_shaped(spec)
    return InitRecipe(
        activation=spec.name, kernel_initializer=kernel,
        bias_initializer=bias, input_kernel_initializer=input_kernel,
        input_bias_initializer=bias, rationale=rationale,
        shaping_result=(None if weight_scale is None
                        else ShapingResult(weight_scale)),
    )


def _orthogonal_per_unit(gain, seed):
    """Orthogonal kernels times `gain`, each unit's variance kept when a
    layer widens, and delta-orthogonal for convolutions (Keras's Orthogonal
    would mix a conv kernel's taps into one matrix)."""
    return Critical("linear", q_star=1.0, gain=gain, seed=seed)


def _why_not_shaped(spec):
    return (f"; not TAT-shaped: {spec.name} is neither smooth (TAT needs a "
            "finite C''(1), which a kink or a jump in f'' breaks) nor "
            "positively homogeneous (the leaky-ReLU family), and no "
            "transformation meets DKS's conditions for it")


def _scaled(weight_scale):
    return (f", outputs scaled by 1/{weight_scale:g} and kernels by "
            f"{weight_scale:g}")


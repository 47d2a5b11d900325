"""Sigmoidal activations: bounded, S-shaped, saturating at both ends."""

from keras_initact.activations import functions
from keras_initact.initializers.base import register
from keras_initact.layers.base import ActivationLayer


@register
class Sigmoid(ActivationLayer):
    """Logistic sigmoid layer, `f(x) = 1 / (1 + exp(-x))`.

    Outputs lie in (0, 1); they saturate (gradient near 0) for |x| > ~5.

    >>> layer = Sigmoid()
    >>> layer(np.array([-1.0, 0.0, 1.0]))  # [0.2689, 0.5, 0.7311]

    Reference: Rumelhart, Hinton & Williams, "Learning representations by
    back-propagating errors", Nature 1986.
    """

    def call(self, inputs):
        return functions.sigmoid(inputs)


@register
class Tanh(ActivationLayer):
    """Hyperbolic tangent layer, `f(x) = tanh(x)`.

    Outputs lie in (-1, 1), are zero-centred, and saturate for |x| > ~3.

    >>> layer = Tanh()
    >>> layer(np.array([-1.0, 0.0, 1.0]))  # [-0.7616, 0.0, 0.7616]

    Reference: LeCun et al., "Efficient BackProp", 1998.
    """

    def call(self, inputs):
        return functions.tanh(inputs)

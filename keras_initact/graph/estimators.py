"""The table of estimators: which function predicts each layer's output.

`ESTIMATORS.find(layer)` gives the estimator registered for the nearest
class of `layer` (itself, then its bases, so `isinstance` decides: a
subclass of `Dense` is estimated as a `Dense` unless it has its own), or
for one of Keras's elementwise ops; `None` for anything else.
`register_estimator` adds a user's.
"""

import dataclasses
from typing import Callable

import keras

from keras_initact import keras_adapter
from keras_initact import layers as L
from keras_initact.checks import check_bool
from keras_initact.graph import attention
from keras_initact.graph import elementwise as E
from keras_initact.graph import linear
from keras_initact.graph import normalization as N
from keras_initact.graph import reshaping as R

KL = keras.layers


@dataclasses.dataclass(frozen=True)
class Estimator:
    """How `initialize` predicts the output of one kind of layer.

    Attributes:
        function: `function(call) -> Signal` (a list for several outputs),
            `call` a `keras_initact.graph.LayerCall`; it returns `None`
            when it cannot tell (an activation it does not know).
        reads_borders: whether `function` reads the zero borders an input
            carries from a padding layer (`Signal.borders`); others get
            the padding mixed in.
    """

    function: Callable
    reads_borders: bool = False


def _entries():
    convolutions = (KL.Conv1D, KL.Conv2D, KL.Conv3D)
    transposed = (KL.Conv1DTranspose, KL.Conv2DTranspose,
                  KL.Conv3DTranspose)
    depthwise = (KL.DepthwiseConv1D, KL.DepthwiseConv2D)
    separable = (KL.SeparableConv1D, KL.SeparableConv2D)
    activations = (KL.Activation, KL.ReLU, KL.LeakyReLU, KL.PReLU, KL.ELU,
                   KL.Softmax, L.ActivationLayer)
    dropouts = (KL.Dropout, KL.SpatialDropout1D, KL.SpatialDropout2D,
                KL.SpatialDropout3D)
    unchanged = (KL.InputLayer, KL.Identity, KL.Flatten, KL.Reshape,
                 KL.Permute, KL.RepeatVector, KL.UpSampling1D,
                 KL.UpSampling2D, KL.UpSampling3D, KL.Cropping1D,
                 KL.Cropping2D, KL.Cropping3D, KL.Masking,
                 KL.ActivityRegularization)
    normalizations = [(KL.BatchNormalization, N.batch_normalization),
                      (KL.LayerNormalization, N.layer_normalization),
                      (KL.GroupNormalization, N.layer_normalization),
                      (KL.UnitNormalization, N.unit_normalization),
                      (KL.Normalization, N.preprocessing_normalization)]
    if hasattr(KL, "RMSNormalization"):
        normalizations.append((KL.RMSNormalization, N.rms_normalization))
    applications = keras_adapter.application_layer_classes()
    entries = [
        (KL.Dense, Estimator(linear.dense)),
        (KL.EinsumDense, Estimator(linear.einsum_dense)),
        *[(cls, Estimator(linear.convolution, reads_borders=True))
          for cls in convolutions],
        *[(cls, Estimator(linear.transposed_convolution))
          for cls in transposed],
        *[(cls, Estimator(linear.depthwise_convolution, reads_borders=True))
          for cls in depthwise],
        *[(cls, Estimator(linear.separable_convolution, reads_borders=True))
          for cls in separable],
        (KL.Embedding, Estimator(linear.embedding)),
        (KL.MultiHeadAttention, Estimator(attention.multi_head_attention)),
        *[(cls, Estimator(function)) for cls, function in normalizations],
        *[(cls, Estimator(E.activation_layer)) for cls in activations],
        (KL.Add, Estimator(E.merged(E.add))),
        (KL.Subtract, Estimator(E.merged(E.subtract))),
        (KL.Multiply, Estimator(E.merged(E.multiply))),
        (KL.Average, Estimator(E.merged(E.average))),
        (KL.Maximum, Estimator(E.merged(E.maximum))),
        (KL.Minimum, Estimator(E.merged(E.minimum))),
        (KL.Concatenate, Estimator(E.concatenate)),
        *[(cls, Estimator(E.dropout)) for cls in dropouts],
        (KL.GaussianDropout, Estimator(E.gaussian_dropout)),
        (KL.GaussianNoise, Estimator(E.gaussian_noise)),
        (KL.AlphaDropout, Estimator(E.alpha_dropout)),
        (KL.Rescaling, Estimator(E.rescaling)),
        *[(cls, Estimator(R.unchanged)) for cls in unchanged],
        *[(cls, Estimator(R.zero_padding, reads_borders=True))
          for cls in (KL.ZeroPadding1D, KL.ZeroPadding2D, KL.ZeroPadding3D)],
        *[(cls, Estimator(R.average_pooling)) for cls in
          (KL.AveragePooling1D, KL.AveragePooling2D, KL.AveragePooling3D)],
        *[(cls, Estimator(R.max_pooling)) for cls in
          (KL.MaxPooling1D, KL.MaxPooling2D, KL.MaxPooling3D)],
        *[(cls, Estimator(R.global_average_pooling)) for cls in
          (KL.GlobalAveragePooling1D, KL.GlobalAveragePooling2D,
           KL.GlobalAveragePooling3D)],
        *[(cls, Estimator(R.global_max_pooling)) for cls in
          (KL.GlobalMaxPooling1D, KL.GlobalMaxPooling2D,
           KL.GlobalMaxPooling3D)],
    ]
    if "LayerScale" in applications:
        entries.append((applications["LayerScale"], Estimator(E.layer_scale)))
    if "StochasticDepth" in applications:
        entries.append((applications["StochasticDepth"],
                        Estimator(E.stochastic_depth)))
    for name, function in (("ResidualScale", E.residual_scale),
                           ("DeepNormResidual", E.deepnorm_residual)):
        if hasattr(L, name):
            entries.append((getattr(L, name), Estimator(function)))
    return entries


class EstimatorTable:
    """Layer class -> `Estimator`, looked up along a layer's class's MRO."""

    def __init__(self, entries=()):
        self._by_class = dict(entries)
        self._op = Estimator(E.keras_op)

    def register(self, layer_class, function=None, *, reads_borders=False):
        """Registers `function(call) -> Signal` as the estimator of
        `layer_class` and its subclasses (replacing any); usable as a
        decorator, `@register_estimator(MyLayer)`.

        >>> @keras_initact.register_estimator(Scale)
        ... def scale(call):
        ...     return call.input.affine(call.layer.factor)
        """
        if not (isinstance(layer_class, type)
                and issubclass(layer_class, keras.layers.Layer)):
            raise ValueError(
                f"register_estimator: `layer_class` must be a "
                f"keras.layers.Layer subclass; received {layer_class!r}.")
        check_bool("reads_borders", reads_borders, "register_estimator")

        def add(function):
            if not callable(function):
                raise ValueError(
                    f"register_estimator: the estimator of "
                    f"{layer_class.__name__} must be callable as "
                    f"`function(call) -> Signal`; received {function!r}.")
            self._by_class[layer_class] = Estimator(function, reads_borders)
            return function

        return add if function is None else add(function)

    def unregister(self, layer_class):
        """Removes `layer_class`'s own estimator (its bases' stay)."""
        self._by_class.pop(layer_class, None)

    def find(self, operation):
        """The `Estimator` of a graph operation, or `None`."""
        for cls in type(operation).__mro__:
            if cls in self._by_class:
                return self._by_class[cls]
        if keras_adapter.is_elementwise_op(operation):
            return self._op
        return None


ESTIMATORS = EstimatorTable(_entries())
register_estimator = ESTIMATORS.register

"""What every keras_initact activation layer shares, and how each reports
its record in the table of activations (`keras_initact.math.table`)."""

import keras

from keras_initact import keras_adapter

from keras_initact.checks import check_axis, check_axis_in_rank


class ActivationLayer(keras.layers.Layer):
    """Base class of the activation layers: shape-preserving, mask-passing.

    The output has the input's shape, and a mask on the input is passed on
    unchanged. Subclasses implement `call` with `keras.ops` (Keras has
    already cast the inputs to the compute dtype, e.g. float16 under
    `mixed_float16`). A subclass that defines `__init__` sets its attributes
    and then calls `self._finish_init()`; `get_config` returns every
    argument of `__init__`.

    Each layer class names the record of what it computes, `record`, in
    `keras_initact.math.table`; `activation_record(config)` gives the record
    of a layer with that config, where its options change the facts
    (`ReLU(max_value=6)` is ReLU6's). `keras_initact.activations.identify`
    reads a layer's record through it, and the registry pairs each record
    with the class that names it.
    """

    # The table's record of what this layer computes (`None` in the bases).
    record = None
    # The arguments `activation_record` reads that the layer keeps under
    # another attribute's name (argument -> attribute).
    option_attributes = {}

    @classmethod
    def activation_record(cls, config):
        """The record of a layer of this class built with `config` (its
        arguments by name: its `get_config()`, its attributes, or a Keras
        layer's of the same name and arguments): `record`, unless a
        subclass's options change the facts."""
        return cls.record

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        if type(self).__init__ is ActivationLayer.__init__:
            self._finish_init()

    def _finish_init(self):
        """Builds the layer now unless its weights depend on the input's
        shape: Keras's layers without such weights are built when
        constructed (`run_layer_test(assert_built_after_instantiation=True)`
        checks it)."""
        build = type(self).build
        if build is keras.layers.Layer.build:
            keras_adapter.build_at_init(self)
        elif (build.__module__.startswith(__package__)
              and not self.weights_need_input_shape):
            # Only our own `build`: a user's subclass that overrides it is
            # built on its first call, as Keras's contract asks.
            self.build(None)

    @property
    def weights_need_input_shape(self):
        """Whether `build` creates weights sized by the input (learned
        per-channel parameters), so that the layer is built on first call."""
        return type(self).build is not keras.layers.Layer.build

    def compute_output_shape(self, input_shape):
        return input_shape

    def add_channel_weight(self, input_shape, name, value, argument):
        """A learned float32 value per channel (last axis), starting at `value`."""
        channels = channel_count(input_shape, type(self).__name__, argument)
        return self.add_weight(
            shape=(channels,), name=name,
            initializer=keras.initializers.Constant(value),
        )


def channel_count(input_shape, owner, argument):
    """The size of the last axis, which must be known for per-channel weights."""
    if len(input_shape) < 1 or input_shape[-1] is None:
        raise ValueError(
            f"{owner} with `{argument}=True` learns one value per channel and "
            "needs the size of the last axis of its input; received "
            f"input_shape={tuple(input_shape)}."
        )
    return int(input_shape[-1])


class AlongAxisLayer(ActivationLayer):
    """An activation computed along one axis by its record's
    `function(x, axis=...)` (the softmax relatives, the gated units)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = check_axis("axis", axis, type(self).__name__)
        self._finish_init()

    def call(self, inputs):
        check_axis_in_rank("axis", self.axis, len(inputs.shape),
                           type(self).__name__)
        return type(self).record.function(inputs, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

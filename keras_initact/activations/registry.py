"""The activation registry: the table's records, each with its layer class.

`ACTIVATIONS` holds one `ActivationSpec` per record of
`keras_initact.math.table.TABLE` (the one table of names, aliases and
facts), paired with the layer class that names the record
(`keras_initact.layers.ActivationLayer.record`; linear's is Keras's
`Identity`). `get`, `lookup`, `names`, the model factory, the automatic
initializer choice and the monitoring callbacks all read it. To add an
activation, write its function, its record and its layer; nothing here
changes.
"""

import functools
import weakref

import keras

from keras_initact import layers as L
from keras_initact.activations.spec import ActivationSpec
from keras_initact.math.table import TABLE, Table


class Registry(Table):
    """A read-mostly mapping from canonical names to `ActivationSpec`s.

    `find` accepts any spelling of a name or alias (see `normalize`); `spec`
    does the same but raises a `ValueError` listing the known names;
    `identify` finds the spec of a function or layer.

    >>> ACTIVATIONS.spec("SiLU").layer_class
    <class 'keras_initact.layers.smooth.Swish'>
    """

    record_type = ActivationSpec

    def __init__(self, specs=()):
        self._by_layer_class = {}
        self._variants = weakref.WeakKeyDictionary()  # record -> spec
        super().__init__(specs)

    def add(self, spec):
        """Adds `spec`; its names must be new."""
        super().add(spec)
        self._by_layer_class.setdefault(spec.layer_class, spec)
        return spec

    def spec(self, name):
        """The spec for `name`, or a `ValueError` naming the known ones."""
        return self.record(name)

    def identify(self, activation):
        """The spec of an activation however it is given, or `None`.

        Accepts a name (any spelling), a function (keras_initact's, or any
        of Keras's own, `keras.activations.relu6`), a layer or layer class
        (keras_initact's; Keras's `ReLU`, `LeakyReLU`, `PReLU`, `ELU`,
        `Softmax` and `Identity`; a `keras.layers.Activation` wrapping any
        of these), and a `functools.partial` of a function. A layer reports
        its own record (`ActivationLayer.activation_record`): one with
        options (`ReLU(max_value=6)`, `ReLU(negative_slope=0.1)`,
        keras_initact's or Keras's) gets the record of what it computes, its
        regions following the options; a `ShapedActivation`, its base's
        record through the output map. Anything else, such as a `Dense`
        layer or a user's own function, gives `None`.

        >>> ACTIVATIONS.identify(keras.layers.Dense(4, "relu6").activation)
        ... # the "relu6" record
        """
        if activation is None:
            return None
        if isinstance(activation, str):
            return self.find(activation)
        if isinstance(activation, keras.layers.Activation):
            return self.identify(activation.activation)
        if isinstance(activation, functools.partial):
            return self.identify(activation.func)
        if isinstance(activation, type):
            if issubclass(activation, keras.layers.Layer):
                return self._of_layer(activation, None)
            return None
        if isinstance(activation, keras.layers.Layer):
            return self._of_layer(type(activation), activation)
        found = self.of_function(activation)
        if found is not None:
            return found
        name = getattr(activation, "__name__", None)
        if isinstance(name, str) and (
            getattr(keras.activations, name, None) is activation
        ):
            return self.find(name)
        return None

    def _of_layer(self, cls, layer):
        """The spec of `layer`, a `cls` layer (`None`: the class's own).
        keras_initact's layers report their record; a Keras layer is read
        as the keras_initact layer of its name (Keras's `ReLU` as `ReLU`:
        the same arguments)."""
        reporter = cls
        if not issubclass(cls, L.ActivationLayer):
            spec = self._of_keras_layer(cls)
            if spec is None or not issubclass(spec.layer_class,
                                              L.ActivationLayer):
                return spec
            reporter = spec.layer_class
        record = (reporter.record if layer is None
                  else _record_of(reporter, layer))
        return None if record is None else self._spec_of(record, reporter)

    def _of_keras_layer(self, cls):
        """The spec of the nearest class of `cls` (itself or a base) that
        is a spec's layer class (Keras's `Identity`) or one of Keras's own
        layers named as an activation, or `None`."""
        for base in cls.__mro__:
            if base is keras.layers.Layer:
                return None
            if base in self._by_layer_class:
                return self._by_layer_class[base]
            if base.__module__.split(".")[0] == "keras":
                found = self.find(base.__name__)
                if found is not None:
                    return found
        return None

    def _spec_of(self, record, reporter):
        """The spec of a record that `reporter` (a layer class) reported:
        this registry's spec when it is the table's own record of its name;
        else a variant with the facts of `record`, computed by the layer
        class of its name, or by `reporter` when that has no record of its
        own (a `ShapedActivation`)."""
        base = self.find(record.name)
        if base is None or record is TABLE.find(record.name):
            return base
        if record not in self._variants:
            layer_class = (base.layer_class if reporter.record is not None
                           else reporter)
            self._variants[record] = ActivationSpec.of(record, layer_class)
        return self._variants[record]


def _record_of(reporter, layer):
    """The record `reporter` (a layer class) gives `layer`'s options.

    The options are read off the layer's attributes, which keras_initact's
    and Keras's activation layers keep under their arguments' names
    (`ActivationLayer.option_attributes` names the others), not from
    `get_config()`: Keras's serializes the dtype policy, which imports
    TensorFlow under every backend. A layer that keeps an option elsewhere
    (a user's subclass) is read from its config."""
    try:
        return reporter.activation_record(_Options(layer, reporter))
    except KeyError:
        return reporter.activation_record(layer.get_config())


class _Options:
    """`options[name]`: a layer's argument `name`, from its attribute."""

    def __init__(self, layer, reporter):
        self._layer = layer
        self._renamed = getattr(reporter, "option_attributes", {})

    def __getitem__(self, name):
        try:
            return getattr(self._layer, self._renamed.get(name, name))
        except AttributeError:
            raise KeyError(name) from None


def _layer_classes():
    """The layer class of each record of the table: the keras_initact class
    that names it as its `record`, and Keras's `Identity` for linear."""
    classes = {"linear": keras.layers.Identity}
    for name in L.__all__:
        cls = getattr(L, name)
        record = getattr(cls, "record", None)
        if record is not None:
            classes.setdefault(record.name, cls)
    missing = [name for name in TABLE if name not in classes]
    if missing:
        raise RuntimeError(
            f"No layer class in keras_initact.layers names the record of "
            f"{', '.join(missing)} (set `record` on its layer class).")
    return classes


def _registry():
    classes = _layer_classes()
    return Registry(ActivationSpec.of(record, classes[name])
                    for name, record in TABLE.items())


ACTIVATIONS = _registry()

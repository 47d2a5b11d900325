"""The estimator table: Keras's layers and ours have estimators, found
along the class's MRO (isinstance); `register_estimator` adds a user's,
for the class and its subclasses, as a call or a decorator."""

import re

import keras
import numpy as np
import pytest

import keras_initact as ki
from keras_initact.graph import ESTIMATORS, Estimator
from keras_initact.graph.estimators import EstimatorTable

KL = keras.layers


class Scale(KL.Layer):
    """A user's layer: `factor * x`."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor


class Tripled(Scale):
    def __init__(self, **kwargs):
        super().__init__(3.0, **kwargs)


def _scale(call):
    return call.input.affine(call.layer.factor)


@pytest.fixture
def table():
    """A fresh table, so that a test's registrations do not leak."""
    return EstimatorTable()


@pytest.fixture
def registered():
    """`register_estimator` on the shared table, undone afterwards."""
    added = []

    def register(cls, *args, **kwargs):
        added.append(cls)
        return ki.register_estimator(cls, *args, **kwargs)

    yield register
    for cls in added:
        ESTIMATORS.unregister(cls)


def _model(layer):
    return keras.Sequential([keras.Input((8,)), layer])


@pytest.mark.parametrize("layer", [
    KL.Dense(4), KL.Conv2D(2, 3), KL.BatchNormalization(), KL.ReLU(),
    KL.Add(), KL.Dropout(0.1), KL.Flatten(), KL.MaxPooling2D(),
    KL.MultiHeadAttention(2, 4), KL.Embedding(4, 2), ki.layers.Mish(),
], ids=lambda layer: type(layer).__name__)
def test_kerass_layers_and_ours_have_estimators(layer):
    assert isinstance(ESTIMATORS.find(layer), Estimator)


def test_a_subclass_is_estimated_as_its_base():
    class MyDense(KL.Dense):
        pass

    assert ESTIMATORS.find(MyDense(4)) is ESTIMATORS.find(KL.Dense(4))


def test_an_unknown_layer_has_none():
    assert ESTIMATORS.find(Scale()) is None


def test_only_convolutions_read_the_borders():
    assert ESTIMATORS.find(KL.Conv2D(2, 3)).reads_borders
    assert not ESTIMATORS.find(KL.Dense(2)).reads_borders


def test_a_registered_estimator_is_used(registered):
    registered(Scale, _scale)
    model = _model(Scale(2.5))
    row = ki.predict_moments(model).rows[-1]
    assert row.method == "estimated"
    assert row.predicted_second == pytest.approx(2.5 ** 2)


def test_it_is_used_for_subclasses_too(registered):
    registered(Scale, _scale)
    row = ki.predict_moments(_model(Tripled())).rows[-1]
    assert row.method == "estimated"
    assert row.predicted_second == pytest.approx(9.0)


def test_a_subclasss_own_estimator_comes_first(registered):
    registered(Scale, _scale)
    registered(Tripled, lambda call: call.input.affine(0.0, 7.0))
    assert ki.predict_moments(_model(Tripled())).rows[-1].predicted_mean \
        == pytest.approx(7.0)
    assert ki.predict_moments(_model(Scale(1.0))).rows[-1].predicted_mean \
        == pytest.approx(0.0)


def test_register_estimator_is_a_decorator(registered):
    @registered(Scale)
    def scale(call):
        return call.input.affine(-call.layer.factor)

    assert callable(scale) and scale.__name__ == "scale"  # returned as is
    assert ESTIMATORS.find(Scale()).function is scale


def test_registering_again_replaces(table):
    table.register(Scale, _scale)
    table.register(Scale, _scale, reads_borders=True)
    assert table.find(Scale()) == Estimator(_scale, True)


def test_unregister_removes_only_the_classs_own(table):
    table.register(Scale, _scale)
    table.register(Tripled, _scale)
    table.unregister(Tripled)
    assert table.find(Tripled()).function is _scale  # Scale's
    table.unregister(Scale)
    assert table.find(Tripled()) is None
    table.unregister(Scale)  # unregistering twice is harmless


def test_a_keras_op_is_found_by_the_table():
    x = keras.Input((4,))
    model = keras.Model(x, x + 1.0)
    row = ki.predict_moments(model).rows[-1]
    assert row.method == "estimated"
    assert row.predicted_mean == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("layer_class", [
    Scale(), "Dense", keras.Model.__mro__[-1], np.ndarray, None,
], ids=["instance", "string", "object", "ndarray", "none"])
def test_the_class_must_be_a_layer_subclass(table, layer_class):
    with pytest.raises(ValueError, match=r"`layer_class` must be a "
                                         r"keras\.layers\.Layer subclass"):
        table.register(layer_class, _scale)


@pytest.mark.parametrize("function", [3, "scale", [_scale]])
def test_the_estimator_must_be_callable(table, function):
    with pytest.raises(ValueError, match=r"estimator of Scale must be "
                                         r"callable.*" + re.escape(
                                             repr(function)[:3])):
        table.register(Scale, function)
    assert table.find(Scale()) is None


def test_reads_borders_must_be_a_bool(table):
    with pytest.raises(ValueError, match="reads_borders"):
        table.register(Scale, _scale, reads_borders="yes")

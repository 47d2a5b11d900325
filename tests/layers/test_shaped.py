"""keras_initact.layers.shaped: `ShapedActivation`, and what monitors read
from it. It stores the canonical name of any spelling or alias (and lists
the aliases when a name is unknown); its record carries the dead and
saturated regions through the output map and has the shaped unit's gain."""

import keras
import numpy as np
import pytest

from keras_initact import layers as L

from activation_cases import TAT_TANH


def test_shaped_activation_stores_the_canonical_name():
    layer = L.ShapedActivation("Leaky-ReLU", input_scale=2)
    assert layer.get_config()["activation"] == "leaky_relu"
    assert layer.get_config()["input_scale"] == 2.0


@pytest.mark.parametrize("alias, name", [
    ("silu", "swish"), ("SiLU", "swish"), ("keras_initact>silu", "swish"),
    ("hard_silu", "hard_swish"), ("logistic", "sigmoid"),
    ("lrelu", "leaky_relu"), ("relu2", "squared_relu"), ("exp", "exponential"),
])
def test_shaped_activation_accepts_the_registrys_aliases(alias, name):
    from keras_initact.activations import ACTIVATIONS

    layer = L.ShapedActivation(alias, input_scale=0.5)
    assert layer.get_config()["activation"] == name
    assert ACTIVATIONS.identify(layer).name == name
    x = np.linspace(-3.0, 3.0, 7)
    np.testing.assert_allclose(
        layer(x), L.ShapedActivation(name, input_scale=0.5)(x))


def test_shaped_activation_lists_the_aliases_when_a_name_is_unknown():
    with pytest.raises(ValueError, match=r"Unknown activation 'sliu'.*silu"):
        L.ShapedActivation("sliu")


def test_shaped_activation_record_carries_regions_through_the_output_map():
    from keras_initact.activations import ACTIVATIONS

    layer = L.ShapedActivation("tanh", *TAT_TANH)
    record = ACTIVATIONS.identify(layer)
    assert record is ACTIVATIONS.identify(layer) and record.name == "tanh"
    assert record.layer_class is L.ShapedActivation
    x = np.linspace(-60.0, 60.0, 241, dtype=np.float32)
    inner = np.tanh(TAT_TANH[0] * x + TAT_TANH[1])
    y = keras.ops.convert_to_numpy(layer(x))
    # An output is saturated exactly when tanh's was.
    expected = np.mean(np.abs(inner) >= 0.99)
    assert 0 < expected < 1
    assert float(record.saturated_fraction(y)) == pytest.approx(expected)
    # A negative output scale swaps the bounds; a dead region moves too.
    relu = ACTIVATIONS.identify(L.ShapedActivation("relu", 1.0, 0.0, 0.5, -2.0))
    assert relu.dead.above == -1.0 and relu.dead.below is None
    y = keras.ops.convert_to_numpy(L.ShapedActivation("relu", 1.0, 0.0, 0.5, -2.0)(x))
    assert float(relu.dead_fraction(y)) == pytest.approx(np.mean(x <= 0))


def test_shaped_activation_record_has_the_shaped_units_gain():
    from keras_initact.activations import ACTIVATIONS
    from keras_initact.math.gains import variance_preserving_gain

    layer = L.ShapedActivation("gelu", 0.5, 0.3, -0.2, 2.0)
    record = ACTIVATIONS.identify(layer)
    assert record.gain == pytest.approx(
        variance_preserving_gain(record.function))
    assert record.gain != pytest.approx(ACTIVATIONS.spec("gelu").gain)
    assert not record.homogeneous
    assert ACTIVATIONS.identify(L.ShapedActivation("relu", 3.0, 0.0, 0.0, 0.5)
                                ).homogeneous

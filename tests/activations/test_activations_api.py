"""keras_initact.activations' entry points: `get`, `lookup`, `serialize`
and the string names. `get` resolves any spelling of a name or alias,
passes callables through, falls back to Keras, and refuses unknown names
(with the known names and close matches) and activations whose parameters
are learned; every Keras activation name is ours; `"keras_initact>NAME"`
works as `activation=` in Keras layers, and such models, and ones holding
the functions themselves, survive `.keras` save and load."""

import keras
import numpy as np
import pytest

from keras_initact import activations as A
from keras_initact import layers as L

from activation_cases import KERAS_ACTIVATION_NAMES


@pytest.mark.parametrize("identifier,expected", [
    ("mish", A.mish), ("Mish", A.mish), ("keras_initact>mish", A.mish),
    ("silu", A.swish), ("SiLU", A.swish), ("leaky-relu", A.leaky_relu),
    ("LeakyReLU", A.leaky_relu), ("identity", A.linear), (None, A.linear),
    ("snake", A.snake), ("lisht", A.lisht), ("rrelu", A.rrelu),
])
def test_get_resolves_any_spelling_of_a_name_or_alias(identifier, expected):
    assert A.get(identifier) is expected


def test_get_passes_callables_through_and_falls_back_to_keras():
    layer = L.Mish()
    assert A.get(layer) is layer
    assert A.get(A.snake) is A.snake
    assert A.get("relu6") is A.relu6 and A.get("hard_silu") is A.hard_swish
    assert A.get(A.serialize(A.mish)) is A.mish


def test_get_refuses_activations_whose_parameters_are_learned():
    with pytest.raises(ValueError, match=r"layers\.PReLU"):
        A.get("prelu")
    assert A.lookup("prelu") is not None  # the function at alpha = 0
    np.testing.assert_allclose(A.lookup("prelu")(np.array([-2.0, 3.0])),
                               [0.0, 3.0])


@pytest.mark.parametrize("name,close", [
    ("mishh", "mish"), ("keras_initact>swsh", "swish"),
    ("leaky_rel", "leaky_relu"), ("snak", "snake"),
])
def test_unknown_name_lists_known_names_and_close_matches(name, close):
    with pytest.raises(ValueError) as error:
        A.get(name)
    message = str(error.value)
    assert f"Did you mean '{close}'" in message
    for known in A.names():
        assert known in message


def test_every_keras_activation_name_is_ours():
    for name in KERAS_ACTIVATION_NAMES:
        ours = A.get(name)
        assert A.spec(name).function is ours, name
        assert keras.saving.get_registered_name(ours).startswith(
            "keras_initact>")


def test_a_name_only_keras_knows_falls_back_to_keras(monkeypatch):
    from keras.src import activations as keras_activations

    def doubled(x):
        return 2 * x

    # as a future Keras activation would be: in Keras's table, not in ours
    monkeypatch.setitem(keras_activations.ALL_OBJECTS_DICT, "doubled", doubled)
    assert A.get("doubled") is doubled
    with pytest.raises(ValueError, match="Unknown activation"):
        A.get("keras_initact>doubled")  # a prefixed name is only ours
    assert A.lookup("not_an_activation") is None
    assert A.lookup(42) is None


def test_serialize_gives_registered_names():
    config = A.serialize(A.mish)
    assert config["config"] == "keras_initact>mish"
    assert A.deserialize(config) is A.mish
    assert A.deserialize(A.serialize(L.Snake(frequency=2.0))).frequency == 2.0


def test_every_function_is_registered_with_keras():
    for name in A.names():
        function = A.spec(name).function
        registered = f"keras_initact>{name}"
        assert keras.saving.get_registered_name(function) == registered
        assert keras.saving.get_registered_object(registered) is function


# --- string names in Keras layers and .keras files -------------------------


def test_keras_resolves_prefixed_strings_but_not_learned_ones():
    assert keras.activations.get("keras_initact>mish") is A.mish
    assert keras.activations.get("keras_initact>silu") is A.swish
    assert keras.layers.Dense(2, activation="keras_initact>lisht").activation \
        is A.lisht
    with pytest.raises(ValueError):
        keras.activations.get("keras_initact>prelu")
    assert keras.activations.get("mish") is keras.activations.mish


def test_string_function_and_layer_activations_survive_keras_file(tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((5,))
    h = keras.layers.Dense(6, activation="keras_initact>mish")(inputs)
    h = keras.layers.Dense(6, activation=A.snake)(h)
    h = keras.layers.Activation("keras_initact>gelu")(h)
    h = keras.layers.Dense(6, activation=L.Snake(trainable_frequency=True))(h)
    h = keras.layers.Dense(6, activation="keras_initact>silu")(h)
    model = keras.Model(inputs, h)
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    model(x)  # Dense builds a layer used as its activation on the first call
    model.layers[-2].activation.frequency_weight.assign(np.linspace(.5, 2, 6))
    path = tmp_path / "strings.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        loaded.layers[-2].activation.frequency_weight.numpy(),
        np.linspace(.5, 2, 6, dtype="float32"),
    )
    assert loaded.layers[1].activation is A.mish
    assert loaded.layers[2].activation is A.snake
    assert loaded.layers[3].activation is A.gelu
    assert isinstance(loaded.layers[4].activation, L.Snake)
    assert loaded.layers[5].activation is A.swish
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded(x)),
        keras.ops.convert_to_numpy(model(x)),
    )

"""Each private Keras internal keras_initact relies on is still there, and
a Keras release that moved one gets an error that says which."""

import keras
import pytest

from keras_initact import keras_adapter


def _built_optimizer():
    variables = [keras.Variable([1.0, 2.0]), keras.Variable([[3.0]])]
    optimizer = keras.optimizers.Adam()
    optimizer.build(variables)
    return optimizer, variables


def test_the_update_method_receives_the_gradients():
    optimizer, _ = _built_optimizer()
    name = keras_adapter.update_method_name()
    assert name == keras_adapter.UPDATE_METHODS[keras.backend.backend()]
    assert callable(keras_adapter.update_method(optimizer))


def test_the_optimizer_lists_its_variables_and_their_rows():
    optimizer, variables = _built_optimizer()
    assert keras_adapter.trainable_variables(optimizer) == variables
    assert [keras_adapter.variable_index(optimizer, v) for v in variables] \
        == [0, 1]


class _OldOptimizer:
    """What a Keras release without these internals would look like."""


@pytest.mark.parametrize("use", [
    lambda opt: keras_adapter.update_method(opt),
    lambda opt: keras_adapter.trainable_variables(opt),
    lambda opt: keras_adapter.variable_index(opt, None),
])
def test_a_moved_internal_is_named_with_the_keras_version(use):
    with pytest.raises(keras_adapter.KerasInternalsError,
                       match=rf"private Keras internal .*Keras "
                             rf"{keras.__version__}"):
        use(_OldOptimizer())


def test_a_layers_outputs_are_observed_in_graphs_and_after_restore_not():
    layer = keras.layers.Dense(3, activation="relu")
    model = keras.Sequential([keras.Input((2,)), layer])
    seen = []
    restore = keras_adapter.observe_call(layer, seen.append)
    x = keras.ops.ones((4, 2))
    expected = keras.ops.convert_to_numpy(layer(x))
    assert len(seen) == 1
    assert (keras.ops.convert_to_numpy(seen[0]) == expected).all()
    model.predict(x, verbose=0)  # traced and compiled on every backend
    assert len(seen) >= 2 and tuple(seen[-1].shape) in {(4, 3), (None, 3)}
    restore()
    count = len(seen)
    layer(x)
    model.predict(keras.ops.ones((5, 2)), verbose=0)
    assert len(seen) == count and "call" not in vars(layer)


def test_observers_chain_and_come_off_in_any_order():
    layer = keras.layers.Dense(1)
    first, second = [], []
    restore_first = keras_adapter.observe_call(layer, first.append)
    restore_second = keras_adapter.observe_call(layer, second.append)
    layer(keras.ops.ones((1, 2)))
    assert len(first) == len(second) == 1
    restore_first()
    layer(keras.ops.ones((1, 2)))
    assert len(first) == 1 and len(second) == 2
    restore_second()
    layer(keras.ops.ones((1, 2)))
    assert len(second) == 2 and "call" not in vars(layer)


def test_activation_names_resolve_in_keras_layers():
    def doubled(x):
        return 2 * x

    keras_adapter.add_activation_names({"keras_initact_test>doubled": doubled})
    assert keras.activations.get("keras_initact_test>doubled") is doubled
    keras_adapter.add_activation_names({"relu": doubled})  # never overrides
    assert keras.activations.get("relu") is keras.activations.relu


def test_a_layer_without_weights_is_built_at_init():
    class Plain(keras.layers.Layer):
        def call(self, x):
            return x

    layer = Plain()
    assert not layer.built
    keras_adapter.build_at_init(layer)
    assert layer.built


@pytest.mark.parametrize("use", [
    lambda: keras_adapter.build_at_init(object()),
])
def test_moved_layer_internals_are_named(use):
    with pytest.raises(keras_adapter.KerasInternalsError,
                       match=r"_build_at_init"):
        use()

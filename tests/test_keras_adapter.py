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

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


class _JaxLikeModel:
    """Keras's JAX trainer, as far as `train_step_exporting` relies on it:
    the step calls `self.compute_loss_and_updates` and passes its aux's
    non-trainable variables on as the new state."""

    def compute_loss_and_updates(self, trainable, non_trainable, *args):
        return 1.0, (1.0, "y_pred", list(non_trainable), ["metric"])

    def train_step(self, state, data):
        loss, (_, _, non_trainable, metrics) = \
            self.compute_loss_and_updates(state[0], state[1], data)
        return {"loss": loss}, (state[0], non_trainable, state[2], metrics)


STATE = (["kernel"], ["moving_mean"], ["adam_m"], ["metric"])


def test_what_the_forward_pass_produced_leaves_the_step():
    model = _JaxLikeModel()
    step = keras_adapter.train_step_exporting(
        model, model.train_step, lambda: {"seen": 1})
    logs, state, produced = step(STATE, None)
    assert produced == {"seen": 1}
    assert state == STATE and logs == {"loss": 1.0}
    assert "compute_loss_and_updates" not in vars(model)


def test_a_step_of_ones_own_produces_nothing():
    model = _JaxLikeModel()
    step = keras_adapter.train_step_exporting(
        model, lambda state, data: ({}, state), lambda: {"seen": 1})
    assert step(STATE, None) == ({}, STATE, None)


def test_a_step_that_drops_the_state_is_named():
    model = _JaxLikeModel()

    def dropping(state, data):
        model.compute_loss_and_updates(state[0], state[1], data)
        return {}, state

    step = keras_adapter.train_step_exporting(model, dropping, dict)
    with pytest.raises(keras_adapter.KerasInternalsError,
                       match="compute_loss_and_updates"):
        step(STATE, None)
    assert "compute_loss_and_updates" not in vars(model)


# The graph walk's internals: `functional_graph`, `is_elementwise_op`,
# `attention_projections`, `application_layer_classes`.


def _two_branch_model():
    x = keras.Input((4,), name="x")
    a = keras.layers.Dense(3, name="a")(x)
    b = keras.layers.Dense(3, name="b")(x)
    return keras.Model(x, keras.layers.Add(name="sum")([a, b + 1.0]))


def test_a_functional_graph_lists_its_nodes_inputs_first():
    model = _two_branch_model()
    graph = keras_adapter.functional_graph(model)
    assert graph.inputs == tuple(model.inputs)
    assert graph.outputs == tuple(model.outputs)
    names = [node.operation.name for node in graph.nodes]
    assert "x" not in names  # the input layer is no node
    assert names.index("a") < names.index("sum")
    assert names.index("b") < names.index("sum")
    assert len(names) == 4  # a, b, the `+ 1.0` op, sum
    computed = set(id(t) for t in graph.inputs)
    for node in graph.nodes:  # each node's inputs come first
        assert all(id(t) in computed for t in node.inputs)
        computed.update(id(t) for t in node.outputs)


def test_a_nodes_arguments_are_filled_in():
    graph = keras_adapter.functional_graph(_two_branch_model())
    node = next(n for n in graph.nodes if n.operation.name == "sum")
    values = {id(t): f"value {i}" for i, t in enumerate(node.inputs)}
    args, kwargs = node.arguments(values)
    assert args == (["value 0", "value 1"],) and kwargs == {}


def test_a_sequential_models_graph_is_its_functional_ones():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2),
                              keras.layers.ReLU()])
    graph = keras_adapter.functional_graph(model)
    assert [type(n.operation).__name__ for n in graph.nodes] == [
        "Dense", "ReLU"]


def test_models_without_a_graph_have_none():
    class Subclassed(keras.Model):
        def call(self, x):
            return x

    assert keras_adapter.functional_graph(Subclassed()) is None
    assert keras_adapter.functional_graph(
        keras.Sequential([keras.layers.Dense(2)])) is None  # unbuilt
    assert keras_adapter.functional_graph(keras.layers.Dense(2)) is None


def test_elementwise_ops_are_recognized():
    x = keras.Input((4,))
    model = keras.Model(x, [keras.ops.relu6(x + 3.0) * 0.5,
                            keras.ops.sum(x, axis=-1), keras.ops.exp(x)])
    kinds = {type(n.operation).__name__: keras_adapter.is_elementwise_op(
        n.operation) for n in keras_adapter.functional_graph(model).nodes}
    assert kinds == {"Add": True, "Relu6": True, "Multiply": True,
                     "Sum": False, "Exp": True}
    assert not keras_adapter.is_elementwise_op(keras.layers.Add())
    assert not keras_adapter.is_elementwise_op(keras.layers.ReLU())


def test_attention_has_four_einsum_projections():
    layer = keras.layers.MultiHeadAttention(2, 4)
    x = keras.Input((3, 8))
    layer(x, x)
    projections = keras_adapter.attention_projections(layer)
    assert len(projections) == 4
    assert all(isinstance(p, keras.layers.EinsumDense) for p in projections)
    assert [p.name for p in projections] == ["query", "key", "value",
                                            "attention_output"]


def test_moved_attention_projections_are_named():
    with pytest.raises(keras_adapter.KerasInternalsError,
                       match="MultiHeadAttention.query_dense"):
        keras_adapter.attention_projections(keras.layers.Dense(2))


def test_convnexts_own_layers_are_found():
    classes = keras_adapter.application_layer_classes()
    assert set(classes) == {"LayerScale", "StochasticDepth"}
    assert all(issubclass(cls, keras.layers.Layer)
               for cls in classes.values())


# μP's: `nested_layers`.

class _Block(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = keras.layers.Dense(3, name="inner")

    def call(self, x):
        return self.inner(x)


def test_nested_layers_reach_inside_models_and_custom_layers():
    x = keras.Input((4,))
    sub = keras.Sequential([keras.layers.Dense(4, name="sub_dense")],
                           name="sub")
    model = keras.Model(x, _Block(name="block")(sub(x)))
    names = [layer.name for layer in keras_adapter.nested_layers(model)]
    assert {"sub", "sub_dense", "block", "inner"} <= set(names)
    assert model.name not in names and len(names) == len(set(names))


def test_a_moved_flatten_is_named():
    class Bare:
        pass

    with pytest.raises(keras_adapter.KerasInternalsError,
                       match="Layer._flatten_layers"):
        keras_adapter.nested_layers(Bare())


def test_attentions_logit_scale_is_set_or_named_moved():
    layer = keras.layers.MultiHeadAttention(2, 16)
    keras_adapter.set_attention_scale(layer, 0.125)
    assert layer._inverse_sqrt_key_dim == 0.125
    with pytest.raises(keras_adapter.KerasInternalsError,
                       match="MultiHeadAttention._inverse_sqrt_key_dim"):
        keras_adapter.set_attention_scale(keras.layers.Dense(2), 0.5)

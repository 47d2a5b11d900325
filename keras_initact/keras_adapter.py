"""Every private Keras internal keras_initact relies on, in one place.

Keras 3 has no public hook on the gradients an optimizer applies, nor a
public map from a variable to its row in the optimizer's state. The
monitoring callbacks need both. Each use is a small function here that
fails with a message naming the Keras release that moved it, so that a new
Keras breaks one module, loudly, rather than a callback in the middle of
training (`tests/test_keras_adapter.py` checks each against the installed
Keras). Tested with the Keras releases in `TESTED_KERAS`; the oldest is
setup.cfg's lower bound.

| internal                                  | used for                           |
|-------------------------------------------|------------------------------------|
| `Optimizer._distributed_tf_update_step`   | TensorFlow: the method the gradients pass through, once per step |
| `Optimizer.stateless_apply`, `.apply`     | JAX and PyTorch: the same (public) |
| `Optimizer._trainable_variables`          | the variables, in the optimizer's order |
| `Optimizer._get_variable_index(variable)` | a variable's row in that order     |
| `Layer.__call__` reading `self.call` at each call | seeing a layer's outputs in the train step (Keras has no forward hooks) |
| JAX `train_step` calling `self.compute_loss_and_updates` in `value_and_grad` and passing its aux's non-trainable variables on as the new state | values measured in the step's own forward pass leave it (`train_step_exporting`) |
| `keras.src.activations.ALL_OBJECTS_DICT`  | `Dense(activation="keras_initact>mish")`: Keras resolves activation strings only in this table |
| `Layer._build_at_init()`                  | building a layer without weights when it is constructed, as Keras's own are |
| `Function._nodes_by_depth`, `Node.operation`, `.arguments.fill_in`, `.outputs`; `Sequential._functional` | walking a model's graph node by node (`functional_graph`) |
| the classes of `keras.src.ops.numpy` and `keras.src.ops.nn` | which graph operations act elementwise (`x + 3.0` in a functional model) |
| `keras.src.applications.convnext.LayerScale`, `.StochasticDepth` | ConvNeXt's own layers, which `initialize` knows |
| `Layer._flatten_layers(include_self, recursive)` | every layer inside a model, those of custom layers included (`nested_layers`: μP's base shapes) |
| `MultiHeadAttention._inverse_sqrt_key_dim`, read at each call | μP's attention logit scale (`set_attention_scale`) |
"""

import dataclasses

import functools
import weakref

import keras

# The optimizer method that receives the gradients, per Keras backend.
UPDATE_METHODS = {
    "tensorflow": "_distributed_tf_update_step",
    "jax": "stateless_apply",
    "torch": "apply",
}


# The suite (adapter, callbacks, layers, models and export tests) passed on
# these; TensorFlow 2.21 needs Keras 3.12 or newer.
TESTED_KERAS = ("3.12.0", "3.15.1")

_OBSERVERS = weakref.WeakKeyDictionary()  # layer -> [observer]


class KerasInternalsError(RuntimeError):
    """A private Keras internal keras_initact uses is gone or changed."""


def _moved(what, error=None):
    return KerasInternalsError(
        f"keras_initact relies on the private Keras internal {what}, which "
        f"Keras {keras.__version__} does not have (tested with Keras "
        f"{', '.join(TESTED_KERAS)}); "
        "please report it with your Keras version."
        + (f" ({type(error).__name__}: {error})" if error else ""))


def update_method_name():
    """The name of the optimizer method that receives the gradients on this
    backend."""
    backend = keras.backend.backend()
    if backend not in UPDATE_METHODS:
        raise NotImplementedError(
            f"keras_initact's gradient hooks support the "
            f"{', '.join(UPDATE_METHODS)} backends; this is {backend!r}.")
    return UPDATE_METHODS[backend]


def update_method(optimizer):
    """The optimizer's bound method that receives the gradients."""
    name = update_method_name()
    method = getattr(optimizer, name, None)
    if method is None:
        raise _moved(f"`{type(optimizer).__name__}.{name}`")
    return method


def trainable_variables(optimizer):
    """The variables an optimizer updates, in its own order (the order of
    `variable_index`)."""
    try:
        return list(optimizer._trainable_variables)
    except AttributeError as error:
        raise _moved("`Optimizer._trainable_variables`", error) from None


def variable_index(optimizer, variable):
    """The row of `variable` in `trainable_variables(optimizer)`."""
    try:
        return optimizer._get_variable_index(variable)
    except AttributeError as error:
        raise _moved("`Optimizer._get_variable_index`", error) from None


def observe_call(layer, observer):
    """Has `observer(outputs)` see what `layer.call` returns, on every call
    (traced or eager), until the returned function is called. Observers of
    one layer come off in any order; with the last, the layer's own `call`
    is back.

    Keras 3 has no forward hooks; `Layer.__call__` looks `self.call` up at
    each call, so a function set on the instance shadows the class's
    method. It keeps the method's signature (`functools.wraps`), which
    Keras reads for its `training` and `mask` arguments."""
    if layer not in _OBSERVERS:
        call = layer.call
        observers = _OBSERVERS[layer] = []

        @functools.wraps(call)
        def observed(*args, **kwargs):
            outputs = call(*args, **kwargs)
            for see in list(observers):
                see(outputs)
            return outputs

        # object.__setattr__: Keras's attribute tracking has no business
        # here.
        object.__setattr__(layer, "call", observed)
    _OBSERVERS[layer].append(observer)

    def restore():
        observers = _OBSERVERS.get(layer)
        if observers is None or observer not in observers:
            return
        observers.remove(observer)
        if not observers:
            del _OBSERVERS[layer]
            object.__delattr__(layer, "call")

    return restore


def add_activation_names(functions):
    """Lets `keras.activations.get` (and so `Dense(activation=NAME)`)
    resolve each name of `functions` (name -> function) that Keras does not
    already know.

    Keras 3 resolves an activation string only in its table of built-ins; a
    registered custom function is found from its serialized dict, never
    from its name. Without this, `activation="keras_initact>mish"` fails in
    a Keras layer and everything else works."""
    try:
        from keras.src import activations as keras_activations

        table = keras_activations.ALL_OBJECTS_DICT
    except (ImportError, AttributeError) as error:
        raise _moved("`keras.src.activations.ALL_OBJECTS_DICT`", error) \
            from None
    for name, function in functions.items():
        table.setdefault(name, function)


def build_at_init(layer):
    """Marks a layer without input-dependent weights as built, as Keras's
    own such layers are once constructed (what `run_layer_test(
    assert_built_after_instantiation=True)` checks)."""
    build = getattr(layer, "_build_at_init", None)
    if build is None:
        raise _moved("`Layer._build_at_init`")
    build()


def train_step_exporting(model, train_step, produce):
    """JAX: `train_step(state, data)` as a step that also returns what
    `produce()` gave at the end of the step's forward pass:
    `step(state, data) -> (logs, state, produced)`, `produced` being `None`
    when the step did not run `model.compute_loss_and_updates` (a custom
    `train_step`).

    Keras's JAX step runs its forward pass inside `jax.value_and_grad`,
    whose values leave it only as the auxiliary outputs: the loss, the
    predictions and the new state, which the step passes on. So `produce`'s
    values ride out as one more non-trainable variable of that state, and
    come off it before the step returns."""
    original = model.compute_loss_and_updates

    def compute_loss_and_updates(*args, **kwargs):
        loss, aux = original(*args, **kwargs)
        unscaled_loss, y_pred, non_trainable, metrics = aux
        produced.append(produce())
        return loss, (unscaled_loss, y_pred,
                      [*non_trainable, {"exported": produced[-1]}], metrics)

    def step(state, data):
        produced.clear()
        object.__setattr__(model, "compute_loss_and_updates",
                           compute_loss_and_updates)
        try:
            logs, new_state = train_step(state, data)
        finally:
            object.__delattr__(model, "compute_loss_and_updates")
        if not produced:
            return logs, new_state, None
        trainable, non_trainable, *rest = new_state
        if len(non_trainable) != len(state[1]) + 1 \
                or not isinstance(non_trainable[-1], dict):
            raise _moved("JAX `train_step` passing the non-trainable "
                         "variables of `compute_loss_and_updates` on as its "
                         "new state")
        return (logs, (trainable, list(non_trainable[:-1]), *rest),
                non_trainable[-1]["exported"])

    produced = []
    return step


@dataclasses.dataclass(frozen=True)
class GraphNode:
    """One call in a model's graph: `operation` (a layer, a nested model
    or a Keras op) called on `inputs` (KerasTensors), giving `outputs`."""

    operation: object
    inputs: tuple
    outputs: tuple
    _arguments: object = dataclasses.field(repr=False)

    def arguments(self, values):
        """`(args, kwargs)` of the call with each input KerasTensor `t`
        replaced by `values[id(t)]`."""
        return self._arguments.fill_in(values)


@dataclasses.dataclass(frozen=True)
class Graph:
    """A functional or Sequential model's graph: its input and output
    KerasTensors, and its nodes in an order that computes each node's
    inputs first (Keras's own, `Functional._run_through_graph`'s)."""

    inputs: tuple
    outputs: tuple
    nodes: tuple


def functional_graph(model):
    """The `Graph` of a built functional or Sequential `model`, or `None`
    for a model without one (a subclassed `keras.Model`).

    Keras 3 keeps a functional model's nodes by depth
    (`Function._nodes_by_depth`), and a Sequential model's graph in a
    functional model it builds once it knows its input shape."""
    if isinstance(model, keras.Sequential):
        model = getattr(model, "_functional", None)
        if model is None:
            return None
    if not isinstance(model, keras.Model) or not hasattr(
            model, "_nodes_by_depth"):
        return None
    try:
        nodes = []
        for depth in sorted(model._nodes_by_depth, reverse=True):
            for node in model._nodes_by_depth[depth]:
                if node.operation is None or node.is_input:
                    continue
                nodes.append(GraphNode(
                    node.operation, tuple(node.input_tensors),
                    tuple(node.outputs), node.arguments))
        return Graph(tuple(model.inputs), tuple(model.outputs), tuple(nodes))
    except AttributeError as error:
        raise _moved("`Function._nodes_by_depth` and its `Node`s", error) \
            from None


# Keras ops that act on each element alone (with broadcasting), by class
# name in `keras.src.ops.numpy` and `keras.src.ops.nn`.
ELEMENTWISE_OPS = frozenset({
    "Abs", "Absolute", "Add", "Subtract", "Multiply", "Divide", "TrueDivide",
    "Negative", "Square", "Sqrt", "Exp", "Expm1", "Log", "Log1p", "Power",
    "Maximum", "Minimum", "Clip", "Sign", "Tanh", "Sin", "Cos", "Reciprocal",
    "Relu", "Relu6", "Sigmoid", "Softplus", "Softsign", "Silu", "Swish",
    "LogSigmoid", "LeakyRelu", "HardSigmoid", "HardSilu", "HardSwish", "Elu",
    "Selu", "Gelu", "Celu", "Mish", "Cast", "Where",
})


def is_elementwise_op(operation):
    """Whether `operation` (a graph node's) is one of Keras's elementwise
    ops (`ELEMENTWISE_OPS`)."""
    cls = type(operation)
    module = cls.__module__
    return (module in ("keras.src.ops.numpy", "keras.src.ops.nn")
            and cls.__name__ in ELEMENTWISE_OPS)


def nested_layers(layer):
    """Every layer tracked inside `layer`, at any depth (sub-models' and
    custom layers' included, `layer` itself not), each once, in the order
    Keras tracks them."""
    flatten = getattr(layer, "_flatten_layers", None)
    if flatten is None:
        raise _moved("`Layer._flatten_layers`")
    return list(flatten(include_self=False, recursive=True))


def set_attention_scale(layer, scale):
    """Makes a `keras.layers.MultiHeadAttention` scale its logits `q·k` by
    `scale` instead of `1/sqrt(key_dim)`, on both of its paths (the fused
    `dot_product_attention` and the explicit scores)."""
    if not isinstance(getattr(layer, "_inverse_sqrt_key_dim", None), float):
        raise _moved("`MultiHeadAttention._inverse_sqrt_key_dim`")
    layer._inverse_sqrt_key_dim = float(scale)


def attention_projections(layer):
    """The query, key, value and output `EinsumDense` layers of a built
    `keras.layers.MultiHeadAttention` (public properties since Keras 3.5;
    the private attributes before)."""
    found = []
    for name in ("query_dense", "key_dense", "value_dense", "output_dense"):
        sublayer = getattr(layer, name, None)
        if sublayer is None:
            sublayer = getattr(layer, "_" + name, None)
        if sublayer is None:
            raise _moved(f"`MultiHeadAttention.{name}`")
        found.append(sublayer)
    return tuple(found)


def application_layer_classes():
    """Keras Applications' own layers that `initialize` knows, by name:
    ConvNeXt's `LayerScale` and `StochasticDepth` (empty when this Keras
    lacks them)."""
    try:
        from keras.src.applications import convnext
    except ImportError:
        return {}
    return {name: getattr(convnext, name)
            for name in ("LayerScale", "StochasticDepth")
            if hasattr(convnext, name)}

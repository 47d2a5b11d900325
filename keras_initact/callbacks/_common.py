"""What the callbacks share: naming, probe batches, monitored layers, and
how they put things on a model and take them off again."""

import contextlib
import functools
import re
import sys
import warnings

import keras
import numpy as np

from keras_initact import keras_adapter
from keras_initact.activations.registry import ACTIVATIONS
from keras_initact.callbacks import _hooks
from keras_initact.callbacks import statistics as st


def weight_names(variables):
    """Unique, tag-safe names for variables: their Keras paths
    (`"dense_1/kernel"`, `"block/conv/bias"`), suffixed `_1`, `_2`, ... on
    a clash."""
    names, seen = [], {}
    for v in variables:
        name = getattr(v, "path", None) or v.name
        name = re.sub(r"[^A-Za-z0-9_./-]", "_", name.split(":")[0])
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def weight_tags(variables):
    """`(tag group, variable)` for a layer's weights: the weight's own name
    (`"kernel"`, `"bias"`, `"gamma"`), suffixed `_1`, `_2`, ... when a layer
    (a nested model, say) holds several of one name."""
    tags, seen = [], {}
    for v in variables:
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", v.name.split(":")[0]
                      .rsplit("/", 1)[-1])
        seen[name] = seen.get(name, -1) + 1
        tags.append((name if not seen[name] else f"{name}_{seen[name]}", v))
    return tags


def unique_variables(variables):
    out, ids = [], set()
    for v in variables:
        if id(v) not in ids:
            ids.add(id(v))
            out.append(v)
    return out


def probe_batch(probe_data):
    """The input part of `probe_data` (an array, a tensor, a tuple `(x, y)`
    or `(x, y, w)`, a dict, or a `tf.data.Dataset`, of which the first
    batch is taken) as tensors."""
    if probe_data is None:
        return None
    if _is_tf_dataset(probe_data):
        probe_data = next(iter(probe_data))
    if isinstance(probe_data, tuple):
        probe_data = probe_data[0]
    return keras.tree.map_structure(keras.ops.convert_to_tensor, probe_data)


def _is_tf_dataset(value):
    tf = sys.modules.get("tensorflow")  # a Dataset means it is imported
    return tf is not None and isinstance(value, tf.data.Dataset)


def activation_spec(layer):
    """The registry record of the activation a layer applies: its own for
    activation layers, that of `layer.activation` for layers with a fused
    activation (`Dense(4, activation="relu")`), else `None`."""
    spec = ACTIVATIONS.identify(layer)
    if spec is None:
        act = getattr(layer, "activation", None)
        if act is not None and not isinstance(act, keras.layers.Layer):
            spec = ACTIVATIONS.identify(act)
        elif isinstance(act, keras.layers.Layer):
            spec = ACTIVATIONS.identify(act)
    return spec


def monitored_layers(model, names=None):
    """`(layer, spec)` for the model's top-level layers whose output can be
    read from a functional graph: every layer but `InputLayer`s (nested
    models count as one layer, their output). `names` keeps only those."""
    if not getattr(model, "inputs", None):
        warnings.warn(
            f"{type(model).__name__} {model.name!r} is not a functional or "
            "Sequential model with known inputs; activation statistics are "
            "not computed for it.", stacklevel=3)
        return []
    return [(layer, activation_spec(layer))
            for layer, output in _top_layers(model, names)
            if isinstance(output, keras.KerasTensor) and st.is_float(output)]


def observed_layers(model, names=None):
    """`(layer, spec)` for the model's top-level layers whose outputs the
    train step's forward pass shows (`_hooks.observe_outputs`): every layer
    but `InputLayer`s, in any model, subclassed ones included; a layer the
    graph says returns no float tensor is left out. `names` keeps only
    those."""
    return [(layer, activation_spec(layer))
            for layer, output in _top_layers(model, names)
            if output is None or st.is_float(output)]


def _top_layers(model, names):
    """`(layer, its graph output or None)` for the model's top-level layers
    but `InputLayer`s (shared layers and layers never called in a graph
    have none), those in `names` if given."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if names is not None and layer.name not in names:
            continue
        try:
            output = layer.output
        except (AttributeError, ValueError):
            output = None
        yield layer, output


def probe_model(model, layers):
    """A `keras.Model` from the model's inputs to the listed layers'
    outputs (no new weights: it shares them)."""
    return keras.Model(model.inputs, [layer.output for layer, *_ in layers],
                       name=f"{model.name}_probe")


def built_update_optimizer(model):
    """The model's optimizer, built on the model's trainable variables if
    `fit` has not built it yet (as its first `apply` would), and the
    innermost optimizer whose `update_step` the hooks wrap."""
    optimizer = model.optimizer
    if not optimizer.built:
        with distribution_scope(model):
            optimizer.build(model.trainable_variables)
    return optimizer, _hooks.update_optimizer(optimizer)


def sync_variables(model):
    """Puts the training state back on the model's variables, so that they
    can be read in the middle of an epoch: on JAX the trainer holds it
    apart until then (`model.jax_state_sync()`); elsewhere the variables
    are the state."""
    if hasattr(model, "jax_state_sync"):
        model.jax_state_sync()


def distribution_scope(model):
    """The model's `tf.distribute` strategy scope (TensorFlow), else a
    scope that does nothing."""
    strategy = getattr(model, "distribute_strategy", None)
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def _end_of_data():
    """What Keras's epoch loop expects a train function to raise at the end
    of data of unknown length; not a failure."""
    tf = sys.modules.get("tensorflow")
    return (StopIteration,) + ((tf.errors.OutOfRangeError,) if tf else ())


def refresh_train_function(model):
    """Rebuilds the model's train function after a hook was installed or
    removed, so that its next call traces it with the hooks in place.

    A hook with a `tracing` attribute has it set while the train function
    runs (and traces), and cleared after, so that what it adds to layers
    stays out of other functions (`predict`, validation). On JAX, where a
    hook is traced into the jitted step and a flag the host sets cannot
    reach it without a retrace, a hook that is only needed on some steps
    (`traced_when_wanted`) gets two compiled train functions: one without
    it, and one with it; each call runs the second only when the hook
    `wanted()` it, and sets its `tracing` only for the second.

    On JAX the steps also return what the hooks measured in them, without
    a host callback (which would wait for the interpreter in the middle of
    the step): when the step is traced, each hook with `step_outputs(state,
    data, forward)` gives the values to return (or `None`; `forward` is
    what its `forward_outputs()` gave in the step's forward pass, see
    `_train_function`), and the train function
    hands them to the hook's `receive(values)` as device arrays, which it
    reads when it wants them.

    A hook with `saw_logs(logs)` gets each call's logs (device tensors, not
    read), so that it need not define `on_train_batch_end`: a callback
    that does makes Keras wait for every step before the next.

    While hooks are installed the function is guarded: if it raises (apart
    from the end of the data), every keras_initact hook on the model's
    optimizer is uninstalled, so that the model trains as before, and the
    exception goes on. With no hook left it is Keras's own again."""
    model.make_train_function(force=True)
    hooks = _hooks.installed(model.optimizer) if model.optimizer else []
    if not hooks:
        return
    switched = [hook for hook in hooks
                if getattr(hook, "traced_when_wanted", False)]
    returning = [hook for hook in hooks if hasattr(hook, "step_outputs")] \
        if keras.backend.backend() == "jax" else []
    functions = {False: _train_function(model, returning) if returning
                 else model.train_function}
    functions[True] = _train_function(model, returning) if switched \
        else functions[False]
    observing = [hook for hook in hooks if hasattr(hook, "tracing")]
    reading = [hook for hook in hooks if hasattr(hook, "saw_logs")]

    def guarded(*args, **kwargs):
        wanted = not switched or any(hook.wanted() for hook in switched)
        for hook in observing:
            hook.tracing = wanted or hook not in switched
        try:
            result = functions[wanted](*args, **kwargs)
        except _end_of_data():
            raise
        except BaseException:
            uninstall_all(model)
            raise
        finally:
            for hook in observing:
                hook.tracing = False
        logs = result[0] if keras.backend.backend() == "jax" else result
        if returning:
            outputs = logs.pop(STEP_OUTPUTS, {})
            for index, values in outputs.items():
                returning[int(index)].receive(values)
        for hook in reading:
            hook.saw_logs(logs)
        return result

    guarded._initact_guarded = True
    model.train_function = guarded


STEP_OUTPUTS = "keras_initact"  # the logs entry of the hooks' outputs (JAX)


def _train_function(model, returning):
    """A JAX train function of the model, compiled apart from any other
    (JAX caches traces by function, and they would otherwise share the
    bound `model.train_step`'s), whose step also returns the `returning`
    hooks' `step_outputs` in its logs, under `STEP_OUTPUTS`. A hook with
    `forward_outputs()` has it called at the end of the step's forward
    pass, and what it returned there is its `step_outputs`'s `forward`
    (`None` when the model's `train_step` is its own and runs no Keras
    forward pass)."""
    bound = model.train_step
    forward = [hook for hook in returning if hasattr(hook, "forward_outputs")]

    def produce():
        return {str(index): hook.forward_outputs()
                for index, hook in enumerate(forward)}

    exporting = keras_adapter.train_step_exporting(model, bound, produce)

    def train_step(state, data):
        logs, new_state, produced = exporting(state, data) if forward \
            else (*bound(state, data), None)
        outputs = {}
        for index, hook in enumerate(returning):
            seen = None
            if produced is not None and hook in forward:
                seen = produced[str(forward.index(hook))]
            values = hook.step_outputs(state, data, seen)
            if values is not None:
                outputs[str(index)] = values
        if outputs:
            logs = {**logs, STEP_OUTPUTS: outputs}
        return logs, new_state

    object.__setattr__(model, "train_step", train_step)
    try:
        model.make_train_function(force=True)
    finally:
        object.__delattr__(model, "train_step")
    return model.train_function


def uninstall_all(model):
    """Uninstalls every keras_initact hook on the model's optimizer."""
    if model.optimizer is not None:
        for hook in _hooks.installed(model.optimizer):
            hook.uninstall()
    refresh_train_function(model)


def uninstalls_on_failure(method):
    """Wraps a callback method: if it raises, the callback first uninstalls
    what it put on the model (`self.uninstall()`), so that a later `fit`,
    with or without it, trains as if it had never been there."""
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.uninstall()
            raise

    return guarded


def check_probe_data(probe, model, owner):
    """Checks that a probe batch (see `probe_batch`) fits the model's inputs,
    before anything is traced with it."""
    inputs = getattr(model, "inputs", None) or []
    arrays = keras.tree.flatten(probe)
    if len(arrays) != len(inputs):
        raise ValueError(
            f"{owner}: `probe_data` holds {len(arrays)} input array(s), but "
            f"model {model.name!r} takes {len(inputs)}; give a batch of the "
            "model's inputs (or `(x, y)`)."
        )
    for array, expected in zip(arrays, inputs):
        shape, wanted = tuple(array.shape), tuple(expected.shape)
        fits = len(shape) == len(wanted) and all(
            w is None or s == w for s, w in zip(shape[1:], wanted[1:]))
        if not fits or shape[0] == 0:
            raise ValueError(
                f"{owner}: `probe_data` has shape {shape}, but model "
                f"{model.name!r} takes inputs of shape {wanted}; give a "
                "non-empty batch of the model's inputs (or `(x, y)`)."
            )


def compiled(function, jit_compile=False):
    """`function` as a `tf.function` on TensorFlow (traced once; plain ops,
    nothing for AutoGraph to convert), as it is on other backends."""
    if keras.backend.backend() != "tensorflow":
        return function
    import tensorflow as tf

    # A partial has no `__code__`: TensorFlow then counts this function's
    # traces apart from those of the same code made for other fits, and
    # does not warn of "retracing" after five fits in one process.
    return tf.function(functools.partial(function), autograph=False,
                       jit_compile=jit_compile)

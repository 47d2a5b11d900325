"""Hooks on an optimizer's update, shared by the callbacks, and on the
layers' outputs in the train step (`observe_outputs`).

Keras 3's TensorFlow optimizers apply gradients through
`optimizer._distributed_tf_update_step(distribution, grads_and_vars,
learning_rate)`, called once per train step (through `maybe_merge_call`, in
a cross-replica context) after the gradients are all-reduced; it calls
`update_step(gradient, variable, learning_rate)` for each variable inside
`distribution.extended.update`. Replacing that method on the instance (then
rebuilding the train function) lets a callback see, inside the compiled
train step, exactly the gradients the update rule receives, with no second
forward/backward pass:

* under a `LossScaleOptimizer` (mixed precision) the hook goes on the *inner*
  optimizer, so gradients are already unscaled, and steps the loss scaler
  skips (non-finite gradients) never reach it;
* under `tf.distribute` strategies the gradients are the aggregated ones
  (mirrored values: read one local copy with
  `distribution.experimental_local_results(g)[0]`);
* gradient clipping (`clipnorm`, ...) has already been applied; weight decay
  is applied separately and is not part of the gradient.

On JAX and PyTorch the hook goes on the method their trainers call with
the gradients: `optimizer.stateless_apply(optimizer_variables, grads,
trainable_variables)`, traced into JAX's jitted train step, and
`optimizer.apply(grads, trainable_variables)`, called eagerly by PyTorch's
(`UPDATE_METHODS`); there too the inner optimizer of a loss scale optimizer
receives the unscaled gradients.

A hook is an object with `wrap(optimizer, fn) -> fn` and `uninstall()`
(which removes it and everything else its owner put on the model); hooks
with `observes_only = True` (they never replace the update) are wrapped
outermost, so that they see every step even when another hook performs the
update itself on its logging steps.

Several hooks can be installed on one optimizer; `remove` restores the
original method when the last one goes.
"""

import weakref

import keras

from keras_initact import keras_adapter
from keras_initact.callbacks import statistics as st

_HOOKS = weakref.WeakKeyDictionary()  # optimizer -> (original, [hooks])


def update_optimizer(optimizer):
    """The optimizer whose `update_step` sees the real gradients: the
    innermost one of (nested) loss scale optimizers."""
    while hasattr(optimizer, "inner_optimizer"):
        optimizer = optimizer.inner_optimizer
    return optimizer


def install(optimizer, hook):
    """Adds `hook`, an object with `wrap(optimizer, update_step) ->
    update_step`, to `optimizer` (or its inner optimizer)."""
    opt = update_optimizer(optimizer)
    method = keras_adapter.update_method_name()
    if opt not in _HOOKS:
        if not hasattr(opt, method):
            raise TypeError(
                f"{type(opt).__name__} is not a Keras 3 optimizer of the "
                f"{keras.backend.backend()} backend (no `{method}`).")
        _HOOKS[opt] = (keras_adapter.update_method(opt), [])
    hooks = _HOOKS[opt][1]
    if hook not in hooks:
        hooks.append(hook)
    _rebuild(opt)
    return opt


def remove(optimizer, hook):
    opt = update_optimizer(optimizer)
    if opt not in _HOOKS:
        return
    hooks = _HOOKS[opt][1]
    if hook in hooks:
        hooks.remove(hook)
    _rebuild(opt)


def installed(optimizer):
    """The hooks installed on `optimizer` (or its inner optimizer)."""
    entry = _HOOKS.get(update_optimizer(optimizer))
    return list(entry[1]) if entry else []


def _rebuild(opt):
    original, hooks = _HOOKS[opt]
    method = keras_adapter.update_method_name()
    if not hooks:
        opt.__dict__.pop(method, None)
        del _HOOKS[opt]
        return
    fn = original
    for hook in sorted(hooks, key=lambda h: bool(
            getattr(h, "observes_only", False))):
        fn = hook.wrap(opt, fn)
    # object.__setattr__: Keras's attribute tracking has no business here.
    object.__setattr__(opt, method, fn)


def observe_outputs(layers, record):
    """Calls `record(index, output)` with the output of `layers[index]`
    whenever it is called with a single float tensor out (Keras calls its
    layers inside the train step's forward pass, where the caller decides
    what to do with it); returns the functions that take it off again."""
    def observer(index):
        def see(outputs):
            if keras.ops.is_tensor(outputs) and st.is_float(outputs):
                record(index, outputs)
        return see

    return [keras_adapter.observe_call(layer, observer(index))
            for index, layer in enumerate(layers)]

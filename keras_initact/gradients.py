"""Gradients of a loss with respect to Keras variables, on every backend.

Keras 3 has no backend-agnostic gradient call: TensorFlow records a
`GradientTape`, JAX differentiates a pure function of the variables' values
(run here inside a `keras.StatelessScope` that maps each variable to a
traced value), and PyTorch's autograd follows the variables' tensors. One
function hides the three:

>>> grads = variable_gradients(lambda: model.compute_loss(x, y, model(x)),
...                            model.trainable_variables)
"""

import keras
import numpy as np


def variable_gradients(loss_fn, variables):
    """The gradients of `loss_fn()` (a scalar) with respect to `variables`,
    as float32 NumPy arrays (None for a variable the loss does not reach).

    `loss_fn` takes no arguments and reads the variables as usual (through
    layers or `variable.value`).
    """
    variables = list(variables)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        grads = _tensorflow(loss_fn, variables)
    elif backend == "jax":
        grads = _jax(loss_fn, variables)
    elif backend == "torch":
        grads = _torch(loss_fn, variables)
    else:
        raise NotImplementedError(
            f"variable_gradients: the {backend!r} backend has no gradients; "
            "use tensorflow, jax or torch.")
    return [None if g is None else
            np.asarray(keras.ops.convert_to_numpy(g), dtype=np.float32)
            for g in grads]


def _tensorflow(loss_fn, variables):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        for variable in variables:
            tape.watch(variable.value)
        loss = loss_fn()
    return tape.gradient(loss, [variable.value for variable in variables])


def _jax(loss_fn, variables):
    import jax

    def loss_of(values):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            return loss_fn()

    values = [variable.value for variable in variables]
    return jax.grad(loss_of)(values)


def _torch(loss_fn, variables):
    import torch

    tensors = [variable.value for variable in variables]
    needed = [t.requires_grad for t in tensors]
    for tensor in tensors:
        tensor.requires_grad_(True)
    try:
        loss = loss_fn()
        grads = torch.autograd.grad(loss, tensors, allow_unused=True)
    finally:
        for tensor, needs in zip(tensors, needed):
            tensor.requires_grad_(needs)
    return grads

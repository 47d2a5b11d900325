"""The activation statistics of a fixed probe batch (`LayerStats`'s
`probe_data`): one compiled function per fit, device tensors out."""

import keras

from keras_initact.callbacks import _common
from keras_initact.callbacks import statistics as st


def probe_function(probe_model, x, rows, iterations, histograms=False,
                   jit_compile=False):
    """`measure()` -> (the optimizer's step, the activation table[, the
    outputs]) of `probe_model` (a model to the probed layers' outputs) on
    `x` in inference mode; `rows` are the probed layers' `LayerRow`s, in
    the order of its outputs, and `iterations` the optimizer's counter."""
    specs = [row.spec for row in rows]
    heads = [row.head for row in rows]

    def table(outputs):
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        out = (st.activation_table(outputs, specs, heads),)
        return out + (tuple(outputs),) if histograms else out

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        # The step goes through the function: the train step donates the
        # counter's buffer, a copy outlives it.
        def pure_measure(step, trainable, other, x):
            outputs, _ = probe_model.stateless_call(
                trainable, other, x, training=False)
            return (step + 0,) + table(outputs)

        pure = jax.jit(pure_measure)

        def measure():
            return pure(
                iterations.value,
                [v.value for v in probe_model.trainable_variables],
                [v.value for v in probe_model.non_trainable_variables], x)

        return measure
    if backend == "torch":
        import torch

        def measure():
            with torch.no_grad():
                return (keras.ops.copy(iterations.value),) + table(
                    probe_model(x, training=False))

        return measure
    return _common.compiled(lambda: (keras.ops.convert_to_tensor(
        iterations),) + table(probe_model(x, training=False)),
        jit_compile=jit_compile)

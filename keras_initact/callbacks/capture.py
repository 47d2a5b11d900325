"""What the optimizer's update does on logging steps, captured on the device.

`capture_for(optimizer, ...)` gives one object per backend with one small
interface:

* `wrap(optimizer, update_fn)`: the hook `_hooks` installs on the method
  that receives the gradients. On a logging step it computes
  `statistics.VARIABLE_STATISTICS` for every trainable variable (gradient
  norm; mean, std and norm after the update; update ratio) inside the
  train step, from the gradients and the weights before and after the
  update it leaves to Keras, unchanged. Other steps pay a flag test.
* `want(flag)`: whether the next train-function call logs (the host's
  schedule).
* `record_output(index, output)`: what the layer hooks (`_hooks.observe_
  outputs`) call with a logged layer's output in the train step's forward
  pass; on a logging step it becomes row `index` of the step's activation
  table (`statistics.ACTIVATION_STATISTICS`, on the training batch).
* `collect()`: every table captured since the last call, `{step: (table,
  gradient histograms or None, activation table or None)}`, with one
  device read for all of them. The variable table's rows follow the
  optimizer's variables (`keras_adapter`).

`tracing` is true while the model's train function runs (and, on JAX,
only while the one for logging steps runs; see `_common`): the hooks then
add their measurements to what is being traced or run, and leave any other
function (`predict`, validation) as it is.

The table is computed with a few reductions per variable, which graphs run
in parallel and XLA fuses. TensorFlow keeps the tables in a ring of
`slots` device variables, so the host reads them once per `slots` logging
steps rather than once per step; JAX (in a train function of its own for
the logging steps) hands each table to the host with `jax.debug.callback`;
PyTorch keeps the device tensors until `collect`.
"""

import math

import keras
import numpy as np

from keras_initact import keras_adapter
from keras_initact.callbacks import statistics as st


def capture_for(model, optimizer, histograms=False, bins=st.HISTOGRAM_BINS,
                slots=32, xla=False, variables=True, outputs=()):
    """The backend's capture for `model`'s training, whose `optimizer` is
    the one whose update method the hook wraps (the innermost of loss scale
    optimizers, built).
    `variables`: whether to measure the variables (else the table has no
    rows); `outputs`: `(spec, head)` per activation row (see
    `statistics.activation_table`)."""
    kind = {"tensorflow": TensorFlowCapture, "jax": JaxCapture,
            "torch": TorchCapture}[keras.backend.backend()]
    return kind(model, optimizer, histograms, bins, slots, xla, variables,
                outputs)


class Capture:
    """See the module: the interface shared by the backends."""

    def __init__(self, model, optimizer, histograms, bins, slots, xla,
                 variables, outputs):
        self.model = model
        self.variables = keras_adapter.trainable_variables(optimizer) \
            if variables else []
        self.histograms = histograms and variables
        self.bins = bins
        self.slots = slots if not self.histograms else 1
        self.xla = xla
        self.outputs = list(outputs)
        self.tracing = False

    def want(self, flag):
        pass

    def record_output(self, index, output):
        raise NotImplementedError

    def collect(self):
        raise NotImplementedError

    def _activation_row(self, index, output):
        spec, head = self.outputs[index]
        return st.activation_table([output], [spec], [head])[0]

    def _activation_table(self, rows):
        """`{index: row}` (host arrays) as a table, NaN where a layer was
        not called."""
        table = np.full((len(self.outputs), len(st.ACTIVATION_STATISTICS)),
                        np.nan, np.float32)
        for index, row in rows.items():
            table[index] = row
        return table if self.outputs else None


class TensorFlowCapture(Capture):
    """The tables go to a ring of device variables that `collect` reads at
    once. A `tf.cond` on a flag the host sets runs the measurement only on
    logging steps; under XLA both branches keep the shapes XLA needs."""

    def __init__(self, *args):
        super().__init__(*args)
        import tensorflow as tf

        count = len(self.variables)
        self._flag = tf.Variable(False, trainable=False,
                                 name="layer_stats_capture")
        self._flag_value = False
        self._tables = tf.Variable(
            tf.fill([self.slots, count, len(st.VARIABLE_STATISTICS)],
                    math.nan), trainable=False, name="layer_stats_tables")
        self._steps = tf.Variable(tf.fill([self.slots], tf.constant(
            -1, tf.int64)), trainable=False, name="layer_stats_steps")
        self._count = tf.Variable(tf.constant(0, tf.int64), trainable=False,
                                  name="layer_stats_count")
        self._hists = tf.Variable(tf.zeros([count, self.bins, 3]),
                                  trainable=False, name="layer_stats_hists") \
            if self.histograms else None
        self._activations = tf.Variable(
            tf.fill([self.slots, len(self.outputs),
                     len(st.ACTIVATION_STATISTICS)], math.nan),
            trainable=False, name="layer_stats_activations") \
            if self.outputs else None
        self._traced = {}  # index -> output, in the trace under way
        self._read = 0

    def want(self, flag):
        if flag != self._flag_value:
            self._flag.assign(flag)
            self._flag_value = flag

    def record_output(self, index, output):
        import tensorflow as tf

        if self.tracing:
            self._traced[index] = tf.stop_gradient(output)

    def wrap(self, opt, update_fn):
        import tensorflow as tf

        measures = {}  # (variables, outputs) -> measure, traced once per fit

        def skip(*_):
            return tf.constant(False)

        @tf.autograph.experimental.do_not_convert
        def hooked(distribution, grads_and_vars, learning_rate):
            grads_and_vars = list(grads_and_vars)
            # Variables without a gradient are not passed: rows by index.
            measured = grads_and_vars if self.variables else []
            variables = [v for _, v in measured]
            gradients = [distribution.experimental_local_results(g)[0]
                         for g, _ in measured]
            # The layer outputs of this trace's forward pass.
            traced, self._traced = self._traced, {}
            indices = sorted(traced)
            key = (tuple(map(id, variables)), tuple(indices))
            if key not in measures:
                measures[key] = self._measure_function(opt, variables,
                                                       indices)
            measure = measures[key]
            outputs = [traced[i] for i in indices]
            # The weights entering the update, on logging steps, as one
            # vector (a cond of one output traces in a fraction of the time
            # of one per variable); XLA needs both branches to have the same
            # shape, TensorFlow's graphs do not.
            total = sum(int(np.prod(v.shape)) for v in variables)
            before = tf.cond(
                tf.convert_to_tensor(self._flag),
                lambda: tf.concat([tf.zeros([0])] + [
                    tf.reshape(tf.cast(v, tf.float32), [-1])
                    for v in variables], 0),
                lambda: tf.zeros([total if self.xla else 0]))
            update_fn(distribution, grads_and_vars, learning_rate)
            tf.cond(tf.convert_to_tensor(self._flag),
                    lambda: measure(gradients, before, outputs), skip)

        return hooked

    def _measure_function(self, opt, variables, indices):
        import tensorflow as tf

        rows = [[keras_adapter.variable_index(opt, v)] for v in variables]
        shape = [len(self.variables), len(st.VARIABLE_STATISTICS)]
        sizes = [int(np.prod(v.shape)) for v in variables]
        specs = [self.outputs[i] for i in indices]
        activation_shape = [len(self.outputs), len(st.ACTIVATION_STATISTICS)]

        def measure(gradients, before, outputs):
            slot = tf.math.floormod(self._count, self.slots)
            if variables:
                table = tf.tensor_scatter_nd_update(
                    tf.fill(shape, math.nan), rows, st.variable_table(
                        gradients, tf.split(before, sizes),
                        [tf.convert_to_tensor(v) for v in variables]))
                self._tables.scatter_nd_update([[slot]], [table])
            if self._activations is not None:
                table = tf.fill(activation_shape, math.nan)
                if indices:
                    table = tf.tensor_scatter_nd_update(
                        table, [[i] for i in indices], st.activation_table(
                            outputs, [s for s, _ in specs],
                            [h for _, h in specs]))
                self._activations.scatter_nd_update([[slot]], [table])
            # The optimizer counts this step once the update is done.
            self._steps.scatter_nd_update(
                [[slot]], [tf.cast(opt.iterations, tf.int64) + 1])
            self._count.assign_add(1)
            if self._hists is not None:
                self._hists.scatter_nd_update(rows, tf.stack([
                    st.histogram(g, self.bins, xla=self.xla)
                    for g in gradients]))
            return tf.constant(True)

        return measure

    def collect(self):
        count = int(self._count.numpy())
        if count == self._read:
            return {}
        tables, steps = self._tables.numpy(), self._steps.numpy()
        hists = self._hists.numpy() if self._hists is not None else None
        activations = self._activations.numpy() \
            if self._activations is not None else None
        out = {}
        for n in range(max(self._read, count - self.slots), count):
            slot = n % self.slots
            out[int(steps[slot])] = (
                tables[slot], None,
                None if activations is None else activations[slot])
        self._read = count
        if hists is not None:
            last = max(out)
            out[last] = (out[last][0], hists, out[last][2])
        return out


class JaxCapture(Capture):
    """JAX traces the update into its jitted train step, where a host flag
    cannot reach without a retrace. So the capture is in a second compiled
    train function of its own (`_common.refresh_train_function`), called
    only for logging steps (`traced_when_wanted`; the other function, which
    runs the other steps, holds none of it). There the step returns the
    table with its logs (`step_outputs`), as device arrays that `collect`
    reads in one go: no host callback waits in the step. The activations
    are those of the step's own forward pass, which Keras runs inside
    `value_and_grad`: the layer hooks record them there, and they leave it
    with the pass's new state (`keras_adapter.train_step_exporting`).
    Gradient histograms are not captured on JAX."""

    traced_when_wanted = True

    def __init__(self, *args):
        super().__init__(*args)
        self._pending = []  # the logging steps' outputs, device arrays
        self._wanted = False
        self._rows = {}  # index -> activation row, traced in the step
        self._traced = None  # (step, table), traced in the update

    def want(self, flag):
        self._wanted = flag

    def wanted(self):
        return self._wanted

    def record_output(self, index, output):
        if self.tracing:
            self._rows[index] = self._activation_row(index, output)

    def wrap(self, opt, stateless_apply):
        iteration = next(i for i, v in enumerate(opt.variables)
                         if v is opt.iterations)

        def hooked(optimizer_variables, grads, trainable_variables):
            after, optimizer_after = stateless_apply(
                optimizer_variables, grads, trainable_variables)
            if self.tracing:
                self._traced = (
                    optimizer_variables[iteration] + 1,
                    st.variable_table(list(grads), list(trainable_variables),
                                      list(after))
                    if self.variables else st.variable_table([], [], []))
            return after, optimizer_after

        return hooked

    def forward_outputs(self):
        """The activation table of the step's own forward pass (called at
        its end, inside `value_and_grad`; see `_common._train_function`),
        or `None` when the step records no activations."""
        if not (self.tracing and self.outputs):
            return None
        rows, self._rows = self._rows, {}
        return self._stacked(rows)

    def step_outputs(self, state, data, forward=None):
        """What the logging step returns (see `_common`): the step, the
        variable table and the activation table: `forward`, the table of
        the step's forward pass, or, when the step ran none of Keras's
        (a model's own `train_step`), that of a second pass on the same
        weights, state and batch."""
        if not self.tracing or self._traced is None:
            return None
        (step, table), self._traced = self._traced, None
        values = {"step": step, "table": table}
        if self.outputs:
            values["activations"] = forward if forward is not None \
                else self._second_pass(state, data)
        return values

    def _second_pass(self, state, data):
        trainable, non_trainable = state[0], state[1]
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        self._rows = {}
        self.model.stateless_call(trainable, non_trainable, x, training=True)
        rows, self._rows = self._rows, {}
        return self._stacked(rows)

    def _stacked(self, rows):
        missing = keras.ops.full((len(st.ACTIVATION_STATISTICS),), math.nan)
        return keras.ops.stack(
            [rows.get(i, missing) for i in range(len(self.outputs))])

    def receive(self, values):
        self._pending.append(values)

    def collect(self):
        import jax

        pending, self._pending = jax.device_get(self._pending), []
        return {int(values["step"]): (np.asarray(values["table"]), None,
                                      values.get("activations"))
                for values in pending}


class TorchCapture(Capture):
    """PyTorch's trainer calls `apply` eagerly: on logging steps the hook
    copies the weights, lets Keras update them, and keeps the table on the
    device until `collect`."""

    def __init__(self, *args):
        super().__init__(*args)
        self._flag = False
        self._pending = []
        self._rows = {}  # index -> device row, of the step under way

    def want(self, flag):
        self._flag = flag

    def record_output(self, index, output):
        if self.tracing and self._flag:
            self._rows[index] = self._activation_row(index, output.detach())

    def wrap(self, opt, apply):
        def hooked(grads, trainable_variables=None):
            if not self._flag:
                return apply(grads, trainable_variables)
            grads = list(grads)
            variables = (list(trainable_variables) if trainable_variables
                         else keras_adapter.trainable_variables(opt)) \
                if self.variables else []
            measured = grads if self.variables else []
            before = [keras.ops.copy(v.value) for v in variables]
            result = apply(grads, trainable_variables)
            table = st.variable_table(measured, before,
                                      [v.value for v in variables])
            hists = np.stack([st.numpy_histogram(
                keras.ops.convert_to_numpy(g), self.bins)
                for g in measured]) if self.histograms else None
            rows, self._rows = self._rows, {}
            self._pending.append(
                (keras.ops.copy(opt.iterations.value), table, hists, rows))
            return result

        return hooked

    def collect(self):
        pending, self._pending = self._pending, []
        # The count was copied after the update: it is the step's number.
        return {int(keras.ops.convert_to_numpy(step)): (
            keras.ops.convert_to_numpy(table), hists,
            self._activation_table({
                i: keras.ops.convert_to_numpy(row)
                for i, row in rows.items()}))
            for step, table, hists, rows in pending}

"""`NonFiniteGuard`: stop training at the first NaN or Inf."""

import math
import warnings

import keras
import numpy as np

from keras_initact import keras_adapter
from keras_initact.callbacks import _common, _hooks
from keras_initact.checks import check_bool, check_positive_int


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training at the first NaN or Inf in the loss, a gradient, a
    weight or (with `probe_data`) a layer's activation, with a message that
    names the step, the layer and what went non-finite.

    Gradients are checked inside the compiled train step on every step (a
    hook on the optimizer's update, see `keras_initact.callbacks._hooks`),
    which costs one `is_finite` reduction per gradient. When a gradient is
    non-finite, the weights entering that step are checked too, and a
    non-finite weight is blamed before the gradients it produced (a NaN in
    one layer's kernel makes every earlier layer's gradient NaN). The first
    bad step and variable are kept in a small variable the host reads every
    `every_n_steps` steps, so the reported step is exact whatever the
    interval. The loss, the weights and the probe activations are checked
    then too, by one compiled function. Under mixed precision the loss
    scaler already skips steps with non-finite (scaled) gradients, so those
    are not reported as gradients; a NaN that reaches the weights still is.

    On JAX the hook, traced into the jitted step, tests each gradient's
    finiteness, counts NaN and Inf only on a step where one fails, and the
    step returns its record with its logs (no host callback); on PyTorch
    the records stay on the device until the host checks.

    After it fires, `guard.failure` is a dict (`step`, `kind` ("loss",
    "gradient", "weight" or "activation"), `name`, `layer`, `nan`, `inf`,
    `message`); otherwise `None`.

    If anything in the callback raises (`raise_error=True` included), it
    first takes its hook off the optimizer and the model's train function,
    so the model trains normally afterwards, with or without it.

    Args:
        probe_data: optional fixed batch of the model's inputs (or `(x, y)`)
            whose activations are checked.
        every_n_steps: how often the host checks, a positive int (1: before
            every batch, looking at the one before; and at each epoch's
            end).
        stop_training: set `model.stop_training` (training ends after the
            batch in progress, or at the epoch's end); otherwise only warn.
        raise_error: raise `FloatingPointError` instead (stops at once).
    """

    def __init__(self, probe_data=None, every_n_steps=1, stop_training=True,
                 raise_error=False):
        super().__init__()
        owner = type(self).__name__
        self.probe_data = probe_data
        self.every_n_steps = check_positive_int("every_n_steps", every_n_steps,
                                                owner)
        self.stop_training = check_bool("stop_training", stop_training, owner)
        self.raise_error = check_bool("raise_error", raise_error, owner)
        self.failure = None
        self._hooked = None

    @_common.uninstalls_on_failure
    def on_train_begin(self, logs=None):
        model = self.model
        self.failure = None
        probe_x = _common.probe_batch(self.probe_data)
        if probe_x is not None:
            _common.check_probe_data(probe_x, model, type(self).__name__)
        self._optimizer = model.optimizer
        self._epoch_start = int(self._optimizer.iterations.numpy())
        self._weights = _common.unique_variables(model.weights)
        self._weight_names = _common.weight_names(self._weights)
        _, opt = _common.built_update_optimizer(model)
        names = dict(zip(map(id, self._weights), self._weight_names))
        self._grad_names = [names.get(id(v)) or _common.weight_names([v])[0]
                            for v in keras_adapter.trainable_variables(opt)]
        self._tensorflow = keras.backend.backend() == "tensorflow"
        # [step, kind, variable index, NaN count, Inf count]; step -1:
        # nothing yet; kind: GRADIENT or WEIGHT. On JAX and PyTorch each
        # step leaves such a record on the device (`_first_failure`); the
        # host reads those since the last check then, and keeps the first.
        self._host_bad = np.array([-1, 0, 0, 0, 0], np.int64)
        self._unchecked = []
        self._traced = None  # JAX: the record traced in the step
        if self._tensorflow:
            import tensorflow as tf

            with _common.distribution_scope(model):
                self._bad = tf.Variable(
                    tf.constant([-1, 0, 0, 0, 0], tf.int64), trainable=False,
                    name="nonfinite_guard")
        self._layers, self._probe_model, self._probe_x = [], None, None
        if probe_x is not None:
            self._layers = _common.monitored_layers(model)
            if self._layers:
                self._probe_model = _common.probe_model(model, self._layers)
                self._probe_x = probe_x
        self._count_on_device = _common.compiled(self._count_nonfinite)
        self._loss = None
        self._checked = self._epoch_start
        _hooks.install(self._optimizer, self)
        self._hooked = self._optimizer
        _common.refresh_train_function(model)

    @_common.uninstalls_on_failure
    def on_train_end(self, logs=None):
        self.uninstall()

    def uninstall(self):
        """Takes the hook off the optimizer and the model's train function;
        the model then trains exactly as without this callback."""
        if self._hooked is not None:
            _hooks.remove(self._hooked, self)
            self._hooked = None
            _common.refresh_train_function(self.model)

    observes_only = True  # see _hooks: wrapped outside LayerStats

    def wrap(self, opt, update_fn):
        """Wraps the optimizer's `_distributed_tf_update_step` (see
        `_hooks`): records the first step with a non-finite gradient, and
        which weight entering it was already non-finite, then updates as
        usual. On JAX (traced into the jitted step) the record goes out
        with the step's logs; on PyTorch it stays on the device until the
        host checks."""
        if keras.backend.backend() == "jax":
            return self._wrap_jax(opt, update_fn)
        if keras.backend.backend() == "torch":
            return self._wrap_torch(opt, update_fn)
        import tensorflow as tf

        def guarded(distribution, grads_and_vars, learning_rate):
            grads_and_vars = list(grads_and_vars)
            if grads_and_vars:
                gradients = [distribution.experimental_local_results(g)[0]
                             for g, _ in grads_and_vars]
                variables = [v for _, v in grads_and_vars]
                indices = tf.constant(
                    [keras_adapter.variable_index(opt, v) for v in variables],
                    tf.int64)
                # One finiteness test per gradient; the counts only on the
                # first step that went wrong.
                bad_gradient = tf.logical_not(tf.reduce_all(tf.stack(
                    [tf.reduce_all(tf.math.is_finite(g)) for g in gradients])))
                bad = tf.convert_to_tensor(self._bad)
                first = tf.logical_and(bad_gradient, bad[0] < 0)

                def record():
                    gradient_counts = _stacked_counts(gradients, "int64")
                    weight_counts = _stacked_counts(variables, "int64")
                    bad_weight = tf.reduce_any(weight_counts > 0)
                    kind = tf.where(bad_weight, tf.constant(WEIGHT, tf.int64),
                                    tf.constant(GRADIENT, tf.int64))
                    counts = tf.where(bad_weight, weight_counts,
                                      gradient_counts)
                    worst = tf.argmax(tf.cast(tf.reduce_sum(counts, 1) > 0,
                                              tf.int32), output_type=tf.int32)
                    step = tf.cast(opt.iterations, tf.int64) + 1
                    return tf.concat([
                        tf.stack([step, kind, tf.gather(indices, worst)]),
                        tf.gather(counts, worst)], axis=0)

                self._bad.assign(tf.cond(first, record, lambda: bad))
            update_fn(distribution, grads_and_vars, learning_rate)

        return guarded

    def _wrap_jax(self, opt, stateless_apply):
        import jax

        iteration = next(i for i, v in enumerate(opt.variables)
                         if v is opt.iterations)

        def record(step, grads, variables):
            return _first_failure(step + 1, _stacked_counts(grads),
                                  _stacked_counts(variables))

        def guarded(optimizer_variables, grads, trainable_variables):
            if grads:
                # One finiteness test per gradient; the counts are computed
                # only on a step that went wrong. The record goes out with
                # the step's logs (`step_outputs`).
                finite = keras.ops.stack([keras.ops.all(keras.ops.isfinite(g))
                                          for g in grads])
                self._traced = jax.lax.cond(
                    keras.ops.logical_not(keras.ops.all(finite)), record,
                    lambda *_: keras.ops.full((5,), -1, "int32"),
                    optimizer_variables[iteration], list(grads),
                    list(trainable_variables))
            return stateless_apply(optimizer_variables, grads,
                                   trainable_variables)

        return guarded

    def step_outputs(self, state, data, forward=None):
        """JAX: the step's record, `[step, kind, index, NaN, Inf]` (step -1:
        all finite), returned with its logs (see `_common`)."""
        record, self._traced = self._traced, None
        return record

    def receive(self, record):
        self._unchecked.append(record)

    def _wrap_torch(self, opt, apply):
        def guarded(grads, trainable_variables=None):
            grads = list(grads)
            if grads and self._host_bad[0] < 0:
                variables = trainable_variables or \
                    keras_adapter.trainable_variables(opt)
                self._unchecked.append(_first_failure(
                    keras.ops.cast(opt.iterations.value, "int32") + 1,
                    _stacked_counts(grads),
                    _stacked_counts([v.value for v in variables])))
            return apply(grads, trainable_variables)

        return guarded

    def _recorded(self):
        """The recorded failure `[step, kind, index, nan, inf]`, step -1 if
        none: the first of the records the steps since the last check left
        (JAX, PyTorch), read in one go."""
        if self._tensorflow:
            return self._bad.numpy()
        unchecked, self._unchecked = self._unchecked, []
        if self._host_bad[0] < 0 and unchecked:
            records = keras.ops.convert_to_numpy(keras.ops.stack(unchecked))
            failed = np.flatnonzero(records[:, 0] >= 0)
            if failed.size:
                self._host_bad = records[failed[0]].astype(np.int64)
        return self._host_bad

    def _count_nonfinite(self):
        dtype = "int64" if self._tensorflow else "int32"
        outputs = []
        if self._probe_model is not None:
            outputs = self._probe_model(self._probe_x, training=False)
            if not isinstance(outputs, (list, tuple)):
                outputs = [outputs]
        return tuple(_stacked_counts(tensors, dtype) if tensors
                     else keras.ops.zeros((0, 2), dtype)
                     for tensors in (self._weights, outputs))

    # Checks at the start of a batch and at an epoch's end, never at a
    # batch's end: a callback with `on_train_batch_end` makes Keras wait
    # for each step before it starts the next.

    @_common.uninstalls_on_failure
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = int(self._optimizer.iterations.numpy())
        self._checked = self._epoch_start

    @_common.uninstalls_on_failure
    def on_train_batch_begin(self, batch, logs=None):
        done = self._epoch_start + batch  # steps before this batch
        if done // self.every_n_steps > self._checked // self.every_n_steps:
            self._check(done)

    @_common.uninstalls_on_failure
    def on_epoch_end(self, epoch, logs=None):
        self._check(None)

    def saw_logs(self, logs):
        """The last call's logs (see `_common`), for its loss."""
        self._loss = logs.get("loss")

    def _check(self, done):
        """Looks at the steps since the last check (`done` of them now, or
        `None`: the epoch's end)."""
        _common.sync_variables(self.model)
        step = int(self._optimizer.iterations.numpy())
        self._checked = step if done is None else done
        bad = self._recorded()
        if bad[0] >= 0:
            kind = "weight" if bad[1] == WEIGHT else "gradient"
            name = self._grad_names[int(bad[2])]
            self._fail(int(bad[0]), kind, name, _layer_of(name),
                       int(bad[3]), int(bad[4]))
            return
        loss = getattr(self, "_loss", None)
        if loss is not None and not math.isfinite(float(
                keras.ops.convert_to_numpy(loss))):
            self._fail(step, "loss", "loss", None, None, None)
            return
        weights, acts = (keras.ops.convert_to_numpy(t)
                         for t in self._count_on_device())
        for name, (nan, inf) in zip(self._weight_names, weights):
            if nan or inf:
                self._fail(step, "weight", name, _layer_of(name), int(nan),
                           int(inf))
                return
        for (layer, _), (nan, inf) in zip(self._layers, acts):
            if nan or inf:
                self._fail(step, "activation", layer.name, layer.name,
                           int(nan), int(inf))
                return

    def _fail(self, step, kind, name, layer, nan, inf):
        if self.failure is not None:
            return
        if kind == "loss":
            what = "the loss is non-finite"
        else:
            noun = {"gradient": "the gradient of", "weight": "the weight",
                    "activation": "the output of layer"}[kind]
            where = "" if kind == "activation" else f" (layer {layer!r})"
            what = (f"{noun} {name!r}{where} has {nan} NaN and {inf} Inf "
                    f"values")
        message = f"NonFiniteGuard: at step {step}, {what}."
        self.failure = dict(step=step, kind=kind, name=name, layer=layer,
                            nan=nan, inf=inf, message=message)
        if self.raise_error:
            raise FloatingPointError(message)
        if self.stop_training:
            self.model.stop_training = True
            message += " Training stops."
        warnings.warn(message, RuntimeWarning, stacklevel=2)


GRADIENT, WEIGHT = 0, 1  # the kind of a recorded failure


def _stacked_counts(tensors, dtype="int32"):
    """`[[NaN count, Inf count], ...]`, one row per tensor: int64 for
    TensorFlow's in-graph record, int32 elsewhere (JAX has no int64 outside
    its 64-bit mode)."""
    def counts(x):
        x = keras.ops.reshape(keras.ops.cast(x, "float32"), (-1,))
        return keras.ops.stack([
            keras.ops.sum(keras.ops.cast(keras.ops.isnan(x), dtype)),
            keras.ops.sum(keras.ops.cast(keras.ops.isinf(x), dtype))])

    return keras.ops.stack([counts(x) for x in tensors])


def _first_failure(step, gradient_counts, weight_counts):
    """`[step, kind, index, NaN, Inf]` (int32) of a step whose gradients
    are not all finite, blaming a weight that entered it non-finite before
    the gradients it made; step -1 when the gradients are finite. On the
    device (`keras.ops`), for JAX and PyTorch."""
    ops = keras.ops
    bad_gradient = ops.any(gradient_counts > 0)
    bad_weight = ops.any(weight_counts > 0)
    counts = ops.where(bad_weight, weight_counts, gradient_counts)
    worst = ops.argmax(ops.cast(ops.sum(counts, axis=1) > 0, "int32"))
    record = ops.concatenate([
        ops.stack([ops.cast(step, "int32"),
                   ops.where(bad_weight, WEIGHT, GRADIENT),
                   ops.cast(worst, "int32")]),
        ops.cast(ops.take(counts, worst, axis=0), "int32")])
    return ops.where(bad_gradient, record, ops.full((5,), -1, "int32"))


def _layer_of(name):
    return name.rsplit("/", 1)[0] if "/" in name else name

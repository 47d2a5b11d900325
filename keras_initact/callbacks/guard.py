"""`NonFiniteGuard`: stop training at the first NaN or Inf."""

import math
import warnings

import keras
import tensorflow as tf

from keras_initact.callbacks import _common, _hooks


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training at the first NaN or Inf in the loss, a gradient, a
    weight or (with `probe_data`) a layer's activation, with a message that
    names the step, the layer and what went non-finite.

    Gradients are checked inside the compiled train step on every step (a
    hook on the optimizer's update, see `keras_initact.callbacks._hooks`),
    which costs one `is_finite` reduction per variable; the first bad step
    and variable are kept in a small variable the host reads every
    `every_n_steps` steps, so the reported step is exact whatever the
    interval. The loss, the weights and the probe activations are checked
    then too, by one compiled function. Under
    mixed precision the loss scaler already skips steps with non-finite
    (scaled) gradients, so those are not reported as gradients; a NaN that
    reaches the weights still is.

    After it fires, `guard.failure` is a dict (`step`, `kind` ("loss",
    "gradient", "weight" or "activation"), `name`, `layer`, `nan`, `inf`,
    `message`); otherwise `None`.

    Args:
        probe_data: optional fixed batch whose activations are checked.
        every_n_steps: how often the host checks (1: after every batch).
        stop_training: set `model.stop_training` (the epoch in progress
            ends after this batch); otherwise only warn.
        raise_error: raise `FloatingPointError` instead (stops at once).
    """

    def __init__(self, probe_data=None, every_n_steps=1, stop_training=True,
                 raise_error=False):
        super().__init__()
        if every_n_steps < 1:
            raise ValueError(
                f"every_n_steps must be a positive integer; received "
                f"{every_n_steps!r}.")
        self.probe_data = probe_data
        self.every_n_steps = int(every_n_steps)
        self.stop_training = stop_training
        self.raise_error = raise_error
        self.failure = None
        self._hooked = None

    def on_train_begin(self, logs=None):
        model = self.model
        self.failure = None
        self._optimizer = model.optimizer
        self._epoch_start = int(self._optimizer.iterations.numpy())
        self._weights = _common.unique_variables(model.weights)
        self._weight_names = _common.weight_names(self._weights)
        _, opt = _common.built_update_optimizer(model)
        names = dict(zip(map(id, self._weights), self._weight_names))
        self._grad_names = [names.get(id(v)) or _common.weight_names([v])[0]
                            for v in opt._trainable_variables]
        with model.distribute_strategy.scope():
            # [step, variable index, NaN count, Inf count]; step -1: none yet.
            self._bad = tf.Variable(tf.constant([-1, 0, 0, 0], tf.int64),
                                    trainable=False, name="nonfinite_guard")
        _hooks.install(self._optimizer, self)
        self._hooked = self._optimizer
        _common.refresh_train_function(model)
        self._layers, self._probe_model, self._probe_x = [], None, None
        if self.probe_data is not None:
            self._layers = _common.monitored_layers(model)
            if self._layers:
                self._probe_model = _common.probe_model(model, self._layers)
                self._probe_x = _common.probe_batch(self.probe_data)
        self._check = tf.function(self._count_nonfinite)

    def on_train_end(self, logs=None):
        if self._hooked is not None:
            _hooks.remove(self._hooked, self)
            self._hooked = None
            _common.refresh_train_function(self.model)

    observes_only = True  # see _hooks: wrapped outside LayerStats

    def wrap(self, opt, update_fn):
        """Wraps the optimizer's `_distributed_tf_update_step` (see
        `_hooks`): records the first step with a non-finite gradient, then
        updates as usual."""

        def guarded(distribution, grads_and_vars, learning_rate):
            grads_and_vars = list(grads_and_vars)
            counts = []
            for gradient, variable in grads_and_vars:
                g = distribution.experimental_local_results(gradient)[0]
                g = tf.reshape(tf.convert_to_tensor(g), [-1])
                counts.append(tf.stack([
                    tf.reduce_sum(tf.cast(tf.math.is_nan(g), tf.int64)),
                    tf.reduce_sum(tf.cast(tf.math.is_inf(g), tf.int64))]))
            if counts:
                indices = tf.constant(
                    [opt._get_variable_index(v) for _, v in grads_and_vars],
                    tf.int64)
                counts = tf.stack(counts)
                total = tf.reduce_sum(counts, axis=1)
                worst = tf.argmax(tf.cast(total > 0, tf.int32),
                                  output_type=tf.int32)
                bad = tf.convert_to_tensor(self._bad)
                first = tf.logical_and(tf.reduce_any(total > 0), bad[0] < 0)
                step = tf.cast(opt.iterations, tf.int64) + 1
                self._bad.assign(tf.where(first, tf.concat([
                    tf.stack([step, tf.gather(indices, worst)]),
                    tf.gather(counts, worst)], axis=0), bad))
            update_fn(distribution, grads_and_vars, learning_rate)

        return guarded

    def _count_nonfinite(self):
        def counts(x):
            x = tf.reshape(tf.cast(x, tf.float32), [-1])
            return tf.stack([
                tf.reduce_sum(tf.cast(tf.math.is_nan(x), tf.int64)),
                tf.reduce_sum(tf.cast(tf.math.is_inf(x), tf.int64))])

        weights = tf.stack([counts(tf.convert_to_tensor(v))
                            for v in self._weights]) \
            if self._weights else tf.zeros([0, 2], tf.int64)
        acts = tf.zeros([0, 2], tf.int64)
        if self._probe_model is not None:
            outputs = self._probe_model(self._probe_x, training=False)
            if not isinstance(outputs, (list, tuple)):
                outputs = [outputs]
            acts = tf.stack([counts(y) for y in outputs])
        return weights, acts

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = int(self._optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        if (self._epoch_start + batch + 1) % self.every_n_steps:
            return
        step = int(self._optimizer.iterations.numpy())
        bad = self._bad.numpy()
        if bad[0] >= 0:
            name = self._grad_names[int(bad[1])]
            self._fail(int(bad[0]), "gradient", name, _layer_of(name),
                       int(bad[2]), int(bad[3]))
            return
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self._fail(step, "loss", "loss", None, None, None)
            return
        weights, acts = (t.numpy() for t in self._check())
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


def _layer_of(name):
    return name.rsplit("/", 1)[0] if "/" in name else name



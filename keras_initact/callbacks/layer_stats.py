"""`LayerStats`: per-layer weight, gradient and activation statistics in
TensorBoard, computed on the device while `model.fit` trains."""

import os

import keras
import tensorflow as tf
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.custom_scalar import summary as custom_scalar_summary
from tensorboard.plugins.histogram import metadata as histogram_metadata

from keras_initact._files import make_writable_folder
from keras_initact.callbacks import _common, _hooks
from keras_initact.callbacks import statistics as st
from keras_initact.checks import check_bool, check_number, check_positive_int

SUBDIR = "layer_stats"

WEIGHT_SCALARS = ("mean", "std", "min", "max", "norm", "near_zero_fraction")
GRADIENT_SCALARS = ("norm", "mean", "std", "zero_fraction")
ACTIVATION_SCALARS = ("mean", "std", "min", "max", "dead_fraction",
                      "saturated_fraction")


class LayerStats(keras.callbacks.Callback):
    """Logs per-layer weight, gradient and activation statistics to
    TensorBoard while `model.fit` trains.

    Every `every_n_steps` optimizer steps (and at the first step of every
    `every_n_epochs`-th epoch), writes to `log_dir/layer_stats/`:

    | tag                                   | what                          |
    |---------------------------------------|-------------------------------|
    | `weight_{mean,std,min,max,norm}/W`    | each weight `W` (`dense/kernel`), trainable or not |
    | `weight_near_zero_fraction/W`         | fraction with `abs(w) <= near_zero` |
    | `weight_histogram/W`                  | histogram                     |
    | `update_ratio/W`                      | `‖ΔW‖/‖W‖` of the update applied at that step (healthy: about 1e-3) |
    | `gradient_{norm,mean,std,zero_fraction}/W` | the gradient the optimizer applied |
    | `gradient_histogram/W`                | histogram                     |
    | `activation_{mean,std,min,max}/L`     | output of layer `L` on the fixed probe batch |
    | `activation_dead_fraction/L`          | fraction dead, as the activation registry defines it for `L`'s activation (ReLU: output 0) |
    | `activation_saturated_fraction/L`     | fraction saturated (tanh: `abs(y) >= 0.99`, ...) |
    | `activation_histogram/L`              | histogram                     |

    Dead/saturated tags exist only for layers whose activation has such a
    region in `keras_initact.activations.ACTIVATIONS`. The step is the
    optimizer's iteration count after the update, so a resumed `fit`
    (`initial_epoch`, or a reloaded model) continues the curves. A
    custom-scalars layout draws one chart per statistic with one line per
    layer. `log_dir` can be the one given to `keras.callbacks.TensorBoard`
    (whose runs are `train/` and `validation/`).

    How it is computed: gradients are captured inside the compiled train
    step by a hook on the optimizer's update (see `_hooks`: the gradients
    are the ones the update rule receives, all-reduced across replicas, and
    unscaled under mixed precision), into small non-trainable variables.
    The hook is traced into a second train function that the host uses
    only for the steps it logs; every other step runs the plain train
    function, unchanged, so between logging steps the callback costs
    nothing on the device. Weights and activations are measured by one
    compiled function called on logging steps. Summaries are written from
    host code with an explicit step, never inside the train step; only
    scalars and histogram bins leave the device. All of it compiles with
    XLA (`jit_compile=True`).

    Its arguments are checked when it is made; the log folder (writable?)
    and `probe_data` (the model's input shape?) when training begins, before
    anything is installed. If anything in the callback raises, it first
    takes its hook off the optimizer and its train function off the model,
    so the model trains normally afterwards, with or without it.

    Args:
        log_dir: the TensorBoard log directory (a path).
        probe_data: the fixed batch activations are measured on: inputs,
            `(x, y)`, or a `tf.data.Dataset` (its first batch). Without it,
            no activation statistics.
        every_n_steps: logging interval in optimizer steps, a positive int
            (`None`: off). Step 1 is always logged too.
        every_n_epochs: also log at the first step of every n-th epoch (a
            positive int or `None`).
        weights, gradients, activations: which statistics to log (bools).
        histograms: whether to write histograms too.
        histogram_bins: bins per histogram, a positive int.
        near_zero: the threshold of `weight_near_zero_fraction`, >= 0.
        layers: names of the top-level layers whose activations to log
            (default: all).
        jit_compile: compile the statistics function with XLA; `None`
            (default): when the model's train step is (`model.jit_compile`,
            Keras's default on GPU).
        subdir: the run folder under `log_dir`.
    """

    def __init__(self, log_dir, probe_data=None, every_n_steps=100,
                 every_n_epochs=None, weights=True, gradients=True,
                 activations=True, histograms=True,
                 histogram_bins=st.HISTOGRAM_BINS, near_zero=1e-3,
                 layers=None, jit_compile=None, subdir=SUBDIR):
        super().__init__()
        owner = type(self).__name__
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(
                f"{owner}: `log_dir` must be a folder path; received "
                f"log_dir={log_dir!r}.")
        self.log_dir = os.fspath(log_dir)
        self.probe_data = probe_data
        self.every_n_steps = check_positive_int(
            "every_n_steps", every_n_steps, owner, allow_none=True)
        self.every_n_epochs = check_positive_int(
            "every_n_epochs", every_n_epochs, owner, allow_none=True)
        self.log_weights = check_bool("weights", weights, owner)
        self.log_gradients = check_bool("gradients", gradients, owner)
        self.log_activations = check_bool("activations", activations, owner)
        self.histograms = check_bool("histograms", histograms, owner)
        self.histogram_bins = check_positive_int("histogram_bins",
                                                 histogram_bins, owner)
        self.near_zero = float(check_number("near_zero", near_zero, owner,
                                            non_negative=True))
        if layers is not None and (isinstance(layers, str) or not all(
                isinstance(name, str) for name in layers)):
            raise ValueError(
                f"{owner}: `layers` must be a list of layer names or None; "
                f"received layers={layers!r}.")
        self.layers = None if layers is None else set(layers)
        if jit_compile is not None:
            check_bool("jit_compile", jit_compile, owner)
        self.jit_compile = jit_compile
        if not isinstance(subdir, str) or not subdir:
            raise ValueError(
                f"{owner}: `subdir` must be a non-empty folder name; "
                f"received subdir={subdir!r}.")
        self.subdir = subdir
        self._writer = None
        self._hooked = None

    @property
    def run_dir(self):
        return os.path.join(self.log_dir, self.subdir)

    # -- set-up -------------------------------------------------------------

    @_common.uninstalls_on_failure
    def on_train_begin(self, logs=None):
        model = self.model
        owner = type(self).__name__
        strategy = model.distribute_strategy
        make_writable_folder(self.run_dir, owner)
        probe_x = None
        if self.log_activations and self.probe_data is not None:
            probe_x = _common.probe_batch(self.probe_data)
            _common.check_probe_data(probe_x, model, owner)
        if self.layers is not None:
            unknown = self.layers - {layer.name for layer in model.layers}
            if unknown:
                raise ValueError(
                    f"{owner}: `layers` names {sorted(unknown)}, which model "
                    f"{model.name!r} does not have; its layers: "
                    f"{[layer.name for layer in model.layers]}.")
        self._optimizer = model.optimizer
        self._writer = tf.summary.create_file_writer(self.run_dir)
        self._weights = _common.unique_variables(model.weights)
        self._weight_names = _common.weight_names(self._weights)
        self._weight_specs = [(n, v) for n, v in
                              zip(self._weight_names, self._weights)]

        self._layers, self._probe_model, self._probe_x = [], None, None
        if probe_x is not None:
            self._layers = _common.monitored_layers(model, self.layers)
            if self._layers:
                self._probe_model = _common.probe_model(model, self._layers)
                self._probe_x = probe_x

        # Whether the train step and the statistics function are compiled
        # with XLA (they then need XLA-compilable histograms).
        self._train_xla = bool(getattr(model, "jit_compile", False))
        self._stats_xla = (self._train_xla if self.jit_compile is None
                           else bool(self.jit_compile))
        self._grad_names = []
        if self.log_gradients or self.log_weights:
            _, opt = _common.built_update_optimizer(model)
            names = dict(zip(map(id, self._weights), self._weight_names))
            self._grad_names = [
                names.get(id(v)) or _common.weight_names([v])[0]
                for v in opt._trainable_variables]
            with strategy.scope():
                self._grad_step = tf.Variable(
                    tf.constant(-1, tf.int64), trainable=False,
                    name="layer_stats_gradient_step")
                self._grad_vectors = [
                    tf.Variable(tf.zeros([len(st.GRADIENT_FIELDS)]),
                                trainable=False, name="layer_stats_gradient")
                    for _ in self._grad_names]
                self._grad_hists = [
                    tf.Variable(tf.zeros([self.histogram_bins, 3]),
                                trainable=False, name="layer_stats_histogram")
                    for _ in self._grad_names] if self.histograms else []
            _hooks.install(self._optimizer, self)
            self._hooked = self._optimizer
            self._install_train_function()

        self._compute = tf.function(self._compute_statistics,
                                    jit_compile=self._stats_xla)
        self._write = tf.function(self._write_summaries)
        self._steps_per_call = int(
            getattr(model, "steps_per_execution", 1) or 1)
        self._forced = False
        self._epoch_start = int(self._optimizer.iterations.numpy())
        self._last_step = self._epoch_start
        self._last_gradient_step = -1
        self._plan_next_call()
        self._write_layout()

    @_common.uninstalls_on_failure
    def on_train_end(self, logs=None):
        self.uninstall()

    def uninstall(self):
        """Takes the hook off the optimizer and the capturing train function
        off the model (the model then trains exactly as without this
        callback), and closes the log writer."""
        if self._hooked is not None:
            _hooks.remove(self._hooked, self)
            self._hooked = None
            _common.refresh_train_function(self.model)
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    @_common.uninstalls_on_failure
    def on_epoch_begin(self, epoch, logs=None):
        # The host keeps count of the steps (reading the device's counter
        # every batch would cost a sync); it re-reads it once per epoch and
        # on logging steps.
        self._epoch_start = int(self._optimizer.iterations.numpy())
        self._last_step = self._epoch_start
        if self.every_n_epochs and (epoch + 1) % self.every_n_epochs == 0:
            self._forced = True
        self._plan_next_call()

    @_common.uninstalls_on_failure
    def on_epoch_end(self, epoch, logs=None):
        if self._writer is not None:
            self._writer.flush()

    # -- the capturing train function ---------------------------------------

    def _install_train_function(self):
        """Two compiled train functions, chosen per call by the host: the
        plain one (the hook passes through: no cost at all on the steps
        that are not logged) and a capturing one, used for the calls that
        contain a logging step. Each is traced on its first call, with
        `_capture_mode` telling the hook which one it is in."""
        model = self.model
        model.make_train_function(force=True)  # returns None in Keras 3.15
        plain = model.train_function
        model.make_train_function(force=True)
        capture = model.train_function
        self._capture_mode = False
        self._capture_next = False

        def train_function(iterator):
            self._capture_mode = self._capture_next
            return (capture if self._capture_next else plain)(iterator)

        _common.set_train_function(model, train_function, owner=self,
                                   refresh=self._install_train_function)

    def wrap(self, opt, update_fn):
        """Wraps the optimizer's `_distributed_tf_update_step` (see
        `_hooks`): in the capturing train function, performs each variable's
        update itself between two reads of the variable and stores the
        statistics; in the plain one, passes through."""

        def capture_and_update(variable, gradient, learning_rate, index):
            gradient = tf.convert_to_tensor(gradient)
            before = tf.identity(variable)
            opt.update_step(gradient, variable, learning_rate)
            after = tf.identity(variable)
            self._grad_vectors[index].assign(
                st.gradient_vector(gradient, before, after))
            if self.histograms:
                self._grad_hists[index].assign(
                    st.histogram(gradient, self.histogram_bins,
                                 xla=self._train_xla))

        def hooked(distribution, grads_and_vars, learning_rate):
            if not self._capture_mode:  # decided at trace time
                return update_fn(distribution, grads_and_vars, learning_rate)
            grads_and_vars = list(grads_and_vars)
            for gradient, variable in grads_and_vars:
                index = opt._get_variable_index(variable)
                if index >= len(self._grad_vectors):
                    distribution.extended.update(
                        variable, opt.update_step,
                        args=(gradient, learning_rate), group=False)
                else:
                    distribution.extended.update(
                        variable, capture_and_update,
                        args=(gradient, learning_rate, index), group=False)
            self._grad_step.assign(tf.cast(opt.iterations, tf.int64) + 1)

        return hooked

    # -- on logging steps ---------------------------------------------------

    def _logs_in(self, previous, step):
        """Whether a step in `(previous, step]` is a logging step: step 1,
        a multiple of `every_n_steps`, or the first step of a logged
        epoch."""
        if self._forced or (previous < 1 <= step):
            return True
        n = self.every_n_steps
        return bool(n) and step // n > previous // n

    def _plan_next_call(self):
        self._capture_next = self._logs_in(
            self._last_step, self._last_step + self._steps_per_call)

    @_common.uninstalls_on_failure
    def on_train_batch_end(self, batch, logs=None):
        step = self._epoch_start + batch + 1
        if step > self._last_step and self._logs_in(self._last_step, step):
            self._forced = False
            # The device's count differs from the host's only when a loss
            # scale optimizer skipped steps.
            self.log(int(self._optimizer.iterations.numpy()))
        self._last_step = max(step, self._last_step)
        self._plan_next_call()

    def log(self, step):
        """Computes and writes every statistic now, at `step`."""
        write_gradients = False
        if self.log_gradients or self.log_weights:
            grad_step = int(self._grad_step.numpy()) if self._hooked else -1
            write_gradients = grad_step > self._last_gradient_step
            if write_gradients:
                self._last_gradient_step = grad_step
        with self._writer.as_default():
            self._write(tf.constant(step, tf.int64), write_gradients)

    def _compute_statistics(self):
        out = {"weights": [], "activations": []}
        if self.log_weights:
            for _, v in self._weight_specs:
                out["weights"].append(st.weight_statistics(
                    tf.convert_to_tensor(v), self.near_zero,
                    self.histogram_bins, xla=self._stats_xla))
        if self._probe_model is not None:
            outputs = self._probe_model(self._probe_x, training=False)
            if not isinstance(outputs, (list, tuple)):
                outputs = [outputs]
            for (_, spec), y in zip(self._layers, outputs):
                out["activations"].append(st.activation_statistics(
                    y, spec, self.histogram_bins, xla=self._stats_xla))
        return out

    def _histogram(self, tag, bins, step):
        tf.summary.write(
            tag, tensor=bins, step=step,
            metadata=histogram_metadata.create_summary_metadata(
                display_name=tag, description=""))

    def _write_summaries(self, step, write_gradients):
        stats = self._compute()
        for (name, _), w in zip(self._weight_specs, stats["weights"]):
            for key in WEIGHT_SCALARS:
                tf.summary.scalar(f"weight_{key}/{name}", w[key], step=step)
            if self.histograms:
                self._histogram(f"weight_histogram/{name}", w["histogram"],
                                step)
        for (layer, _), a in zip(self._layers, stats["activations"]):
            for key in ACTIVATION_SCALARS:
                if key in a:
                    tf.summary.scalar(f"activation_{key}/{layer.name}",
                                      a[key], step=step)
            if self.histograms:
                self._histogram(f"activation_histogram/{layer.name}",
                                a["histogram"], step)
        if write_gradients:
            grad_step = self._grad_step.read_value()
            fields = st.GRADIENT_FIELDS
            for i, name in enumerate(self._grad_names):
                vector = self._grad_vectors[i].read_value()
                if self.log_weights:
                    tf.summary.scalar(
                        f"update_ratio/{name}",
                        vector[fields.index("update_ratio")], step=grad_step)
                if not self.log_gradients:
                    continue
                for key in GRADIENT_SCALARS:
                    tf.summary.scalar(f"gradient_{key}/{name}",
                                      vector[fields.index(key)],
                                      step=grad_step)
                if self.histograms:
                    self._histogram(f"gradient_histogram/{name}",
                                    self._grad_hists[i].read_value(),
                                    grad_step)

    def _write_layout(self):
        """A custom-scalars layout: one chart per statistic, one line per
        layer or weight."""
        groups = [
            ("weights", [f"weight_{k}" for k in WEIGHT_SCALARS]
             + ["update_ratio"]),
            ("gradients", [f"gradient_{k}" for k in GRADIENT_SCALARS]),
            ("activations", [f"activation_{k}" for k in ACTIVATION_SCALARS]),
        ]
        layout = layout_pb2.Layout(category=[
            layout_pb2.Category(title=f"layer_stats: {title}", chart=[
                layout_pb2.Chart(
                    title=stat,
                    multiline=layout_pb2.MultilineChartContent(
                        tag=[rf"^{stat}/.*"]))
                for stat in stats])
            for title, stats in groups])
        with self._writer.as_default():
            tf.summary.experimental.write_raw_pb(
                custom_scalar_summary.pb(layout).SerializeToString(), step=0)

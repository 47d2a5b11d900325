"""`LayerStats`: per-layer weight, gradient and activation statistics in
TensorBoard, laid out to be read at a glance, at a cost close to zero."""

import dataclasses
import os
import time
import warnings
from typing import Optional

import keras
import numpy as np
try:  # the TensorFlow backend's in-graph path; JAX and PyTorch need none
    import tensorflow as tf
except ImportError:
    tf = None

from keras_initact import events
from keras_initact._files import make_writable_folder
from keras_initact.callbacks import _common, _hooks
from keras_initact.callbacks import statistics as st
from keras_initact.checks import check_bool, check_number, check_positive_int
from keras_initact.heatmaps import heatmap_png

SUBDIR = "layer_stats"
HEATMAP_RUN = "heatmaps"
WEIGHT_SCALARS = ("mean", "std", "norm", "gradient_norm", "update_ratio")
ACTIVATION_SCALARS = ("mean", "std", "dead_fraction", "saturated_fraction")
# Image tag -> (tag group, statistic, log colour scale, colour range, title)
HEATMAPS = {
    "heatmap/activation_std": ("activation", "std", True, None,
                               "activation std on the probe batch"),
    "heatmap/dead_fraction": ("activation", "dead_fraction", False, (0, 1),
                              "fraction of dead units"),
    "heatmap/kernel_gradient_norm": ("kernel", "gradient_norm", True, None,
                                     "kernel gradient norm"),
    "heatmap/kernel_update_ratio": ("kernel", "update_ratio", True, None,
                                    "kernel update ratio ||dW|| / ||W||"),
}


@dataclasses.dataclass
class _Run:
    """One TensorBoard run: one layer's statistics."""

    name: str  # the run's folder, `NN-layer`
    layer: keras.layers.Layer
    weights: list  # (tag group, variable): "kernel", "bias", ...
    output: Optional[int] = None  # index among the probe model's outputs
    spec: object = None  # the registry record of its activation
    head: bool = False  # an output of the model: no "saturated" units


class LayerStats(keras.callbacks.Callback):
    """Logs per-layer weight, gradient and activation statistics to
    TensorBoard while `model.fit` trains, one TensorBoard run per layer.

    Every `every_n_steps` optimizer steps (and at the first step of every
    `every_n_epochs`-th epoch) it writes, under `log_dir/layer_stats/`:

    | run              | tags                                          |
    |------------------|-----------------------------------------------|
    | `NN-<layer>/`    | `activation/{mean,std,dead_fraction,saturated_fraction}` of the layer's output on the probe batch |
    |                  | `kernel/{mean,std,norm,gradient_norm,update_ratio}`, the same for `bias/` and any other trainable weight (`gamma/`, `alpha/`, ...) |
    | `heatmaps/`      | images `heatmap/{activation_std,dead_fraction,kernel_gradient_norm,kernel_update_ratio}`: layer x step |

    TensorBoard colours lines by run, so in its Time Series view each card
    (one statistic) has one line per layer, each layer its own colour, and
    the cards fall into a few groups (`activation`, `kernel`, `bias`), with
    Keras's own `epoch_loss` and `epoch_accuracy` beside them. Kernels and
    biases are never in one chart. `NN` is the layer's position in the
    model, so runs sort in depth order, and no tag contains the model's
    name: two runs of the same architecture overlay. The heat maps (rows:
    layers in depth order; columns: logging steps) show in one picture where
    a signal dies; they are redrawn as training goes while drawing them
    takes at most `heatmap_budget` of the training time, and once at the
    end. A custom-scalars layout shows the same charts.

    Definitions: `update_ratio` is `||dW|| / max(||W_before||, ||W_after||)`
    for the update applied at the logged step (about 1e-3 is healthy; 1 for
    a weight that starts at zero, so a healthy run has no Inf or NaN; with
    `steps_per_execution=k`, the update of the k steps of that call);
    `gradient_norm` is the L2 norm of the gradient the optimizer applied;
    dead and saturated fractions are those the activation registry defines
    for the layer's activation (ReLU: output 0; tanh: `|y| >= 0.99`). An
    output of the model (a softmax head, say) gets no saturated fraction:
    a confident classifier is not a saturated one.

    Histograms: with `histograms=True`, `activation/histogram` and
    `<weight>/gradient_histogram` per run. Weight histograms are what
    `keras.callbacks.TensorBoard(histogram_freq=1)` writes; use it for those
    (this callback never writes them twice).

    Cost: gradients are captured inside the train step only on logging
    steps: a `tf.cond` on a flag the host sets before such a step computes
    every gradient norm in a few fused ops (a `tf.function` traced once per
    `fit`). Other steps only read the flag; the update is Keras's,
    unchanged, and the train function is traced as often as Keras's own.
    The host reads the weights before and after a logged step (update
    ratios, weight statistics) and the probe batch's layer outputs, from one
    compiled forward pass, and computes their statistics in NumPy; it writes
    one event per run (`keras_initact.events`), never a summary op inside
    the train step.
    All of it compiles with XLA (`jit_compile=True`, Keras's default on
    GPU).

    On JAX and PyTorch (same runs, tags and values): on JAX a hook traced
    into the jitted step computes the gradient norms in a `lax.cond` branch
    on step 1 and every `every_n_steps`-th step and sends them to the host
    (`jax.debug.callback`); the first steps of `every_n_epochs` epochs get
    the other statistics but no gradient norms there, and `histograms=True`
    writes activation histograms only. On PyTorch the hook runs eagerly and
    copies the gradients on logging steps. Neither trains a step twice.

    The step is the optimizer's iteration count after the update, so a
    resumed `fit` continues the curves. `log_dir` can be the one given to
    `keras.callbacks.TensorBoard` (whose runs are `train/` and
    `validation/`).

    Arguments are checked when the callback is made; the log folder
    (writable?) and `probe_data` (the model's input shape?) when training
    begins, before anything is installed. If anything in the callback
    raises, it first takes its hook off the optimizer and restores the
    model's train function, so the model trains normally afterwards, with
    or without it.

    >>> model.fit(x, y, callbacks=[LayerStats("logs", probe_data=x[:256])])

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
        histograms: also write activation and gradient histograms.
        histogram_bins: bins per histogram, a positive int.
        heatmaps: draw the heat maps.
        heatmap_budget: the largest fraction of the training time that
            redrawing the heat maps during training may take (in [0, 1];
            0: only at the end).
        layers: names of the top-level layers to log (default: all).
        jit_compile: compile the statistics function with XLA; `None`
            (default): when the model's train step is (`model.jit_compile`).
        subdir: the folder under `log_dir` that holds the runs.
    """

    def __init__(self, log_dir, probe_data=None, every_n_steps=100,
                 every_n_epochs=None, weights=True, gradients=True,
                 activations=True, histograms=False,
                 histogram_bins=st.HISTOGRAM_BINS, heatmaps=True,
                 heatmap_budget=0.01, layers=None, jit_compile=None,
                 subdir=SUBDIR):
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
        self.heatmaps = check_bool("heatmaps", heatmaps, owner)
        self.heatmap_budget = float(check_number(
            "heatmap_budget", heatmap_budget, owner, non_negative=True))
        if self.heatmap_budget > 1:
            raise ValueError(
                f"{owner}: `heatmap_budget` is a fraction of the training "
                f"time, in [0, 1]; received heatmap_budget={heatmap_budget!r}.")
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
        self._writers = {}
        self._hooked = None

    @property
    def run_dir(self):
        """The folder that holds this callback's runs."""
        return os.path.join(self.log_dir, self.subdir)

    # -- set-up ---------------------------------------------------------------

    @_common.uninstalls_on_failure
    def on_train_begin(self, logs=None):
        model = self.model
        owner = type(self).__name__
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
        self._runs, self._probe_model = self._plan_runs(model, probe_x)
        self._probe_x = probe_x
        for run in self._runs:
            self._writers[run.name] = events.RunWriter(
                os.path.join(self.run_dir, run.name))
        self._writers[HEATMAP_RUN] = events.RunWriter(
            os.path.join(self.run_dir, HEATMAP_RUN))
        self._writers[HEATMAP_RUN].layout(self._layout())

        self._stats_xla = (bool(getattr(model, "jit_compile", False))
                           if self.jit_compile is None
                           else bool(self.jit_compile))
        self._weighted = [(run_index, tag, variable)
                          for run_index, run in enumerate(self._runs)
                          for tag, variable in run.weights]
        self._tensorflow = keras.backend.backend() == "tensorflow"
        # Plain TensorFlow ops, no Python control flow on tensors: nothing
        # for AutoGraph to convert.
        self._compute = tf.function(self._statistics, autograph=False,
                                    jit_compile=self._stats_xla) \
            if self._tensorflow else self._statistics
        self._history = {tag: [] for tag in HEATMAPS}  # (step, {run: value})
        self._train_start = time.perf_counter()
        self._drawing_time = 0.0
        self._draw_count = 0
        self._drawn_steps = 0
        self._steps_per_call = int(
            getattr(model, "steps_per_execution", 1) or 1)
        self._forced = False
        self._epoch_start = int(self._optimizer.iterations.numpy())
        self._last_gradient_step = -1
        self._capturing = self._pending = False
        self._before = None
        self._install_capture(model)
        # A TensorBoard already watching shows the layout from the start.
        self._writers[HEATMAP_RUN].flush()

    def _plan_runs(self, model, probe_x):
        """The runs (layers in model order) and the probe model."""
        monitored = {}
        if probe_x is not None:
            monitored = {id(layer): (index, spec) for index, (layer, spec) in
                         enumerate(_common.monitored_layers(model, self.layers))}
        outputs = {id(t) for t in getattr(model, "outputs", None) or []}
        trainable = {id(v) for v in model.trainable_variables}
        runs, probed = [], []
        candidates = [layer for layer in model.layers
                      if not isinstance(layer, keras.layers.InputLayer)]
        width = max(2, len(str(len(candidates) - 1)))
        for position, layer in enumerate(candidates):
            if self.layers is not None and layer.name not in self.layers:
                continue
            weights = [v for v in _common.unique_variables(layer.weights)
                       if id(v) in trainable] if self.log_weights or \
                self.log_gradients else []
            probe = monitored.get(id(layer))
            if not weights and probe is None:
                continue
            run = _Run(f"{position:0{width}d}-{layer.name}", layer,
                       _common.weight_tags(weights))
            if probe is not None:
                run.output, run.spec = len(probed), probe[1]
                run.head = id(getattr(layer, "output", None)) in outputs
                probed.append((layer, probe[1]))
            runs.append(run)
        probe_model = _common.probe_model(model, probed) if probed else None
        return runs, probe_model

    def _install_capture(self, model):
        """The gradient capture: variables the hook fills on logging steps,
        and the hook itself."""
        self._train_xla = bool(getattr(model, "jit_compile", False))
        if not self._weighted or not self.log_gradients:
            return
        _, opt = _common.built_update_optimizer(model)
        variables = list(opt._trainable_variables)
        position = {id(v): i for i, v in enumerate(variables)}
        # Row i of the captured statistics belongs to self._weighted[i].
        self._gradient_rows = [position[id(v)] for _, _, v in self._weighted]
        if not self._tensorflow:
            # JAX and PyTorch: the host keeps the steps to capture and what
            # the hook captured, `{step: (norms, histograms or None)}`.
            self._wanted, self._captured = set(), {}
            if self.histograms and keras.backend.backend() == "jax":
                warnings.warn(
                    "LayerStats: on JAX, histograms=True writes activation "
                    "histograms only; gradient histograms need the "
                    "TensorFlow or PyTorch backend.", stacklevel=3)
            _hooks.install(self._optimizer, self)
            self._hooked = self._optimizer
            _common.refresh_train_function(model)
            return
        self._capture = tf.Variable(False, trainable=False,
                                    name="layer_stats_capture")
        self._gradient_norms = tf.Variable(tf.zeros([len(variables)]),
                                           trainable=False,
                                           name="layer_stats_gradient_norms")
        self._grad_hists = tf.Variable(
            tf.zeros([len(variables), self.histogram_bins, 3]),
            trainable=False, name="layer_stats_histograms") \
            if self.histograms else None
        self._grad_step = tf.Variable(tf.constant(-1, tf.int64),
                                      trainable=False,
                                      name="layer_stats_gradient_step")
        _hooks.install(self._optimizer, self)
        self._hooked = self._optimizer
        _common.refresh_train_function(model)

    # -- tear-down ------------------------------------------------------------

    @_common.uninstalls_on_failure
    def on_train_end(self, logs=None):
        self._log_pending()
        if self.heatmaps and self._drawn_steps < self._logged_steps():
            self._draw_heatmaps()
        self.uninstall()

    def uninstall(self):
        """Takes the hook off the optimizer and restores the model's train
        function (the model then trains exactly as without this callback),
        and closes the event files."""
        if self._hooked is not None:
            _hooks.remove(self._hooked, self)
            self._hooked = None
            _common.refresh_train_function(self.model)
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # -- the capture, inside the train step ------------------------------------

    def wrap(self, opt, update_fn):
        """Wraps the optimizer's `_distributed_tf_update_step` (see
        `_hooks`): on logging steps (the `_capture` flag), stores each
        variable's gradient norm (and histogram); on other steps only the
        flag is read. The update itself is Keras's, unchanged. On JAX and
        PyTorch, see `_wrap_jax` and `_wrap_torch`."""
        if keras.backend.backend() == "jax":
            return self._wrap_jax(opt, update_fn)
        if keras.backend.backend() == "torch":
            return self._wrap_torch(opt, update_fn)
        compiled = {}  # variables -> measure, traced once per fit

        def skip(*_):
            return tf.constant(False)

        @tf.autograph.experimental.do_not_convert
        def hooked(distribution, grads_and_vars, learning_rate):
            grads_and_vars = list(grads_and_vars)
            # Variables without a gradient are not passed: rows by index.
            variables = [v for _, v in grads_and_vars]
            gradients = [distribution.experimental_local_results(g)[0]
                         for g, _ in grads_and_vars]
            key = tuple(map(id, variables))
            if key not in compiled:
                compiled[key] = self._measure_function(opt, variables)
            measure = compiled[key]
            tf.cond(tf.convert_to_tensor(self._capture),
                    lambda: measure(gradients), skip)
            update_fn(distribution, grads_and_vars, learning_rate)

        return hooked

    def _wrap_jax(self, opt, stateless_apply):
        """JAX traces `stateless_apply` into its jitted train step, where
        a host flag cannot reach without a retrace: the hook decides from
        the step number itself (step 1 and every `every_n_steps`-th; the
        first steps of `every_n_epochs` epochs get no gradient norms on
        JAX), computes the norms in a `lax.cond` branch only then and hands
        them to the host with `jax.debug.callback`. Other steps pay one
        integer comparison."""
        import jax

        iteration = next(i for i, v in enumerate(opt.variables)
                         if v is opt.iterations)
        every = self.every_n_steps

        def send(step, grads):
            norms = keras.ops.stack([
                keras.ops.sqrt(keras.ops.sum(keras.ops.square(
                    keras.ops.cast(g, "float32")))) for g in grads])
            jax.debug.callback(self._received, step, norms)

        def hooked(optimizer_variables, grads, trainable_variables):
            step = optimizer_variables[iteration] + 1  # once updated
            wanted = step == 1
            if every:
                wanted = wanted | (step % every == 0)
            jax.lax.cond(wanted, send, lambda *_: None, step, grads)
            return stateless_apply(optimizer_variables, grads,
                                   trainable_variables)

        return hooked

    def _received(self, step, norms):
        self._captured[int(step)] = (np.asarray(norms), None)

    def _wrap_torch(self, opt, apply):
        """PyTorch's trainer calls `apply` eagerly: on the steps to log the
        hook copies the gradients to the host; other steps pay one set
        lookup."""
        def hooked(grads, trainable_variables=None):
            if self._wanted:
                step = int(keras.ops.convert_to_numpy(opt.iterations)) + 1
                if step in self._wanted:
                    arrays = [np.asarray(keras.ops.convert_to_numpy(g),
                                         np.float32) for g in grads]
                    norms = np.array([np.linalg.norm(a.ravel()) for a in arrays])
                    hists = np.stack([st.numpy_histogram(a, self.histogram_bins)
                                      for a in arrays]) \
                        if self.histograms else None
                    self._captured[step] = (norms, hists)
            return apply(grads, trainable_variables)

        return hooked

    def _measure_function(self, opt, variables):
        """`measure(gradients)` for these variables, a `tf.function`: the
        train function's retraces (a last, smaller batch) reuse it."""
        rows = [[opt._get_variable_index(v)] for v in variables]

        def measure(gradients):
            norms = st.segment_norms(st.flat_concat(gradients),
                                     st.segment_ids(gradients), len(gradients))
            self._gradient_norms.scatter_nd_update(rows, norms)
            if self._grad_hists is not None:
                self._grad_hists.scatter_nd_update(rows, tf.stack([
                    st.histogram(g, self.histogram_bins, xla=self._train_xla)
                    for g in gradients]))
            # The optimizer counts this step once the update is done.
            self._grad_step.assign(tf.cast(opt.iterations, tf.int64) + 1)
            return tf.constant(True)

        return tf.function(measure, autograph=False)

    # -- on logging steps --------------------------------------------------------

    def _logs_in(self, previous, step):
        """Whether a step in `(previous, step]` is a logging step: step 1,
        a multiple of `every_n_steps`, or the first step of a logged
        epoch."""
        if self._forced or (previous < 1 <= step):
            return True
        n = self.every_n_steps
        return bool(n) and step // n > previous // n

    # Only batch-*begin* hooks: a callback that defines `on_train_batch_end`
    # makes Keras read the loss after every step (a device sync) and call it
    # synchronously; without one, Keras's steps keep running ahead. A
    # logging step is written at the start of the next call, or at the end
    # of its epoch: the weights are then those after its update.

    @_common.uninstalls_on_failure
    def on_epoch_begin(self, epoch, logs=None):
        # The host keeps count of the steps (reading the device's counter
        # every batch would cost a sync); it re-reads it once per epoch and
        # on logging steps.
        self._epoch_start = int(self._optimizer.iterations.numpy())
        if self.every_n_epochs and (epoch + 1) % self.every_n_epochs == 0:
            self._forced = True

    @_common.uninstalls_on_failure
    def on_train_batch_begin(self, batch, logs=None):
        self._log_pending()
        done = self._epoch_start + batch  # steps before this call
        log_next = self._logs_in(done, done + self._steps_per_call)
        if self._hooked is not None and not self._tensorflow:
            if log_next:
                self._wanted.add(done + self._steps_per_call)
        elif self._hooked is not None and log_next != self._capturing:
            self._capture.assign(log_next)
            self._capturing = log_next
        if log_next:
            self._forced = False
            self._sync()
            if self.log_weights and self._weighted:
                # The weights before the logged update, for its ratio.
                self._before = [v.numpy() for _, _, v in self._weighted]
        self._pending = log_next

    def _log_pending(self):
        """Logs the logging step of the last call, if it had one."""
        if self._pending:
            self._pending = False
            self._sync()
            # The device's count differs from the host's only when a loss
            # scale optimizer skipped steps.
            self.log(int(self._optimizer.iterations.numpy()))

    def _sync(self):
        """On JAX, puts the training state back on the model's variables
        (Keras keeps it apart during an epoch): `Callback.model` does."""
        return self.model

    @_common.uninstalls_on_failure
    def on_epoch_end(self, epoch, logs=None):
        self._log_pending()
        if self.heatmaps and self._drawn_steps < self._logged_steps():
            elapsed = time.perf_counter() - self._train_start
            cost = self._drawing_time / max(1, self._draw_count)
            if self._drawing_time + cost <= self.heatmap_budget * elapsed:
                self._draw_heatmaps()
        for writer in self._writers.values():
            writer.flush()

    def log(self, step):
        """Computes and writes every statistic now, at `step`."""
        scalars = {run.name: {} for run in self._runs}
        histograms = {run.name: {} for run in self._runs}
        if self.log_weights:
            before, self._before = self._before, None
            for i, (run_index, tag, variable) in enumerate(self._weighted):
                values = scalars[self._runs[run_index].name]
                after = variable.numpy()
                values.update({f"{tag}/{key}": value for key, value in
                               st.numpy_moments(after).items()})
                if before is not None:
                    values[f"{tag}/update_ratio"] = st.update_ratio(
                        before[i], after)
        if self._hooked is not None and not self._tensorflow:
            norms, hists = self._captured.pop(step, (None, None))
            self._wanted = {s for s in self._wanted if s > step}
            self._captured = {s: v for s, v in self._captured.items() if s > step}
            for i, (run_index, tag, _) in enumerate(self._weighted):
                if norms is None:
                    break
                run = self._runs[run_index].name
                scalars[run][f"{tag}/gradient_norm"] = \
                    norms[self._gradient_rows[i]]
                if hists is not None:
                    histograms[run][f"{tag}/gradient_histogram"] = \
                        hists[self._gradient_rows[i]]
        elif self._hooked is not None:
            gradient_step = int(self._grad_step.numpy())
            if gradient_step > self._last_gradient_step:
                self._last_gradient_step = gradient_step
                norms = self._gradient_norms.numpy()[self._gradient_rows]
                hists = None if self._grad_hists is None else \
                    self._grad_hists.numpy()[self._gradient_rows]
                for i, (run_index, tag, _) in enumerate(self._weighted):
                    run = self._runs[run_index].name
                    scalars[run][f"{tag}/gradient_norm"] = norms[i]
                    if hists is not None:
                        histograms[run][f"{tag}/gradient_histogram"] = hists[i]
        computed = keras.tree.map_structure(keras.ops.convert_to_numpy,
                                            self._compute())
        for run in self._runs:
            if run.output is None:
                continue
            y = computed["outputs"][run.output]
            values = dict(mean=y.mean(dtype=np.float64),
                          std=y.std(dtype=np.float64))
            if run.spec is not None:
                values["dead_fraction"] = run.spec.dead_fraction(y)
                if not run.head:
                    values["saturated_fraction"] = \
                        run.spec.saturated_fraction(y)
            for key, value in values.items():
                if value is not None:
                    scalars[run.name][f"activation/{key}"] = float(value)
            if self.histograms:
                histograms[run.name]["activation/histogram"] = \
                    st.numpy_histogram(y, self.histogram_bins)
        for run in self._runs:
            writer = self._writers[run.name]
            if scalars[run.name]:
                writer.scalars(step, scalars[run.name])
            if histograms[run.name]:
                writer.histograms(step, histograms[run.name])
        self._remember(step, scalars)

    def _statistics(self):
        """`outputs`: the probed layers' outputs on the probe batch, whose
        statistics the host computes (a few milliseconds, and nothing per
        layer to trace or compile)."""
        out = {"outputs": []}
        if self._probe_model is not None:
            outputs = self._probe_model(self._probe_x, training=False)
            if not isinstance(outputs, (list, tuple)):
                outputs = [outputs]
            out["outputs"] = [keras.ops.cast(y, "float32") for y in outputs]
        return out

    # -- heat maps -------------------------------------------------------------

    def _remember(self, step, scalars):
        for tag, (group, key, *_) in HEATMAPS.items():
            values = {run: v[f"{group}/{key}"] for run, v in scalars.items()
                      if f"{group}/{key}" in v}
            if values:
                self._history[tag].append((step, values))

    def _logged_steps(self):
        return max((len(h) for h in self._history.values()), default=0)

    def _draw_heatmaps(self):
        start = time.perf_counter()
        writer = self._writers[HEATMAP_RUN]
        step = None
        for tag, (_, _, log, limits, title) in HEATMAPS.items():
            history = self._history[tag]
            if not history:
                continue
            runs = [run.name for run in self._runs
                    if any(run.name in values for _, values in history)]
            values = np.array([[column.get(run, np.nan)
                                for _, column in history] for run in runs])
            steps = [s for s, _ in history]
            step = steps[-1]
            vmin, vmax = limits if limits else (None, None)
            png = heatmap_png(values, runs, steps, title, log=log, vmin=vmin,
                              vmax=vmax)
            width, height = _png_size(png)
            writer.image(step, tag, png, width, height, description=(
                f"{title}: a row per layer (top: input side), a column "
                "per logging step."))
        writer.flush()
        self._drawn_steps = self._logged_steps()
        self._draw_count += 1
        self._drawing_time += time.perf_counter() - start

    def _layout(self):
        """A custom-scalars layout: a chart per statistic logged, a line per
        run."""
        probed = [run for run in self._runs if run.output is not None]
        activation = [key for key in ACTIVATION_SCALARS if key in (
            "mean", "std")
            or key == "dead_fraction" and any(
                run.spec is not None and run.spec.dead is not None
                for run in probed)
            or key == "saturated_fraction" and any(
                run.spec is not None and run.spec.saturated is not None
                and not run.head for run in probed)]
        groups = {"activation": activation} if probed else {}
        for run in self._runs:
            for tag, _ in run.weights:
                groups.setdefault(tag, WEIGHT_SCALARS)
        return events.chart_layout(groups)


def _png_size(png):
    """`(width, height)` from a PNG's header."""
    return (int.from_bytes(png[16:20], "big"),
            int.from_bytes(png[20:24], "big"))

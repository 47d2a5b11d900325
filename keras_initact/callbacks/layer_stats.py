"""`LayerStats`: per-layer weight, gradient and activation statistics in
TensorBoard, readable at a glance from 4 layers to 400, at a cost close to
zero."""

import os
import warnings

import keras

from keras_initact.files import make_writable_folder
from keras_initact.callbacks import _common, _hooks, writing
from keras_initact.callbacks import statistics as st
from keras_initact.callbacks.capture import capture_for
from keras_initact.callbacks.probe import probe_function
from keras_initact.checks import check_bool, check_number, check_positive_int

SUBDIR = "layer_stats"
READ_EVERY = 32  # logging steps the device keeps before the host reads them


class LayerStats(keras.callbacks.Callback):
    """Logs per-layer weight, gradient and activation statistics to
    TensorBoard while `model.fit` trains: one TensorBoard run per training
    run, `log_dir/layer_stats/`, whatever the depth.

    Every `every_n_steps` optimizer steps (and at the first step of every
    `every_n_epochs`-th epoch) it measures, for every layer:

    * `activation_{mean,std,dead_fraction,saturated_fraction}` of its output,
      on the training batch in the train step's own forward pass (training
      mode), or on a fixed `probe_data` batch in inference mode (dead and
      saturated as the activation registry
      defines them for the layer's activation: ReLU output 0, tanh
      `|y| >= 0.99`; an output of the model has no saturated fraction: a
      confident classifier is not a saturated one);
    * `<weight>_{mean,std,norm,gradient_norm,update_ratio}` for each of its
      trainable weights (`kernel`, `bias`, `gamma`, ...): the weight after
      the update, the L2 norm of the gradient the optimizer applied, and
      `||dW|| / max(||W_before||, ||W_after||)` (about 1e-3 is healthy; 1
      for a weight that starts at zero).

    and writes them to one run (see `keras_initact.callbacks.writing`):
    `across_layers/` scalars that point at the worst layer (the lowest and
    highest activation std, the highest dead and saturated fractions, the
    smallest and largest gradient norms, the largest update ratio), `worst_layer/`
    scalars giving which layer each comes from, `by_layer/` heat maps
    (layer x step, rows grouped by block past 60 layers, the extremes
    marked and named) and the text `layers`, the layer index. The exact
    per-layer values are kept as `per_layer/` tensors, which
    `keras_initact.report` reads. A card draws a line per training run, so
    a study's runs, and two runs of one architecture, overlay in their own
    colours. With `epoch_logs=True` the run also holds the `fit` logs,
    `epoch/<key>`, so that a training run is one TensorBoard run without
    `keras.callbacks.TensorBoard`.

    Cost: everything is computed on the device. A hook on the optimizer's
    update (`keras_initact.callbacks.capture`) measures every variable
    inside the train step, on logging steps only (other steps test a
    flag); the update is Keras's, unchanged, and the train function is
    traced as often as Keras's own. Without `probe_data`, observers on the
    layers' calls (`keras_adapter.observe_call`) take the activations from
    the train step's own forward pass; with it, one compiled function runs
    the probe batch. The results stay on the device and the host reads them
    in batches (every 32 logging steps, and at each epoch's end), so
    logging does not stall the device step by step. The heat maps are
    redrawn while drawing takes at most `heatmap_budget` of the training
    time, and once at the end. All of it compiles with XLA
    (`jit_compile=True`, Keras's default on GPU). On JAX the hook is in a
    second compiled train function that runs the logging steps only (the
    other runs the rest), which returns its tables with the step's logs
    and, without `probe_data`, runs the step's forward pass a second time
    for the activations (Keras's runs inside `value_and_grad`, out of
    reach); gradient histograms need TensorFlow or PyTorch.

    The step is the optimizer's iteration count after the update, so a
    resumed `fit` continues the curves. `log_dir` can be the one given to
    `keras.callbacks.TensorBoard` (whose runs are `train/` and
    `validation/`).

    Arguments are checked when the callback is made; the log folder
    (writable?) and `probe_data` (the model's input shape?) when training
    begins, before anything is installed. If anything in the callback
    raises, or training stops with an exception (Ctrl-C included), it
    writes what it measured, takes its hook off the optimizer and restores
    the model's train function, so the model trains normally afterwards,
    with or without it.

    >>> model.fit(x, y, callbacks=[LayerStats("logs", probe_data=x[:256])])

    Args:
        log_dir: the TensorBoard log directory (a path).
        probe_data: a fixed batch to measure activations on, in inference
            mode, with one more forward pass per logging step: inputs,
            `(x, y)`, or a `tf.data.Dataset` (its first batch). Without it
            (the default), activations are measured on the training batch
            of the logging step, inside the train step, at no extra pass
            (not under a multi-replica `tf.distribute` strategy, whose
            replicas each see a part of the batch: give `probe_data`
            there). Activation histograms need `probe_data`.
        every_n_steps: logging interval in optimizer steps, a positive int
            (`None`: off). Step 1 is always logged too.
        every_n_epochs: also log at the first step of every n-th epoch (a
            positive int or `None`).
        weights, gradients, activations: which statistics to log (bools).
        histograms: also write a histogram per layer output and gradient
            (`histograms/`; the host reads the device every logging step).
        histogram_bins: bins per histogram, a positive int.
        heatmaps: draw the heat maps.
        heatmap_budget: the largest fraction of the training time that
            redrawing the heat maps during training may take (in [0, 1];
            0: only at the end).
        layers: names of the top-level layers to log (default: all).
        jit_compile: compile the statistics function with XLA; `None`
            (default): when the model's train step is (`model.jit_compile`).
        subdir: the run's folder under `log_dir` (`""`: `log_dir` itself).
        epoch_logs: also write the `fit` logs at each epoch's end.
    """

    def __init__(self, log_dir, probe_data=None, every_n_steps=100,
                 every_n_epochs=None, weights=True, gradients=True,
                 activations=True, histograms=False,
                 histogram_bins=st.HISTOGRAM_BINS, heatmaps=True,
                 heatmap_budget=0.01, layers=None, jit_compile=None,
                 subdir=SUBDIR, epoch_logs=False):
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
        if not isinstance(subdir, str) or os.path.isabs(subdir):
            raise ValueError(
                f"{owner}: `subdir` must be a folder name under `log_dir` "
                f"('' for `log_dir` itself); received subdir={subdir!r}.")
        self.subdir = subdir
        self.epoch_logs = check_bool("epoch_logs", epoch_logs, owner)
        self._view = None
        self._capture = None
        self._hooked = None
        self._unobserve = []  # takes the layer-output observers off

    @property
    def run_dir(self):
        """The folder of this callback's TensorBoard run."""
        return writing.run_dir_of(self.log_dir, self.subdir)

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
        self._in_step = self.log_activations and probe_x is None
        strategy = getattr(model, "distribute_strategy", None)
        if self._in_step and getattr(
                strategy, "num_replicas_in_sync", 1) > 1:
            warnings.warn(
                f"{owner}: under {type(strategy).__name__} each replica "
                "sees a part of the batch; activations are not measured in "
                "the train step. Give `probe_data` to measure them.",
                stacklevel=2)
            self._in_step = False
        if self._in_step and self.histograms:
            warnings.warn(
                f"{owner}: activation histograms need `probe_data`; "
                "without it, histograms=True writes gradient histograms "
                "only.", stacklevel=2)
        if self.layers is not None:
            unknown = self.layers - {layer.name for layer in model.layers}
            if unknown:
                raise ValueError(
                    f"{owner}: `layers` names {sorted(unknown)}, which model "
                    f"{model.name!r} does not have; its layers: "
                    f"{[layer.name for layer in model.layers]}.")
        self._optimizer = model.optimizer
        self._steps_per_call = int(
            getattr(model, "steps_per_execution", 1) or 1)
        self._rows, probed = self._plan_rows(model, probe_x)
        self._columns = writing.plan_columns(
            self._rows, self._weighted, self.log_weights, self.log_gradients)
        self._probe = None
        if probed and not self._in_step:
            xla = (bool(getattr(model, "jit_compile", False))
                   if self.jit_compile is None else bool(self.jit_compile))
            self._probe = probe_function(
                _common.probe_model(model, probed), probe_x,
                [row for row in self._rows if row.output is not None],
                self._optimizer.iterations, self.histograms, xla)
        self._view = writing.RunView(self.run_dir, self._rows, self._columns,
                                     self.heatmaps, self.heatmap_budget)
        self._forced = False
        self._epoch_start = int(self._optimizer.iterations.numpy())
        self._pending = False
        self._measured = []  # (device step, activation table[, outputs])
        self._unread = 0  # logging steps measured but not read yet
        self._read_every = 1 if self.histograms else READ_EVERY
        self._variable_rows = {}  # id(variable) -> row of the capture's table
        variables = bool(self._weighted) and (self.log_weights
                                              or self.log_gradients)
        if variables or (self._in_step and probed):
            _, opt = _common.built_update_optimizer(model)
            self._capture = capture_for(
                model, opt, self.histograms, self.histogram_bins, slots=READ_EVERY,
                xla=bool(getattr(model, "jit_compile", False)),
                variables=variables,
                outputs=[spec_and_head for _, *spec_and_head in probed]
                if self._in_step else ())
            if self.histograms and keras.backend.backend() == "jax":
                warnings.warn(
                    "LayerStats: on JAX, histograms=True writes activation "
                    "histograms only; gradient histograms need the "
                    "TensorFlow or PyTorch backend.", stacklevel=2)
            # A call of k steps fills k of the capture's slots.
            self._read_every = max(1, min(
                self._read_every, self._capture.slots // self._steps_per_call))
            self._variable_rows = {
                id(v): i for i, v in enumerate(self._capture.variables)}
            if self._in_step:
                self._unobserve = _hooks.observe_outputs(
                    [layer for layer, *_ in probed],
                    self._capture.record_output)
            _hooks.install(self._optimizer, self)
            self._hooked = self._optimizer
            _common.refresh_train_function(model)

    def _plan_rows(self, model, probe_x):
        """A `writing.LayerRow` per logged layer (in model order), and the
        `(layer, spec, head)` of the layers whose outputs are measured."""
        monitored = {}
        if probe_x is not None:
            monitored = {id(layer): spec for layer, spec in
                         _common.monitored_layers(model, self.layers)}
        elif self._in_step:
            monitored = {id(layer): spec for layer, spec in
                         _common.observed_layers(model, self.layers)}
        outputs = {id(t) for t in getattr(model, "outputs", None) or []}
        trainable = {id(v) for v in model.trainable_variables}
        candidates = [layer for layer in model.layers
                      if not isinstance(layer, keras.layers.InputLayer)]
        rows, probed = [], []
        self._weighted = []  # (row index, tag, variable)
        for position, layer in enumerate(candidates):
            if self.layers is not None and layer.name not in self.layers:
                continue
            weights = [v for v in _common.unique_variables(layer.weights)
                       if id(v) in trainable]
            if not (self.log_weights or self.log_gradients):
                weights = []
            if not weights and id(layer) not in monitored:
                continue
            row = writing.LayerRow(position, layer.name,
                                   type(layer).__name__,
                                   _common.weight_tags(weights))
            if id(layer) in monitored:
                row.output, row.spec = len(probed), monitored[id(layer)]
                row.head = id(getattr(layer, "output", None)) in outputs
                probed.append((layer, row.spec, row.head))
            self._weighted += [(len(rows), tag, v) for tag, v in row.weights]
            rows.append(row)
        return rows, probed

    # -- tear-down ------------------------------------------------------------

    @_common.uninstalls_on_failure
    def on_train_end(self, logs=None):
        self._log_pending()
        self.uninstall()

    def uninstall(self):
        """Writes what was measured, takes the hook off the optimizer and
        restores the model's train function (the model then trains exactly
        as without this callback), and closes the run's event file."""
        view, self._view = self._view, None
        try:
            if view is not None:
                self._write_measured(view)
                view.maybe_draw(final=True)
        finally:
            for unobserve in self._unobserve:
                unobserve()
            self._unobserve = []
            if self._hooked is not None:
                _hooks.remove(self._hooked, self)
                self._hooked = None
                _common.refresh_train_function(self.model)
            if view is not None:
                view.close()
            self._capture = None

    # -- the capture, inside the train step ------------------------------------

    def wrap(self, opt, update_fn):
        """The optimizer hook (see `_hooks`): the backend's capture."""
        return self._capture.wrap(opt, update_fn)

    # On JAX, two compiled train functions (see `_common`).
    @property
    def traced_when_wanted(self):
        return getattr(self._capture, "traced_when_wanted", False)

    def wanted(self):
        return self._capture.wanted()

    def forward_outputs(self):
        return self._capture.forward_outputs()

    def step_outputs(self, state, data, forward=None):
        return self._capture.step_outputs(state, data, forward)

    def receive(self, values):
        self._capture.receive(values)

    @property
    def tracing(self):
        return self._capture.tracing

    @tracing.setter
    def tracing(self, active):
        if self._capture is not None:
            self._capture.tracing = active

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
    # logging step is measured at the start of the next call, or at the end
    # of its epoch: the weights are then those after its update.

    @_common.uninstalls_on_failure
    def on_epoch_begin(self, epoch, logs=None):
        # The host keeps count of the steps (reading the device's counter
        # every batch would cost a sync); it re-reads it once per epoch.
        self._epoch_start = int(self._optimizer.iterations.numpy())
        if self.every_n_epochs and (epoch + 1) % self.every_n_epochs == 0:
            self._forced = True

    @_common.uninstalls_on_failure
    def on_train_batch_begin(self, batch, logs=None):
        self._log_pending()
        done = self._epoch_start + batch  # steps before this call
        log_next = self._logs_in(done, done + self._steps_per_call)
        if self._capture is not None:
            self._capture.want(log_next)
        if log_next:
            self._forced = False
        self._pending = log_next

    def _log_pending(self):
        """Measures the logging step of the last call, if it had one."""
        if not self._pending:
            return
        self._pending = False
        if self._probe is not None:
            _common.sync_variables(self.model)
            self._measured.append(self._probe())
        self._unread += 1
        if self._unread >= self._read_every:
            self._write_measured(self._view)

    @_common.uninstalls_on_failure
    def on_epoch_end(self, epoch, logs=None):
        self._log_pending()
        self._write_measured(self._view)
        if self.epoch_logs:
            self._view.epoch(epoch, logs)
        self._view.maybe_draw()
        self._view.flush()

    def _write_measured(self, view):
        """Reads what the device measured since the last time (one read for
        all the steps) and writes it, step by step."""
        captured = self._capture.collect() if self._capture is not None \
            else {}
        measured, self._measured = self._measured, []
        self._unread = 0
        activations = {}  # step -> (table, outputs or None)
        for step, table, *outputs in keras.tree.map_structure(
                keras.ops.convert_to_numpy, measured):
            activations[int(step)] = (table, outputs[0] if outputs else None)
        probed = set(activations)
        for step, (_, _, table) in captured.items():
            if table is not None:
                activations[step] = (table, None)
        if self._steps_per_call > 1 and captured:
            # A logged call of k steps captured each of them: keep the step
            # the probe measured (the call's last), or else every k-th.
            keep = probed or {
                step for step in captured if step % self._steps_per_call == 0
            } | {max(captured)}
            captured = {step: v for step, v in captured.items() if step in keep}
            activations = {step: v for step, v in activations.items()
                           if step in keep}
        for step in sorted(set(captured) | set(activations)):
            columns, histograms = writing.columns_of(
                self._rows, self._columns, self._weighted,
                self._variable_rows,
                captured[step][:2] if step in captured else None,
                activations.get(step), self.histogram_bins)
            view.step(step, columns, histograms)

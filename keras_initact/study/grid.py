"""The initializer x activation x depth grid: one factory-built model per cell.

Every cell trains the same way on the same data (same seed, same batches)
and differs only in its initialization, activation and depth, so that the
comparison is paired. A cell that raises is recorded as failed and the grid
goes on; a cell whose loss becomes NaN is recorded as diverged.
"""

import dataclasses
import math
import os
import re
import shutil
import time
from typing import Optional, Tuple

import keras
import numpy as np

from keras_initact.activations import ACTIVATIONS

# Initializations that are procedures, not initializer names.
SPECIAL_INITS = {
    "auto": "for_activation(activation, depth): the pairing up to 8 layers, "
            "a critical (edge-of-chaos) point deeper",
    "shaped": "for_activation(..., shaping=True): as auto, plus TAT "
              "shaping deeper than 8 layers (scaled outputs; ReLU becomes "
              "a TAT leaky ReLU, smooth units a TAT-shaped unit)",
    "dks": "for_activation(..., shaping='dks'): as shaped, but smooth "
           "units are shaped by Deep Kernel Shaping (Martens et al. 2021)",
    "lsuv": "orthogonal kernels, then LSUV (Mishkin & Matas 2016) on a "
            "training batch",
}


def check_init(name):
    """`name` when it is a special init or an initializer that can be made
    from its name alone; else a ValueError listing what is allowed."""
    from keras_initact import initializers

    if name in SPECIAL_INITS:
        return name
    try:
        initializers.get(name)
    except ValueError as error:
        raise ValueError(
            f"{error} Also allowed here: {', '.join(SPECIAL_INITS)}.") from None
    return name


def check_activation(name):
    """The registry name of a hidden activation (elementwise, or gated)."""
    spec = ACTIVATIONS.spec(name)
    if not spec.hidden:
        raise ValueError(
            f"{spec.name!r} mixes units, so it cannot be a hidden activation; "
            f"choose from {', '.join(ACTIVATIONS.hidden_names())}.")
    return spec.name


@dataclasses.dataclass(frozen=True)
class Cell:
    """One run of the grid: an initialization, an activation, a depth and
    the seed of its weights and data order; with the study's width axes,
    also its hidden width, Adam learning rate and parametrization (None:
    the study's `width` and `learning_rate`), and μP's base width."""

    init: str
    activation: str
    depth: int
    seed: int = 0
    width: Optional[int] = None
    learning_rate: Optional[float] = None
    parametrization: str = "standard"
    base_width: Optional[int] = None

    @property
    def id(self):
        """A folder-safe name, e.g. `he_normal-relu-d30-s0`, or
        `he_normal-relu-d3-w1024-lr0.001-mup64-s0` on the width axes."""
        setting = "".join((
            "" if self.width is None else f"-w{self.width}",
            "" if self.learning_rate is None else f"-lr{self.learning_rate:g}",
            "" if self.parametrization == "standard"
            else f"-{self.parametrization}{self.base_width or ''}"))
        return re.sub(r"[^A-Za-z0-9_.-]", "_",
                      f"{self.init}-{self.activation}-d{self.depth}"
                      f"{setting}-s{self.seed}")

    @property
    def setting(self):
        """`(width, learning_rate, parametrization, base_width)`."""
        return (self.width, self.learning_rate, self.parametrization,
                self.base_width)

    @property
    def group(self):
        """The cell without its seed: what repeats over seeds,
        `(init, activation, depth, setting)`."""
        return (self.init, self.activation, self.depth, self.setting)

    def width_in(self, options):
        return options.width if self.width is None else self.width

    def learning_rate_in(self, options):
        return (options.learning_rate if self.learning_rate is None
                else self.learning_rate)


SETTING_AXES = ("width", "learning_rate", "parametrization", "base_width")


def study_axes(results):
    """The setting axes that some run of `results` sets (`width`,
    `learning_rate`, `parametrization` and `base_width`): the tables'
    extra columns; none for a study of the initialization grid alone."""
    default = Cell("", "", 0)
    return tuple(axis for axis in SETTING_AXES if any(
        getattr(r.cell, axis) != getattr(default, axis) for r in results))


def setting_label(setting):
    """`"width 1024, lr 0.001, μP (base 64)"`; `""` for the study's own."""
    width, learning_rate, parametrization, base_width = setting
    parts = []
    if width is not None:
        parts.append(f"width {width}")
    if learning_rate is not None:
        parts.append(f"lr {learning_rate:g}")
    if parametrization == "mup":
        parts.append(f"μP (base {base_width})")
    return ", ".join(parts)


@dataclasses.dataclass(frozen=True)
class StudyOptions:
    """How every cell trains (the same for all cells of a study)."""

    width: int = 128
    epochs: int = 10
    learning_rate: float = 1e-3
    target_accuracy: float = 0.9
    conv_filters: Tuple[int, ...] = ()
    stats_every_n_steps: Optional[int] = 100

    def to_dict(self):
        return {**dataclasses.asdict(self),
                "conv_filters": list(self.conv_filters)}

    @classmethod
    def from_dict(cls, values):
        return cls(**{**values, "conv_filters": tuple(values["conv_filters"])})


@dataclasses.dataclass
class CellResult:
    """What a cell's run gave. `status` is `"ok"`, `"diverged"` (the loss
    became NaN or infinite; training stopped) or `"failed"` (an exception,
    or its worker died; in `error`); metrics of a failed cell are NaN."""

    cell: Cell
    status: str
    error: str = ""
    final_accuracy: float = math.nan
    best_accuracy: float = math.nan
    final_loss: float = math.nan
    epochs_to_target: Optional[int] = None
    wall_time_s: float = math.nan
    dead_fraction: float = math.nan
    history: dict = dataclasses.field(default_factory=dict)

    def row(self, target_accuracy, axes=()):
        """The per-run table row (plain Python values), with the setting
        `axes` (`study_axes`) after the depth."""
        return {
            "init": self.cell.init,
            "activation": self.cell.activation,
            "depth": self.cell.depth,
            **{axis: getattr(self.cell, axis) for axis in axes},
            "seed": self.cell.seed,
            "status": self.status,
            "final_test_accuracy": self.final_accuracy,
            "best_test_accuracy": self.best_accuracy,
            "final_test_loss": self.final_loss,
            f"epochs_to_{target_accuracy:g}": self.epochs_to_target,
            "wall_time_s": self.wall_time_s,
            "dead_fraction": self.dead_fraction,
            "error": self.error,
        }

    def to_dict(self):
        """JSON-ready (NaN as None)."""
        values = dataclasses.asdict(self)
        return {key: None if isinstance(value, float) and math.isnan(value)
                else value for key, value in values.items()}

    @classmethod
    def from_dict(cls, values):
        """The result `to_dict` gave. Raises `ValueError`, saying what is
        wrong, for anything that is not such a dict."""
        if not isinstance(values, dict):
            raise ValueError(f"a JSON {type(values).__name__}, not an object")
        values = dict(values)
        cell = values.pop("cell", None)
        if not isinstance(cell, dict):
            raise ValueError("no 'cell' object" if cell is None else
                             f"'cell' is {cell!r}, not an object")
        fields = {f.name: f.type for f in dataclasses.fields(Cell)}
        if set(cell) - set(fields) or {"init", "activation", "depth"} - set(
                cell):
            raise ValueError(f"'cell' has the keys {sorted(cell)}; a cell "
                             f"has {sorted(fields)}")
        for key, value in cell.items():
            wanted, what = _CELL_TYPES.get(key, ((str,), "a str"))
            if isinstance(value, bool) or not isinstance(value, wanted):
                raise ValueError(f"the cell's {key!r} is {value!r}, not "
                                 f"{what}")
        known = {f.name for f in dataclasses.fields(cls)} - {"cell"}
        if set(values) - known or "status" not in values:
            unknown = sorted(set(values) - known)
            raise ValueError(f"unknown keys {unknown}" if unknown
                             else "no 'status'")
        if values["status"] not in STATUSES:
            raise ValueError(f"'status' is {values['status']!r}, not one of "
                             f"{', '.join(STATUSES)}")
        for key in NUMBERS:
            value = values.get(key)
            if value is None:
                values[key] = math.nan
            elif isinstance(value, bool) or not isinstance(value,
                                                           (int, float)):
                raise ValueError(f"{key!r} is {value!r}, not a number")
        epochs = values.get("epochs_to_target")
        if epochs is not None and (isinstance(epochs, bool)
                                   or not isinstance(epochs, int)):
            raise ValueError(f"'epochs_to_target' is {epochs!r}, not an "
                             "int or null")
        if not isinstance(values.get("error", ""), str):
            raise ValueError(f"'error' is {values['error']!r}, not a string")
        history = values.get("history", {})
        if not isinstance(history, dict) or not all(
                isinstance(v, list) and all(
                    isinstance(x, (int, float)) and not isinstance(x, bool)
                    for x in v) for v in history.values()):
            raise ValueError("'history' is not an object of number lists")
        return cls(Cell(**cell), **values)


# The types of a record's cell keys that are not strings.
_CELL_TYPES = {
    "depth": ((int,), "an int"), "seed": ((int,), "an int"),
    "width": ((int, type(None)), "an int or null"),
    "learning_rate": ((int, float, type(None)), "a number or null"),
    "base_width": ((int, type(None)), "an int or null"),
}
STATUSES = ("ok", "diverged", "failed")
NUMBERS = ("final_accuracy", "best_accuracy", "final_loss", "wall_time_s",
           "dead_fraction")


def build_cell_model(cell, data, options, initialize=True):
    """The factory's model for a cell, initialized (LSUV included, unless
    `initialize=False`: for loading trained weights) but not compiled."""
    from keras_initact.deep import lsuv_initialize
    from keras_initact.models import build_sequential

    shaping = {"auto": False, "shaped": True, "dks": "dks"}
    if cell.init in shaping:
        initialization = {"shaping": shaping[cell.init]}
    elif cell.init == "lsuv":
        initialization = {"kernel_initializer": "orthogonal",
                          "bias_initializer": "zeros"}
    else:
        initialization = {"kernel_initializer": cell.init,
                          "bias_initializer": "zeros"}
    if cell.parametrization == "mup":
        initialization.update(parametrization="mup",
                              base_width=cell.base_width)
    model = build_sequential(
        data.input_shape, [cell.width_in(options)] * cell.depth,
        cell.activation, conv_filters=options.conv_filters,
        num_classes=data.num_classes, seed=cell.seed,
        name=cell.id.replace(".", "_").replace("-", "_"), **initialization)
    if cell.init == "lsuv" and initialize:
        lsuv_initialize(model, data.probe, seed=cell.seed)
    return model


def optimizer_for(cell, model, options):
    """Adam at the cell's learning rate; μP's (`keras_initact.mup.Adam`)
    for a μP cell."""
    learning_rate = cell.learning_rate_in(options)
    if cell.parametrization == "mup":
        from keras_initact import mup

        return mup.Adam(learning_rate, base_shapes=model.base_shapes)
    return keras.optimizers.Adam(learning_rate)


def dead_fraction(model, x):
    """The fraction of hidden units that are dead on every example of `x`
    (in their activation's dead region, as the registry defines it: ReLU
    outputs 0), over all hidden activation layers (the factory names them
    `act_*`); NaN when no activation has a dead region."""
    from keras_initact import activations

    layers = []
    for layer in model.layers:
        spec = (activations.identify(layer) if layer.name.startswith("act_")
                else None)
        if spec is not None and spec.dead is not None:
            layers.append((layer, spec))
    if not layers:
        return math.nan
    probe = keras.Model(model.inputs, [layer.output for layer, _ in layers])
    outputs = probe([x], training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    dead = [np.all(keras.ops.convert_to_numpy(spec.dead.mask(y)), axis=0).ravel()
            for (_, spec), y in zip(layers, outputs)]
    return float(np.mean(np.concatenate(dead)))


def epochs_to(accuracies, target):
    """The first epoch (1-based) whose accuracy reaches `target`, or None."""
    for epoch, accuracy in enumerate(accuracies, start=1):
        if accuracy >= target:
            return epoch
    return None


def hparams_of(cell, options):
    """A run's hyperparameters, as TensorBoard's HParams dashboard shows
    them (`write_hparams`, and the experiment's configuration)."""
    return {"init": cell.init, "activation": cell.activation,
            "depth": cell.depth, "seed": cell.seed,
            "width": cell.width_in(options),
            "learning_rate": cell.learning_rate_in(options),
            "parametrization": cell.parametrization,
            "epochs": options.epochs}

METRICS = ("final_test_accuracy", "best_test_accuracy", "final_test_loss",
           "epochs_to_target")


def train_cell(cell, data, options, log_dir=None, callbacks=()):
    """Builds, trains and evaluates one cell on `data.batches(cell.seed)`;
    never raises for the cell's own failures. Returns
    `(CellResult, model or None)`.

    With `log_dir`, the cell is one TensorBoard run, `log_dir/<cell.id>/`:
    `LayerStats`'s statistics, the epoch logs (`epoch/loss`,
    `epoch/val_accuracy`, ...), and its hyperparameters and final metrics
    for TensorBoard's HParams dashboard. A study of N cells is N runs (and
    the experiment's HParams configuration at the root), so TensorBoard
    selects and draws all of them, a line per cell on each card. A cell
    trained again starts a clean folder: an unfinished earlier attempt
    left no record, and its curves would double the new ones."""
    from keras_initact.callbacks import LayerStats

    start = time.perf_counter()
    run_dir = None if log_dir is None else os.path.join(log_dir, cell.id)
    if run_dir is not None:
        shutil.rmtree(run_dir, ignore_errors=True)
    try:
        keras.utils.set_random_seed(cell.seed)
        model = build_cell_model(cell, data, options)
        model.compile(optimizer=optimizer_for(cell, model, options),
                      loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        cell_callbacks = [keras.callbacks.TerminateOnNaN(), *callbacks]
        if run_dir is not None:
            cell_callbacks.append(LayerStats(
                run_dir, probe_data=data.probe[:64], subdir="",
                every_n_steps=options.stats_every_n_steps, every_n_epochs=1,
                epoch_logs=True))
        history = model.fit(data.batches(cell.seed), validation_data=data.test,
                            epochs=options.epochs, callbacks=cell_callbacks,
                            shuffle=False,  # the pipeline shuffles, seeded
                            verbose=0).history
    except Exception as error:  # the cell failed; the grid goes on
        return CellResult(cell, "failed", f"{type(error).__name__}: {error}",
                          wall_time_s=time.perf_counter() - start), None
    wall = time.perf_counter() - start
    accuracies = history.get("val_accuracy", [])
    losses = history.get("val_loss", [])
    train_losses = history.get("loss", [])
    diverged = (len(accuracies) < options.epochs
                or not all(map(math.isfinite, train_losses + losses)))
    result = CellResult(
        cell, "diverged" if diverged else "ok",
        "the loss became non-finite; training stopped" if diverged else "",
        final_accuracy=accuracies[-1] if accuracies else math.nan,
        best_accuracy=max(accuracies) if accuracies else math.nan,
        final_loss=losses[-1] if losses else math.nan,
        epochs_to_target=epochs_to(accuracies, options.target_accuracy),
        wall_time_s=wall,
        dead_fraction=dead_fraction(model, data.probe),
        history={key: [float(v) for v in values]
                 for key, values in history.items()},
    )
    if run_dir is not None:
        write_hparams(run_dir, cell, options, result)
    return result, model


def write_hparams(run_dir, cell, options, result):
    """The cell's hyperparameters and final metrics, in its run folder, for
    TensorBoard's HParams dashboard (see `comparison.write_hparams_config`
    for the experiment's)."""
    from tensorboard.plugins.hparams import summary_v2

    from keras_initact.events import RunWriter

    values = hparams_of(cell, options)
    writer = RunWriter(run_dir)
    try:
        writer.summary(0, summary_v2.hparams_pb(values, trial_id=cell.id))
        metrics = {"final_test_accuracy": result.final_accuracy,
                   "best_test_accuracy": result.best_accuracy,
                   "final_test_loss": result.final_loss,
                   "epochs_to_target": result.epochs_to_target}
        writer.scalars(options.epochs, {
            key: value for key, value in metrics.items()
            if value is not None and math.isfinite(value)})
    finally:
        writer.close()


def best_result(results):
    """The run that stands for the best cell, or None when no run ended
    `ok`.

    The best cell (initialization, activation, depth) is the one with the
    highest mean final test accuracy over its seeds, cells whose every run
    ended `ok` first (ties: the lower mean final test loss): a mean over
    seeds, not the single luckiest run, so that picking it selects less on
    the test split's noise. Its run is the `ok` one closest to that mean
    (ties: the lower seed)."""
    groups = {}
    for result in results:
        groups.setdefault(result.cell.group, []).append(result)
    ranked = []
    for runs in groups.values():
        ok = [r for r in runs if r.status == "ok"
              and math.isfinite(r.final_accuracy)]
        if not ok:
            continue
        mean = float(np.mean([r.final_accuracy for r in ok]))
        losses = [r.final_loss for r in ok if math.isfinite(r.final_loss)]
        loss = float(np.mean(losses)) if losses else math.inf
        run = min(ok, key=lambda r: (abs(r.final_accuracy - mean),
                                     r.cell.seed))
        ranked.append(((len(ok) == len(runs), mean, -loss), run))
    if not ranked:
        return None
    return max(ranked, key=lambda item: item[0])[1]


def cell_mean(results, cell):
    """`(mean final test accuracy, ok runs, runs)` of `cell`'s group."""
    runs = [r for r in results if r.cell.group == cell.group]
    ok = [r.final_accuracy for r in runs if r.status == "ok"
          and math.isfinite(r.final_accuracy)]
    return (float(np.mean(ok)) if ok else math.nan), len(ok), len(runs)

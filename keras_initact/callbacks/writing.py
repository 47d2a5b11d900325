"""What `LayerStats` writes to TensorBoard: one run per training run, laid
out to be read at a glance from 4 layers to 400.

A logging step gives a value per layer for each statistic (a *column*:
`activation_std`, `kernel_gradient_norm`, ...). A TensorBoard card draws a
line per run, so a line per layer would need a run per layer, which stops
being readable after a handful of layers and buries a study. Instead the
training run's one folder holds, in Time Series order:

| tag group        | what                                                       |
|------------------|------------------------------------------------------------|
| `across_layers/` | scalars over layers: `SUMMARY` (lowest activation std, highest dead fraction, smallest and largest gradient norms, ...) |
| `by_layer/`      | images, layer x step heat maps (`HEATMAPS`), the extremes marked and named |
| `epoch/`         | with `epoch_logs=True`: the `fit` logs (`loss`, `val_loss`, ...) per epoch |
| `worst_layer/`   | scalars: the position of the layer each `across_layers/` value comes from |
| `histograms/`    | with `histograms=True`: a histogram per layer output and gradient |

plus the text `layers` (the layer index: position, name, class) and the
exact per-layer values, `per_layer/<column>` tensors, which TensorBoard's
dashboards leave alone and `keras_initact.report` reads back. Tags never
name the model, so training runs of one architecture overlay.
"""

import dataclasses
import json
import math
import os
import time
from typing import Optional

import numpy as np

from keras_initact import events
from keras_initact.callbacks import statistics as st
from keras_initact.heatmaps import heatmap_png

PLUGIN, NAMES_TAG, POSITIONS_TAG = (events.PER_LAYER_PLUGIN,
                                    events.PER_LAYER_NAMES,
                                    events.PER_LAYER_POSITIONS)
LAYERS_TEXT_TAG = "layers"
# across_layers/<name>: the lowest ("min") or highest ("max") value of a
# column over layers; worst_layer/<name>: the position of that layer.
SUMMARY = (
    ("activation_std_min", "activation_std", "min"),
    ("activation_std_max", "activation_std", "max"),
    ("dead_fraction_max", "activation_dead_fraction", "max"),
    ("saturated_fraction_max", "activation_saturated_fraction", "max"),
    ("gradient_norm_min", "kernel_gradient_norm", "min"),
    ("gradient_norm_max", "kernel_gradient_norm", "max"),
    ("update_ratio_max", "kernel_update_ratio", "max"),
)
DESCRIPTIONS = {
    "activation_std_min": "the lowest activation std over layers, on the "
                          "probe batch: a signal that dies",
    "activation_std_max": "the highest activation std over layers: a "
                          "signal that explodes",
    "dead_fraction_max": "the highest fraction of dead units over layers",
    "saturated_fraction_max": "the highest fraction of saturated units "
                              "over layers (model outputs excluded)",
    "gradient_norm_min": "the smallest kernel gradient norm over layers: "
                         "gradients that vanish (or a layer that no longer "
                         "learns)",
    "gradient_norm_max": "the largest kernel gradient norm over layers: "
                         "gradients that explode",
    "update_ratio_max": "the largest kernel update ratio ||dW|| / ||W|| "
                        "over layers (about 1e-3 is healthy)",
}
_DESCRIBED = {f"across_layers/{name}": text
              for name, text in DESCRIPTIONS.items()}
# by_layer/<name>: (column, log colour scale, colour range, title)
HEATMAPS = {
    "activation_std": ("activation_std", True, None,
                       "activation std on the probe batch"),
    "dead_fraction": ("activation_dead_fraction", False, (0, 1),
                      "fraction of dead units"),
    "gradient_norm": ("kernel_gradient_norm", True, None,
                      "kernel gradient norm"),
    "update_ratio": ("kernel_update_ratio", True, None,
                     "kernel update ratio ||dW|| / ||W||"),
}


@dataclasses.dataclass
class LayerRow:
    """One logged layer: its place in the model and what is read from it."""

    position: int  # among the model's layers, InputLayers left out
    name: str
    class_name: str
    weights: list  # (tag, row in the optimizer's variables)
    output: Optional[int] = None  # index among the probe model's outputs
    spec: object = None  # the registry record of its activation
    head: bool = False  # an output of the model

    @property
    def label(self):
        return f"{self.position} {self.name}"


def summarize(columns, rows):
    """The `across_layers/` and `worst_layer/` scalars of one step, from
    `columns` (`{column: values per row}`)."""
    scalars = {}
    for name, column, reduction in SUMMARY:
        values = columns.get(column)
        if values is None:
            continue
        finite = np.flatnonzero(np.isfinite(values))
        if not finite.size:
            continue
        pick = np.argmin if reduction == "min" else np.argmax
        at = finite[pick(values[finite])]
        scalars[f"across_layers/{name}"] = values[at]
        scalars[f"worst_layer/{name}"] = rows[at].position
    return scalars


def plan_columns(rows, weighted, log_weights=True, log_gradients=True):
    """The statistics logged, each a column of values per row: the
    activation statistics the probed layers have, and the weight statistics
    of each weight tag (`weighted`: `(row index, tag, variable)`)."""
    columns = []
    probed = [row for row in rows if row.output is not None]
    if probed:
        columns += ["activation_mean", "activation_std"]
        if any(row.spec is not None and row.spec.dead is not None
               for row in probed):
            columns.append("activation_dead_fraction")
        if any(row.spec is not None and row.spec.saturated is not None
               and not row.head for row in probed):
            columns.append("activation_saturated_fraction")
    wanted = [s for s in st.VARIABLE_STATISTICS
              if (log_gradients if s == "gradient_norm" else log_weights)]
    for _, tag, _ in weighted:
        columns += [f"{tag}_{s}" for s in wanted if f"{tag}_{s}" not in columns]
    return columns


def columns_of(rows, columns, weighted, variable_rows, captured, activations,
               bins=st.HISTOGRAM_BINS):
    """`{column: values per row}` and the histograms of one logging step,
    from what the device measured: `captured`, `(variable table, gradient
    histograms or None)` with a row per optimizer variable
    (`variable_rows`: id(variable) -> row), and `activations`,
    `(activation table, outputs or None)` with a row per probed layer;
    either may be None."""
    count = len(rows)
    out, histograms = {}, {}
    if activations is not None:
        table, outputs = activations
        probed = [(i, row) for i, row in enumerate(rows)
                  if row.output is not None]
        for j, name in enumerate(st.ACTIVATION_STATISTICS):
            if f"activation_{name}" in columns:
                values = np.full(count, np.nan)
                for i, row in probed:
                    values[i] = table[row.output, j]
                out[f"activation_{name}"] = values
        for _, row in probed if outputs is not None else ():
            histograms[histogram_tags(row, "activation")] = \
                st.numpy_histogram(outputs[row.output], bins)
    if captured is not None:
        table, gradient_histograms = captured
        for i, tag, variable in weighted:
            index = variable_rows[id(variable)]
            for j, name in enumerate(st.VARIABLE_STATISTICS):
                if f"{tag}_{name}" in columns:
                    out.setdefault(f"{tag}_{name}", np.full(count, np.nan))[
                        i] = table[index, j]
            if gradient_histograms is not None:
                histograms[histogram_tags(rows[i], f"{tag}_gradient")] = \
                    gradient_histograms[index]
    return out, histograms


def layer_index_markdown(rows):
    lines = ["| position | layer | class | statistics |", "|---|---|---|---|"]
    for row in rows:
        what = ", ".join(([] if row.output is None else ["activation"])
                         + [tag for tag, _ in row.weights])
        lines.append(f"| {row.position} | {row.name} | {row.class_name} | "
                     f"{what} |")
    return "\n".join(lines)


class RunView:
    """Writes one training run's statistics (see the module)."""

    def __init__(self, run_dir, rows, columns, heatmaps=True,
                 heatmap_budget=0.01):
        self.rows = rows
        self.columns = list(columns)
        self.heatmaps = heatmaps
        self.heatmap_budget = heatmap_budget
        self.writer = events.RunWriter(run_dir)
        self.writer.text(0, LAYERS_TEXT_TAG, layer_index_markdown(rows),
                         description="the logged layers, by position")
        self.writer.tensors(0, {
            NAMES_TAG: np.array([row.name.encode() for row in rows],
                                dtype=object),
            POSITIONS_TAG: np.array([row.position for row in rows], np.int32),
        }, plugin=PLUGIN, content=json.dumps({"version": 1}))
        self.writer.layout(self.layout())
        self.writer.flush()
        self._history = []  # (step, {column: values})
        self._drawn = 0
        self._start = time.perf_counter()
        self._drawing = 0.0
        self._draws = 0

    def step(self, step, columns, histograms=None):
        """Writes one logging step: `columns` maps a column to its value
        per row (NaN where a layer has none)."""
        self.writer.tensors(step, {
            f"per_layer/{column}": np.asarray(values, np.float32)
            for column, values in columns.items()}, plugin=PLUGIN)
        scalars = summarize(columns, self.rows)
        if scalars:
            self.writer.scalars(step, scalars, descriptions=_DESCRIBED)
        if histograms:
            self.writer.histograms(step, histograms)
        self._history.append((step, columns))

    def epoch(self, epoch, logs):
        """Keras's epoch logs, `epoch/<key>`, at step `epoch` as Keras's
        TensorBoard callback writes them."""
        values = {f"epoch/{key}": float(value) for key, value in
                  (logs or {}).items() if np.ndim(value) == 0
                  and math.isfinite(float(value))}
        if values:
            self.writer.scalars(epoch, values)

    def maybe_draw(self, final=False):
        """Redraws the heat maps if new steps came and drawing stays within
        its budget of the training time (always when `final`)."""
        if not self.heatmaps or self._drawn >= len(self._history):
            return
        if not final:
            elapsed = time.perf_counter() - self._start
            cost = self._drawing / max(1, self._draws)
            if self._drawing + cost > self.heatmap_budget * elapsed:
                return
        start = time.perf_counter()
        steps = [step for step, _ in self._history]
        for name, (column, log, limits, title) in HEATMAPS.items():
            grid = np.array([columns.get(column, np.full(len(self.rows),
                                                         np.nan))
                             for _, columns in self._history]).T
            keep = np.flatnonzero(np.isfinite(grid).any(axis=1))
            if not keep.size:
                continue
            vmin, vmax = limits if limits else (None, None)
            png = heatmap_png(grid[keep], [self.rows[i].label for i in keep],
                              steps, title, log=log, vmin=vmin, vmax=vmax)
            self.writer.image(steps[-1], f"by_layer/{name}", png,
                              description=(
                                  f"{title}: a row per layer (top: input "
                                  "side), a column per logging step; the "
                                  "lowest and highest layers at the last "
                                  "step are marked and named"))
        self.writer.flush()
        self._drawn = len(self._history)
        self._draws += 1
        self._drawing += time.perf_counter() - start

    def flush(self):
        self.writer.flush()

    def close(self):
        self.writer.close()

    def layout(self):
        """A custom-scalars layout: a chart per `across_layers/` statistic
        logged, a line per run."""
        present = set(self.columns)
        charts = {"across_layers": [
            name for name, column, _ in SUMMARY if column in present]}
        return events.chart_layout(charts)


def histogram_tags(row, kind):
    """The tag of a layer's histogram (`kind`: `activation` or
    `<weight>_gradient`)."""
    return f"histograms/{row.position:03d}-{row.name}/{kind}"


def run_dir_of(log_dir, subdir):
    return os.path.join(log_dir, subdir) if subdir else log_dir

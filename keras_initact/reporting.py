"""Reading `LayerStats` logs back: a table and PNG figures.

    table, figures = keras_initact.report("logs")
    keras-initact report logs            # the same from the command line

Event files are read with tbparse (TensorBoard's own reader underneath);
nothing here parses protobufs by hand.
"""

import os
import re
import sys

import numpy as np

from keras_initact.files import save_figure

FIGURES = {
    "activation_std": "activation_std_heatmap.png",
    "activation_dead_fraction": "dead_fraction_heatmap.png",
    "kernel_gradient_norm": "gradient_norm.png",
    "kernel_update_ratio": "update_ratio.png",
}


def _natural_key(text):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def read_logs(log_dir):
    """Every scalar in the event files under `log_dir` as a pandas DataFrame
    with columns `step, tag, value, dir_name, statistic, name, position`.

    A `LayerStats` run's per-layer values (its `per_layer/` tensors) give a
    row per layer and step: `statistic` is the column (`activation_std`,
    `kernel_update_ratio`), `name` the layer and `position` its place in
    the model. Any other scalar (`across_layers/...`, Keras's
    `epoch_loss`) gives a row whose `statistic` is the tag up to its first
    `/`, `name` the rest and `position` -1. Histograms are in
    `table.attrs["histograms"]`, a DataFrame whose `value` holds `(bins, 3)`
    arrays `[left, right, count]` (and whose `name` and `position` are the
    layer's for `LayerStats`'s `histograms/` tags).

    Raises `ValueError` when `log_dir` does not exist or holds no events.
    """
    import pandas as pd
    from tbparse import SummaryReader

    if not isinstance(log_dir, (str, os.PathLike)):
        raise TypeError(f"report: `log_dir` must be a folder path; received "
                        f"log_dir={log_dir!r}.")
    log_dir = os.fspath(log_dir)
    if not os.path.isdir(log_dir):
        raise ValueError(f"report: no log directory log_dir={log_dir!r}.")
    has_events = any(
        name.startswith("events.out.tfevents")
        for _, _, files in os.walk(log_dir) for name in files)
    if not has_events:
        raise ValueError(
            f"report: no TensorBoard event files under {log_dir!r}; train "
            "with keras_initact.callbacks.LayerStats(log_dir) first.")
    reader = SummaryReader(log_dir, pivot=False, extra_columns={"dir_name"})
    frames = [f for f in (reader.scalars, reader.tensors) if len(f)]
    columns = ["step", "tag", "value", "dir_name"]
    if not frames:
        raise ValueError(f"report: the event files under {log_dir!r} hold "
                         "no scalars or tensors.")
    data = pd.concat([f.reindex(columns=columns) for f in frames],
                     ignore_index=True)
    data["dir_name"] = data["dir_name"].fillna("")
    is_scalar = data["value"].map(
        lambda v: isinstance(v, (int, float, np.number)) and np.ndim(v) == 0)
    histograms = data[data["value"].map(
        lambda v: isinstance(v, np.ndarray) and v.ndim == 2
        and v.shape[-1] == 3)].copy()
    table = data[is_scalar].copy()
    table["value"] = table["value"].astype(float)
    parts = table["tag"].str.split("/", n=1)
    table["statistic"] = parts.str[0]
    table["name"] = parts.str[1].fillna("")
    table["position"] = -1
    table = pd.concat([table, _per_layer_rows(data)], ignore_index=True)
    _name_histograms(histograms)
    table = table.sort_values(["statistic", "position", "name", "dir_name",
                               "step"], ignore_index=True)
    table.attrs["histograms"] = histograms.reset_index(drop=True)
    return table


def _per_layer_rows(data):
    """A row per layer and step from `LayerStats`'s `per_layer/` tensors."""
    import pandas as pd

    from keras_initact.events import PER_LAYER_NAMES as NAMES_TAG
    from keras_initact.events import PER_LAYER_POSITIONS as POSITIONS_TAG

    per_layer = data[data["tag"].str.startswith("per_layer/")]
    rows = []
    for run, run_data in per_layer.groupby("dir_name"):
        names = run_data[run_data["tag"] == NAMES_TAG]["value"]
        positions = run_data[run_data["tag"] == POSITIONS_TAG]["value"]
        if names.empty or positions.empty:
            continue
        names = [n.decode() if isinstance(n, bytes) else str(n)
                 for n in names.iloc[-1]]
        positions = [int(p) for p in positions.iloc[-1]]
        values = run_data[~run_data["tag"].isin([NAMES_TAG, POSITIONS_TAG])]
        if values.empty:
            continue
        grid = np.stack([np.ravel(v) for v in values["value"]]).astype(float)
        events, layers = np.nonzero(~np.isnan(grid))
        tags = values["tag"].to_numpy()[events]
        rows.append(pd.DataFrame({
            "step": values["step"].to_numpy()[events], "tag": tags,
            "value": grid[events, layers], "dir_name": run,
            "statistic": [tag.split("/", 1)[1] for tag in tags],
            "name": np.asarray(names, dtype=object)[layers],
            "position": np.asarray(positions)[layers]}))
    columns = ["step", "tag", "value", "dir_name", "statistic", "name",
               "position"]
    return pd.concat(rows, ignore_index=True) if rows \
        else pd.DataFrame(columns=columns)


_HISTOGRAM_TAG = re.compile(r"^histograms/(\d+)-(.+)/([^/]+)$")


def _name_histograms(frame):
    """`statistic`, `name` and `position` of histogram rows."""
    parts = frame["tag"].str.extract(_HISTOGRAM_TAG)
    frame["statistic"] = parts[2].fillna(frame["tag"])
    frame["name"] = parts[1].fillna("")
    frame["position"] = parts[0].fillna(-1).astype(int)


def _series(table, statistic):
    """The statistic as a grid, a row per layer (in depth order, prefixed
    by the experiment when several share the log folder) and a column per
    step."""
    rows = table[(table["statistic"] == statistic) & (table["position"] >= 0)]
    if rows.empty:
        return None
    rows = rows.copy()
    experiment = rows["dir_name"]
    several = experiment.nunique() > 1
    rows["label"] = (experiment + ":" + rows["name"]) if several \
        else rows["name"]
    order = {label: (exp, position, _natural_key(label)) for label, exp,
             position in zip(rows["label"], experiment, rows["position"])}
    grid = rows.pivot_table(index="label", columns="step", values="value",
                            aggfunc="last")
    return grid.reindex(sorted(grid.index, key=order.__getitem__))


def _heatmap(grid, title, path, colorbar_label, log=False, vmin=None,
             vmax=None):
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    values = grid.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(max(6.0, min(14.0, 0.12 * values.shape[1]
                                                  + 4)),
                                    max(2.5, 0.35 * values.shape[0] + 1.5)))
    finite = values[np.isfinite(values)]
    norm = None
    if log and finite.size and (finite > 0).all():
        norm = LogNorm(vmin=finite.min(), vmax=max(finite.max(),
                                                   finite.min() * 1.0001))
        vmin = vmax = None
    image = ax.imshow(values, aspect="auto", interpolation="nearest",
                      cmap="viridis", norm=norm, vmin=vmin, vmax=vmax)
    steps = grid.columns.to_numpy()
    ticks = np.unique(np.linspace(0, len(steps) - 1,
                                  min(len(steps), 8)).round().astype(int))
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(steps[i]) for i in ticks])
    ax.set_yticks(range(len(grid.index)))
    ax.set_yticklabels(grid.index, fontsize=8)
    ax.set_xlabel("step")
    ax.set_ylabel("layer")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=colorbar_label)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
    plt.close(fig)


def _lines(grid, title, path, ylabel, hline=None):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.set_prop_cycle(color=plt.cm.tab20(np.linspace(0, 1, 20)))
    for label, row in grid.iterrows():
        row = row.dropna()
        ax.plot(row.index, row.to_numpy(), marker=".", label=label)
    values = grid.to_numpy(dtype=float)
    if (values[np.isfinite(values)] > 0).any():
        ax.set_yscale("log")
    if hline is not None:
        ax.axhline(hline, color="black", linestyle="--", linewidth=1,
                   label=f"{hline:g}")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
    plt.close(fig)


def report(log_dir, out_dir=None):
    """Reads the event files under `log_dir` into a table and draws the
    figures a person checks first:

    * `activation_std_heatmap.png`: activation std, layers x steps (log
      colour scale): a vanishing or exploding signal shows as a colour
      gradient down the layers;
    * `dead_fraction_heatmap.png`: fraction of dead units, layers x steps;
    * `gradient_norm.png`: kernel gradient norm per layer over steps;
    * `update_ratio.png`: kernel `‖ΔW‖/‖W‖` per layer, with the 1e-3 rule
      of thumb.

    A figure is drawn only when its statistic was logged.

    Args:
        log_dir: the directory given to `LayerStats` (and maybe
            `keras.callbacks.TensorBoard`).
        out_dir: where to write the PNGs (default: `log_dir`).

    Returns:
        `(table, figures)`: the DataFrame of `read_logs` and the list of the
        PNG paths written.
    """
    import matplotlib

    matplotlib.use("Agg")
    table = read_logs(log_dir)
    out_dir = os.fspath(out_dir if out_dir is not None else log_dir)
    os.makedirs(out_dir, exist_ok=True)
    figures = []
    for statistic, filename in FIGURES.items():
        grid = _series(table, statistic)
        if grid is None or grid.empty:
            continue
        path = os.path.join(out_dir, filename)
        if statistic == "activation_std":
            _heatmap(grid, "Activation std on the probe batch", path,
                     "std (log scale)", log=True)
        elif statistic == "activation_dead_fraction":
            _heatmap(grid, "Fraction of dead units on the probe batch", path,
                     "dead fraction", vmin=0.0, vmax=1.0)
        elif statistic == "kernel_gradient_norm":
            _lines(grid, "Kernel gradient norm per layer", path, "L2 norm")
        else:
            _lines(grid, "Kernel update ratio ‖ΔW‖/‖W‖ per layer", path,
                   "update ratio", hline=1e-3)
        figures.append(path)
    return table, figures


def add_parser(commands):
    """Adds `report LOG_DIR [--out-dir DIR]` to an argparse subparsers
    object (the `keras-initact` command line)."""
    parser = commands.add_parser(
        "report", help="summarize LayerStats logs: table and PNG figures")
    parser.add_argument("log_dir", help="the TensorBoard log directory")
    parser.add_argument("--out-dir", default=None,
                        help="where to write the figures (default: LOG_DIR)")
    parser.set_defaults(handler=report_command)
    return parser


def report_command(args):
    try:
        table, figures = report(args.log_dir, args.out_dir)
    except ValueError as error:
        print(f"keras-initact report: error: {error}", file=sys.stderr)
        return 2
    last = table.sort_values("step").groupby(
        ["dir_name", "tag", "name"]).tail(1)
    print(f"{len(table)} scalar points, {table['tag'].nunique()} tags, "
          f"steps {int(table['step'].min())}..{int(table['step'].max())}")
    for statistic in FIGURES:
        rows = last[last["statistic"] == statistic]
        if len(rows):
            print(f"{statistic} at the last step:")
            for _, row in rows.iterrows():
                print(f"  {row['name']:40s} {row['value']:.4g}")
    for path in figures:
        print(f"wrote {path}")
    return 0

"""The comparison's outputs: the results table (Markdown and CSV) and its
figures (learning curves, accuracy heat map). Every file is written
atomically."""

import math
import os

import numpy as np

from keras_initact._files import atomic_path, save_figure, write_text


def results_frame(results, target_accuracy):
    """A `pandas.DataFrame`, one row per cell, in grid order."""
    import pandas as pd

    return pd.DataFrame([r.row(target_accuracy) for r in results])


def to_markdown(frame):
    """The table as GitHub Markdown, numbers rounded for reading."""
    shown = frame.copy()
    for column in shown.columns:
        if column.endswith(("accuracy", "loss", "fraction")):
            shown[column] = shown[column].map(_format(3))
        elif column == "wall_time_s":
            shown[column] = shown[column].map(_format(1))
        elif column.startswith("epochs_to_"):
            shown[column] = shown[column].map(
                lambda v: "-" if v is None or (isinstance(v, float) and math.isnan(v))
                else str(int(v)))
    if not shown["error"].astype(bool).any():
        shown = shown.drop(columns="error")
    return shown.to_markdown(index=False)


def _format(digits):
    def fmt(value):
        return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"
    return fmt


def write_table(frame, directory):
    """Writes `results.md` and `results.csv`; returns their paths."""
    markdown = os.path.join(directory, "results.md")
    csv = os.path.join(directory, "results.csv")
    write_text(markdown, to_markdown(frame) + "\n")
    with atomic_path(csv) as tmp:
        frame.to_csv(tmp, index=False)
    return markdown, csv


def plot_learning_curves(results, path):
    """Test accuracy per epoch, one panel per depth: colour is the
    activation, line style the initializer; one legend for all panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    depths = sorted({r.cell.depth for r in results})
    inits = list(dict.fromkeys(r.cell.init for r in results))
    activations = list(dict.fromkeys(r.cell.activation for r in results))
    colours = plt.cm.tab10(np.arange(len(activations)) % 10)
    styles = ["-", "--", ":", "-.", (0, (5, 1)), (0, (1, 3)), (0, (3, 1, 1, 1))]
    fig, axes = plt.subplots(1, len(depths), figsize=(5 * len(depths) + 2.5, 4.2),
                             squeeze=False, sharey=True)
    for ax, depth in zip(axes[0], depths):
        for r in results:
            accuracies = r.history.get("val_accuracy")
            if r.cell.depth != depth or not accuracies:
                continue
            ax.plot(range(1, len(accuracies) + 1), accuracies,
                    color=colours[activations.index(r.cell.activation)],
                    linestyle=styles[inits.index(r.cell.init) % len(styles)],
                    label=f"{r.cell.init} + {r.cell.activation}")
        ax.set_title(f"depth {depth}")
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("test accuracy")
    handles, labels = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    fig.legend(handles, labels, fontsize=7, loc="center left",
               bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    save_figure(fig, path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_heatmap(results, path):
    """Final test accuracy of initializer (rows) x activation (columns),
    one panel per depth; failed and diverged cells are marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inits = list(dict.fromkeys(r.cell.init for r in results))
    activations = list(dict.fromkeys(r.cell.activation for r in results))
    depths = sorted({r.cell.depth for r in results})
    fig, axes = plt.subplots(
        1, len(depths), squeeze=False,
        figsize=(1.2 * len(activations) * len(depths) + 2.5, 0.5 * len(inits) + 2))
    for ax, depth in zip(axes[0], depths):
        values = np.full((len(inits), len(activations)), np.nan)
        labels = np.full(values.shape, "", dtype=object)
        for r in results:
            if r.cell.depth != depth:
                continue
            i, j = inits.index(r.cell.init), activations.index(r.cell.activation)
            values[i, j] = r.final_accuracy if r.status == "ok" else np.nan
            labels[i, j] = (f"{r.final_accuracy:.2f}" if r.status == "ok"
                            else r.status)
        image = ax.imshow(values, vmin=0.0, vmax=1.0, cmap="viridis",
                          aspect="auto")
        for (i, j), label in np.ndenumerate(labels):
            value = values[i, j]
            ax.text(j, i, label, ha="center", va="center", fontsize=8,
                    color="black" if np.isfinite(value) and value > 0.6 else "white")
        ax.set_xticks(range(len(activations)))
        ax.set_xticklabels(activations, rotation=30, ha="right")
        ax.set_yticks(range(len(inits)))
        ax.set_yticklabels(inits if ax is axes[0][0] else [])
        ax.set_title(f"final test accuracy, depth {depth}")
    fig.colorbar(image, ax=list(axes[0]), label="test accuracy")
    save_figure(fig, path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path

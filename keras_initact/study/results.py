"""The comparison's outputs: the results table (Markdown and CSV) and its
figures (learning curves, accuracy heat map). Every file is written
atomically."""

import math
import os

import numpy as np

from keras_initact._files import atomic_path, save_figure, write_text


CONFIDENCE = 0.95
SIGNIFICANCE = 0.05  # of the paired test's p-value
BETTER, WORSE, SAME = "better", "worse", "no detectable difference"


def results_frame(results, target_accuracy):
    """A `pandas.DataFrame`, one row per run (cell and seed), in grid
    order."""
    import pandas as pd

    return pd.DataFrame([r.row(target_accuracy) for r in results])


def interval(values, confidence=CONFIDENCE):
    """`n`, `mean`, `std` (sample) and the Student-t confidence interval
    `low`, `high` of the mean, of the finite `values`; NaN where there are
    too few (an interval needs two)."""
    from scipy import stats

    values = np.asarray([v for v in values
                         if v is not None and math.isfinite(v)], dtype=float)
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    if n < 2:
        return {"n": n, "mean": mean, "std": math.nan, "low": math.nan,
                "high": math.nan}
    std = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
    return {"n": n, "mean": mean, "std": std, "low": mean - half,
            "high": mean + half}


def summary_frame(results, target_accuracy):
    """One row per initialization x activation x depth, over its seeds:
    runs, how many ended `ok`, and for the final and best test accuracy and
    the epochs to the target, the mean, std and 95% interval (runs that
    failed or diverged count in `runs` only; epochs to the target are those
    of the runs that reached it, counted in `reached`)."""
    import pandas as pd

    rows = []
    for group, runs in _groups(results).items():
        ok = [r for r in runs if r.status == "ok"]
        row = dict(zip(("init", "activation", "depth"), group))
        row.update(runs=len(runs), ok=len(ok),
                   seeds=",".join(str(r.cell.seed) for r in runs))
        for name, values in (
                ("final_test_accuracy", [r.final_accuracy for r in ok]),
                ("best_test_accuracy", [r.best_accuracy for r in ok]),
                (f"epochs_to_{target_accuracy:g}",
                 [r.epochs_to_target for r in ok
                  if r.epochs_to_target is not None])):
            stats = interval(values)
            row.update({f"{name}_{key}": stats[key]
                        for key in ("mean", "std", "low", "high")})
        row["reached"] = sum(r.epochs_to_target is not None for r in ok)
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_frame(results, baseline):
    """Each initialization against `baseline` on the same activation, depth
    and seeds: the mean paired difference of the final test accuracy, its
    95% interval, the paired t-test's p-value (SciPy's `ttest_rel`) and a
    verdict: `better` or `worse` when p < 0.05, else `no detectable
    difference`. Only seeds where both runs ended `ok` pair up; fewer than
    two pairs give no verdict."""
    import pandas as pd
    from scipy import stats

    groups = _groups(results)
    rows = []
    for (init, activation, depth), runs in groups.items():
        reference = groups.get((baseline, activation, depth))
        if init == baseline or reference is None:
            continue
        theirs = {r.cell.seed: r.final_accuracy for r in reference
                  if r.status == "ok"}
        pairs = [(r.final_accuracy, theirs[r.cell.seed]) for r in runs
                 if r.status == "ok" and r.cell.seed in theirs]
        differences = [ours - base for ours, base in pairs]
        summary = interval(differences)
        p_value, verdict = math.nan, "n/a: fewer than 2 paired seeds"
        if len(pairs) >= 2:
            if summary["std"] == 0:  # identical differences: no variance
                p_value = 1.0 if summary["mean"] == 0 else 0.0
            else:
                p_value = float(stats.ttest_rel(*zip(*pairs)).pvalue)
            verdict = SAME if p_value >= SIGNIFICANCE else (
                BETTER if summary["mean"] > 0 else WORSE)
        rows.append({"init": init, "baseline": baseline,
                     "activation": activation, "depth": depth,
                     "pairs": len(pairs),
                     "difference_mean": summary["mean"],
                     "difference_low": summary["low"],
                     "difference_high": summary["high"],
                     "p_value": p_value, "verdict": verdict})
    return pd.DataFrame(rows)


def _groups(results):
    groups = {}
    for result in results:
        groups.setdefault(result.cell.group, []).append(result)
    return groups


def summary_markdown(summary, comparisons, target_accuracy):
    """The study's answer as Markdown: mean ± std [95% interval] per cell,
    then the paired comparisons with their verdicts."""
    epochs = f"epochs_to_{target_accuracy:g}"

    def estimate(row, name, digits=3):
        mean, std = row[f"{name}_mean"], row[f"{name}_std"]
        if not math.isfinite(mean):
            return "-"
        if not math.isfinite(std):
            return f"{mean:.{digits}f}"
        return (f"{mean:.{digits}f} ± {std:.{digits}f} "
                f"[{row[f'{name}_low']:.{digits}f}, "
                f"{row[f'{name}_high']:.{digits}f}]")

    lines = [
        "| depth | init | activation | ok/runs | final test accuracy | best "
        f"test accuracy | epochs to {target_accuracy:g} (reached) |",
        "|---|---|---|---|---|---|---|"]
    for _, row in summary.sort_values(["depth"], kind="stable").iterrows():
        lines.append(
            f"| {row['depth']} | {row['init']} | {row['activation']} | "
            f"{row['ok']}/{row['runs']} | "
            f"{estimate(row, 'final_test_accuracy')} | "
            f"{estimate(row, 'best_test_accuracy')} | "
            f"{estimate(row, epochs, 1)} ({row['reached']}) |")
    if len(comparisons):
        lines += ["", f"Against {comparisons['baseline'].iloc[0]} (paired "
                  "over seeds; final test accuracy):", "",
                  "| depth | activation | init | pairs | difference [95% "
                  "interval] | p | verdict |", "|---|---|---|---|---|---|---|"]
        for _, row in comparisons.sort_values(["depth"], kind="stable") \
                .iterrows():
            difference = "-" if not math.isfinite(row["difference_mean"]) \
                else (f"{row['difference_mean']:+.3f}" + (
                    "" if not math.isfinite(row["difference_low"]) else
                    f" [{row['difference_low']:+.3f}, "
                    f"{row['difference_high']:+.3f}]"))
            p_value = "-" if not math.isfinite(row["p_value"]) \
                else f"{row['p_value']:.3g}"
            lines.append(
                f"| {row['depth']} | {row['activation']} | {row['init']} | "
                f"{row['pairs']} | {difference} | {p_value} | "
                f"{row['verdict']} |")
    return "\n".join(lines)


def to_markdown(frame):
    """The per-run table as GitHub Markdown, numbers rounded for reading."""
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


def write_tables(results, baseline, target_accuracy, directory):
    """Writes `results.md` (the summary with intervals, the comparisons,
    then every run), `results.csv` (every run), `summary.csv` and
    `comparisons.csv`; returns `{name: path}`."""
    runs = results_frame(results, target_accuracy)
    summary = summary_frame(results, target_accuracy)
    comparisons = comparison_frame(results, baseline)
    paths = {name: os.path.join(directory, f"{name}.csv")
             for name in ("results", "summary", "comparisons")}
    for name, frame in (("results", runs), ("summary", summary),
                        ("comparisons", comparisons)):
        with atomic_path(paths[name]) as tmp:
            frame.to_csv(tmp, index=False)
    paths["markdown"] = os.path.join(directory, "results.md")
    write_text(paths["markdown"],
               summary_markdown(summary, comparisons, target_accuracy)
               + "\n\nEvery run:\n\n" + to_markdown(runs) + "\n")
    return paths, summary, comparisons


def plot_learning_curves(results, path):
    """Test accuracy per epoch, one panel per depth: colour is the
    activation, line style and marker the initializer; the line is the mean
    over seeds and the band its 95% interval, cut to [0, 1] where accuracy
    lives (runs that stopped early count while they ran). One legend for all
    panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    groups = _groups(results)
    depths = sorted({depth for _, _, depth in groups})
    inits = list(dict.fromkeys(init for init, _, _ in groups))
    activations = list(dict.fromkeys(act for _, act, _ in groups))
    colours = plt.cm.tab10(np.arange(len(activations)) % 10)
    styles = ["-", "--", ":", "-.", (0, (8, 2, 1, 2)), (0, (1, 3)),
              (0, (3, 1, 1, 1, 1, 1))]
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    fig, axes = plt.subplots(1, len(depths), figsize=(5 * len(depths) + 2.5, 4.2),
                             squeeze=False, sharey=True)
    for ax, depth in zip(axes[0], depths):
        for (init, activation, d), runs in groups.items():
            curves = [r.history.get("val_accuracy") for r in runs
                      if r.cell.depth == depth and r.history.get("val_accuracy")]
            if d != depth or not curves:
                continue
            epochs = max(map(len, curves))
            stats = [interval([c[e] for c in curves if len(c) > e])
                     for e in range(epochs)]
            x = np.arange(1, epochs + 1)
            colour = colours[activations.index(activation)]
            style = inits.index(init)
            ax.plot(x, [s["mean"] for s in stats], color=colour,
                    linestyle=styles[style % len(styles)],
                    marker=markers[style % len(markers)], markersize=3.5,
                    markevery=max(1, epochs // 6), label=f"{init} + {activation}")
            low = np.array([s["low"] for s in stats])
            if np.isfinite(low).any():
                high = np.array([s["high"] for s in stats])
                ax.fill_between(x, np.clip(low, 0.0, 1.0),
                                np.clip(high, 0.0, 1.0),
                                color=colour, alpha=0.15, linewidth=0)
        ax.set_title(f"depth {depth}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(-0.02, 1.02)
        ax.grid(True, alpha=0.3)
    seeds = max(len(runs) for runs in groups.values())
    axes[0][0].set_ylabel("test accuracy" + (
        f" (mean of {seeds} seeds, 95% band)" if seeds > 1 else ""))
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
    """Mean final test accuracy of initializer (rows) x activation
    (columns), one panel per depth, each cell labelled with its mean and,
    over several seeds, the half-width of its 95% interval; cells where a
    run failed or diverged say how many."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = _groups(results)
    inits = list(dict.fromkeys(init for init, _, _ in groups))
    activations = list(dict.fromkeys(act for _, act, _ in groups))
    depths = sorted({depth for _, _, depth in groups})
    # At least 2.2 inches a panel, so that its title fits with one activation.
    fig, axes = plt.subplots(
        1, len(depths), squeeze=False,
        figsize=(max(1.5 * len(activations), 2.2) * len(depths) + 2.5,
                 0.55 * len(inits) + 2))
    fig.suptitle("final test accuracy (mean, ± 95% interval)")
    for ax, depth in zip(axes[0], depths):
        values = np.full((len(inits), len(activations)), np.nan)
        labels = np.full(values.shape, "", dtype=object)
        for (init, activation, d), runs in groups.items():
            if d != depth:
                continue
            i, j = inits.index(init), activations.index(activation)
            stats = interval([r.final_accuracy for r in runs
                              if r.status == "ok"])
            values[i, j] = stats["mean"]
            label = "-" if not stats["n"] else f"{stats['mean']:.2f}"
            if math.isfinite(stats["high"]):
                label += f"\n±{stats['high'] - stats['mean']:.2f}"
            bad = len(runs) - stats["n"]
            if bad:
                label += f"\n{bad} of {len(runs)} not ok"
            labels[i, j] = label
        image = ax.imshow(values, vmin=0.0, vmax=1.0, cmap="viridis",
                          aspect="auto")
        for (i, j), label in np.ndenumerate(labels):
            value = values[i, j]
            ax.text(j, i, label, ha="center", va="center", fontsize=7,
                    color="black" if np.isfinite(value) and value > 0.6 else "white")
        ax.set_xticks(range(len(activations)))
        ax.set_xticklabels(activations, rotation=30, ha="right")
        ax.set_yticks(range(len(inits)))
        ax.set_yticklabels(inits if ax is axes[0][0] else [])
        ax.set_title(f"depth {depth}")
    fig.colorbar(image, ax=list(axes[0]), label="mean test accuracy")
    save_figure(fig, path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path

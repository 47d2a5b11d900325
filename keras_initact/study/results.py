"""The comparison's figures: learning curves and the accuracy heat map,
saved atomically as PNG files. The numbers they draw are those of the
tables (`keras_initact.study.tables`), with the same meaning of "±" and of
the intervals (`keras_initact.study.statistics`).

This module is also where `compare` finds all of its outputs: the tables
and the statistics are re-exported here (`results.summary_frame`,
`results.write_tables`, `results.accuracy_interval`, ...)."""

import itertools
import math

import numpy as np

from keras_initact.files import save_figure
from keras_initact.study.grid import setting_label
from keras_initact.study.statistics import (  # noqa: F401  (re-exported)
    CONFIDENCE, LOGIT_EPS, PLUS_MINUS, accuracy_interval, epochs_to_target,
    finite, interval, km_median,
)
from keras_initact.study.tables import (  # noqa: F401  (re-exported)
    BETTER, SAME, SIGNIFICANCE, WORSE, by_group, comparison_frame,
    results_frame, summary_frame, summary_markdown, to_markdown,
    write_tables,
)

FONT_SIZE = 10  # points, at the saved size: text, ticks, legends
BANDS_UP_TO = 8  # curves a panel; more draw no interval bands


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _seeds(groups):
    return max(len(runs) for runs in groups.values())


PANELS_PER_ROW = 4


def _panels(groups):
    """The panels of a figure: each depth's settings (`Cell.setting`), in
    depth order, then as the grid lists them."""
    return sorted(dict.fromkeys((group[2], group[3]) for group in groups),
                  key=lambda panel: panel[0])


def _panel_title(panel):
    depth, setting = panel
    label = setting_label(setting)
    return f"depth {depth}" + (f"\n{label}" if label else "")


def _grid_of(plt, panels, width, height, **kwargs):
    """Axes for the panels, at most `PANELS_PER_ROW` a row; the unused ones
    hidden. Returns `(figure, axes by panel, the axes array)`."""
    columns = min(len(panels), PANELS_PER_ROW)
    rows = math.ceil(len(panels) / columns)
    figure, axes = plt.subplots(rows, columns, squeeze=False,
                                figsize=(width * columns + kwargs.pop(
                                    "extra_width", 0), height * rows),
                                **kwargs)
    flat = list(axes.flat)
    for ax in flat[len(panels):]:
        ax.set_visible(False)
    return figure, dict(zip(panels, flat)), axes


def plot_learning_curves(results, path):
    """Test accuracy per epoch, one panel per depth: colour is the
    initializer, line style and marker the activation; the line is the mean
    over seeds and the band the 95% interval of that mean
    (`accuracy_interval`: Student-t on the logit scale, inside [0, 1]);
    runs that stopped early count while they ran. Each panel's y axis fits
    its own mean curves with a margin (of 8% of their range, at least
    0.005), so that close curves stay apart and a failing cell widens
    only its own panel. A panel of more than `BANDS_UP_TO` curves draws
    no bands (overlaid, they hide the lines; results.md has the
    intervals), and the title says so. One two-part legend (initializer,
    activation) for all panels, in 10 pt."""
    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    groups = by_group(results)
    panels = _panels(groups)
    inits = list(dict.fromkeys(group[0] for group in groups))
    activations = list(dict.fromkeys(group[1] for group in groups))
    colours = [plt.cm.tab10(i % 10) for i in range(len(inits))]
    styles = ["-", "--", ":", "-.", (0, (8, 2, 1, 2)), (0, (1, 3)),
              (0, (3, 1, 1, 1, 1, 1))]
    markers = ["o", "s", "^", "D", "v", "P", "X"]

    def look(activation):
        k = activations.index(activation)
        return styles[k % len(styles)], markers[k % len(markers)]

    fig, by_panel, axes = _grid_of(plt, panels, 5.2, 4.4)
    counts = [sum((group[2], group[3]) == panel for group in groups)
              for panel in panels]
    bands = max(counts) <= BANDS_UP_TO
    shown = set()  # what the legend lists: the drawn curves' parts
    for panel, ax in by_panel.items():
        drawn = []
        for (init, activation, *where), runs in groups.items():
            curves = [r.history.get("val_accuracy") for r in runs
                      if r.history.get("val_accuracy")]
            if tuple(where) != panel or not curves:
                continue
            epochs = max(map(len, curves))
            stats = [accuracy_interval([c[e] for c in curves if len(c) > e])
                     for e in range(epochs)]
            x = np.arange(1, epochs + 1)
            mean = np.array([s["mean"] for s in stats])
            drawn.append(mean)
            shown.update((init, activation))
            colour = colours[inits.index(init)]
            style, marker = look(activation)
            step = max(1, epochs // 5)  # about 5 markers, staggered
            ax.plot(x, mean, color=colour, linestyle=style, linewidth=1.8,
                    marker=marker, markersize=5,
                    markevery=(activations.index(activation) % step, step),
                    label=f"{init} + {activation}")
            low = np.array([s["low"] for s in stats])
            if bands and np.isfinite(low).any():
                high = np.array([s["high"] for s in stats])
                ax.fill_between(x, low, high, color=colour, alpha=0.09,
                                linewidth=0)
        if drawn:
            values = np.concatenate(drawn)
            lo, hi = np.nanmin(values), np.nanmax(values)
            margin = max(0.08 * (hi - lo), 0.005)
            ax.set_ylim(max(lo - margin, -0.01), min(hi + margin, 1.01))
        ax.set_title(_panel_title(panel), fontsize=FONT_SIZE + 1)
        ax.set_xlabel("epoch", fontsize=FONT_SIZE)
        ax.tick_params(labelsize=FONT_SIZE)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
    for row in axes:
        row[0].set_ylabel("test accuracy", fontsize=FONT_SIZE)
    seeds = _seeds(groups)
    band = ("band: 95% interval of the mean (t on the logit scale)"
            if bands else f"no bands: over {BANDS_UP_TO} curves a panel")
    fig.suptitle("Test accuracy per epoch, " + (
        f"mean of {seeds} seeds\n{band}; " if seeds > 1 else "1 seed\n")
        + "y axis fitted to each panel", fontsize=FONT_SIZE)
    inits_shown = [i for i in inits if i in shown]
    activations_shown = [a for a in activations if a in shown]
    by_init = [Line2D([], [], color=colours[inits.index(i)], linewidth=2.5)
               for i in inits_shown]
    by_activation = [Line2D([], [], color="0.25", linestyle=look(a)[0],
                            marker=look(a)[1], markersize=5, linewidth=1.8)
                     for a in activations_shown]
    fig.tight_layout()
    first = fig.legend(by_init, inits_shown, title="initializer (colour)",
                       fontsize=FONT_SIZE, title_fontsize=FONT_SIZE,
                       loc="upper left", bbox_to_anchor=(1.0, 0.9),
                       handlelength=2.5)
    fig.legend(by_activation, activations_shown,
               title="activation (line)",
               fontsize=FONT_SIZE, title_fontsize=FONT_SIZE,
               loc="upper left", bbox_to_anchor=(1.0, 0.45),
               handlelength=3.5)
    fig.add_artist(first)
    save_figure(fig, path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def colour_limits(values):
    """Where a heat map's colour scale starts and ends: the robust min–max
    of the finite `values`, that is their minimum and maximum after
    Tukey's fences (Q1 − 1.5·IQR, Q3 + 1.5·IQR) set aside the outliers.
    With a few cells at chance among many at 0.89–0.93, the 0–1 or plain
    min–max scale paints the good cells one colour; cut to the fences, the
    scale spans the good cells and the outliers take the end colours (the
    colour bar marks them). A percentile cut (2–98%) would not do this
    with the dozen cells a study has. Equal values get a 0.01-wide scale
    around them."""
    values = finite(values)
    if not len(values):
        return 0.0, 1.0
    q1, q3 = np.percentile(values, [25, 75])
    fence = 1.5 * (q3 - q1)
    inside = values[(values >= q1 - fence) & (values <= q3 + fence)]
    low, high = float(inside.min()), float(inside.max())
    if high - low < 1e-3:
        low, high = low - 0.005, high + 0.005
    return low, high


def _decimals(low, high):
    """3 decimals (as the tables), or 4 where the colour scale spans less
    than 0.01: 3 would show cells alike whose colours differ."""
    return 3 if high - low >= 0.01 else 4


def plot_heatmap(results, path):
    """Mean final test accuracy of initializer (rows) x activation
    (columns), one panel per depth: each cell says its mean ± std over
    the seeds that ended ok (the same "±" as the tables: the sample
    standard deviation, n − 1) and, where runs failed or diverged, how
    many. The colour is the mean, on one scale for all panels fitted to
    the cells (`colour_limits`), and cells beyond it (a failing cell) in
    red (pink above); grey: no run ended ok. The text, in 10 pt, is black
    or white by the cell's lightness, with 3 decimals (4 where 3 would not
    tell apart cells that the colours do)."""
    plt = _pyplot()
    from matplotlib.colors import Normalize

    groups = by_group(results)
    inits = list(dict.fromkeys(group[0] for group in groups))
    activations = list(dict.fromkeys(group[1] for group in groups))
    panels = _panels(groups)
    cells = {group: accuracy_interval([r.final_accuracy for r in runs
                                       if r.status == "ok"])
             for group, runs in groups.items()}
    means = [c["mean"] for c in cells.values()]
    low, high = colour_limits(means)
    norm = Normalize(vmin=low, vmax=high)
    # Cells beyond the scale get colours of their own, not its ends: a
    # failing cell must not look like the worst of the good ones.
    cmap = plt.get_cmap("viridis").with_extremes(
        under="#c0392b", over="#ffd8f0", bad="0.88")
    digits = _decimals(low, high)
    shown = finite(means)
    extend = {(False, False): "neither", (True, False): "min",
              (False, True): "max", (True, True): "both"}[
        (bool(len(shown)) and shown.min() < low,
         bool(len(shown)) and shown.max() > high)]
    # 1.35 x 0.8 inches a cell: room for three lines of 10 pt text.
    fig, by_panel, axes = _grid_of(
        plt, panels, max(1.35 * len(activations), 2.4),
        0.8 * len(inits) + 1.8, extra_width=2.8, layout="constrained")
    for panel, ax in by_panel.items():
        values = np.full((len(inits), len(activations)), np.nan)
        labels = np.full(values.shape, "", dtype=object)
        for group, runs in groups.items():
            init, activation = group[:2]
            if group[2:] != panel:
                continue
            i, j = inits.index(init), activations.index(activation)
            stats = cells[group]
            values[i, j] = stats["mean"]
            label = "-" if not stats["n"] else f"{stats['mean']:.{digits}f}"
            if math.isfinite(stats["std"]):
                label += f"\n± {stats['std']:.{digits}f}"
            bad = len(runs) - stats["n"]
            if bad:
                label += f"\n{bad}/{len(runs)} not ok"
            labels[i, j] = label
        image = ax.imshow(values, norm=norm, cmap=cmap, aspect="auto")
        for (i, j), label in np.ndenumerate(labels):
            value = values[i, j]
            r, g, b, _ = cmap(norm(value))
            light = 0.299 * r + 0.587 * g + 0.114 * b > 0.5
            ax.text(j, i, label, ha="center", va="center",
                    fontsize=FONT_SIZE,
                    color="black" if light else "white")
        ax.set_xticks(range(len(activations)))
        ax.set_xticklabels(activations, rotation=30, ha="right")
        ax.set_yticks(range(len(inits)))
        ax.set_yticklabels(inits if any(ax is row[0] for row in axes)
                           else [])
        ax.tick_params(labelsize=FONT_SIZE)
        ax.set_title(_panel_title(panel), fontsize=FONT_SIZE + 1)
    seeds = _seeds(groups)
    fig.suptitle(f"Final test accuracy: mean ± std over {seeds} seeds\n"
                 "(std: sample standard deviation)" if seeds > 1 else
                 "Final test accuracy (1 seed)", fontsize=FONT_SIZE + 1)
    bar = fig.colorbar(image, ax=list(by_panel.values()), extend=extend)
    bar.set_label("mean test accuracy\n(scale fitted to the cells"
                  + ("; red: below)" if extend in ("min", "both")
                     else ")"), fontsize=FONT_SIZE)
    bar.ax.tick_params(labelsize=FONT_SIZE)
    save_figure(fig, path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def learning_rates_of(results):
    """The learning rates the grid sets (`--learning-rates`), in order."""
    return sorted({r.cell.learning_rate for r in results
                   if r.cell.learning_rate is not None})


def plot_loss_vs_learning_rate(results, path):
    """Final test loss against Adam's learning rate, one line per width,
    one panel per parametrization (columns) and initializer + activation +
    depth (rows): Tensor Programs V's Figure 1 on the study's data. A
    point is the mean over the seeds that ended ok, the band their min to
    max; a star marks each width's best learning rate among the points
    whose every seed ended ok; a cross, a point where some seed diverged
    or failed (the mean of the others; none left: no point). Needs a grid
    with `--learning-rates`."""
    from matplotlib import ticker

    rates = learning_rates_of(results)
    if len(rates) < 2:
        raise ValueError("plot_loss_vs_learning_rate: the grid has "
                         f"{len(rates)} learning rate(s); it needs at least "
                         "2 (--learning-rates).")
    plt = _pyplot()
    groups = by_group(results)
    parametrizations = list(dict.fromkeys(g[3][2] for g in groups))
    rows = list(dict.fromkeys(g[:3] for g in groups))
    widths = list(dict.fromkeys(g[3][0] for g in groups))
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(widths)))
    fig, axes = plt.subplots(len(rows), len(parametrizations), squeeze=False,
                             sharey="row", figsize=(
                                 5.2 * len(parametrizations),
                                 3.6 * len(rows) + 0.8))
    for (i, row), (j, parametrization) in itertools.product(
            enumerate(rows), enumerate(parametrizations)):
        ax = axes[i][j]
        for colour, width in zip(colours, widths):
            points = []
            for group, runs in groups.items():
                setting = group[3]
                if group[:3] != row or setting[0] != width or \
                        setting[2] != parametrization or setting[1] is None:
                    continue
                ok = finite([r.final_loss for r in runs if r.status == "ok"])
                if len(ok):
                    points.append((setting[1], ok.mean(), ok.min(), ok.max(),
                                   len(ok) == len(runs)))
            if not points:
                continue
            points.sort()
            x, mean, low, high, whole = map(np.array, zip(*points))
            label = "the study's width" if width is None else f"width {width}"
            ax.plot(x, mean, color=colour, marker="o", markersize=4,
                    linewidth=1.6, label=label)
            ax.fill_between(x, low, high, color=colour, alpha=0.15,
                            linewidth=0)
            if (~whole).any():
                ax.plot(x[~whole], mean[~whole], linestyle="none",
                        marker="x", markersize=9, color="#c0392b")
            if whole.any():
                best = np.argmin(np.where(whole, mean, np.inf))
                ax.plot([x[best]], [mean[best]], marker="*", markersize=13,
                        color=colour, markeredgecolor="black")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1, 2, 3, 5)))
        ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.tick_params(labelsize=FONT_SIZE - 1, which="both")
        ax.grid(True, alpha=0.3)
        init, activation, depth = row
        ax.set_title(f"{'μP' if parametrization == 'mup' else 'standard'}: "
                     f"{init} + {activation}, depth {depth}",
                     fontsize=FONT_SIZE + 1)
        ax.set_xlabel("Adam learning rate", fontsize=FONT_SIZE)
        if j == 0:
            ax.set_ylabel("final test loss", fontsize=FONT_SIZE)
    handles, labels = axes[0][0].get_legend_handles_labels()
    seeds = _seeds(groups)
    fig.suptitle(f"Final test loss against learning rate, mean of {seeds} "
                 "seed(s) (band: min to max); ★ best per width, × some seed "
                 "diverged", fontsize=FONT_SIZE)
    fig.tight_layout()
    fig.legend(handles, labels, fontsize=FONT_SIZE, loc="upper left",
               bbox_to_anchor=(1.0, 0.9))
    save_figure(fig, path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path

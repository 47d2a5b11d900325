"""The comparison's outputs: the results table (Markdown and CSV) and its
figures (learning curves, accuracy heat map). Every file is written
atomically.

What the numbers mean, the same in every table and figure (each says so):
"±" is the sample standard deviation over seeds (n − 1), the spread of
one run, never an interval's half-width; "[low, high]" is a 95%
confidence interval that lies where the quantity can: of the mean
accuracy, within [0, 1] (`accuracy_interval`); of the median epochs to the
target, within [1, epochs] (`epochs_to_target`); of a paired difference,
within [−1, 1] (`interval`). A run that never reached the target counts,
censored at the epochs it trained for (`km_median`)."""

import math
import os

import numpy as np

from keras_initact.files import atomic_path, save_figure, write_text


CONFIDENCE = 0.95
SIGNIFICANCE = 0.05  # of the paired test's p-value
BETTER, WORSE, SAME = "better", "worse", "no detectable difference"
# Accuracies this close to 0 or 1 are moved to LOGIT_EPS or 1 - LOGIT_EPS
# before the logit (which is infinite at 0 and 1): about one example in a
# 1,000-example test set.
LOGIT_EPS = 1e-3
# What the tables and figures say "±" and "[low, high]" are.
PLUS_MINUS = "± is the sample standard deviation over seeds (n − 1)"


def results_frame(results, target_accuracy):
    """A `pandas.DataFrame`, one row per run (cell and seed), in grid
    order."""
    import pandas as pd

    return pd.DataFrame([r.row(target_accuracy) for r in results])


def _finite(values):
    return np.asarray([v for v in values
                       if v is not None and math.isfinite(v)], dtype=float)


def interval(values, confidence=CONFIDENCE, bounds=(-math.inf, math.inf)):
    """`n`, `mean`, `std` (sample, n − 1) and the Student-t confidence
    interval `low`, `high` of the mean of the finite `values`:
    mean ± t_{(1 + c)/2, n − 1} · std / √n (SciPy's `t.interval`), then
    intersected with `bounds`, the values the mean can take (this keeps
    the coverage: the true mean lies inside `bounds`, so the cut interval
    holds it whenever the whole one does). NaN where there are too few
    values (an interval needs two); equal values give the point [mean,
    mean]."""
    from scipy import stats

    values = _finite(values)
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    if n < 2:
        return {"n": n, "mean": mean, "std": math.nan, "low": math.nan,
                "high": math.nan}
    std = float(values.std(ddof=1))
    low = high = mean
    if std > 0:
        low, high = stats.t.interval(confidence, n - 1, loc=mean,
                                     scale=stats.sem(values))
    return {"n": n, "mean": mean, "std": std,
            "low": max(float(low), bounds[0]),
            "high": min(float(high), bounds[1])}


def accuracy_interval(values, confidence=CONFIDENCE):
    """`n`, `mean`, `std` as `interval`, and a confidence interval `low`,
    `high` of the mean accuracy that lies inside [0, 1]: the Student-t
    interval on the logit scale, mapped back,

        z_i = logit(a_i) = log(a_i / (1 − a_i)),
        [expit(z̄ − t·s_z/√n), expit(z̄ + t·s_z/√n)],

    with t the (1 + c)/2 quantile of Student's t with n − 1 degrees of
    freedom (SciPy's `t.interval`; `special.logit` and `expit`).

    Why this one, with the 2–5 seeds a study has: the t quantile (12.7 at
    2 seeds, 4.30 at 3) carries the uncertainty of a spread estimated
    from so few seeds, which a bootstrap cannot (a percentile bootstrap of
    3 values has 10 distinct means and covers far less than 95%); a
    Wilson interval counts test examples, not seeds, and would miss the
    seed-to-seed variance that the repeats are there to measure. The
    logit maps [0, 1] onto the real line, so the interval maps back
    inside it, shorter on the side of the bound that is near (the issue's
    0.882 ± 0.015 over 2 seeds: [0.747, 1.017] on the raw scale,
    [0.672, 0.965] here). Strictly it bounds expit of the mean logit,
    which differs from the mean accuracy by far less than the interval's
    width for accuracies a few hundredths apart. Values within `LOGIT_EPS`
    of 0 or 1 are moved to it first, so a seed at exactly 1.0 widens the
    interval as a seed at 0.999 would; values that are then equal give
    [min, max] of the values (equal values: the point [mean, mean]); one
    value gives no interval (NaN)."""
    from scipy import special, stats

    values = _finite(values)
    summary = interval(values, confidence)
    if summary["n"] < 2 or summary["std"] == 0:
        return summary
    z = special.logit(np.clip(values, LOGIT_EPS, 1 - LOGIT_EPS))
    if np.ptp(z) == 0:  # equal after the clip (e.g. 0.9995 and 1.0)
        return {**summary, "low": float(values.min()),
                "high": float(values.max())}
    low, high = stats.t.interval(confidence, len(z) - 1, loc=z.mean(),
                                 scale=stats.sem(z))
    return {**summary, "low": float(special.expit(low)),
            "high": float(special.expit(high))}


def km_median(reached, censored):
    """The Kaplan–Meier median of the time to an event: `reached` are the
    times of the runs that reached it, `censored` those of the runs seen
    until then without it (right-censored: they might have reached it
    later). KM estimates the probability of not having reached it by t as
    S(t) = ∏_{t_i ≤ t} (1 − d_i / n_i) (d_i reached at t_i, n_i still
    running then; SciPy's `ecdf` of `CensoredData`), so a censored run
    counts as not reached for as long as it was seen, instead of being
    dropped, which would keep only the fast runs. The median is the
    smallest t with S(t) ≤ 1/2; NaN when S stays above 1/2 (fewer than
    half reached it) or nothing reached it."""
    from scipy import stats

    if not len(reached):
        return math.nan
    sf = stats.ecdf(stats.CensoredData(uncensored=np.asarray(reached, float),
                                       right=np.asarray(censored, float))).sf
    below = sf.quantiles[sf.probabilities <= 0.5 + 1e-9]
    return float(below[0]) if len(below) else math.nan


def epochs_to_target(epochs, budget, confidence=CONFIDENCE):
    """A cell's epochs to the target over its runs: `epochs` holds each
    run's first epoch at the target, None for a run that never reached it
    within the `budget` epochs (diverged runs included: they stopped and
    will not reach it). Such a run is censored at the budget, and the
    estimate is the Kaplan–Meier median (`km_median`), NaN when fewer
    than half reached it ("> budget").

    `low`, `high`: the distribution-free confidence interval of the
    median (binomial order statistics; SciPy's `quantile_test`), exact
    here because every censored run is censored at the same, largest
    time: its epochs are just "> budget". It makes no assumption on the
    shape of the epochs' distribution, which 2–5 discrete, censored
    values cannot check; the price is that fewer than 6 runs cannot bound
    a median at 95% (3 runs all at the same epoch: each side of it still
    has probability 1/8 of holding all three), so with fewer the interval
    is [1, > budget]; one run gives none (NaN). Bounds lie in
    [1, budget]; `high` (and `low`) are NaN for "> budget"."""
    from scipy import stats

    reached = [e for e in epochs if e is not None]
    n = len(epochs)
    result = {"runs": n, "reached": len(reached), "median": math.nan,
              "low": math.nan, "high": math.nan}
    if not n:
        return result
    result["median"] = km_median(reached, [budget] * (n - len(reached)))
    if n < 2:  # as for the accuracies: an interval needs two runs
        return result
    times = [math.inf if e is None else e for e in epochs]
    ci = stats.quantile_test(times, q=0, p=0.5).confidence_interval(
        confidence)
    low, high = float(ci.low), float(ci.high)
    result["low"] = 1.0 if math.isnan(low) else (
        max(low, 1.0) if math.isfinite(low) else math.nan)
    result["high"] = high if math.isfinite(high) else math.nan
    return result


def _budget(results):
    """The epochs a run trains for (the study's `epochs`): the longest
    history (diverged runs stop early; ok runs train them all), else the
    latest epoch at the target."""
    lengths = [len(r.history.get("val_accuracy", [])) for r in results]
    lengths += [r.epochs_to_target for r in results
                if r.epochs_to_target is not None]
    return max(lengths) if any(lengths) else math.nan


def summary_frame(results, target_accuracy):
    """One row per initialization x activation x depth, over its seeds:
    runs, how many ended `ok`; for the final and best test accuracy of
    the `ok` runs the mean, std (± in the tables) and 95% interval
    (`accuracy_interval`: inside [0, 1]); for the epochs to the target,
    over the runs that trained (`ok` or diverged, `trained`), the
    Kaplan–Meier median with runs that never reached it censored at the
    `epochs` trained, its 95% interval and how many `reached` it
    (`epochs_to_target`; NaN for "> epochs")."""
    import pandas as pd

    budget = _budget(results)
    epochs = f"epochs_to_{target_accuracy:g}"
    rows = []
    for group, runs in _groups(results).items():
        ok = [r for r in runs if r.status == "ok"]
        trained = [r for r in runs if r.status in ("ok", "diverged")]
        row = dict(zip(("init", "activation", "depth"), group))
        row.update(runs=len(runs), ok=len(ok),
                   seeds=",".join(str(r.cell.seed) for r in runs))
        for name, values in (
                ("final_test_accuracy", [r.final_accuracy for r in ok]),
                ("best_test_accuracy", [r.best_accuracy for r in ok])):
            stats = accuracy_interval(values)
            row.update({f"{name}_{key}": stats[key]
                        for key in ("mean", "std", "low", "high")})
        stats = epochs_to_target([r.epochs_to_target for r in trained],
                                 budget)
        row.update({f"{epochs}_{key}": stats[key]
                    for key in ("median", "low", "high")})
        row.update(reached=stats["reached"], trained=stats["runs"],
                   epochs=budget)
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_frame(results, baseline):
    """Each initialization against `baseline` on the same activation, depth
    and seeds: the mean paired difference of the final test accuracy, its
    95% interval, the paired t-test's p-value (SciPy's `ttest_rel`) and a
    verdict: `better` or `worse` when p < 0.05, else `no detectable
    difference`. The interval is Student-t (`interval`), cut to [−1, 1],
    where a difference of accuracies lies. Only seeds where both runs
    ended `ok` pair up; fewer than two pairs give no verdict."""
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
        summary = interval(differences, bounds=(-1.0, 1.0))
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
    """The study's answer as Markdown: per cell, the accuracies' mean ± std
    [95% interval] and the epochs to the target's Kaplan–Meier median
    [95% interval] (reached/trained), with a note saying what these are;
    then the paired comparisons with their verdicts."""
    epochs = f"epochs_to_{target_accuracy:g}"
    target = f"{target_accuracy:g}"
    budget = summary["epochs"].max() if len(summary) else math.nan
    known = math.isfinite(budget)
    beyond = f"> {budget:.0f}" if known else "> ?"

    def estimate(row, name, digits=3):
        mean, std = row[f"{name}_mean"], row[f"{name}_std"]
        if not math.isfinite(mean):
            return "-"
        if not math.isfinite(std):
            return f"{mean:.{digits}f}"
        return (f"{mean:.{digits}f} ± {std:.{digits}f} "
                f"[{row[f'{name}_low']:.{digits}f}, "
                f"{row[f'{name}_high']:.{digits}f}]")

    def epoch(value):
        return beyond if not math.isfinite(value) else f"{value:.0f}"

    def time_to(row):
        if not row["trained"]:
            return "-"
        text = epoch(row[f"{epochs}_median"])
        if math.isfinite(row[f"{epochs}_low"]):
            text += (f" [{epoch(row[f'{epochs}_low'])}, "
                     f"{epoch(row[f'{epochs}_high'])}]")
        return text + f" ({row['reached']}/{row['trained']} reached)"

    lines = [
        "| depth | init | activation | ok/runs | final test accuracy | best "
        f"test accuracy | epochs to {target} |",
        "|---|---|---|---|---|---|---|"]
    for _, row in summary.sort_values(["depth"], kind="stable").iterrows():
        lines.append(
            f"| {row['depth']} | {row['init']} | {row['activation']} | "
            f"{row['ok']}/{row['runs']} | "
            f"{estimate(row, 'final_test_accuracy')} | "
            f"{estimate(row, 'best_test_accuracy')} | {time_to(row)} |")
    lines += [
        "", f"Accuracy: mean ± std [95% interval] over the runs that ended "
        f"ok; {PLUS_MINUS}, the spread of one run; the interval is the "
        "mean's, Student-t on the logit scale, so it stays within [0, 1].",
        "", f"Epochs to {target}: median [95% interval] (runs that reached "
        f"{target} / runs that trained, diverged ones included). A run that "
        f"never reached {target} is censored at the "
        f"{f'{budget:.0f} ' if known else ''}epochs trained, not left "
        "out: the median is the Kaplan–Meier one, "
        f"\"{beyond}\" when fewer than half reached {target}; the interval "
        f"is the distribution-free one of a median, [1, {beyond}] while the "
        "runs are too few (under 6) to bound it."]
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


def to_markdown(frame, epochs=None):
    """The per-run table as GitHub Markdown, numbers rounded for reading;
    a run that trained (ok or diverged) but never reached the target reads
    "> `epochs`" (censored there, as in the summary), a failed one "-"."""
    shown = frame.copy()
    for column in shown.columns:
        if column.endswith(("accuracy", "loss", "fraction")):
            shown[column] = shown[column].map(_format(3))
        elif column == "wall_time_s":
            shown[column] = shown[column].map(_format(1))
        elif column.startswith("epochs_to_"):
            censored = "-" if epochs is None or not math.isfinite(epochs) \
                else f"> {epochs:.0f}"
            shown[column] = [
                str(int(v)) if _number(v) else
                censored if status in ("ok", "diverged") else "-"
                for v, status in zip(frame[column], frame["status"])]
    if not shown["error"].astype(bool).any():
        shown = shown.drop(columns="error")
    return shown.to_markdown(index=False)


def _number(value):
    return value is not None and math.isfinite(value)


def _format(digits):
    def fmt(value):
        return f"{value:.{digits}f}" if _number(value) else "-"
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
               + "\n\nEvery run:\n\n" + to_markdown(runs, _budget(results))
               + "\n")
    return paths, summary, comparisons


FONT_SIZE = 10  # points, at the saved size: text, ticks, legends
BANDS_UP_TO = 8  # curves a panel; more draw no interval bands


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _seeds(groups):
    return max(len(runs) for runs in groups.values())


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

    groups = _groups(results)
    depths = sorted({depth for _, _, depth in groups})
    inits = list(dict.fromkeys(init for init, _, _ in groups))
    activations = list(dict.fromkeys(act for _, act, _ in groups))
    colours = [plt.cm.tab10(i % 10) for i in range(len(inits))]
    styles = ["-", "--", ":", "-.", (0, (8, 2, 1, 2)), (0, (1, 3)),
              (0, (3, 1, 1, 1, 1, 1))]
    markers = ["o", "s", "^", "D", "v", "P", "X"]

    def look(activation):
        k = activations.index(activation)
        return styles[k % len(styles)], markers[k % len(markers)]

    fig, axes = plt.subplots(1, len(depths), squeeze=False,
                             figsize=(5.2 * len(depths), 4.4))
    counts = [sum(d == depth for _, _, d in groups) for depth in depths]
    bands = max(counts) <= BANDS_UP_TO
    shown = set()  # what the legend lists: the drawn curves' parts
    for ax, depth in zip(axes[0], depths):
        drawn = []
        for (init, activation, d), runs in groups.items():
            curves = [r.history.get("val_accuracy") for r in runs
                      if r.history.get("val_accuracy")]
            if d != depth or not curves:
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
        ax.set_title(f"depth {depth}", fontsize=FONT_SIZE + 1)
        ax.set_xlabel("epoch", fontsize=FONT_SIZE)
        ax.tick_params(labelsize=FONT_SIZE)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("test accuracy", fontsize=FONT_SIZE)
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
    values = _finite(values)
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

    groups = _groups(results)
    inits = list(dict.fromkeys(init for init, _, _ in groups))
    activations = list(dict.fromkeys(act for _, act, _ in groups))
    depths = sorted({depth for _, _, depth in groups})
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
    finite = _finite(means)
    extend = {(False, False): "neither", (True, False): "min",
              (False, True): "max", (True, True): "both"}[
        (bool(len(finite)) and finite.min() < low,
         bool(len(finite)) and finite.max() > high)]
    # 1.35 x 0.8 inches a cell: room for three lines of 10 pt text.
    fig, axes = plt.subplots(
        1, len(depths), squeeze=False, layout="constrained",
        figsize=(max(1.35 * len(activations), 2.4) * len(depths) + 2.8,
                 0.8 * len(inits) + 1.8))
    for ax, depth in zip(axes[0], depths):
        values = np.full((len(inits), len(activations)), np.nan)
        labels = np.full(values.shape, "", dtype=object)
        for (init, activation, d), runs in groups.items():
            if d != depth:
                continue
            i, j = inits.index(init), activations.index(activation)
            stats = cells[(init, activation, d)]
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
        ax.set_yticklabels(inits if ax is axes[0][0] else [])
        ax.tick_params(labelsize=FONT_SIZE)
        ax.set_title(f"depth {depth}", fontsize=FONT_SIZE + 1)
    seeds = _seeds(groups)
    fig.suptitle(f"Final test accuracy: mean ± std over {seeds} seeds\n"
                 "(std: sample standard deviation)" if seeds > 1 else
                 "Final test accuracy (1 seed)", fontsize=FONT_SIZE + 1)
    bar = fig.colorbar(image, ax=list(axes[0]), extend=extend)
    bar.set_label("mean test accuracy\n(scale fitted to the cells"
                  + ("; red: below)" if extend in ("min", "both")
                     else ")"), fontsize=FONT_SIZE)
    bar.ax.tick_params(labelsize=FONT_SIZE)
    save_figure(fig, path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path

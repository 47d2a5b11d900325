"""The study's tables: every run, the summary per cell over its seeds, the
paired comparisons against the baseline, as `pandas.DataFrame`s, Markdown
(`results.md`) and CSV files, each written atomically. The statistics are
`keras_initact.study.statistics`'s."""

import math
import os

from keras_initact.files import atomic_path, write_text
from keras_initact.study.grid import SETTING_AXES, setting_label, study_axes
from keras_initact.study.statistics import (
    PLUS_MINUS, accuracy_interval, epochs_to_target, interval,
)

SIGNIFICANCE = 0.05  # of the paired test's p-value
BETTER, WORSE, SAME = "better", "worse", "no detectable difference"


def results_frame(results, target_accuracy):
    """A `pandas.DataFrame`, one row per run (cell and seed), in grid
    order."""
    import pandas as pd

    axes = study_axes(results)
    return pd.DataFrame([r.row(target_accuracy, axes) for r in results])


def _budget(results):
    """The epochs a run trains for (the study's `epochs`): the longest
    history (diverged runs stop early; ok runs train them all), else the
    latest epoch at the target."""
    lengths = [len(r.history.get("val_accuracy", [])) for r in results]
    lengths += [r.epochs_to_target for r in results
                if r.epochs_to_target is not None]
    return max(lengths) if any(lengths) else math.nan


def summary_frame(results, target_accuracy):
    """One row per initialization x activation x depth (x setting, on the
    width axes: its columns after the depth), over its seeds: runs, how
    many ended `ok`; for the final and best test accuracy of the `ok` runs
    the mean, std (± in the tables) and 95% interval (`accuracy_interval`:
    inside [0, 1]); for their final test loss the same, its interval
    inside [0, inf); for the epochs to the target,
    over the runs that trained (`ok` or diverged, `trained`), the
    Kaplan–Meier median with runs that never reached it censored at the
    `epochs` trained, its 95% interval and how many `reached` it
    (`epochs_to_target`; NaN for "> epochs")."""
    import pandas as pd

    budget = _budget(results)
    epochs = f"epochs_to_{target_accuracy:g}"
    axes = study_axes(results)
    rows = []
    for group, runs in by_group(results).items():
        ok = [r for r in runs if r.status == "ok"]
        trained = [r for r in runs if r.status in ("ok", "diverged")]
        row = {**dict(zip(("init", "activation", "depth"), group)),
               **_setting_columns(group[3], axes)}
        row.update(runs=len(runs), ok=len(ok),
                   seeds=",".join(str(r.cell.seed) for r in runs))
        for name, values in (
                ("final_test_accuracy", [r.final_accuracy for r in ok]),
                ("best_test_accuracy", [r.best_accuracy for r in ok])):
            stats = accuracy_interval(values)
            row.update({f"{name}_{key}": stats[key]
                        for key in ("mean", "std", "low", "high")})
        stats = interval([r.final_loss for r in ok], bounds=(0.0, math.inf))
        row.update({f"final_test_loss_{key}": stats[key]
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
    """Each initialization against `baseline` on the same activation,
    depth, setting (width, learning rate, parametrization) and seeds: the
    mean paired difference of the final test accuracy, its 95% interval, the paired t-test's p-value (SciPy's `ttest_rel`) and a
    verdict: `better` or `worse` when p < 0.05, else `no detectable
    difference`. The interval is Student-t (`interval`), cut to [−1, 1],
    where a difference of accuracies lies. Only seeds where both runs
    ended `ok` pair up; fewer than two pairs give no verdict."""
    import pandas as pd
    from scipy import stats

    groups = by_group(results)
    axes = study_axes(results)
    rows = []
    for (init, activation, depth, setting), runs in groups.items():
        reference = groups.get((baseline, activation, depth, setting))
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
                     **_setting_columns(setting, axes),
                     "pairs": len(pairs),
                     "difference_mean": summary["mean"],
                     "difference_low": summary["low"],
                     "difference_high": summary["high"],
                     "p_value": p_value, "verdict": verdict})
    return pd.DataFrame(rows)


def _setting_columns(setting, axes):
    return {axis: value for axis, value in zip(SETTING_AXES, setting)
            if axis in axes}


def _label(row):
    """A summary or comparison row's setting, as `setting_label` says it."""
    def value(axis):
        found = row.get(axis)
        return None if found is None or (isinstance(found, float)
                                         and math.isnan(found)) else found
    setting = [value(axis) for axis in SETTING_AXES]
    for index in (0, 3):  # widths, read back as floats beside NaNs
        if setting[index] is not None:
            setting[index] = int(setting[index])
    setting[2] = setting[2] or "standard"
    return setting_label(tuple(setting)) or "-"


def by_group(results):
    """`{(init, activation, depth, setting): [its runs]}` (`Cell.group`), in
    the order of `results`."""
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

    settings = any(axis in summary.columns for axis in SETTING_AXES)
    setting_head, rule = ("setting | ", "---|") if settings else ("", "")

    def setting(row):
        return f"{_label(row)} | " if settings else ""

    lines = [
        f"| depth | init | activation | {setting_head}ok/runs | final test "
        f"accuracy | best test accuracy | epochs to {target} |",
        f"|---|---|---|{rule}---|---|---|---|"]
    for _, row in summary.sort_values(["depth"], kind="stable").iterrows():
        lines.append(
            f"| {row['depth']} | {row['init']} | {row['activation']} | "
            f"{setting(row)}{row['ok']}/{row['runs']} | "
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
                  f"| depth | activation | init | {setting_head}pairs | "
                  "difference [95% interval] | p | verdict |",
                  f"|---|---|---|{rule}---|---|---|---|"]
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
                f"{setting(row)}{row['pairs']} | {difference} | {p_value} | "
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

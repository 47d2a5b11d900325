"""keras_initact.study.results: the statistics of the tables and what the
figures show (inspected on the matplotlib objects, not on pixels)."""

import math

import numpy as np
import pytest
from scipy import special, stats

from keras_initact.study import results
from keras_initact.study.grid import Cell, CellResult, epochs_to

EPOCHS = 5
# Final test accuracy per seed, (init, activation, depth) -> 3 seeds; the
# curves rise to it from `START`, faster for higher seeds. Depth 3 sits at
# 0.89-0.93, one depth-20 cell fails at chance, some runs never reach 0.9.
FINALS = {
    ("glorot_uniform", "relu", 3): (0.919, 0.921, 0.923),
    ("he_normal", "relu", 3): (0.922, 0.924, 0.926),
    ("shaped", "relu", 3): (0.925, 0.927, 0.929),
    ("glorot_uniform", "tanh", 3): (0.891, 0.893, 0.895),
    ("he_normal", "tanh", 3): (0.898, 0.902, 0.906),
    ("shaped", "tanh", 3): (0.908, 0.911, 0.914),
    ("glorot_uniform", "relu", 20): (0.1135, 0.1135, 0.1135),
    ("he_normal", "relu", 20): (0.88, 0.905, 0.92),
    ("shaped", "relu", 20): (0.915, 0.918, 0.921),
    ("glorot_uniform", "tanh", 20): (0.66, 0.72, 0.75),
    ("he_normal", "tanh", 20): (0.899, 0.903, 0.907),
    ("shaped", "tanh", 20): (0.926, 0.930, 0.931),
}
START = {3: 0.80, 20: 0.55}


def curve(depth, final, seed):
    """START at epoch 1, `final` at the last, rising fast then slowly."""
    if final < 0.2:  # a failing cell stays at chance
        return [final] * EPOCHS
    rate = 0.2 + 0.2 * seed
    rise = (1 - rate ** np.arange(EPOCHS)) / (1 - rate ** (EPOCHS - 1))
    return list(START[depth] + (final - START[depth]) * rise)


def fake_study():
    """36 runs: 3 inits x 2 activations x 2 depths x 3 seeds, one of them
    diverged after 3 epochs."""
    runs = []
    for (init, activation, depth), finals in FINALS.items():
        for seed, final in enumerate(finals):
            accuracies = curve(depth, final, seed)
            status = "ok"
            if (init, activation, depth, seed) == ("he_normal", "relu", 20, 0):
                status, accuracies = "diverged", accuracies[:3]
            runs.append(CellResult(
                Cell(init, activation, depth, seed), status,
                final_accuracy=accuracies[-1],
                best_accuracy=max(accuracies), final_loss=0.3,
                epochs_to_target=epochs_to(accuracies, 0.9),
                history={"val_accuracy": accuracies}))
    return runs


@pytest.fixture
def captured(monkeypatch):
    """The figures the plot functions save, still open for inspection."""
    figures = []
    monkeypatch.setattr(results, "save_figure",
                        lambda figure, path, **kwargs: figures.append(figure))
    yield figures
    import matplotlib.pyplot as plt

    for figure in figures:
        plt.close(figure)


def runs_with(accuracies, init="he_normal", depth=3):
    return [CellResult(Cell(init, "relu", depth, seed), "ok",
                       final_accuracy=a, best_accuracy=a)
            for seed, a in enumerate(accuracies)]


def scipy_logit_interval(values):
    """The reference: SciPy's one-sample t interval of the logits, mapped
    back with the logistic function."""
    z = special.logit(np.clip(values, results.LOGIT_EPS,
                              1 - results.LOGIT_EPS))
    ci = stats.ttest_1samp(z, 0.0).confidence_interval(0.95)
    return special.expit(ci.low), special.expit(ci.high)


class TestAccuracyIntervals:
    @pytest.mark.parametrize("values", [
        (0.871, 0.893), (0.98, 0.995, 0.999), (0.95, 1.0, 1.0),
        (0.02, 0.0, 0.05), (0.91, 0.94, 0.96, 0.93, 0.97)])
    def test_within_zero_one_and_scipys_logit_t_interval(self, values):
        row = results.summary_frame(runs_with(values), 0.9).iloc[0]
        low, high = (row["final_test_accuracy_low"],
                     row["final_test_accuracy_high"])
        assert 0.0 <= low <= high <= 1.0
        assert (low, high) == pytest.approx(scipy_logit_interval(values))
        assert row["final_test_accuracy_mean"] == pytest.approx(
            np.mean(values))
        assert row["final_test_accuracy_std"] == pytest.approx(
            np.std(values, ddof=1))

    def test_the_issues_two_seed_example_stays_below_one(self):
        got = results.accuracy_interval([0.871, 0.893])
        assert got["high"] < 1.0 and got["low"] > 0.5
        assert got["low"] < got["mean"] < got["high"]

    def test_all_equal_accuracies_give_a_point(self):
        for value in (0.1135, 1.0, 0.0):
            got = results.accuracy_interval([value] * 3)
            assert got["std"] == 0.0
            assert got["low"] == got["high"] == pytest.approx(value)

    def test_values_equal_within_the_clip_keep_the_mean_inside(self):
        got = results.accuracy_interval([1.0, 1.0, 0.9995])
        assert (got["low"], got["high"]) == (0.9995, 1.0)

    def test_one_run_gives_no_interval(self):
        got = results.accuracy_interval([0.9, math.nan, None])
        assert got["n"] == 1 and got["mean"] == 0.9
        assert math.isnan(got["low"]) and math.isnan(got["std"])

    def test_paired_differences_stay_within_minus_one_one(self):
        base = runs_with([0.1, 0.1], init="glorot_uniform")
        ours = runs_with([0.95, 0.2])
        row = results.comparison_frame(base + ours, "glorot_uniform").iloc[0]
        assert -1.0 <= row["difference_low"] < row["difference_mean"] \
            < row["difference_high"] <= 1.0


class TestEpochsToTarget:
    def test_kaplan_meier_median_of_a_hand_worked_censored_example(self):
        # Reached at 2 and 4; censored (stopped unreached) at 3 and 10.
        # S(2) = 3/4; at 4 two runs are at risk, one reaches: S(4) =
        # 3/4 * 1/2 = 3/8 <= 1/2, so the median is 4 (the survivors'
        # mean would say 3).
        assert results.km_median([2, 4], [3, 10]) == 4
        # 1 of 3 reached: S stays at 2/3 > 1/2, no median.
        assert math.isnan(results.km_median([2], [5, 5]))
        # Exactly half: S(3) = 1/2, so the median is 3.
        assert results.km_median([2, 3], [5, 5]) == 3
        assert math.isnan(results.km_median([], [5, 5]))

    def run(self, seed, reached_at, status="ok"):
        accuracies = [0.5] * EPOCHS
        if reached_at is not None:
            accuracies[reached_at - 1:] = [0.95] * (EPOCHS - reached_at + 1)
        if status == "diverged":
            accuracies = accuracies[:2]
        return CellResult(Cell("lsuv", "relu", 3, seed), status,
                          final_accuracy=accuracies[-1],
                          epochs_to_target=epochs_to(accuracies, 0.9),
                          history={"val_accuracy": accuracies})

    def test_runs_that_never_reach_it_are_censored_not_dropped(self):
        runs = [self.run(0, 3), self.run(1, 4), self.run(2, None)]
        row = results.summary_frame(runs, 0.9).iloc[0]
        # The survivors' mean was 3.5; censored at 5, the median is 4.
        assert row["epochs_to_0.9_median"] == 4
        assert (row["reached"], row["trained"], row["epochs"]) == (2, 3, 5)
        assert 1 <= row["epochs_to_0.9_low"] <= 4
        assert math.isnan(row["epochs_to_0.9_high"])  # > 5: 3 runs
        text = results.summary_markdown(
            results.summary_frame(runs, 0.9), [], 0.9)
        assert "4 [1, > 5] (2/3 reached)" in text
        assert "censored at the 5 epochs trained" in text

    def test_every_run_table_says_never_reached_as_censored(self, tmp_path):
        runs = [self.run(0, 3), self.run(1, None)]
        runs.append(CellResult(Cell("lsuv", "relu", 3, 2), "failed",
                               error="x"))
        paths, _, _ = results.write_tables(runs, "lsuv", 0.9, tmp_path)
        every = open(paths["markdown"]).read().split("Every run:")[1]
        rows = [line.split("|")[9].strip() for line in every.splitlines()
                if "| lsuv" in line]
        assert rows == ["3", "> 5", "-"]

    def test_fewer_than_half_reaching_it_reads_more_than_the_epochs(self):
        runs = [self.run(0, 4), self.run(1, None), self.run(2, None,
                                                           "diverged")]
        summary = results.summary_frame(runs, 0.9)
        row = summary.iloc[0]
        assert math.isnan(row["epochs_to_0.9_median"])
        assert (row["reached"], row["trained"]) == (1, 3)  # diverged counts
        assert "> 5 [1, > 5] (1/3 reached)" in results.summary_markdown(
            summary, [], 0.9)

    def test_intervals_lie_within_one_and_the_epochs(self):
        # Six runs are enough for a distribution-free 95% interval of a
        # median: the 1st and 6th order statistics (coverage 1 - 2/64).
        runs = [self.run(s, e) for s, e in enumerate([2, 2, 3, 3, 4, 5])]
        row = results.summary_frame(runs, 0.9).iloc[0]
        assert row["epochs_to_0.9_median"] == 3
        assert (row["epochs_to_0.9_low"], row["epochs_to_0.9_high"]) == (2, 5)
        summary = results.summary_frame(fake_study(), 0.9)
        for low, high in zip(summary["epochs_to_0.9_low"],
                             summary["epochs_to_0.9_high"]):
            assert 1 <= low and (math.isnan(high) or high <= EPOCHS)


class TestFigures:
    def test_plus_minus_is_the_std_in_the_heat_map_too(self, captured,
                                                       tmp_path):
        results.plot_heatmap(runs_with([0.90, 0.92, 0.94]), tmp_path / "h")
        (figure,) = captured
        (text,) = figure.axes[0].texts
        assert text.get_text().splitlines()[1] == "± 0.020"  # the std
        assert "± std" in figure.texts[0].get_text()

    def test_plus_minus_is_the_std_in_the_table(self):
        text = results.summary_markdown(
            results.summary_frame(runs_with([0.90, 0.92, 0.94]), 0.9), [],
            0.9)
        assert "0.920 ± 0.020 [" in text and "± is the sample standard " \
            "deviation" in text

    def test_heat_map_colours_fit_the_data_and_text_is_readable(
            self, captured, tmp_path):
        results.plot_heatmap(fake_study(), tmp_path / "h")
        (figure,) = captured
        panels = [ax for ax in figure.axes if ax.images]
        assert len(panels) == 2
        norm = panels[0].images[0].norm
        # The failing cell (0.11) and the poor one (0.71) fall below the
        # scale; the good cells (0.89-0.93) span it.
        assert 0.8 < norm.vmin < 0.8931 and 0.9289 < norm.vmax <= 0.94
        assert all(ax.images[0].norm.vmin == norm.vmin for ax in panels)
        texts = [t for ax in panels for t in ax.texts]
        assert len(texts) == 12
        assert min(t.get_fontsize() for t in texts) >= 9
        means = [t.get_text().splitlines()[0] for t in texts]
        assert "0.921" in means and "0.924" in means  # told apart
        assert len(set(means)) == 12
        (colorbar,) = [ax for ax in figure.axes if not ax.images]
        assert min(label.get_fontsize() for label in
                   colorbar.get_yticklabels()) >= 9

    def test_learning_curves_fit_each_panel_and_tell_lines_apart(
            self, captured, tmp_path):
        runs = fake_study()
        results.plot_learning_curves(runs, tmp_path / "c")
        (figure,) = captured
        panels = figure.axes
        assert [ax.get_title() for ax in panels] == ["depth 3", "depth 20"]
        for ax, depth in zip(panels, (3, 20)):
            curves = {}
            for r in runs:
                if r.cell.depth == depth:
                    curves.setdefault(r.cell.group, []).append(
                        r.history["val_accuracy"])
            means = [np.mean([c[e] for c in group if len(c) > e])
                     for group in curves.values() for e in range(EPOCHS)]
            lo, hi = np.min(means), np.max(means)
            bottom, top = ax.get_ylim()
            assert bottom < lo and top > hi  # a margin
            assert (top - bottom) < 1.3 * (hi - lo) + 0.02
            lines = [line for line in ax.get_lines()
                     if not line.get_label().startswith("_")]
            assert len(lines) == 6
            looks = {(tuple(line.get_color()), line.get_linestyle())
                     for line in lines}
            assert len(looks) == 6
            by_init = {}
            for line in lines:
                init = line.get_label().split(" + ")[0]
                by_init.setdefault(init, set()).add(tuple(line.get_color()))
            assert all(len(c) == 1 for c in by_init.values())
            assert len(set().union(*by_init.values())) == 3
        legends = figure.legends + [ax.get_legend() for ax in panels
                                    if ax.get_legend()]
        labels = [t for legend in legends for t in legend.get_texts()]
        assert {"glorot_uniform", "relu", "tanh"} <= {
            t.get_text() for t in labels}
        assert min(t.get_fontsize() for t in labels) >= 9

    def test_figures_are_written(self, tmp_path):
        for plot in (results.plot_learning_curves, results.plot_heatmap):
            path = plot(fake_study(), str(tmp_path / f"{plot.__name__}.png"))
            with open(path, "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n"

"""`keras_initact.study.results`: a study's tables as Markdown and CSV and
its figures as PNG files, and what the figures show (inspected on the
matplotlib objects, not on pixels): the heat map's colours and text, the
learning curves' panels, lines and legend, and "±" as the std."""

import math
import os

import numpy as np
import pytest
from fake_study import EPOCHS, fake_study, runs_with

from keras_initact.study import results
from keras_initact.study.grid import Cell, CellResult


class TestResults:
    @pytest.fixture
    def cells(self):
        ok = CellResult(Cell("he_normal", "relu", 3), "ok", final_accuracy=0.95,
                        best_accuracy=0.96, final_loss=0.2, epochs_to_target=2,
                        wall_time_s=3.21, dead_fraction=0.05,
                        history={"val_accuracy": [0.8, 0.96, 0.95]})
        failed = CellResult(Cell("lsuv", "tanh", 3), "failed",
                            error="LSUVError: non-finite variance")
        return [ok, failed]

    def test_tables_as_markdown_and_csv(self, cells, tmp_path):
        frame = results.results_frame(cells, 0.9)
        assert list(frame["status"]) == ["ok", "failed"]
        assert "epochs_to_0.9" in frame.columns
        paths, summary, _ = results.write_tables(cells, "he_normal", 0.9,
                                                 str(tmp_path))
        text = open(paths["markdown"]).read()
        assert "| he_normal | relu" in text and "0.950" in text
        assert "LSUVError: non-finite variance" in text
        import pandas as pd

        again = pd.read_csv(paths["results"])
        assert again.loc[0, "final_test_accuracy"] == 0.95
        assert math.isnan(again.loc[1, "final_test_accuracy"])
        assert list(summary["ok"]) == [1, 0]
        assert sorted(os.listdir(tmp_path)) == [
            "comparisons.csv", "results.csv", "results.md", "summary.csv"]

    def test_figures_are_pngs(self, cells, tmp_path):
        for plot in (results.plot_learning_curves, results.plot_heatmap):
            path = plot(cells, str(tmp_path / f"{plot.__name__}.png"))
            with open(path, "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        assert len(os.listdir(tmp_path)) == 2  # no temporary files left


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


# --- the width axes -------------------------------------------------------

@pytest.fixture(scope="module")
def width_study():
    from fake_study import fake_width_study

    return fake_width_study()


def test_the_tables_carry_the_width_axes(width_study):
    summary = results.summary_frame(width_study, 0.9)
    assert list(summary.columns[:7]) == [
        "init", "activation", "depth", "width", "learning_rate",
        "parametrization", "base_width"]
    assert len(summary) == 2 * 2 * 3 * 2
    mup_row = summary[(summary.init == "he_normal") & (summary.width == 256)
                      & (summary.learning_rate == 4e-3)
                      & (summary.parametrization == "mup")].iloc[0]
    assert mup_row["final_test_loss_mean"] == pytest.approx(0.21)
    assert 0 <= mup_row["final_test_loss_low"] <= 0.21
    runs = results.results_frame(width_study, 0.9)
    assert list(runs.columns[3:8]) == ["width", "learning_rate",
                                       "parametrization", "base_width",
                                       "seed"]


def test_comparisons_pair_runs_of_the_same_setting(width_study):
    comparisons = results.comparison_frame(width_study, "glorot_uniform")
    assert len(comparisons) == 2 * 3 * 2  # one per setting
    assert set(comparisons["difference_mean"].round(6)) == {0.01}
    diverged = comparisons[(comparisons.width == 256)
                           & (comparisons.learning_rate == 1.6e-2)
                           & (comparisons.parametrization == "standard")]
    assert list(diverged["pairs"]) == [2]  # seed 0 diverged on both sides
    markdown = results.summary_markdown(
        results.summary_frame(width_study, 0.9), comparisons, 0.9)
    assert "| depth | init | activation | setting | ok/runs |" in markdown
    assert "| width 256, lr 0.004, μP (base 64) | 3/3 |" in markdown
    assert "| 2 | relu | he_normal | width 64, lr 0.001 | 3 |" in markdown


def test_the_loss_figure_has_a_line_per_width_and_a_panel_per_parametrization(
        width_study, tmp_path):
    path = results.plot_loss_vs_learning_rate(width_study,
                                              str(tmp_path / "loss.png"))
    assert os.path.getsize(path) > 20_000
    one_rate = [r for r in width_study if r.cell.learning_rate == 1e-3]
    with pytest.raises(ValueError, match=r"1 learning rate\(s\); it needs "
                       r"at least 2 \(--learning-rates\)"):
        results.plot_loss_vs_learning_rate(one_rate, str(tmp_path / "x.png"))


def test_the_other_figures_draw_a_panel_per_setting(width_study, tmp_path):
    for plot in (results.plot_learning_curves, results.plot_heatmap):
        path = plot(width_study, str(tmp_path / f"{plot.__name__}.png"))
        assert os.path.getsize(path) > 20_000

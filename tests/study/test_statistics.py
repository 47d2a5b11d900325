"""`keras_initact.study.statistics`, as the tables use it: Student-t
intervals of means, paired comparisons against the baseline, accuracy
intervals on the logit scale inside [0, 1], and epochs to the target as
a Kaplan-Meier median with the runs that never reach it censored."""

import math

import numpy as np
import pytest
from fake_study import EPOCHS, fake_study, runs_with
from scipy import special, stats

from keras_initact.study import results
from keras_initact.study.grid import Cell, CellResult, epochs_to


class TestStatistics:
    def test_interval_is_students_t_on_the_mean(self):
        from scipy import stats

        values = [0.91, 0.94, 0.96]
        got = results.interval(values)
        mean, sem = np.mean(values), stats.sem(values)
        low, high = stats.t.interval(0.95, 2, loc=mean, scale=sem)
        assert got["n"] == 3 and got["mean"] == pytest.approx(mean)
        assert got["std"] == pytest.approx(np.std(values, ddof=1))
        assert (got["low"], got["high"]) == pytest.approx((low, high))
        one = results.interval([0.9, math.nan])
        assert one["n"] == 1 and one["mean"] == 0.9 and math.isnan(one["low"])

    @staticmethod
    def runs(init, accuracies, status="ok"):
        return [CellResult(Cell(init, "relu", 3, seed), status,
                           final_accuracy=accuracy)
                for seed, accuracy in enumerate(accuracies)]

    def test_paired_comparison_with_scipys_paired_t_test(self):
        from scipy import stats

        base = [0.80, 0.85, 0.82, 0.84]
        better = [0.90, 0.93, 0.91, 0.95]
        noisy = [0.81, 0.84, 0.83, 0.83]
        frame = results.comparison_frame(
            self.runs("glorot_uniform", base) + self.runs("lsuv", better)
            + self.runs("he_normal", noisy), "glorot_uniform")
        rows = frame.set_index("init")
        lsuv = rows.loc["lsuv"]
        assert lsuv["pairs"] == 4 and lsuv["verdict"] == "better"
        assert lsuv["p_value"] == pytest.approx(
            stats.ttest_rel(better, base).pvalue)
        differences = np.subtract(better, base)
        assert lsuv["difference_mean"] == pytest.approx(differences.mean())
        assert lsuv["difference_low"] < differences.mean() < lsuv[
            "difference_high"]
        assert rows.loc["he_normal", "verdict"] == \
            "no detectable difference"

    def test_only_seeds_where_both_runs_ended_ok_pair_up(self):
        base = self.runs("glorot_uniform", [0.8, 0.8, 0.8])
        ours = self.runs("lsuv", [0.9, 0.9, 0.9])
        ours[1].status = "diverged"
        frame = results.comparison_frame(base + ours, "glorot_uniform")
        row = frame.iloc[0]
        assert row["pairs"] == 2 and row["verdict"] == "better"
        assert row["p_value"] == 0.0  # identical differences
        alone = results.comparison_frame(
            self.runs("glorot_uniform", [0.8]) + self.runs("lsuv", [0.9]),
            "glorot_uniform")
        assert alone.iloc[0]["verdict"].startswith("n/a")

    def test_summary_counts_runs_and_gives_intervals(self):
        runs = self.runs("lsuv", [0.9, 0.92, 0.94]) + self.runs(
            "lsuv", [0.1], status="diverged")[:0]
        runs.append(CellResult(Cell("lsuv", "relu", 3, 3), "failed",
                               error="x"))
        row = results.summary_frame(runs, 0.9).iloc[0]
        assert (row["runs"], row["ok"], row["seeds"]) == (4, 3, "0,1,2,3")
        assert row["final_test_accuracy_mean"] == pytest.approx(0.92)
        assert row["final_test_accuracy_low"] < 0.92 < row[
            "final_test_accuracy_high"]


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

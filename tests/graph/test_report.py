"""`MomentsReport` and `LayerMoments`: what `initialize` and
`predict_moments` return, row by row, and its plain-text table."""

import pytest

from keras_initact.graph import KernelScale, LayerMoments, MomentsReport

SCALE = KernelScale("dense/kernel", 64.0, 1.0, 1 / 64, 1.25)
ROWS = (
    LayerMoments("dense", "Dense", "estimated", 0.0, 1.0, kernels=(SCALE,)),
    LayerMoments("block/mine", "Mine", "identity", 0.5, 1.0),
    LayerMoments("other", "Other", "measured", 1.0, 3.0, 1.1, 3.5),
    LayerMoments("dense#2", "Dense", "estimated", 0.0, 2.0,
                 kernels=(KernelScale("dense/kernel", 64.0, 2.0, 1 / 64,
                                      1.0),)),
)


def test_a_rows_variances():
    assert ROWS[2].predicted_variance == pytest.approx(2.0)
    assert ROWS[2].measured_variance == pytest.approx(3.5 - 1.21)
    assert ROWS[0].measured_variance is None
    # never negative from rounding
    assert LayerMoments("a", "A", "estimated", 1.0,
                        1.0 - 1e-12).predicted_variance == 0.0


def test_unknown_lists_the_layers_without_an_estimator():
    report = MomentsReport("auto", ROWS)
    assert report.unknown == ("block/mine", "other")


def test_kernel_rows_are_those_with_kernels():
    report = MomentsReport("auto", ROWS)
    assert [row.layer for row in report.kernel_rows] == ["dense", "dense#2"]


def test_row_finds_a_layer_by_its_path():
    report = MomentsReport("auto", ROWS)
    assert report.row("block/mine") is ROWS[1]
    assert report.row("dense#2") is ROWS[3]
    with pytest.raises(KeyError, match=r"No row for layer 'missing'.*dense"):
        report.row("missing")


def test_the_table_has_a_line_per_row_and_the_scale():
    text = MomentsReport("auto", ROWS).table()
    lines = text.splitlines()
    assert lines[0] == "auto: 4 layer calls"
    assert len(lines) == 2 + len(ROWS)
    assert "meas E[y2]" in lines[1]  # a row was measured
    assert "1.25" in lines[2] and lines[2].startswith("dense ")
    assert " - " in lines[3] + " "  # no measurement: a dash
    assert "3.5" in lines[4]
    assert str(MomentsReport("auto", ROWS)) == text


def test_the_table_without_measurements_has_no_measured_columns():
    text = MomentsReport("predicted", ROWS[:2]).table()
    assert "meas" not in text and text.startswith("predicted: 2 layer calls")


def test_a_long_path_widens_the_layer_column():
    long = LayerMoments("a/" * 20 + "dense", "Dense", "estimated", 0.0, 1.0)
    lines = MomentsReport("auto", (long, ROWS[0])).table().splitlines()
    assert lines[2].startswith(long.layer + " ")
    assert lines[3].index("Dense") == lines[2].index("Dense")

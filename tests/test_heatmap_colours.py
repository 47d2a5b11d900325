"""`keras_initact.heatmap_colours`: past 60 layers, a group's row shows its
member farthest from the column's median (in log10 on a log scale), and
the extremes the markers point at are the last column's lowest and
highest finite rows."""

import numpy as np

from keras_initact import heatmap_colours


def test_a_group_shows_its_member_farthest_from_the_column_s_median():
    values = np.array([[1.0, 1.0],
                       [1.2, -5.0],   # column 1: the farthest, below
                       [1.0, 1.1],
                       [1.0, 1.0],
                       [30.0, 0.8],   # column 0: the farthest, above
                       [1.1, np.nan]])
    out = heatmap_colours.aggregate(values, [0, 3], log=False)
    np.testing.assert_array_equal(out, [[1.2, -5.0], [30.0, 0.8]])


def test_on_a_log_scale_the_distance_is_in_log10_among_positive_values():
    values = np.array([[1.0], [1e-4], [10.0], [1.0], [0.0], [1.0],
                       [-3.0], [np.nan], [0.0]])
    # median of log10 of the positive values: 0; 1e-4 is 4 decades off,
    # 10 one; 0 and negatives have no colour; a group of none is NaN
    out = heatmap_colours.aggregate(values, [0, 3, 6], log=True)
    np.testing.assert_array_equal(out[:2], [[1e-4], [1.0]])
    assert np.isnan(out[2, 0])


def test_a_column_with_no_value_aggregates_to_nan():
    values = np.array([[np.nan, 1.0], [np.nan, 2.0], [np.nan, 3.0]])
    out = heatmap_colours.aggregate(values, [0, 2], log=False)
    assert np.isnan(out[:, 0]).all()
    np.testing.assert_array_equal(out[:, 1], [1.0, 3.0])


def test_extremes_are_the_last_column_s_lowest_and_highest_finite_rows():
    values = np.ones((6, 3))
    values[2, -1], values[4, -1] = 1e-6, 1e3
    values[0, :-1] = 1e9  # not the last column
    values[1, -1] = np.nan
    assert heatmap_colours.extremes(values, log=False) == (2, 4)
    values[3, -1] = -5.0  # the lowest, but not on a log scale
    assert heatmap_colours.extremes(values, log=False) == (3, 4)
    assert heatmap_colours.extremes(values, log=True) == (2, 4)
    values[:, -1] = np.nan
    assert heatmap_colours.extremes(values, log=False) is None

"""`keras_initact.heatmaps`: layer x step heat maps for TensorBoard's Images
view, and `layer_groups`.

The specification: an image of one size, 440 x 250 px, whatever the depth,
so that TensorBoard 2.21's image card (about 380-450 x 225-230 px, the
image fitted with `object-fit: contain`) shows it at 86 % or more and its
text (12 px or more) at 9 px or more; at most 60 rows drawn, a row per
layer up to 60 layers, else a row per block or stage showing its most
extreme layer; markers and a one-line footer on the lowest and highest
layers of the last step."""

import ast
import io

import numpy as np
import pytest
from PIL import Image

from layer_names import factory_names as _factory_names
from layer_names import indexed as _indexed
from layer_names import resnet50v2_names as _resnet50v2_names

from keras_initact import heatmap_colours, heatmaps
from keras_initact.heatmaps import heatmap_png, layer_groups

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BACKGROUND = (255, 255, 255)
GREY = heatmap_colours.MISSING
MAP = slice(heatmaps.MAP_TOP, heatmaps.MAP_TOP + heatmaps.MAP_HEIGHT)
MIDDLE = heatmaps.WIDTH // 2  # a pixel column inside the map, always


def _draw(values, labels=None, **kwargs):
    values = np.asarray(values, dtype=float)
    labels = _indexed(f"layer_{i}" for i in range(len(values))) \
        if labels is None else labels
    steps = [10 * i for i in range(values.shape[1])]
    return heatmap_png(values, labels, steps, kwargs.pop("title", "title"),
                       **kwargs)


def _pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _colour_ends():
    """viridis's darkest and brightest colours, as drawn."""
    from matplotlib import colormaps

    return [tuple(np.round(np.array(colormaps["viridis"](x)[:3]) * 255)
                  .astype(int)) for x in (0.0, 1.0)]


def _row_colours(image, rows):
    """The colour of each drawn row in the map's middle pixel column."""
    tops = heatmaps._row_tops(rows)
    column = image[MAP, MIDDLE]
    return [tuple(column[(a + b) // 2]) for a, b in zip(tops, tops[1:])]


# --------------------------------------------------------------------------
# One size, legible in TensorBoard's image card


@pytest.mark.parametrize("rows", [1, 4, 60, 100, 430, 1000])
def test_the_image_is_440_x_250_px_whatever_the_depth(rows, rng):
    png = _draw(rng.random((rows, 50)))
    assert png[:8] == PNG_SIGNATURE
    assert Image.open(io.BytesIO(png)).size == (440, 250)
    assert (heatmaps.WIDTH, heatmaps.HEIGHT) == (440, 250)


def test_text_shows_at_9_px_or_more_in_the_smallest_card():
    """TensorBoard fits the image into about 380 x 230 px at the least."""
    smallest = min(heatmaps.FONT_SIZES)
    assert smallest >= 12 and 12 <= heatmaps.TITLE_SIZE <= 13
    scale = min(380 / heatmaps.WIDTH, 230 / heatmaps.HEIGHT)
    assert scale >= 0.86
    assert scale * smallest >= 9


def test_the_layout_fits_the_height():
    assert 180 <= heatmaps.MAP_HEIGHT <= 200
    assert heatmaps.MAP_TOP >= heatmaps.TITLE_SIZE + 2  # under the title
    assert heatmaps.FOOTER_TOP + heatmaps.LINE <= heatmaps.HEIGHT


@pytest.mark.parametrize("rows", [1, 8, 59, 60])
def test_up_to_60_layers_each_has_a_row_of_3_px_or_more(rows):
    """Each layer a value of its own: `rows` bands down the map."""
    values = np.repeat(np.arange(rows, dtype=float)[:, None], 5, axis=1)
    image = _pixels(_draw(values, marks=False))
    column = image[MAP, MIDDLE]
    changes = np.flatnonzero(np.any(column[1:] != column[:-1], axis=1)) + 1
    bands = np.diff([0, *changes, column.shape[0]])
    assert bands.size == rows
    assert bands.min() >= 3
    assert column.shape[0] == heatmaps.MAP_HEIGHT


@pytest.mark.parametrize("rows", [61, 100, 430, 1000])
def test_past_60_layers_at_most_60_rows_are_drawn(rows):
    values = np.repeat(np.arange(rows, dtype=float)[:, None], 5, axis=1)
    image = _pixels(_draw(values, marks=False))
    column = image[MAP, MIDDLE]
    bands = 1 + np.any(column[1:] != column[:-1], axis=1).sum()
    assert 2 <= bands <= heatmaps.MAX_ROWS
    drawn, _, row_of = heatmaps._drawn_rows(
        values, _indexed(f"layer_{i}" for i in range(rows)), None, False)
    assert drawn.shape[0] <= 60 and row_of.shape == (rows,)
    assert np.all(np.diff(row_of) >= 0) and row_of[-1] == drawn.shape[0] - 1


def test_the_old_keywords_still_work(rng):
    png = heatmap_png(rng.random((3, 4)), ["a", "b", "c"], [1, 2, 3, 4],
                      title="fraction of dead units", log=False, vmin=0,
                      vmax=1)
    assert png[:8] == PNG_SIGNATURE


def test_explicit_groups_and_odd_shapes_draw(rng):
    labels = [str(i) for i in range(20)]
    png = _draw(rng.random((20, 5)), labels,
                groups=[(0, "stem"), (5, "body"), (12, "head")])
    assert png[:8] == PNG_SIGNATURE
    for png in (_draw(rng.random((1, 1)), ["only"]), _draw(np.zeros((0, 0)),
                                                           [])):
        assert Image.open(io.BytesIO(png)).size == (440, 250)


def test_more_than_60_explicit_groups_merge_into_60_rows(rng):
    values = rng.random((300, 4))
    groups = [(row, f"g{row}") for row in range(0, 300, 2)]  # 150 groups
    drawn, spans, _ = heatmaps._drawn_rows(values, _indexed(range(300)),
                                           groups, False)
    assert drawn.shape[0] == len(spans) <= 60
    assert spans[0][2] == "g0"
    assert _draw(values, groups=groups)[:8] == PNG_SIGNATURE


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="2-D"):
        heatmap_png(np.zeros((2, 2, 2)), ["a", "b"], [0, 1], "t")
    with pytest.raises(ValueError, match="row labels"):
        heatmap_png(np.zeros((3, 2)), ["a", "b"], [0, 1], "t")


def test_missing_values_and_a_log_scale_s_zeros_and_negatives_are_grey():
    values = np.ones((10, 4))
    values[:, 1:] = [0.0, -1.0, np.nan]
    grey = [np.all(_pixels(_draw(values, log=log)) == GREY, axis=2).sum()
            for log in (True, False)]
    linear_nan = np.all(_pixels(_draw(values[:, :3])) == GREY, axis=2).sum()
    assert grey[0] > 2.5 * grey[1]  # log: 3 grey columns of 4; linear: 1
    assert grey[1] > 0 and linear_nan == 0


def test_a_group_with_no_value_at_a_step_is_grey():
    values = np.ones((100, 2))
    values[:, 1] = 2.0
    values[:10] = np.nan  # the first group (of 10) has no value at all
    image = _pixels(_draw(values, groups=[(r, str(r)) for r in range(0, 100,
                                                                     10)]))
    colours = _row_colours(image, 10)
    assert colours[0] == GREY and GREY not in colours[1:]


def test_all_nan_draws_without_a_footer():
    footer = slice(heatmaps.FOOTER_TOP, heatmaps.HEIGHT)
    blank = _pixels(_draw(np.full((5, 4), np.nan)))[footer]
    assert np.all(blank == BACKGROUND)
    assert not np.all(_pixels(_draw(np.ones((5, 4))))[footer] == BACKGROUND)


# --------------------------------------------------------------------------
# Row labels: never overlapping, every k-th from the first


@pytest.mark.parametrize("rows", [1, 8, 14, 15, 30, 49, 60])
def test_row_labels_are_13_px_apart_every_k_th_row_from_the_first(rows):
    spans = [(r, r + 1, f"{r} layer_{r}") for r in range(rows)]
    labels = heatmaps._label_rows(spans, heatmaps._row_tops(rows))
    ys = [y for y, _ in labels]
    assert labels[0][1] == "0 layer_0"
    assert all(b - a >= heatmaps.LABEL_GAP for a, b in zip(ys, ys[1:]))
    kept = [int(text.split()[0]) for _, text in labels]
    every = kept[1] - kept[0] if len(kept) > 1 else 1
    expected = list(range(0, rows, every))
    assert kept == expected[:len(kept)]
    # the last k-th row may go: a label so low would touch the x axis's
    # "step"
    assert len(kept) >= len(expected) - 1
    assert all(y <= heatmaps.LOWEST_LABEL for y in ys)
    if rows <= 14:  # 190 px: 13.6 px a row or more, every row labelled
        assert kept == list(range(rows))


def test_long_row_labels_are_cut_to_130_px():
    labels = heatmaps._label_rows([(0, 1, "0 " + "x" * 80)],
                                  heatmaps._row_tops(1))
    assert labels[0][1].endswith("…")
    assert heatmaps._width(labels[0][1]) <= heatmaps.LABEL_WIDTH


def test_deep_maps_are_labelled_by_group_by_default(monkeypatch, rng):
    calls = []
    real = heatmaps.layer_groups

    def spy(names, *args, **kwargs):
        calls.append((len(names), kwargs.get("max_groups")))
        return real(names, *args, **kwargs)

    monkeypatch.setattr(heatmaps, "layer_groups", spy)
    _draw(rng.random((60, 3)))
    assert calls == []  # up to 60 rows: a row per layer
    _draw(rng.random((188, 3)), _indexed(_resnet50v2_names()))
    assert calls == [(188, heatmaps.MAX_ROWS)]


# --------------------------------------------------------------------------
# Past 60 layers: a group's row shows its most extreme member


def _planted(labels, low, high, steps=60):
    """Values around 1 for `labels`, layer `low` dying (1e-6) and `high`
    exploding (1e3) at every step."""
    rng = np.random.default_rng(0)
    values = 1 + 0.05 * rng.standard_normal((len(labels), steps))
    values[low], values[high] = 1e-6, 1e3
    return values


DEEP_MODELS = {
    # 100 rows: "0 dense_0", "1 act_0", "2 dense_1", ... (50 blocks of 2)
    "factory": (_indexed(_factory_names(50, ("dense", "act")))[:100],
                "31 act_15", "70 dense_35"),
    "ResNet50V2": (_indexed(_resnet50v2_names()), "56 conv3_block2_2_conv",
                   "161 conv5_block1_out"),
}


@pytest.mark.parametrize("model", sorted(DEEP_MODELS))
def test_a_dying_and_an_exploding_layer_show_in_their_groups_rows(model):
    labels, low, high = DEEP_MODELS[model]
    low, high = labels.index(low), labels.index(high)
    values = _planted(labels, low, high)
    drawn, spans, row_of = heatmaps._drawn_rows(values, labels, None, True)
    assert len(spans) == drawn.shape[0] <= 60
    image = _pixels(_draw(values, labels, log=True))
    colours = _row_colours(image, drawn.shape[0])
    darkest, brightest = _colour_ends()
    assert colours[row_of[low]] == darkest
    assert colours[row_of[high]] == brightest
    others = [c for r, c in enumerate(colours)
              if r not in (row_of[low], row_of[high])]
    assert darkest not in others and brightest not in others
    # the markers right of the map point at those rows
    tops = heatmaps._row_tops(drawn.shape[0])
    for row, mark in ((row_of[low], heatmap_colours.LOW_MARK),
                      (row_of[high], heatmap_colours.HIGH_MARK)):
        ys, xs = np.nonzero(np.all(image[MAP] == mark, axis=2))
        assert xs.min() > MIDDLE
        assert tops[row] - 1 <= ys.mean() <= tops[row + 1]


@pytest.mark.parametrize("model", sorted(DEEP_MODELS))
def test_the_footer_names_the_planted_layers_themselves(model):
    labels, low, high = DEEP_MODELS[model]
    values = _planted(labels, labels.index(low), labels.index(high))
    footer = heatmaps._footer(values, labels, log=True)
    assert [index for index, _ in footer] == [heatmap_colours.LOW_INDEX,
                                              heatmap_colours.HIGH_INDEX]
    (_, lowest), (_, highest) = footer
    assert lowest.startswith("lowest: " + low.split()[0] + " ")
    assert highest.startswith("highest: " + high.split()[0] + " ")
    assert lowest.endswith(" 1e-06") and highest.endswith(" 1e+03")
    if model == "factory":  # short labels: whole
        assert footer == [(heatmap_colours.LOW_INDEX, "lowest: 31 act_15 1e-06"),
                          (heatmap_colours.HIGH_INDEX,
                           "highest: 70 dense_35 1e+03")]


def test_the_footer_fits_one_line_with_long_labels():
    values = np.ones((3, 2))
    values[0, -1], values[2, -1] = 0.1, 10.0
    for labels in (["0 " + "x" * 80, "b", "2 " + "y" * 80],
                   ["0 a", "b", "2 " + "y" * 80]):
        footer = heatmaps._footer(values, labels, log=False)
        width = sum(heatmaps._width(text) + heatmaps.MARK_WIDTH + 3
                    for _, text in footer) + heatmaps._width(
                        heatmaps.FOOTER_GAP)
        assert width <= heatmaps.WIDTH - 2 * heatmaps.MARGIN
        assert footer[1][1].startswith("highest: 2 yyy")
        assert "…" in footer[1][1] and footer[1][1].endswith(" 10")
    assert footer[0][1] == "lowest: 0 a 0.1"  # short: kept whole


def test_marks_add_markers_right_of_the_map_labels_and_the_footer():
    """With marks, the map is the same; right of it, only the markers are
    new; left of it, the labels of the marked rows (in the label column)."""
    labels = DEEP_MODELS["factory"][0]
    values = _planted(labels, 31, 70)
    marked, plain = (_pixels(_draw(values, labels, log=True, marks=m))
                     for m in (True, False))
    changed = np.any(marked != plain, axis=2)
    assert changed[heatmaps.FOOTER_TOP:].any()  # the footer
    ys, xs = np.nonzero(changed[:heatmaps.FOOTER_TOP])
    right = xs > MIDDLE
    assert right.any() and (~right).any()
    markers = [tuple(p) for p in marked[ys[right], xs[right]]]
    assert set(markers) <= {heatmap_colours.LOW_MARK, heatmap_colours.HIGH_MARK}
    assert xs[~right].max() < heatmaps.MARGIN + heatmaps.LABEL_WIDTH + 10
    assert ys.max() < heatmaps.MAP_TOP + heatmaps.MAP_HEIGHT


def test_the_marked_rows_are_labelled_and_labels_stay_apart():
    labels, low, high = DEEP_MODELS["factory"]
    values = _planted(labels, labels.index(low), labels.index(high))
    _, spans, row_of = heatmaps._drawn_rows(values, labels, None, True)
    marked = [row_of[labels.index(low)], row_of[labels.index(high)]]
    drawn = heatmaps._label_rows(spans, heatmaps._row_tops(len(spans)),
                                 marked)
    texts = [text for _, text in drawn]
    assert "30 dense_15" in texts and "70 dense_35" in texts  # their groups
    assert texts[0] == "0 dense_0"
    ys = [y for y, _ in drawn]
    assert all(b - a >= heatmaps.LABEL_GAP for a, b in zip(ys, ys[1:]))
    # a marked row too near the first goes without: the first stays
    spans = [(r, r + 1, str(r)) for r in range(60)]
    drawn = heatmaps._label_rows(spans, heatmaps._row_tops(60), [2, 30])
    texts = [text for _, text in drawn]
    assert texts[0] == "0" and "2" not in texts and "30" in texts


# --------------------------------------------------------------------------
# The module sits at the bottom of the package


def test_the_module_imports_only_numpy_pillow_and_matplotlib():
    with open(heatmaps.__file__, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    imported = {(node.module if isinstance(node, ast.ImportFrom)
                 else alias.name).split(".")[0]
                for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    assert imported <= {"functools", "io", "math", "numpy", "PIL",
                        "matplotlib", "keras_initact"}
    assert {node.module for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and node.module.startswith("keras_initact")} == {
        "keras_initact.layer_groups", "keras_initact.heatmap_colours"}

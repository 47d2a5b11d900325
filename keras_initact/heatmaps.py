"""Layer x step heat maps as PNG images, drawn in milliseconds.

`LayerStats` draws one per statistic while training runs, for TensorBoard's
Images tab: a row per layer (in depth order, top: input side), a column per
logging step, a colour per value (fastai's "colorful dimension" view of where
a signal dies). Matplotlib needs about 150 ms for such a figure; this draws
the cells with Matplotlib's colour maps and the text with Pillow (both
already installed with Matplotlib) in a few milliseconds, so the images can
follow training. `keras_initact.report` draws the full Matplotlib figures
after training.

The image is 400 px wide, the width of TensorBoard's image card, so that it
shows unscaled and its text stays legible (11 px and more) whatever the
depth: up to 60 layers each row has its label; deeper models are labelled by
block or stage (`layer_groups`), with a thin white gap between groups, while
every layer keeps its own pixel row(s). Markers right of the map and a
footer name the layers with the lowest and highest value at the last step.

This module sits at the bottom of the package: it imports only NumPy,
Pillow and Matplotlib.
"""

import functools
import io
import math
import re

import numpy as np

__all__ = ["heatmap_png", "layer_groups"]

MISSING = (190, 190, 190)  # cells with no value (NaN; <= 0 on a log scale)
BACKGROUND = (255, 255, 255)
INK = (30, 30, 30)
LOW_MARK, HIGH_MARK = (31, 100, 200), (215, 40, 30)  # the markers

WIDTH = 400  # TensorBoard's image card: the image shows unscaled
MARGIN = 4
LABEL_WIDTH = 120  # the most the row labels may take, in px
TITLE_SIZE, TEXT_SIZE = 13, 11
LINE = 14  # the height of a line of 11 px text (ascent + descent)
MAX_CELL, TARGET_HEIGHT, MIN_HEIGHT, MAX_HEIGHT = 18, 480, 200, 800
MARK_WIDTH, BAR_WIDTH = 8, 10
LABEL_GAP = 12  # the least vertical distance between two y-axis labels
# palette indices (the PNG is palette-coded: a third of the bytes of RGB,
# and no per-row filter search, so it encodes in a few milliseconds)
LEVELS = 224  # colour-map levels, 0 .. LEVELS - 1
MISSING_INDEX, BACKGROUND_INDEX, LOW_INDEX, HIGH_INDEX = range(LEVELS,
                                                               LEVELS + 4)
INK_INDEX, INK_LEVELS = LEVELS + 4, 256 - LEVELS - 4
ALL_ROW_LABELS = 60  # up to this many rows, every row has its own label


@functools.lru_cache(maxsize=4)
def _font(size):
    from PIL import ImageFont

    try:
        from matplotlib import font_manager

        return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)
    except (ImportError, OSError, ValueError):
        return ImageFont.load_default(size)


@functools.lru_cache(maxsize=8192)
def _width(text, size=TEXT_SIZE):
    return _font(size).getlength(text)


@functools.lru_cache(maxsize=8192)
def _fit(text, width, size=TEXT_SIZE):
    """`text`, cut at the end with "…" to at most `width` px."""
    font = _font(size)
    if font.getlength(text) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle] + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


def _number(value):
    """1.2e-06, 0.93, 9.3e+02: two significant digits."""
    return f"{value:.2g}"


@functools.lru_cache(maxsize=4)
def _palette(cmap="viridis"):
    """The PNG palette: LEVELS colours of `cmap`, the fixed colours, then
    INK_LEVELS blends of INK over the background (antialiased text)."""
    from matplotlib import colormaps

    ramp = colormaps[cmap](np.linspace(0, 1, LEVELS))[:, :3] * 255
    fixed = np.array([MISSING, BACKGROUND, LOW_MARK, HIGH_MARK], float)
    cover = np.arange(1, INK_LEVELS + 1)[:, None] / INK_LEVELS
    ink = np.array(BACKGROUND) * (1 - cover) + np.array(INK) * cover
    palette = np.concatenate([ramp, fixed, ink]).round().astype(np.uint8)
    return palette.ravel().tolist()


def _levels(values, log, vmin, vmax):
    """The palette index of each value, and the value range the colours
    span; NaN (and <= 0 on a log scale) -> MISSING_INDEX."""
    with np.errstate(invalid="ignore"):
        good = np.isfinite(values) & ((values > 0) if log else True)
    finite = values[good]
    if vmin is None or not math.isfinite(vmin) or (log and vmin <= 0):
        vmin = float(finite.min()) if finite.size else (1e-8 if log else 0.0)
    if vmax is None or not math.isfinite(vmax):
        vmax = float(finite.max()) if finite.size else (
            vmin * 10 if log else vmin + 1.0)
    vmin, vmax = float(vmin), float(vmax)
    if vmax <= vmin:
        vmax = vmin * 10 if log else vmin + 1.0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if log:
            scaled = (np.log10(values) - math.log10(vmin)) / (
                math.log10(vmax) - math.log10(vmin))
        else:
            scaled = (values - vmin) / (vmax - vmin)
        levels = np.rint(np.clip(np.nan_to_num(scaled), 0, 1) * (LEVELS - 1))
    levels = levels.astype(np.uint8)
    levels[~good] = MISSING_INDEX
    return levels, vmin, vmax


def _extremes(values, log):
    """(row of the lowest, row of the highest) finite value in the last
    column (on a log scale: among the values > 0), or None if it has none."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] == 0:
        return None
    last = values[:, -1]
    with np.errstate(invalid="ignore"):
        good = np.isfinite(last) & ((last > 0) if log else True)
    if not good.any():
        return None
    rows = np.flatnonzero(good)
    return (int(rows[np.argmin(last[rows])]), int(rows[np.argmax(last[rows])]))


# --------------------------------------------------------------------------
# Grouping layers into blocks or stages by the numbers in their names

_POSITION = re.compile(r"^(\d+\s+)(.*)$", re.DOTALL)
_NUMBER = re.compile(r"\d+")


def _runs(keys):
    """[(start, stop), ...]: the maximal runs of equal consecutive keys."""
    runs, start = [], 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            runs.append((start, i))
            start = i
    return runs


def _group_label(names, positions, start, stop):
    """The longest common `_`-token prefix of the group's names if it has a
    digit (`conv2_block1`), else its first name; after the first row's
    position index, if the row labels had one."""
    tokens = [name.split("_") for name in names[start:stop]]
    common = []
    for parts in zip(*tokens):
        if any(part != parts[0] for part in parts):
            break
        common.append(parts[0])
    prefix = "_".join(common)
    label = prefix if any(c.isdigit() for c in prefix) else names[start]
    return positions[start] + label


@functools.lru_cache(maxsize=64)
def _layer_groups(labels, max_groups):
    if not labels:
        return ()
    positions, names = [], []
    for label in labels:
        match = _POSITION.match(label)
        positions.append(match.group(1) if match else "")
        names.append(match.group(2) if match else label)
    numbers = [tuple(int(n) for n in _NUMBER.findall(name)) for name in names]
    by_level = {k: _runs([n[:k] for n in numbers]) for k in (2, 1)}
    runs = next((by_level[k] for k in (2, 1)
                 if 2 <= len(by_level[k]) <= max_groups), None)
    if runs is None:
        # too many (or too few) blocks: merge consecutive groups of the
        # coarsest level with at least two groups, else single layers
        base = next((by_level[k] for k in (1, 2) if len(by_level[k]) >= 2),
                    [(i, i + 1) for i in range(len(names))])
        size = math.ceil(len(base) / max_groups)
        runs = [(base[i][0], base[min(i + size, len(base)) - 1][1])
                for i in range(0, len(base), size)]
        labels_of = [_group_label(names, positions, *base[i])
                     for i in range(0, len(base), size)]
        return tuple((start, label)
                     for (start, _), label in zip(runs, labels_of))
    return tuple((start, _group_label(names, positions, start, stop))
                 for start, stop in runs)


def layer_groups(names, max_groups=40):
    """Groups consecutive layers into blocks or stages by their names.

    A layer's key at level k is the tuple of the first k integers in its
    name (after a leading position index such as the `37 ` of
    `"37 act_37"`, which is ignored): in ResNet50V2, level 2 gives blocks
    (`conv2_block1_1_conv` -> (2, 1)) and level 1 stages (-> (2,)); in a
    factory model (`dense_0, act_0, scale_0, dense_1, ...`) level 1 gives
    blocks. A group is a maximal run of consecutive layers with the same key
    (so the same key twice, separated by another, makes two groups). The
    finest level (2, then 1) that gives 2 to `max_groups` groups is used;
    else consecutive groups of the level-1 grouping (of single layers if the
    names have no numbers) are merged into chunks of
    `ceil(n_groups / max_groups)`.

    Args:
        names: a name per layer, in depth order.
        max_groups: the most groups returned.

    Returns:
        `[(first_row, label), ...]` in row order, the first at row 0 (empty
        for no names). A group's label is the longest common `_`-token prefix
        of its names if that has a digit (`conv2_block1`, `conv3`), else its
        first layer's name (`dense_7`); a merged chunk takes its first
        group's label. A leading position index is kept (`"14 dense_7"`).
    """
    max_groups = max(1, int(max_groups))
    return list(_layer_groups(tuple(str(n) for n in names), max_groups))


# --------------------------------------------------------------------------
# Drawing

def _cell_height(rows):
    """Integer px per row: about TARGET_HEIGHT in all, between 1 and 18."""
    cell = max(TARGET_HEIGHT // rows, math.ceil(MIN_HEIGHT / rows))
    return max(1, min(MAX_CELL, cell))


def _pixel_rows(rows, starts):
    """The data row of each pixel row of the map, -1 for the one-pixel gap
    before each group start in `starts` (other than row 0)."""
    cell = _cell_height(rows)
    budget = MAX_HEIGHT - len(starts)
    if rows * cell <= budget:
        pixels = np.repeat(np.arange(rows), cell)
    else:  # more rows than pixels: the nearest row for each pixel
        pixels = ((np.arange(budget) + 0.5) * rows / budget).astype(int)
    if starts:
        at = np.searchsorted(pixels, sorted(starts))
        pixels = np.insert(pixels, at, -1)
    return pixels


def _row_spans(pixels, rows):
    """(first, last) pixel row of each data row."""
    drawn = np.flatnonzero(pixels >= 0)
    order = pixels[drawn]
    first = np.searchsorted(order, np.arange(rows), side="left")
    last = np.searchsorted(order, np.arange(rows), side="right") - 1
    first = drawn[np.clip(first, 0, drawn.size - 1)]
    last = drawn[np.clip(last, 0, drawn.size - 1)]
    return first, np.maximum(first, last)


def _clean_groups(groups, rows):
    out = {}
    for first, label in groups:
        first = int(first)
        if 0 <= first < rows and first not in out:
            out[first] = str(label)
    return sorted(out.items())


@functools.lru_cache(maxsize=4096)
def _glyphs(text, size, anchor):
    """`text` rendered once: (coverage 0..255, x and y of its box relative
    to the anchor point), or None for no ink."""
    from PIL import Image, ImageDraw

    font = _font(size)
    x0, y0, x1, y1 = font.getbbox(text, anchor=anchor)
    if x1 <= x0 or y1 <= y0:
        return None
    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
    ImageDraw.Draw(mask).text((-x0, -y0), text, fill=255, font=font,
                              anchor=anchor)
    return np.asarray(mask), x0, y0


def _text(ink, x, y, text, size=TEXT_SIZE, anchor="la"):
    """Draws `text` into the coverage layer `ink` (Pillow anchors)."""
    glyphs = _glyphs(text, size, anchor)
    if glyphs is None:
        return
    mask, x0, y0 = glyphs
    left, top = int(round(x)) + x0, int(round(y)) + y0
    height, width = mask.shape
    a, b = max(0, -top), max(0, -left)
    c = min(height, ink.shape[0] - top)
    d = min(width, ink.shape[1] - left)
    if a < c and b < d:
        region = ink[top + a:top + c, left + b:left + d]
        np.maximum(region, mask[a:c, b:d], out=region)


def _triangle(draw, x, y, index):
    """A small triangle pointing left, its tip at (x, y)."""
    draw.polygon([(x, y), (x + MARK_WIDTH - 1, y - 4),
                  (x + MARK_WIDTH - 1, y + 4)], fill=index)


def _footer_lines(low, high, width):
    """The footer as lines of [(marker index, text), ...], fitted to
    `width` px: `lowest: <label> <value>   highest: <label> <value>` on one
    line if it fits, else on two, the labels cut to fit."""
    font = _font(TEXT_SIZE)
    mark = MARK_WIDTH + 3
    parts = [(LOW_INDEX, "lowest: ", *low), (HIGH_INDEX, "highest: ", *high)]

    def text(head, label, value, room):
        tail = " " + _number(value)
        fitted = _fit(label, max(20, int(room - _width(head + tail))))
        return head + fitted + tail

    one = [text(head, label, value, 10 ** 6)
           for _, head, label, value in parts]
    if (sum(_width(t) for t in one) + 2 * mark
            + _width(FOOTER_GAP) <= width):
        return [[(parts[0][0], one[0]), (parts[1][0], one[1])]]
    return [[(index, text(head, label, value, width - mark))]
            for index, head, label, value in parts]


FOOTER_GAP = "   "


def _canvas_png(canvas, ink, marks):
    """The PNG of palette indices `canvas` with the coverage layer `ink`
    over it, and the `marks` [(x, y, index), ...] triangles."""
    from PIL import Image, ImageDraw

    level = (ink.astype(np.uint16) * INK_LEVELS + 127) // 255
    inked = level > 0
    canvas[inked] = (INK_INDEX - 1 + level[inked]).astype(np.uint8)
    image = Image.fromarray(canvas, "P")
    image.putpalette(_palette())
    draw = ImageDraw.Draw(image)
    for x, y, index in marks:
        _triangle(draw, x, y, index)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def heatmap_png(values, row_labels, steps, title, log=False, vmin=None,
                vmax=None, groups=None, marks=True):
    """A 400 px wide PNG (bytes) of `values` (rows x steps) with labels, a
    colour bar and markers on the extreme layers of the last step.

    Args:
        values: 2-D array, a row per layer in depth order (top: input side),
            a column per logging step; NaN (and, on a log scale, values
            <= 0) are drawn light grey.
        row_labels: a label per row (e.g. `"37 act_37"`: position and name).
        steps: the step of each column (a few label the x axis).
        title: drawn above the map.
        log: a logarithmic colour scale (for norms, stds and ratios).
        vmin, vmax: the colour range (default: the finite values' range).
        groups: `[(first_row, label), ...]`, first rows increasing from 0:
            a one-pixel gap across the map before each group and one label
            per group (labels that would touch the previous one are left
            out). Default: `layer_groups(row_labels)` for more than 60
            rows; up to 60, each row its own label.
        marks: mark, right of the map, the rows with the lowest and highest
            finite value in the last column (on a log scale: among the
            values > 0), and name them with their values in a footer.

    Every row keeps its own pixel rows (1 to 18 px each; the map is 200 to
    800 px high, about 480 for 27 to 480 rows), up to 800 rows; the map's
    last pixel column is always the last step.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(f"heatmap_png: `values` must be 2-D (rows x steps); "
                         f"received shape {values.shape}.")
    rows, columns = values.shape
    row_labels = [str(label) for label in row_labels]
    if len(row_labels) != rows:
        raise ValueError(f"heatmap_png: {rows} rows but {len(row_labels)} "
                         "row labels.")
    steps = list(steps)
    font = _font(TEXT_SIZE)
    title = _fit(str(title), WIDTH - 2 * MARGIN, TITLE_SIZE)
    if rows == 0 or columns == 0:
        canvas = np.full((48, WIDTH), BACKGROUND_INDEX, np.uint8)
        ink = np.zeros(canvas.shape, np.uint8)
        _text(ink, MARGIN, MARGIN, title, TITLE_SIZE)
        _text(ink, MARGIN, MARGIN + TITLE_SIZE + 10, "no values yet")
        return _canvas_png(canvas, ink, [])

    if groups is None and rows > ALL_ROW_LABELS:
        groups = layer_groups(row_labels)
    groups = _clean_groups(groups, rows) if groups else None

    # vertical layout: pixel row -> data row (-1: the gap before a group)
    pixels = _pixel_rows(rows, [g for g, _ in groups or [] if g > 0])
    first_y, last_y = _row_spans(pixels, rows)
    height = pixels.size
    if groups:  # a label in the middle of each group
        stops = [g for g, _ in groups[1:]] + [rows]
        wanted = [((first_y[g] + last_y[stop - 1] + 1) / 2, label)
                  for (g, label), stop in zip(groups, stops)]
    else:
        wanted = [((first_y[r] + last_y[r] + 1) / 2, row_labels[r])
                  for r in range(rows)]
    labels, previous = [], -math.inf
    for center, label in wanted:  # leave out the labels that would touch
        if center - previous >= LABEL_GAP:
            labels.append((center, _fit(label, LABEL_WIDTH)))
            previous = center

    # horizontal layout: labels | ticks | map | markers | colour bar | text
    levels, vmin, vmax = _levels(values, log, vmin, vmax)
    bar_labels = [_number(vmax), _number(vmin)]
    bar_text = max(_width(t) for t in bar_labels + ["log"])
    left = MARGIN + 6 + math.ceil(max(
        [_width(t) for _, t in labels] + [_width("step")]))
    bar_left = WIDTH - MARGIN - math.ceil(bar_text) - 3 - BAR_WIDTH
    plot_width = bar_left - 4 - MARK_WIDTH - 2 - left
    plot_right = left + plot_width

    extremes = _extremes(values, log) if marks else None
    footer = []
    if extremes is not None:
        low, high = extremes
        footer = _footer_lines((row_labels[low], values[low, -1]),
                               (row_labels[high], values[high, -1]),
                               WIDTH - 2 * MARGIN)

    top = MARGIN + TITLE_SIZE + 8
    bar_height = max(height, 2 * LINE + 2)
    axis = top + bar_height + 1
    total = axis + 4 + LINE + (len(footer) * LINE + 6 if footer else 2)
    canvas = np.full((total, WIDTH), BACKGROUND_INDEX, np.uint8)
    ink = np.zeros(canvas.shape, np.uint8)
    _text(ink, MARGIN, MARGIN, title, TITLE_SIZE)

    # the cells: each data row keeps its pixel rows; the last pixel column
    # is the last step
    pixel_columns = ((np.arange(plot_width) + 0.5) * columns
                     / plot_width).astype(np.intp)
    pixel_columns[-1] = columns - 1
    cells = levels[np.ix_(np.maximum(pixels, 0), pixel_columns)]
    cells[pixels < 0] = BACKGROUND_INDEX
    canvas[top:top + height, left:plot_right] = cells

    # y axis: row or group labels, each with a tick
    for center, text in labels:
        y = top + int(center)
        ink[y, left - 3:left - 1] = 255
        _text(ink, left - 5, top + center, text, anchor="rm")

    # x axis: a few steps (always the last), and "step" left of them
    y = top + height + 1
    ticks = np.unique(np.linspace(0, columns - 1, min(
        columns, max(2, plot_width // 60))).round().astype(int))
    taken = []
    for column in [ticks[-1], *ticks[:-1]]:
        x = left + int((column + 0.5) * plot_width / columns)
        text = str(steps[column]) if column < len(steps) else ""
        half = _width(text) / 2
        middle = min(max(x, left + half), WIDTH - MARGIN - half)
        box = (middle - half - 4, middle + half + 4)
        if any(box[0] < b and a < box[1] for a, b in taken):
            continue
        taken.append(box)
        ink[y:y + 3, x] = 255
        _text(ink, middle, y + 3, text, anchor="mt")
    _text(ink, left - 5, y + 3, "step", anchor="rt")

    # colour bar: vmax at the top, vmin at the bottom
    ramp = np.linspace(LEVELS - 1, 0, bar_height).round().astype(np.uint8)
    canvas[top:top + bar_height, bar_left:bar_left + BAR_WIDTH] = ramp[:, None]
    x = bar_left + BAR_WIDTH + 3
    _text(ink, x, top, bar_labels[0], anchor="lt")
    _text(ink, x, top + bar_height, bar_labels[1], anchor="ls")
    if log:
        _text(ink, x, top + bar_height / 2, "log", anchor="lm")

    # the extreme rows of the last column: markers and a footer
    triangles = []
    if extremes is not None:
        for row, index in ((extremes[1], HIGH_INDEX), (extremes[0], LOW_INDEX)):
            triangles.append((plot_right + 2,
                              top + (first_y[row] + last_y[row]) // 2, index))
        y = axis + 4 + LINE + 2 + LINE // 2
        for line in footer:
            x = MARGIN
            for index, text in line:
                triangles.append((x, y, index))
                x += MARK_WIDTH + 3
                _text(ink, x, y, text, anchor="lm")
                x += _width(text + FOOTER_GAP)
            y += LINE
    return _canvas_png(canvas, ink, triangles)

"""Layer x step heat maps as PNG images, drawn in milliseconds.

`LayerStats` draws one per statistic while training runs, for TensorBoard's
Images tab: a row per layer (in depth order, top: input side), a column per
logging step, a colour per value (fastai's "colorful dimension" view of where
a signal dies). Matplotlib needs about 150 ms for such a figure; this draws
the cells with Matplotlib's colour maps and the text with Pillow (both
already installed with Matplotlib) in a few milliseconds, so the images can
follow training. `keras_initact.report` draws the full Matplotlib figures
after training.

The image has one size, WIDTH x HEIGHT (440 x 250 px), whatever the depth.
TensorBoard 2.21's Time Series view shows an image card's image with
`object-fit: contain` in a box of about 380-450 x 225-230 px, so the image
shows at 86 % or more and its smallest text (12 px) at 10 px or more. The
map draws at most MAX_ROWS (60) rows: a row per layer up to 60 layers;
past that a row per block or stage (`layer_groups`), each cell showing its
group's most extreme layer (the farthest from the column's median), so that
a dying layer and an exploding one both show. Markers right of the map and
a one-line footer name the layers with the lowest and highest value at the
last step.

This module sits at the bottom of the package: it imports only NumPy,
Pillow, Matplotlib and its two helpers, `heatmap_colours` (the palette and
the colour of each value) and `layer_groups`.
"""

import functools
import io
import math

import numpy as np

import keras_initact.heatmap_colours as colours
from keras_initact.heatmap_colours import (
    BACKGROUND_INDEX, HIGH_INDEX, INK_INDEX, INK_LEVELS, LEVELS, LOW_INDEX,
)
from keras_initact.layer_groups import layer_groups

__all__ = ["heatmap_png", "layer_groups"]


# The image: one size whatever the depth. TensorBoard's image card fits it
# into about 380 x 230 px at the least: a scale of min(380 / 440, 230 / 250)
# = 0.86, so 12 px text shows at 10 px.
WIDTH, HEIGHT = 440, 250
TITLE_SIZE, TEXT_SIZE = 13, 12  # font sizes in px; no text is smaller
FONT_SIZES = (TITLE_SIZE, TEXT_SIZE)
MARGIN = 4
# top to bottom: the title, the map, the x axis (ticks and step labels),
# the footer
MAP_TOP = 23
MAP_HEIGHT = 190
TICK = 3  # the x axis's ticks, under the map
LINE = 15  # a line of TEXT_SIZE text: ascent + descent
FOOTER_TOP = MAP_TOP + MAP_HEIGHT + TICK + LINE  # 231
assert FOOTER_TOP + LINE + 2 <= HEIGHT
# left to right: row labels | ticks | map | markers | colour bar | its text
LABEL_WIDTH = 130  # the most the row labels may take, in px
MARK_WIDTH, BAR_WIDTH = 8, 10
MAX_ROWS = 60  # the most rows drawn; more layers: a row per group
LABEL_GAP = 13  # the least vertical distance between two row labels
LOWEST_LABEL = MAP_HEIGHT - 4  # lower row labels would touch "step" below
FOOTER_GAP = "   "  # between the footer's lowest and highest


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


# --------------------------------------------------------------------------
# The drawn rows: a row per layer, or per group past MAX_ROWS layers

def _clean_groups(groups, row_labels):
    """`groups` as [(first_row, label), ...]: first rows in range, each
    once, in order, the first 0 (else a group from row 0 is added, named
    after its first row); merged into at most MAX_ROWS groups (chunks of
    ceil(n / MAX_ROWS) consecutive groups, each named after its first)."""
    rows = len(row_labels)
    out = {}
    for first, label in groups:
        first = int(first)
        if 0 <= first < rows and first not in out:
            out[first] = str(label)
    out.setdefault(0, row_labels[0])
    groups = sorted(out.items())
    size = math.ceil(len(groups) / MAX_ROWS)
    return groups[::size]


def _drawn_rows(values, row_labels, groups, log):
    """What the map draws: (its values, a row per layer or per group, at
    most MAX_ROWS; its labels [(first drawn row, stop, label), ...]; the
    drawn row of each layer).

    Up to MAX_ROWS layers, a row per layer, labelled by the `groups` if
    given, else each by its own label. Past that, a row per group
    (`groups`, else `layer_groups(row_labels, max_groups=MAX_ROWS)`), its
    cells its most extreme member's values (`heatmap_colours.aggregate`)."""
    rows = len(row_labels)
    if rows <= MAX_ROWS:
        if groups:
            groups = _clean_groups(groups, row_labels)
            stops = [first for first, _ in groups[1:]] + [rows]
            spans = [(first, stop, label)
                     for (first, label), stop in zip(groups, stops)]
        else:
            spans = [(row, row + 1, label)
                     for row, label in enumerate(row_labels)]
        return values, spans, np.arange(rows)
    groups = _clean_groups(groups or layer_groups(
        row_labels, max_groups=MAX_ROWS), row_labels)
    starts = [first for first, _ in groups]
    spans = [(group, group + 1, label)
             for group, (_, label) in enumerate(groups)]
    row_of = np.searchsorted(starts, np.arange(rows), side="right") - 1
    return colours.aggregate(values, starts, log), spans, row_of


def _row_tops(rows):
    """The first pixel row (from the map's top) of each drawn row, and one
    past the map: MAP_HEIGHT px shared out, 3 px or more per row."""
    return (np.arange(rows + 1) * MAP_HEIGHT + rows - 1) // rows


def _label_rows(spans, tops, marked=()):
    """[(y, label), ...] in order down the map: the labels to draw, each at
    its span's middle (y from the map's top), at least LABEL_GAP px apart.
    First the first span's, then the `marked` spans' (those of the extreme
    layers), then, with a span per drawn row, every k-th row's from the
    first, k the least that keeps them apart, or, with groups of rows,
    each group's; each only if it keeps LABEL_GAP px from those taken, and
    (other than the marked and the first) if its middle is LOWEST_LABEL px
    or less from the map's top, clear of the x axis's "step"."""
    middles = [(tops[first] + tops[stop]) / 2 for first, stop, _ in spans]
    if all(stop == first + 1 for first, stop, _ in spans):
        every = 1
        while any(b - a < LABEL_GAP
                  for a, b in zip(middles[::every], middles[every::every])):
            every += 1
    else:
        every = 1
    chosen = []
    for i in [0, *marked, *range(every, len(spans), every)]:
        if all(abs(middles[i] - middles[j]) >= LABEL_GAP for j in chosen) \
                and (middles[i] <= LOWEST_LABEL or i in marked or i == 0):
            chosen.append(i)
    return [(middles[i], _fit(spans[i][2], LABEL_WIDTH))
            for i in sorted(chosen)]


def _footer(values, row_labels, log, width=WIDTH - 2 * MARGIN):
    """The footer's one line, [(LOW_INDEX, "lowest: <label> <value>"),
    (HIGH_INDEX, "highest: <label> <value>")] for the layers with the
    lowest and highest value at the last step
    (`heatmap_colours.extremes`), the labels cut
    to fit `width` px with the markers; [] where no value has a colour."""
    extremes = colours.extremes(values, log)
    if extremes is None:
        return []
    parts = [(index, head, row_labels[row], " " + _number(values[row, -1]))
             for index, head, row in zip((LOW_INDEX, HIGH_INDEX),
                                         ("lowest: ", "highest: "),
                                         extremes)]
    room = width - 2 * (MARK_WIDTH + 3) - _width(FOOTER_GAP) - sum(
        _width(head + tail) for _, head, _, tail in parts)
    wide = [_width(label) for _, _, label, _ in parts]
    if sum(wide) > room:  # the shorter keeps what it needs, if under half
        wide = [max(room / 2, room - other) for other in wide[::-1]]
    return [(index, head + _fit(label, max(20, math.ceil(w))) + tail)
            for (index, head, label, tail), w in zip(parts, wide)]


# --------------------------------------------------------------------------
# Drawing

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


def _canvas_png(canvas, ink, marks):
    """The PNG of palette indices `canvas` with the coverage layer `ink`
    over it, and the `marks` [(x, y, index), ...] triangles."""
    from PIL import Image, ImageDraw

    level = (ink.astype(np.uint16) * INK_LEVELS + 127) // 255
    inked = level > 0
    canvas[inked] = (INK_INDEX - 1 + level[inked]).astype(np.uint8)
    image = Image.fromarray(canvas, "P")
    image.putpalette(colours.palette())
    draw = ImageDraw.Draw(image)
    for x, y, index in marks:
        _triangle(draw, x, y, index)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def heatmap_png(values, row_labels, steps, title, log=False, vmin=None,
                vmax=None, groups=None, marks=True):
    """A WIDTH x HEIGHT (440 x 250 px) PNG (bytes) of `values` (layers x
    steps) with labels, a colour bar and markers on the extreme layers of
    the last step.

    Args:
        values: 2-D array, a row per layer in depth order (top: input side),
            a column per logging step; NaN (and, on a log scale, values
            <= 0) are drawn light grey.
        row_labels: a label per row (e.g. `"37 act_37"`: position and name).
        steps: the step of each column (a few label the x axis).
        title: drawn above the map.
        log: a logarithmic colour scale (for norms, stds and ratios).
        vmin, vmax: the colour range (default: the range of the values
            that have a colour, over all layers).
        groups: `[(first_row, label), ...]`, first rows increasing from 0.
            Up to MAX_ROWS (60) layers, they only label the rows (a label
            per group); past that, a drawn row per group (merged into at
            most 60). Default: no groups up to 60 layers, a label per row;
            past that, `layer_groups(row_labels, max_groups=60)`.
        marks: mark, right of the map, the rows holding the layers with the
            lowest and highest value in the last column (on a log scale:
            among the values > 0), and name those layers with their values
            in a one-line footer.

    The map is 190 px high whatever the depth: up to 60 layers, a row per
    layer (3 px or more each); past 60, a row per group, each cell the
    group's most extreme member at that step (the farthest from the
    column's median, in log10 on a log scale), so that a dying layer and an
    exploding one both show (a group none of whose members has a value is
    grey). Row labels are at least LABEL_GAP (13) px apart: every k-th row
    or group is labelled, from the first. The columns share the map's
    width, the nearest column per pixel; the last pixel column is always
    the last step. The markers and the footer are found on the layers'
    own values, not the groups'.
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
    title = _fit(str(title), WIDTH - 2 * MARGIN, TITLE_SIZE)
    canvas = np.full((HEIGHT, WIDTH), BACKGROUND_INDEX, np.uint8)
    ink = np.zeros(canvas.shape, np.uint8)
    _text(ink, MARGIN, 2, title, TITLE_SIZE)
    if rows == 0 or columns == 0:
        _text(ink, MARGIN, MAP_TOP, "no values yet")
        return _canvas_png(canvas, ink, [])

    drawn, spans, row_of = _drawn_rows(values, row_labels, groups, log)
    tops = _row_tops(drawn.shape[0])
    extremes = colours.extremes(values, log) if marks else None
    marked = [] if extremes is None else [int(row_of[row]) for row in extremes]
    firsts = [first for first, _, _ in spans]
    labels = _label_rows(spans, tops, [
        int(np.searchsorted(firsts, row, side="right")) - 1 for row in marked])
    vmin, vmax = colours.limits(values, log, vmin, vmax)  # all layers' range
    levels = colours.levels(drawn, log, vmin, vmax)

    # left to right: labels | ticks | map | markers | colour bar | its text
    bar_labels = [_number(vmax), _number(vmin)]
    bar_text = max(_width(t) for t in bar_labels + ["log"])
    left = MARGIN + 6 + math.ceil(max(
        [_width(t) for _, t in labels] + [_width("step")]))
    bar_left = WIDTH - MARGIN - math.ceil(bar_text) - 3 - BAR_WIDTH
    plot_right = bar_left - 4 - MARK_WIDTH - 2
    plot_width = plot_right - left

    # the cells; the last pixel column is the last step
    pixel_rows = np.repeat(np.arange(drawn.shape[0]), np.diff(tops))
    pixel_columns = ((np.arange(plot_width) + 0.5) * columns
                     / plot_width).astype(np.intp)
    pixel_columns[-1] = columns - 1
    canvas[MAP_TOP:MAP_TOP + MAP_HEIGHT, left:plot_right] = \
        levels[np.ix_(pixel_rows, pixel_columns)]

    # y axis: row or group labels, each with a tick
    for y, text in labels:
        ink[MAP_TOP + int(y), left - 3:left - 1] = 255
        _text(ink, left - 5, MAP_TOP + y, text, anchor="rm")

    # x axis: a few steps (always the last), and "step" left of them
    y = MAP_TOP + MAP_HEIGHT
    ticks = np.unique(np.linspace(0, columns - 1, min(
        columns, max(2, plot_width // 70))).round().astype(int))
    taken = []
    for column in [ticks[-1], *ticks[:-1]]:
        x = left + int((column + 0.5) * plot_width / columns)
        text = str(steps[column]) if column < len(steps) else ""
        half = _width(text) / 2
        middle = min(max(x, left + half), WIDTH - MARGIN - half)
        box = (middle - half - 6, middle + half + 6)
        if any(box[0] < b and a < box[1] for a, b in taken):
            continue
        taken.append(box)
        ink[y:y + TICK, x] = 255
        _text(ink, middle, y + TICK, text, anchor="mt")
    if labels[-1][0] <= LOWEST_LABEL:  # else a marked label is there
        _text(ink, left - 5, y + TICK, "step", anchor="rt")

    # colour bar: vmax at the top, vmin at the bottom
    ramp = np.linspace(LEVELS - 1, 0, MAP_HEIGHT).round().astype(np.uint8)
    canvas[MAP_TOP:MAP_TOP + MAP_HEIGHT,
           bar_left:bar_left + BAR_WIDTH] = ramp[:, None]
    x = bar_left + BAR_WIDTH + 3
    _text(ink, x, MAP_TOP, bar_labels[0], anchor="lt")
    _text(ink, x, MAP_TOP + MAP_HEIGHT, bar_labels[1], anchor="ls")
    if log:
        _text(ink, x, MAP_TOP + MAP_HEIGHT / 2, "log", anchor="lm")

    # the extreme layers of the last column: markers on their drawn rows,
    # and the footer naming them
    triangles = []
    if extremes is not None:
        low, high = marked
        for row, index in ((high, HIGH_INDEX), (low, LOW_INDEX)):
            y = MAP_TOP + (tops[row] + tops[row + 1] - 1) // 2
            triangles.append((plot_right + 2, y, index))
        x, y = MARGIN, FOOTER_TOP + LINE // 2 + 1
        for index, text in _footer(values, row_labels, log):
            triangles.append((x, y, index))
            x += MARK_WIDTH + 3
            _text(ink, x, y, text, anchor="lm")
            x += _width(text + FOOTER_GAP)
    return _canvas_png(canvas, ink, triangles)

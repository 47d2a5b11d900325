"""Layer x step heat maps as PNG images, drawn in milliseconds.

`LayerStats` draws one per statistic while training runs, for TensorBoard's
Images tab: a row per layer (in depth order), a column per logging step, a
colour per value (fastai's "colorful dimension" view of where a signal
dies). Matplotlib needs about 150 ms for such a figure; this draws the
cells with Matplotlib's colour maps and the text with Pillow (both already
installed with Matplotlib) in a few milliseconds, so the images can follow
training. `keras_initact.report` draws the full Matplotlib figures after
training.
"""

import functools
import io
import math

import numpy as np

MISSING = (190, 190, 190)  # cells with no value (NaN), light grey
BACKGROUND = (255, 255, 255)
INK = (30, 30, 30)
MAX_HEIGHT, PLOT_WIDTH, BAR_WIDTH = 360, 300, 12


@functools.lru_cache(maxsize=4)
def _font(size):
    from PIL import ImageFont

    try:
        from matplotlib import font_manager

        return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)
    except (ImportError, OSError, ValueError):
        return ImageFont.load_default(size)


def _colors(values, log, vmin, vmax, cmap="viridis"):
    """RGB uint8 cells, and the value range the colours span."""
    from matplotlib import colormaps

    finite = values[np.isfinite(values) & ((values > 0) if log else True)]
    if vmin is None:
        vmin = float(finite.min()) if finite.size else (1e-8 if log else 0.0)
    if vmax is None:
        vmax = float(finite.max()) if finite.size else vmin + 1.0
    if vmax <= vmin:
        vmax = vmin * 10 if log else vmin + 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        if log:
            scaled = (np.log10(values) - math.log10(vmin)) / (
                math.log10(vmax) - math.log10(vmin))
        else:
            scaled = (values - vmin) / (vmax - vmin)
    rgb = (colormaps[cmap](np.clip(np.nan_to_num(scaled), 0, 1))[..., :3]
           * 255).astype(np.uint8)
    bad = ~np.isfinite(values) | ((values <= 0) if log else False)
    rgb[bad] = MISSING
    return rgb, vmin, vmax


def _label(value):
    return f"{value:.2g}" if abs(value) < 1e4 else f"{value:.1e}"


def heatmap_png(values, row_labels, steps, title, log=False, vmin=None,
                vmax=None):
    """A PNG (bytes) of `values` (rows x steps) with labels and a colour bar.

    Args:
        values: 2-D array, one row per layer, one column per step; NaN (and,
            on a log scale, values <= 0) are drawn grey.
        row_labels: a label per row (layer names, top to bottom).
        steps: the step of each column (the x-axis labels).
        title: drawn above the map.
        log: a logarithmic colour scale (for norms, stds and ratios).
        vmin, vmax: the colour range (default: the finite values' range).
    """
    from PIL import Image, ImageDraw

    values = np.asarray(values, dtype=np.float64)
    rows, columns = values.shape
    font, small = _font(12), _font(10)
    cell = max(4, min(18, MAX_HEIGHT // max(rows, 1)))
    label_every = max(1, math.ceil(11 / cell))  # keep labels from touching
    left = 10 + max([font.getlength(str(t)) for t in row_labels] or [0])
    left = int(left)
    top, height = 30, cell * rows
    width = left + PLOT_WIDTH + 60
    image = Image.new("RGB", (width, top + height + 36), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((left, 8), title, fill=INK, font=font)

    rgb, vmin, vmax = _colors(values, log, vmin, vmax)
    cells = Image.fromarray(rgb, "RGB").resize((PLOT_WIDTH, height),
                                               Image.Resampling.NEAREST)
    image.paste(cells, (left, top))
    for row in range(0, rows, label_every):
        text = str(row_labels[row])
        y = top + row * cell + (cell - 12) / 2
        draw.text((left - 6 - font.getlength(text), y), text, fill=INK,
                  font=font)

    # x axis: a few steps under their columns
    positions = np.unique(np.linspace(0, columns - 1, min(columns, 6))
                          .round().astype(int)) if columns else []
    for column in positions:
        x = left + (column + 0.5) * PLOT_WIDTH / columns
        text = str(steps[column])
        draw.line((x, top + height, x, top + height + 3), fill=INK)
        draw.text((x - small.getlength(text) / 2, top + height + 5), text,
                  fill=INK, font=small)
    draw.text((left + PLOT_WIDTH / 2 - 12, top + height + 20), "step",
              fill=INK, font=small)

    # colour bar: vmax at the top, vmin at the bottom
    bar_left = left + PLOT_WIDTH + 10
    ramp = np.linspace(1, 0, max(height, 2))[:, None]
    ramp_values = (10 ** (math.log10(vmin) + ramp * (math.log10(vmax)
                                                     - math.log10(vmin)))
                   if log else vmin + ramp * (vmax - vmin))
    bar, _, _ = _colors(ramp_values, log, vmin, vmax)
    image.paste(Image.fromarray(np.repeat(bar, BAR_WIDTH, axis=1), "RGB"),
                (bar_left, top))
    draw.text((bar_left + BAR_WIDTH + 3, top - 2), _label(vmax), fill=INK,
              font=small)
    draw.text((bar_left + BAR_WIDTH + 3, top + height - 10), _label(vmin),
              fill=INK, font=small)
    if log:
        draw.text((bar_left, top + height + 5), "log", fill=INK, font=small)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()

"""The colours of a heat map: the palette, the value range, each value's
colour level, and a group's most extreme member.

A heat map's PNG is palette-coded (a third of the bytes of RGB, and no
per-row filter search, so it encodes in a few milliseconds): LEVELS colours
of a Matplotlib colour map, then the fixed colours, then blends of the ink
over the background for antialiased text. `keras_initact.heatmaps` draws
with these.
"""

import functools
import math

import numpy as np

MISSING = (190, 190, 190)  # cells with no value (NaN; <= 0 on a log scale)
BACKGROUND = (255, 255, 255)
INK = (30, 30, 30)
LOW_MARK, HIGH_MARK = (31, 100, 200), (215, 40, 30)  # the markers
# palette indices (the PNG is palette-coded: a third of the bytes of RGB,
# and no per-row filter search, so it encodes in a few milliseconds)
LEVELS = 224  # colour-map levels, 0 .. LEVELS - 1
MISSING_INDEX, BACKGROUND_INDEX, LOW_INDEX, HIGH_INDEX = range(LEVELS,
                                                               LEVELS + 4)
INK_INDEX, INK_LEVELS = LEVELS + 4, 256 - LEVELS - 4


@functools.lru_cache(maxsize=4)
def palette(cmap="viridis"):
    """The PNG palette: LEVELS colours of `cmap`, the fixed colours, then
    INK_LEVELS blends of INK over the background (antialiased text)."""
    from matplotlib import colormaps

    ramp = colormaps[cmap](np.linspace(0, 1, LEVELS))[:, :3] * 255
    fixed = np.array([MISSING, BACKGROUND, LOW_MARK, HIGH_MARK], float)
    cover = np.arange(1, INK_LEVELS + 1)[:, None] / INK_LEVELS
    ink = np.array(BACKGROUND) * (1 - cover) + np.array(INK) * cover
    colours = np.concatenate([ramp, fixed, ink]).round().astype(np.uint8)
    return colours.ravel().tolist()


def has_colour(values, log):
    """Where `values` have a colour: finite (and > 0 on a log scale)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & ((values > 0) if log else True)


def limits(values, log, vmin, vmax):
    """The value range the colours span: `vmin` and `vmax` where given
    (and usable), else the range of the values that have a colour."""
    finite = values[has_colour(values, log)]
    if vmin is None or not math.isfinite(vmin) or (log and vmin <= 0):
        vmin = float(finite.min()) if finite.size else (1e-8 if log else 0.0)
    if vmax is None or not math.isfinite(vmax):
        vmax = float(finite.max()) if finite.size else (
            vmin * 10 if log else vmin + 1.0)
    vmin, vmax = float(vmin), float(vmax)
    if vmax <= vmin:
        vmax = vmin * 10 if log else vmin + 1.0
    return vmin, vmax


def levels(values, log, vmin, vmax):
    """The palette index of each value for the range `vmin`..`vmax`; NaN
    (and <= 0 on a log scale) -> MISSING_INDEX."""
    good = has_colour(values, log)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if log:
            scaled = (np.log10(values) - math.log10(vmin)) / (
                math.log10(vmax) - math.log10(vmin))
        else:
            scaled = (values - vmin) / (vmax - vmin)
        indices = np.rint(np.clip(np.nan_to_num(scaled), 0, 1) * (LEVELS - 1))
    indices = indices.astype(np.uint8)
    indices[~good] = MISSING_INDEX
    return indices


def extremes(values, log):
    """(row of the lowest, row of the highest) finite value in the last
    column (on a log scale: among the values > 0), or None if it has none."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] == 0:
        return None
    last = values[:, -1]
    good = has_colour(last, log)
    if not good.any():
        return None
    rows = np.flatnonzero(good)
    return (int(rows[np.argmin(last[rows])]), int(rows[np.argmax(last[rows])]))


def aggregate(values, starts, log):
    """A row per group: the groups are the runs of rows from each of
    `starts` (increasing, the first 0) to the next; each group's cell at a
    step is its most extreme member there, the one farthest from the median
    of the column's values that have a colour (in log10 on a log scale,
    among the values > 0), its value kept as it is (sign included). NaN
    where no member has a colour."""
    values = np.asarray(values, dtype=np.float64)
    good = has_colour(values, log)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(good, np.log10(np.where(good, values, 1.0))
                          if log else values, np.nan)
    counts = good.sum(axis=0)
    median = np.zeros(values.shape[1])
    if counts.any():
        median[counts > 0] = np.nanmedian(scaled[:, counts > 0], axis=0)
    distance = np.where(good, np.abs(scaled - median), -1.0)
    stops = list(starts[1:]) + [values.shape[0]]
    out = np.full((len(starts), values.shape[1]), np.nan)
    columns = np.arange(values.shape[1])
    for group, (start, stop) in enumerate(zip(starts, stops)):
        member = start + np.argmax(distance[start:stop], axis=0)
        keep = good[member, columns]
        out[group, keep] = values[member[keep], columns[keep]]
    return out

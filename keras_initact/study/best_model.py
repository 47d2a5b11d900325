"""The study's best model: `best_model.keras`, and its export for serving.

The best model is the run that stands for the best cell
(`grid.best_result`: the highest mean final test accuracy over its seeds;
its run closest to that mean), rebuilt from its saved weights. Both files
are written again only when the best run's weights changed, so that a
resume that changed nothing writes nothing.
"""

import hashlib
import os
import warnings

from keras_initact.study import grid
from keras_initact.study.store import StudyWarning

FILE = "best_model.keras"


def best_model(study, cells, results, data, options, train):
    """`(best run, its model, current)`.

    `current` when `best_model.keras` (and the export) already hold the
    best run's weights, so that nothing need be written (the model is None
    then). Best weights that are missing or cannot be read are set aside
    with a warning and their run is trained again, once, by
    `train([cell], here=True)`; if they still cannot be read, a warning
    says so and there is no model to save.

    Args:
        study: the study's `store.StudyStore`.
        cells: the grid's cells; `results`: cell -> `CellResult`.
        data: the loaded dataset; `options`: how cells train
            (`grid.StudyOptions`).
        train: trains cells again and records their results.
    """
    for attempt in range(2):
        best = grid.best_result([results[cell] for cell in cells])
        if best is None:
            return None, None, False
        if is_current(study, best):
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


def is_current(study, best):
    """Whether `best_model.keras` (and any export) came from these very
    weights: then a resume that changed nothing writes nothing."""
    previous = study.exported()
    digest = sha256(study.weights_path(best.cell))
    return bool(
        previous and digest is not None and previous.get("run") == best.cell.id
        and previous.get("weights_sha256") == digest
        and os.path.exists(os.path.join(study.directory, FILE)))


def export_best(study, best, model, data, options, export_dir):
    """Saves `best_model.keras` and exports it for serving under
    `<export_dir>/<model name>/<version>` (none when `export_dir` is None),
    unless they already hold these weights (`model` is None then:
    `best_model`). Returns `{"best_model": path, "saved_model": path}`."""
    files = {}
    path = os.path.join(study.directory, FILE)
    previous = study.exported() or {}
    weights = study.weights_path(best.cell)
    if model is not None:
        save_keras(model, path)
    files["best_model"] = path
    exported = previous.get("saved_model") if model is None else None
    if export_dir is not None:
        base = os.path.abspath(os.path.join(export_dir, model_name(best)))
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
                         "weights_sha256": sha256(weights),
                         "saved_model": exported})
    return files


def model_name(result):
    """The name `grid.build_cell_model` gives the run's model."""
    return result.cell.id.replace(".", "_").replace("-", "_")


def sha256(path):
    """The file's SHA-256 (hex), or None when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def save_keras(model, path):
    """`model.save(path)`, atomically."""
    from keras_initact.files import atomic_path

    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
    return path

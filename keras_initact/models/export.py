"""`export_saved_model`: a TensorFlow SavedModel, laid out for TensorFlow Serving.

TF Serving watches a model's base folder and serves its highest numbered
sub-folder; each is a SavedModel. `export_saved_model(model)` writes
`saved_models/<model name>/<version>/` with one signature,
`serving_default`: input `inputs` (float32, `(None, *input_shape)`: any
batch size), output `predictions` (float32). The export needs neither Keras
nor keras_initact to be loaded and served: only TensorFlow.

An export is written to a hidden temporary folder beside the target and then
renamed into place, so that TF Serving never sees a half-written version
and a failed export leaves the folder as it was.
"""

import os
import pathlib
import re
import shutil
import tempfile
import uuid

import keras

from keras_initact.files import naming_folder
from keras_initact.checks import (
    check_bool, check_positive_int, require_tensorflow_backend,
)

DEFAULT_BASE = "saved_models"
SIGNATURE_KEY = "serving_default"
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
OWNER = "export_saved_model"


def export_saved_model(model, path=None, version=None, overwrite=False,
                       input_name="inputs", output_name="predictions"):
    """Exports `model` as a TensorFlow SavedModel for TensorFlow Serving.

    Writes `path/<version>/` with the signature `serving_default`, which
    takes one float tensor named `input_name`, of shape `(batch,
    *input_shape)` with any batch size, and returns `{output_name: the
    model's output}` in float32 (also under mixed precision).

    >>> export_saved_model(model, "saved_models/mnist")  # saved_models/mnist/1
    >>> tf.saved_model.load(p).signatures["serving_default"](inputs=x)["predictions"]

    Args:
        model: a built Keras model with one input of known shape (a
            `build_sequential` model, any Sequential or functional model).
        path: the model's base folder, the `--model_base_path` of
            `tensorflow_model_server`; default `saved_models/<model.name>`.
        version: a positive int; default: one more than the highest
            numbered version folder there (1 for the first export).
        overwrite: replace an existing `path/<version>/`. Without it, an
            existing version is never touched.
        input_name, output_name: the signature's input and output keys.

    Returns:
        The `pathlib.Path` of the version folder written.

    Raises:
        ValueError: for a model that is not built or has not exactly one
            input of known shape, a bad `version` or name, or a `path` that
            is itself a SavedModel (give its parent, the base folder).
        FileExistsError: when `path/<version>/` exists and `overwrite` is
            False.
        OSError (PermissionError, NotADirectoryError, ...): when `path`
            cannot be written; the message names the folder.
        RuntimeError: under a Keras backend other than TensorFlow.
    """
    require_tensorflow_backend("export_saved_model",
                               "a SavedModel is a TensorFlow graph")
    input_spec = _input_spec(model, input_name)
    for argument, value in (("input_name", input_name),
                            ("output_name", output_name)):
        if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
            raise ValueError(
                f"{OWNER}: `{argument}` must be an identifier (letters, "
                f"digits, '_'); received {argument}={value!r}."
            )
    if version is not None:
        check_positive_int("version", version, OWNER)
    check_bool("overwrite", overwrite, OWNER)
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{OWNER}: `path` must be a folder path or None; received "
            f"path={path!r}."
        )
    base = pathlib.Path(DEFAULT_BASE, model.name) if path is None \
        else pathlib.Path(os.fspath(path))
    _check_base(base)
    created = _make_folder(base)
    try:
        return _export_version(model, input_spec, output_name, base, version,
                               overwrite)
    except BaseException:
        _remove_empty(created)
        raise


def _export_version(model, input_spec, output_name, base, version, overwrite):
    version = _next_version(base) if version is None else version
    target = base / str(version)
    if target.exists() and not overwrite:
        raise FileExistsError(
            f"{OWNER}: {str(target)!r} exists; pass overwrite=True to replace "
            f"it, or version=None to write the next version "
            f"({_next_version(base)})."
        )
    staging = _writable(lambda: tempfile.mkdtemp(
        prefix=f".tmp-{version}-", dir=base), base)
    try:
        _archive(model, input_spec, output_name).write_out(
            staging, verbose=False
        )
        # mkdtemp makes the folder private (0o700): give the version folder
        # the usual permissions, so that a server running as another user
        # can read it.
        os.chmod(staging, 0o777 & ~_umask())
        _move_into_place(pathlib.Path(staging), target, overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _input_spec(model, input_name):
    """The signature's input: the model's input shape with a free batch axis."""
    import tensorflow as tf

    if not isinstance(model, keras.Model):
        raise ValueError(
            f"{OWNER}: expected a keras.Model; received {model!r}."
        )
    if not model.built:
        raise ValueError(
            f"{OWNER}: model {model.name!r} has not been built, so its input "
            "shape is unknown; give it a keras.Input (build_sequential "
            "does), call `model.build(input_shape)` or call it on data first."
        )
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs or len(inputs) != 1:
        count = "no known input" if not inputs else f"{len(inputs)} inputs"
        raise ValueError(
            f"{OWNER}: exports models with exactly one input of known shape "
            f"(Sequential or functional); model {model.name!r} has {count}."
        )
    shape = tuple(inputs[0].shape[1:])
    if any(dim is None for dim in shape):
        raise ValueError(
            f"{OWNER}: the input shape of model {model.name!r} must be known "
            f"apart from the batch axis; received {(None, *shape)}."
        )
    dtype = keras.backend.standardize_dtype(inputs[0].dtype)
    return tf.TensorSpec((None, *shape), dtype, name=input_name)


def _archive(model, input_spec, output_name):
    archive = keras.export.ExportArchive()
    archive.track(model)

    def serve(inputs):
        outputs = model(inputs, training=False)
        return {output_name: keras.ops.cast(outputs, "float32")}

    # The TensorSpec's name is the signature's input key.
    archive.add_endpoint("serve", serve, input_signature=[input_spec])
    return archive


def _check_base(base):
    if base.exists() and not base.is_dir():
        raise NotADirectoryError(
            f"{OWNER}: the export folder {str(base)!r} is a file; give a "
            "folder (TF Serving's model base path)."
        )
    if (base / "saved_model.pb").exists():
        raise ValueError(
            f"{OWNER}: {str(base)!r} is itself a SavedModel; give the model's "
            f"base folder ({str(base.parent)!r}), which holds numbered "
            "versions."
        )


def _make_folder(folder):
    """Creates `folder` and its missing parents; returns those it created,
    deepest first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    if missing:
        _writable(lambda: missing[0].mkdir(parents=True, exist_ok=True),
                  missing[0])
    return missing


def _remove_empty(folders):
    """Removes the folders an export created, deepest first, while empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _writable(action, folder):
    """Runs `action`; an OSError becomes one that names the folder."""
    with naming_folder(folder, OWNER, "write the export to",
                       "Give a folder you can write to (`path=`)."):
        return action()


def _numbered_versions(base):
    if not base.is_dir():
        return []
    return [int(entry.name) for entry in base.iterdir()
            if entry.is_dir() and entry.name.isdigit()]


def _next_version(base):
    return max(_numbered_versions(base), default=0) + 1


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _move_into_place(staging, target, overwrite):
    """Renames `staging` to `target`; an existing `target` (overwrite) is
    moved aside first and restored if the rename fails."""
    if not target.exists():
        os.rename(staging, target)
        return
    if not overwrite:  # appeared while we were writing
        raise FileExistsError(
            f"{OWNER}: {str(target)!r} appeared during the export; nothing was "
            "replaced."
        )
    aside = target.with_name(f".old-{target.name}-{uuid.uuid4().hex[:8]}")
    os.rename(target, aside)
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)

"""A study's folder as its memory: resume, and refuse to mix studies.

    OUTPUT_DIR/study.json               what every cell shares (dataset,
                                        training)
    OUTPUT_DIR/cells/<cell>.json        one finished run, written as soon
                                        as it ends
    OUTPUT_DIR/cells/<cell>.weights.h5  its trained weights (for the best
                                        model)
    OUTPUT_DIR/logs/<cell>/             its TensorBoard runs
    OUTPUT_DIR/best.json                what the best model was exported
                                        from

Every file is written atomically, so a study killed at any moment leaves
only whole records (and maybe hidden temporaries, which no reader takes
for a record and the next run removes). Running the same study again in
the same folder skips the runs that finished (`ok` or `diverged`) and
retries the `failed` ones; a record that cannot be read as one (truncated,
not JSON, not a record) is set aside as `<name>.damaged` with a warning,
and its run trains again. A study whose shared configuration differs is
refused, naming what differs, unless `fresh` starts the folder over. The
grid itself (initializers, activations, depths, seeds) may grow between
runs: its cells are independent. One process at a time runs a study in a
folder (`lock=True`).
"""

import contextlib
import json
import os
import shutil
import warnings

from keras_initact.files import (
    is_temporary, make_writable_folder, remove_temporaries, write_text,
)
from keras_initact.study.grid import CellResult

try:
    import fcntl
except ImportError:  # Windows: no lock
    fcntl = None

CONFIG = "study.json"
CELLS = "cells"
LOGS = "logs"
BEST = "best.json"
LOCK = ".lock"
DAMAGED = ".damaged"
_MISSING = object()


class StudyWarning(UserWarning):
    """Something in a study's folder was damaged and is being repaired."""


class ConfigurationMismatch(ValueError):
    """The folder holds a study with another configuration.

    Attributes:
        differences: `[(key, there, now)]`, the dotted keys of the
            configuration that differ (`"options.epochs"`).
    """

    def __init__(self, message, differences=()):
        super().__init__(message)
        self.differences = list(differences)


class DamagedStudy(ValueError):
    """The folder's `study.json` cannot be read."""


class StudyBusy(RuntimeError):
    """Another process runs a study in the folder."""


class StudyStore:
    """The records of one study folder.

    Args:
        directory: the study's folder (created if needed).
        config: a JSON-ready dict of everything the cells share.
        fresh: delete the folder's runs first (its `study.json`, `cells/`
            and `logs/`), whatever configuration they had.
        option_names: how a mismatch names a key of `config` (a dotted
            key, `"options.epochs"`, to `"--epochs"`); default: the key.
        lock: hold the folder until `close()` (or the end of a `with`
            block, or of this process), so that a second process running a
            study there is refused, and remove the temporaries that killed
            writers left.

    Raises:
        ConfigurationMismatch: when the folder holds a study of another
            configuration and `fresh` is False; the message names only the
            fields that differ, and how to go on.
        DamagedStudy: when its `study.json` cannot be read.
        StudyBusy: with `lock`, when another process holds the folder.
        OSError: when the folder cannot be written (the message names it).
    """

    def __init__(self, directory, config, fresh=False, option_names=None,
                 lock=False):
        self.directory = os.fspath(directory)
        self.config = json.loads(json.dumps(config))  # as it reads back
        self.option_names = dict(option_names or {})
        make_writable_folder(self.directory, "compare")
        self._lock = self._acquire() if lock else None
        try:
            self._open(fresh)
        except BaseException:
            self.close()
            raise

    def _open(self, fresh):
        if fresh:
            for name in (CELLS, LOGS):
                shutil.rmtree(os.path.join(self.directory, name),
                              ignore_errors=True)
            for name in (CONFIG, BEST):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self._path(name))
        stored = self._stored_config()
        if stored is not None and stored != self.config:
            raise self._mismatch(stored)
        if stored is None:
            write_text(self._path(CONFIG),
                       json.dumps(self.config, indent=2, sort_keys=True)
                       + "\n")
        os.makedirs(self._path(CELLS), exist_ok=True)
        os.makedirs(self._path(LOGS), exist_ok=True)
        if self._lock is not None and fcntl is not None:  # held: safe
            self._remove_temporaries()

    def close(self):
        """Lets another process run a study in the folder."""
        if self._lock is not None:
            self._lock.close()  # closing the file releases its lock
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def log_dir(self):
        return self._path(LOGS)

    def finished(self):
        """`{cell: CellResult}` of the runs recorded as `ok` or `diverged`
        (a `failed` run is retried). A record that cannot be read as one
        is set aside as `<name>.damaged`, with a `StudyWarning` naming it
        and why, so that its run trains again."""
        results = {}
        for name in sorted(os.listdir(self._path(CELLS))):
            if name.startswith(".") or not name.endswith(".json"):
                continue
            path = self._path(CELLS, name)
            result, damage = read_record(path)
            if damage is not None:
                self._set_aside(path, damage)
            elif result.status != "failed":
                results[result.cell] = result
        return results

    def record(self, result):
        """Writes a run's result (atomically)."""
        write_text(self._path(CELLS, f"{result.cell.id}.json"),
                   json.dumps(result.to_dict()) + "\n")

    def weights_path(self, cell):
        return self._path(CELLS, f"{cell.id}.weights.h5")

    def set_aside(self, cell, reason):
        """Sets a run's record and weights aside (`.damaged`), with a
        warning, so that the run trains again."""
        self._set_aside(self.weights_path(cell), reason,
                        record=self._path(CELLS, f"{cell.id}.json"))

    def forget_logs(self, cell):
        """Removes what an earlier, interrupted attempt at `cell` logged."""
        shutil.rmtree(os.path.join(self.log_dir, cell.id), ignore_errors=True)

    def exported(self):
        """What `record_export` last wrote (a dict), or None."""
        try:
            with open(self._path(BEST), encoding="utf-8") as f:
                values = json.load(f)
        except (OSError, ValueError):  # none, or damaged: export again
            return None
        return values if isinstance(values, dict) else None

    def record_export(self, values):
        """Writes what the best model was exported from (JSON-ready)."""
        write_text(self._path(BEST),
                   json.dumps(values, indent=2, sort_keys=True) + "\n")

    # -- internals -----------------------------------------------------------

    def _acquire(self):
        path = self._path(LOCK)
        handle = open(path, "a+", encoding="utf-8")
        if fcntl is None:
            return handle
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # BlockingIOError: another process holds it
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StudyBusy(
                f"another compare (process {holder}) is running the study "
                f"in {self.directory!r}; wait for it to end, or give "
                "another --output-dir.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return handle

    def _remove_temporaries(self):
        """What killed writers left: `atomic_path`'s temporaries, and those
        of earlier versions (`.<name>.<random>.json`, and
        `<name>.<pid>.partial.weights.h5`)."""
        remove_temporaries(self.directory)
        cells = self._path(CELLS)
        for name in os.listdir(cells):
            if (is_temporary(name)
                    or (name.startswith(".") and name.endswith(".json"))
                    or name.endswith(".partial.weights.h5")):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(cells, name))

    def _set_aside(self, path, reason, record=None):
        moved = []
        for source in (record, path):
            if source is not None and os.path.exists(source):
                os.replace(source, source + DAMAGED)
                moved.append(os.path.basename(source) + DAMAGED)
        aside = (f"set aside as {' and '.join(moved)}" if moved
                 else "nothing to set aside")
        warnings.warn(f"{path} is damaged ({reason}); {aside}, and its run "
                      "trains again.", StudyWarning, stacklevel=3)

    def _mismatch(self, stored):
        there, now = dict(_flatten(stored)), dict(_flatten(self.config))
        differences = [(key, there.get(key, _MISSING), now.get(key, _MISSING))
                       for key in sorted({*there, *now})
                       if there.get(key, _MISSING) != now.get(key, _MISSING)]
        changes = "; ".join(
            f"{self._name(key)}: {_shown(old)} \u2192 {_shown(new)}"
            for key, old, new in differences)
        old_options = " ".join(self._option(key, old)
                               for key, old, _ in differences)
        return ConfigurationMismatch(
            f"{self.directory!r} holds a study with another configuration "
            f"({changes}); its runs cannot be mixed with these. Give a new "
            f"--output-dir for this study, or that study's options "
            f"({old_options}) to resume it, or --fresh to start that folder "
            "over.", differences)

    def _name(self, key):
        return self.option_names.get(key, key)

    def _option(self, key, value):
        name = self._name(key)
        if not name.startswith("--"):
            return f"{name}={_shown(value)}"
        if value is None or value is _MISSING or value == []:
            return f"no {name}"
        return f"{name} {_shown(value)}"

    def _stored_config(self):
        path = self._path(CONFIG)
        if not os.path.exists(path):
            return None
        try:
            with open(path, "rb") as f:
                config = json.loads(f.read().decode("utf-8"))
        except ValueError as error:  # JSON, or UTF-8
            reason = f"{type(error).__name__}: {error}"
        else:
            if isinstance(config, dict):
                return config
            reason = f"a JSON {type(config).__name__}, not an object"
        raise DamagedStudy(
            f"{path} cannot be read ({reason}); it holds the configuration "
            f"that the runs in {self._path(CELLS)} were trained with. "
            "Restore it, or start the folder over with --fresh, or give "
            "another --output-dir.")

    def _path(self, *parts):
        return os.path.join(self.directory, *parts)


def read_record(path):
    """`(CellResult, None)` for a readable record, else `(None, why not)`.
    A file that cannot be opened raises its `OSError`, which names it."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.strip():
        return None, "it is empty"
    try:
        values = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        return None, (f"not UTF-8 text: byte {data[error.start]:#04x} at "
                      f"offset {error.start}")
    except json.JSONDecodeError as error:
        return None, (f"not whole JSON: {error.msg} at line {error.lineno}, "
                      f"column {error.colno}")
    try:
        result = CellResult.from_dict(values)
    except ValueError as error:
        return None, f"not a run's record: {error}"
    stem = os.path.basename(path)[:-len(".json")]
    if result.cell.id != stem:
        return None, f"it records the run {result.cell.id!r}, not {stem!r}"
    return result, None


def _flatten(config, prefix=""):
    for key, value in config.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _shown(value):
    if value is _MISSING:
        return "(absent)"
    if value is None:
        return "none"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    return str(value)

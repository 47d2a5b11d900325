"""A study's folder as its memory: resume, and refuse to mix studies.

    OUTPUT_DIR/study.json                  what every cell shares (dataset, training)
    OUTPUT_DIR/cells/<cell>.json           one finished run, written as soon as it ends
    OUTPUT_DIR/cells/<cell>.weights.h5     its trained weights (for the best model)
    OUTPUT_DIR/logs/<cell>/                its TensorBoard runs

Every file is written atomically, so a study killed at any moment leaves
only whole records. Running the same study again in the same folder skips
the runs that finished (`ok` or `diverged`) and retries the `failed` ones;
a study whose shared configuration differs is refused, unless `fresh`
starts the folder over. The grid itself (initializers, activations, depths,
seeds) may grow between runs: its cells are independent.
"""

import json
import os
import shutil

from keras_initact._files import make_writable_folder, write_text
from keras_initact.study.grid import CellResult

CONFIG = "study.json"
CELLS = "cells"
LOGS = "logs"


class ConfigurationMismatch(ValueError):
    """The folder holds a study with another configuration."""


class StudyStore:
    """The records of one study folder.

    Args:
        directory: the study's folder (created if needed).
        config: a JSON-ready dict of everything the cells share.
        fresh: delete the folder's runs first (its `study.json`, `cells/`
            and `logs/`), whatever configuration they had.

    Raises:
        ConfigurationMismatch: when the folder holds a study of another
            configuration and `fresh` is False.
        OSError: when the folder cannot be written (the message names it).
    """

    def __init__(self, directory, config, fresh=False):
        self.directory = os.fspath(directory)
        self.config = json.loads(json.dumps(config))  # as it reads back
        make_writable_folder(self.directory, "compare")
        if fresh:
            for name in (CELLS, LOGS):
                shutil.rmtree(os.path.join(self.directory, name),
                              ignore_errors=True)
            if os.path.exists(self._path(CONFIG)):
                os.remove(self._path(CONFIG))
        stored = self._stored_config()
        if stored is not None and stored != self.config:
            changed = sorted(key for key in {*stored, *self.config}
                             if stored.get(key) != self.config.get(key))
            details = ", ".join(f"{key}: {stored.get(key)!r} there, "
                                f"{self.config.get(key)!r} now"
                                for key in changed)
            raise ConfigurationMismatch(
                f"{self.directory!r} holds a study with another "
                f"configuration ({details}); its runs cannot be mixed with "
                "these. Use another --output-dir, or --fresh to start this "
                "one over.")
        if stored is None:
            write_text(self._path(CONFIG),
                       json.dumps(self.config, indent=2, sort_keys=True) + "\n")
        os.makedirs(self._path(CELLS), exist_ok=True)
        os.makedirs(self._path(LOGS), exist_ok=True)

    @property
    def log_dir(self):
        return self._path(LOGS)

    def finished(self):
        """`{cell: CellResult}` of the runs recorded as `ok` or `diverged`
        (a `failed` run is retried)."""
        results = {}
        for name in sorted(os.listdir(self._path(CELLS))):
            if not name.endswith(".json"):
                continue
            with open(self._path(CELLS, name), encoding="utf-8") as f:
                result = CellResult.from_dict(json.load(f))
            if result.status != "failed":
                results[result.cell] = result
        return results

    def record(self, result):
        """Writes a run's result (atomically)."""
        write_text(self._path(CELLS, f"{result.cell.id}.json"),
                   json.dumps(result.to_dict()) + "\n")

    def weights_path(self, cell):
        return self._path(CELLS, f"{cell.id}.weights.h5")

    def forget_logs(self, cell):
        """Removes what an earlier, interrupted attempt at `cell` logged."""
        shutil.rmtree(os.path.join(self.log_dir, cell.id), ignore_errors=True)

    def _stored_config(self):
        if not os.path.exists(self._path(CONFIG)):
            return None
        with open(self._path(CONFIG), encoding="utf-8") as f:
            return json.load(f)

    def _path(self, *parts):
        return os.path.join(self.directory, *parts)

"""Pretrained: a weight taken from another model, by layer and weight name."""

import functools
import os
import warnings

import keras
import numpy as np

from keras_initact.initializers.base import Initializer
from keras_initact.serialization import register

SOURCE_SUFFIXES = (".keras", ".weights.h5")


@register
class Pretrained(Initializer):
    """Copies a weight from another model (transfer learning, warm starts).

    Sources:
    - a Keras model in memory: the weight whose path ends in
      `layer_name/weight_name` (e.g. `"encoder/kernel"`; a nested layer can be
      named `"block_1/conv"`);
    - a `.keras` file: the same, after loading it (once, cached);
    - a `.weights.h5` file: Keras 3 stores no layer or weight names there, only
      storage names (`dense`, `dense_1`, ... derived from the classes) and
      positions, so `layer_name` is the storage name and `weight_name` the
      position (`"0"` for a Dense kernel, `"1"` for its bias). The error for a
      missing entry lists what the file holds.

    A missing layer or weight, or a shape or dtype that differs from the one
    the layer asks for, is a `ValueError` naming both sides (`allow_cast=True`
    accepts a dtype change, e.g. float32 weights for a float16 layer).

    >>> init = Pretrained("teacher.keras", layer_name="dense_0", weight_name="kernel")
    >>> layer = keras.layers.Dense(64, kernel_initializer=init)

    Saving: the config records a file source by its path, but cannot record a
    model in memory. When Keras loads a saved model, the weights come from the
    saved file anyway, so an initializer restored from a config whose source
    is unavailable fills zeros and warns instead of failing the load.

    Args:
        source: a `keras.Model`, or the path of a `.keras` or `.weights.h5`
            file.
        layer_name: the layer to copy from.
        weight_name: the weight of that layer (`"kernel"`, `"bias"`, ...).
        allow_cast: accept a source dtype other than the requested one.
    """

    def __init__(self, source, layer_name, weight_name="kernel",
                 allow_cast=False):
        self._configure(source, layer_name, weight_name, allow_cast)
        if isinstance(self.source, str) and not os.path.isfile(self.source):
            raise ValueError(
                f"Pretrained: cannot read source {self.source!r}: no such file."
            )
        self.restored = False

    def _configure(self, source, layer_name, weight_name, allow_cast):
        if isinstance(source, os.PathLike):
            source = os.fspath(source)
        if isinstance(source, str):
            if not source.endswith(SOURCE_SUFFIXES):
                raise ValueError(
                    f"Pretrained: source {source!r} is neither a .keras nor a "
                    f".weights.h5 file; pass one of those or a keras.Model."
                )
        elif source is not None and not isinstance(source, keras.Model):
            raise TypeError(
                "Pretrained: `source` must be a keras.Model or the path of a "
                f".keras or .weights.h5 file; received {source!r}."
            )
        for name, value in (("layer_name", layer_name),
                            ("weight_name", weight_name)):
            if not isinstance(value, str) or not value:
                raise ValueError(
                    f"Pretrained: `{name}` must be a non-empty string; "
                    f"received {name}={value!r}."
                )
        self.source = source
        self.layer_name = layer_name
        self.weight_name = weight_name
        self.allow_cast = bool(allow_cast)

    @classmethod
    def from_config(cls, config):
        instance = cls.__new__(cls)
        instance._configure(
            config["source"], config["layer_name"],
            config.get("weight_name", "kernel"), config.get("allow_cast", False),
        )
        instance.restored = True
        return instance

    def generate(self, shape, dtype):
        if self._source_unavailable():
            if not self.restored:
                raise ValueError(f"Pretrained: cannot read source {self.source!r}.")
            warnings.warn(
                f"Pretrained({self.layer_name}/{self.weight_name}) was restored "
                f"from a config whose source ({self.source!r}) is not "
                "available; it fills zeros, which the saved weights of a loaded "
                "model replace.",
                stacklevel=2,
            )
            return keras.ops.zeros(shape, dtype=dtype)
        value, where = self._read()
        source_dtype = keras.backend.standardize_dtype(value.dtype)
        if tuple(value.shape) != tuple(shape) or (
            source_dtype != dtype and not self.allow_cast
        ):
            raise ValueError(
                f"Pretrained: {where} has shape {tuple(value.shape)} and dtype "
                f"{source_dtype}, but the layer asks for shape {tuple(shape)} "
                f"and dtype {dtype}."
                + ("" if source_dtype == dtype else
                   " Pass allow_cast=True to convert the dtype.")
            )
        return keras.ops.convert_to_tensor(value, dtype=dtype)

    def _source_unavailable(self):
        return self.source is None or (
            isinstance(self.source, str) and not os.path.isfile(self.source)
        )

    def _read(self):
        if isinstance(self.source, keras.Model):
            return _weight_of_model(
                self.source, self.layer_name, self.weight_name,
                f"model {self.source.name!r}",
            )
        if self.source.endswith(".keras"):
            model = _load_keras_file(
                os.path.abspath(self.source), os.path.getmtime(self.source)
            )
            return _weight_of_model(
                model, self.layer_name, self.weight_name, repr(self.source)
            )
        return _weight_of_h5(self.source, self.layer_name, self.weight_name)

    def get_config(self):
        source = self.source if isinstance(self.source, str) else None
        return {
            "source": source,
            "layer_name": self.layer_name,
            "weight_name": self.weight_name,
            "allow_cast": self.allow_cast,
        }


@functools.lru_cache(maxsize=8)
def _load_keras_file(path, modified_time):
    del modified_time  # part of the cache key: a rewritten file is reloaded
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:
        raise ValueError(
            f"Pretrained: cannot read source {path!r}: {error}"
        ) from error


def _weight_of_model(model, layer_name, weight_name, described):
    suffix = f"{layer_name}/{weight_name}"
    matches = [
        w for w in model.weights
        if w.path == suffix or w.path.endswith("/" + suffix)
    ]
    if len(matches) == 1:
        value = keras.ops.convert_to_numpy(matches[0].value)
        return value, f"weight {matches[0].path!r} of {described}"
    paths = [w.path for w in model.weights]
    if not matches:
        raise ValueError(
            f"Pretrained: {described} has no weight {suffix!r}. Its weights: "
            f"{', '.join(paths) or 'none'}."
        )
    raise ValueError(
        f"Pretrained: {suffix!r} is ambiguous in {described}: "
        f"{', '.join(w.path for w in matches)}. Name the layer by a longer path."
    )


def _weight_of_h5(path, layer_name, weight_name):
    import h5py

    entries = {}
    try:
        with h5py.File(path, "r") as file:
            def collect(name, item):
                parts = name.split("/")
                if isinstance(item, h5py.Dataset) and len(parts) >= 3 \
                        and parts[-2] == "vars":
                    entries[(parts[-3], parts[-1])] = (name, item[()])
            file.visititems(collect)
    except OSError as error:
        raise ValueError(
            f"Pretrained: cannot read source {path!r}: {error}"
        ) from error
    key = (layer_name.split("/")[-1], weight_name)
    if key not in entries:
        held = ", ".join(
            f"{layer}/{index} {tuple(value.shape)}"
            for (layer, index), (_, value) in sorted(entries.items())
        )
        raise ValueError(
            f"Pretrained: {path!r} has no weight {layer_name}/{weight_name}. "
            "A .weights.h5 file names layers by storage name and weights by "
            f"position; it holds: {held or 'nothing'}."
        )
    name, value = entries[key]
    return np.asarray(value), f"weight {name!r} of {path!r}"


"""`Table`: records looked up by any spelling of a name or alias."""

import difflib
import re
from collections.abc import Mapping

from keras_initact.math.table.record import ActivationRecord

PREFIX = "keras_initact>"


def normalize(name):
    """The key a name is looked up by: no package prefix, no `_`, `-` or
    spaces, lower case; so `"LeakyReLU"`, `"leaky-relu"` and
    `"keras_initact>leaky_relu"` are one name."""
    if name.startswith(PREFIX):
        name = name[len(PREFIX):]
    return re.sub(r"[\s_-]", "", name).lower()


def unknown_name_message(name, known):
    """"Unknown activation NAME", the names `known`, and the closest of them
    (any spelling, see `normalize`)."""
    by_key = {normalize(k): k for k in known}
    close = difflib.get_close_matches(normalize(name), list(by_key), n=3,
                                      cutoff=0.6)
    hint = (f" Did you mean {', '.join(repr(by_key[k]) for k in close)}?"
            if close else "")
    return (f"Unknown activation {name!r}. keras_initact knows: "
            f"{', '.join(known)}.{hint}")


class Table(Mapping):
    """A read-mostly mapping from canonical names to records.

    `find` accepts any spelling of a name or alias (see `normalize`);
    `record` does the same but raises a `ValueError` listing the known
    names; `of_function` finds the record of a function.

    >>> TABLE.find("SiLU").name
    'swish'
    """

    record_type = ActivationRecord

    def __init__(self, records=()):
        self._records = {}
        self._keys = {}
        self._by_function = {}
        for record in records:
            self.add(record)

    def add(self, record):
        """Adds `record`; its names must be new."""
        if not isinstance(record, self.record_type):
            raise ValueError(
                f"{type(self).__name__}.add expects an "
                f"{self.record_type.__name__}; received {record!r}."
            )
        if not re.fullmatch(r"[a-z][a-z0-9_]*", record.name):
            raise ValueError(
                f"Activation names are lower-case snake names; received "
                f"{record.name!r}."
            )
        keys = [normalize(name) for name in record.names]
        for name, key in zip(record.names, keys):
            if key in self._keys or keys.count(key) > 1:
                raise ValueError(
                    f"The activation name {name!r} of {record.name!r} is "
                    f"already taken (by {self._keys.get(key, record).name!r})."
                )
        self._records[record.name] = record
        for key in keys:
            self._keys[key] = record
        self._by_function.setdefault(id(record.function), record)
        return record

    def find(self, name):
        """The record for any spelling of a name or alias, or `None`."""
        if not isinstance(name, str):
            return None
        return self._keys.get(normalize(name))

    def record(self, name):
        """The record for `name`, or a `ValueError` naming the known ones."""
        if not isinstance(name, str):
            raise TypeError(
                f"An activation is named by a string; received {name!r} (a "
                f"{type(name).__name__}). Known names: "
                f"{', '.join(self.names(aliases=True))}."
            )
        found = self.find(name)
        if found is not None:
            return found
        raise ValueError(unknown_name_message(name, self.names(aliases=True)))

    def of_function(self, function):
        """The record whose function is `function` (the same object), or
        `None`."""
        return self._by_function.get(id(function))

    def hidden_names(self):
        """The canonical names of the activations a hidden layer can use."""
        return [name for name, record in self._records.items()
                if record.hidden]

    def names(self, aliases=False):
        """The canonical names, sorted; with `aliases=True`, aliases too."""
        if not aliases:
            return sorted(self._records)
        return sorted(n for record in self._records.values()
                      for n in record.names)

    def __getitem__(self, name):
        found = self.find(name)
        if found is None:
            raise KeyError(name)
        return found

    def __iter__(self):
        return iter(self._records)

    def __len__(self):
        return len(self._records)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(self._records)})"

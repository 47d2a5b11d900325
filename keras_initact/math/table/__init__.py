"""The table of activations: one record per activation, read by everything.

`TABLE` is the one place that knows an activation's names and aliases, its
function, and what is true of it: elementwise or gated, what its layer
learns, its dead and saturated regions, its gain and suited initializer.
The name lookups of every layer read it: `calculate_gain`, `Critical`,
`ShapedActivation`, and the registry of `keras_initact.activations`, which
pairs each record with the layer class that reports it
(`keras_initact.layers.ActivationLayer.record`).

    >>> from keras_initact.math import table
    >>> table.TABLE["silu"].name, table.resolve("LReLU").__name__
    ('swish', 'leaky_relu')

To add an activation, write its function (`keras_initact.math.functions`),
its record in its family's module here, and its layer
(`keras_initact.layers`).
"""

from keras_initact.math.table import (
    gated, heads, rectifiers, shrinkage, sigmoidal, smooth,
)
from keras_initact.math.table.lookup import (  # noqa: F401  (re-exported)
    PREFIX, Table, normalize, unknown_name_message,
)
from keras_initact.math.table.record import (  # noqa: F401  (re-exported)
    NEAR_BOUND, ActivationRecord,
)

TABLE = Table((
    smooth.LINEAR, *sigmoidal.RECORDS, *rectifiers.RECORDS, *smooth.RECORDS,
    *shrinkage.RECORDS, *gated.RECORDS, *heads.RECORDS,
))

# Views of the table, by name.
FUNCTIONS = {name: record.function for name, record in TABLE.items()}
ALIASES = {alias: name for name, record in TABLE.items()
           for alias in record.aliases}


def canonical_name(name):
    """The table's name that `name` spells (any spelling of a name or alias,
    see `normalize`), or `None`."""
    record = TABLE.find(name)
    return None if record is None else record.name


def resolve(name):
    """The function called `name`, any spelling of its name or of an alias
    (`"silu"`, `"SiLU"` and `"keras_initact>swish"` give `swish`), or
    `None`."""
    record = TABLE.find(name)
    return None if record is None else record.function


def aliases_of(name):
    """The aliases of the activation `name` (any spelling), or `()`."""
    record = TABLE.find(name)
    return () if record is None else record.aliases


def names(aliases=False):
    """The table's names, sorted; with `aliases=True`, aliases too."""
    return TABLE.names(aliases=aliases)

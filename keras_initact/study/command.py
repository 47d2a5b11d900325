"""`keras-initact compare`: `compare` on the command line.

Its arguments are the fields of `CompareOptions` that have a flag, each
with the field's help, default and type (comma-separated values for the
lists). The command adds only its own spellings of three options: `--repeats
N` (and `--seed S`) for the seeds S, S + 1, ..., S + N - 1, `--no-export`
for no export and `--no-progress` for no progress bars. Bad arguments exit
with code 2 and a message naming what is allowed; a study stopped by a
signal exits with 128 + its number and says how to resume.
"""

import argparse
import dataclasses
import signal
import sys
import warnings

from keras_initact.checks import int_option, positive_int_option
from keras_initact.study import comparison
from keras_initact.study.options import (
    GRID, RUN, SEED_MAX, TRAIN, CompareOptions,
)

EXAMPLES = (
    "examples:\n  keras-initact compare --dataset mnist5k --inits "
    "glorot_uniform,he_normal,shaped --activations relu,tanh --depths 3,20 "
    "--epochs 5\n  keras-initact compare --seeds 0,1,2 --jobs 2 --output-dir "
    "runs/study   # again: resumes")


@dataclasses.dataclass(frozen=True)
class Off:
    """A flag that turns an option off: `--no-export` is `export_dir=None`."""

    flag: str
    value: object
    help: str

    @property
    def dest(self):
        return self.flag[2:].replace("-", "_")


OFF = {"export_dir": Off("--no-export", None, "do not export the best model"),
       "progress": Off("--no-progress", False, "no progress bars")}


class SeedRange:
    """`--repeats N` seeds from `--seed S`: S, S + 1, ..., S + N - 1, the
    command line's other spelling of `--seeds` (without either: seed 0)."""

    @staticmethod
    def add_arguments(group, exclusive):
        exclusive.add_argument(
            "--repeats", type=positive_int_option, default=None,
            help="N seeds: --seed, --seed + 1, ... (default: 1)")
        group.add_argument("--seed", type=int_option, default=0,
                           help="the first seed of --repeats (default: 0)")

    @staticmethod
    def value(args):
        repeats = args.repeats or 1
        last = args.seed + repeats - 1
        if not 0 <= args.seed <= last <= SEED_MAX:
            raise ValueError(
                f"--seed {args.seed} --repeats {repeats} gives the seeds "
                f"{args.seed} to {last}; seeds must be between 0 and "
                f"{SEED_MAX} (2**32 - 1).")
        return [args.seed + i for i in range(repeats)]


# Other spellings of an option, used when its own flag is not given; its
# flag and theirs exclude each other.
SHORTHANDS = {"seeds": SeedRange}


def add_parser(commands):
    """Adds `compare` to the `keras-initact` subcommands."""
    parser = commands.add_parser(
        "compare", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="train the initializer x activation x depth grid and compare",
        description=comparison.__doc__, epilog=EXAMPLES)
    groups = {name: parser.add_argument_group(name)
              for name in (GRID, TRAIN, RUN)}
    for field in dataclasses.fields(CompareOptions):
        group = groups[field.metadata["group"]]
        shorthand = SHORTHANDS.get(field.name)
        container = (group.add_mutually_exclusive_group() if shorthand
                     else group)
        if field.metadata["flag"]:
            container.add_argument(field.metadata["flag"],
                                   **_argument(field))
        if shorthand:
            shorthand.add_arguments(group, container)
        if field.name in OFF:
            off = OFF[field.name]
            group.add_argument(off.flag, action="store_true", help=off.help)
    parser.set_defaults(handler=compare_command, parser=parser)
    return parser


def _argument(field):
    """`add_argument`'s keywords for a field's flag."""
    meta = field.metadata
    default = meta["command_default"]
    keywords = dict(dest=field.name, default=default,
                    help=meta["help"].format(default=default),
                    **meta["argparse"])
    if meta["parse"] is not None:
        keywords["type"] = meta["parse"]
    named = meta["flag"][2:].replace("-", "_")
    if named != field.name and "action" not in keywords:
        keywords.setdefault("metavar", named.upper())
    return keywords


def compare_options(args):
    """`compare`'s keyword arguments from the parsed command line (a
    `ValueError` for seeds out of range)."""
    values = {}
    for field in dataclasses.fields(CompareOptions):
        value = (getattr(args, field.name) if field.metadata["flag"]
                 else field.default)
        if field.name in OFF and getattr(args, OFF[field.name].dest):
            value = OFF[field.name].value
        if value is None and field.name in SHORTHANDS:
            value = SHORTHANDS[field.name].value(args)
        if field.metadata["listed"] and isinstance(value, str):
            value = [part.strip() for part in value.split(",")
                     if part.strip()]
        values[field.name] = value
    return values


def compare_command(args):
    import tensorflow as tf

    from keras_initact.study.datasets import DatasetUnavailable
    from keras_initact.study.grid import cell_mean, setting_label
    from keras_initact.study.results import summary_markdown
    from keras_initact.study.runners import RayUnavailable
    from keras_initact.study.store import StudyBusy, StudyWarning

    # Every cell makes new tf.functions; TF's retracing warnings would fill
    # the terminal and say nothing about the study.
    tf.get_logger().setLevel("ERROR")
    show = warnings.showwarning

    def show_study_warning(message, category, *rest, **kwargs):
        if issubclass(category, StudyWarning):
            print(f"keras-initact compare: warning: {message}",
                  file=sys.stderr)
        else:
            show(message, category, *rest, **kwargs)

    try:
        options = compare_options(args)
        with warnings.catch_warnings():
            warnings.simplefilter("always", StudyWarning)
            warnings.showwarning = show_study_warning
            result = comparison.compare(**options)
    except ValueError as error:
        args.parser.error(str(error))  # exit code 2
    except (DatasetUnavailable, RayUnavailable, StudyBusy, OSError) as error:
        print(f"keras-initact compare: error: {error}", file=sys.stderr)
        return 1
    except comparison.Interrupted as stopped:
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
    print(summary_markdown(result.summary, result.comparisons,
                           options["target_accuracy"]))
    for name, path in result.files.items():
        print(f"{name}: {path}")
    failed = [r for r in result.results if r.status == "failed"]
    for run in failed:
        print(f"failed: {run.cell.id}: {run.error}", file=sys.stderr)
    if result.best is not None:
        b = result.best
        mean, ok, runs = cell_mean(result.results, b.cell)
        setting = setting_label(b.cell.setting)
        print(f"best: {b.cell.init} + {b.cell.activation} at depth "
              f"{b.cell.depth}{f' ({setting})' if setting else ''}, mean "
              f"final test accuracy {mean:.3f} over "
              f"{ok} of {runs} runs; its model: seed {b.cell.seed}, test "
              f"accuracy {b.final_accuracy:.3f}")
    print("resume, or grow the grid (more seeds, inits, ...): "
          + resume_command(args, result.output_dir))
    return 1 if len(failed) == len(result.results) else 0


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

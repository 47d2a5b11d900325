"""The `keras-initact` command line (also `python -m keras_initact`).

    keras-initact compare ...        train and compare the init x activation grid
    keras-initact diagnose M.keras   a saved model's signal, layer by layer
    keras-initact report LOG_DIR     figures from LayerStats logs
    keras-initact list               initializers and activations, with aliases

Bad arguments exit with code 2 and a message naming what is allowed.
"""

import argparse
import os
import sys

from keras_initact.checks import int_option, positive_int_option


def list_command(args):
    from keras_initact import initializers
    from keras_initact.activations import ACTIVATIONS
    from keras_initact.study.grid import SPECIAL_INITS

    print("Initializers (any spelling: he_normal, HeNormal, keras_initact>HeNormal):")
    for name in initializers.names():
        target = initializers.ALIASES.get(name)
        print(f"  {name}" + (f"  (alias of {target})" if target else ""))
    print("Also for `compare --inits`:")
    for name, meaning in SPECIAL_INITS.items():
        print(f"  {name}: {meaning}")
    print("Activations (layer class; aliases):")
    for spec in ACTIVATIONS.values():
        aliases = f"; {', '.join(spec.aliases)}" if spec.aliases else ""
        hidden = ("  [gated: halves its input]" if spec.gate is not None
                  else "" if spec.elementwise else "  [output head only]")
        print(f"  {spec.name}  ({spec.layer_class.__name__}{aliases}){hidden}")
    return 0


def diagnose_command(args):
    import keras
    import numpy as np

    from keras_initact.deep import diagnose

    if not os.path.isfile(args.model):
        args.parser.error(f"no such model file: {args.model!r}")
    try:
        model = keras.saving.load_model(args.model)
    except Exception as error:
        args.parser.error(f"cannot load {args.model!r} as a Keras model: {error}")
    input_shape = tuple(model.inputs[0].shape[1:])
    x, y = _diagnosis_batch(args, input_shape)
    if x.shape[1:] != input_shape:
        args.parser.error(
            f"--data {args.data!r} gives examples of shape {x.shape[1:]}, but "
            f"the model takes {input_shape}.")
    print(f"{model.name}: {len(x)} examples from {args.data or 'N(0, 1) noise'}")
    result = diagnose(model, x.astype(np.float32), y)
    print(f"verdict: {result.verdict}")
    print(f"suggestion: {result.suggestion}")
    return 0


def _diagnosis_batch(args, input_shape):
    import numpy as np

    from keras_initact.study import datasets

    if args.data is None:
        rng = np.random.default_rng(args.seed)
        return rng.standard_normal((args.batch_size, *input_shape)), None
    if args.data.endswith(".npy"):
        if not os.path.isfile(args.data):
            args.parser.error(f"no such file: {args.data!r}")
        return np.load(args.data)[: args.batch_size], None
    if args.data not in datasets.NAMES:
        args.parser.error(
            f"--data must be a dataset ({', '.join(datasets.NAMES)}) or a .npy "
            f"file; received {args.data!r}.")
    try:
        data = datasets.load(args.data, data_dir=args.data_dir,
                             batch_size=args.batch_size, seed=args.seed)
    except datasets.DatasetUnavailable as error:
        args.parser.error(str(error))
    if data.notice:
        print(f"notice: {data.notice}")
    x, y = next(data.train.as_numpy_iterator())
    return x, y


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-initact",
        description="Weight initialization and activation functions for Keras 3.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    from keras_initact import reporting
    from keras_initact.study.command import add_parser as add_compare

    add_compare(commands)

    diagnosis = commands.add_parser(
        "diagnose", help="per-layer signal report of a saved model")
    diagnosis.add_argument("model", help="a .keras file")
    diagnosis.add_argument(
        "--data", default=None,
        help="digits, mnist, fashion_mnist, cifar10, auto, or a .npy file of "
             "inputs (default: standard normal noise)")
    diagnosis.add_argument("--data-dir", default=None, help="a TFDS data directory")
    diagnosis.add_argument("--batch-size", type=positive_int_option,
                           default=256, help="examples in the batch (default: 256)")
    diagnosis.add_argument("--seed", type=int_option, default=0)
    diagnosis.set_defaults(handler=diagnose_command, parser=diagnosis)

    reporting.add_parser(commands)

    listing = commands.add_parser(
        "list", help="list the initializers and activations with their aliases")
    listing.set_defaults(handler=list_command)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # for the command that resumes a study
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

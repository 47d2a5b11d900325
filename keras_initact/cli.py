"""The `keras-initact` command line (also `python -m keras_initact`)."""

import argparse
import sys


def list_command(args):
    from keras_initact import initializers

    print("Initializers (keras_initact.initializers.get accepts any spelling):")
    for name in initializers.names():
        target = initializers.ALIASES.get(name)
        print(f"  {name}" + (f"  (alias of {target})" if target else ""))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-initact",
        description="Weight initialization and activation functions for Keras 3.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser(
        "list", help="list the initializers with their aliases"
    )
    listing.set_defaults(handler=list_command)
    from keras_initact import reporting

    reporting.add_parser(commands)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

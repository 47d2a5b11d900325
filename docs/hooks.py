"""MkDocs hook (mkdocs.yml's `hooks:`): quiets one message of Griffe, the
reader mkdocstrings uses, so that `mkdocs build --strict` fails only on
what the docs can fix.

Griffe reads `__all__` without importing the package, so it cannot expand
a computed entry such as `*FUNCTIONS` (a dict of the activation
functions, in keras_initact/activations/__init__.py) and warns
"Unsupported item in ... __all__". Python's `__all__` is right at run
time; only that one warning is dropped, every other one still fails the
strict build.
"""

import logging
import re

_COMPUTED_ALL = re.compile(r"Unsupported item in [\w.]+\.__all__")


class _ComputedAllFilter(logging.Filter):
    def filter(self, record):
        return not _COMPUTED_ALL.search(record.getMessage())


def on_startup(command, dirty):
    logging.getLogger("mkdocs.plugins.griffe").addFilter(_ComputedAllFilter())

"""Writing files so that a reader never sees half of one.

A file is written to a temporary beside it, then renamed over it. A
temporary is hidden (a leading dot) and its name holds `.tmp` before any
suffix the writer needs, so that no reader globbing `*.json`, `*.csv`, ...
ever takes one for a file; `is_temporary` tells them apart, and
`remove_temporaries` cleans those a killed process left.
"""

import contextlib
import os
import secrets
import tempfile

TEMPORARY = ".tmp"
FILE_MODE = 0o666  # as open() creates files: less the umask


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yields a temporary path beside `path`; when the block ends without an
    error, the temporary file replaces `path` in one rename, otherwise it
    is removed and `path` is untouched.

    The temporary exists (empty) when the block starts, with the mode a
    plain `open()` gives (0666 less the umask), and is named
    `.<name>.<random>.tmp<suffix>`: give `suffix` when the writer insists
    on one (Keras: `".keras"`, `".weights.h5"`).

    >>> with atomic_path("results.csv") as tmp:
    ...     frame.to_csv(tmp)
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    name = os.path.basename(path)
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(4)}"
                                      f"{TEMPORARY}{suffix}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             FILE_MODE))
            break
        except FileExistsError:  # 1 in 4 billion: draw another name
            continue
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def is_temporary(name):
    """Whether a file name is one of `atomic_path`'s temporaries."""
    name = os.path.basename(name)
    return name.startswith(".") and TEMPORARY in name


def remove_temporaries(folder):
    """Removes the temporaries that writers killed in the middle left in
    `folder` (not below it); returns their names. Only for a folder no
    other process is writing to."""
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(folder):
            if is_temporary(name):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(folder, name))
                removed.append(name)
    return removed


def write_text(path, text):
    """Writes `text` to `path` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def save_figure(figure, path, **kwargs):
    """`figure.savefig(path)` atomically; the format comes from `path`."""
    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".") or None
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=fmt, **kwargs)


@contextlib.contextmanager
def naming_folder(folder, owner, what="write to",
                  hint="Give a folder you can write to."):
    """Re-raises an `OSError` of the block as one of the same type
    (`PermissionError`, `NotADirectoryError`, ...) whose message names the
    owner and the folder."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error)
        raise type(error)(
            f"{owner}: cannot {what} {str(folder)!r}: {reason}. {hint}"
        ) from error


def make_writable_folder(folder, owner):
    """Creates `folder` (and its parents) if needed and checks that a file
    can be written in it, before any work depends on it."""
    with naming_folder(folder, owner):
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    return folder

"""Writing files so that a reader never sees half of one."""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; when the block ends without an
    error, the temporary file replaces `path` in one rename, otherwise it
    is removed and `path` is untouched.

    >>> with atomic_path("results.csv") as tmp:
    ...     frame.to_csv(tmp)
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    stem, suffix = os.path.splitext(os.path.basename(path))
    handle, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=suffix,
                                   dir=directory)
    os.close(handle)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


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

"""The fenced code blocks of the README and the guide, and a runner that
executes their Python snippets as a user would paste them.

Every block names its language after the opening fence. `python` blocks
run; the languages in `NOT_RUN` (shell commands, their output, layouts)
are shown and never run; a block with no language, or another one, is an
error, so that nothing is skipped by accident.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

ROOT = pathlib.Path(__file__).parents[1]
RUN = "python"
NOT_RUN = frozenset({"bash", "console", "text", "json"})

# An opening fence (maybe indented, inside a list), its info string, its
# body and the closing fence at the same indentation.
_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                    re.S | re.M)


def code_blocks(path):
    """`(language, source, line)` for each fenced block of a Markdown file."""
    text = pathlib.Path(path).read_text()
    blocks = []
    for match in _FENCE.finditer(text):
        language = match["info"].strip().split(" ")[0].lstrip("{.").rstrip("}")
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((language, textwrap.dedent(match["body"]), line))
    return blocks


def unmarked_blocks(path):
    """`file:line: language` of each block that neither runs nor is marked
    as not run."""
    return [f"{pathlib.Path(path).name}:{line}: {language or '(none)'}"
            for language, _, line in code_blocks(path)
            if language != RUN and language not in NOT_RUN]


def python_snippets(path):
    """`(name, source)` of each Python block of a Markdown file."""
    name = pathlib.Path(path).relative_to(ROOT)
    return [(f"{name}:{line}", source)
            for language, source, line in code_blocks(path) if language == RUN]


_RUNNER = r"""
import json, os, sys, time, traceback
failures, times = [], []
for name, source, folder in json.loads(sys.stdin.read()):
    os.makedirs(folder, exist_ok=True)
    os.chdir(folder)
    start = time.perf_counter()
    try:
        exec(compile(source, name, "exec"), {"__name__": "__main__"})
    except BaseException:
        failures.append(f"{name}:\n{traceback.format_exc()}")
    times.append((name, round(time.perf_counter() - start, 2)))
print(json.dumps({"failures": failures, "times": times}))
"""


def run_snippets(snippets, timeout):
    """Runs `(name, source, folder)` snippets one after another in one
    fresh Python process, each in a fresh namespace and in its folder, with
    this checkout's keras_initact first on the path. Returns the failures'
    tracebacks and each snippet's time."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(
                   [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER],
        input=json.dumps([[name, source, str(folder)] for name, source, folder in snippets]),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["failures"], report["times"]


# A file of the repository named in a code span: `examples/x.py`,
# `python benchmarks/y.py`, `tests/z.py` (not patterns such as
# `tests/<subpackage>/test_<module>.py`).
_REPOSITORY_PATH = re.compile(
    r"`(?:python )?((?:benchmarks|examples|scripts|keras_initact|tests|tools|\.ci)"
    r"/[A-Za-z0-9_/.-]*[A-Za-z0-9_])`")


def missing_paths(path):
    """The repository files a Markdown file names that do not exist. A test
    module also counts as found where it moved within tests/ (the tests
    mirror the package) under its own name."""
    text = pathlib.Path(path).read_text()
    missing = []
    for named in sorted(set(_REPOSITORY_PATH.findall(text))):
        if (ROOT / named).exists():
            continue
        if named.startswith("tests/") and any((ROOT / "tests").rglob(pathlib.Path(named).name)):
            continue
        missing.append(named)
    return missing

"""Every Python snippet of the README runs as written, each on its own (a
fresh namespace, in an empty folder), as a user would paste it."""

import json
import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)

RUNNER = r"""
import json, sys, traceback
failures = []
for index, source in enumerate(json.loads(sys.stdin.read())):
    try:
        exec(compile(source, f"README snippet {index + 1}", "exec"), {})
    except BaseException:
        failures.append(traceback.format_exc())
print(json.dumps(failures))
"""


def test_the_readme_has_snippets():
    assert len(SNIPPETS) >= 5


def test_every_readme_snippet_runs_as_written(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", RUNNER], input=json.dumps(SNIPPETS),
        cwd=tmp_path, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    failures = json.loads(result.stdout.strip().splitlines()[-1])
    assert not failures, "\n".join(failures)

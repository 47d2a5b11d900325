"""Every script in examples/ runs to completion, as a user would run it."""

import pathlib
import subprocess
import sys

import pytest

DEEP_EXAMPLE_NAME = "deep_model_in_tensorboard.py"

EXAMPLES = sorted((pathlib.Path(__file__).parents[2] / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(script, tmp_path, request):
    if script.name == DEEP_EXAMPLE_NAME:  # run once, for the view tests too
        result, _ = request.getfixturevalue("deep_example_run")
    else:
        result = subprocess.run(
            [sys.executable, str(script)], cwd=tmp_path, capture_output=True,
            text=True, timeout=180,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "an example should show its result"

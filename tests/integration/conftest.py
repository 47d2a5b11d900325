"""What several integration tests share: the depth-100 example's run.

`examples/deep_model_in_tensorboard.py` trains a 201-layer model, the
suite's costliest run; it runs once, as a user runs it (a fresh
interpreter, its own log folder), for both the examples test and the
TensorBoard view.
"""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parents[2]
DEEP_EXAMPLE = ROOT / "examples" / "deep_model_in_tensorboard.py"


@pytest.fixture(scope="session")
def deep_example_run(tmp_path_factory):
    """`(completed process, log folder)` of the deep example, run once."""
    work = tmp_path_factory.mktemp("deep_example")
    log_dir = work / "logs"
    result = subprocess.run(
        [sys.executable, str(DEEP_EXAMPLE), "--log-dir", str(log_dir)],
        cwd=work, capture_output=True, text=True, timeout=300)
    return result, log_dir

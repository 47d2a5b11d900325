"""The README: short, its commands as CI reads them, its links alive, and
every Python snippet runs as written, each on its own (a fresh namespace,
in an empty folder), as a user would paste it."""

import pathlib
import re

from markdown_snippets import (missing_paths, python_snippets, run_snippets,
                               unmarked_blocks)

README = pathlib.Path(__file__).parents[2] / "README.md"
TEXT = README.read_text()
SNIPPETS = [source for _, source in python_snippets(README)]
TEST_COMMAND = 'pip install -e ".[test]" && lint-imports && python -m pytest'


def test_the_readme_has_snippets():
    assert len(SNIPPETS) >= 5


def test_every_readme_snippet_runs_as_written(tmp_path):
    failures, _ = run_snippets(
        [(name, source, tmp_path) for name, source in python_snippets(README)],
        timeout=400)
    assert not failures, "\n".join(failures)


def test_every_code_block_says_whether_it_runs():
    assert not unmarked_blocks(README), (
        "mark each block python (it runs) or bash/console/text/json (shown only)")


def test_the_readme_is_at_most_250_lines():
    assert len(TEXT.splitlines()) <= 250


def test_the_test_command_is_on_a_line_of_its_own():
    # .ci/run and the contributors' guide read it as written.
    assert TEST_COMMAND in TEXT.splitlines()


def test_the_gpu_and_cpu_advice_comes_before_the_first_command():
    first_command = TEXT.index("pip install -e . && keras-initact compare")
    assert TEXT.index("tensorflow[and-cuda]") < first_command
    assert TEXT.index("tensorflow-cpu") < first_command


def test_every_relative_link_resolves():
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", TEXT)
    relative = [link for link in links if "://" not in link]
    assert relative, "the README links to its guide"
    missing = [link for link in relative if not (README.parent / link).exists()]
    assert not missing, missing


def test_every_file_it_names_exists():
    assert not missing_paths(README)


def test_it_names_the_keras_releases_the_adapter_is_tested_with():
    from keras_initact.keras_adapter import TESTED_KERAS

    assert all(version in TEXT for version in TESTED_KERAS), TESTED_KERAS

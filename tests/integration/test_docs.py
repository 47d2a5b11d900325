"""The guide in docs/: a page per subpackage, each page in the site's nav,
every Python snippet runs as written, and the site (with its API reference
generated from the docstrings) builds with `mkdocs build --strict`."""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

from markdown_snippets import (missing_paths, python_snippets, run_snippets,
                               unmarked_blocks)

ROOT = pathlib.Path(__file__).parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
PACKAGE = ROOT / "keras_initact"
SUBPACKAGES = sorted(path.parent.name for path in PACKAGE.glob("*/__init__.py"))
GUIDES = ["initializers", "activations", "layers", "deep", "graph", "mup", "models",
          "callbacks", "reporting", "study", "backends", "benchmarks",
          "architecture"]
SITE_TOOLS = {"mkdocs": "mkdocs", "material": "mkdocs-material",
              "mkdocstrings_handlers.python": "mkdocstrings[python]"}


def test_the_guide_has_its_pages():
    missing = [name for name in GUIDES if not (DOCS / f"{name}.md").is_file()]
    assert not missing, missing


def test_the_api_reference_has_a_page_per_subpackage():
    pages = {page.stem: page.read_text() for page in (DOCS / "api").glob("*.md")}
    for name in [*SUBPACKAGES, "reporting"]:
        assert f"::: keras_initact.{name}\n" in pages.get(name, ""), (
            f"docs/api/{name}.md should hold `::: keras_initact.{name}`")


def test_every_page_is_in_the_nav():
    nav = set(re.findall(r"^\s*-\s+(?:[^\n]*?:\s+)?(\S+\.md)\s*$",
                         (ROOT / "mkdocs.yml").read_text(), re.M))
    pages = {page.relative_to(DOCS).as_posix() for page in PAGES}
    assert pages - nav == set(), "pages missing from mkdocs.yml's nav"
    assert nav - pages == set(), "nav entries without a page"


def test_every_file_the_guide_names_exists():
    missing = {page.name: missing_paths(page) for page in PAGES}
    assert not any(missing.values()), {k: v for k, v in missing.items() if v}


def test_every_code_block_says_whether_it_runs():
    unmarked = [block for page in PAGES for block in unmarked_blocks(page)]
    assert not unmarked, (
        "mark each block python (it runs) or bash/console/text/json (shown "
        f"only): {unmarked}")


def test_every_guide_snippet_runs_as_written(tmp_path):
    snippets = [(name, source, tmp_path / page.stem)
                for page in PAGES for name, source in python_snippets(page)]
    assert len(snippets) >= len(GUIDES)
    failures, times = run_snippets(snippets, timeout=400)
    assert not failures, "\n".join(failures)


def test_the_site_builds_in_strict_mode(tmp_path):
    for module, package in SITE_TOOLS.items():
        if importlib.util.find_spec(module.split(".")[0]) is None or (
                importlib.util.find_spec(module) is None):
            pytest.skip(f"{package} is not installed (the test extra "
                        "installs it): the site is not built")
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", NO_MKDOCS_2_WARNING="1"))
    assert result.returncode == 0, result.stderr[-5000:]
    for name in [*SUBPACKAGES, "reporting"]:
        html = (site / "api" / name / "index.html").read_text()
        assert f'id="keras_initact.{name}.' in html, (
            f"the API page of keras_initact.{name} documents nothing")
    for name in ["initializers.HeNormal", "layers.Mish", "models.build_sequential",
                 "callbacks.LayerStats", "study.compare", "deep.for_activation"]:
        page = site / "api" / name.split(".")[0] / "index.html"
        assert f'id="keras_initact.{name}"' in page.read_text(), name

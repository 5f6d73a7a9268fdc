"""The book's configuration: Jupyter Book 1 settings that the pipeline relies on, environment.yml in step with
pyproject.toml, and the CI script."""

import ast
import importlib.metadata
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import booktools  # noqa: E402

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

from packaging.requirements import Requirement  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402

CONFIG = booktools.load_config()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])


def test_execution_is_cached_strict_and_patient():
    execute = CONFIG["execute"]
    assert execute["execute_notebooks"] == "cache"
    assert execute["timeout"] >= 300
    assert execute.get("allow_errors", False) is False
    assert execute["stderr_output"] in {"warn", "error", "severe"}, "stderr in an output must fail the build (-W)"


def test_only_toc_files_are_built_and_nothing_twice():
    assert CONFIG["only_build_toc_files"] is True
    for pattern in ("notebooks", "tests", "_build", ".venv"):
        assert pattern in CONFIG["exclude_patterns"]


def test_repository_is_named_once():
    url, branch = booktools.repository(CONFIG)
    assert branch == "main"
    booktools.github_org_repo(url)  # a github.com/ORG/REPO URL, as Colab and Binder need
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert text.count(url) == 1, "the repository URL must appear once in _config.yml (repository: url:)"
    assert re.fullmatch(r"\d{4}, .+", str(CONFIG["copyright"])), "copyright: 'YEAR, HOLDER'"


def test_extensions_are_loaded():
    sphinx = CONFIG["sphinx"]
    for ext in ("sphinx_exercise", "sphinxcontrib.mermaid"):
        assert ext in sphinx["extra_extensions"]
    assert sphinx["local_extensions"] == {"course_book": "book/_ext"}
    assert "book/_static" in sphinx["config"]["html_static_path"]
    launch = CONFIG["launch_buttons"]
    assert launch["colab_url"] and launch["binderhub_url"]


def test_jupyter_book_1_is_pinned():
    book = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["book"]]
    jb = [r for r in book if canonicalize_name(r.name) == "jupyter-book"]
    assert jb and not jb[0].specifier.contains("2.0.0") and jb[0].specifier.contains("1.0.4")


# ----------------------------------------------------------------------------------------- environment.yml
def project_requirements(extras: set[str]) -> set[str]:
    """Names of the packages pyproject.toml asks for with ``extras`` (self-references resolved)."""
    optional = PYPROJECT["project"]["optional-dependencies"]
    names: set[str] = set()
    todo, seen = list(extras), set()
    for req in PYPROJECT["project"]["dependencies"]:
        names.add(canonicalize_name(Requirement(req).name))
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for line in optional[extra]:
            req = Requirement(line)
            if canonicalize_name(req.name) == PROJECT:
                todo.extend(req.extras)
            else:
                names.add(canonicalize_name(req.name))
    return names


def environment_requirements() -> tuple[set[str], list[str]]:
    """(package names, conda packages) that environment.yml asks for; ``-e .[x]`` expands to the extras x."""
    env = booktools.load_yaml(ROOT / "environment.yml")
    conda, pip = [], []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(dep["pip"])
        else:
            conda.append(dep)
    names: set[str] = set()
    for line in pip:
        line = re.sub(r"^(-e|--editable)\s+", "", line.strip())
        local = re.fullmatch(r"\.(?:\[([\w,\s-]+)\])?", line)
        if local:
            names |= project_requirements({e.strip() for e in (local.group(1) or "").split(",") if e.strip()})
        else:
            names.add(canonicalize_name(Requirement(line).name))
    return names, conda


def test_environment_yml_needs_pip_only():
    env = booktools.load_yaml(ROOT / "environment.yml")
    assert not env.get("channels"), "environment.yml installs everything with pip: no conda channel"
    _, conda = environment_requirements()
    assert sorted(re.split(r"[<>=!~ ]", c)[0] for c in conda) == ["pip", "python"]
    python = next(c for c in conda if c.startswith("python"))
    assert python.replace(" ", "") == "python>=3.10" == "python" + PYPROJECT["project"]["requires-python"]


def test_environment_yml_asks_for_the_book_extra():
    names, _ = environment_requirements()
    assert names == project_requirements({"book"}), (
        "environment.yml must ask for the packages of pyproject.toml's `book` extra and dependencies"
    )


def _imports(source: str) -> set[str]:
    lines = source.splitlines()
    source = "\n".join(
        line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
        for line in lines
    )
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _closure(names: set[str]) -> set[str]:
    """``names`` and everything they require, as installed here."""
    done: set[str] = set()
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in done:
            continue
        done.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for line in requires:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return done


def test_the_book_extra_provides_every_import_of_the_chapters():
    # What Binder installs (environment.yml: the `book` extra) must run every chapter.
    provided = _closure(project_requirements({"book"})) | {PROJECT}
    owners = importlib.metadata.packages_distributions()
    missing = {}
    for chapter in booktools.chapters():
        for cell in booktools.read_notebook(chapter).cells:
            if cell.cell_type != "code":
                continue
            for module in _imports(cell.source):
                if module in sys.stdlib_module_names or module == "course_lib":
                    continue
                dists = {canonicalize_name(d) for d in owners.get(module, [module])}
                if not dists & provided:
                    missing.setdefault(module, []).append(chapter.name)
    assert not missing, f"imported by chapters but not installed by the `book` extra: {missing}"


# ----------------------------------------------------------------------------------------------------- CI
def test_ci_script_builds_then_tests():
    script = ROOT / ".ci" / "run"
    text = script.read_text(encoding="utf-8")
    assert os.access(script, os.X_OK), ".ci/run must be executable"
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert text.index("make book") < text.index("make test"), "the site tests need the book built first"

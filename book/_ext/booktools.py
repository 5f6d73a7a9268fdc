"""Tools of the book pipeline, shared by the Makefile, the Sphinx extension ``course_book`` and the tests.

Run from anywhere with the project's virtual environment::

    python book/_ext/booktools.py sync           # book/*.md -> notebooks/*.ipynb, set-up cells, README links
    python book/_ext/booktools.py vendor         # MathJax and Mermaid into book/_static/vendor (needs npm)
    python book/_ext/booktools.py prepare-cache  # clear the execution cache if course_lib/ changed

The chapters are MyST-Markdown notebooks in ``book/`` (Jupytext). Each one is paired with a notebook of the same
name in ``notebooks/``, stored without outputs, which is what Colab, Binder and nbval open. ``book/`` is the
source: ``sync`` writes ``notebooks/`` from it and never the other way round.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
NOTEBOOKS = ROOT / "notebooks"
CONFIG = ROOT / "_config.yml"
TOC = ROOT / "_toc.yml"
README = ROOT / "README.md"
BUILD = ROOT / "_build"

# JavaScript served from the site itself, so that maths and diagrams render with no internet. The versions are
# also used for the CDN fallback, so the site looks the same either way. Mermaid's matches the default of
# sphinxcontrib-mermaid 2.x.
MATHJAX_VERSION = "3.2.2"
MERMAID_VERSION = "11.12.1"
VENDOR_DIR = BOOK / "_static" / "vendor"
MATHJAX_LOCAL = "vendor/mathjax/tex-mml-chtml.js"  # relative to _static
MERMAID_LOCAL = "vendor/mermaid/mermaid.esm.min.mjs"
MATHJAX_CDN = f"https://cdn.jsdelivr.net/npm/mathjax@{MATHJAX_VERSION}/es5/tex-mml-chtml.js"
VENDOR_STAMP = VENDOR_DIR / "versions.json"

# The first cell of every chapter. Hidden in the book (tag remove-cell); written by `sync` from _config.yml.
SETUP_TAG = "remove-cell"
SETUP_MARKER = "# Set-up cell, written by `make sync` from _config.yml: edit the template in book/_ext/booktools.py."
SETUP_TEMPLATE = """{marker}
import os
import sys

# Before TensorFlow is imported: keep its C++ start-up logs and its oneDNN notice out of the outputs.
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
if "google.colab" in sys.modules:  # on Colab, install the course's package from its repository
    %pip install --quiet "course-lib @ git+{url}@{branch}"
try:
    from myst_nb import glue  # the book pastes glued values into the prose
except ImportError:  # myst-nb is not installed (e.g. on Colab): glue just shows the value
    def glue(name, variable, display=True):
        if display:
            from IPython.display import display as show

            show(variable)"""
# Added for chapters that import TensorFlow or Keras: TensorFlow >= 2.19 writes lines such as "I0000 ...
# cudart_stub.cc] Could not find cuda drivers" to the process's stderr while it is imported, whatever
# TF_CPP_MIN_LOG_LEVEL says (tensorflow/tensorflow#100442), and Jupyter kernels copy that into the outputs.
SETUP_TENSORFLOW = """

# TensorFlow prints start-up lines while it is imported, whatever TF_CPP_MIN_LOG_LEVEL says: import it
# here once, with the process's stderr sent to /dev/null.
saved_stderr = os.dup(2)
try:
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        import tensorflow
finally:
    os.dup2(saved_stderr, 2)
    os.close(saved_stderr)"""
USES_TENSORFLOW = re.compile(r"^\s*(?:import|from)\s+(?:tensorflow|keras)\b", re.MULTILINE)

# Execution-cache key: what jupyter-cache cannot see (it hashes cell code only).
CACHE_KEY_FILE = BUILD / ".execution-cache-key"
CACHE_DIRS = (".jupyter_cache", ".doctrees", "jupyter_execute")

README_START = "<!-- launch-links:start (written by `make sync`) -->"
README_END = "<!-- launch-links:end -->"


# ---------------------------------------------------------------------------------------------- configuration
def load_yaml(path: Path) -> dict:
    import yaml

    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def load_config() -> dict:
    return load_yaml(CONFIG)


def repository(config: dict | None = None) -> tuple[str, str]:
    """``(url, branch)`` of the repository, from ``repository:`` in _config.yml (the one place it is named)."""
    repo = (config or load_config()).get("repository", {})
    url = str(repo["url"]).rstrip("/")
    if url.endswith(".git"):
        url = url[: -len(".git")]
    return url, str(repo.get("branch", "main"))


def github_org_repo(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.netloc != "github.com":
        raise ValueError(f"repository.url in _config.yml must be a https://github.com/ORG/REPO URL; got {url!r}")
    org, repo = PurePosixPath(parts.path).parts[1:3]
    return org, repo


def colab_url(notebook: str, config: dict | None = None) -> str:
    """Colab link for ``notebook`` (a path relative to the repository root, e.g. ``notebooks/x.ipynb``)."""
    config = config or load_config()
    url, branch = repository(config)
    org, repo = github_org_repo(url)
    base = config.get("launch_buttons", {}).get("colab_url", "https://colab.research.google.com").rstrip("/")
    return f"{base}/github/{org}/{repo}/blob/{branch}/{notebook}"


def binder_url(notebook: str, config: dict | None = None) -> str:
    """Binder link that opens ``notebook`` in JupyterLab (or the classic interface, per _config.yml)."""
    config = config or load_config()
    url, branch = repository(config)
    org, repo = github_org_repo(url)
    launch = config.get("launch_buttons", {})
    base = launch.get("binderhub_url", "https://mybinder.org").rstrip("/")
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[launch.get("notebook_interface", "classic")]
    return f"{base}/v2/gh/{org}/{repo}/{branch}?urlpath={ui}/{notebook}"


def uses_tensorflow(nb) -> bool:
    """Whether a code cell of ``nb`` (other than the set-up cell) imports TensorFlow or Keras."""
    return any(
        c.cell_type == "code" and not c.source.startswith(SETUP_MARKER) and USES_TENSORFLOW.search(c.source)
        for c in nb.cells
    )


def setup_cell_source(config: dict | None = None, tensorflow: bool = False) -> str:
    """The first cell of a chapter, for the repository of _config.yml; ``tensorflow``: the chapter uses it."""
    url, branch = repository(config)
    source = SETUP_TEMPLATE.format(marker=SETUP_MARKER, url=url, branch=branch)
    return source + SETUP_TENSORFLOW if tensorflow else source


# ------------------------------------------------------------------------------------------- chapters and toc
def toc_files(toc: dict | None = None) -> list[str]:
    """Every ``file:`` of _toc.yml (root first), as written there (no suffix)."""
    toc = toc if toc is not None else load_yaml(TOC)
    found = [toc["root"]] if "root" in toc else []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return found


def is_text_notebook(path: Path) -> bool:
    """A Markdown file is a chapter notebook when its YAML header has a ``jupytext`` or ``kernelspec`` entry."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return False
    end = text.find("\n---", 4)
    if end < 0:
        return False
    import yaml

    header = yaml.safe_load(text[4:end]) or {}
    return isinstance(header, dict) and ("jupytext" in header or "kernelspec" in header)


def chapters() -> list[Path]:
    """The chapter notebooks of the book: ``book/*.md`` files with a Jupytext header, sorted by name."""
    return sorted(p for p in BOOK.glob("*.md") if is_text_notebook(p))


def notebook_for(chapter: Path) -> Path:
    return NOTEBOOKS / f"{chapter.stem}.ipynb"


def chapter_for(notebook: Path) -> Path:
    return BOOK / f"{notebook.stem}.md"


def chapter_title(chapter: Path) -> str:
    """The chapter's title: the first level-1 heading of its Markdown cells."""
    for cell in read_notebook(chapter).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return chapter.stem


# ------------------------------------------------------------------------------------------------- notebooks
def read_notebook(path: Path):
    """Read a chapter (``.md``) or a notebook (``.ipynb``) with Jupytext, as an nbformat notebook."""
    import jupytext

    return jupytext.read(path)


def cell_signature(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    """What must agree between a chapter and its notebook: each cell's type, source and tags."""
    return [(c.cell_type, c.source, tuple(c.metadata.get("tags", []))) for c in nb.cells]


def stripped(nb):
    """A copy of ``nb`` without outputs and execution counts, with deterministic cell ids."""
    import copy

    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    return nb


def notebook_text(chapter: Path) -> str:
    """The ``.ipynb`` text that ``sync`` writes for ``chapter``."""
    import jupytext

    nb = stripped(read_notebook(chapter))
    nb.nbformat, nb.nbformat_minor = 4, 5
    text = jupytext.writes(nb, fmt="ipynb")
    return text if text.endswith("\n") else text + "\n"


def same_notebook(a: str, b: str) -> bool:
    """Whether two ``.ipynb`` texts hold the same notebook, ignoring what Jupytext records about its own version
    (so that a newer Jupytext does not make `sync` rewrite every notebook)."""

    def essence(text: str) -> dict:
        nb = json.loads(text)
        jupytext_meta = nb.get("metadata", {}).get("jupytext", {})
        nb.get("metadata", {})["jupytext"] = {"formats": jupytext_meta.get("formats")}
        return nb

    return a == b or essence(a) == essence(b)


def stamp_setup_cell(chapter: Path, config: dict | None = None, dry_run: bool = False) -> bool:
    """Make the first cell of ``chapter`` the set-up cell for the configured repository. True if it changed."""
    import jupytext
    from nbformat.v4 import new_code_cell

    nb = read_notebook(chapter)
    source = setup_cell_source(config, tensorflow=uses_tensorflow(nb))
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "code" and first.source.startswith(SETUP_MARKER):
        if first.source == source and first.metadata.get("tags") == [SETUP_TAG]:
            return False
        first.source = source
        first.metadata["tags"] = [SETUP_TAG]
    else:
        nb.cells.insert(0, new_code_cell(source, metadata={"tags": [SETUP_TAG]}))
    if not dry_run:
        jupytext.write(nb, chapter, fmt="md:myst")
    return True


def readme_links(config: dict | None = None) -> str:
    config = config or load_config()
    toc = toc_files()
    order = {f"{Path(f).with_suffix('')}": i for i, f in enumerate(toc)}
    rows = ["| Chapter | Colab | Binder |", "| --- | --- | --- |"]
    for chapter in sorted(chapters(), key=lambda c: order.get(f"book/{c.stem}", len(order))):
        nb = f"notebooks/{chapter.stem}.ipynb"
        rows.append(
            f"| {chapter_title(chapter)} ([`{nb}`]({nb})) | [Open in Colab]({colab_url(nb, config)}) "
            f"| [Open in Binder]({binder_url(nb, config)}) |"
        )
    return "\n".join(rows)


def sync(verbose: bool = True, dry_run: bool = False) -> list[Path]:
    """Stamp the set-up cells, write ``notebooks/`` from ``book/`` and the README's launch links.

    Writes a file only when its content changes, so running it twice changes nothing. Returns the files written
    (with ``dry_run``, the files it would write, writing none).
    """
    config = load_config()
    written: list[Path] = []
    if not dry_run:
        NOTEBOOKS.mkdir(exist_ok=True)
    for chapter in chapters():
        if stamp_setup_cell(chapter, config, dry_run=dry_run):
            written.append(chapter)
            if dry_run:
                continue  # its notebook would be written too, from the stamped chapter
        target = notebook_for(chapter)
        text = notebook_text(chapter)
        if not target.exists() or not same_notebook(target.read_text(encoding="utf-8"), text):
            if not dry_run:
                target.write_text(text, encoding="utf-8")
            written.append(target)
    for orphan in sorted(set(NOTEBOOKS.glob("*.ipynb")) - {notebook_for(c) for c in chapters()}):
        print(f"warning: {orphan.relative_to(ROOT)} has no chapter book/{orphan.stem}.md; delete it or add the "
              "chapter", file=sys.stderr)
    if README.exists():
        text = README.read_text(encoding="utf-8")
        if README_START in text and README_END in text:
            head, rest = text.split(README_START, 1)
            _, tail = rest.split(README_END, 1)
            new = f"{head}{README_START}\n{readme_links(config)}\n{README_END}{tail}"
            if new != text:
                if not dry_run:
                    README.write_text(new, encoding="utf-8")
                written.append(README)
    if verbose:
        for path in written:
            print(f"{'would write' if dry_run else 'wrote'} {path.relative_to(ROOT)}")
        if not written:
            print("notebooks/ and README.md are in sync with book/ and _config.yml")
    return written


# ------------------------------------------------------------------------------------------- clean outputs
# What must never reach a page: terminal control sequences, carriage returns (progress bars redraw with them),
# Keras' progress-bar characters, and TensorFlow / absl log lines.
JUNK = {
    "ANSI escape sequence": re.compile(r"\x1b\["),
    "carriage return": re.compile(r"\r"),
    "progress bar": re.compile(r"━|█|\d+/\d+ \[=*>?\.*\]|\bETA:?\s"),
    "TensorFlow/absl log line": re.compile(r"\b[IWEF]\d{4} \d\d:\d\d:\d\d|\bI0000\b|\bW0000\b|\bE0000\b|absl::"),
    "oneDNN notice": re.compile(r"oneDNN", re.IGNORECASE),
    "CUDA message": re.compile(r"\bcuda\b|cudart|cuDNN|cuBLAS|cuFFT", re.IGNORECASE),
}


def output_texts(nb) -> list[tuple[int, str, str]]:
    """(cell index, kind, text) of every text output: streams, and text/plain of results and displays (glued
    values included)."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                found.append((i, f"stream:{out.name}", out.text))
            elif out.output_type in {"execute_result", "display_data"}:
                for mime, data in sorted(out.data.items()):
                    if mime.endswith("text/plain"):
                        found.append((i, mime, data))
            elif out.output_type == "error":
                found.append((i, "error", "\n".join(out.traceback)))
    return found


def junk_in(nb) -> list[str]:
    """What in the outputs of ``nb`` must not reach a page: anything on stderr, and any match of ``JUNK``."""
    problems = []
    for i, kind, text in output_texts(nb):
        if kind == "stream:stderr":
            problems.append(f"cell {i}: output on stderr: {text[:200]!r}")
        for name, pattern in JUNK.items():
            if pattern.search(text):
                problems.append(f"cell {i} ({kind}): {name}: {text[:200]!r}")
    return problems


# ---------------------------------------------------------------------------------------------- vendored JS
def vendored() -> bool:
    """True when MathJax and Mermaid of the expected versions are in book/_static/vendor."""
    try:
        versions = json.loads(VENDOR_STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        versions == {"mathjax": MATHJAX_VERSION, "mermaid": MERMAID_VERSION}
        and (VENDOR_DIR.parent / MATHJAX_LOCAL).is_file()
        and (VENDOR_DIR.parent / MERMAID_LOCAL).is_file()
    )


def _copy_mathjax(src: Path, dest: Path) -> None:
    # Everything the CommonHTML output needs (components loaded on demand, fonts, the menu and its
    # accessibility tools), but not the SVG output nor the other combined entry points.
    def ignore(directory, names):
        rel = Path(directory).relative_to(src)
        skip = {n for n in names if n.endswith(".map")}
        if rel == Path("."):
            skip |= {n for n in names if n.endswith(".js") and n not in {"tex-mml-chtml.js", "latest.js"}}
        if rel == Path("output"):
            skip |= {"svg", "svg.js"}
        return skip

    shutil.copytree(src, dest, ignore=ignore)


def _copy_mermaid(src: Path, dest: Path) -> None:
    # The ES module that sphinxcontrib-mermaid imports, and the chunks it imports in turn.
    dest.mkdir(parents=True)
    shutil.copy2(src / "mermaid.esm.min.mjs", dest / "mermaid.esm.min.mjs")
    shutil.copytree(
        src / "chunks" / "mermaid.esm.min",
        dest / "chunks" / "mermaid.esm.min",
        ignore=lambda d, names: {n for n in names if n.endswith(".map")},
    )


def vendor() -> bool:
    """Fetch MathJax and Mermaid with npm (cached in _build/.npm-vendor) into book/_static/vendor.

    Returns True if the files are in place. Without npm, or when npm fails, the site uses the CDN instead.
    """
    if vendored():
        print(f"MathJax {MATHJAX_VERSION} and Mermaid {MERMAID_VERSION} are in {VENDOR_DIR.relative_to(ROOT)}")
        return True
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: the site will load MathJax and Mermaid from a CDN (maths and diagrams then need "
              "internet)")
        return False
    cache = BUILD / ".npm-vendor"
    cache.mkdir(parents=True, exist_ok=True)
    cmd = [npm, "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error",
           "--prefix", str(cache), f"mathjax@{MATHJAX_VERSION}", f"mermaid@{MERMAID_VERSION}"]
    print("fetching MathJax and Mermaid with npm:", " ".join(cmd[1:]))
    result = subprocess.run(cmd, cwd=cache)
    modules = cache / "node_modules"
    if result.returncode != 0 or not (modules / "mermaid" / "dist" / "mermaid.esm.min.mjs").is_file():
        print("npm failed: the site will load MathJax and Mermaid from a CDN", file=sys.stderr)
        return False
    tmp = Path(tempfile.mkdtemp(prefix=".vendor-", dir=VENDOR_DIR.parent))
    try:
        _copy_mathjax(modules / "mathjax" / "es5", tmp / "mathjax")
        _copy_mermaid(modules / "mermaid" / "dist", tmp / "mermaid")
        (tmp / "versions.json").write_text(
            json.dumps({"mathjax": MATHJAX_VERSION, "mermaid": MERMAID_VERSION}, indent=2) + "\n", encoding="utf-8"
        )
        shutil.rmtree(VENDOR_DIR, ignore_errors=True)
        tmp.rename(VENDOR_DIR)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"MathJax {MATHJAX_VERSION} and Mermaid {MERMAID_VERSION} copied to {VENDOR_DIR.relative_to(ROOT)}")
    return True


# ----------------------------------------------------------------------------------------- execution cache
def cache_key() -> str:
    """Hash of course_lib/**/*.py and pyproject.toml: what the chapters' outputs depend on besides their code."""
    h = hashlib.sha256()
    files = sorted((ROOT / "course_lib").rglob("*.py")) + [ROOT / "pyproject.toml"]
    for path in files:
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def prepare_cache(ci: bool | None = None) -> bool:
    """Clear the execution cache (and Sphinx's environment, so that pages are re-read) when the key changed,
    or always on CI. Returns True if it cleared."""
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"} if ci is None else ci
    key = cache_key()
    old = CACHE_KEY_FILE.read_text(encoding="utf-8").strip() if CACHE_KEY_FILE.exists() else None
    clear = ci or old != key
    if clear:
        why = "CI=true" if ci else ("first build" if old is None else "course_lib/ or pyproject.toml changed")
        print(f"{why}: clearing the execution cache, every chapter runs again")
        for name in CACHE_DIRS:
            shutil.rmtree(BUILD / name, ignore_errors=True)
    else:
        print("course_lib/ and pyproject.toml unchanged: reusing the execution cache")
    BUILD.mkdir(exist_ok=True)
    CACHE_KEY_FILE.write_text(key + "\n", encoding="utf-8")
    return clear


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sync", help="write notebooks/ and README links from book/ and _config.yml")
    sub.add_parser("vendor", help="fetch MathJax and Mermaid with npm into book/_static/vendor")
    sub.add_parser("prepare-cache", help="clear the execution cache if course_lib/ or pyproject.toml changed")
    sub.add_parser("cache-key", help="print the execution-cache key")
    args = parser.parse_args(argv)
    if args.command == "sync":
        sync()
    elif args.command == "vendor":
        vendor()
    elif args.command == "prepare-cache":
        prepare_cache()
    elif args.command == "cache-key":
        print(cache_key())
    return 0


if __name__ == "__main__":
    sys.exit(main())

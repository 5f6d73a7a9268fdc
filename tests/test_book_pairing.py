"""Each chapter in book/ and its notebook in notebooks/ are the same notebook, listed in the table of contents,
and start with the set-up cell that _config.yml asks for.

CI never runs `jupytext --sync` (it trusts file times, which a clone does not keep): these tests compare the
files themselves, and `make sync` is how an author repairs what they report.
"""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import booktools  # noqa: E402

CHAPTERS = booktools.chapters()
NOTEBOOKS = sorted(booktools.NOTEBOOKS.glob("*.ipynb"))
FIX = "run `make sync` to write notebooks/ from book/"


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_book_has_chapters():
    assert CHAPTERS, "no chapter notebooks (book/*.md with a Jupytext header) found"


def test_every_toc_entry_exists():
    for entry in booktools.toc_files():
        assert (ROOT / f"{entry}.md").is_file() or (ROOT / f"{entry}.ipynb").is_file(), (
            f"_toc.yml lists {entry}, but there is no {entry}.md"
        )


def test_every_chapter_is_in_the_toc():
    # only_build_toc_files: true, so a chapter missing from _toc.yml would silently not be built.
    toc = set(booktools.toc_files())
    for chapter in CHAPTERS:
        assert f"book/{chapter.stem}" in toc, f"{rel(chapter)} is not listed in _toc.yml"


def test_every_toc_chapter_has_its_notebook_and_vice_versa():
    toc_chapters = [ROOT / f"{entry}.md" for entry in booktools.toc_files()]
    toc_chapters = [p for p in toc_chapters if p.is_file() and booktools.is_text_notebook(p)]
    assert toc_chapters, "_toc.yml lists no chapter notebook"
    for chapter in toc_chapters:
        assert booktools.notebook_for(chapter).is_file(), f"{rel(chapter)} has no notebooks/{chapter.stem}.ipynb; {FIX}"
    for notebook in NOTEBOOKS:
        chapter = booktools.chapter_for(notebook)
        assert chapter in toc_chapters, (
            f"{rel(notebook)} has no chapter {rel(chapter)} in _toc.yml (notebooks/ is written from book/)"
        )


def describe(cell) -> str:
    kind, source, tags = cell
    first = source.splitlines()[0] if source else ""
    return f"{kind} cell, tags {list(tags)}, starting {first[:60]!r}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_and_notebook_have_the_same_cells(chapter):
    notebook = booktools.notebook_for(chapter)
    assert notebook.is_file(), f"{rel(chapter)} has no paired notebook {rel(notebook)}; {FIX}"
    in_book = booktools.cell_signature(booktools.read_notebook(chapter))
    in_notebook = booktools.cell_signature(booktools.read_notebook(notebook))
    for i, (a, b) in enumerate(zip(in_book, in_notebook)):
        assert a == b, f"cell {i} differs: {rel(chapter)} has a {describe(a)}; {rel(notebook)} a {describe(b)}; {FIX}"
    assert len(in_book) == len(in_notebook), (
        f"{rel(chapter)} has {len(in_book)} cells, {rel(notebook)} {len(in_notebook)}; {FIX}"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(notebook):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{rel(notebook)} cell {i} has outputs; {FIX} (it strips them)"
            )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_is_the_setup_cell_for_the_configured_repository(chapter):
    config = booktools.load_config()
    url, branch = booktools.repository(config)
    nb = booktools.read_notebook(chapter)
    first = nb.cells[0]
    assert first.cell_type == "code" and first.metadata.get("tags") == [booktools.SETUP_TAG], (
        f"the first cell of {rel(chapter)} must be the set-up code cell tagged {booktools.SETUP_TAG}; {FIX}"
    )
    assert f'"course-lib @ git+{url}@{branch}"' in first.source, (
        f"the set-up cell of {rel(chapter)} does not install from {url}@{branch} (_config.yml); {FIX}"
    )
    expected = booktools.setup_cell_source(config, tensorflow=booktools.uses_tensorflow(nb))
    assert first.source == expected, f"the set-up cell of {rel(chapter)} is not the current template; {FIX}"


def test_setup_cell_quiets_tensorflow_before_it_is_imported():
    source = booktools.setup_cell_source(tensorflow=True)
    position = source.index("import tensorflow")
    for name in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS"):
        assert -1 < source.find(name) < position
    assert 'if "google.colab" in sys.modules:' in source


def test_readme_launch_links_follow_the_config():
    text = booktools.README.read_text(encoding="utf-8")
    assert booktools.README_START in text and booktools.README_END in text, "README.md lost its launch-link markers"
    current = text.split(booktools.README_START, 1)[1].split(booktools.README_END, 1)[0].strip()
    assert current == booktools.readme_links(), f"README.md's launch links are out of date; {FIX}"


def test_sync_changes_nothing_when_in_sync():
    # `make sync` is idempotent: on a repository in sync it would write no file.
    would_write = booktools.sync(verbose=False, dry_run=True)
    assert would_write == [], f"`make sync` would rewrite {[rel(p) for p in would_write]}; run it and commit"


def test_every_chapter_has_exactly_one_title():
    """One `# ` heading per chapter outside fenced blocks (a stub's title left above the real one shows twice)."""
    import re

    root = Path(__file__).resolve().parents[1] / "book"
    for chapter in sorted(root.glob("[0-9][0-9]-*.md")):
        text = re.sub(r"^```.*?^```", "", chapter.read_text(encoding="utf-8"), flags=re.S | re.M)
        titles = [line for line in text.splitlines() if line.startswith("# ")]
        assert len(titles) == 1, f"{chapter.name} has {len(titles)} titles: {titles}"

"""Checks of the built site in _build/html (and of the executed notebooks in _build/jupyter_execute).

`make test` does not build the book. These tests are skipped, with the reason, when there is no site or it is
older than the chapters; `.ci/run` runs `make book` before `make test`, and with CI=true a missing or stale
site is an error instead of a skip.
"""

import os
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import booktools  # noqa: E402
from booktools import JUNK, junk_in  # noqa: E402

HTML = booktools.BUILD / "html"
EXECUTED = booktools.BUILD / "jupyter_execute"
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com")


def page(chapter: Path) -> Path:
    return HTML / "book" / f"{chapter.stem}.html"


def site_problem() -> str | None:
    if not (HTML / "index.html").is_file():
        return "the book is not built (_build/html/index.html is missing): run `make book`, then `make test`"
    for chapter in booktools.chapters():
        if not page(chapter).is_file():
            return f"the built site has no page for {chapter.name}: run `make book`"
        if page(chapter).stat().st_mtime < chapter.stat().st_mtime:
            return f"the built site is older than book/{chapter.name}: run `make book`"
    return None


@pytest.fixture(scope="module")
def site() -> Path:
    problem = site_problem()
    if problem:
        if CI:
            pytest.fail(f"CI=true: {problem}")
        pytest.skip(problem)
    return HTML


def html_pages(site: Path) -> list[Path]:
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)
    assert pages
    return pages


class OutputText(HTMLParser):
    """Collects the text inside the cell-output blocks of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # > 0 inside a cell_output div (counting nested divs)
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag != "div":
            return
        if self.depth:
            self.depth += 1
        elif "cell_output" in (dict(attrs).get("class") or "").split():
            self.depth = 1

    def handle_endtag(self, tag):
        if tag == "div" and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


# ------------------------------------------------------------------------------------------- launch buttons
def launch_links(html: str) -> dict[str, list[str]]:
    hrefs = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]
    return {
        "colab": [h for h in hrefs if urlsplit(h).netloc == "colab.research.google.com"],
        "binder": [h for h in hrefs if urlsplit(h).netloc == "mybinder.org"],
    }


def notebook_of(kind: str, url: str) -> str:
    """The repository path that a Colab or Binder link opens."""
    _, branch = booktools.repository()
    parts = urlsplit(url)
    if kind == "colab":
        return unquote(parts.path.split(f"/blob/{branch}/", 1)[1])
    urlpath = parse_qs(parts.query)["urlpath"][0]
    return re.sub(r"^(lab/tree|tree|doc/tree)/", "", urlpath)


def test_every_chapter_page_launches_its_notebook(site):
    for chapter in booktools.chapters():
        links = launch_links(page(chapter).read_text(encoding="utf-8"))
        expected = f"notebooks/{chapter.stem}.ipynb"
        for kind in ("colab", "binder"):
            assert links[kind], f"{page(chapter).name} has no {kind} launch button"
            for url in links[kind]:
                assert notebook_of(kind, url) == expected, f"{page(chapter).name}: {kind} opens {url}"
                assert url == {"colab": booktools.colab_url, "binder": booktools.binder_url}[kind](expected)


def test_every_launch_link_names_an_existing_notebook(site):
    for html_page in html_pages(site):
        for kind, urls in launch_links(html_page.read_text(encoding="utf-8")).items():
            for url in urls:
                path = notebook_of(kind, url)
                assert path.startswith("notebooks/") and path.endswith(".ipynb"), f"{html_page.name}: {url}"
                assert (ROOT / path).is_file(), f"{html_page.name}: {kind} link to missing {path}"


# ----------------------------------------------------------------------------------------- no internet
def test_no_page_loads_scripts_from_a_cdn(site):
    if not booktools.vendored():
        if CI and shutil.which("npm"):
            pytest.fail("CI=true and npm is here, but MathJax and Mermaid were not vendored by `make book`")
        pytest.skip("MathJax and Mermaid are not vendored (no npm when the book was built): the site uses the CDN")
    for html_page in html_pages(site):
        text = html_page.read_text(encoding="utf-8")
        for host in CDN_HOSTS:
            assert host not in text, f"{html_page.relative_to(site)} refers to {host}"
    chapter_page = page(booktools.chapters()[0]).read_text(encoding="utf-8")
    for local in (booktools.MATHJAX_LOCAL, booktools.MERMAID_LOCAL):
        assert f"_static/{local}" in chapter_page
        assert (site / "_static" / local).is_file()
    assert (site / "_static/vendor/mermaid/chunks/mermaid.esm.min").is_dir()
    assert (site / "_static/vendor/mathjax/output/chtml/fonts/woff-v2").is_dir()


# ------------------------------------------------------------------------------------------ clean outputs
def test_executed_outputs_are_clean(site):
    executed = sorted(EXECUTED.rglob("*.ipynb"))
    assert {p.stem for p in executed} >= {c.stem for c in booktools.chapters()}, "chapters missing from the build"
    for path in executed:
        assert junk_in(nbformat.read(path, as_version=4)) == [], path.name


def test_pages_show_no_terminal_junk(site):
    for html_page in html_pages(site):
        text = html_page.read_text(encoding="utf-8")
        assert "\x1b" not in text and "\r" not in text, html_page.name
        parser = OutputText()
        parser.feed(text)
        outputs = "".join(parser.text)
        for name, pattern in JUNK.items():
            assert not pattern.search(outputs), f"{html_page.name}: {name} in a cell output"


# ----------------------------------------------------------------------------------- execution statistics
def test_execution_statistics_page_lists_every_chapter_executed(site):
    # Only that every chapter ran, and ran green. How long each took is a speed target: it is measured by
    # benchmarks/bench_notebooks.py (printed by .ci/run), not asserted here, where a busy machine would fail it.
    text = (site / "book" / "exec-stats.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", text, flags=re.S)
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows]
    table = {c[0]: c for c in cells if c}
    for chapter in booktools.chapters():
        row = table.get(f"book/{chapter.stem}")
        assert row, f"{chapter.name} is missing from the execution-statistics page"
        _, _, method, seconds, status = row
        assert status == "✅", f"{chapter.name}: execution status {status}"
        assert float(seconds) > 0, f"{chapter.name}: run time {seconds}"


def test_chapter_page_has_maths_diagram_figure_and_citation(site):
    html = page(booktools.chapters()[0]).read_text(encoding="utf-8")
    assert 'class="math notranslate nohighlight"' in html
    assert 'class="mermaid"' in html
    assert "<img" in html and ".png" in html
    assert 'href="bibliography.html#id' in html or "bibliography.html#" in html
    assert 'class="pasted-text"' in html

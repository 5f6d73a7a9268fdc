"""Local Sphinx extension of the course book (loaded through ``sphinx: local_extensions`` in _config.yml).

1. Launch buttons open ``notebooks/<chapter>.ipynb``. sphinx-book-theme builds its Colab and Binder links from
   the page's own source, ``book/<chapter>.md``, which Colab cannot open. Its ``add_launch_buttons`` runs in
   ``html-page-context`` at priority 501 and leaves the links in ``context["header_buttons"]``; this handler
   runs after it (priority 502) and points them at the paired notebook instead.
2. MathJax and Mermaid come from ``_static/vendor`` when ``make book`` fetched them with npm
   (``booktools.vendor``), so the site works with no internet; otherwise from the CDN, at the same versions.
3. Jupyter Book always loads sphinx-thebe, which writes the unpkg.com address of thebe into every page even when
   thebe ("Live code") is off, as it is here. With thebe off, its scripts and style sheet are left out.
4. ``hide_solutions: true`` (sphinx-exercise) works with gated solutions. sphinx-exercise 1.x drops only the
   ``solution-start`` marker and leaves the solution's content on the page, then fails on the orphaned
   ``solution-end`` node ("unknown node", executablebooks/sphinx-exercise#89). Here ``solution-start`` leaves a
   marker, and a transform removes everything from it to its ``solution-end``.
5. The ``course-workload`` directive: a table of the chapters in _toc.yml with their exercises and an estimated
   time, computed from the chapters themselves (book/for-instructors.md).
"""

from __future__ import annotations

import math
import re
from pathlib import Path, PurePosixPath

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx_exercise.directive import SolutionStartDirective
from sphinx_exercise.nodes import solution_end_node

import booktools

logger = logging.getLogger(__name__)


def use_vendored_assets(app, config) -> None:
    if booktools.vendored():
        config.mathjax_path = booktools.MATHJAX_LOCAL
        config.mermaid_use_local = booktools.MERMAID_LOCAL
    else:
        config.mathjax_path = booktools.MATHJAX_CDN
        config.mermaid_use_local = ""
    config.mermaid_version = booktools.MERMAID_VERSION
    # sphinx-thebe writes its settings into every page, with an example repository unless told ours.
    url, branch = booktools.repository()
    config.thebe_config = {**(config.thebe_config or {}), "repository_url": url, "repository_branch": branch}


def launch_notebooks(app, pagename, templatename, context, doctree) -> None:
    groups = [g for g in context.get("header_buttons", []) if g.get("label") == "launch-buttons"]
    if not groups:
        return
    source = Path(app.env.doc2path(pagename))
    notebook = f"notebooks/{PurePosixPath(pagename).name}.ipynb"
    if not (booktools.ROOT / notebook).is_file():
        logger.warning(
            f"{pagename}: no paired notebook {notebook} for the launch buttons; run `make sync`",
            location=pagename,
        )
        return
    config = booktools.load_config()
    # What sphinx-book-theme put at the end of each link: the page's source relative to the repository.
    theme_path = source.relative_to(booktools.ROOT).as_posix()
    links = {"Colab": booktools.colab_url(notebook, config), "Binder": booktools.binder_url(notebook, config)}
    for group in groups:
        for button in group.get("buttons", []):
            if button.get("type") != "link":
                continue
            text = button.get("text")
            if text in links:
                if not button["url"].endswith(theme_path):
                    logger.warning(
                        f"{pagename}: unexpected {text} launch link {button['url']!r} (sphinx-book-theme changed?)",
                        location=pagename,
                    )
                button["url"] = links[text]
            else:
                logger.warning(
                    f"{pagename}: launch button {text!r} is not pointed at {notebook}; only Colab and Binder are",
                    location=pagename,
                )


def _is_thebe_asset(asset) -> bool:
    filename = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return filename.endswith(("sphinx-thebe.js", "sphinx-thebe.css")) or "THEBE_JS_URL" in body


def drop_unused_thebe(app, pagename, templatename, context, doctree) -> None:
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_thebe_asset(asset)]


# ------------------------------------------------------------------ hide_solutions with gated solutions (#89)
class hidden_solution_start(nodes.Element):
    """Where a gated solution starts, on a site built with ``hide_solutions``; removed before writing."""


class SolutionStart(SolutionStartDirective):
    def run(self):
        result = super().run()  # registers the gated directive; returns [] when hide_solutions is on
        if self.config.hide_solutions:
            return [hidden_solution_start()]
        return result


class RemoveHiddenSolutions(SphinxTransform):
    """With ``hide_solutions``, remove each gated solution: its start marker, its content, its ``solution-end``.

    Runs after sphinx-exercise checks the gated structure (priority 1) and before it merges gated directives
    (priority 10).
    """

    default_priority = 5

    def apply(self):
        for start in list(self.document.findall(hidden_solution_start)):
            parent = start.parent
            index = parent.index(start)
            end = next((k for k in range(index + 1, len(parent.children))
                        if isinstance(parent.children[k], solution_end_node)), None)
            if end is None:
                logger.warning("solution-start without a solution-end at the same level", location=start)
                parent.remove(start)
                continue
            for child in parent.children[index : end + 1]:
                parent.remove(child)


# --------------------------------------------------------------------------------- course-workload directive
WORDS_PER_MINUTE = 100  # a technical text with maths and code to run: half the usual reading speed
MINUTES_PER_EXERCISE = {"conceptual": 10, "coding": 20}


def chapter_workload(path: Path) -> dict:
    """Words of a chapter's prose (solutions left out), its exercises, and the estimated time in minutes
    (None when the chapter has no exercises yet: it is still being written)."""
    from course_lib.assign import analyse

    analysis = analyse(booktools.read_notebook(path))
    prose = "".join(p.text for p in analysis.pieces if p.role in ("text", "statement") and p.text)
    prose = re.sub(r"\$\$.*?\$\$", " ", prose, flags=re.S)  # displayed maths
    prose = re.sub(r"(?m)^\s*(?:`{3,}|~{3,}|:{3,}|:[\w-]+:).*$", " ", prose)  # directive fences and options
    words = len(re.findall(r"[A-Za-z][A-Za-z'-]*", prose))
    exercises = list(analysis.exercises.values())
    coding = sum(ex.coding for ex in exercises)
    conceptual = len(exercises) - coding
    minutes = None
    if exercises:
        raw = words / WORDS_PER_MINUTE + conceptual * MINUTES_PER_EXERCISE["conceptual"] \
            + coding * MINUTES_PER_EXERCISE["coding"]
        minutes = 5 * math.ceil(raw / 5)
    return {"words": words, "exercises": len(exercises), "coding": coding, "conceptual": conceptual,
            "auto_checked": sum(ex.auto_checked for ex in exercises), "minutes": minutes}


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


class CourseWorkload(SphinxDirective):
    """A table of the chapters in _toc.yml: exercises (auto-checked, coding, conceptual) and estimated time."""

    has_content = False

    def run(self):
        header = ["Chapter", "Exercises", "Auto-checked", "Estimated time"]
        rows = []
        for entry in booktools.toc_files():
            path = booktools.ROOT / f"{entry}.md"
            if not path.is_file() or not booktools.is_text_notebook(path):
                continue
            self.env.note_dependency(str(path))
            work = chapter_workload(path)
            link = addnodes.pending_xref("", nodes.inline("", booktools.chapter_title(path)), refdomain="std",
                                         reftype="doc", reftarget=f"/{entry}", refexplicit=True,
                                         refdoc=self.env.docname, refwarn=True)
            if work["minutes"] is None:
                cells = [link, "to come", "to come", "to come"]
            else:
                cells = [link, f"{work['exercises']} ({work['conceptual']} conceptual, {work['coding']} coding)",
                         str(work["auto_checked"]), _duration(work["minutes"])]
            rows.append(cells)
        table = nodes.table(classes=["course-workload"])
        group = nodes.tgroup(cols=len(header))
        table += group
        for width in (40, 30, 12, 18):
            group += nodes.colspec(colwidth=width)

        def row(values):
            tr = nodes.row()
            for value in values:
                para = nodes.paragraph()
                para += value if isinstance(value, nodes.Node) else nodes.Text(value)
                tr += nodes.entry("", para)
            return tr

        thead = nodes.thead()
        thead += row(header)
        tbody = nodes.tbody()
        for values in rows:
            tbody += row(values)
        group += thead
        group += tbody
        return [table]


def setup(app):
    app.setup_extension("sphinx_exercise")
    app.add_node(hidden_solution_start)
    app.add_directive("solution-start", SolutionStart, override=True)
    app.add_transform(RemoveHiddenSolutions)
    app.add_directive("course-workload", CourseWorkload)
    app.connect("config-inited", use_vendored_assets)
    app.connect("html-page-context", launch_notebooks, priority=502)
    app.connect("html-page-context", drop_unused_thebe, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

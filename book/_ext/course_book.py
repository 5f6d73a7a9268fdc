"""Local Sphinx extension of the course book (loaded through ``sphinx: local_extensions`` in _config.yml).

1. Launch buttons open ``notebooks/<chapter>.ipynb``. sphinx-book-theme builds its Colab and Binder links from
   the page's own source, ``book/<chapter>.md``, which Colab cannot open. Its ``add_launch_buttons`` runs in
   ``html-page-context`` at priority 501 and leaves the links in ``context["header_buttons"]``; this handler
   runs after it (priority 502) and points them at the paired notebook instead.
2. MathJax and Mermaid come from ``_static/vendor`` when ``make book`` fetched them with npm
   (``booktools.vendor``), so the site works with no internet; otherwise from the CDN, at the same versions.
3. Jupyter Book always loads sphinx-thebe, which writes the unpkg.com address of thebe into every page even when
   thebe ("Live code") is off, as it is here. With thebe off, its scripts and style sheet are left out.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from sphinx.util import logging

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


def setup(app):
    app.connect("config-inited", use_vendored_assets)
    app.connect("html-page-context", launch_notebooks, priority=502)
    app.connect("html-page-context", drop_unused_thebe, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

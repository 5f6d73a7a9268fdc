"""The exercises of every chapter, as coursework: format, checks, student and nbgrader versions, the sites.

For every chapter in _toc.yml (including chapters added later):

- its exercises follow the format (course_lib/assign.py: gated directives, stub / solution / check cells), at
  least three of them, conceptual and coding, at least one auto-checked, in a section "## Exercises" after
  "## Summary";
- every check cell calls a check of course_lib.check.REGISTRY registered under its exercise's label; every
  registered check is used by a chapter and tested by tests/test_check_<module>.py;
- in the student version (`python -m course_lib.assign student`) no solution is left, and when it runs, each
  check cell fails with CheckFailed "not done yet" on the untouched stub, shown as one line, and no other cell
  fails (nbval runs the chapters WITH their solutions: there every check passes);
- the nbgrader version passes nbgrader's metadata validator, and its release has the stubs back.

The built sites are checked when they exist: `make book` (solutions collapsed, each check prints its ✓ line, the
workload table) and `make student` (no solution anywhere). sphinx-exercise's `hide_solutions` with gated
solutions (its issue #89) is checked on a tiny Sphinx project.
"""

import copy
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_lib import check
from course_lib.assign import (
    TAG_CHECK,
    _solution_lines,
    analyse,
    audit,
    check_names,
    nbgrader_notebook,
    solutions_of,
    student_notebook,
)
from course_lib.check import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import booktools  # noqa: E402

CHAPTERS = [
    ROOT / f"{entry}.md"
    for entry in booktools.toc_files()
    if (ROOT / f"{entry}.md").is_file() and booktools.is_text_notebook(ROOT / f"{entry}.md")
]
IDS = [c.stem for c in CHAPTERS]
MIN_EXERCISES = 3


def notebook(chapter: Path):
    return nbformat.read(booktools.notebook_for(chapter), as_version=4)


def all_notebooks() -> dict:
    return {p.name: nbformat.read(p, as_version=4) for p in sorted(booktools.NOTEBOOKS.glob("*.ipynb"))}


def test_there_are_chapters():
    assert CHAPTERS, "_toc.yml lists no chapter notebook"


# ---------------------------------------------------------------------------------------------- the format
@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_exercises_follow_the_format(chapter):
    problems = analyse(notebook(chapter)).problems
    assert not problems, f"{chapter.name}: " + "; ".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_every_chapter_has_three_exercises_one_auto_checked(chapter):
    exercises = list(analyse(notebook(chapter)).exercises.values())
    coding = [e.label for e in exercises if e.coding]
    conceptual = [e.label for e in exercises if not e.coding]
    auto = [e.label for e in exercises if e.auto_checked]
    assert len(exercises) >= MIN_EXERCISES, (
        f"{chapter.name} has {len(exercises)} exercise(s); every chapter ends with at least {MIN_EXERCISES}"
    )
    assert auto, f"{chapter.name}: no exercise is auto-checked (a stub and a check cell)"
    assert coding and conceptual, f"{chapter.name}: exercises should be conceptual and coding; coding: {coding}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_exercises_are_in_their_section_after_the_summary(chapter):
    analysis = analyse(notebook(chapter))
    if not analysis.exercises:
        pytest.skip(f"{chapter.name} has no exercises yet")
    headings = []  # (position in the pieces, heading)
    first_exercise = None
    for i, piece in enumerate(analysis.pieces):
        if piece.role in ("text", "statement") and piece.text:
            headings += [(i, h) for h in re.findall(r"(?m)^## +(.+?)\s*$", piece.text)]
        if piece.role == "statement" and first_exercise is None:
            first_exercise = i
    titles = [h for _, h in headings]
    assert "Exercises" in titles, f"{chapter.name}: put the exercises in a section '## Exercises'"
    assert "Summary" in titles and titles.index("Summary") < titles.index("Exercises"), (
        f"{chapter.name}: the section '## Exercises' comes after '## Summary'"
    )
    position = dict((h, i) for i, h in headings)["Exercises"]
    assert first_exercise > position, f"{chapter.name}: an exercise comes before the section '## Exercises'"
    assert titles[-1] == "Exercises", f"{chapter.name}: '## Exercises' is the last section; after it: {titles[-1]}"


# ---------------------------------------------------------------------------------------------- the checks
@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_every_check_cell_calls_the_registered_check_of_its_exercise(chapter):
    nb = notebook(chapter)
    for ex in analyse(nb).exercises.values():
        for index in ex.checks:
            names = check_names(nb.cells[index].source)
            for name in names:
                fn = getattr(check, name, None)
                assert fn is not None and getattr(fn, "label", None) in REGISTRY, (
                    f"{chapter.name} cell {index}: check.{name} is not a check of course_lib.check.REGISTRY "
                    "(decorate it with @exercise_check and import it in course_lib/check/__init__.py)"
                )
                assert REGISTRY[fn.label] is fn
                assert fn.label == ex.label, (
                    f"{chapter.name} cell {index}: check.{name} is registered for {fn.label!r}, but it checks "
                    f"exercise {ex.label!r}: use the exercise's label in @exercise_check"
                )


def used_checks() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for name, nb in all_notebooks().items():
        for ex in analyse(nb).exercises.values():
            for index in ex.checks:
                for fn_name in check_names(nb.cells[index].source):
                    fn = getattr(check, fn_name, None)
                    if fn is not None and hasattr(fn, "label"):
                        used.setdefault(fn.label, []).append(name)
    return used


def test_every_registered_check_is_used_by_a_chapter():
    unused = sorted(set(REGISTRY) - set(used_checks()))
    assert not unused, f"checks that no chapter's check cell calls: {unused}"


def test_every_registered_check_has_a_test_file_that_uses_it():
    missing = []
    for label, fn in sorted(REGISTRY.items()):
        module = fn.__module__.rsplit(".", 1)[-1]
        test_file = ROOT / "tests" / f"test_check_{module}.py"
        if not test_file.is_file():
            missing.append(f"{label}: no {test_file.relative_to(ROOT)}")
        elif not re.search(rf"\b{re.escape(fn.__name__)}\b", test_file.read_text(encoding="utf-8")):
            missing.append(f"{label}: {test_file.relative_to(ROOT)} never mentions {fn.__name__}")
    assert not missing, "; ".join(missing)


def test_check_names_are_unique():
    for label, fn in REGISTRY.items():
        assert getattr(check, fn.__name__, None) is fn, (
            f"check.{fn.__name__} is not the check of {label}: two chapter modules export the same name"
        )


# ------------------------------------------------------------------------------- student and nbgrader files
@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_the_student_version_has_no_solution(chapter):
    nb = notebook(chapter)
    student = student_notebook(nb)
    text = "\n".join(c.source for c in student.cells)
    flat = " ".join(text.split())
    for solution in solutions_of(nb):
        assert solution not in flat, f"{chapter.name}: a solution is left: {solution[:80]!r}"
    lines = _solution_lines({chapter.name: nb})
    leaked = {" ".join(ln.split()) for ln in text.splitlines()} & set(lines)
    assert not leaked, f"{chapter.name}: solution lines left: {sorted(leaked)[:3]}"
    assert "{solution" not in text
    analysis = analyse(nb)
    for ex in analysis.exercises.values():
        for index in ex.stubs + ex.checks:
            assert nb.cells[index].source in text, f"{chapter.name}: the stub or check of {ex.label} is missing"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_the_nbgrader_version_validates_and_releases_stubs(chapter):
    from nbgrader.nbgraderformat import MetadataValidator
    from nbgrader.preprocessors import ClearSolutions

    nb = notebook(chapter)
    analysis = analyse(nb)
    source = nbgrader_notebook(nb)
    MetadataValidator().validate_nb(source)
    meta = [c.metadata.get("nbgrader", {}) for c in source.cells]
    code_answers = [m for m, c in zip(meta, source.cells) if m.get("solution") and c.cell_type == "code"]
    tests = [m for m in meta if m.get("grade") and not m.get("solution")]
    assert len(code_answers) == sum(len(e.stubs) for e in analysis.exercises.values())
    assert len(tests) == sum(len(e.checks) for e in analysis.exercises.values())
    assert all(m["locked"] and m["points"] >= 1 for m in tests)
    released, _ = ClearSolutions().preprocess(copy.deepcopy(source), {})
    text = "\n".join(c.source for c in released.cells)
    assert "BEGIN SOLUTION" not in text
    leaked = {" ".join(ln.split()) for ln in text.splitlines()} & set(_solution_lines({chapter.name: nb}))
    assert not leaked, f"{chapter.name}: nbgrader's release keeps solution lines {sorted(leaked)[:3]}"


def run_student_version(chapter: Path):
    """Execute the student version of ``chapter`` as a student would, cell by cell, errors allowed."""
    from nbclient import NotebookClient

    student = student_notebook(notebook(chapter))
    client = NotebookClient(student, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(booktools.NOTEBOOKS)}})
    start = time.perf_counter()
    client.execute()
    return student, time.perf_counter() - start


def check_student_run(chapter: Path):
    student, _ = run_student_version(chapter)
    checks = 0
    for i, cell in enumerate(student.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        stderr = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        assert not stderr, f"{chapter.name} (student version) cell {i} wrote to stderr: {stderr[0][:300]}"
        if TAG_CHECK in cell.metadata.get("tags", []):
            checks += 1
            assert errors, f"{chapter.name} (student version) cell {i}: the check passed on the untouched stub"
            (error,) = errors
            assert error.ename == "CheckFailed" and "not done yet" in error.evalue, (
                f"{chapter.name} (student version) cell {i}: expected CheckFailed 'not done yet', got "
                f"{error.ename}: {error.evalue[:300]}"
            )
            assert error.traceback == [f"CheckFailed: {error.evalue}"], "Jupyter must show the message alone"
        else:
            assert not errors, (
                f"{chapter.name} (student version) cell {i} fails without the solutions: "
                f"{errors[0].ename}: {errors[0].evalue[:300]}; only check cells may use what the student writes"
            )
    expected = sum(len(e.checks) for e in analyse(notebook(chapter)).exercises.values())
    assert checks == expected


# One class per chapter: pytest-xdist's --dist loadscope runs the classes on different workers, in parallel.
for _chapter in CHAPTERS:
    _name = "TestStudentVersion_" + re.sub(r"\W", "_", _chapter.stem)
    globals()[_name] = type(_name, (), {
        "__doc__": f"The student version of {_chapter.name}, executed: every check fails with 'not done yet'.",
        "test_checks_fail_with_not_done_yet_and_nothing_else_fails":
            (lambda self, _c=_chapter: check_student_run(_c)),
    })
del _chapter, _name


# -------------------------------------------------------------------------------------- the built sites
def built(html: Path, chapter_pages: bool = True) -> str | None:
    """Why the site in ``html`` cannot be checked (missing or older than a chapter), or None."""
    if not (html / "index.html").is_file():
        return f"{html.relative_to(ROOT)} is not built"
    for chapter in CHAPTERS:
        page = html / "book" / f"{chapter.stem}.html"
        if not page.is_file() or page.stat().st_mtime < chapter.stat().st_mtime:
            return f"{page.relative_to(ROOT)} is missing or older than {chapter.name}"
    return None


MAIN_SITE = booktools.BUILD / "html"
STUDENT_SITE = booktools.BUILD / "student" / "html"


def test_the_site_collapses_solutions_and_shows_the_checks_passing():
    problem = built(MAIN_SITE)
    if problem:
        pytest.skip(f"{problem}: run `make book`")
    for chapter in CHAPTERS:
        analysis = analyse(notebook(chapter))
        page = (MAIN_SITE / "book" / f"{chapter.stem}.html").read_text(encoding="utf-8")
        solutions = re.findall(r'<div class="solution dropdown[^"]*"', page)
        assert len(solutions) == sum(e.has_solution for e in analysis.exercises.values()), chapter.name
        n_checks = sum(len(e.checks) for e in analysis.exercises.values())
        assert page.count("✓ Exercise") >= n_checks, f"{chapter.name}: a check does not print its ✓ line"


def test_the_instructors_page_lists_every_chapter():
    problem = built(MAIN_SITE)
    if problem:
        pytest.skip(f"{problem}: run `make book`")
    page = (MAIN_SITE / "book" / "for-instructors.html").read_text(encoding="utf-8")
    table = page[page.index('class="course-workload'):]
    table = table[: table.index("</table>")]
    for chapter in CHAPTERS:
        assert f"{chapter.stem}.html" in table, f"the workload table has no row for {chapter.name}"


def test_the_student_site_has_no_solutions():
    problem = built(STUDENT_SITE)
    if problem:
        pytest.skip(f"{problem}: run `make student`")
    found = audit(STUDENT_SITE, sorted(booktools.NOTEBOOKS.glob("*.ipynb")))
    assert not found, "\n".join(found[:10])
    for chapter in CHAPTERS:
        page = (STUDENT_SITE / "book" / f"{chapter.stem}.html").read_text(encoding="utf-8")
        n = len(analyse(notebook(chapter)).exercises)
        assert page.count('class="exercise') >= n, f"{chapter.name}: exercises missing from the student site"


# --------------------------------------------------------------------------- hide_solutions (sphinx-exercise #89)
PAGE = """# Test

```{exercise-start}
:label: ex-hide
```

Compute it.

```{exercise-end}
```

```{solution-start} ex-hide
:class: dropdown
```

The answer is SECRET-ANSWER.

```python
print("SECRET-CODE")
```

```{solution-end}
```

After the solution.
"""


def sphinx_build(tmp_path: Path, hide: bool, with_fix: bool = True) -> tuple[int, str, str]:
    src, out = tmp_path / f"src-{hide}-{with_fix}", tmp_path / f"out-{hide}-{with_fix}"
    src.mkdir()
    extensions = ["myst_parser", "sphinx_exercise", "sphinxcontrib.mermaid", "sphinx_thebe"]
    if with_fix:
        extensions.append("course_book")
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        f"extensions = {extensions!r}\nhide_solutions = {hide}\n", encoding="utf-8")
    (src / "index.md").write_text(PAGE, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q", str(src), str(out)],
                          capture_output=True, text=True, timeout=300)
    page = out / "index.html"
    return done.returncode, page.read_text(encoding="utf-8") if page.is_file() else "", done.stderr


class TestHideSolutions:
    def test_solutions_show_collapsed_by_default(self, tmp_path):
        code, page, err = sphinx_build(tmp_path, hide=False)
        assert code == 0, err
        assert 'class="solution dropdown' in page and "SECRET-ANSWER" in page and "SECRET-CODE" in page

    def test_hide_solutions_removes_gated_solutions(self, tmp_path):
        code, page, err = sphinx_build(tmp_path, hide=True)
        assert code == 0, err
        assert "SECRET" not in page and 'class="solution' not in page
        assert "Compute it." in page and "After the solution." in page

    def test_sphinx_exercise_still_needs_the_fix(self, tmp_path):
        code, page, err = sphinx_build(tmp_path, hide=True, with_fix=False)
        assert code != 0 or "SECRET" in page, (
            "sphinx-exercise now handles hide_solutions with gated solutions (issue #89): the work-around in "
            "book/_ext/course_book.py (SolutionStart, RemoveHiddenSolutions) can go"
        )
        assert "solution_end_node" in err

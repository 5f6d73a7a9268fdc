"""Student notebooks and nbgrader assignments (course_lib/assign.py, `python -m course_lib.assign`).

On a small synthetic chapter that uses every form of the exercise format: what is found, what the student
version keeps and drops, what the nbgrader version's metadata says (checked by nbgrader's own validator), the
command line, and the site copy. Then a smoke test of the whole nbgrader round trip on the course's first
chapter, offline: generate the assignment, autograde a solved and an untouched submission, read the scores from
the gradebook.
"""

import copy
import os
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_lib import assign
from course_lib.assign import (
    BEGIN,
    END,
    analyse,
    audit,
    nbgrader_notebook,
    strip_chapter,
    student_notebook,
    wrap_solution,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = "00-how-this-course-works"  # the smoke test's chapter: short, with two checked exercises

SETUP = "# Set-up cell\nimport os"
STUB = 'def double(x):\n    """Twice x."""\n    # your code here\n    raise NotImplementedError'
SOLUTION = 'def double(x):\n    """Twice x."""\n    return 2 * x  # SECRET-CODE-1'
SOLUTION_EXTRA = "assert double(3) == 6  # SECRET-CODE-2"


def md(text):
    return new_markdown_cell(text)


def code(text, *tags):
    cell = new_code_cell(text)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def synthetic():
    """A chapter with a gated coding exercise (stub, two solution cells, check), a gated conceptual exercise and
    a non-gated one, with text before, between and after."""
    nb = new_notebook(cells=[
        code(SETUP, "remove-cell"),
        md("# A chapter\n\nSome text."),
        code("from course_lib import check"),
        md("## Exercises\n\nIntro.\n\n```{exercise-start} Doubling\n:label: ex-syn-double\n```\n\nWrite `double(x)`."),
        code(STUB, "exercise-stub"),
        md("```{exercise-end}\n```\n\n```{solution-start} ex-syn-double\n:class: dropdown\n```\n\n"
           "Multiply by two, SECRET-PROSE-1:"),
        code(SOLUTION, "solution"),
        code(SOLUTION_EXTRA, "solution"),
        md("```{solution-end}\n```"),
        code("check.double(double)", "exercise-check"),
        md("```{exercise-start}\n:label: ex-syn-why\n```\n\nWhy?\n\n```{exercise-end}\n```\n\n"
           "```{solution-start} ex-syn-why\n:class: dropdown\n```\n\nBecause SECRET-PROSE-2.\n\n```{solution-end}\n```"
           "\n\n````{exercise}\n:label: ex-syn-plain\n\nA non-gated one.\n````\n\n"
           "````{solution} ex-syn-plain\n:class: dropdown\n\nSECRET-PROSE-3\n````\n\nClosing words."),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["jupytext"] = {"formats": "book//md:myst,notebooks//ipynb"}
    nb.cells[2].outputs = [new_output("stream", name="stdout", text="an old output\n")]
    nb.cells[2].execution_count = 3
    return nb


def all_text(nb) -> str:
    return "\n".join(c.source for c in nb.cells)


# ------------------------------------------------------------------------------------------------ analyse
def test_analyse_finds_the_exercises_and_their_parts():
    analysis = analyse(synthetic())
    assert analysis.problems == []
    assert list(analysis.exercises) == ["ex-syn-double", "ex-syn-why", "ex-syn-plain"]
    double, why, plain = analysis.exercises.values()
    assert (double.title, double.stubs, double.solution_cells, double.checks) == ("Doubling", [4], [6, 7], [9])
    assert double.coding and double.auto_checked and double.has_solution
    assert "SECRET-PROSE-1" in double.solution_text
    assert not why.coding and not why.auto_checked and why.solution_text.strip() == "Because SECRET-PROSE-2."
    assert not plain.gated and plain.solution_text.strip() == "SECRET-PROSE-3"
    roles = {p.role for p in analysis.pieces}
    assert roles == {"setup", "text", "code", "statement", "stub", "solution", "solution-marker", "solution-code",
                     "check"}


BROKEN = {
    "no label": ([md("```{exercise-start}\n```\n\n```{exercise-end}\n```")], "has no :label:"),
    "unclosed exercise": ([md("```{exercise-start}\n:label: ex-a\n```")], "without {exercise-end}"),
    "unclosed solution": ([md("```{exercise}\n:label: ex-a\n```\n\n```{solution-start} ex-a\n```")],
                          "without {solution-end}"),
    "solution of nothing": ([md("```{solution-start} ex-zz\n```\n\n```{solution-end}\n```")], "names no exercise"),
    "stub outside": ([code("raise NotImplementedError", "exercise-stub")], "outside {exercise-start}"),
    "stub that does not raise": ([md("```{exercise-start}\n:label: ex-a\n```"), code("def f(): pass", "exercise-stub"),
                                  md("```{exercise-end}\n```\n\n```{solution-start} ex-a\n```"),
                                  code("def f(): return 1", "solution"), md("```{solution-end}\n```")],
                                 "must raise NotImplementedError"),
    "solution tag outside": ([code("x = 1", "solution")], "outside {solution-start}"),
    "untagged solution code": ([md("```{exercise}\n:label: ex-a\n```\n\n```{solution-start} ex-a\n```"),
                                code("x = 1"), md("```{solution-end}\n```")], "must be tagged 'solution'"),
    "check first": ([code("check.f(f)", "exercise-check")], "before any exercise"),
    "check inside": ([md("```{exercise-start}\n:label: ex-a\n```"), code("check.f(f)", "exercise-check")],
                     "inside the exercise"),
    "check calls nothing": ([md("```{exercise}\n:label: ex-a\n```"), code("print(1)", "exercise-check")],
                            "must call a check"),
    "no solution": ([md("```{exercise}\n:label: ex-a\n```")], "has no solution"),
    "solution misses the stub": ([md("```{exercise-start}\n:label: ex-a\n```"),
                                  code("def f():\n    raise NotImplementedError", "exercise-stub"),
                                  md("```{exercise-end}\n```\n\n```{solution-start} ex-a\n```"),
                                  code("def g():\n    return 1", "solution"), md("```{solution-end}\n```")],
                                 "defines f again"),
    "label twice": ([md("```{exercise}\n:label: ex-a\n```\n\n```{exercise}\n:label: ex-a\n```")], "used twice"),
    "nested": ([md("```{exercise-start}\n:label: ex-a\n```\n\n```{exercise-start}\n:label: ex-b\n```")],
               "inside another exercise"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_analyse_reports_what_breaks_the_format(name):
    cells, says = BROKEN[name]
    problems = analyse(new_notebook(cells=copy.deepcopy(cells))).problems
    assert any(says in p for p in problems), problems
    with pytest.raises(ValueError, match="not in the course's format"):
        student_notebook(new_notebook(cells=copy.deepcopy(cells)))


def test_directive_options_may_be_yaml_and_fences_colons():
    nb = new_notebook(cells=[md(":::{exercise}\n---\nlabel: ex-yaml\n---\nText.\n:::\n\n"
                                "::::{solution} ex-yaml\nAnswer.\n::::")])
    analysis = analyse(nb)
    assert analysis.problems == [] and analysis.exercises["ex-yaml"].solution_text.strip() == "Answer."


# ------------------------------------------------------------------------------------------------ student
def test_student_notebook_has_no_solution_and_no_output():
    nb = synthetic()
    student = student_notebook(nb)
    nbformat.validate(student)
    text = all_text(student)
    assert "SECRET" not in text
    assert "{solution" not in text
    assert not any("solution" in c.metadata.get("tags", []) for c in student.cells)
    for kept in (STUB, "check.double(double)", "Closing words.", "Intro.", "Why?", "A non-gated one.", SETUP,
                 "```{exercise-end}\n```"):
        assert kept in text
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")
    assert "jupytext" not in student.metadata
    ids = [c.id for c in student.cells]
    assert len(set(ids)) == len(ids) and set(ids) <= {c.id for c in nb.cells}
    assert nb.cells[2].outputs, "the original notebook is not modified"


def test_student_notebook_drops_cells_left_empty():
    student = student_notebook(synthetic())
    assert not any(c.cell_type == "markdown" and not c.source.strip() for c in student.cells)
    assert len(student.cells) == len(synthetic().cells) - 3  # two solution cells and the solution-end cell


# ------------------------------------------------------------------------------------------------ nbgrader
def test_wrap_solution_keeps_the_signature_outside():
    wrapped = wrap_solution(STUB, SOLUTION)
    assert wrapped == ('def double(x):\n    """Twice x."""\n    ' + BEGIN + "\n    return 2 * x  # SECRET-CODE-1\n    "
                       + END)


def test_wrap_solution_falls_back_to_the_whole_solution():
    assert wrap_solution("raise NotImplementedError", "x = 1\ny = 2") == f"{BEGIN}\nx = 1\ny = 2\n{END}"
    # a helper defined before the function: nothing in common at the start
    helper = "def helper(x):\n    return x\n\n\ndef double(x):\n    return 2 * helper(x)"
    assert wrap_solution("def double(x):\n    raise NotImplementedError", helper) == f"{BEGIN}\n{helper}\n{END}"
    assert wrap_solution(STUB, STUB) == f"{BEGIN}\n{STUB}\n{END}"


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader")


def test_nbgrader_notebook_metadata():
    from nbgrader.nbgraderformat import MetadataValidator

    source = nbgrader_notebook(synthetic())
    nbformat.validate(source)
    MetadataValidator().validate_nb(source)  # nbgrader's own check: schema, grade ids, points
    cells = {nbgrader_meta(c)["grade_id"]: c for c in source.cells if nbgrader_meta(c)}
    assert set(cells) == {"setup", "ex-syn-double-statement", "ex-syn-double-answer", "ex-syn-double-statement-2",
                          "ex-syn-double-check", "ex-syn-why-statement", "ex-syn-why-answer",
                          "ex-syn-plain-statement", "ex-syn-plain-answer"}
    answer = cells["ex-syn-double-answer"]
    assert answer.cell_type == "code" and answer.source == wrap_solution(STUB, SOLUTION)
    assert nbgrader_meta(answer) | {} == {"grade": False, "grade_id": "ex-syn-double-answer", "locked": False,
                                          "schema_version": 3, "solution": True, "task": False}
    test = cells["ex-syn-double-check"]
    assert test.source == "check.double(double)"
    assert nbgrader_meta(test) == {"grade": True, "grade_id": "ex-syn-double-check", "locked": True, "points": 1,
                                   "schema_version": 3, "solution": False, "task": False}
    for label, secret in (("ex-syn-why", "SECRET-PROSE-2"), ("ex-syn-plain", "SECRET-PROSE-3")):
        manual = cells[f"{label}-answer"]
        assert manual.cell_type == "markdown" and secret in manual.source
        assert (nbgrader_meta(manual)["grade"], nbgrader_meta(manual)["solution"], nbgrader_meta(manual)["points"]) \
            == (True, True, 1)
    for gid in ("setup", "ex-syn-double-statement", "ex-syn-why-statement"):
        assert nbgrader_meta(cells[gid])["locked"] and not nbgrader_meta(cells[gid])["grade"]
    text = all_text(source)
    assert "SECRET-CODE-2" not in text and "SECRET-PROSE-1" not in text and "{solution" not in text
    plain = [c for c in source.cells if not nbgrader_meta(c)]
    assert [c.source for c in plain] == ["# A chapter\n\nSome text.", "from course_lib import check",
                                         "## Exercises\n\nIntro.", "Closing words."]
    assert [c.cell_type for c in source.cells].count("code") == 4
    ids = [c.id for c in source.cells]
    assert len(set(ids)) == len(ids)


def test_nbgrader_release_turns_the_answer_back_into_a_stub():
    from nbgrader.preprocessors import ClearSolutions

    source = nbgrader_notebook(synthetic())
    released, _ = ClearSolutions().preprocess(copy.deepcopy(source), {})
    answers = {nbgrader_meta(c)["grade_id"]: c.source for c in released.cells
               if nbgrader_meta(c) and nbgrader_meta(c)["solution"]}
    assert answers["ex-syn-double-answer"] == (
        'def double(x):\n    """Twice x."""\n    # YOUR CODE HERE\n    raise NotImplementedError()')
    assert answers["ex-syn-why-answer"] == answers["ex-syn-plain-answer"] == "YOUR ANSWER HERE"
    assert "SECRET" not in all_text(released)


def test_nbgrader_notebook_without_manual_answers():
    source = nbgrader_notebook(synthetic(), manual_points=0)
    assert not any(c.cell_type == "markdown" and (nbgrader_meta(c) or {}).get("solution") for c in source.cells)
    assert "SECRET-PROSE" not in all_text(source)


def test_check_points_come_from_the_check(monkeypatch):
    from course_lib import check

    monkeypatch.setattr(check.n_params, "points", 3)
    nb = synthetic()
    nb.cells[9].source = "check.n_params(double)"
    (test,) = [c for c in nbgrader_notebook(nb).cells if (nbgrader_meta(c) or {}).get("grade")
               and c.cell_type == "code"]
    assert nbgrader_meta(test)["points"] == 3


# ------------------------------------------------------------------------------------------- site, audit
def test_strip_chapter_lets_the_site_build_with_failing_checks():
    chapter = strip_chapter(synthetic())
    (check_cell,) = [c for c in chapter.cells if "exercise-check" in c.metadata.get("tags", [])]
    assert check_cell.metadata["tags"] == ["exercise-check", "raises-exception", "remove-output"]
    assert "SECRET" not in all_text(chapter)


def test_audit_finds_solutions_in_html_notebooks_and_sources(tmp_path):
    source = tmp_path / "src" / "syn.ipynb"
    source.parent.mkdir()
    nbformat.write(synthetic(), source)
    site = tmp_path / "site"
    (site / "_sources").mkdir(parents=True)
    nbformat.write(student_notebook(synthetic()), site / "student.ipynb")
    (site / "page.html").write_text('<div class="exercise admonition"><pre>def double(x):</pre></div>')
    (site / "for-instructors.md").write_text("Write solutions with ```{solution-start} ex-...")  # a page about it
    assert audit(site, [source]) == []

    highlighted = ('<pre><span class="k">def</span> <span class="nf">double</span>(x):\n    '
                   '<span class="sd">&quot;&quot;&quot;Twice x.&quot;&quot;&quot;</span>\n    <span class="k">return'
                   '</span> <span class="mi">2</span> <span class="o">*</span> x  <span class="c1"># SECRET-CODE-1'
                   '</span></pre><div class="solution dropdown admonition">')
    (site / "leak.html").write_text(highlighted)
    nbformat.write(synthetic(), site / "_sources" / "leak.ipynb")
    (site / "_sources" / "leak.md").write_text("---\njupytext:\n  x: 1\n---\n```{solution-start} ex-syn-double\n```")
    found = audit(site, [source])
    assert any(f.startswith("leak.html: holds a solution of syn.ipynb") for f in found), found
    assert "leak.html: holds a sphinx-exercise solution block" in found
    assert any(f.startswith(str(Path("_sources") / "leak.ipynb") + ": holds a solution") for f in found)
    assert f"{Path('_sources') / 'leak.md'}: holds a {{solution-start}} directive" in found


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "course_lib.assign", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_command_line(tmp_path):
    src = tmp_path / "nbs"
    src.mkdir()
    nbformat.write(synthetic(), src / "syn.ipynb")
    broken = new_notebook(cells=[md("```{exercise-start}\n:label: ex-b\n```")])
    nbformat.write(broken, src / "broken.ipynb")

    done = run_cli("student", tmp_path / "student", "--source", src, "--only", "syn")
    assert done.returncode == 0, done.stderr
    assert "SECRET" not in all_text(nbformat.read(tmp_path / "student" / "syn.ipynb", as_version=4))

    failed = run_cli("student", tmp_path / "all", "--source", src)
    assert failed.returncode == 1 and "broken.ipynb: the exercises are not in the course's format" in failed.stderr
    assert (tmp_path / "all" / "syn.ipynb").is_file() and not (tmp_path / "all" / "broken.ipynb").exists()
    assert run_cli("student", tmp_path / "all", "--source", src, "--keep-going").returncode == 0

    done = run_cli("nbgrader", tmp_path / "course", "--source", src, "--only", "syn")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "course" / "source" / "syn" / "syn.ipynb").is_file()
    config = (tmp_path / "course" / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))" in config

    assert run_cli("audit", tmp_path / "student", "--source", src, "--only", "syn").returncode == 0
    leaked = run_cli("audit", tmp_path / "course", "--source", src, "--only", "syn")
    assert leaked.returncode == 1 and "line(s) of the solutions of syn.ipynb" in leaked.stderr

    missing = run_cli("student", tmp_path / "x", "--source", src, "--only", "nothing")
    assert missing.returncode != 0 and "no notebook nothing" in missing.stderr


def test_site_copy_has_no_solutions(tmp_path):
    root = tmp_path / "repo"
    (root / "book").mkdir(parents=True)
    (root / "notebooks").mkdir()
    nb = synthetic()
    jupytext.write(nb, root / "book" / "syn.md", fmt="md:myst")
    nbformat.write(nb, root / "notebooks" / "syn.ipynb")
    (root / "book" / "page.md").write_text("# A page\n\nNot a notebook.\n")
    for name in ("_config.yml", "_toc.yml"):
        (root / name).write_text("title: x\n")
    done = run_cli("site", tmp_path / "out", "--root", root)
    assert done.returncode == 0, done.stderr
    chapter = jupytext.read(tmp_path / "out" / "book" / "syn.md")
    assert "SECRET" not in all_text(chapter)
    assert (tmp_path / "out" / "book" / "page.md").read_text() == "# A page\n\nNot a notebook.\n"
    tags = [c.metadata.get("tags", []) for c in chapter.cells if c.cell_type == "code"]
    assert ["exercise-check", "raises-exception", "remove-output"] in tags
    assert "SECRET" not in all_text(nbformat.read(tmp_path / "out" / "notebooks" / "syn.ipynb", as_version=4))
    refused = run_cli("site", root / "book", "--root", root)
    assert refused.returncode != 0 and "must go to a new folder" in refused.stderr


# ------------------------------------------------------------------------------------- nbgrader smoke test
@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The nbgrader course folder after the round trip (built once, for the tests of TestNbgraderSmoke)."""
    course = tmp_path_factory.mktemp("course")
    assert assign.main(["nbgrader", str(course), "--source", str(ROOT / "notebooks"), "--only", SAMPLE]) == 0
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")

    def nbgrader(*args):
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    nbgrader("generate_assignment", SAMPLE)
    released = course / "release" / SAMPLE / f"{SAMPLE}.ipynb"
    source = nbformat.read(course / "source" / SAMPLE / f"{SAMPLE}.ipynb", as_version=4)

    # bob hands in the released notebook untouched; alice completes every answer cell
    solved = nbformat.read(released, as_version=4)
    by_id = {nbgrader_meta(c)["grade_id"]: c for c in source.cells if nbgrader_meta(c)}
    for cell in solved.cells:
        meta = nbgrader_meta(cell)
        if meta and meta["solution"]:
            original = by_id[meta["grade_id"]].source
            cell.source = "\n".join(ln for ln in original.splitlines() if BEGIN not in ln and END not in ln)
    for student, nb in (("alice", solved), ("bob", nbformat.read(released, as_version=4))):
        target = course / "submitted" / student / SAMPLE / f"{SAMPLE}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    nbgrader("autograde", SAMPLE)
    return course


class TestNbgraderSmoke:
    """The whole round trip, offline, on the course's first chapter: `python -m course_lib.assign nbgrader`,
    `nbgrader generate_assignment`, a solved and an untouched submission, `nbgrader autograde`, the gradebook."""

    def grades(self, course, student):
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            submission = gb.find_submission(SAMPLE, student)
            (notebook,) = submission.notebooks
            return {g.name: (g.auto_score, g.max_score, g.needs_manual_grade) for g in notebook.grades}

    def test_the_release_has_stubs_and_no_solutions(self, course):
        released = nbformat.read(course / "release" / SAMPLE / f"{SAMPLE}.ipynb", as_version=4)
        solutions = assign.solutions_of(nbformat.read(ROOT / "notebooks" / f"{SAMPLE}.ipynb", as_version=4))
        flat = " ".join(all_text(released).split())
        assert solutions and not any(s in flat for s in solutions)
        assert all_text(released).count("raise NotImplementedError()") == 2

    def test_a_solved_notebook_gets_full_marks(self, course):
        grades = self.grades(course, "alice")
        checks = {k: v for k, v in grades.items() if k.endswith("-check")}
        assert checks == {"ex-tour-parameter-shapes-check": (1.0, 1.0, False),
                          "ex-tour-n-params-check": (1.0, 1.0, False)}
        manual = {k: v for k, v in grades.items() if not k.endswith("-check")}
        assert manual == {"ex-tour-count-params-answer": (None, 1.0, True),
                          "ex-tour-float32-answer": (None, 1.0, True)}

        # the instructor grades the two written answers: then the score is the maximum
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            submission = gb.find_submission(SAMPLE, "alice")
            for grade in submission.notebooks[0].grades:
                if grade.needs_manual_grade:
                    grade.manual_score = grade.max_score
            gb.db.commit()
            assert submission.score == submission.max_score == 4.0

    def test_an_untouched_notebook_gets_zero(self, course):
        grades = self.grades(course, "bob")
        assert {k: v[0] for k, v in grades.items()} == dict.fromkeys(grades, 0.0)
        autograded = nbformat.read(course / "autograded" / "bob" / SAMPLE / f"{SAMPLE}.ipynb", as_version=4)
        errors = [o for c in autograded.cells if "exercise-check" in c.metadata.get("tags", []) for o in c.outputs]
        assert [(o.output_type, o.ename, "not done yet" in o.evalue) for o in errors] == [("error", "CheckFailed", True)] * 2

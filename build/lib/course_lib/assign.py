r"""Student notebooks, nbgrader assignments and a site without solutions, from the course's chapters.

Run from the root of the repository (these need the ``book`` extra: nbformat, jupytext)::

    python -m course_lib.assign student OUT/        # OUT/<chapter>.ipynb: no solutions, no outputs
    python -m course_lib.assign nbgrader OUT/       # OUT/source/<chapter>/<chapter>.ipynb + OUT/nbgrader_config.py
    python -m course_lib.assign site OUT/           # OUT/: a copy of the book's sources without solutions
    python -m course_lib.assign audit DIR/ ...      # fail if a file under DIR holds a solution

``--source`` names the folder of chapter notebooks (default ``notebooks``), ``--only NAME`` picks chapters.
``make student`` runs the first three into ``_build/student/`` and builds the site.

The chapters mark their exercises with sphinx-exercise's gated directives and cell tags (see
``book/for-instructors.md``)::

    ```{exercise-start}            <- statement (markdown), then the stub: a code cell tagged exercise-stub
    :label: ex-...                    whose function raises NotImplementedError
    ```
    ```{exercise-end}
    ```
    ```{solution-start} ex-...     <- solution: markdown and code cells tagged solution
    :class: dropdown
    ```
    ```{solution-end}
    ```
    check.name(name)               <- check: a code cell tagged exercise-check, after the solution

:func:`analyse` reads that structure (and reports what breaks it); :func:`student_notebook` drops the solutions;
:func:`nbgrader_notebook` turns stub + solution into an nbgrader autograded answer and the check into an
autograder test; :func:`strip_chapter` makes the MyST chapter of a site without solutions.
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Exercise",
    "Analysis",
    "analyse",
    "student_notebook",
    "nbgrader_notebook",
    "wrap_solution",
    "strip_chapter",
    "audit",
    "main",
]

TAG_STUB = "exercise-stub"
TAG_SOLUTION = "solution"
TAG_CHECK = "exercise-check"
EXERCISE_DIRECTIVES = ("exercise", "exercise-start", "exercise-end", "solution", "solution-start", "solution-end")

_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})\{(?P<name>[A-Za-z][\w-]*)\}[ \t]*(?P<arg>.*?)\s*$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")
_CHECK_CALL = re.compile(r"\bcheck\.(?P<name>[A-Za-z_]\w*)\s*\(")

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
NBGRADER_SCHEMA = 3
COURSE_ID = "course-nn-large-models"


# ------------------------------------------------------------------------------------------------ parsing
@dataclass
class Exercise:
    """One exercise of a notebook: where its parts are (cell indices) and what its solution says."""

    label: str
    title: str = ""
    gated: bool = True
    stubs: list[int] = field(default_factory=list)  # code cells tagged exercise-stub
    solution_cells: list[int] = field(default_factory=list)  # code cells inside its solution
    checks: list[int] = field(default_factory=list)  # code cells tagged exercise-check after it
    solution_text: str = ""  # the markdown of its solution (without the directive markers)
    has_solution: bool = False

    @property
    def coding(self) -> bool:
        """A coding exercise has a stub to complete; a conceptual one is answered in words (or on paper)."""
        return bool(self.stubs)

    @property
    def auto_checked(self) -> bool:
        return bool(self.checks)


@dataclass
class Piece:
    """A cell, or part of a markdown cell, with its role in the exercises."""

    cell: int  # index of the cell it comes from
    text: str
    role: str  # text, code, setup, statement, stub, check, solution, solution-marker, solution-code
    label: str | None = None  # the exercise it belongs to


@dataclass
class Analysis:
    exercises: dict[str, Exercise]
    pieces: list[Piece]
    problems: list[str]


def _split_markdown(text: str) -> list[tuple[str, dict | None]]:
    """Split Markdown into plain text and exercise/solution directive blocks ``(raw, info)``.

    ``info`` is None for plain text, else ``{"name", "arg", "options", "body"}``. The raw pieces concatenate to
    ``text``.
    """
    lines = text.splitlines(keepends=True)
    out: list[tuple[str, dict | None]] = []
    plain: list[str] = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i].rstrip("\n"))
        if not m or m.group("name") not in EXERCISE_DIRECTIVES:
            plain.append(lines[i])
            i += 1
            continue
        fence = m.group("fence")
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j].rstrip("\n")):
            j += 1
        block = lines[i : j + 1]
        inner = [ln.rstrip("\n") for ln in lines[i + 1 : j]]
        options: dict[str, str] = {}
        k = 0
        if inner and inner[0].strip() == "---":  # YAML options block
            end = next((n for n in range(1, len(inner)) if inner[n].strip() == "---"), None)
            if end is not None:
                for ln in inner[1:end]:
                    key, _, value = ln.partition(":")
                    options[key.strip()] = value.strip()
                k = end + 1
        else:
            while k < len(inner) and _OPTION.match(inner[k]):
                om = _OPTION.match(inner[k])
                options[om.group("key")] = om.group("value")
                k += 1
        if plain:
            out.append(("".join(plain), None))
            plain = []
        info = {"name": m.group("name"), "arg": m.group("arg"), "options": options,
                "body": "\n".join(inner[k:]).strip(), "closed": j < len(lines)}
        out.append(("".join(block), info))
        i = j + 1
    if plain:
        out.append(("".join(plain), None))
    return out


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _is_setup(index: int, cell) -> bool:
    """The chapter's first cell, written by ``make sync`` and hidden in the book (tag remove-cell)."""
    return index == 0 and cell.cell_type == "code" and "remove-cell" in _tags(cell)


def check_names(source: str) -> list[str]:
    """The names ``X`` of the ``check.X(...)`` calls in a check cell."""
    return [m.group("name") for m in _CHECK_CALL.finditer(source)]


def analyse(nb) -> Analysis:
    """Find the exercises of ``nb`` (an nbformat notebook) and the role of every cell and directive in them."""
    exercises: dict[str, Exercise] = {}
    pieces: list[Piece] = []
    problems: list[str] = []
    open_exercise: str | None = None  # inside exercise-start ... exercise-end
    open_solution: str | None = None  # inside solution-start ... solution-end
    last: str | None = None  # the exercise a check cell belongs to

    def new_exercise(info, where, gated) -> str:
        label = info["options"].get("label", "")
        if not label:
            problems.append(f"{where}: {{{info['name']}}} has no :label: (the check and the solution refer to it)")
            label = f"unlabelled-{len(exercises) + 1}"
        if label in exercises:
            problems.append(f"{where}: exercise label {label!r} is used twice")
        exercises[label] = Exercise(label=label, title=info["arg"], gated=gated)
        return label

    for index, cell in enumerate(nb.cells):
        where = f"cell {index}"
        tags = _tags(cell)
        if cell.cell_type == "markdown":
            for raw, info in _split_markdown(cell.source):
                if info is None:
                    if open_solution:
                        pieces.append(Piece(index, raw, "solution", open_solution))
                        exercises[open_solution].solution_text += raw if raw.endswith("\n") else raw + "\n\n"
                    elif open_exercise:
                        pieces.append(Piece(index, raw, "statement", open_exercise))
                    else:
                        pieces.append(Piece(index, raw, "text"))
                    continue
                name = info["name"]
                if not info["closed"]:
                    problems.append(f"{where}: the {{{name}}} directive is not closed")
                if name in ("exercise-start", "exercise") and (open_exercise or open_solution):
                    problems.append(f"{where}: {{{name}}} inside another exercise or solution (missing -end?)")
                if name in ("solution-start", "solution") and (open_exercise or open_solution):
                    problems.append(f"{where}: {{{name}}} inside an exercise or solution: close it first with "
                                    f"{{{'exercise-end' if open_exercise else 'solution-end'}}}")
                if name == "exercise-start":
                    open_exercise = new_exercise(info, where, gated=True)
                    pieces.append(Piece(index, raw, "statement", open_exercise))
                elif name == "exercise":
                    last = new_exercise(info, where, gated=False)
                    pieces.append(Piece(index, raw, "statement", last))
                elif name == "exercise-end":
                    if open_exercise is None:
                        problems.append(f"{where}: {{exercise-end}} without {{exercise-start}}")
                        pieces.append(Piece(index, raw, "text"))
                        continue
                    pieces.append(Piece(index, raw, "statement", open_exercise))
                    last, open_exercise = open_exercise, None
                elif name in ("solution-start", "solution"):
                    target = info["arg"].split()[0] if info["arg"] else ""
                    if target not in exercises:
                        problems.append(f"{where}: {{{name}}} {target!r} names no exercise before it")
                        exercises[target] = Exercise(label=target)
                    exercises[target].has_solution = True
                    if name == "solution":
                        pieces.append(Piece(index, raw, "solution", target))
                        exercises[target].solution_text += info["body"] + "\n"
                    else:
                        pieces.append(Piece(index, raw, "solution-marker", target))
                        open_solution = target
                else:  # solution-end
                    if open_solution is None:
                        problems.append(f"{where}: {{solution-end}} without {{solution-start}}")
                        pieces.append(Piece(index, raw, "text"))
                        continue
                    pieces.append(Piece(index, raw, "solution-marker", open_solution))
                    open_solution = None
            continue

        # code (or raw) cells
        if open_solution:
            exercises[open_solution].solution_cells.append(index)
            pieces.append(Piece(index, cell.source, "solution-code", open_solution))
            if cell.cell_type == "code" and TAG_SOLUTION not in tags:
                problems.append(f"{where}: a code cell inside the solution of {open_solution} must be tagged "
                                f"{TAG_SOLUTION!r}")
            if TAG_STUB in tags or TAG_CHECK in tags:
                problems.append(f"{where}: a {TAG_STUB}/{TAG_CHECK} cell inside the solution of {open_solution}")
        elif TAG_SOLUTION in tags:
            problems.append(f"{where}: a cell tagged {TAG_SOLUTION!r} outside {{solution-start}} ... "
                            "{solution-end}")
            pieces.append(Piece(index, cell.source, "solution-code", last))
        elif TAG_STUB in tags:
            owner = open_exercise
            if owner is None:
                problems.append(f"{where}: a cell tagged {TAG_STUB!r} outside {{exercise-start}} ... {{exercise-end}}")
                owner = last
            else:
                exercises[owner].stubs.append(index)
            if "NotImplementedError" not in cell.source:
                problems.append(f"{where}: the stub of {owner} must raise NotImplementedError")
            pieces.append(Piece(index, cell.source, "stub", owner))
        elif TAG_CHECK in tags:
            if open_exercise is not None:
                problems.append(f"{where}: the check of {open_exercise} is inside the exercise; put it after "
                                "{solution-end}")
            owner = open_exercise or last
            if owner is None:
                problems.append(f"{where}: a cell tagged {TAG_CHECK!r} before any exercise")
            else:
                exercises[owner].checks.append(index)
            if not check_names(cell.source):
                problems.append(f"{where}: a check cell must call a check, `check.<name>(...)`")
            pieces.append(Piece(index, cell.source, "check", owner))
        elif _is_setup(index, cell):
            pieces.append(Piece(index, cell.source, "setup"))
        else:
            role = "statement" if open_exercise else "code"
            pieces.append(Piece(index, cell.source, role, open_exercise))

    if open_exercise:
        problems.append(f"exercise {open_exercise}: {{exercise-start}} without {{exercise-end}}")
    if open_solution:
        problems.append(f"solution of {open_solution}: {{solution-start}} without {{solution-end}}")
    for ex in exercises.values():
        if not ex.has_solution:
            problems.append(f"exercise {ex.label} has no solution")
        for stub in ex.stubs:
            names = defined_names(nb.cells[stub].source)
            if ex.has_solution and _solution_for(nb, ex, stub) is None:
                problems.append(f"exercise {ex.label}: no code cell of its solution defines "
                                f"{', '.join(sorted(names)) or 'what its stub defines'} again")
    return Analysis(exercises, pieces, problems)


def defined_names(source: str) -> set[str]:
    """The functions, classes and variables that a cell defines at top level (empty if it is not Python)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _solution_for(nb, ex: Exercise, stub: int) -> int | None:
    """The solution code cell of ``ex`` that completes the stub cell ``stub``: the first one that defines all
    the names the stub defines (for a stub that defines nothing, the solution cell of the same rank)."""
    names = defined_names(nb.cells[stub].source)
    if not names:
        rank = ex.stubs.index(stub)
        return ex.solution_cells[rank] if rank < len(ex.solution_cells) else None
    for index in ex.solution_cells:
        if names <= defined_names(nb.cells[index].source):
            return index
    return None


# ------------------------------------------------------------------------------------------ building cells
def _tidy(text: str) -> str:
    """Markdown with the blank lines left by removed blocks collapsed, and no blank start or end."""
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+\n", "\n", text)).strip("\n")


def _clean_code(cell):
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    cell.metadata.pop("execution", None)
    return cell


def _clean_metadata(nb):
    """A copy of ``nb`` without outputs and without Jupytext's pairing (it names the repository's folders)."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("jupytext", None)
    nb.cells = [_clean_code(c) for c in nb.cells]
    return nb


def _check(analysis: Analysis, strict: bool, name: str) -> None:
    if analysis.problems and strict:
        raise ValueError(f"{name}: the exercises are not in the course's format:\n  " + "\n  ".join(analysis.problems))


def student_notebook(nb, strict: bool = True):
    """``nb`` without solutions (the cells and the markdown between ``solution-start`` and ``solution-end``,
    ``{solution}`` blocks, cells tagged ``solution``) and without outputs. Stubs and checks stay."""
    analysis = analyse(nb)
    _check(analysis, strict, "notebook")
    out = _clean_metadata(nb)
    keep: dict[int, list[str]] = {}
    for piece in analysis.pieces:
        if piece.role not in ("solution", "solution-marker", "solution-code"):
            keep.setdefault(piece.cell, []).append(piece.text)
    cells = []
    for index, cell in enumerate(out.cells):
        if index not in keep:
            continue
        if cell.cell_type == "markdown":
            text = _tidy("".join(keep[index]))
            if not text.strip():
                continue
            cell.source = text
        cells.append(cell)
    out.cells = cells
    return out


def wrap_solution(stub: str, solution: str) -> str:
    """The source of an nbgrader autograded answer: ``solution`` with the part that differs from ``stub``
    between ``### BEGIN SOLUTION`` and ``### END SOLUTION``.

    The lines that the stub and the solution share at the start (``def f(x):``, the docstring) and at the end
    stay outside, so nbgrader's release keeps the signature and replaces only the body by ``raise
    NotImplementedError()``. When that would not be valid Python, the whole solution is wrapped.
    """
    s_lines, x_lines = stub.rstrip().splitlines(), solution.rstrip().splitlines()
    p = 0
    while p < min(len(s_lines), len(x_lines)) and s_lines[p].rstrip() == x_lines[p].rstrip():
        p += 1
    q = 0
    while q < min(len(s_lines), len(x_lines)) - p and s_lines[-1 - q].rstrip() == x_lines[-1 - q].rstrip():
        q += 1
    prefix, middle, suffix = x_lines[:p], x_lines[p : len(x_lines) - q], x_lines[len(x_lines) - q :]
    whole = "\n".join([BEGIN, *x_lines, END])
    code = [ln for ln in middle if ln.strip()]
    if not code:
        return whole
    indent = min(len(ln) - len(ln.lstrip()) for ln in code) * " "
    released = [*prefix, indent + "# YOUR CODE HERE", indent + "raise NotImplementedError()", *suffix]
    try:
        compile("\n".join(released), "<stub>", "exec")
    except SyntaxError:
        return whole
    return "\n".join([*prefix, indent + BEGIN, *middle, indent + END, *suffix])


def _nbgrader_meta(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": NBGRADER_SCHEMA,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def _points(source: str) -> int:
    """Points of a check cell: the sum of ``points`` of the checks it calls (1 for a check it cannot find)."""
    try:
        from . import check
    except Exception:  # noqa: BLE001 - a broken check module must not stop the conversion
        return max(1, len(check_names(source)))
    return sum(getattr(getattr(check, name, None), "points", 1) for name in check_names(source)) or 1


def nbgrader_notebook(nb, manual_points: int = 1, strict: bool = True):
    """The nbgrader *source* version of ``nb``.

    - stub + solution of a coding exercise: one autograded-answer cell (``solution: true``), the solution
      wrapped in ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (:func:`wrap_solution`);
    - check cell: an autograder test (``grade: true``, locked, the check's points, grade id ``<label>-check``);
    - conceptual exercise: a manually graded Markdown answer (``manual_points`` points; none if 0) holding the
      book's solution, which ``nbgrader generate_assignment`` replaces by "YOUR ANSWER HERE";
    - exercise statements and the set-up cell: read-only; other cells: plain, for the student to run and change;
    - other solution content: removed.
    """
    from nbformat.v4 import new_markdown_cell

    analysis = analyse(nb)
    _check(analysis, strict, "notebook")
    src = _clean_metadata(nb)
    used: set[str] = set()

    def grade_id(base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_-]", "-", base)
        gid, n = base, 2
        while gid in used:
            gid, n = f"{base}-{n}", n + 1
        used.add(gid)
        return gid

    ids: set[str] = set()

    def unique_id(base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_-]", "-", base)[:56] or "cell"
        cid, n = base, 2
        while cid in ids:
            cid, n = f"{base}-{n}", n + 1
        ids.add(cid)
        return cid

    def with_id(cell, suffix: str = ""):
        cell = copy.deepcopy(cell)
        if "id" in cell:
            cell["id"] = unique_id(f"{cell['id']}{suffix}")
        return cell

    cells = []
    pending_md: list[Piece] = []

    def flush():
        # consecutive markdown pieces of one cell with the same role and exercise become one cell
        groups: list[list[Piece]] = []
        for piece in pending_md:
            if not piece.text.strip():  # blank lines between blocks go with the block before them
                if groups:
                    groups[-1].append(piece)
                continue
            if groups and (groups[-1][0].role, groups[-1][0].label) == (piece.role, piece.label):
                groups[-1].append(piece)
            else:
                groups.append([piece])
        for n, group in enumerate(groups):
            text = _tidy("".join(p.text for p in group))
            if not text.strip():
                continue
            cell = with_id(src.cells[group[0].cell], f"-{n}" if len(groups) > 1 else "")
            cell.source = text
            if group[0].role == "statement":
                cell.metadata["nbgrader"] = _nbgrader_meta(grade_id(f"{group[0].label}-statement"), locked=True)
            cells.append(cell)
        pending_md.clear()

    answered: set[str] = set()
    for piece in analysis.pieces:
        cell = src.cells[piece.cell]
        if cell.cell_type == "markdown":
            if piece.role in ("text", "statement"):
                if pending_md and pending_md[-1].cell != piece.cell:
                    flush()
                pending_md.append(piece)
                continue
            # solution markdown: a conceptual exercise gets its answer cell where its solution starts
            ex = analysis.exercises.get(piece.label)
            if ex is None or ex.coding or ex.label in answered or manual_points <= 0:
                continue
            flush()
            answered.add(ex.label)
            answer = _tidy(ex.solution_text)
            for index in ex.solution_cells:
                answer += f"\n\n```python\n{src.cells[index].source.strip()}\n```"
            answer = answer.strip() or "(See the solution in the book.)"
            md = new_markdown_cell(answer)
            md.metadata["nbgrader"] = _nbgrader_meta(grade_id(f"{ex.label}-answer"), grade=True, solution=True,
                                                     points=manual_points)
            md["id"] = unique_id(f"{ex.label}-answer")
            cells.append(md)
            continue
        flush()
        if piece.role in ("solution-code",):
            continue
        new = with_id(cell)
        if piece.role == "stub" and piece.label in analysis.exercises:
            ex = analysis.exercises[piece.label]
            solution = _solution_for(src, ex, piece.cell)
            if solution is not None:
                new.source = wrap_solution(cell.source, src.cells[solution].source)
            new.metadata["nbgrader"] = _nbgrader_meta(grade_id(f"{ex.label}-answer"), solution=True)
        elif piece.role == "check":
            new.metadata["nbgrader"] = _nbgrader_meta(grade_id(f"{piece.label or 'exercise'}-check"), grade=True,
                                                      locked=True, points=_points(cell.source))
        elif piece.role == "setup":
            new.metadata["nbgrader"] = _nbgrader_meta(grade_id("setup"), locked=True)
        elif piece.role == "statement":  # a code cell of the statement (data for the exercise)
            new.metadata["nbgrader"] = _nbgrader_meta(grade_id(f"{piece.label}-statement"), locked=True)
        cells.append(new)
    flush()
    src.cells = cells
    return src


def strip_chapter(nb):
    """A MyST chapter for a site without solutions: :func:`student_notebook`, with each check cell tagged
    ``raises-exception`` (it fails on the stub, and the build must go on) and ``remove-output``."""
    out = student_notebook(nb)
    for cell in out.cells:
        tags = _tags(cell)
        if TAG_CHECK in tags:
            cell.metadata["tags"] = tags + [t for t in ("raises-exception", "remove-output") if t not in tags]
    return out


# ------------------------------------------------------------------------------------------------- audit
def _normalise(text: str) -> str:
    return " ".join(text.split())


def solutions_of(nb) -> list[str]:
    """The sources of the solution code cells of ``nb``, whitespace-normalised (what must not leak)."""
    analysis = analyse(nb)
    found = [_normalise(nb.cells[p.cell].source) for p in analysis.pieces if p.role == "solution-code"]
    return [s for s in found if s]


def _file_text(path: Path) -> str | None:
    if path.suffix == ".ipynb":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        parts = []
        for cell in data.get("cells", []):
            src = cell.get("source", "")
            parts.append("".join(src) if isinstance(src, list) else src)
        return "\n".join(parts)
    if path.suffix in (".html", ".htm"):
        text = path.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
        return html.unescape(re.sub(r"<[^>]+>", "", text))
    if path.suffix in (".md", ".txt", ".py"):
        return path.read_text(encoding="utf-8", errors="replace")
    return None


def _solution_lines(notebooks: dict) -> dict[str, str]:
    """The lines of solution code (whitespace-normalised, at least 16 characters) that appear nowhere else in
    ``notebooks`` (name -> notebook), with the notebook they come from: a file that holds one holds a piece of a
    solution, even if the solution was cut up (nbgrader's source) or reformatted."""
    solution: dict[str, str] = {}
    other: set[str] = set()
    for name, nb in notebooks.items():
        for p in analyse(nb).pieces:
            lines = {_normalise(ln) for ln in p.text.splitlines()}
            if p.role == "solution-code":
                for line in lines:
                    if len(line) >= 16:
                        solution.setdefault(line, name)
            elif p.role not in ("solution", "solution-marker"):
                other |= lines
    return {line: name for line, name in solution.items() if line not in other}


def audit(directory: Path, sources: list[Path]) -> list[str]:
    """Where a file under ``directory`` (HTML, notebooks, Markdown) holds solution code of one of the notebooks
    ``sources`` (a whole solution cell, or a line found only in solutions), a solution directive, or a
    sphinx-exercise solution block. Empty: clean."""
    import nbformat

    notebooks = {src.name: nbformat.read(src, as_version=4) for src in sources}
    solutions: dict[str, str] = {}
    for name, nb in notebooks.items():
        for sol in solutions_of(nb):
            solutions.setdefault(sol, name)
    lines = _solution_lines(notebooks)
    found = []
    for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
        text = _file_text(path)
        if text is None:
            continue
        flat = _normalise(text)
        rel = path.relative_to(directory)
        whole = [(sol, origin) for sol, origin in solutions.items() if sol in flat]
        for sol, origin in whole:
            found.append(f"{rel}: holds a solution of {origin}: {sol[:60]!r}")
        if not whole:
            hits = sorted({_normalise(ln) for ln in text.splitlines()} & set(lines))
            if hits:
                found.append(f"{rel}: holds {len(hits)} line(s) of the solutions of "
                             f"{', '.join(sorted({lines[h] for h in hits}))}, e.g. {hits[0][:60]!r}")
        if path.suffix == ".ipynb" or text.startswith("---\njupytext"):  # a chapter, not a page about them
            for marker in ("{solution-start}", "{solution}"):
                if marker in text:
                    found.append(f"{rel}: holds a {marker} directive")
        if path.suffix in (".html", ".htm"):
            raw = path.read_text(encoding="utf-8", errors="replace")
            if re.search(r'class="[^"]*\bsolution\b', raw):
                found.append(f"{rel}: holds a sphinx-exercise solution block")
    return found


# --------------------------------------------------------------------------------------------------- CLI
def _notebooks(source: Path, only: list[str] | None) -> list[Path]:
    paths = sorted(source.glob("*.ipynb"))
    if only:
        wanted = {Path(n).stem for n in only}
        missing = wanted - {p.stem for p in paths}
        if missing:
            raise SystemExit(f"no notebook {', '.join(sorted(missing))} in {source}")
        paths = [p for p in paths if p.stem in wanted]
    if not paths:
        raise SystemExit(f"no notebooks in {source}")
    return paths


def _read(path: Path):
    import nbformat

    return nbformat.read(path, as_version=4)


def _write(nb, path: Path) -> None:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def _report(name: str, analysis: Analysis, strict: bool) -> bool:
    if not analysis.problems:
        return True
    print(f"{name}: the exercises are not in the course's format:", file=sys.stderr)
    for problem in analysis.problems:
        print(f"  {problem}", file=sys.stderr)
    return not strict


NBGRADER_CONFIG = '''\
# nbgrader configuration of the course's assignments, written by `python -m course_lib.assign nbgrader`.
# Run nbgrader in this folder: source/ holds the assignments (one per chapter), gradebook.db the grades.
import os

c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = {course_id!r}
# A chapter's notebook can take a while (TensorFlow is imported, small networks are trained).
c.Execute.timeout = 300
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
'''


def cmd_student(args) -> int:
    out = Path(args.out)
    ok = True
    for path in _notebooks(Path(args.source), args.only):
        nb = _read(path)
        if not _report(path.name, analyse(nb), not args.keep_going):
            ok = False
            continue
        _write(student_notebook(nb, strict=False), out / path.name)
        print(f"wrote {out / path.name}")
    return 0 if ok else 1


def cmd_nbgrader(args) -> int:
    out = Path(args.out)
    ok = True
    written = 0
    for path in _notebooks(Path(args.source), args.only):
        nb = _read(path)
        analysis = analyse(nb)
        if not _report(path.name, analysis, not args.keep_going):
            ok = False
            continue
        if not analysis.exercises:
            print(f"skipped {path.name}: no exercises")
            continue
        target = out / "source" / path.stem / path.name
        _write(nbgrader_notebook(nb, manual_points=args.manual_points, strict=False), target)
        written += 1
        print(f"wrote {target}")
    config = out / "nbgrader_config.py"
    out.mkdir(parents=True, exist_ok=True)
    config.write_text(NBGRADER_CONFIG.format(course_id=args.course_id), encoding="utf-8")
    print(f"wrote {config} ({written} assignment(s))")
    return 0 if ok else 1


def cmd_site(args) -> int:
    """A copy of the book's sources (book/, _config.yml, _toc.yml) with the solutions removed, and notebooks/
    holding the student notebooks, ready for ``jupyter-book build``."""
    import jupytext

    root, out = Path(args.root).resolve(), Path(args.out).resolve()
    if out == root or root in out.parents and out.parts[len(root.parts)] != "_build":
        raise SystemExit(f"the site copy must go to a new folder (e.g. _build/student/site), not {out}")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "_build", ".jupyter_cache")
    shutil.copytree(root / "book", out / "book", ignore=ignore)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, out / name)
    ok = True
    for chapter in sorted((out / "book").glob("*.md")):
        if "jupytext" not in chapter.read_text(encoding="utf-8").split("\n---", 1)[0]:
            continue  # a plain page, not a chapter notebook
        nb = jupytext.read(chapter)
        if not _report(chapter.name, analyse(nb), not args.keep_going):
            ok = False
            continue
        stripped = strip_chapter(nb)
        stripped.metadata["jupytext"] = nb.metadata.get("jupytext", {})
        jupytext.write(stripped, chapter, fmt="md:myst")
        student = student_notebook(_read(root / args.source / f"{chapter.stem}.ipynb"), strict=False) \
            if (root / args.source / f"{chapter.stem}.ipynb").is_file() else student_notebook(nb, strict=False)
        _write(student, out / "notebooks" / f"{chapter.stem}.ipynb")
    print(f"wrote the book's sources without solutions to {out}")
    return 0 if ok else 1


def cmd_audit(args) -> int:
    sources = _notebooks(Path(args.source), args.only)
    status = 0
    for directory in args.directories:
        if not Path(directory).is_dir():
            print(f"{directory} is not a folder", file=sys.stderr)
            status = 1
            continue
        found = audit(Path(directory), sources)
        for line in found:
            print(f"{directory}/{line}", file=sys.stderr)
        if found:
            print(f"{len(found)} solution leak(s) under {directory}", file=sys.stderr)
            status = 1
        else:
            print(f"no solution content under {directory}")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.assign", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, out=True):
        if out:
            p.add_argument("out", help="output folder")
        p.add_argument("--source", default="notebooks", help="folder of the chapter notebooks (default: notebooks)")
        p.add_argument("--only", nargs="+", metavar="NAME", help="only these chapters (notebook names, no .ipynb)")
        p.add_argument("--keep-going", action="store_true",
                       help="skip a notebook whose exercises are not in the course's format, instead of failing")

    common(sub.add_parser("student", help="student notebooks: no solutions, no outputs"))
    p = sub.add_parser("nbgrader", help="nbgrader source assignments and nbgrader_config.py")
    common(p)
    p.add_argument("--manual-points", type=int, default=1,
                   help="points of the manually graded answer of each conceptual exercise (0: no answer cell)")
    p.add_argument("--course-id", default=COURSE_ID, help=f"nbgrader course id (default: {COURSE_ID})")
    p = sub.add_parser("site", help="a copy of the book's sources without solutions, to build")
    common(p)
    p.add_argument("--root", default=".", help="the repository (default: the current folder)")
    p = sub.add_parser("audit", help="fail if a file under the folders holds a solution of the notebooks")
    p.add_argument("directories", nargs="+", metavar="DIRECTORY")
    common(p, out=False)
    args = parser.parse_args(argv)
    return {"student": cmd_student, "nbgrader": cmd_nbgrader, "site": cmd_site, "audit": cmd_audit}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())

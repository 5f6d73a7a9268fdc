"""The machinery that every exercise check shares (course_lib/check/_core.py).

CheckFailed is an AssertionError that Jupyter shows as one message; the exercise_check decorator registers a
check, prints the success line and turns what the student's code raises into a short message; the expect_*
helpers say what was expected, what came and give the hint.
"""

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_lib import check
from course_lib.check import REGISTRY, CheckFailed, exercise_check, expect_close, expect_equal, expect_shape
from course_lib.check._core import NOT_DONE, _fmt


@pytest.fixture
def registry():
    """Labels registered by a test are removed afterwards, so that REGISTRY holds the chapters' checks only."""
    before = set(REGISTRY)
    yield REGISTRY
    for label in set(REGISTRY) - before:
        del REGISTRY[label]


def make_double_check(registry, label="ex-test-double"):
    @exercise_check(label, "Exercise: doubling")
    def double(student_fn):
        for x in (0.0, 1.5, -2.0):
            expect_close(f"double({x})", student_fn(x), 2 * x, hint="Multiply by 2.")

    return double


# ------------------------------------------------------------------------------------------- CheckFailed
def test_checkfailed_is_an_assertion_error_with_its_message():
    exc = CheckFailed("x is not right")
    assert isinstance(exc, AssertionError)
    assert str(exc) == exc.message == "x is not right"
    assert exc._render_traceback_() == ["CheckFailed: x is not right"]


# --------------------------------------------------------------------------------------------- decorator
def test_a_passing_check_prints_one_line_and_returns_none(registry, capsys):
    double = make_double_check(registry)
    assert double(lambda x: x * 2) is None
    assert capsys.readouterr().out == "✓ Exercise: doubling: correct.\n"


def test_the_check_is_registered_under_its_label(registry):
    double = make_double_check(registry)
    assert registry["ex-test-double"] is double
    assert (double.label, double.title, double.points, double.__name__) == (
        "ex-test-double", "Exercise: doubling", 1, "double")


def test_a_stub_is_not_done_yet(registry, capsys):
    double = make_double_check(registry)

    def stub(x):
        raise NotImplementedError

    with pytest.raises(CheckFailed) as info:
        double(stub)
    assert info.value.message == (
        f"Exercise: doubling: {NOT_DONE}. Replace `raise NotImplementedError` in the exercise cell with your "
        "code, run that cell, then run this check again."
    )
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert capsys.readouterr().out == ""


def test_a_wrong_answer_names_the_exercise_the_value_and_the_hint(registry):
    double = make_double_check(registry)
    with pytest.raises(CheckFailed) as info:
        double(lambda x: x + 2)
    assert info.value.message == (
        "Exercise: doubling: double(0.0) is not right: expected 0.0, got 2.0. Multiply by 2."
    )


def test_a_crash_in_the_student_code_says_what_and_where(registry):
    double = make_double_check(registry)

    def crashes(x):
        y = x / 0.0 if x else 1 / 0
        return y

    with pytest.raises(CheckFailed, match=r"your code raised ZeroDivisionError: division by zero \(in crashes, "
                                          r"line \d+\)"):
        double(crashes)


def test_a_crash_deep_in_numpy_points_at_the_student_line(registry):
    double = make_double_check(registry)

    def bad_shapes(x):
        return np.ones((2, 3)) @ np.ones((2, 3))

    with pytest.raises(CheckFailed, match=r"your code raised ValueError: .* \(in bad_shapes, line \d+\)"):
        double(bad_shapes)


def test_a_return_value_the_check_cannot_use_is_not_called_a_crash(registry):
    @exercise_check("ex-test-length", "Exercise: a list")
    def length(student_fn):
        got = student_fn()
        expect_equal("len(f())", len(got), 3)  # len(None) raises inside the check, not in the student's code

    with pytest.raises(CheckFailed, match=r"the check could not use what your code returned \(TypeError: "):
        length(lambda: None)


def test_checkfailed_from_a_check_gets_the_title_once(registry):
    @exercise_check("ex-test-title", "Exercise: titled")
    def titled(message):
        raise CheckFailed(message)

    with pytest.raises(CheckFailed) as info:
        titled("plain message")
    assert info.value.message == "Exercise: titled: plain message"
    with pytest.raises(CheckFailed) as info:
        titled("Exercise: titled: already there")
    assert info.value.message == "Exercise: titled: already there"


def test_keyboard_interrupt_is_not_swallowed(registry):
    double = make_double_check(registry)

    def interrupted(x):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        double(interrupted)


def test_a_label_is_registered_once_but_a_reload_may_replace_it(registry):
    make_double_check(registry)
    again = make_double_check(registry)  # same module and name: a reloaded module
    assert registry["ex-test-double"] is again

    with pytest.raises(ValueError, match="already registered"):
        @exercise_check("ex-test-double", "Exercise: another")
        def another(student_fn):
            pass


@pytest.mark.parametrize("label, points", [("test-no-prefix", 1), ("ex-test-points", 0), ("ex-test-points", 1.5)])
def test_labels_and_points_are_validated(registry, label, points):
    with pytest.raises(ValueError):
        exercise_check(label, "Exercise: x", points=points)


def test_points_are_recorded(registry):
    @exercise_check("ex-test-two-points", "Exercise: worth two", points=2)
    def worth_two(student_fn):
        pass

    assert worth_two.points == 2


# ----------------------------------------------------------------------------------------------- helpers
def test_expect_shape():
    expect_shape("Z", np.zeros((2, 3)), (2, 3))
    with pytest.raises(CheckFailed, match=r"^Z should have shape \(3, 2\); got shape \(2, 3\)\. Transpose\?$"):
        expect_shape("Z", np.zeros((2, 3)), (3, 2), hint="Transpose?")
    with pytest.raises(CheckFailed, match="got a ragged list"):
        expect_shape("Z", [[1, 2], [3]], (2, 2))


def test_expect_close_accepts_lists_numbers_and_rounding():
    expect_close("x", [1.0, 2.0], np.array([1.0, 2.0 + 1e-9]))
    expect_close("x", 3, 3.0)
    expect_close("x", np.float32(0.1), 0.1)


def test_expect_close_says_where_the_largest_difference_is():
    expected = np.arange(6.0).reshape(2, 3)
    got = expected.copy()
    got[1, 2] += 0.5
    got[0, 1] += 0.1
    with pytest.raises(CheckFailed) as info:
        expect_close("Z", got, expected, hint="Check the bias.")
    message = info.value.message
    assert message.startswith("Z is not right: expected array of shape (2, 3): ")
    assert "Check the bias." in message
    assert message.endswith("(The largest difference is at index (1, 2): expected 5, got 5.5.)")


def test_expect_close_reports_nan_and_wrong_types():
    with pytest.raises(CheckFailed, match="largest difference is at index 1: expected 2, got nan"):
        expect_close("v", [1.0, np.nan], [1.0, 2.0])
    with pytest.raises(CheckFailed, match=r"should be a number or an array of numbers; got None \(does your "
                                          r"function `return` its result\?\)"):
        expect_close("v", None, 1.0)
    with pytest.raises(CheckFailed, match="should be a number or an array of numbers; got str"):
        expect_close("v", "one", 1.0)
    with pytest.raises(CheckFailed, match=r"should have shape \(3,\); got shape \(2,\)"):
        expect_close("v", [1.0, 2.0], [1.0, 2.0, 3.0])


def test_expect_equal_reads_lists_and_tuples_alike():
    expect_equal("shapes", [[10, 5], [5]], [(10, 5), (5,)])
    expect_equal("a", np.array([1, 2]), np.array([1, 2]))
    expect_equal("n", np.int64(61), 61)
    expect_equal("arrays", [np.zeros(2), np.ones(3)], [np.zeros(2), np.ones(3)])
    with pytest.raises(CheckFailed, match=r"^n is not right: expected 61, got 55\. Count the biases\.$"):
        expect_equal("n", 55, 61, hint="Count the biases.")
    with pytest.raises(CheckFailed, match=r"expected \[\(10, 5\), \(5,\)\], got \[\(5, 10\), \(5,\)\]"):
        expect_equal("shapes", [(5, 10), (5,)], [(10, 5), (5,)])
    with pytest.raises(CheckFailed):
        expect_equal("a", np.array([1, 2]), np.array([1, 2, 3]))
    with pytest.raises(CheckFailed, match="a list of 2 arrays"):
        expect_equal("arrays", [np.zeros(2), np.zeros(3)], [np.zeros(2), np.ones(3)])


def test_values_are_shown_briefly():
    assert _fmt(3) == "3"
    assert _fmt([(10, 5), (5,)]) == "[(10, 5), (5,)]"
    assert _fmt(np.arange(100)).startswith("array of shape (100,): [ 0,  1, ..., 98, 99]")
    assert _fmt(object()).startswith("object <object object at")
    assert len(_fmt(list(range(1000)))) < 250


# ------------------------------------------------------------------------------------ in a Jupyter kernel
def test_jupyter_shows_the_message_without_a_traceback():
    """What a student sees: the check cell of an untouched stub shows one line, ``CheckFailed: ...``; the
    solved exercise prints the success line; nothing goes to stderr."""
    from nbclient import NotebookClient

    setup = (
        "from course_lib.check import exercise_check, expect_close\n"
        "@exercise_check('ex-kernel-double', 'Exercise: doubling')\n"
        "def double(f):\n"
        "    expect_close('double(1.5)', f(1.5), 3.0, hint='Multiply by 2.')\n"
    )
    stub = "def twice(x):\n    # your code here\n    raise NotImplementedError"
    nb = new_notebook(cells=[
        new_code_cell(setup), new_code_cell(stub), new_code_cell("double(twice)"),
        new_code_cell("def twice(x):\n    return x + 1"), new_code_cell("double(twice)"),
        new_code_cell("def twice(x):\n    return 2 * x"), new_code_cell("double(twice)"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    nbformat.validate(nb)

    def outputs(i):
        return nb.cells[i].outputs

    (not_done,) = outputs(2)
    assert not_done.output_type == "error" and not_done.ename == "CheckFailed"
    assert NOT_DONE in not_done.evalue
    assert not_done.traceback == [f"CheckFailed: {not_done.evalue}"]  # one line: no frames, no colours

    (wrong,) = outputs(4)
    assert wrong.traceback == [
        "CheckFailed: Exercise: doubling: double(1.5) is not right: expected 3.0, got 2.5. Multiply by 2."
    ]

    (done,) = outputs(6)
    assert (done.output_type, done.name, done.text) == ("stream", "stdout", "✓ Exercise: doubling: correct.\n")
    for cell in nb.cells:
        assert not any(o.get("name") == "stderr" for o in cell.outputs)


def test_check_package_exports_the_core_names():
    for name in ("REGISTRY", "CheckFailed", "exercise_check", "expect_close", "expect_equal", "expect_shape"):
        assert getattr(check, name) is getattr(check._core, name)

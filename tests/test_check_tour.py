"""The exercise checks of chapter "How this course works" (course_lib/check/tour.py).

For each check: correct implementations pass and print the success line; typical mistakes raise CheckFailed with
a message that names the mistake; an untouched stub gets "not done yet". The messages that book/for-students.md
shows as examples are the ones the checks really print.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from course_lib import MLP, check
from course_lib.check import REGISTRY, CheckFailed
from course_lib.check.tour import ARCHITECTURES

ROOT = Path(__file__).resolve().parents[1]


def stub(layer_sizes):
    # your code here
    raise NotImplementedError


def test_the_checks_are_registered_under_the_chapter_labels():
    assert REGISTRY["ex-tour-parameter-shapes"] is check.parameter_shapes
    assert REGISTRY["ex-tour-n-params"] is check.n_params


def test_the_architectures_include_the_edge_cases():
    assert [3, 1] in ARCHITECTURES  # no hidden layer
    assert any(len(sizes) >= 5 for sizes in ARCHITECTURES)  # deep
    assert [1, 1] in ARCHITECTURES


# ------------------------------------------------------------------------------------------ parameter shapes
def shapes_loop(layer_sizes):
    shapes = []
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        shapes += [(n_in, n_out), (n_out,)]
    return shapes


def shapes_from_course_lib(layer_sizes):
    return [w.shape for w in MLP(layer_sizes, output="identity").get_weights()]


def shapes_as_lists(layer_sizes):
    return [list(s) for s in shapes_loop(layer_sizes)]


@pytest.mark.parametrize("fn", [shapes_loop, shapes_from_course_lib, shapes_as_lists])
def test_parameter_shapes_accepts_correct_answers(fn, capsys):
    check.parameter_shapes(fn)
    assert capsys.readouterr().out == "✓ Exercise: the shapes of an MLP's parameters: correct.\n"


def transposed(layer_sizes):
    return [(s[1], s[0]) if len(s) == 2 else s for s in shapes_loop(layer_sizes)]


def column_biases(layer_sizes):
    return [(s[0], 1) if len(s) == 1 else s for s in shapes_loop(layer_sizes)]


def weights_only(layer_sizes):
    return [(a, b) for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]


def biases_first(layer_sizes):
    shapes = shapes_loop(layer_sizes)
    return [s for pair in zip(shapes[1::2], shapes[0::2]) for s in pair]


def one_layer_too_many(layer_sizes):
    return shapes_loop(layer_sizes + [1])


@pytest.mark.parametrize(
    "wrong, says",
    [
        (transposed, r"expected \[\(10, 5\), \(5,\), \(5, 1\), \(1,\)\], got \[\(5, 10\), \(5,\), \(1, 5\), \(1,\)\]"
                     r"\. Your weight shapes are transposed"),
        (column_biases, r"A bias b\^\[l\] is a vector with one entry per unit"),
        (weights_only, r"should return 4 shapes .* got 2\. It looks like one entry per layer"),
        (biases_first, r"in the order W1, b1, W2"),
        (one_layer_too_many, r"should return 4 shapes \(W and b of each of the 2 layers\); got 6"),
        (lambda sizes: None, r"should return a list of shapes .*; got NoneType None"),
        (lambda sizes: np.array(shapes_loop(sizes), dtype=object), r"should return a list of shapes"),
    ],
    ids=["transposed", "column-biases", "weights-only", "biases-first", "extra-layer", "none", "array"],
)
def test_parameter_shapes_names_the_mistake(wrong, says):
    with pytest.raises(CheckFailed, match=says) as info:
        check.parameter_shapes(wrong)
    assert info.value.message.startswith("Exercise: the shapes of an MLP's parameters: ")


def test_parameter_shapes_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.parameter_shapes(stub)


def test_parameter_shapes_notices_a_changed_argument():
    def pops(layer_sizes):
        shapes = shapes_loop(layer_sizes)
        layer_sizes.pop()
        return shapes

    with pytest.raises(CheckFailed, match=r"changed the list of layer sizes it was given \(from \[10, 5, 1\] to "
                                          r"\[10, 5\]\)"):
        check.parameter_shapes(pops)


# ------------------------------------------------------------------------------------------ parameter count
def count_formula(layer_sizes):
    return sum((n_in + 1) * n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def count_from_shapes(layer_sizes):
    return sum(math.prod(s) for s in shapes_loop(layer_sizes))


def count_numpy(layer_sizes):
    sizes = np.array(layer_sizes)
    return np.sum((sizes[:-1] + 1) * sizes[1:])  # a NumPy integer


@pytest.mark.parametrize("fn", [count_formula, count_from_shapes, count_numpy, lambda s: float(count_formula(s))])
def test_n_params_accepts_correct_answers(fn, capsys):
    check.n_params(fn)
    assert capsys.readouterr().out == "✓ Exercise: counting an MLP's parameters: correct.\n"


def no_biases(layer_sizes):
    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


def input_biases(layer_sizes):
    return sum(a * (b + 1) for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


def last_layer_left_out(layer_sizes):
    return sum((a + 1) * b for a, b in list(zip(layer_sizes[:-1], layer_sizes[1:]))[:-1])


def sum_of_sizes(layer_sizes):
    return sum(layer_sizes)


def first_layer_only(layer_sizes):
    return (layer_sizes[0] + 1) * layer_sizes[1]


@pytest.mark.parametrize(
    "wrong, says",
    [
        (no_biases, r"n_params\(\[10, 5, 1\]\) is not right: expected 61, got 55\. You counted the weights but "
                    r"not the biases"),
        (input_biases, r"expected 61, got 70\. Each layer got one bias per INPUT"),
        (last_layer_left_out, r"expected 61, got 55\. You left out the last layer"),
        (sum_of_sizes, r"expected 61, got 16\. You added up the layer sizes"),
        (first_layer_only, r"n_params\(\[10, 5, 1\]\) is not right: expected 61, got 55\. Use P = sum over the "
                           r"layers"),
    ],
    ids=["no-biases", "input-biases", "last-layer", "sum-of-sizes", "first-layer-only"],
)
def test_n_params_names_the_mistake(wrong, says):
    with pytest.raises(CheckFailed, match=says):
        check.n_params(wrong)


def test_n_params_wants_a_number():
    with pytest.raises(CheckFailed, match=r"should be a whole number; got str '61'"):
        check.n_params(lambda sizes: "61")
    with pytest.raises(CheckFailed, match=r"should be a whole number; got NoneType None"):
        check.n_params(lambda sizes: None)


def test_n_params_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.n_params(stub)


def test_n_params_reports_a_crash_briefly():
    def crashes(layer_sizes):
        return sum((layer_sizes[i] + 1) * layer_sizes[i + 1] for i in range(len(layer_sizes)))  # one too far

    with pytest.raises(CheckFailed, match=r"your code raised IndexError: list index out of range \(in <genexpr>"):
        check.n_params(crashes)


# ------------------------------------------------------------------------------------------ for-students.md
def test_the_messages_shown_to_students_are_the_real_ones():
    """book/for-students.md quotes check messages: each quote must be what the check prints."""
    page = (ROOT / "book" / "for-students.md").read_text(encoding="utf-8")
    messages = []
    for fn in (stub, no_biases):
        with pytest.raises(CheckFailed) as info:
            check.n_params(fn)
        messages.append(f"CheckFailed: {info.value.message}")
    with pytest.raises(CheckFailed) as info:
        check.n_params(lambda sizes: sizes[0] / 0)
    crash = f"CheckFailed: {info.value.message}"
    messages.append(crash.split(" (in ")[0])  # the page shows the start: the line number depends on the cell
    messages.append("✓ Exercise: counting an MLP's parameters: correct.")
    flat = " ".join(page.split())
    for message in messages:
        assert " ".join(message.split()) in flat, f"book/for-students.md does not quote: {message}"

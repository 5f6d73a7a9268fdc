r"""Checks for the exercises of chapter "How this course works" (``book/00-how-this-course-works.md``).

- :func:`parameter_shapes`: ``parameter_shapes(layer_sizes)`` returns the shapes of
  :math:`W^{[1]}, \mathbf b^{[1]}, W^{[2]}, \dots` in the order of ``MLP(...).get_weights()``.
- :func:`n_params`: ``n_params(layer_sizes)`` returns :math:`P = \sum_l (n_{l-1} + 1)\, n_l`, compared with
  ``MLP(layer_sizes).n_params``, which counts the entries of the arrays it allocates.

Both are tried on several architectures, including a network with no hidden layer and a deep one, and say which
typical mistake an answer looks like.
"""

from __future__ import annotations

from ..model import MLP
from ._core import CheckFailed, exercise_check, expect_equal

__all__ = ["n_params", "parameter_shapes"]

#: Architectures the checks try, in this order: the chapter's example first, then the edge cases.
ARCHITECTURES = ([10, 5, 1], [784, 128, 10], [3, 1], [2, 16, 16, 16, 1], [1, 1], [5, 7, 3, 2])


def _call(student_fn, sizes: list[int]):
    """Call ``student_fn`` on a copy of ``sizes``; complain if it changed the list it was given."""
    given = list(sizes)
    got = student_fn(given)
    if given != sizes:
        raise CheckFailed(
            f"your function changed the list of layer sizes it was given (from {sizes} to {given}). Read it, "
            "do not modify it."
        )
    return got


def _reference(sizes: list[int]) -> MLP:
    # identity output: any number of output units is allowed (softmax needs at least 2)
    return MLP(sizes, activation="relu", output="identity", seed=0)


# ------------------------------------------------------------------------------------------ parameter shapes
@exercise_check("ex-tour-parameter-shapes", "Exercise: the shapes of an MLP's parameters")
def parameter_shapes(student_fn):
    """Check ``student_fn(layer_sizes)`` against the shapes of ``MLP(layer_sizes).get_weights()``."""
    for sizes in ARCHITECTURES:
        expected = [w.shape for w in _reference(sizes).get_weights()]
        got = _call(student_fn, sizes)
        what = f"parameter_shapes({sizes})"
        if not isinstance(got, (list, tuple)):
            raise CheckFailed(
                f"{what} should return a list of shapes [W1.shape, b1.shape, W2.shape, ...]; got "
                f"{type(got).__name__} {got!r}."
            )
        n_layers = len(sizes) - 1
        if len(got) != len(expected):
            hint = (
                " It looks like one entry per layer: list the weights AND the biases, W1, b1, W2, b2, ..."
                if len(got) == n_layers
                else " A network with layer sizes [n_0, ..., n_L] has L layers, each with a W and a b."
            )
            raise CheckFailed(
                f"{what} should return {len(expected)} shapes (W and b of each of the {n_layers} layers); got "
                f"{len(got)}.{hint}"
            )
        transposed = [s[::-1] if len(s) == 2 else s for s in expected]
        row_biases = [(1, s[0]) if len(s) == 1 else s for s in expected]
        column_biases = [(s[0], 1) if len(s) == 1 else s for s in expected]
        if _same_shapes(got, transposed):
            hint = (
                "Your weight shapes are transposed. In this course samples are rows, Z = A W + b, so W^[l] has "
                "n_{l-1} rows (one per input) and n_l columns (one per unit)."
            )
        elif _same_shapes(got, row_biases) or _same_shapes(got, column_biases):
            hint = "A bias b^[l] is a vector with one entry per unit of layer l: its shape is (n_l,), a 1-tuple."
        else:
            hint = "Layer l has W^[l] of shape (n_{l-1}, n_l) and b^[l] of shape (n_l,), in the order W1, b1, W2, ..."
        expect_equal(what, _as_tuples(got), expected, hint=hint)


def _as_tuples(shapes):
    try:
        return [tuple(int(n) for n in s) for s in shapes]
    except (TypeError, ValueError):
        return list(shapes)


def _same_shapes(got, expected) -> bool:
    return _as_tuples(got) == [tuple(s) for s in expected]


# ------------------------------------------------------------------------------------------ parameter count
@exercise_check("ex-tour-n-params", "Exercise: counting an MLP's parameters")
def n_params(student_fn):
    """Check ``student_fn(layer_sizes)`` against ``MLP(layer_sizes).n_params``."""
    answers = {}
    for sizes in ARCHITECTURES:
        got = _call(student_fn, sizes)
        if isinstance(got, bool) or not (isinstance(got, (int, float)) or hasattr(got, "__index__")):
            raise CheckFailed(f"n_params({sizes}) should be a whole number; got {type(got).__name__} {got!r}.")
        answers[tuple(sizes)] = got
    # A typical mistake is recognised when it explains the answers on every architecture.
    hint = "Use P = sum over the layers of (n_{l-1} + 1) n_l, formula (eq-n-params) of the chapter."
    for formula, why in _MISTAKES:
        if all(got == formula(list(sizes)) for sizes, got in answers.items()):
            hint = why
            break
    for sizes in ARCHITECTURES:
        expect_equal(f"n_params({sizes})", answers[tuple(sizes)], _reference(sizes).n_params, hint=hint)


def _pairs(sizes):
    return list(zip(sizes[:-1], sizes[1:]))


_MISTAKES = [
    (lambda s: sum(a * b for a, b in _pairs(s)),
     "You counted the weights but not the biases: each unit of layer l has a bias too, so layer l has "
     "(n_{l-1} + 1) n_l parameters."),
    (lambda s: sum(a * (b + 1) for a, b in _pairs(s)),
     "Each layer got one bias per INPUT: a bias belongs to a unit of the receiving layer, so layer l has "
     "n_{l-1} n_l weights and n_l biases."),
    (lambda s: sum((a + 1) * b for a, b in _pairs(s)[:-1]),
     "You left out the last layer: zip(sizes[:-1], sizes[1:]) gives every pair (n_{l-1}, n_l)."),
    (lambda s: sum(s),
     "You added up the layer sizes: the parameters are the entries of each W^[l] (n_{l-1} x n_l) and of each "
     "b^[l] (n_l)."),
]

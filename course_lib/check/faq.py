"""Checks for the exercises of chapter "Frequently asked questions" (``book/17-faq.md``).

- :func:`training_memory_bytes`: ``training_memory_bytes(n_params, optimizer, bytes_per_value)``, the memory that
  training needs for its parameter state: the weights, their gradients and the optimizer's per-parameter state
  (none for ``"sgd"``, one velocity for ``"momentum"``, two moments for ``"adam"``), each value stored in
  ``bytes_per_value`` bytes. Activations are not counted.
- :func:`per_class_sample`: ``per_class_sample(y, k, seed)``, the indices of ``k`` examples of every class of the
  label array ``y``, drawn without replacement with ``np.random.default_rng(seed)`` (a few-shot training set).

Each check compares the student's function with a direct computation and, for the typical mistakes, says which
one it looks like.
"""

from __future__ import annotations

import numpy as np

from ._core import CheckFailed, exercise_check, expect_close, is_close

__all__ = ["training_memory_bytes", "per_class_sample"]

#: Extra values kept per parameter by each optimizer (besides the weight and its gradient).
_STATES = {"sgd": 0, "momentum": 1, "adam": 2}


def _memory(n_params: int, optimizer: str, bytes_per_value: int, copies: int | None = None) -> float:
    copies = 2 + _STATES[optimizer] if copies is None else copies
    return float(n_params) * bytes_per_value * copies


# ---------------------------------------------------------------------------------------------- memory
@exercise_check("ex-faq-memory", "Exercise: the memory a training run needs")
def training_memory_bytes(student_fn):
    """Check ``student_fn(n_params, optimizer, bytes_per_value) -> bytes`` against (2 + states) * P * bytes."""
    cases = [(4_810, "adam", 4), (175_000_000_000, "adam", 4), (1_000_000, "sgd", 4),
             (1_000_000, "momentum", 2), (6_090, "adam", 8)]
    got = {}
    for n, opt, b in cases:
        value = student_fn(n, opt, b)
        if isinstance(value, (str, bytes, bool)) or value is None:
            raise CheckFailed(f"training_memory_bytes({n}, {opt!r}, {b}) should return a number of bytes; got "
                              f"{type(value).__name__} {value!r}.")
        got[(n, opt, b)] = float(value)

    def matches(copies_of) -> bool:
        """The student's values are n * b * copies_of(states) for every case."""
        return all(is_close(v, _memory(n, o, b, copies=copies_of(_STATES[o]))) for (n, o, b), v in got.items())

    if not matches(lambda s: 2 + s):
        mistakes = [
            (lambda s: 2, "you counted the weights and the gradients but not the optimizer's state: momentum keeps "
                          "1 more value per parameter (the velocity), Adam 2."),
            (lambda s: 1 + s, "you forgot the gradients. Backpropagation stores one gradient value per parameter, "
                              "as large as the weights themselves."),
            (lambda s: 2 + min(s, 1), "Adam keeps TWO values per parameter (the first and the second moment, m "
                                      "and v), not one."),
            (lambda s: 8 * (2 + s), "your numbers are 8 times too large: bytes_per_value is already in bytes (4 "
                                    "for float32); do not multiply by 8 bits."),
        ]
        for copies_of, message in mistakes:
            if matches(copies_of):
                raise CheckFailed(f"training_memory_bytes: {message}")
    for (n, opt, b), value in got.items():
        expect_close(f"training_memory_bytes({n}, {opt!r}, {b})", value, _memory(n, opt, b),
                     hint="(weights + gradients + optimizer states) = (2 + s) values per parameter, s = 0 for "
                          "sgd, 1 for momentum, 2 for adam; times n_params times bytes_per_value.")


# ---------------------------------------------------------------------------------------------- few-shot sample
@exercise_check("ex-faq-few-shot", "Exercise: k labelled examples per class")
def per_class_sample(student_fn):
    """Check ``student_fn(y, k, seed)``: k distinct indices of each class of y, reproducible for a seed."""
    rng = np.random.default_rng(0)
    y_many = rng.integers(5, 10, size=300)
    y_small = np.array([2, 0, 1, 2, 1, 0, 2, 1, 0, 0])
    for what, y, k in [("300 labels of classes 5..9, k = 4", y_many, 4),
                       ("10 labels of classes 0..2, k = 3", y_small, 3),
                       ("300 labels of classes 5..9, k = 1", y_many, 1)]:
        label = f"per_class_sample on {what}"
        got = student_fn(y.copy(), k, 0)
        try:
            idx = np.asarray(got)
        except Exception:  # noqa: BLE001 - anything that is not array-like
            raise CheckFailed(f"{label} should return an array of indices; got {type(got).__name__}.") from None
        if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
            raise CheckFailed(f"{label} should return a 1-D array of integer indices into y; got shape "
                              f"{idx.shape} and dtype {idx.dtype}. (Return the positions, not the labels.)")
        classes = np.unique(y)
        if len(idx) == k:
            raise CheckFailed(f"{label} returned {k} indices in all: k is the number PER CLASS, so "
                              f"{k * len(classes)} indices are expected.")
        if np.any(idx < 0) or np.any(idx >= len(y)):
            raise CheckFailed(f"{label} returned indices outside 0..{len(y) - 1}.")
        if len(np.unique(idx)) != len(idx):
            raise CheckFailed(f"{label} returned the same index twice: draw WITHOUT replacement "
                              "(rng.choice(..., k, replace=False)).")
        counts = {int(c): int(np.sum(y[idx] == c)) for c in classes}
        if any(v != k for v in counts.values()):
            raise CheckFailed(f"{label}: examples per class {counts}; expected {k} of each class. Draw k indices "
                              "from np.flatnonzero(y == c) for every class c in np.unique(y).")
        again = np.asarray(student_fn(y.copy(), k, 0))
        if not np.array_equal(np.sort(again), np.sort(idx)):
            raise CheckFailed(f"{label}: two calls with the same seed gave different samples. Make the generator "
                              "with np.random.default_rng(seed) inside the function.")
    a = np.sort(np.asarray(student_fn(y_many.copy(), 4, 0)))
    b = np.sort(np.asarray(student_fn(y_many.copy(), 4, 1)))
    if np.array_equal(a, b):
        raise CheckFailed("per_class_sample gave the same sample for seeds 0 and 1: use the seed "
                          "(np.random.default_rng(seed)) to draw the indices at random.")

"""Checks for the exercises of chapter "Tools and resources" (``book/18-tools-resources.md``).

- :func:`set_all_seeds`: ``set_all_seeds(seed)`` seeds every random generator a Keras experiment draws from:
  Python's :mod:`random`, NumPy's global generator (``np.random.rand`` and friends) and TensorFlow's.
- :func:`forward_flops`: ``forward_flops(layer_sizes, batch_size)`` returns the number of floating-point
  operations of the matrix products of one forward pass of an MLP, :math:`2 m \\sum_l n_{l-1} n_l`.

Each check runs the student's function and compares with a direct computation; for the typical mistakes it says
which one it looks like.
"""

from __future__ import annotations

import random

import numpy as np

from ._core import CheckFailed, exercise_check, expect_equal

__all__ = ["set_all_seeds", "forward_flops"]


# ------------------------------------------------------------------------------------------ set_all_seeds
def _draws() -> dict[str, float]:
    """One number from each generator a Keras experiment uses."""
    import tensorflow as tf

    return {
        "random": random.random(),
        "numpy": float(np.random.rand()),
        "tensorflow": float(tf.random.uniform(()).numpy()),
    }


_HOW = {
    "random": "Python's random module (random.seed(seed))",
    "numpy": "NumPy's global generator (np.random.seed(seed))",
    "tensorflow": "TensorFlow's generator (tf.random.set_seed(seed))",
}


@exercise_check("ex-tools-seeds", "Exercise: one function that seeds everything")
def set_all_seeds(student_fn):
    """Check that ``student_fn(seed)`` makes Python's, NumPy's and TensorFlow's next draws depend on ``seed`` only."""
    for seed in (0, 1234):
        student_fn(seed)
        first = _draws()
        random.random(), np.random.rand()            # move every generator on, as a run would
        student_fn(seed)
        second = _draws()
        not_seeded = [name for name in first if first[name] != second[name]]
        if not_seeded:
            raise CheckFailed(
                f"after set_all_seeds({seed}) twice, these generators gave different numbers: "
                + ", ".join(not_seeded) + ". Seed " + "; ".join(_HOW[n] for n in not_seeded)
                + " (keras.utils.set_random_seed(seed) does all three)."
            )
    student_fn(0)
    a = _draws()
    student_fn(1)
    b = _draws()
    same = [name for name in a if a[name] == b[name]]
    if same:
        raise CheckFailed(
            f"set_all_seeds(0) and set_all_seeds(1) give the same numbers from {', '.join(same)}: your function "
            "ignores its argument (a fixed seed such as 0 written inside it?). Pass `seed` on to every generator."
        )


# ------------------------------------------------------------------------------------------ forward_flops
def _expected_flops(layer_sizes, batch_size) -> int:
    return int(2 * batch_size * sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:])))


@exercise_check("ex-tools-flops", "Exercise: the floating-point operations of a forward pass")
def forward_flops(student_fn):
    """Check ``student_fn(layer_sizes, batch_size)`` against :math:`2 m \\sum_l n_{l-1} n_l`."""
    cases = [([10, 5, 1], 1), ([64, 128, 10], 32), ([784, 256, 128, 10], 100)]
    for sizes, m in cases:
        got = student_fn(list(sizes), m)
        expected = _expected_flops(sizes, m)
        label = f"forward_flops({sizes}, {m})"
        try:
            got = int(got)
        except (TypeError, ValueError):
            raise CheckFailed(f"{label} should return a whole number of operations; got {got!r}")
        macs = expected // 2
        n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
        if got == macs:
            raise CheckFailed(f"{label} = {got} counts each multiply-add once. A multiply-add is 2 operations: "
                              "a product of (m, n_in) and (n_in, n_out) matrices costs 2 m n_in n_out.")
        if got in (2 * n_params * m, n_params * m):
            raise CheckFailed(f"{label} = {got} counts the biases as matrix products. Count only the products "
                              "A W: 2 m n_in n_out per layer (the bias additions are m n_out, not counted here).")
        if m > 1 and got == expected // m:
            raise CheckFailed(f"{label} = {got} is the cost of ONE example; multiply by the batch size m.")
        if len(sizes) > 2 and got == 2 * m * sizes[0] * sizes[-1]:
            raise CheckFailed(f"{label} = {got} uses only the first and last sizes; sum over every layer, "
                              "including the hidden ones.")
        expect_equal(label, got, expected, hint="Sum 2 * m * n_in * n_out over consecutive pairs of layer_sizes.")

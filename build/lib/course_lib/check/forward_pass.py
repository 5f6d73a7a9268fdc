"""Checks for the exercises of chapter "Neurons and the forward pass" (``book/02-neurons-forward-pass.md``).

- :func:`dense_forward`: ``dense_forward(A_prev, W, b)`` returns :math:`Z = A_{\\text{prev}} W + \\mathbf b`.
- :func:`relu`: ``relu(z)`` and ``relu_grad(z)``, elementwise, with :math:`\\mathrm{ReLU}'(0) = 0`.
- :func:`sigmoid_grad`: ``sigmoid_grad(z)`` returns :math:`\\sigma(z)(1 - \\sigma(z))`.

Each check compares the student's function with ``course_lib``'s own implementation on a few inputs (random
arrays, a single row, extreme values) and, for the typical mistakes, says which one it looks like.
"""

from __future__ import annotations

import numpy as np

from .. import activations, layers
from ._core import CheckFailed, exercise_check, expect_close, expect_shape, is_close

__all__ = ["dense_forward", "relu", "sigmoid_grad"]


def _close(got, expected) -> bool:
    return is_close(got, expected, rtol=1e-5, atol=1e-7)


def _quiet(fn, *args):
    """Call the student's ``fn`` with NumPy's floating-point warnings silenced (a naive ``exp`` overflows on
    extreme inputs; the check judges the values it returns, and nothing must reach stderr)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        return fn(*args)


# ---------------------------------------------------------------------------------------------- dense layer
def _dense_cases():
    rng = np.random.default_rng(0)
    return [
        ("a batch of 5 rows, 3 inputs, 4 units",
         rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)),
        ("a single sample (m = 1), 4 inputs, 2 units",
         rng.normal(size=(1, 4)), rng.normal(size=(4, 2)), rng.normal(size=2)),
        ("6 rows, 2 inputs, 1 unit",
         rng.normal(size=(6, 2)), rng.normal(size=(2, 1)), rng.normal(size=1)),
    ]


@exercise_check("ex-fwd-dense", "Exercise: a dense layer's forward pass")
def dense_forward(student_fn):
    """Check ``student_fn(A_prev, W, b)`` against :func:`course_lib.layers.dense_forward` (the Z it returns)."""
    for what, A, W, b in _dense_cases():
        m, n_out = A.shape[0], W.shape[1]
        originals = (A.copy(), W.copy(), b.copy())
        got = student_fn(A, W, b)
        for name, arr, orig in zip(("A_prev", "W", "b"), (A, W, b), originals):
            if not np.array_equal(arr, orig):
                raise CheckFailed(
                    f"dense_forward changed its argument {name} (on {what}). Compute a new array, e.g. "
                    "`A_prev @ W + b`, instead of writing into an input with `+=`."
                )
        expected, _ = layers.dense_forward(A.copy(), W, b)
        label = f"dense_forward(A_prev, W, b) on {what}"
        if _close(got, A @ W):
            raise CheckFailed(f"{label} returned A_prev @ W: the bias b is missing. Add b, which NumPy adds to "
                              "every row by broadcasting.")
        if _close(got, A @ W - b):
            raise CheckFailed(f"{label} subtracts the bias; the layer computes Z = A_prev W + b.")
        expect_shape(label, got, (m, n_out),
                     hint=f"With A_prev of shape {A.shape} and W of shape {W.shape}, Z has one row per sample and "
                          "one column per unit.")
        if m > 1 and _close(got, A @ W + np.concatenate([b[None, :], np.zeros((m - 1, n_out))])):
            raise CheckFailed(f"{label} adds b to the first row only; every row (every sample) gets the bias.")
        expect_close(label, got, expected, hint="Z = A_prev @ W + b, with b added to every row.")


# ---------------------------------------------------------------------------------------------- ReLU
def _relu_inputs():
    rng = np.random.default_rng(1)
    return [
        ("z = [-2, -0.5, 0, 0.5, 2]", np.array([-2.0, -0.5, 0.0, 0.5, 2.0])),
        ("a (3, 4) array", rng.normal(size=(3, 4))),
        ("a (2, 3) array with large entries", np.array([[-1e6, 0.0, 1e6], [3.0, -3.0, 0.0]])),
    ]


@exercise_check("ex-fwd-relu", "Exercise: ReLU and its derivative")
def relu(relu_fn, relu_grad_fn):
    """Check ``relu_fn(z)`` and ``relu_grad_fn(z)`` against :func:`course_lib.activations.relu` and
    :func:`course_lib.activations.relu_grad` (elementwise, same shape, derivative 0 at ``z = 0``)."""
    for what, z in _relu_inputs():
        original = z.copy()
        got = relu_fn(z)
        if not np.array_equal(z, original):
            raise CheckFailed(
                f"relu changed its input (on {what}): setting z[z < 0] = 0 writes into the caller's array. "
                "Return a new array, e.g. np.maximum(z, 0)."
            )
        expected = activations.relu(z)
        label = f"relu(z) on {what}"
        if _close(got, activations.relu_grad(z)) and not _close(got, expected):
            raise CheckFailed(f"{label} returned 1 for z > 0 and 0 otherwise: that is the derivative ReLU'(z), "
                              "not ReLU(z) = max(0, z), which passes positive values through unchanged.")
        if np.shape(got) != z.shape and _close(got, np.max(z, axis=0)):
            raise CheckFailed(f"{label} has shape {np.shape(got)} instead of {z.shape}: np.max(z, 0) is the "
                              "largest entry along axis 0 (a reduction). Use np.maximum(z, 0), which compares "
                              "elementwise.")
        expect_close(label, got, expected, hint="ReLU(z) = max(0, z) for each entry: np.maximum(z, 0).")

    for what, z in _relu_inputs():
        original = z.copy()
        got = relu_grad_fn(z)
        if not np.array_equal(z, original):
            raise CheckFailed(f"relu_grad changed its input (on {what}). Return a new array, e.g. "
                              "(z > 0).astype(float).")
        expected = activations.relu_grad(z)
        label = f"relu_grad(z) on {what}"
        if _close(got, activations.relu(z)) and not _close(got, expected):
            raise CheckFailed(f"{label} returned max(0, z): that is ReLU itself. Its derivative is 1 where "
                              "z > 0 and 0 where z < 0.")
        if _close(got, (z >= 0).astype(float)) and not _close(got, expected):
            raise CheckFailed(f"{label} gives 1 at z = 0. ReLU has no derivative at the kink; the course (like "
                              "TensorFlow) takes 0 there: use z > 0, not z >= 0.")
        expect_close(label, got, expected, hint="ReLU'(z) is 1 where z > 0 and 0 elsewhere (0 at z = 0).")


# ---------------------------------------------------------------------------------------------- sigmoid'
def _sigmoid_inputs():
    rng = np.random.default_rng(2)
    return [
        ("z = [-3, -1, 0, 1, 3]", np.array([-3.0, -1.0, 0.0, 1.0, 3.0])),
        ("a (4, 3) array", rng.normal(scale=2.0, size=(4, 3))),
        ("extreme inputs z = [-1000, -40, 40, 1000]", np.array([-1000.0, -40.0, 40.0, 1000.0])),
    ]


@exercise_check("ex-fwd-sigmoid-grad", "Exercise: the derivative of the sigmoid")
def sigmoid_grad(student_fn):
    """Check ``student_fn(z)`` against :func:`course_lib.activations.sigmoid_grad`, on moderate and extreme
    inputs (where the derivative is 0 up to rounding and must not be NaN)."""
    sig = activations.sigmoid
    for what, z in _sigmoid_inputs():
        got = _quiet(student_fn, z)
        expected = activations.sigmoid_grad(z)
        label = f"sigmoid_grad(z) on {what}"
        s = sig(z)
        if _close(got, 1.0 - s):
            raise CheckFailed(f"{label} returned 1 - sigma(z). The derivative is sigma(z) * (1 - sigma(z)); "
                              "1 - sigma(z) is a mistake found in the sources (it gives 0.5 at z = 0, not 0.25).")
        if _close(got, sig(s) * (1.0 - sig(s))):
            raise CheckFailed(f"{label} applies the sigmoid twice: sigma'(z) = s (1 - s) with s = sigma(z), so "
                              "take s = sigma(z) once and do not pass s through sigma again.")
        if _close(got, z * (1.0 - z)):
            raise CheckFailed(f"{label} returned z (1 - z): the formula s (1 - s) needs s = sigma(z), not z.")
        if _close(got, s):
            raise CheckFailed(f"{label} returned sigma(z) itself, not its derivative sigma(z) (1 - sigma(z)).")
        try:
            arr = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            arr = None
        if arr is not None and arr.shape == z.shape and np.isnan(arr).any():
            raise CheckFailed(f"{label} contains NaN: a formula such as exp(z) / (1 + exp(z)) overflows to "
                              "inf / inf for large z. Compute sigma(z) in a stable way (course_lib's sigmoid does) "
                              "and then sigma (1 - sigma).")
        expect_close(label, got, expected, hint="sigma'(z) = sigma(z) * (1 - sigma(z)), elementwise.")

r"""Checks for the exercises of chapter "Backpropagation" (``book/04-backpropagation.md``).

- :func:`sigmoid_backward`: the backward step of a sigmoid layer from its cached output,
  :math:`\delta = \partial L/\partial A \odot A(1 - A)`.
- :func:`two_layer_backward`: the gradients of a 2-layer network (ReLU hidden layer, softmax output,
  categorical cross-entropy), compared with :meth:`course_lib.MLP.loss_and_grads` in float64.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..activations import relu_grad, sigmoid, softmax
from ..losses import one_hot
from ..model import MLP
from ._core import CheckFailed, exercise_check, expect_close, expect_shape, is_close

__all__ = ["sigmoid_backward", "two_layer_backward"]


def _close(got, expected) -> bool:
    return is_close(got, expected, rtol=1e-5, atol=1e-9)


# ------------------------------------------------------------------------------------------ sigmoid layer
def _sigmoid_backward_case():
    rng = np.random.default_rng(3)
    z = np.array([[-1000.0, -30.0, -4.0, -1.0], [-0.25, 0.0, 0.5, 2.0], [5.0, 30.0, 1000.0, 0.1]])
    return rng.normal(size=z.shape), sigmoid(z)  # dA, A (A holds exact 0.0 and 1.0 at z = -+1000)


@exercise_check("ex-backprop-sigmoid-backward", "Exercise: backpropagation through a sigmoid layer")
def sigmoid_backward(student_fn) -> None:
    r"""Check ``student_fn(dA, A)`` :math:`= \partial L/\partial A \odot A(1 - A)`, the layer's :math:`\delta`
    computed from its cached output :math:`A = \sigma(Z)` alone.

    The activations include exact 0 and 1 (saturated units, whose :math:`\delta` is 0) and the scalar case
    ``(1.0, 0.5)``. The student's function must not modify its inputs.
    """
    dA, A = _sigmoid_backward_case()
    dA_given, A_given = dA.copy(), A.copy()
    got = student_fn(dA_given, A_given)
    if not (np.array_equal(dA_given, dA) and np.array_equal(A_given, A)):
        raise CheckFailed(
            "your function changed one of its input arrays (an in-place operation such as `A *= ...`). The cached "
            "activations are needed again later: compute a new array, e.g. `return dA * A * (1 - A)`."
        )
    expected = dA * A * (1.0 - A)
    expect_shape("sigmoid_backward(dA, A)", np.asarray(got), A.shape,
                 hint="Everything is elementwise: δ has the shape of A.")
    if not _close(got, expected):
        if _close(got, dA * (1.0 - A)):
            hint = ("You multiplied by 1 - A. That is the mistake of the source's worked example: the sigmoid's "
                    "derivative is A(1 - A), since σ'(z) = σ(z)(1 - σ(z)).")
        elif _close(got, dA * sigmoid(A) * (1.0 - sigmoid(A))):
            hint = ("You applied the sigmoid again: A is already σ(Z), so σ'(Z) = A(1 - A) with no further call "
                    "to σ.")
        elif _close(got, A * (1.0 - A)):
            hint = ("You returned σ'(Z) = A(1 - A) alone: the chain rule multiplies it by the incoming gradient, "
                    "δ = dA ⊙ A(1 - A).")
        elif _close(got, dA * A):
            hint = "You multiplied by A; the derivative is A(1 - A)."
        else:
            hint = "δ = dA ⊙ σ'(Z) with σ'(Z) = A(1 - A), elementwise (use *, not @)."
        expect_close("sigmoid_backward(dA, A)", got, expected, hint=hint)
    expect_close("sigmoid_backward(1.0, 0.5)", student_fn(1.0, 0.5), 0.25,
                 hint="For A = 0.5 (Z = 0) the sigmoid's slope is 0.5 * (1 - 0.5) = 0.25.")


# ------------------------------------------------------------------------------------------ 2-layer backprop
_NAMES = ("dW1", "db1", "dW2", "db2")


def _case(m: int, n0: int, n1: int, K: int, seed: int, dead_unit: bool = False):
    """Inputs X (m, n0), one-hot targets Y (m, K) and parameters of a [n0, n1, K] network, all float64."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n0))
    y = rng.integers(0, K, size=m)
    W1 = rng.normal(size=(n0, n1))
    b1 = rng.normal(scale=0.5, size=n1)
    if dead_unit:  # hidden unit 0 is off (Z1[:, 0] < 0) for every sample: its gradients must be exactly 0
        b1[0] = -50.0
    W2 = rng.normal(size=(n1, K))
    b2 = rng.normal(scale=0.5, size=K)
    return X, y, one_hot(y, K, dtype=np.float64), [W1, b1, W2, b2]


def _reference(X, y, params):
    """Gradients from course_lib's MLP (ReLU hidden layer, softmax output), in float64."""
    n0, n1, K = X.shape[1], params[0].shape[1], params[2].shape[1]
    model = MLP([n0, n1, K], activation="relu", output="softmax", dtype="float64")
    model.set_weights(params)
    _, grads = model.loss_and_grads(X, y)
    return grads


def _variants(X, Y, params):
    """Typical wrong answers, computed independently: name -> [dW1, db1, dW2, db2]."""
    W1, b1, W2, b2 = params
    m = X.shape[0]
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    P = softmax(A1 @ W2 + b2)
    out = {}
    for name, delta2 in (("no_mean", P - Y), ("mean", (P - Y) / m)):
        d1_mask = (delta2 @ W2.T) * relu_grad(Z1)
        d1_nomask = delta2 @ W2.T
        out[name] = [X.T @ d1_mask, d1_mask.sum(axis=0), A1.T @ delta2, delta2.sum(axis=0)]
        out[name + "_no_relu_grad"] = [X.T @ d1_nomask, d1_nomask.sum(axis=0), A1.T @ delta2, delta2.sum(axis=0)]
    d2_sq = (P - Y) / m / m
    out["mean_twice"] = [None, None, A1.T @ d2_sq, d2_sq.sum(axis=0)]
    d2_pre = (A1 @ W2 + b2 - Y) / m  # softmax forgotten: delta from the logits instead of the probabilities
    out["logits"] = [None, None, A1.T @ d2_pre, d2_pre.sum(axis=0)]
    return out


def _hint(i: int, got, variants: dict, m: int) -> str:
    name = _NAMES[i]
    if m > 1 and _close(got, variants["no_mean"][i]):
        return (f"{name} is m = {m} times too large: the loss is the MEAN over the m samples, so "
                "δ[2] = (Ŷ - Y) / m.")
    if m > 1 and variants["mean_twice"][i] is not None and _close(got, variants["mean_twice"][i]):
        return f"{name} is m = {m} times too small: divide by m once, in δ[2] = (Ŷ - Y) / m, and nowhere else."
    if variants["logits"][i] is not None and _close(got, variants["logits"][i]):
        return "Ŷ must be the softmax probabilities, not the logits Z[2]: δ[2] = (softmax(Z[2]) - Y) / m."
    if i < 2 and (_close(got, variants["mean_no_relu_grad"][i]) or _close(got, variants["no_mean_no_relu_grad"][i])):
        return ("The ReLU's derivative is missing: δ[1] = δ[2] (W[2])ᵀ ⊙ ReLU'(Z[1]), where ReLU'(z) = 1 if z > 0 "
                "else 0 (a hidden unit that is off passes no gradient back).")
    if i < 2:
        return ("Check δ[1] = δ[2] (W[2])ᵀ ⊙ ReLU'(Z[1]) (shape (m, n1)), then dW1 = Xᵀ δ[1] and db1 = the sum of "
                "δ[1] over the samples (axis 0).")
    return ("Check δ[2] = (softmax(Z[2]) - Y) / m (shape (m, K)), then dW2 = (A[1])ᵀ δ[2] and db2 = the sum of "
            "δ[2] over the samples (axis 0).")


@exercise_check("ex-backprop-backward", "Exercise: backpropagation through a 2-layer network")
def two_layer_backward(student_fn) -> None:
    r"""Check ``student_fn(X, Y, W1, b1, W2, b2) -> [dW1, db1, dW2, db2]`` for a ReLU/softmax network.

    Compared with :meth:`course_lib.MLP.loss_and_grads` (mean categorical cross-entropy) in float64 on three
    cases: a batch of 5, a single sample (m = 1) and a batch in which one hidden unit is off for every sample.
    The output layer's gradients are checked first, since an error there spoils the first layer's too.
    """
    cases = [
        dict(m=5, n0=4, n1=3, K=3, seed=0),
        dict(m=1, n0=3, n1=5, K=2, seed=1),
        dict(m=8, n0=6, n1=4, K=5, seed=2, dead_unit=True),
    ]
    for case in cases:
        X, y, Y, params = _case(**case)
        expected = _reference(X, y, params)
        got = student_fn(X.copy(), Y.copy(), *(p.copy() for p in params))
        if isinstance(got, np.ndarray) or not isinstance(got, Sequence) or len(got) != 4:
            raise CheckFailed(
                "backward(X, Y, W1, b1, W2, b2) should return the list [dW1, db1, dW2, db2] (4 arrays); got "
                f"{type(got).__name__}{'' if not hasattr(got, '__len__') else f' of length {len(got)}'}."
            )
        m, n0, n1, K = case["m"], case["n0"], case["n1"], case["K"]
        where = f"(m={m}, n0={n0}, n1={n1}, K={K})"
        for i in (2, 3, 0, 1):  # output layer first
            shape = expected[i].shape
            expect_shape(f"{_NAMES[i]} {where}", np.asarray(got[i]), shape,
                         hint=f"A gradient has the shape of its parameter: {_NAMES[i][1:]} has shape {shape}. "
                              "Return the gradients in the order [dW1, db1, dW2, db2]; sum the biases' δ over "
                              "the samples (axis=0).")
            if not _close(got[i], expected[i]):
                expect_close(f"{_NAMES[i]} {where}", got[i], expected[i],
                             hint=_hint(i, got[i], _variants(X, Y, params), m))

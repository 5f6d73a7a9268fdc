r"""Checks for the exercises of chapter "Scaling up: time, accelerators, parallelism and compression"
(``book/15-scaling-up.md``).

- :func:`average_shard_gradients`: ``average_shard_gradients(model, X, y, K)`` splits the batch into ``K`` shards
  with ``np.array_split`` and returns the full-batch gradient as the average of the shard gradients weighted by
  the shard sizes, :math:`\nabla L_{\mathcal B} = \sum_k (B_k/B)\, \nabla L_{\mathcal B_k}`.
- :func:`quantize_int8`: ``quantize_int8(W)`` returns ``(q, scale)`` with ``scale = max|W| / 127`` and
  ``q = round(W / scale)`` as ``np.int8`` (symmetric per-tensor int8 quantization).

Each check compares the student's function with a direct computation and, for the typical mistakes, says which
one it looks like.
"""

from __future__ import annotations

import numpy as np

from ..model import MLP
from ._core import CheckFailed, exercise_check, is_close

__all__ = ["average_shard_gradients", "quantize_int8"]


# ---------------------------------------------------------------------------------------------- shards
def _shard_grads(model, X, y, K):
    """(shard sizes, gradients of each shard) for np.array_split into K shards."""
    sizes, grads = [], []
    for X_k, y_k in zip(np.array_split(X, K), np.array_split(y, K)):
        sizes.append(len(X_k))
        grads.append(model.loss_and_grads(X_k, y_k)[1])
    return sizes, grads


def _combine(grads, weights):
    return [sum(w * g[i] for w, g in zip(weights, grads)) for i in range(len(grads[0]))]


def _same(got, expected) -> bool:
    return all(np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-7, atol=1e-10)
               for a, b in zip(got, expected))


@exercise_check("ex-scale-shards", "Exercise: the full-batch gradient from shard gradients")
def average_shard_gradients(student_fn):
    """Check ``student_fn(model, X, y, K)`` against ``model.loss_and_grads(X, y)`` on the whole batch."""
    rng = np.random.default_rng(0)
    cases = [("12 examples in K=4 equal shards", 12, 4), ("10 examples in K=4 shards of sizes 3, 3, 2, 2", 10, 4),
             ("7 examples in K=2 shards of sizes 4 and 3", 7, 2), ("6 examples in K=1 shard", 6, 1),
             ("5 examples in K=5 shards of one example", 5, 5)]
    for what, m, K in cases:
        model = MLP([5, 4, 3], seed=1, dtype="float64")
        X = rng.standard_normal((m, 5))
        y = rng.integers(0, 3, size=m)
        before = model.get_weights()
        got = student_fn(model, X.copy(), y.copy(), K)
        label = f"average_shard_gradients on {what}"
        if any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), before)):
            raise CheckFailed(f"{label} changed the model's weights. Only compute gradients; do not take a step.")
        try:
            got = [np.asarray(g, dtype=np.float64) for g in got]
        except TypeError:
            raise CheckFailed(f"{label} should return a list of arrays [dW1, db1, dW2, db2]; "
                              f"got {type(got).__name__}") from None
        if len(got) != len(model.params):
            raise CheckFailed(f"{label} should return {len(model.params)} arrays [dW1, db1, dW2, db2] (one per "
                              f"parameter array); got {len(got)}. Average each parameter's gradient over the shards.")
        expected = model.loss_and_grads(X, y)[1]
        for i, (g, e) in enumerate(zip(got, expected)):
            if np.shape(g) != np.shape(e):
                raise CheckFailed(f"{label}: gradient {i} has shape {np.shape(g)}; expected {np.shape(e)}, the "
                                  "shape of the parameter.")
        if _same(got, expected):
            continue
        sizes, grads = _shard_grads(model, X, y, K)
        if K > 1 and _same(got, _combine(grads, [1.0] * K)):
            raise CheckFailed(f"{label}: your result is the SUM of the shard gradients, {K} times too large. "
                              "Each shard's loss is already a mean over its examples: average the shard gradients.")
        if len(set(sizes)) > 1 and _same(got, _combine(grads, [1.0 / K] * K)):
            raise CheckFailed(f"{label}: you took the plain mean of the shard gradients. That is the full-batch "
                              f"gradient only when all shards have the same size; here they have sizes {sizes}. "
                              "Weight each shard's gradient by its size B_k / B.")
        if K > 1 and _same(got, grads[0]):
            raise CheckFailed(f"{label}: your result is the gradient of the first shard only. Combine the "
                              "gradients of all K shards.")
        worst = max(float(np.max(np.abs(g - e))) for g, e in zip(got, expected))
        raise CheckFailed(f"{label}: the result differs from the full-batch gradient by up to {worst:.3g}. "
                          "Split with np.array_split(X, K) and np.array_split(y, K), and return "
                          "sum_k (B_k / B) * gradient of shard k, for every parameter array.")


# ---------------------------------------------------------------------------------------------- int8
def _q(W, scale):
    return np.clip(np.round(W / scale), -127, 127)


@exercise_check("ex-scale-int8", "Exercise: symmetric int8 quantization")
def quantize_int8(student_fn):
    """Check ``student_fn(W) -> (q, scale)``: scale = max|W|/127, q = round(W/scale) as int8."""
    rng = np.random.default_rng(0)
    W_neg = rng.normal(0, 0.1, size=(6, 5)).astype(np.float32)
    W_neg[2, 3] = -0.9                                         # the largest magnitude is negative
    cases = [("a random 8 x 4 float32 matrix", rng.normal(0, 0.5, size=(8, 4)).astype(np.float32)),
             ("a 6 x 5 matrix whose largest magnitude is a negative entry", W_neg),
             ("a float64 vector of 10 entries", np.linspace(-0.3, 1.2, 10)),
             ("a 3 x 3 matrix with integer-valued entries", np.array([[0.0, 1.0, -2.0], [3.0, -127.0, 5.0],
                                                                     [6.0, 7.0, 8.0]]))]
    for what, W in cases:
        got = student_fn(W.copy())
        label = f"quantize_int8 on {what}"
        if not (isinstance(got, tuple) and len(got) == 2):
            raise CheckFailed(f"{label} should return a tuple (q, scale); got {type(got).__name__}.")
        q, scale = got
        try:
            scale = float(scale)
        except (TypeError, ValueError):
            raise CheckFailed(f"{label}: scale should be one number (per-tensor quantization); got "
                              f"{type(scale).__name__} of shape {np.shape(scale)}.") from None
        if not isinstance(q, np.ndarray) or q.shape != W.shape:
            raise CheckFailed(f"{label}: q should be an array of the shape of W, {W.shape}; got shape {np.shape(q)}.")
        if q.dtype != np.int8:
            raise CheckFailed(f"{label}: q has dtype {q.dtype}; it must be np.int8 (one byte per weight). Convert "
                              "with .astype(np.int8) after rounding, and return the integers, not q * scale.")
        amax = float(np.max(np.abs(W)))
        expected_scale = amax / 127
        if not is_close(scale, expected_scale, rtol=1e-6):
            if is_close(scale, float(np.max(W)) / 127, rtol=1e-6):
                raise CheckFailed(f"{label}: your scale is max(W) / 127; use the largest ABSOLUTE value, "
                                  "np.max(np.abs(W)) / 127, or negative weights fall outside [-127, 127].")
            for d in (128, 255, 256):
                if is_close(scale, amax / d, rtol=1e-6):
                    raise CheckFailed(f"{label}: your scale is max|W| / {d}. The symmetric scheme maps max|W| to "
                                      "127, the largest int8 that has a negative partner (-127); use max|W| / 127.")
            raise CheckFailed(f"{label}: scale = {scale:.6g}; expected max|W| / 127 = {expected_scale:.6g}.")
        x = W.astype(np.float64) / scale
        expected_q = _q(W.astype(np.float64), scale)
        q64 = q.astype(np.int64)
        ties = np.abs(np.abs(x - np.trunc(x)) - 0.5) < 1e-6      # exactly halfway: either neighbour is fine
        wrong = (q64 != expected_q) & ~ties
        if wrong.any():
            if np.array_equal(q64[wrong], np.trunc(x)[wrong]):
                raise CheckFailed(f"{label}: q truncates W / scale towards zero; .astype(np.int8) does not round. "
                                  "Round to the nearest integer first with np.round(W / scale).")
            j = tuple(np.argwhere(wrong)[0])
            raise CheckFailed(f"{label}: q{list(j)} = {q64[j]}, but round(W / scale) = {int(expected_q[j])} "
                              f"(W = {float(W[j]):.6g}, scale = {scale:.6g}).")

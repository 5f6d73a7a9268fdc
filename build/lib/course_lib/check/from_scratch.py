r"""Checks for the exercises of chapter "An MLP from scratch" (``book/06-mlp-from-scratch.md``).

- :func:`iterate_minibatches`: shuffled mini-batches that cover every sample exactly once, the last one possibly
  smaller, with rows of ``X`` and labels of ``y`` kept together, drawn from the generator passed in.
- :func:`train_step`: one step of plain gradient descent for a one-hidden-layer ReLU network with a softmax output
  and mean cross-entropy, checked against :class:`course_lib.MLP` (float64) and its ``loss_and_grads``.

When something differs the checks try the usual mistakes to give a specific hint.
"""

from __future__ import annotations

import numpy as np

from ..model import MLP
from ._core import CheckFailed, exercise_check, is_close

__all__ = ["iterate_minibatches", "train_step"]


# ------------------------------------------------------------------------------------------ minibatches
def _batches(student_fn, X, y, batch_size, seed, title):
    out = student_fn(X, y, batch_size, np.random.default_rng(seed))
    try:
        batches = list(out)
    except TypeError:
        raise CheckFailed(
            f"{title}: the function should return a list (or generator) of pairs (X_b, y_b); "
            f"got {type(out).__name__}."
        ) from None
    pairs = []
    for k, item in enumerate(batches):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise CheckFailed(f"{title}: mini-batch {k} should be a pair (X_b, y_b); got {type(item).__name__}.")
        pairs.append((np.asarray(item[0]), np.asarray(item[1])))
    return pairs


@exercise_check("ex-scratch-minibatches", "Exercise: shuffled mini-batches")
def iterate_minibatches(student_fn):
    title = "Exercise: shuffled mini-batches"
    m, n = 103, 3
    ids = np.arange(m)
    # row i of X holds i, 10 i, 100 i: a row identifies its sample; y[i] = i + 1000 identifies its label
    X = np.stack([ids, 10 * ids, 100 * ids], axis=1).astype(np.float64)
    y = ids + 1000
    for batch_size in (10, 25, 103, 200):
        batches = _batches(student_fn, X, y, batch_size, 0, title)
        n_expected = -(-m // batch_size)
        for k, (Xb, yb) in enumerate(batches):
            if Xb.ndim != 2 or Xb.shape[1] != n:
                raise CheckFailed(
                    f"{title}: X_b should have shape (rows, {n}), rows of X; mini-batch {k} has shape {Xb.shape}."
                )
            if yb.shape != (len(Xb),):
                raise CheckFailed(
                    f"{title}: y_b should have shape ({len(Xb)},) like the rows of X_b; mini-batch {k} has "
                    f"y_b of shape {yb.shape}."
                )
        rows = np.concatenate([Xb[:, 0] for Xb, _ in batches]) if batches else np.array([])
        labels = np.concatenate([yb for _, yb in batches]) if batches else np.array([])
        sizes = [len(Xb) for Xb, _ in batches]
        if len(rows) < m and len(np.unique(rows)) == len(rows):
            raise CheckFailed(
                f"{title}: with {m} samples and batch_size={batch_size} the mini-batches hold only {len(rows)} "
                "samples. Did you drop the last, smaller mini-batch? It must hold the samples that are left."
            )
        if len(np.unique(rows)) != len(rows) or len(rows) != m:
            raise CheckFailed(
                f"{title}: every sample must appear in exactly one mini-batch; with {m} samples and "
                f"batch_size={batch_size} your mini-batches hold {len(rows)} rows, {len(np.unique(rows))} "
                "different ones. Draw one permutation (rng.permutation(m)) rather than sampling with "
                "replacement (rng.integers, rng.choice)."
            )
        if not np.array_equal(labels - 1000, rows):
            raise CheckFailed(
                f"{title}: the labels no longer belong to their rows: index X and y with the SAME permutation."
            )
        expected_sizes = [batch_size] * (n_expected - 1) + [m - batch_size * (n_expected - 1)]
        if sizes != expected_sizes:
            raise CheckFailed(
                f"{title}: with {m} samples and batch_size={batch_size} the mini-batch sizes should be "
                f"{expected_sizes}; got {sizes}."
            )
        if batch_size < m and np.array_equal(rows, ids):
            raise CheckFailed(
                f"{title}: the samples come out in their original order: shuffle them with a permutation drawn "
                "from rng first."
            )
    first = [Xb[:, 0] for Xb, _ in _batches(student_fn, X, y, 10, 1, title)]
    again = [Xb[:, 0] for Xb, _ in _batches(student_fn, X, y, 10, 1, title)]
    other = [Xb[:, 0] for Xb, _ in _batches(student_fn, X, y, 10, 2, title)]
    if not all(np.array_equal(a, b) for a, b in zip(first, again)):
        raise CheckFailed(
            f"{title}: two generators with the same seed gave different mini-batches: draw the permutation from "
            "the rng argument, not from np.random or a generator of your own."
        )
    if all(np.array_equal(a, b) for a, b in zip(first, other)):
        raise CheckFailed(
            f"{title}: generators with different seeds gave the same mini-batches: draw the permutation from the "
            "rng argument (a fixed seed inside the function shuffles the same way every epoch)."
        )


# ------------------------------------------------------------------------------------------- train_step
def _reference_step(params, X, y, lr):
    n0, n1 = params[0].shape
    model = MLP([n0, n1, params[2].shape[1]], activation="relu", output="softmax", dtype="float64")
    model.set_weights([np.array(p, dtype=np.float64) for p in params])
    _, grads = model.loss_and_grads(X, y)
    return [p - lr * g for p, g in zip(params, grads)], grads


def _problems():
    rng = np.random.default_rng(11)
    problems = []
    for (m, n0, n1, k, lr) in ((6, 4, 5, 3, 0.5), (9, 3, 7, 4, 0.1)):
        params = [rng.normal(size=(n0, n1)), rng.normal(size=n1) * 0.5, rng.normal(size=(n1, k)),
                  rng.normal(size=k) * 0.5]
        X = rng.normal(size=(m, n0))
        y = rng.integers(0, k, size=m)
        y[:k] = np.arange(k)
        problems.append((params, X, y, lr))
    return problems


def _train_step_hint(params, X, y, lr, got, grads) -> str:
    exp = [p - lr * g for p, g in zip(params, grads)]
    m = len(X)
    if all(is_close(g_, p + lr * gr, rtol=1e-6, atol=1e-10) for g_, p, gr in zip(got, params, grads)):
        return "Your parameters moved UP the gradient: the step is theta - lr * grad."
    if all(is_close(g_, p - m * lr * gr, rtol=1e-6, atol=1e-10) for g_, p, gr in zip(got, params, grads)):
        return ("Your step is m times too large: the loss is the MEAN over the m samples, so delta2 = (P - Y) / m "
                "(or divide the summed gradients by m).")
    if all(is_close(g_, e, rtol=1e-6, atol=1e-10) for g_, e in zip(got[2:], exp[2:])):
        return ("W2 and b2 are right but W1 or b1 are not: delta1 = (delta2 @ W2.T) * (Z1 > 0), with the ReLU "
                "derivative taken at Z1 = X W1 + b1 and W2 the weights BEFORE the update.")
    return ("Compare with the chapter's formulas: delta2 = (softmax(Z2) - one_hot(y)) / m, dW2 = A1.T @ delta2, "
            "db2 = delta2.sum(axis=0), delta1 = (delta2 @ W2.T) * (Z1 > 0), dW1 = X.T @ delta1.")


@exercise_check("ex-scratch-train-step", "Exercise: one training step")
def train_step(student_fn):
    title = "Exercise: one training step"
    for params, X, y, lr in _problems():
        given = [p.copy() for p in params]
        out = student_fn(given, X.copy(), y.copy(), lr)
        if not all(np.array_equal(a, b) for a, b in zip(given, params)):
            raise CheckFailed(
                f"{title}: your function changed the arrays in params; return new arrays (p - lr * g) instead of "
                "updating in place."
            )
        if not isinstance(out, (tuple, list)) or len(out) != 4:
            got = f"a {type(out).__name__} of length {len(out)}" if isinstance(out, (tuple, list)) else type(out).__name__
            raise CheckFailed(f"{title}: the function should return a list [W1, b1, W2, b2]; got {got}.")
        got = [np.asarray(o, dtype=np.float64) for o in out]
        for name, g_, p in zip(("W1", "b1", "W2", "b2"), got, params):
            if g_.shape != p.shape:
                raise CheckFailed(f"{title}: the new {name} should have shape {p.shape}; got {g_.shape}.")
        expected, grads = _reference_step(params, X, y, lr)
        if not all(is_close(g_, e, rtol=1e-6, atol=1e-10) for g_, e in zip(got, expected)):
            bad = [name for name, g_, e in zip(("W1", "b1", "W2", "b2"), got, expected)
                   if not is_close(g_, e, rtol=1e-6, atol=1e-10)]
            raise CheckFailed(
                f"{title}: wrong new {', '.join(bad)} (m={len(X)}, lr={lr}). "
                + _train_step_hint(params, X, y, lr, got, grads)
            )

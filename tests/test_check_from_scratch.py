"""The exercise checks of chapter "An MLP from scratch" (course_lib/check/from_scratch.py).

For each check: correct implementations pass and print the success line; typical mistakes raise CheckFailed with
a message that names the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-scratch-minibatches"] is check.iterate_minibatches
    assert check.REGISTRY["ex-scratch-train-step"] is check.train_step


# --------------------------------------------------------------------------------------- iterate_minibatches
def minibatches_list(X, y, batch_size, rng):
    perm = rng.permutation(len(X))
    return [(X[perm[i:i + batch_size]], y[perm[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


def minibatches_generator(X, y, batch_size, rng):
    idx = np.arange(len(X))
    rng.shuffle(idx)
    for start in range(0, len(X), batch_size):
        b = idx[start:start + batch_size]
        yield X[b], y[b]


def minibatches_array_split(X, y, batch_size, rng):
    perm = rng.permutation(len(X))
    Xs, ys = X[perm], y[perm]
    cuts = np.arange(batch_size, len(X), batch_size)
    return list(zip(np.split(Xs, cuts), np.split(ys, cuts)))


@pytest.mark.parametrize("right", [minibatches_list, minibatches_generator, minibatches_array_split])
def test_iterate_minibatches_accepts_correct_versions(right, capsys):
    check.iterate_minibatches(right)
    assert "✓ Exercise: shuffled mini-batches: correct." in capsys.readouterr().out


def no_shuffle(X, y, batch_size, rng):
    return [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(X), batch_size)]


def drops_last(X, y, batch_size, rng):
    perm = rng.permutation(len(X))
    n = len(X) // batch_size
    return [(X[perm[k * batch_size:(k + 1) * batch_size]], y[perm[k * batch_size:(k + 1) * batch_size]])
            for k in range(max(n, 1) if len(X) >= batch_size else 0)] or [(X[perm], y[perm])]


def with_replacement(X, y, batch_size, rng):
    out = []
    for start in range(0, len(X), batch_size):
        idx = rng.integers(0, len(X), size=min(batch_size, len(X) - start))
        out.append((X[idx], y[idx]))
    return out


def separate_permutations(X, y, batch_size, rng):
    px, py = rng.permutation(len(X)), rng.permutation(len(X))
    return [(X[px[i:i + batch_size]], y[py[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


def own_seed(X, y, batch_size, rng):
    return minibatches_list(X, y, batch_size, np.random.default_rng(42))


@pytest.mark.parametrize(
    "wrong, words",
    [
        (no_shuffle, "original order"),
        (drops_last, "drop the last"),
        (with_replacement, "with replacement"),
        (separate_permutations, "SAME permutation"),
        (own_seed, "rng argument"),
        (lambda X, y, b, rng: X, "pair (X_b, y_b)"),
    ],
)
def test_iterate_minibatches_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match="shuffled mini-batches") as info:
        check.iterate_minibatches(wrong)
    assert words in str(info.value)


def test_iterate_minibatches_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.iterate_minibatches(stub)


# ------------------------------------------------------------------------------------------------ train_step
def grads(params, X, y, sum_instead_of_mean=False, no_relu_grad=False):
    W1, b1, W2, b2 = params
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2 + b2
    P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(y)), y] -= 1
    D2 = P if sum_instead_of_mean else P / len(y)
    D1 = D2 @ W2.T if no_relu_grad else (D2 @ W2.T) * (Z1 > 0)
    return [X.T @ D1, D1.sum(0), A1.T @ D2, D2.sum(0)]


def step_right(params, X, y, lr):
    return [p - lr * g for p, g in zip(params, grads(params, X, y))]


def step_tuple(params, X, y, lr):
    W1, b1, W2, b2 = (p.copy() for p in params)
    g = grads(params, X, y)
    return (W1 - lr * g[0], b1 - lr * g[1], W2 - lr * g[2], b2 - lr * g[3])


@pytest.mark.parametrize("right", [step_right, step_tuple])
def test_train_step_accepts_correct_versions(right, capsys):
    check.train_step(right)
    assert "✓ Exercise: one training step: correct." in capsys.readouterr().out


def step_sum(params, X, y, lr):
    return [p - lr * g for p, g in zip(params, grads(params, X, y, sum_instead_of_mean=True))]


def step_no_relu(params, X, y, lr):
    return [p - lr * g for p, g in zip(params, grads(params, X, y, no_relu_grad=True))]


def step_ascent(params, X, y, lr):
    return [p + lr * g for p, g in zip(params, grads(params, X, y))]


def step_in_place(params, X, y, lr):
    for p, g in zip(params, grads(params, X, y)):
        p -= lr * g
    return params


@pytest.mark.parametrize(
    "wrong, words",
    [
        (step_sum, "m times too large"),
        (step_no_relu, "ReLU derivative"),
        (step_ascent, "UP the gradient"),
        (step_in_place, "changed the arrays"),
        (lambda params, X, y, lr: params[0], "list [W1, b1, W2, b2]"),
    ],
)
def test_train_step_names_the_mistake(wrong, words):
    with pytest.raises(CheckFailed, match="one training step") as info:
        check.train_step(wrong)
    assert words in str(info.value)


def test_train_step_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.train_step(stub)

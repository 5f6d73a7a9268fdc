"""The exercise checks of chapter "Backpropagation" (course_lib/check/backprop.py).

For each check: correct implementations pass and print the success line; typical mistakes raise CheckFailed with
a message that names the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def stable_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-backprop-sigmoid-backward"] is check.sigmoid_backward
    assert check.REGISTRY["ex-backprop-backward"] is check.two_layer_backward


# ---------------------------------------------------------------------------------------------- sigmoid_backward
@pytest.mark.parametrize(
    "right",
    [
        lambda dA, A: dA * A * (1 - A),
        lambda dA, A: np.multiply(dA, A - A**2),
        lambda dA, A: dA * (A * (1.0 - A)),
    ],
)
def test_sigmoid_backward_accepts_correct_versions(right, capsys):
    check.sigmoid_backward(right)
    assert "✓ Exercise: backpropagation through a sigmoid layer: correct." in capsys.readouterr().out


def in_place(dA, A):
    A *= 1 - A
    return dA * A


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda dA, A: dA * (1 - A), "1 - A. That is the mistake of the source"),
        (lambda dA, A: dA * stable_sigmoid(A) * (1 - stable_sigmoid(A)), "applied the sigmoid again"),
        (lambda dA, A: A * (1 - A), "multiplies it by the incoming gradient"),
        (lambda dA, A: dA * A, "You multiplied by A"),
        (lambda dA, A: dA @ (A * (1 - A)).T, "should have shape"),
        (in_place, "changed one of its input arrays"),
        (lambda dA, A: dA * A * (1 - A) + 0.01, "is not right"),
    ],
)
def test_sigmoid_backward_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.sigmoid_backward(wrong)


def test_sigmoid_backward_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.sigmoid_backward(stub)


# ---------------------------------------------------------------------------------------------- two_layer_backward
def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def make_backward(mean=True, relu_grad=True, order=("dW1", "db1", "dW2", "db2"), bias_axis=0, use_logits=False,
                  mean_twice=False):
    """A 2-layer ReLU/softmax backward pass, right by default; each option introduces one typical mistake."""

    def backward(X, Y, W1, b1, W2, b2):
        m = X.shape[0]
        Z1 = X @ W1 + b1
        A1 = np.maximum(Z1, 0)
        Z2 = A1 @ W2 + b2
        Y_hat = Z2 if use_logits else softmax(Z2)
        delta2 = (Y_hat - Y) / (m if mean else 1)
        if mean_twice:
            delta2 = delta2 / m
        delta1 = delta2 @ W2.T
        if relu_grad:
            delta1 = delta1 * (Z1 > 0)
        grads = {
            "dW1": X.T @ delta1,
            "db1": delta1.sum(axis=bias_axis),
            "dW2": A1.T @ delta2,
            "db2": delta2.sum(axis=bias_axis),
        }
        return [grads[name] for name in order]

    return backward


def test_two_layer_backward_accepts_the_correct_version(capsys):
    check.two_layer_backward(make_backward())
    assert "✓ Exercise: backpropagation through a 2-layer network: correct." in capsys.readouterr().out


def test_two_layer_backward_accepts_a_tuple_and_an_explicit_per_sample_loop(capsys):
    def per_sample(X, Y, W1, b1, W2, b2):
        m = X.shape[0]
        grads = [np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)]
        for x, y in zip(X, Y):
            z1 = x @ W1 + b1
            a1 = np.maximum(z1, 0)
            p = softmax((a1 @ W2 + b2)[None, :])[0]
            d2 = (p - y) / m
            d1 = (W2 @ d2) * (z1 > 0)
            for g, v in zip(grads, (np.outer(x, d1), d1, np.outer(a1, d2), d2)):
                g += v
        return tuple(grads)

    check.two_layer_backward(per_sample)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (make_backward(mean=False), "times too large: the loss is the MEAN"),
        (make_backward(mean_twice=True), "times too small"),
        (make_backward(relu_grad=False), "The ReLU's derivative is missing"),
        (make_backward(use_logits=True), "must be the softmax probabilities"),
        (make_backward(order=("dW2", "db2", "dW1", "db1")), "should have shape"),
        (make_backward(bias_axis=1), "db2 .* should have shape"),
    ],
)
def test_two_layer_backward_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.two_layer_backward(wrong)


def test_two_layer_backward_wants_four_arrays():
    with pytest.raises(CheckFailed, match=r"should return the list \[dW1, db1, dW2, db2\]"):
        check.two_layer_backward(lambda X, Y, W1, b1, W2, b2: make_backward()(X, Y, W1, b1, W2, b2)[:2])


def test_two_layer_backward_reports_a_crash_briefly():
    def crashes(X, Y, W1, b1, W2, b2):  # W2 instead of W2.T: shapes do not align
        return make_backward()(X, Y, W1, b1, W2, b2)[:2] + [(Y @ W2) @ X, b2]

    with pytest.raises(CheckFailed, match="your code raised ValueError"):
        check.two_layer_backward(crashes)


def test_two_layer_backward_stub_is_not_done_yet():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.two_layer_backward(stub)

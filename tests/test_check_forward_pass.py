"""The exercise checks of chapter "Neurons and the forward pass" (course_lib/check/forward_pass.py).

For each check: the correct implementation passes and prints the success line; typical mistakes raise
CheckFailed with a message that names the mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stable_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def stub(*args):
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------- registry
def test_the_checks_are_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-fwd-dense"] is check.dense_forward
    assert check.REGISTRY["ex-fwd-relu"] is check.relu
    assert check.REGISTRY["ex-fwd-sigmoid-grad"] is check.sigmoid_grad


# ---------------------------------------------------------------------------------------------- dense_forward
def test_dense_forward_accepts_the_correct_layer(capsys):
    check.dense_forward(lambda A, W, b: A @ W + b)
    assert "✓ Exercise: a dense layer's forward pass: correct." in capsys.readouterr().out


def test_dense_forward_accepts_an_explicit_loop(capsys):
    def loop(A, W, b):
        Z = np.zeros((A.shape[0], W.shape[1]))
        for i in range(A.shape[0]):
            for j in range(W.shape[1]):
                Z[i, j] = sum(A[i, k] * W[k, j] for k in range(A.shape[1])) + b[j]
        return Z

    check.dense_forward(loop)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda A, W, b: A @ W, "bias b is missing"),
        (lambda A, W, b: A @ W - b, "subtracts the bias"),
        (lambda A, W, b: np.vstack([A[:1] @ W + b, A[1:] @ W]), "first row only"),
        (lambda A, W, b: (A @ W + b).T, "should have shape"),
        (lambda A, W, b: A @ W + b.sum(), "is not right"),
        (lambda A, W, b: W.T @ A.T + b, "your code raised ValueError"),
    ],
)
def test_dense_forward_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.dense_forward(wrong)


def test_dense_forward_rejects_a_layer_that_writes_into_its_input():
    def in_place(A, W, b):
        A += 0.0  # harmless for the values, but then the bias goes into A_prev
        A[:, :1] += 1.0
        return A @ W + b

    with pytest.raises(CheckFailed, match="changed its argument A_prev"):
        check.dense_forward(in_place)


def test_dense_forward_says_not_done_yet_for_the_stub():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.dense_forward(stub)


# ---------------------------------------------------------------------------------------------- relu
def correct_relu(z):
    return np.maximum(z, 0)


def correct_relu_grad(z):
    return (z > 0).astype(float)


def test_relu_accepts_the_correct_pair(capsys):
    check.relu(correct_relu, correct_relu_grad)
    assert "✓ Exercise: ReLU and its derivative: correct." in capsys.readouterr().out


def test_relu_accepts_np_where_and_boolean_derivatives(capsys):
    check.relu(lambda z: np.where(z > 0, z, 0.0), lambda z: z > 0)
    assert "correct" in capsys.readouterr().out


def in_place_relu(z):
    z[z < 0] = 0
    return z


@pytest.mark.parametrize(
    "relu_fn, grad_fn, message",
    [
        (correct_relu_grad, correct_relu_grad, "that is the derivative"),  # the sources' definition (C1)
        (lambda z: np.max(z, 0), correct_relu_grad, r"np.max\(z, 0\) is the largest entry"),
        (in_place_relu, correct_relu_grad, "changed its input"),
        (np.abs, correct_relu_grad, "is not right"),
        (correct_relu, correct_relu, "that is ReLU itself"),
        (correct_relu, lambda z: (z >= 0).astype(float), "gives 1 at z = 0"),
        (correct_relu, lambda z: np.ones_like(z), "is not right"),
    ],
)
def test_relu_names_the_mistake(relu_fn, grad_fn, message):
    with pytest.raises(CheckFailed, match=message):
        check.relu(relu_fn, grad_fn)


def test_relu_says_not_done_yet_for_the_stubs():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.relu(stub, stub)
    with pytest.raises(CheckFailed, match="not done yet"):
        check.relu(correct_relu, stub)


# ---------------------------------------------------------------------------------------------- sigmoid_grad
def test_sigmoid_grad_accepts_the_correct_derivative(capsys):
    def sigmoid_grad(z):
        s = stable_sigmoid(z)
        return s * (1 - s)

    check.sigmoid_grad(sigmoid_grad)
    assert "✓ Exercise: the derivative of the sigmoid: correct." in capsys.readouterr().out


def test_sigmoid_grad_accepts_a_naive_sigmoid_and_prints_no_warning(capsys, recwarn):
    def naive(z):
        s = 1.0 / (1.0 + np.exp(-z))  # overflows for z = -1000, but gives the right limit 0
        return s * (1 - s)

    check.sigmoid_grad(naive)
    out = capsys.readouterr()
    assert "correct" in out.out and out.err == ""
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda z: 1 - stable_sigmoid(z), "returned 1 - sigma"),  # the sources' mistake
        (lambda z: stable_sigmoid(stable_sigmoid(z)) * (1 - stable_sigmoid(stable_sigmoid(z))), "twice"),
        (lambda z: z * (1 - z), r"returned z \(1 - z\)"),
        (lambda z: stable_sigmoid(z), "sigma\\(z\\) itself"),
        (lambda z: np.exp(z) / (1 + np.exp(z)) * (1 - np.exp(z) / (1 + np.exp(z))), "NaN"),
        (lambda z: stable_sigmoid(z) ** 2, "is not right"),
    ],
)
def test_sigmoid_grad_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.sigmoid_grad(wrong)


def test_sigmoid_grad_says_not_done_yet_for_the_stub():
    with pytest.raises(CheckFailed, match="not done yet"):
        check.sigmoid_grad(stub)

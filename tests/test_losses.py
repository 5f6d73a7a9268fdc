"""Tests of course_lib.losses: values against independent implementations (scikit-learn's log_loss, naive
formulas), gradients against central differences, numerical stability for logits up to 1e4."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import log_loss

from course_lib import losses as L
from course_lib.activations import sigmoid, softmax
from course_lib.gradcheck import gradcheck

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = None


@st.composite
def problems(draw, kind):
    """(z, y) for a loss: logits and targets of matching shapes, in float64."""
    m = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "categorical":
        K = draw(st.integers(2, 6))
        return rng.normal(0, 2, size=(m, K)), rng.integers(0, K, size=m)
    if kind == "binary":
        shape = draw(st.sampled_from(["1d", "column", "multilabel"]))
        K = draw(st.integers(2, 5)) if shape == "multilabel" else 1
        z = rng.normal(0, 2, size=(m, K))
        y = (rng.random((m, K)) < 0.5).astype(np.float64)
        return (z[:, 0], y[:, 0]) if shape == "1d" else (z, y)
    shape = draw(st.sampled_from(["1d", "2d"]))
    K = draw(st.integers(1, 4))
    z, y = rng.normal(size=(m, K)), rng.normal(size=(m, K))
    return (z[:, 0], y[:, 0]) if shape == "1d" else (z, y)


# ---------------------------------------------------------------------------------------------- helpers
def test_one_hot():
    Y = L.one_hot(np.array([2, 0, 1, 2]), 3)
    assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert Y.dtype == np.float32
    assert L.one_hot(np.array([1]), 2, dtype=np.float64).dtype == np.float64


@given(problems("categorical"))
def test_logsumexp_matches_naive_formula(problem):
    z, _ = problem
    assert_allclose(L.logsumexp(z), np.log(np.exp(z).sum(axis=1)), rtol=1e-13)


def test_logsumexp_of_huge_logits():
    z = np.array([[1e4, 1e4], [-1e4, -1e4], [1e4, -1e4]])
    assert_allclose(L.logsumexp(z), [1e4 + np.log(2), -1e4 + np.log(2), 1e4], rtol=1e-15)


# ---------------------------------------------------------------------------------------------- values
@given(problems("mse"))
def test_mean_squared_error_value(problem):
    y_hat, y = problem
    expected = sum((a - b) ** 2 for a, b in zip(y_hat.ravel(), y.ravel())) / y.size
    assert_allclose(L.mean_squared_error(y_hat, y), expected, rtol=1e-12)


@given(problems("binary"))
def test_binary_cross_entropy_matches_sklearn(problem):
    z, y = problem
    p = sigmoid(z)
    assert_allclose(
        L.binary_cross_entropy_from_logits(z, y),
        log_loss(y.ravel(), p.ravel(), labels=[0, 1]),
        rtol=1e-6,
    )
    # from probabilities: the same up to the clipping of p to [1e-7, 1 - 1e-7]
    assert_allclose(L.binary_cross_entropy(p, y), L.binary_cross_entropy_from_logits(z, y), rtol=1e-6)


@given(problems("categorical"))
def test_categorical_cross_entropy_matches_sklearn(problem):
    z, y = problem
    P = softmax(z)
    expected = log_loss(y, P, labels=np.arange(z.shape[1]))
    assert_allclose(L.categorical_cross_entropy_from_logits(z, y), expected, rtol=1e-6)
    assert_allclose(L.categorical_cross_entropy(P, y), expected, rtol=1e-6)


def test_known_values():
    assert_allclose(L.binary_cross_entropy_from_logits(np.zeros(4), np.array([0, 1, 1, 0])), np.log(2))
    assert_allclose(L.binary_cross_entropy(np.full(3, 0.5), np.array([0, 1, 1])), np.log(2))
    assert_allclose(L.categorical_cross_entropy_from_logits(np.zeros((2, 5)), np.array([0, 4])), np.log(5))
    # both terms carry the minus sign: y = 0, p = 0.25 costs -log(0.75), not +log(0.75)
    assert_allclose(L.binary_cross_entropy(np.array([0.25]), np.array([0.0])), -np.log(0.75))
    assert_allclose(L.categorical_cross_entropy(np.array([[0.2, 0.8]]), np.array([1])), -np.log(0.8))
    assert L.mean_squared_error(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])) == 2.5


@pytest.mark.parametrize("kind", ["mse", "binary", "categorical"])
def test_losses_are_means_over_samples(kind):
    """Repeating the batch leaves every loss unchanged (a mean, not a sum)."""
    z, y = _fixed_problem(kind)
    loss_from_logits = {
        "mse": L.mean_squared_error,
        "binary": L.binary_cross_entropy_from_logits,
        "categorical": L.categorical_cross_entropy_from_logits,
    }[kind]
    z2, y2 = np.concatenate([z, z]), np.concatenate([y, y])
    assert_allclose(loss_from_logits(z2, y2), loss_from_logits(z, y), rtol=1e-14)


def _fixed_problem(kind):
    rng = np.random.default_rng(7)
    if kind == "categorical":
        return rng.normal(size=(5, 3)), rng.integers(0, 3, 5)
    if kind == "binary":
        return rng.normal(size=(5, 2)), (rng.random((5, 2)) < 0.5).astype(float)
    return rng.normal(size=(5, 2)), rng.normal(size=(5, 2))


# ---------------------------------------------------------------------------------------------- gradients
@given(problems("mse"))
def test_mean_squared_error_grad(problem):
    z, y = problem
    grad = L.mean_squared_error_grad(z, y)
    assert grad.shape == z.shape
    assert gradcheck(lambda: L.mean_squared_error(z, y), [z], [grad]) < 1e-7


@given(problems("binary"))
def test_binary_cross_entropy_grad(problem):
    """Also for several independent labels, shape (m, K): the gradient of the mean over all m*K entries."""
    z, y = problem
    grad = L.binary_cross_entropy_grad(z, y)
    assert grad.shape == z.shape
    assert gradcheck(lambda: L.binary_cross_entropy_from_logits(z, y), [z], [grad]) < 1e-7


@given(problems("categorical"))
def test_categorical_cross_entropy_grad(problem):
    z, y = problem
    grad = L.categorical_cross_entropy_grad(z, y)
    assert grad.shape == z.shape
    assert gradcheck(lambda: L.categorical_cross_entropy_from_logits(z, y), [z], [grad]) < 1e-7
    # each row of (softmax(z) - onehot(y)) / m sums to 0
    assert_allclose(grad.sum(axis=1), 0.0, atol=1e-15)


def test_categorical_cross_entropy_grad_does_not_modify_logits():
    z = np.array([[1.0, 2.0, 3.0]])
    L.categorical_cross_entropy_grad(z, np.array([0]))
    assert_array_equal(z, [[1.0, 2.0, 3.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_keep_the_dtype(dtype):
    z = np.array([[0.5, -1.0], [2.0, 0.0]], dtype=dtype)
    assert L.categorical_cross_entropy_grad(z, np.array([0, 1])).dtype == dtype
    assert L.binary_cross_entropy_grad(z, np.array([[0, 1], [1, 1]])).dtype == dtype
    assert L.mean_squared_error_grad(z, np.ones((2, 2))).dtype == dtype


# ---------------------------------------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropies_finite_and_exact_for_huge_logits(dtype):
    big = 1e4
    z_bin = np.array([[big], [-big], [big], [-big]], dtype=dtype)
    y_bin = np.array([[0.0], [1.0], [1.0], [0.0]])
    z_cat = np.array([[big, -big, 0.0], [-big, big, 0.0]], dtype=dtype)
    y_cat = np.array([1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # independent of the pytest configuration
        bce = L.binary_cross_entropy_from_logits(z_bin, y_bin)
        cce = L.categorical_cross_entropy_from_logits(z_cat, y_cat)
        bce_p = L.binary_cross_entropy(sigmoid(z_bin), y_bin)
        cce_p = L.categorical_cross_entropy(softmax(z_cat), y_cat)
        grads = [
            L.binary_cross_entropy_grad(z_bin, y_bin),
            L.categorical_cross_entropy_grad(z_cat, y_cat),
            L.mean_squared_error_grad(z_bin, y_bin),
        ]
    # wrong with confidence 1e4 costs exactly 1e4 (from logits); right costs 0
    assert bce == pytest.approx(big / 2, rel=1e-6)
    assert cce == pytest.approx(2 * big / 2, rel=1e-6)
    # from probabilities the clipping to [1e-7, 1 - 1e-7] caps the cost at -log(1e-7) per wrong sample
    cap = -np.log(1e-7)
    assert np.isfinite(bce_p) and bce_p == pytest.approx(cap / 2, rel=1e-3)
    assert np.isfinite(cce_p) and cce_p == pytest.approx(cap / 2, rel=1e-3)
    for g in grads:
        assert np.isfinite(g).all()
    assert_allclose(grads[0].ravel(), [0.25, -0.25, 0.0, 0.0])


def test_probability_losses_accept_exact_zeros_and_ones():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(L.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0])))
        assert np.isfinite(L.categorical_cross_entropy(np.array([[1.0, 0.0]]), np.array([1])))
    assert L.binary_cross_entropy(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == pytest.approx(1e-7, rel=1e-3)


def test_pytest_config_turns_course_lib_runtime_warnings_into_errors():
    """The stability tests above rely on it as well: a RuntimeWarning raised inside course_lib fails a test."""
    if tomllib is not None:
        config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
        assert "error::RuntimeWarning:course_lib.*" in config["tool"]["pytest"]["ini_options"]["filterwarnings"]
    # inf - inf inside logsumexp warns "invalid value encountered in subtract"
    with pytest.raises(RuntimeWarning, match="invalid value"):
        L.logsumexp(np.array([[np.inf, 1.0]]))

"""Tests of course_lib.layers: the forward/backward pairs against explicit loops and central differences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from course_lib.gradcheck import gradcheck
from course_lib.layers import activation_backward, activation_forward, dense_backward, dense_forward


@st.composite
def dense_problems(draw):
    m, n_in, n_out = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.normal(size=(m, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=n_out), rng


@given(dense_problems())
def test_dense_forward_matches_explicit_sums(problem):
    a_prev, W, b, _ = problem
    z, cache = dense_forward(a_prev, W, b)
    m, n_in = a_prev.shape
    n_out = W.shape[1]
    assert z.shape == (m, n_out)
    expected = np.array(
        [[sum(a_prev[i, j] * W[j, k] for j in range(n_in)) + b[k] for k in range(n_out)] for i in range(m)]
    )
    assert_allclose(z, expected, rtol=1e-12, atol=1e-12)
    assert cache[0] is a_prev and cache[1] is W


def test_dense_forward_does_not_modify_its_inputs():
    rng = np.random.default_rng(0)
    a_prev, W, b = rng.normal(size=(3, 2)), rng.normal(size=(2, 4)), rng.normal(size=4)
    copies = [a_prev.copy(), W.copy(), b.copy()]
    dense_forward(a_prev, W, b)
    for original, copy in zip((a_prev, W, b), copies):
        assert_array_equal(original, copy)


@given(dense_problems())
def test_dense_backward_matches_central_differences(problem):
    """With f = sum(G * z), the upstream gradient is G and every returned gradient must match f's."""
    a_prev, W, b, rng = problem
    z, cache = dense_forward(a_prev, W, b)
    G = rng.normal(size=z.shape)
    da_prev, dW, db = dense_backward(G, cache)
    assert (da_prev.shape, dW.shape, db.shape) == (a_prev.shape, W.shape, b.shape)

    def f():
        return float(np.sum(G * dense_forward(a_prev, W, b)[0]))

    assert gradcheck(f, [a_prev, W, b], [da_prev, dW, db]) < 1e-7


@given(dense_problems())
def test_dense_backward_without_input_gradient(problem):
    a_prev, W, b, rng = problem
    z, cache = dense_forward(a_prev, W, b)
    G = rng.normal(size=z.shape)
    full = dense_backward(G, cache)
    da_prev, dW, db = dense_backward(G, cache, input_grad=False)
    assert da_prev is None
    assert_array_equal(dW, full[1])
    assert_array_equal(db, full[2])


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
@given(seed=st.integers(0, 2**32 - 1), shape=st.tuples(st.integers(1, 5), st.integers(1, 5)))
def test_activation_backward_matches_central_differences(name, seed, shape):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, size=shape)
    if name == "relu":
        z[np.abs(z) < 1e-4] = 0.5  # stay away from the kink
    G = rng.normal(size=shape)
    a, cache = activation_forward(z, name)
    assert a.shape == z.shape
    dz = activation_backward(G, cache, name)
    assert dz.shape == z.shape
    assert gradcheck(lambda: float(np.sum(G * activation_forward(z, name)[0])), [z], [dz]) < 1e-7


def test_activation_forward_values():
    z = np.array([[-1.0, 0.0, 2.0]])
    assert_array_equal(activation_forward(z, "relu")[0], [[0.0, 0.0, 2.0]])
    assert_allclose(activation_forward(z, "tanh")[0], np.tanh(z))
    assert_allclose(activation_forward(z, "sigmoid")[0], 1 / (1 + np.exp(-z)))
    assert activation_forward(z, "relu")[1] is z


def test_unknown_activation_name():
    with pytest.raises(KeyError):
        activation_forward(np.zeros((1, 1)), "gelu")


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_float32_stays_float32(name):
    rng = np.random.default_rng(1)
    a_prev = rng.normal(size=(4, 3)).astype(np.float32)
    W = rng.normal(size=(3, 2)).astype(np.float32)
    b = np.zeros(2, dtype=np.float32)
    z, cache = dense_forward(a_prev, W, b)
    a, act_cache = activation_forward(z, name)
    delta = activation_backward(np.ones_like(a), act_cache, name)
    grads = dense_backward(delta, cache)
    assert z.dtype == a.dtype == delta.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)

"""Tests of the transformer layers of course_lib.layers and course_lib.activations (chapters "Tokens and
embeddings" and "A GPT from scratch"): GELU, embedding and layer normalization, forward passes against independent
computations and float64 gradient checks (relative error < 1e-7) over hypothesis-generated sizes and seeds."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from course_lib.activations import gelu, gelu_grad
from course_lib.gradcheck import numerical_gradient, relative_error
from course_lib.layers import (
    embedding_backward,
    embedding_forward,
    gelu_backward,
    gelu_forward,
    layer_norm_backward,
    layer_norm_forward,
)

TOL = 1e-7
EPS = 1e-5  # central differences: truncation error O(EPS**2), round-off O(1e-16 / EPS), both far below TOL


ATOL = 1e-9  # above the round-off of the difference quotients (about 1e-16 |f| / EPS per entry)


def check_grads(f, params, grads, tol=TOL):
    """Assert that the analytic gradients of the scalar f() match central differences, array by array: relative
    error below ``tol``, or an absolute error below the round-off floor ATOL for a tiny gradient (where a relative
    error measures only round-off)."""
    for i, (p, g) in enumerate(zip(params, grads)):
        g_num = numerical_gradient(f, p, EPS)
        err = relative_error(g, g_num)
        assert err < tol or np.linalg.norm(g - g_num) < ATOL, f"parameter {i}: relative error {err:.2e}"


def weighted_sum(out, R):
    """A scalar loss whose gradient with respect to ``out`` is R: sum(out * R)."""
    return float(np.sum(out * R))


# ---------------------------------------------------------------------------------------------- GELU
def test_gelu_known_values():
    # exact: z * Phi(z)
    assert gelu(np.array([0.0]), approximate=False)[0] == 0.0
    assert_allclose(gelu(np.array([1.0, -1.0]), approximate=False), [0.8413447460685429, -0.15865525393145707],
                    rtol=1e-12)
    # tanh approximation, computed independently
    z = np.linspace(-6, 6, 101)
    ref = 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))
    assert_allclose(gelu(z), ref, rtol=1e-12, atol=1e-15)
    assert np.max(np.abs(gelu(z) - gelu(z, approximate=False))) < 1e-3


@pytest.mark.parametrize("approximate", [True, False])
def test_gelu_grad_matches_differences(approximate):
    z = np.linspace(-8, 8, 2001)
    h = 1e-6
    numeric = (gelu(z + h, approximate) - gelu(z - h, approximate)) / (2 * h)
    assert_allclose(gelu_grad(z, approximate), numeric, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("approximate", [True, False])
def test_gelu_extremes_are_finite_and_exact(dtype, approximate):
    big = np.finfo(dtype).max
    z = np.array([-big, -1e30, -50.0, 50.0, 1e30, big], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, g = gelu(z, approximate), gelu_grad(z, approximate)
    assert a.dtype == dtype and g.dtype == dtype
    assert_array_equal(a, np.array([0, 0, 0, 50, 1e30, big], dtype=dtype))
    assert_array_equal(g, [0, 0, 0, 1, 1, 1])


def test_gelu_shapes_and_scalars():
    assert gelu(np.zeros((2, 3, 4))).shape == (2, 3, 4)
    assert gelu(np.float32(1.0)).dtype == np.float32
    assert float(gelu(1)) == pytest.approx(0.8411919906)
    assert gelu_grad(np.zeros((0, 3))).shape == (0, 3)


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 2**16),
       approximate=st.booleans())
def test_gelu_layer_gradient(shape, seed, approximate):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, size=shape)
    R = rng.normal(size=shape)
    a, cache = gelu_forward(z, approximate)
    assert_allclose(a, gelu(z, approximate), rtol=1e-15)
    dz = gelu_backward(R, cache)
    check_grads(lambda: weighted_sum(gelu_forward(z, approximate)[0], R), [z], [dz])


# ---------------------------------------------------------------------------------------------- embedding
@given(V=st.integers(1, 6), d=st.integers(1, 5), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       seed=st.integers(0, 2**16))
def test_embedding_is_one_hot_times_matrix_and_gradient(V, d, shape, seed):
    rng = np.random.default_rng(seed)
    E = rng.normal(size=(V, d))
    ids = rng.integers(0, V, size=shape)  # repeated ids are likely: their gradients must add up
    out, cache = embedding_forward(ids, E)
    one_hot = np.eye(V)[ids]
    assert out.shape == (*shape, d)
    assert_allclose(out, one_hot @ E, rtol=1e-15)
    R = rng.normal(size=out.shape)
    dE = embedding_backward(R, cache)
    assert dE.shape == E.shape
    # onehot^T R, computed independently with a loop over the ids
    expected = np.zeros_like(E)
    for index in np.ndindex(*shape):
        expected[ids[index]] += R[index]
    assert_allclose(dE, expected, rtol=1e-12, atol=1e-15)
    check_grads(lambda: weighted_sum(embedding_forward(ids, E)[0], R), [E], [dE])


def test_embedding_unused_rows_get_zero_gradient_and_float32_stays():
    E = np.arange(12, dtype=np.float32).reshape(4, 3)
    ids = np.array([[0, 0, 2]])
    out, cache = embedding_forward(ids, E)
    assert out.dtype == np.float32
    dE = embedding_backward(np.ones((1, 3, 3), dtype=np.float32), cache)
    assert dE.dtype == np.float32
    assert_array_equal(dE, [[2, 2, 2], [0, 0, 0], [1, 1, 1], [0, 0, 0]])


# ---------------------------------------------------------------------------------------------- layer norm
def reference_layer_norm(x, gamma, beta, eps):
    out = np.empty_like(x)
    for index in np.ndindex(*x.shape[:-1]):
        row = x[index]
        mu = sum(row) / len(row)
        var = sum((v - mu) ** 2 for v in row) / len(row)
        out[index] = [(v - mu) / math.sqrt(var + eps) * g + b for v, g, b in zip(row, gamma, beta)]
    return out


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=2), d=st.integers(3, 6), seed=st.integers(0, 2**16))
def test_layer_norm_forward_and_gradients(shape, d, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0, 2.0, size=(*shape, d))
    gamma = rng.normal(size=d)
    beta = rng.normal(size=d)
    out, cache = layer_norm_forward(x, gamma, beta)
    assert_allclose(out, reference_layer_norm(x, gamma, beta, 1e-5), rtol=1e-10, atol=1e-12)
    R = rng.normal(size=out.shape)
    dx, dgamma, dbeta = layer_norm_backward(R, cache)
    assert dx.shape == x.shape and dgamma.shape == dbeta.shape == (d,)
    check_grads(lambda: weighted_sum(layer_norm_forward(x, gamma, beta)[0], R), [x, gamma, beta],
                [dx, dgamma, dbeta])


def test_layer_norm_normalises_and_uses_eps():
    rng = np.random.default_rng(0)
    x = rng.normal(5, 3, size=(4, 7, 16))
    out, _ = layer_norm_forward(x, np.ones(16), np.zeros(16))
    assert_allclose(out.mean(axis=-1), 0, atol=1e-12)
    assert_allclose(out.var(axis=-1), 1, rtol=1e-4)  # 1 / (1 + eps / var)
    # a constant row has variance 0: the output is beta, finite, thanks to eps
    out, cache = layer_norm_forward(np.full((2, 3), 7.0), np.ones(3), np.arange(3.0))
    assert_array_equal(out, [[0, 1, 2], [0, 1, 2]])
    dx, _, _ = layer_norm_backward(np.ones((2, 3)), cache)
    assert np.isfinite(dx).all()
    # eps matters for a row of small variance: x = [0, 1e-3] has mean 5e-4 and variance 2.5e-7
    x = np.array([[0.0, 1e-3]])
    a, _ = layer_norm_forward(x, np.ones(2), np.zeros(2))
    b, _ = layer_norm_forward(x, np.ones(2), np.zeros(2), eps=1e-3)
    assert_allclose(a[0], [-1, 1] * np.array(5e-4 / math.sqrt(2.5e-7 + 1e-5)), rtol=1e-12)
    assert_allclose(b[0], [-1, 1] * np.array(5e-4 / math.sqrt(2.5e-7 + 1e-3)), rtol=1e-12)


def test_layer_norm_float32_stays_float32():
    x = np.random.default_rng(0).normal(size=(3, 5, 8)).astype(np.float32)
    g = np.ones(8, np.float32)
    out, cache = layer_norm_forward(x, g, np.zeros(8, np.float32))
    assert out.dtype == np.float32
    assert all(a.dtype == np.float32 for a in layer_norm_backward(np.ones_like(out), cache))
    ref, _ = layer_norm_forward(x.astype(np.float64), g.astype(np.float64), np.zeros(8))
    assert_allclose(out, ref, atol=1e-5)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**16))
def test_layers_compose_in_a_pre_layer_norm_mlp(seed):
    # a block's MLP branch, x + GELU(LN(x) W1 + b1) W2 + b2, checked end to end (how the GPT chains the pairs)
    rng = np.random.default_rng(seed)
    m, d = 3, 4
    x = rng.normal(size=(m, d))
    g, b = rng.normal(size=d), rng.normal(size=d)
    W1, b1, W2, b2 = rng.normal(size=(d, 8)), rng.normal(size=8), rng.normal(size=(8, d)), rng.normal(size=d)
    R = rng.normal(size=(m, d))

    def forward():
        a, c1 = layer_norm_forward(x, g, b)
        z = a @ W1 + b1
        h, c2 = gelu_forward(z)
        return x + h @ W2 + b2, (a, c1, h, c2)

    out, (a, c1, h, c2) = forward()
    dh = R @ W2.T
    dz = gelu_backward(dh, c2)
    dx_ln, dg, db = layer_norm_backward(dz @ W1.T, c1)
    grads = [R + dx_ln, dg, db, a.T @ dz, dz.sum(0), h.T @ R, R.sum(0)]
    check_grads(lambda: weighted_sum(forward()[0], R), [x, g, b, W1, b1, W2, b2], grads)

"""Tests of course_lib.attention (chapter "Attention"): the causal mask, the masked softmax, scaled dot-product and
multi-head attention against loop-by-loop computations, fully masked rows (weights 0, never NaN), permutation
equivariance, causality, and float64 gradient checks (relative error < 1e-7) with and without masks over
hypothesis-generated sizes and seeds."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from course_lib.attention import (
    attention_weights,
    causal_mask,
    masked_softmax,
    merge_heads,
    multi_head_attention_backward,
    multi_head_attention_forward,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
    split_heads,
)
from course_lib.gradcheck import numerical_gradient, relative_error

TOL = 1e-7
EPS = 1e-5  # central differences: truncation error O(EPS**2), round-off O(1e-16 / EPS), both far below TOL
ATOL = 1e-9  # above the round-off of the difference quotients (about 1e-16 |f| / EPS per entry)


def check_grads(f, params, grads, names):
    """Central differences against analytic gradients, array by array: relative error below TOL, or, for an array
    whose gradient is tiny or zero (the key bias: softmax is invariant to adding the same number to every score of
    a row, so its gradient is exactly 0), an absolute error below the round-off floor ATOL, where a relative error
    would only measure round-off."""
    for name, p, g in zip(names, params, grads):
        assert g.shape == p.shape, name
        g_num = numerical_gradient(f, p, EPS)
        err = relative_error(g, g_num)
        assert err < TOL or np.linalg.norm(g - g_num) < ATOL, f"{name}: relative error {err:.2e}"


def reference_attention(Q, K, V, mask=None):
    """Attention for one (Tq, d_k) query matrix, with loops and math.exp."""
    Tq, Tk = Q.shape[0], K.shape[0]
    out = np.zeros((Tq, V.shape[1]))
    for i in range(Tq):
        allowed = [j for j in range(Tk) if mask is None or mask[i, j]]
        if not allowed:
            continue  # nothing to attend to: output 0
        scores = {j: float(Q[i] @ K[j]) / math.sqrt(Q.shape[1]) for j in allowed}
        top = max(scores.values())
        weights = {j: math.exp(s - top) for j, s in scores.items()}
        total = sum(weights.values())
        for j in allowed:
            out[i] += weights[j] / total * V[j]
    return out


def random_mask(rng, Tq, Tk, p_full_row=0.3):
    mask = rng.random((Tq, Tk)) < 0.6
    mask[rng.random(Tq) < p_full_row] = False  # some rows fully masked
    return mask


# ---------------------------------------------------------------------------------------------- the causal mask
def test_causal_mask():
    assert_array_equal(causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    m = causal_mask(5)
    assert m.dtype == bool and m.shape == (5, 5)
    assert m is causal_mask(5)  # shared ...
    with pytest.raises(ValueError, match="read-only"):
        m[0, 1] = True  # ... and read-only
    with pytest.raises(ValueError, match="T must be an integer >= 1; got 0"):
        causal_mask(0)
    with pytest.raises(TypeError, match="T must be an integer"):
        causal_mask(2.0)


# ---------------------------------------------------------------------------------------------- masked softmax
def test_masked_softmax_rows_and_fully_masked_rows():
    rng = np.random.default_rng(0)
    S = rng.normal(size=(2, 4, 5))
    mask = random_mask(rng, 4, 5)
    mask[0] = False
    mask[1] = True
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no invalid-value warning from -inf - -inf
        P = masked_softmax(S.copy(), mask)
    assert np.isfinite(P).all()
    assert_array_equal(P[:, ~mask], 0)
    sums = P.sum(axis=-1)
    assert_allclose(sums[:, mask.any(axis=1)], 1, rtol=1e-12)
    assert_array_equal(sums[:, ~mask.any(axis=1)], 0)
    e = np.exp(S[:, 1])
    assert_allclose(P[:, 1], e / e.sum(axis=-1, keepdims=True), rtol=1e-12)


def test_masked_softmax_is_stable_for_huge_scores():
    S = np.array([[1e4, 1e4 - 1, -1e4], [-1e30, -1e30, 0.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = masked_softmax(S.copy())
    assert_allclose(P[0], [1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1)), 0], rtol=1e-6)
    assert_array_equal(P[1], [0, 0, 1])


# ---------------------------------------------------------------------------------------------- scaled dot-product
@given(lead=st.lists(st.integers(1, 3), max_size=2), Tq=st.integers(1, 5), Tk=st.integers(1, 5),
       dk=st.integers(1, 4), dv=st.integers(1, 4), masked=st.booleans(), seed=st.integers(0, 2**16))
def test_sdpa_forward_matches_loops(lead, Tq, Tk, dk, dv, masked, seed):
    rng = np.random.default_rng(seed)
    Q = rng.normal(size=(*lead, Tq, dk))
    K = rng.normal(size=(*lead, Tk, dk))
    V = rng.normal(size=(*lead, Tk, dv))
    mask = random_mask(rng, Tq, Tk) if masked else None
    out, cache = scaled_dot_product_attention_forward(Q, K, V, mask)
    assert out.shape == (*lead, Tq, dv)
    P = cache[3]
    assert P.shape == (*lead, Tq, Tk)
    for index in np.ndindex(*lead):
        assert_allclose(out[index], reference_attention(Q[index], K[index], V[index], mask), rtol=1e-10, atol=1e-12)
    assert np.isfinite(out).all() and np.isfinite(P).all()


@settings(max_examples=15)
@given(B=st.integers(1, 2), H=st.integers(1, 2), Tq=st.integers(1, 4), Tk=st.integers(1, 4), dk=st.integers(1, 3),
       mask_kind=st.sampled_from(["none", "causal", "random"]), seed=st.integers(0, 2**16))
def test_sdpa_gradients(B, H, Tq, Tk, dk, mask_kind, seed):
    rng = np.random.default_rng(seed)
    Q, K, V = (rng.normal(size=(B, H, n, dk)) for n in (Tq, Tk, Tk))
    if mask_kind == "causal":
        Tk = Tq
        K, V = rng.normal(size=(B, H, Tq, dk)), rng.normal(size=(B, H, Tq, dk))
        mask = causal_mask(Tq)
    else:
        mask = random_mask(rng, Tq, Tk) if mask_kind == "random" else None
    out, cache = scaled_dot_product_attention_forward(Q, K, V, mask)
    R = rng.normal(size=out.shape)
    grads = scaled_dot_product_attention_backward(R, cache)
    check_grads(lambda: float(np.sum(scaled_dot_product_attention_forward(Q, K, V, mask)[0] * R)),
                [Q, K, V], grads, ["Q", "K", "V"])


def test_sdpa_fully_masked_row_gives_zero_output_and_zero_gradient():
    rng = np.random.default_rng(1)
    Q, K, V = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 4))
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, cache = scaled_dot_product_attention_forward(Q, K, V, mask)
        dQ, dK, dV = scaled_dot_product_attention_backward(np.ones_like(out), cache)
    assert not np.isnan(out).any()
    assert_array_equal(out[:, 1], 0)
    assert_array_equal(cache[3][:, 1], 0)
    assert_array_equal(dQ[:, 1], 0)
    # every key masked for every query
    out, _ = scaled_dot_product_attention_forward(Q, K, V, np.zeros((3, 5), dtype=bool))
    assert_array_equal(out, 0)


def test_sdpa_broadcast_mask_and_float32():
    rng = np.random.default_rng(2)
    Q, K, V = (rng.normal(size=(2, 3, 4, 8)).astype(np.float32) for _ in range(3))
    mask = rng.random((2, 1, 4, 4)) < 0.7  # one mask per sample, shared by the heads
    out, cache = scaled_dot_product_attention_forward(Q, K, V, mask)
    assert out.dtype == np.float32
    for b in range(2):
        for h in range(3):
            assert_allclose(out[b, h], reference_attention(Q[b, h], K[b, h], V[b, h], mask[b, 0]), atol=1e-5)
    grads = scaled_dot_product_attention_backward(np.ones_like(out), cache)
    assert [g.dtype for g in grads] == [np.float32] * 3


def test_sdpa_scaling_keeps_score_variance_near_one():
    # with unit-variance queries and keys, q.k has variance d_k; divided by sqrt(d_k) it has variance 1
    rng = np.random.default_rng(3)
    dk = 64
    Q, K = rng.normal(size=(2000, dk)), rng.normal(size=(2000, dk))
    scores = np.einsum("ij,ij->i", Q, K)
    assert 0.9 * dk < scores.var() < 1.1 * dk
    assert 0.9 < (scores / math.sqrt(dk)).var() < 1.1


def test_attention_argument_errors():
    Q = np.zeros((2, 3))
    with pytest.raises(TypeError, match="mask must be a boolean array.*float64"):
        scaled_dot_product_attention_forward(Q, Q, Q, np.ones((2, 2)))
    x = np.zeros((1, 2, 6))
    weights = mha_weights(np.random.default_rng(0), 6)
    with pytest.raises(ValueError, match=r"n_heads must divide the width of x; got n_heads = 4 and x.shape\[-1\] = 6"):
        multi_head_attention_forward(x, *weights, 4)
    with pytest.raises(TypeError, match="mask must be a boolean array.*int64"):
        multi_head_attention_forward(x, *weights, 2, [[1, 0], [1, 1]])
    out, _ = multi_head_attention_forward(x, *weights, 2, [[True, False], [True, True]])  # a list is fine
    assert_allclose(out, multi_head_attention_forward(x, *weights, 2, causal_mask(2))[0], rtol=1e-15)


# ---------------------------------------------------------------------------------------------- multi-head
def mha_weights(rng, d, scale=0.5):
    return [rng.normal(0, scale, size=(d, d) if i % 2 == 0 else d) for i in range(8)]


def reference_mha(x, weights, n_heads, mask):
    Wq, bq, Wk, bk, Wv, bv, Wo, bo = weights
    B, T, d = x.shape
    dk = d // n_heads
    out = np.zeros_like(x)
    for b in range(B):
        Q, K, V = x[b] @ Wq + bq, x[b] @ Wk + bk, x[b] @ Wv + bv
        heads = [reference_attention(Q[:, h * dk:(h + 1) * dk], K[:, h * dk:(h + 1) * dk], V[:, h * dk:(h + 1) * dk],
                                     mask) for h in range(n_heads)]
        out[b] = np.concatenate(heads, axis=1) @ Wo + bo
    return out


@given(B=st.integers(1, 3), T=st.integers(1, 5), H=st.integers(1, 3), dk=st.integers(1, 3), causal=st.booleans(),
       seed=st.integers(0, 2**16))
def test_mha_forward_matches_loops(B, T, H, dk, causal, seed):
    rng = np.random.default_rng(seed)
    d = H * dk
    x = rng.normal(size=(B, T, d))
    weights = mha_weights(rng, d)
    mask = causal_mask(T) if causal else None
    out, cache = multi_head_attention_forward(x, *weights, H, mask)
    assert out.shape == (B, T, d)
    assert_allclose(out, reference_mha(x, weights, H, mask), rtol=1e-10, atol=1e-12)
    P = attention_weights(cache)
    assert P.shape == (B, H, T, T)
    assert_allclose(P.sum(axis=-1), 1, rtol=1e-12)
    if causal:
        assert_array_equal(P[..., ~causal_mask(T)], 0)


@settings(max_examples=15)
@given(B=st.integers(1, 2), T=st.integers(1, 4), H=st.integers(1, 3), dk=st.integers(1, 3),
       mask_kind=st.sampled_from(["none", "causal", "random"]), seed=st.integers(0, 2**16))
def test_mha_gradients(B, T, H, dk, mask_kind, seed):
    rng = np.random.default_rng(seed)
    d = H * dk
    x = rng.normal(size=(B, T, d))
    weights = mha_weights(rng, d)
    mask = {"none": None, "causal": causal_mask(T), "random": random_mask(rng, T, T)}[mask_kind]
    out, cache = multi_head_attention_forward(x, *weights, H, mask)
    R = rng.normal(size=out.shape)
    grads = multi_head_attention_backward(R, cache)
    assert len(grads) == 9
    check_grads(lambda: float(np.sum(multi_head_attention_forward(x, *weights, H, mask)[0] * R)),
                [x, *weights], grads, ["x", "Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo"])


def test_key_bias_gradient_is_zero():
    # softmax(s + c) = softmax(s): a key bias adds q_i . b_k to every score of row i, so it cannot change anything
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 4, 6))
    out, cache = multi_head_attention_forward(x, *mha_weights(rng, 6), 2, causal_mask(4))
    dbk = multi_head_attention_backward(rng.normal(size=out.shape), cache)[4]
    assert np.abs(dbk).max() < 1e-12


def test_mha_without_mask_is_permutation_equivariant():
    # without position information, permuting the tokens permutes the outputs the same way (chapter "Attention")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 6, 8))
    weights = mha_weights(rng, 8)
    perm = rng.permutation(6)
    out, _ = multi_head_attention_forward(x, *weights, 2, None)
    out_perm, _ = multi_head_attention_forward(x[:, perm], *weights, 2, None)
    assert_allclose(out_perm, out[:, perm], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mha_causal_outputs_ignore_the_future_bitwise(dtype):
    rng = np.random.default_rng(6)
    B, T, d = 4, 16, 32
    x = rng.normal(size=(B, T, d)).astype(dtype)
    weights = [w.astype(dtype) for w in mha_weights(rng, d, 0.3)]
    out, _ = multi_head_attention_forward(x, *weights, 4, causal_mask(T))
    for t in (0, 7, 14):
        changed = x.copy()
        changed[:, t + 1:] = rng.normal(size=changed[:, t + 1:].shape)
        out2, _ = multi_head_attention_forward(changed, *weights, 4, causal_mask(T))
        assert np.array_equal(out2[:, :t + 1], out[:, :t + 1])
        assert not np.array_equal(out2[:, t + 1:], out[:, t + 1:])


def test_split_and_merge_heads():
    x = np.arange(2 * 3 * 6).reshape(2, 3, 6)
    heads = split_heads(x, 3)
    assert heads.shape == (2, 3, 3, 2)
    assert_array_equal(heads[1, 2, 0], x[1, 0, 4:6])  # head 2 holds columns 4:6
    assert_array_equal(merge_heads(heads), x)

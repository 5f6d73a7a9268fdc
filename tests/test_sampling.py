"""Tests of course_lib.sampling (chapter "A GPT from scratch"): temperature, top-k (exactly k kept), top-p (the
minimal nucleus, Holtzman et al. 2020), greedy decoding, sampling frequencies against the distribution, and bad
inputs."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from course_lib.sampling import apply_temperature, greedy, sample_next, top_k_filter, top_p_filter


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


logits_rows = st.integers(1, 12).flatmap(
    lambda V: st.lists(st.lists(st.integers(-6, 6), min_size=V, max_size=V), min_size=1, max_size=3)
)  # small integers: ties are frequent


# ---------------------------------------------------------------------------------------------- temperature, greedy
def test_apply_temperature():
    z = np.array([[1.0, 2.0, 4.0]])
    assert_array_equal(apply_temperature(z, 2.0), z / 2)
    assert_array_equal(apply_temperature(z, 1), z)
    p_cold, p_hot = softmax(apply_temperature(z, 0.5)), softmax(apply_temperature(z, 5.0))
    assert p_cold.max() > softmax(z).max() > p_hot.max()  # colder is sharper
    assert_allclose(p_cold, softmax(z) ** 2 / (softmax(z) ** 2).sum(), rtol=1e-12)  # p ** (1 / tau)


def test_greedy_is_argmax_with_first_index_on_ties():
    z = np.array([[0.0, 3.0, 3.0, 1.0], [5.0, -1.0, 0.0, 5.0]])
    assert_array_equal(greedy(z), [1, 0])
    assert greedy(np.array([0.0, 2.0])) == 1


# ---------------------------------------------------------------------------------------------- top-k
@given(rows=logits_rows, k=st.integers(1, 14))
def test_top_k_keeps_exactly_k_largest(rows, k):
    z = np.array(rows, dtype=np.float64)
    out = top_k_filter(z, k)
    kept = np.isfinite(out)
    V = z.shape[1]
    assert_array_equal(kept.sum(axis=1), min(k, V))
    assert_array_equal(out[kept], z[kept])  # kept logits unchanged
    for row, keep in zip(z, kept):
        if keep.all():
            continue
        assert row[keep].min() >= row[~keep].max()  # nothing dropped is larger than something kept
        # ties at the boundary: the lower indices win
        boundary = row[keep].min()
        tied = np.flatnonzero(row == boundary)
        assert keep[tied].tolist() == sorted(keep[tied].tolist(), reverse=True)


def test_top_k_one_is_greedy_and_large_k_keeps_all():
    z = np.array([[0.1, 0.9, 0.9, -3.0]])
    assert_array_equal(np.isfinite(top_k_filter(z, 1)), [[False, True, False, False]])
    assert_array_equal(top_k_filter(z, 4), z)
    assert_array_equal(top_k_filter(z, 100), z)


# ---------------------------------------------------------------------------------------------- top-p
@given(rows=logits_rows, p=st.floats(0.01, 1.0))
def test_top_p_keeps_the_minimal_nucleus(rows, p):
    z = np.array(rows, dtype=np.float64) / 2
    out = top_p_filter(z, p)
    kept = np.isfinite(out)
    assert_array_equal(out[kept], z[kept])
    probs = softmax(z)
    for row_p, keep in zip(probs, kept):
        assert keep.any()
        mass = row_p[keep].sum()
        assert mass >= p - 1e-12 or keep.all()  # enough mass ...
        assert mass - row_p[keep].min() < p + 1e-12  # ... and minimal: without its least probable token it is not
        if not keep.all():
            assert row_p[keep].min() >= row_p[~keep].max()  # the most probable tokens


def test_top_p_examples():
    z = np.log(np.array([[0.5, 0.3, 0.15, 0.05]]))
    assert_array_equal(np.isfinite(top_p_filter(z, 0.5)), [[True, False, False, False]])  # 0.5 >= 0.5
    assert_array_equal(np.isfinite(top_p_filter(z, 0.51)), [[True, True, False, False]])
    assert_array_equal(np.isfinite(top_p_filter(z, 0.9)), [[True, True, True, False]])
    assert_array_equal(np.isfinite(top_p_filter(z, 1.0)), [[True] * 4])
    assert_array_equal(np.isfinite(top_p_filter(z, 1e-9)), [[True, False, False, False]])  # at least one
    # order does not matter
    perm = [2, 0, 3, 1]
    assert_array_equal(np.isfinite(top_p_filter(z[:, perm], 0.9)), [[True, True, False, True]])


# ---------------------------------------------------------------------------------------------- sampling
def frequencies(ids, V):
    return np.bincount(ids, minlength=V) / len(ids)


def assert_frequencies_match(ids, probs, n):
    """Every frequency within 5 standard errors of its probability (a loose, chi-square-free check that a wrong
    distribution fails: a 0.02 bias is 0.02 / sqrt(0.25 / n) = 13 standard errors at n = 100,000)."""
    freq = frequencies(ids, len(probs))
    se = np.sqrt(probs * (1 - probs) / n) + 1e-12
    assert np.all(np.abs(freq - probs) <= 5 * se + 1e-9), (freq, probs)


def test_sampling_frequencies_match_the_distribution():
    n = 100_000
    z = np.log(np.array([0.5, 0.25, 0.15, 0.07, 0.03]))
    rng = np.random.default_rng(0)
    ids = sample_next(np.tile(z, (n, 1)), rng=rng)
    assert ids.shape == (n,) and ids.dtype == np.int64
    assert_frequencies_match(ids, softmax(z), n)
    # temperature 2: p ** (1/2), renormalised
    ids = sample_next(np.tile(z, (n, 1)), temperature=2.0, rng=rng)
    assert_frequencies_match(ids, softmax(z / 2), n)


def test_filtered_sampling_frequencies_and_removed_tokens():
    n = 100_000
    z = np.log(np.array([0.05, 0.5, 0.15, 0.25, 0.05]))
    rng = np.random.default_rng(1)
    ids = sample_next(np.tile(z, (n, 1)), top_k=2, rng=rng)
    expected = np.array([0, 0.5, 0, 0.25, 0]) / 0.75
    assert set(np.unique(ids)) == {1, 3}
    assert_frequencies_match(ids, expected, n)
    ids = sample_next(np.tile(z, (n, 1)), top_p=0.8, rng=rng)  # 0.5 + 0.25 < 0.8: add 0.15
    expected = np.array([0, 0.5, 0.15, 0.25, 0]) / 0.9
    assert set(np.unique(ids)) == {1, 2, 3}
    assert_frequencies_match(ids, expected, n)


def test_zero_probability_tokens_are_never_drawn():
    z = np.array([-np.inf, 0.0, -np.inf, 0.0, -np.inf])
    ids = sample_next(np.tile(z, (20_000, 1)), rng=np.random.default_rng(2))
    assert set(np.unique(ids)) == {1, 3}
    assert sample_next(np.array([-np.inf, 3.0]), rng=np.random.default_rng(0)) == 1


def test_greedy_limits_and_reproducibility():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(50, 30))
    best = z.argmax(axis=1)
    assert_array_equal(sample_next(z, top_k=1), best)  # no rng needed
    assert_array_equal(sample_next(z, temperature=1e-8, rng=rng), best)
    assert_array_equal(sample_next(z, top_p=1e-9, rng=rng), best)
    a = sample_next(z, rng=np.random.default_rng(7))
    b = sample_next(z, rng=np.random.default_rng(7))
    assert_array_equal(a, b)
    assert not np.array_equal(a, sample_next(z, rng=np.random.default_rng(8)))
    one = sample_next(z[0], rng=np.random.default_rng(7))
    assert one.shape == () and one == a[0]  # a 1-D row draws the same as the first row of a batch


# ---------------------------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda z: apply_temperature(z, 0), ValueError, "temperature must be a finite number > 0; got 0"),
        (lambda z: apply_temperature(z, -1.0), ValueError, "temperature must be"),
        (lambda z: apply_temperature(z, math.inf), ValueError, "temperature must be"),
        (lambda z: apply_temperature(z, "hot"), TypeError, "temperature must be a number"),
        (lambda z: top_k_filter(z, 0), ValueError, "top_k must be an integer >= 1; got 0"),
        (lambda z: top_k_filter(z, 1.5), TypeError, "top_k must be an integer"),
        (lambda z: top_k_filter(z, True), TypeError, "top_k must be an integer"),
        (lambda z: top_p_filter(z, 0.0), ValueError, r"top_p must be in \(0, 1\]; got 0.0"),
        (lambda z: top_p_filter(z, 1.5), ValueError, r"top_p must be in \(0, 1\]"),
        (lambda z: top_p_filter(z, "0.9"), TypeError, "top_p must be a number"),
        (lambda z: sample_next(z), TypeError, "rng must be a numpy.random.Generator"),
        (lambda z: sample_next(z, rng=0), TypeError, "rng must be a numpy.random.Generator"),
        (lambda z: sample_next(z[None]), ValueError, r"logits must have shape \(V,\) or \(B, V\)"),
        (lambda z: sample_next(np.zeros((2, 0))), ValueError, "logits must have shape"),
        (lambda z: sample_next(z * np.nan, rng=np.random.default_rng()), ValueError, "NaN"),
        (lambda z: sample_next(np.full((2, 3), -np.inf), rng=np.random.default_rng()), ValueError,
         "every entry is -inf"),
        (lambda z: sample_next(["a", "b"], rng=np.random.default_rng()), TypeError, "logits must be a numeric"),
        (lambda z: greedy([[1, 2], [3]]), TypeError, "logits must be a numeric"),
    ],
)
def test_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))

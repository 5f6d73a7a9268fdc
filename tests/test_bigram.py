"""course_lib.bigram.BigramModel and course_lib.metrics.perplexity."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.bigram import BigramModel
from course_lib.metrics import perplexity


def test_small_example():
    model = BigramModel(3, alpha=0.0).fit([0, 1, 0, 2, 0, 1])
    assert model.counts.tolist() == [[0, 2, 1], [1, 0, 0], [1, 0, 0]]
    np.testing.assert_allclose(model.probs, [[0, 2 / 3, 1 / 3], [1, 0, 0], [1, 0, 0]])
    model = BigramModel(3, alpha=1.0).fit([0, 1, 0, 2, 0, 1])
    np.testing.assert_allclose(model.probs, [[1 / 6, 3 / 6, 2 / 6], [2 / 4, 1 / 4, 1 / 4], [2 / 4, 1 / 4, 1 / 4]])


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 12), st.floats(0.0, 5.0), st.integers(2, 200), st.integers(0, 2**32 - 1))
def test_rows_sum_to_one_and_nll_is_direct(V, alpha, N, seed):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, V, size=N)
    model = BigramModel(V, alpha=alpha).fit(ids)
    assert model.log_probs.shape == (V, V) and model.counts.sum() == N - 1
    np.testing.assert_allclose(model.probs.sum(axis=1), 1.0, rtol=1e-12)
    # direct computation, one pair at a time
    counts = np.zeros((V, V))
    for a, b in zip(ids[:-1], ids[1:]):
        counts[a, b] += 1
    assert (counts == model.counts).all()
    terms = []
    for a, b in zip(ids[:-1], ids[1:]):
        row = counts[a] + alpha
        p = row[b] / row.sum()
        terms.append(-math.log(p))
    assert model.nll(ids) == pytest.approx(np.mean(terms), rel=1e-12)


def test_uniform_model_has_nll_ln_v():
    V = 65
    ids = np.random.default_rng(0).integers(0, V, size=1000)
    model = BigramModel(V, alpha=1.0).fit(np.array([0, 0]))  # almost no data: nearly uniform
    assert model.nll(ids) == pytest.approx(math.log(V), abs=0.02)
    empty = BigramModel(V, alpha=1.0).fit(np.empty((0, 2), dtype=np.int64))  # no pairs at all: exactly uniform
    assert empty.nll(ids) == pytest.approx(math.log(V), rel=1e-12)
    assert perplexity(empty.nll(ids)) == pytest.approx(V)


def test_alpha_smooths():
    V = 5
    ids = np.array([0, 1, 0, 1, 0, 1, 2])
    unseen = np.array([0, 2])  # 0 is always followed by 1 in training
    nlls = [BigramModel(V, alpha=a).fit(ids).nll(unseen) for a in (0.0, 0.01, 1.0, 100.0, 1e6)]
    assert nlls[0] == math.inf  # an unseen pair has probability 0 without smoothing
    assert nlls[1] > nlls[2] > nlls[3] > nlls[4] > math.log(V) - 1e-3
    assert nlls[4] == pytest.approx(math.log(V), abs=1e-4)  # alpha -> infinity: uniform
    # on the training pairs, smoothing costs likelihood
    train = [BigramModel(V, alpha=a).fit(ids).nll(ids) for a in (0.0, 1.0, 100.0)]
    assert train[0] < train[1] < train[2]
    # alpha = 0 is the maximum-likelihood estimate: the lowest training loss
    assert BigramModel(V, alpha=0.0).fit(ids).nll(ids) == pytest.approx(-np.mean(np.log([1, 2 / 3, 1, 2 / 3, 1, 1 / 3])))


def test_rows_are_sequences():
    model = BigramModel(4, alpha=0.0).fit(np.array([[0, 1], [2, 3]]))
    assert model.counts.sum() == 2 and model.counts[1, 2] == 0  # no pair across rows
    assert model.nll(np.array([[0, 1], [2, 3]])) == 0.0
    # a token never followed by anything gets the uniform row when alpha = 0
    np.testing.assert_allclose(model.probs[3], 0.25)


def test_sample():
    model = BigramModel(3, alpha=0.0).fit([0, 1, 2, 0, 1, 2, 0])
    ids = model.sample(10, start_id=1, seed=0)
    assert ids.dtype == np.int64 and ids.shape == (11,)
    assert ids.tolist() == [1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]  # a deterministic cycle
    rng_model = BigramModel(4, alpha=1.0).fit(np.random.default_rng(1).integers(0, 4, size=500))
    a = rng_model.sample(200, 0, seed=3)
    assert (a == rng_model.sample(200, 0, seed=3)).all()
    assert not (a == rng_model.sample(200, 0, seed=4)).all()
    assert model.sample(0, 2, seed=0).tolist() == [2]


def test_sample_frequencies():
    P = np.array([[0.1, 0.9], [0.7, 0.3]])
    rows = [[0, 0]] * 1 + [[0, 1]] * 9 + [[1, 0]] * 7 + [[1, 1]] * 3  # pairs counted within rows only
    model = BigramModel(2, alpha=0.0).fit(np.array(rows))
    np.testing.assert_allclose(model.probs, P)  # a known table
    ids = model.sample(40_000, 0, seed=0)
    pairs = BigramModel(2, alpha=0.0).fit(ids).probs
    np.testing.assert_allclose(pairs, P, atol=0.02)


def test_bad_input():
    with pytest.raises(ValueError, match="vocab_size"):
        BigramModel(0)
    with pytest.raises(ValueError, match="alpha"):
        BigramModel(3, alpha=-1.0)
    with pytest.raises(TypeError, match="alpha"):
        BigramModel(3, alpha="1")
    model = BigramModel(3)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.nll([0, 1])
    with pytest.raises(RuntimeError, match="not fitted"):
        model.sample(3)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.log_probs
    with pytest.raises(ValueError, match=r"\[0, 3\).*for example 3"):
        model.fit([0, 1, 3])
    with pytest.raises(ValueError, match="at least 2 tokens"):
        model.fit([1])
    with pytest.raises(TypeError, match="integer token ids"):
        model.fit([0.0, 1.0])
    with pytest.raises(TypeError, match="encode it first"):
        model.fit("abc")
    model.fit([0, 1, 2])
    with pytest.raises(ValueError, match="start_id"):
        model.sample(3, start_id=3)
    with pytest.raises(ValueError, match="n_tokens"):
        model.sample(-1)
    with pytest.raises(ValueError, match="ids must hold token ids"):
        model.nll([0, -1])


def test_perplexity():
    assert perplexity(0.0) == 1.0
    assert perplexity(math.log(65)) == pytest.approx(65)
    assert perplexity(np.float32(1.0)) == pytest.approx(math.e)
    assert perplexity(np.array(2.0)) == pytest.approx(math.exp(2))
    assert perplexity(1000.0) == math.inf
    for bad in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="mean_nll"):
            perplexity(bad)
    for bad in ("1", None, True, [1.0]):
        with pytest.raises(TypeError, match="mean_nll"):
            perplexity(bad)


def test_sparse_storage_matches_the_dense_table():
    """nll and sample look entries up in the sorted pairs; the result equals the dense table's."""
    rng = np.random.default_rng(0)
    V = 300
    ids = rng.integers(0, V, size=2_000)
    for alpha in (0.0, 0.5):
        model = BigramModel(V, alpha=alpha).fit(ids)
        assert len(model.pairs) <= len(ids) - 1 and model.pair_counts.sum() == len(ids) - 1
        dense = model.counts
        assert np.count_nonzero(dense) == len(model.pairs) and (dense.sum(axis=1) == model.totals).all()
        with np.errstate(divide="ignore"):  # log 0 = -inf for unseen pairs without smoothing
            table = np.log((dense + alpha) / np.maximum(dense.sum(axis=1, keepdims=True) + alpha * V, 1e-300))
        table[dense.sum(axis=1) + alpha * V == 0] = -np.log(V)
        np.testing.assert_allclose(model.log_probs, table, rtol=1e-12)
        seen = ids[:1001]  # pairs of the training text: finite even without smoothing
        assert model.nll(seen) == pytest.approx(-table[seen[:-1], seen[1:]].mean(), rel=1e-12)
    sample = BigramModel(V, alpha=0.0).fit(ids).sample(500, start_id=int(ids[0]), seed=0)
    assert np.isin(sample[:-1] * V + sample[1:], model.pairs).all()  # alpha = 0 only follows seen pairs

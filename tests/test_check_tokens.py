"""The exercise checks of chapter "Tokens and embeddings" (course_lib/check/tokens.py).

For each check: correct implementations pass; typical mistakes raise CheckFailed with a message naming the
mistake; a stub that still raises NotImplementedError gets "not done yet".
"""

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed


def stub(*args):
    raise NotImplementedError


def test_registered_under_the_chapters_labels():
    assert check.REGISTRY["ex-tokens-bpe-merge"] is check.bpe_merge
    assert check.REGISTRY["ex-tokens-bigram-nll"] is check.bigram_nll
    assert check.REGISTRY["ex-tokens-embedding-grad"] is check.embedding_grad


@pytest.mark.parametrize("name", ["bpe_merge", "bigram_nll", "embedding_grad"])
def test_stub_not_done(name):
    with pytest.raises(CheckFailed, match="not done yet"):
        getattr(check, name)(stub)


# ------------------------------------------------------------------------------------------- BPE merge
def merge(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i < len(ids) - 1 and (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def merge_numpy(ids, pair, new_id):
    """Correct too, returning a NumPy array (a vectorised scan is hard; this one loops over matches)."""
    ids = np.asarray(ids, dtype=np.int64)
    return np.array(merge(list(ids), pair, new_id), dtype=np.int64)


def merge_no_skip(ids, pair, new_id):
    return [new_id if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair) else x for i, x in enumerate(ids)]


def merge_right_to_left(ids, pair, new_id):
    return merge(ids[::-1], pair[::-1], new_id)[::-1]


def merge_first_only(ids, pair, new_id):
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == tuple(pair):
            return ids[:i] + [new_id] + ids[i + 2:]
    return list(ids)


def merge_drops_last(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def merge_in_place(ids, pair, new_id):
    result = merge(ids, pair, new_id)
    ids[:] = result
    return ids


def merge_returns_nothing(ids, pair, new_id):
    merge(ids, pair, new_id)


def merge_via_bytes_replace(ids, pair, new_id):
    """A str.replace trick that ignores the pair's order: matches (b, a) as well."""
    out = merge(ids, pair, new_id)
    return merge(out, pair[::-1], new_id)


def test_bpe_merge_correct(capsys):
    check.bpe_merge(merge)
    check.bpe_merge(merge_numpy)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize("fn, words", [
    (merge_no_skip, "skip both ids"),
    (merge_right_to_left, "right to left"),
    (merge_first_only, "only the first occurrence"),
    (merge_drops_last, "last id is missing"),
    (merge_in_place, "changed the list"),
    (merge_returns_nothing, "return"),
    (merge_via_bytes_replace, "expected"),
])
def test_bpe_merge_mistakes(fn, words):
    with pytest.raises(CheckFailed, match=words):
        check.bpe_merge(fn)


# ------------------------------------------------------------------------------------------- bigram NLL
def nll(counts, ids, alpha):
    V = counts.shape[0]
    P = (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha * V)
    ids = np.asarray(ids)
    return -np.mean(np.log(P[ids[:-1], ids[1:]]))


def nll_loop(counts, ids, alpha):
    """Correct too: a plain loop over the pairs, returning a Python float."""
    V = len(counts)
    total = 0.0
    for a, b in zip(ids[:-1], ids[1:]):
        total -= np.log((counts[a][b] + alpha) / (sum(counts[a]) + alpha * V))
    return float(total / (len(ids) - 1))


def nll_columns(counts, ids, alpha):
    V = counts.shape[0]
    P = (counts + alpha) / (counts.sum(axis=0, keepdims=True) + alpha * V)
    ids = np.asarray(ids)
    return -np.mean(np.log(P[ids[:-1], ids[1:]]))


def nll_swapped(counts, ids, alpha):
    V = counts.shape[0]
    P = (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha * V)
    ids = np.asarray(ids)
    return -np.mean(np.log(P[ids[1:], ids[:-1]]))


def nll_no_alpha_v(counts, ids, alpha):
    P = (counts + alpha) / counts.sum(axis=1, keepdims=True)
    ids = np.asarray(ids)
    return -np.mean(np.log(P[ids[:-1], ids[1:]]))


def nll_bits(counts, ids, alpha):
    return nll(counts, ids, alpha) / np.log(2)


def nll_sum(counts, ids, alpha):
    return nll(counts, ids, alpha) * (len(ids) - 1)


def nll_perplexity(counts, ids, alpha):
    return np.exp(nll(counts, ids, alpha))


def nll_divides_by_n(counts, ids, alpha):
    return nll(counts, ids, alpha) * (len(ids) - 1) / len(ids)


def nll_in_place(counts, ids, alpha):
    counts += 1  # e.g. add-one smoothing written into the caller's table
    return nll(counts - 1, ids, alpha)


def nll_per_pair(counts, ids, alpha):
    V = counts.shape[0]
    P = (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha * V)
    ids = np.asarray(ids)
    return -np.log(P[ids[:-1], ids[1:]])


def test_bigram_nll_correct(capsys):
    check.bigram_nll(nll)
    check.bigram_nll(nll_loop)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize("fn, words", [
    (nll_columns, "COLUMNS"),
    (nll_swapped, r"P\(previous \| next\)"),
    (nll_no_alpha_v, "alpha \\* V"),
    (nll_bits, "bits"),
    (nll_sum, "SUM"),
    (nll_perplexity, "perplexity"),
    (nll_divides_by_n, "n - 1"),
    (nll_in_place, "changed the count table"),
    (nll_per_pair, "one number"),
])
def test_bigram_nll_mistakes(fn, words):
    with pytest.raises(CheckFailed, match=words):
        check.bigram_nll(fn)


# ------------------------------------------------------------------------------------------- embedding grad
def grad(dout, ids, vocab_size):
    dE = np.zeros((vocab_size, dout.shape[-1]))
    np.add.at(dE, ids.reshape(-1), dout.reshape(-1, dout.shape[-1]))
    return dE


def grad_onehot(dout, ids, vocab_size):
    """Correct too: the one-hot matrix product of the chapter."""
    onehot = np.eye(vocab_size)[ids.reshape(-1)]
    return onehot.T @ dout.reshape(-1, dout.shape[-1])


def grad_fancy_plus(dout, ids, vocab_size):
    dE = np.zeros((vocab_size, dout.shape[-1]))
    dE[ids.reshape(-1)] += dout.reshape(-1, dout.shape[-1])
    return dE


def grad_fancy_assign(dout, ids, vocab_size):
    dE = np.zeros((vocab_size, dout.shape[-1]))
    dE[ids.reshape(-1)] = dout.reshape(-1, dout.shape[-1])
    return dE


def grad_transposed(dout, ids, vocab_size):
    return grad(dout, ids, vocab_size).T


def grad_per_position(dout, ids, vocab_size):
    return dout


def grad_counts(dout, ids, vocab_size):
    return grad(np.ones_like(dout), ids, vocab_size)


def grad_none(dout, ids, vocab_size):
    grad(dout, ids, vocab_size)


def test_embedding_grad_correct(capsys):
    check.embedding_grad(grad)
    check.embedding_grad(grad_onehot)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize("fn, words", [
    (grad_fancy_plus, "np.add.at"),
    (grad_fancy_assign, "repeated ids"),
    (grad_transposed, "transpose"),
    (grad_per_position, "POSITION"),
    (grad_counts, "counts the occurrences"),
    (grad_none, "return"),
])
def test_embedding_grad_mistakes(fn, words):
    with pytest.raises(CheckFailed, match=words):
        check.embedding_grad(fn)

r"""Checks for the exercises of chapter "Tokens and embeddings" (``book/19-tokens-embeddings.md``).

- :func:`bpe_merge`: ``bpe_merge(ids, pair, new_id)`` is one merge step of byte-pair encoding: scan ``ids``
  from left to right and replace every non-overlapping occurrence of the two ids ``pair = (a, b)`` by
  ``new_id``; ``[a, a, a]`` with ``pair = (a, a)`` gives ``[new_id, a]``. The input list is left unchanged.
- :func:`bigram_nll`: ``bigram_nll(counts, ids, alpha)`` is the mean negative log-likelihood, in nats, of the
  sequence ``ids`` under the add-:math:`\alpha` bigram model of the count table ``counts`` (``counts[a, b]`` =
  how often ``b`` followed ``a`` in the training text):

  .. math:: P(b \mid a) = \frac{C_{ab} + \alpha}{\sum_{b'} C_{ab'} + \alpha V}, \qquad
            \text{NLL} = -\frac{1}{n-1} \sum_{t=1}^{n-1} \ln P(x_t \mid x_{t-1}).

- :func:`embedding_grad`: ``embedding_grad(dout, ids, vocab_size)`` is the gradient of the loss with respect
  to the embedding table :math:`E` (shape ``(vocab_size, d)``) when ``out = E[ids]``: row :math:`v` is the
  sum of ``dout`` over the positions where ``ids == v`` (a scatter-add, ``np.add.at``), zero for ids that do
  not occur.

Each check compares the student's function with a direct computation and, for the typical mistakes, says which
one it looks like.
"""

from __future__ import annotations

import numpy as np

from ..tokenizers import merge_pair
from ._core import CheckFailed, exercise_check, expect_shape, is_close

__all__ = ["bpe_merge", "bigram_nll", "embedding_grad"]


# ------------------------------------------------------------------------------------------- one BPE merge
def _merge(ids, pair, new_id):
    """The reference answer: course_lib's own merge step (tested against minbpe's rule in tests/test_tokenizers.py)."""
    return merge_pair(list(ids), tuple(pair), new_id)


def _merge_right_to_left(ids, pair, new_id):
    return _merge(ids[::-1], pair[::-1], new_id)[::-1]


def _merge_first_only(ids, pair, new_id):
    for i in range(len(ids) - 1):
        if ids[i] == pair[0] and ids[i + 1] == pair[1]:
            return list(ids[:i]) + [new_id] + list(ids[i + 2:])
    return list(ids)


def _merge_no_skip(ids, pair, new_id):
    """Replace the first element of every match but keep the second (no i += 2)."""
    return [new_id if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1] else x
            for i, x in enumerate(ids)]


def _as_int_list(got):
    if got is None:
        return None
    if isinstance(got, (str, bytes)) or not hasattr(got, "__len__"):
        return None
    try:
        arr = np.asarray(got)
    except (TypeError, ValueError):
        return None
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        return None
    return [int(v) for v in arr]


@exercise_check("ex-tokens-bpe-merge", "Exercise: one BPE merge step")
def bpe_merge(student_fn):
    """Check ``student_fn(ids, pair, new_id) -> list[int]`` on overlapping, repeated and boundary cases."""
    a, b, c, d = 97, 98, 99, 100  # the bytes of "abcd"
    cases = [
        ("the textbook string 'aaabdaaabac' and the pair (a, a)", list(b"aaabdaaabac"), (a, a), 256),
        ("'aaa' and the pair (a, a): the matches overlap", [a, a, a], (a, a), 256),
        ("'aaaa' and the pair (a, a)", [a, a, a, a], (a, a), 300),
        ("'abcabcab' and the pair (a, b): three occurrences, one at the end", [a, b, c, a, b, c, a, b], (a, b), 257),
        ("'abab' and the pair (b, a): the order of the pair matters", [a, b, a, b], (b, a), 258),
        ("'dcba' and the pair (a, b): no occurrence", [d, c, b, a], (a, b), 259),
        ("an empty list", [], (a, b), 260),
        ("a single id", [a], (a, a), 261),
        ("ids that are merged tokens themselves, [256, 256, 97, 256, 256] and the pair (256, 256)",
         [256, 256, 97, 256, 256], (256, 256), 262),
    ]
    for what, ids, pair, new_id in cases:
        original = list(ids)
        got = student_fn(ids, pair, new_id)
        label = f"bpe_merge on {what}"
        if ids != original:
            raise CheckFailed(f"{label} changed the list it was given (now {ids}). Build a new list and return "
                              "it: the caller still needs the old ids (for example to count pairs again).")
        got_list = _as_int_list(got)
        if got_list is None:
            raise CheckFailed(f"{label} should return a list of int ids; got {type(got).__name__} {got!r:.80}"
                              f"{' (does your function `return` its result?)' if got is None else ''}.")
        want = _merge(original, pair, new_id)
        if got_list == want:
            continue
        mistakes = [
            (_merge_no_skip(original, pair, new_id),
             "you replaced the first id of each match but kept the second. After a merge, skip both ids "
             "(i += 2); the new list is one id shorter per merge."),
            (_merge_right_to_left(original, pair, new_id),
             "you scanned from right to left. Scan from the LEFT: in 'aaa' the pair (a, a) at positions 0 and "
             "1 is merged, giving [new_id, a]."),
            (_merge_first_only(original, pair, new_id),
             "you merged only the first occurrence. Replace EVERY non-overlapping occurrence, left to right."),
            (want[:-1] if want and (not original or original[-1] == want[-1]) else None,
             "the last id is missing. When the scan reaches the last position there is no pair left: append "
             "that id as it is."),
        ]
        for wrong, message in mistakes:
            if wrong is not None and got_list == wrong and wrong != want:
                raise CheckFailed(f"{label} returned {got_list}: {message}")
        raise CheckFailed(f"{label} returned {got_list}; expected {want}. Walk through ids from the left: where "
                          "ids[i], ids[i + 1] equal the pair, append new_id and skip two; otherwise append ids[i] "
                          "and move one.")


# ------------------------------------------------------------------------------------------- bigram NLL
def _probs(counts, alpha):
    V = counts.shape[0]
    return (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha * V)


def _nll(counts, ids, alpha):
    P = _probs(counts, alpha)
    ids = np.asarray(ids)
    return float(-np.mean(np.log(P[ids[:-1], ids[1:]])))


@exercise_check("ex-tokens-bigram-nll", "Exercise: the cross-entropy of a bigram model")
def bigram_nll(student_fn):
    """Check ``student_fn(counts, ids, alpha) -> float`` (mean NLL in nats) against the formula."""
    counts = np.array([[0, 5, 1, 0],
                       [2, 0, 7, 1],
                       [4, 0, 0, 9],
                       [1, 3, 0, 0]])  # asymmetric: P(b|a) and P(a|b) differ
    rng = np.random.default_rng(0)
    cases = [
        ("a 4-token vocabulary, 12 ids, alpha = 0.5", counts, [0, 1, 2, 3, 0, 1, 2, 0, 2, 3, 1, 2], 0.5),
        ("a 4-token vocabulary, ids with pairs never seen in training, alpha = 0.1", counts,
         [3, 3, 2, 1, 1, 0, 0, 2], 0.1),
        ("a 4-token vocabulary, alpha = 1 (add-one smoothing)", counts, [1, 2, 3, 1, 0, 1], 1.0),
        ("a random 6-token table and 40 ids, alpha = 0.01", rng.integers(0, 20, size=(6, 6)),
         list(rng.integers(0, 6, size=40)), 0.01),
    ]
    for what, C, ids, alpha in cases:
        C_in, ids_in = np.array(C, copy=True), list(ids)
        got = student_fn(C_in, ids_in, alpha)
        label = f"bigram_nll on {what}"
        if not np.array_equal(C_in, C):
            raise CheckFailed(f"{label} changed the count table it was given. Compute the probabilities in a new "
                              "array, e.g. P = (counts + alpha) / (...).")
        try:
            value = float(np.asarray(got, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            raise CheckFailed(f"{label} should return one number (the mean NLL in nats); got "
                              f"{type(got).__name__}{' of shape ' + str(np.shape(got)) if hasattr(got, 'shape') else ''}"
                              f"{' (does your function `return` its result?)' if got is None else ''}.") from None
        want = _nll(C, ids, alpha)
        if is_close(value, want, rtol=1e-6, atol=1e-9):
            continue
        V = C.shape[0]
        x = np.asarray(ids)
        P = _probs(C, alpha)
        P_cols = (C + alpha) / (C.sum(axis=0, keepdims=True) + alpha * V)
        nll_terms = -np.log(P[x[:-1], x[1:]])
        mistakes = [
            (float(-np.mean(np.log(P_cols[x[:-1], x[1:]]))),
             "you normalised the COLUMNS of the table. Row a holds what follows a: P(b | a) = (C[a, b] + alpha) / "
             "(sum over b' of C[a, b'] + alpha V), a sum along axis=1."),
            (float(-np.mean(np.log(P.T[x[:-1], x[1:]]))),
             "you looked up P(previous | next). The probability of ids[t] given ids[t - 1] is P[ids[t - 1], ids[t]]."),
            (float(-np.mean(np.log((C + alpha) / C.sum(axis=1, keepdims=True))[x[:-1], x[1:]])),
             "you added alpha to the counts but not alpha * V to the row sums, so the rows of P do not sum to 1. "
             "Divide by (row sum + alpha V)."),
            (float(np.mean(nll_terms) / np.log(2)),
             "your result is in bits (log base 2). Use the natural logarithm, np.log: the book measures "
             "cross-entropy in nats."),
            (float(np.sum(nll_terms)),
             "your result is the SUM of the negative log-probabilities. Return their mean over the n - 1 "
             "predicted ids."),
            (float(np.exp(np.mean(nll_terms))),
             "you returned the perplexity, exp(NLL). Return the mean negative log-likelihood itself."),
            (float(np.mean(-np.log(P[x[:-1], x[1:]]))) * (len(x) - 1) / len(x),
             "you divided by n, the number of ids. There are n - 1 predictions (the first id has no previous "
             "id): divide by n - 1, or take the mean over the n - 1 terms."),
        ]
        for wrong, message in mistakes:
            if np.isfinite(wrong) and is_close(value, wrong, rtol=1e-6, atol=1e-9):
                raise CheckFailed(f"{label} returned {value:.6g}; expected {want:.6g}: {message}")
        raise CheckFailed(f"{label} returned {value:.6g}; expected {want:.6g}. Build P = (counts + alpha) / "
                          "(counts.sum(axis=1, keepdims=True) + alpha * V), then return "
                          "-np.mean(np.log(P[ids[:-1], ids[1:]])).")


# ------------------------------------------------------------------------------------------- embedding grad
def _grad(dout, ids, vocab_size):
    dE = np.zeros((vocab_size, dout.shape[-1]))
    np.add.at(dE, np.asarray(ids).reshape(-1), dout.reshape(-1, dout.shape[-1]))
    return dE


@exercise_check("ex-tokens-embedding-grad", "Exercise: the gradient of an embedding table")
def embedding_grad(student_fn):
    """Check ``student_fn(dout, ids, vocab_size) -> dE`` (scatter-add) on repeated ids and a 2-D batch."""
    rng = np.random.default_rng(0)
    cases = [
        ("ids [2, 0, 2, 2] (token 2 three times), d = 3, V = 5", np.array([2, 0, 2, 2]), 5, 3),
        ("a batch of ids of shape (2, 4) with repeats, d = 2, V = 6", np.array([[1, 3, 3, 0], [5, 1, 1, 1]]), 6, 2),
        ("ids [4, 1] (no repeats; most rows unused), d = 4, V = 7", np.array([4, 1]), 7, 4),
    ]
    for what, ids, V, d in cases:
        dout = rng.standard_normal(ids.shape + (d,))
        dout_in, ids_in = dout.copy(), ids.copy()
        got = student_fn(dout_in, ids_in, V)
        label = f"embedding_grad on {what}"
        want = _grad(dout, ids, V)
        if got is None:
            raise CheckFailed(f"{label} returned None: return dE, an array of shape {want.shape} "
                              "(does your function `return` its result?).")
        try:
            got_arr = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(f"{label} should return an array of numbers; got {type(got).__name__}.") from None
        if got_arr.shape == (d, V) and d != V:
            raise CheckFailed(f"{label} returned shape {got_arr.shape}, the transpose of {want.shape}: dE has the "
                              "shape of the table E, one ROW per token id.")
        if got_arr.shape == dout.shape or got_arr.shape == (ids.size, d):
            raise CheckFailed(f"{label} returned shape {got_arr.shape}, one row per POSITION. The gradient is "
                              f"with respect to the table E, shape {want.shape} (vocab_size, d): add each "
                              "position's row of dout into the row of its token id.")
        expect_shape(f"{label}", got_arr, want.shape, hint="dE has the shape of E: (vocab_size, d).")
        if np.allclose(got_arr, want, rtol=1e-6, atol=1e-9):
            continue
        last_write = np.zeros_like(want)
        last_write[ids.reshape(-1)] = dout.reshape(-1, d)  # what dE[ids] = dout and dE[ids] += dout both give
        if np.allclose(got_arr, last_write, rtol=1e-6, atol=1e-9):
            raise CheckFailed(f"{label}: the rows of repeated ids are wrong. With fancy indexing, "
                              "dE[ids] += dout (or = dout) keeps only ONE of the rows for an id that occurs "
                              "several times; the gradient needs their SUM. Use np.add.at(dE, ids, dout) "
                              "(flatten a batch of ids and dout first), or the matrix product onehot(ids).T @ dout.")
        if np.allclose(got_arr, _grad(np.ones_like(dout), ids, V), rtol=1e-6, atol=1e-9):
            raise CheckFailed(f"{label}: your dE counts the occurrences of each id. Add up the rows of dout "
                              "(the upstream gradient), not ones.")
        raise CheckFailed(f"{label}: expected {np.array2string(want, precision=4)}, got "
                          f"{np.array2string(got_arr, precision=4)}. Row v of dE is the sum of dout over the "
                          "positions where ids == v, and zero for ids that do not occur.")

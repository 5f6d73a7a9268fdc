"""Checks for the exercises of chapter "Text classification" (``book/12-text-classification.md``).

- :func:`tokenize`: ``tokenize(text)`` lower-cases the text and returns its runs of letters a-z, in order
  (the token pattern ``[a-z]+``; digits and punctuation separate tokens).
- :func:`bag_of_words`: ``bag_of_words(texts, vocabulary)`` returns the count matrix of shape
  ``(len(texts), len(vocabulary))`` with entry ``[i, vocabulary[w]]`` = how often word ``w`` occurs in text
  ``i`` (same tokens as :func:`tokenize`; words outside the vocabulary are ignored).

Both are compared with scikit-learn's ``CountVectorizer(token_pattern="[a-z]+")``, which lower-cases first.
"""

from __future__ import annotations

import re

import numpy as np

from ._core import CheckFailed, exercise_check, expect_equal, expect_shape

__all__ = ["tokenize", "bag_of_words"]

_TEXTS = [
    "The kettle is NOT awful at all.",
    "Great idea, poor execution!",
    "I can't believe I paid for this... never again; never.",
    "Five stars: the tent is great, great, great.",
]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


@exercise_check("ex-text-tokenize", "Exercise: tokenize a review")
def tokenize(student_fn):
    """Check ``student_fn(text) -> list[str]`` on sentences with capitals, punctuation and an apostrophe."""
    for text in _TEXTS:
        got = student_fn(text)
        if isinstance(got, str) or not isinstance(got, (list, tuple)):
            raise CheckFailed(f"tokenize({text!r}) should return a list of str; got {type(got).__name__}")
        got = list(got)
        want = _tokens(text)
        if got == text.split() or got == text.lower().split():
            raise CheckFailed(f"tokenize({text!r}) returned {got}: splitting on spaces keeps the punctuation "
                              "('awful.' and 'awful' would be two different words). Keep only runs of letters, "
                              "e.g. re.findall('[a-z]+', text.lower()).")
        if got == re.findall(r"[a-z]+", text, flags=re.IGNORECASE) and got != want:
            raise CheckFailed(f"tokenize({text!r}) returned {got}: lower-case the text first, so that 'NOT' and "
                              "'not' (or 'The' and 'the') are the same word.")
        expect_equal(f"tokenize({text!r})", got, want,
                     hint="lower-case the text, then take the runs of letters a-z: re.findall('[a-z]+', ...).")


@exercise_check("ex-text-bow", "Exercise: a bag-of-words count matrix")
def bag_of_words(student_fn):
    """Check ``student_fn(texts, vocabulary) -> (m, V) counts`` against CountVectorizer."""
    from sklearn.feature_extraction.text import CountVectorizer

    vocabulary = {"great": 0, "never": 1, "not": 2, "awful": 3, "the": 4, "refund": 5}
    want = CountVectorizer(vocabulary=vocabulary, token_pattern="[a-z]+").transform(_TEXTS).toarray()
    got = student_fn(list(_TEXTS), dict(vocabulary))
    if got is None:
        raise CheckFailed("bag_of_words returned None: return the count matrix (a NumPy array).")
    got = np.asarray(got)
    if got.shape == want.T.shape and got.shape != want.shape:
        raise CheckFailed(f"bag_of_words returned shape {got.shape}, the transpose of the expected "
                          f"{want.shape}: one ROW per text, one column per vocabulary word.")
    expect_shape("bag_of_words(texts, vocabulary)", got, want.shape,
                 hint="one row per text, one column per vocabulary word (len(vocabulary) columns).")
    if np.array_equal(got, (want > 0).astype(got.dtype)) and not np.array_equal(got, want):
        raise CheckFailed("bag_of_words returned 0/1 presence indicators; count how OFTEN each word occurs "
                          "('great, great, great' gives 3).")
    nocase = np.zeros_like(want)
    for i, t in enumerate(_TEXTS):
        for w in re.findall(r"[a-z]+", t):
            if w in vocabulary:
                nocase[i, vocabulary[w]] += 1
    if np.array_equal(got, nocase):
        raise CheckFailed("bag_of_words misses the capitalised words ('The', 'NOT'): lower-case the text "
                          "before counting, as tokenize does.")
    expect_equal("bag_of_words(texts, vocabulary)", got, want,
                 hint="entry [i, vocabulary[w]] counts word w in text i; ignore words not in the vocabulary.")

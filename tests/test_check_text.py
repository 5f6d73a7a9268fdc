"""The exercise checks of chapter "Text classification" (course_lib/check/text.py), and its BERT listing.

For each check: the correct implementation passes; typical mistakes raise CheckFailed with a message naming the
mistake; a stub that still raises NotImplementedError gets "not done yet". The chapter's non-executed
fine-tuning listing must at least parse and use the current transformers API.
"""

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from course_lib import check
from course_lib.check import CheckFailed

CHAPTER = Path(__file__).resolve().parents[1] / "book" / "12-text-classification.md"


def stub(*args):
    raise NotImplementedError


def tokenize(text):
    return re.findall(r"[a-z]+", text.lower())


def tokenize_split(text):
    return text.lower().split()


def tokenize_no_lower(text):
    return re.findall(r"[a-zA-Z]+", text)


def bow(texts, vocabulary):
    X = np.zeros((len(texts), len(vocabulary)), dtype=np.int64)
    for i, t in enumerate(texts):
        for w in tokenize(t):
            if w in vocabulary:
                X[i, vocabulary[w]] += 1
    return X


def bow_binary(texts, vocabulary):
    return (bow(texts, vocabulary) > 0).astype(int)


def bow_transposed(texts, vocabulary):
    return bow(texts, vocabulary).T


def bow_no_lower(texts, vocabulary):
    X = np.zeros((len(texts), len(vocabulary)), dtype=np.int64)
    for i, t in enumerate(texts):
        for w in re.findall(r"[a-zA-Z]+", t):
            if w in vocabulary:
                X[i, vocabulary[w]] += 1
    return X


def test_correct_pass(capsys):
    check.tokenize(tokenize)
    check.bag_of_words(bow)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize("fn, words", [(tokenize_split, "punctuation"), (tokenize_no_lower, "lower-case")])
def test_tokenize_mistakes(fn, words):
    with pytest.raises(CheckFailed, match=words):
        check.tokenize(fn)


@pytest.mark.parametrize("fn, words", [(bow_binary, "how OFTEN"), (bow_transposed, "transpose"),
                                       (bow_no_lower, "lower-case")])
def test_bow_mistakes(fn, words):
    with pytest.raises(CheckFailed, match=words):
        check.bag_of_words(fn)


@pytest.mark.parametrize("name", ["tokenize", "bag_of_words"])
def test_stub_not_done(name):
    with pytest.raises(CheckFailed, match="not done yet"):
        getattr(check, name)(stub)


def _python_listings():
    return re.findall(r"^```python\n(.*?)^```", CHAPTER.read_text(encoding="utf-8"), flags=re.S | re.M)


def test_bert_listing_parses_and_uses_current_api():
    listings = _python_listings()
    assert listings, "the chapter should show the fine-tuning code as a ```python listing"
    code = "\n".join(listings)
    for block in listings:
        ast.parse(block)
    for name in ("AutoTokenizer", "AutoModelForSequenceClassification", "Trainer", "TrainingArguments",
                 "eval_strategy"):
        assert name in code
    assert "evaluation_strategy" not in code  # removed from transformers
    assert "labels=inputs['input_ids']" not in code and 'labels=inputs["input_ids"]' not in code

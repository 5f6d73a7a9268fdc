"""The shipped sentiment corpus and course_lib.datasets.load_sentiment."""

import csv
from pathlib import Path

import numpy as np
import pytest

import course_lib
from course_lib.datasets import load_sentiment

CSV = Path(course_lib.__file__).with_name("data") / "sentiment.csv"


def test_file_shape_and_balance():
    with CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 400
    labels = [int(r["label"]) for r in rows]
    assert set(labels) == {0, 1}
    assert labels.count(1) == labels.count(0)
    texts = [r["text"] for r in rows]
    assert len(set(texts)) == len(texts), "duplicate sentences"
    assert all(t.strip() == t and len(t) > 5 for t in texts)
    assert any(" not " in f" {t} " for t in texts), "the corpus should contain negations"


def test_raw():
    texts, y = load_sentiment(test_size=None)
    assert len(texts) == len(y) >= 400 and y.dtype == np.int64 and y.mean() == 0.5


def test_split_stratified_and_deterministic():
    a = load_sentiment()
    b = load_sentiment()
    t_train, t_test, y_train, y_test = a
    assert len(t_test) == 100 and len(t_train) == 300
    assert y_train.mean() == 0.5 and y_test.mean() == 0.5
    assert not set(t_train) & set(t_test)
    assert a[0] == b[0] and a[1] == b[1]
    c = load_sentiment(seed=1)
    assert c[1] != a[1]


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1])
def test_bad_test_size(bad):
    with pytest.raises(ValueError):
        load_sentiment(test_size=bad)


def test_regeneration_script_reproduces_the_file():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sentiment", CSV.with_name("make_sentiment.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with CSV.open(newline="", encoding="utf-8") as f:
        rows = [(r["text"], int(r["label"])) for r in csv.DictReader(f)]
    assert mod.build() == rows

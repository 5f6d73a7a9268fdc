"""The unlabelled review sentences (course_lib/data/reviews_unlabelled.txt), their script and their loader."""

import hashlib
import importlib.util
import re
from pathlib import Path

import pytest

from course_lib.datasets import load_reviews_unlabelled, load_sentiment

DATA = Path(__file__).resolve().parents[1] / "course_lib" / "data"
FILE = DATA / "reviews_unlabelled.txt"
SECTION = (DATA / "README.md").read_text(encoding="utf-8").split("## `reviews_unlabelled.txt`", 1)[1].split("\n## ", 1)[0]


def script():
    spec = importlib.util.spec_from_file_location("make_reviews_unlabelled", DATA / "make_reviews_unlabelled.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sha256_and_size_match_the_readme():
    raw = FILE.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == re.search(r"SHA-256 \| `([0-9a-f]{64})`", SECTION).group(1)
    assert len(raw) == int(re.search(r"([\d,]+) bytes", SECTION).group(1).replace(",", ""))
    assert raw.count(b"\n") == int(re.search(r"([\d,]+) lines", SECTION).group(1).replace(",", ""))
    assert raw.isascii() and b"\r" not in raw and raw.endswith(b"\n")
    assert len(raw) < 300_000, "the file should stay small"


def test_the_script_reproduces_the_file():
    assert "".join(t + "\n" for t in script().build()) == FILE.read_text(encoding="utf-8")


def test_loader():
    sentences = load_reviews_unlabelled()
    assert len(sentences) == 3000 and len(set(sentences)) == 3000
    assert all(s == s.strip() and len(s) > 10 for s in sentences)
    assert sentences[0] == FILE.read_text(encoding="utf-8").split("\n", 1)[0]


def test_loader_reads_another_file_and_reports_a_missing_one(tmp_path):
    other = tmp_path / "mine.txt"
    other.write_text("First sentence.\n\nSecond one.\n", encoding="utf-8")
    assert load_reviews_unlabelled(other) == ["First sentence.", "Second one."]
    with pytest.raises(FileNotFoundError, match="nothing-here.txt"):
        load_reviews_unlabelled(tmp_path / "nothing-here.txt")
    with pytest.raises(TypeError, match="path"):
        load_reviews_unlabelled(3)


def test_no_overlap_with_the_labelled_corpus():
    bag = script().bag_key
    texts, _ = load_sentiment(test_size=None)
    _, test_texts, _, _ = load_sentiment()  # the test split of the chapters
    unlabelled = load_reviews_unlabelled()
    assert not set(unlabelled) & set(texts)
    assert not {bag(t) for t in unlabelled} & {bag(t) for t in texts}, "a re-ordering of a labelled sentence"
    assert len({bag(t) for t in unlabelled}) == len(unlabelled), "two sentences with the same bag of words"
    assert not set(unlabelled) & set(test_texts)


def test_bag_key_ignores_order_case_and_punctuation():
    bag = script().bag_key
    assert bag("Late and slow.") == bag("slow, and late") != bag("slow and early")


def test_the_text_is_in_the_domain_of_the_labelled_corpus():
    words = lambda ts: {w for t in ts for w in re.findall("[a-z]+", t.lower())}  # noqa: E731
    texts, _ = load_sentiment(test_size=None)
    unlabelled = words(load_reviews_unlabelled())
    labelled = words(texts)
    assert len(unlabelled & labelled) / len(unlabelled) > 0.75  # mostly the same vocabulary
    assert len(unlabelled & labelled) / len(labelled) > 0.85  # the labelled words missing are the hand-written
    assert {"kettle", "pizza", "flight", "novel", "haircut", "not"} <= unlabelled

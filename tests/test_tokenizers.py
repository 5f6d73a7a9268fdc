"""course_lib.tokenizers: CharTokenizer and byte-level BPE, checked against a naive BPE and against tiktoken."""

import json
import os

import numpy as np
import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_lib.datasets import load_tang_poems, load_tiny_shakespeare
from course_lib.tokenizers import (
    GPT2_PATTERN,
    GPT4_PATTERN,
    BPETokenizer,
    CharTokenizer,
    Tokenizer,
    merge_pair,
    pair_counts,
)

SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def shakespeare():
    return load_tiny_shakespeare()


@pytest.fixture(scope="module")
def poems():
    return load_tang_poems()


@pytest.fixture(scope="module")
def tok_en(shakespeare):
    return BPETokenizer.train(shakespeare[:100_000], 512)


@pytest.fixture(scope="module")
def tok_zh(poems):
    return BPETokenizer.train(poems[:30_000], 512)


def _tiktoken(tok: BPETokenizer):
    tiktoken = pytest.importorskip("tiktoken")
    return tiktoken.Encoding(
        name=f"course_lib_{tok.pattern_name}_{tok.vocab_size}_{id(tok)}",
        pat_str=tok.pattern,
        mergeable_ranks=tok.mergeable_ranks(),
        special_tokens=tok.special_ids,
    )


def naive_train(text: str, vocab_size: int, pattern: str | None) -> dict:
    """minbpe's algorithm, written independently: recount every pair over every chunk at each merge."""
    chunks = [text] if pattern is None else regex.findall(pattern, text)
    ids = [list(c.encode("utf-8")) for c in chunks]
    vocab = {i: bytes([i]) for i in range(256)}
    merges = {}
    while 256 + len(merges) < vocab_size:
        counts = {}
        for c in ids:
            pair_counts(c, counts)
        best = min(counts, key=lambda p: (-counts[p], p))  # most frequent, ties to the smallest pair
        new = 256 + len(merges)
        merges[best] = new
        vocab[new] = vocab[best[0]] + vocab[best[1]]
        ids = [merge_pair(c, best, new) for c in ids]
    return merges


# --------------------------------------------------------------------------------------------- published example
def test_wikipedia_example():
    """Wikipedia, "Byte pair encoding": aaabdaaabac -> ZabdZabac -> ZYdZYac -> XdXac with Z = aa, Y = ab,
    X = ZY (https://en.wikipedia.org/wiki/Byte_pair_encoding)."""
    tok = BPETokenizer.train("aaabdaaabac", 256 + 3, pattern=None, special_tokens=())
    assert tok.merges == {(97, 97): 256, (97, 98): 257, (256, 257): 258}
    assert tok.encode("aaabdaaabac") == [258, 100, 258, 97, 99]
    assert tok.decode([258, 100, 258, 97, 99]) == "aaabdaaabac"
    assert tok.vocab[258] == b"aaab"


def test_helpers():
    assert pair_counts([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert merge_pair([97, 97, 97, 98], (97, 97), 256) == [256, 97, 98]
    assert merge_pair([97, 97, 97, 97], (97, 97), 256) == [256, 256]
    assert merge_pair([1, 2, 1, 2], (1, 2), 9) == [9, 9]


@pytest.mark.parametrize("pattern", [None, "gpt2", "gpt4"])
@pytest.mark.parametrize("vocab_size", [260, 300])
def test_fast_training_equals_naive(shakespeare, poems, pattern, vocab_size):
    for text in (shakespeare[:3000], poems[:400]):
        tok = BPETokenizer.train(text, vocab_size, pattern=pattern, special_tokens=())
        assert tok.merges == naive_train(text, vocab_size, tok.pattern)


@SLOW
@given(st.text(alphabet="ab c\n", min_size=2, max_size=60), st.integers(1, 8), st.sampled_from([None, "gpt4"]))
def test_fast_training_equals_naive_hypothesis(text, n_merges, pattern):
    chunks = [text] if pattern is None else regex.findall(GPT4_PATTERN, text)
    n_pairs = len({p for c in chunks for p in zip(c.encode(), c.encode()[1:])})
    try:
        tok = BPETokenizer.train(text, 256 + n_merges, pattern=pattern, special_tokens=())
    except ValueError as exc:
        assert "fewer than" in str(exc) and n_pairs < n_merges + 8
        return
    assert tok.merges == naive_train(text, 256 + n_merges, tok.pattern)


# --------------------------------------------------------------------------------------------- structure
@pytest.mark.parametrize("specials", [(), ("<|endoftext|>",), ("<|endoftext|>", "<|pad|>")])
@pytest.mark.parametrize("vocab_size", [256 + 2, 300, 400])
def test_merge_count_formula(shakespeare, specials, vocab_size):
    tok = BPETokenizer.train(shakespeare[:20_000], vocab_size, special_tokens=specials)
    assert tok.n_merges == len(tok.merges) == vocab_size - 256 - len(specials)
    assert tok.vocab_size == vocab_size == len(tok.vocab)
    assert sorted(tok.vocab) == list(range(vocab_size))
    assert list(tok.merges.values()) == list(range(256, 256 + tok.n_merges))
    assert [tok.special_ids[s] for s in specials] == list(range(256 + tok.n_merges, vocab_size))
    ranks = tok.mergeable_ranks()
    assert len(ranks) == 256 + tok.n_merges and sorted(ranks.values()) == list(range(256 + tok.n_merges))


def test_no_skipped_pairs_on_the_corpora(tok_en, tok_zh):
    # Greedy BPE never reaches one byte string by two pairs (see the class docstring); the guard is for safety.
    assert tok_en.skipped_pairs == [] and tok_zh.skipped_pairs == []
    for tok in (tok_en, tok_zh):
        assert len(set(tok.vocab.values())) == tok.vocab_size


def test_patterns_and_chunks():
    tok2 = BPETokenizer.train("Hello world, it's 12345!", 256, pattern="gpt2", special_tokens=())
    tok4 = BPETokenizer.train("x", 256, pattern="gpt4", special_tokens=())
    assert tok2.pattern == GPT2_PATTERN and tok4.pattern == GPT4_PATTERN
    assert tok2._chunks("it's 12345") == ["it", "'s", " 12345"]
    assert tok4._chunks("it's 12345") == ["it", "'s", " ", "123", "45"]


def test_training_is_deterministic(shakespeare):
    a = BPETokenizer.train(shakespeare[:30_000], 400)
    b = BPETokenizer.train(shakespeare[:30_000], 400)
    assert a.merges == b.merges


# --------------------------------------------------------------------------------------------- round trips
def test_round_trip_whole_shakespeare(shakespeare, tok_en):
    ids = tok_en.encode(shakespeare)
    assert tok_en.decode(ids) == shakespeare
    assert len(ids) < 0.6 * len(shakespeare)


def test_round_trip_whole_poems(poems, tok_zh):
    ids = tok_zh.encode(poems)
    assert tok_zh.decode(ids) == poems
    assert len(ids) < len(poems.encode("utf-8"))


def test_round_trip_cross_corpus(shakespeare, poems, tok_en, tok_zh):
    # byte-level: a tokenizer trained on English encodes Chinese, and conversely
    assert tok_en.decode(tok_en.encode(poems[:5000])) == poems[:5000]
    assert tok_zh.decode(tok_zh.encode(shakespeare[:5000])) == shakespeare[:5000]


@SLOW
@given(text=st.text(max_size=200))
def test_round_trip_hypothesis(tok_en, tok_zh, text):
    for tok in (tok_en, tok_zh):
        assert tok.decode(tok.encode(text)) == text
        assert tok.decode(tok.encode(text, allowed_special="none")) == text


# --------------------------------------------------------------------------------------------- special tokens
def test_special_tokens(tok_en):
    eot = tok_en.special_ids["<|endoftext|>"]
    assert eot == tok_en.vocab_size - 1
    ids = tok_en.encode("First.<|endoftext|>Second.")
    assert ids.count(eot) == 1
    assert tok_en.decode(ids) == "First.<|endoftext|>Second."
    plain = tok_en.encode("<|endoftext|>", allowed_special="none")
    assert eot not in plain and len(plain) > 1 and tok_en.decode(plain) == "<|endoftext|>"
    assert tok_en.encode("<|endoftext|><|endoftext|>") == [eot, eot]


def test_specials_in_training_text_are_not_learned():
    text = "abcd<|endoftext|>" * 50
    tok = BPETokenizer.train(text, 256 + 1 + 3)
    assert all(b"<|" not in t and b"|>" not in t for t in tok.vocab.values() if t != b"<|endoftext|>")


def test_decode_invalid_utf8_is_replaced(tok_zh):
    ids = tok_zh.encode("你")  # three bytes
    raw = list("你".encode("utf-8"))
    assert tok_zh.decode([raw[0]]) == "\ufffd"
    assert tok_zh.decode(raw) == "你" and tok_zh.decode(ids) == "你"


# --------------------------------------------------------------------------------------------- tiktoken
def test_tiktoken_agrees_on_the_corpora(shakespeare, poems, tok_en, tok_zh):
    for tok, text in ((tok_en, shakespeare), (tok_zh, poems), (tok_en, poems[:20_000])):
        enc = _tiktoken(tok)
        assert tok.encode(text) == enc.encode(text, allowed_special="all")


@pytest.mark.parametrize("pattern", ["gpt2", "gpt4"])
def test_tiktoken_agrees_gpt2_pattern_and_specials(shakespeare, pattern):
    tok = BPETokenizer.train(shakespeare[:50_000], 700, pattern=pattern, special_tokens=("<|endoftext|>", "<|pad|>"))
    enc = _tiktoken(tok)
    text = shakespeare[50_000:70_000] + "<|endoftext|>" + "<|pad|>x<|endoftext|>"
    assert tok.encode(text) == enc.encode(text, allowed_special="all")
    assert tok.encode(text, allowed_special="none") == enc.encode(text, allowed_special=set(), disallowed_special=())


@SLOW
@given(text=st.text(max_size=200))
def test_tiktoken_agrees_hypothesis(tok_en, tok_zh, text):
    for tok in (tok_en, tok_zh):
        enc = _tiktoken_cached(tok)
        assert tok.encode(text, allowed_special="none") == enc.encode(text, allowed_special=set(), disallowed_special=())
        assert tok.encode(text) == enc.encode(text, allowed_special="all")


_ENCODINGS = {}


def _tiktoken_cached(tok):
    if id(tok) not in _ENCODINGS:
        _ENCODINGS[id(tok)] = (tok, _tiktoken(tok))
    return _ENCODINGS[id(tok)][1]


# --------------------------------------------------------------------------------------------- save / load
def test_save_load_round_trip(tmp_path, tok_en, shakespeare):
    path = tmp_path / "bpe.json"
    tok_en.save(path)
    back = BPETokenizer.load(path)
    assert back.merges == tok_en.merges and back.vocab == tok_en.vocab
    assert back.special_tokens == tok_en.special_tokens and back.pattern == tok_en.pattern
    assert back.encode(shakespeare[:5000]) == tok_en.encode(shakespeare[:5000])
    assert isinstance(Tokenizer.load(path), BPETokenizer)
    with pytest.raises(ValueError, match="BPETokenizer, not a CharTokenizer"):
        CharTokenizer.load(path)
    assert [p.name for p in tmp_path.iterdir()] == ["bpe.json"]


def test_save_is_atomic(tmp_path, tok_en, monkeypatch):
    path = tmp_path / "bpe.json"
    CharTokenizer("ab").save(path)
    before = path.read_bytes()

    def broken_dump(obj, f, **kwargs):
        f.write('{"format": "course_lib.BPETokenizer", "merg')
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        tok_en.save(path)
    assert path.read_bytes() == before  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["bpe.json"]  # no temporary file left
    with pytest.raises(OSError):
        tok_en.save(tmp_path / "new.json")
    assert not (tmp_path / "new.json").exists()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(format="something"), "unknown format"),
        (lambda d: d.update(version=99), "version"),
        (lambda d: d.pop("merges"), "'merges' is missing"),
        (lambda d: d.update(merges=[[97, 97], [97, 97]]), "repeats"),
        (lambda d: d.update(merges=[[97, 300]]), r"ids in \[0, 256\)"),
        (lambda d: d.update(merges=[[97, "b"]]), "pair of int"),
        (lambda d: d.update(pattern="gpt5"), "pattern must be one of"),
        (lambda d: d.update(pattern_regex="x+"), "pattern_regex"),
        (lambda d: d.update(special_tokens=["a", "a"]), "distinct"),
    ],
)
def test_load_validates(tmp_path, edit, message):
    path = tmp_path / "bpe.json"
    BPETokenizer.train("aaabdaaabac", 256 + 3 + 1).save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        BPETokenizer.load(path)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        BPETokenizer.load(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        Tokenizer.load(bad)


# --------------------------------------------------------------------------------------------- bad input
def test_bpe_bad_input(tok_en):
    with pytest.raises(ValueError, match="vocab_size must be an integer >= 257"):
        BPETokenizer.train("abc", 256)
    with pytest.raises(ValueError, match="vocab_size must be an integer >= 256"):
        BPETokenizer.train("abc", 200, special_tokens=())
    with pytest.raises(TypeError, match="vocab_size"):
        BPETokenizer.train("abc", 300.0)
    with pytest.raises(TypeError, match="text must be a str"):
        BPETokenizer.train(b"abc", 300)
    with pytest.raises(ValueError, match="fewer than the 10 asked"):
        BPETokenizer.train("abc", 266, special_tokens=())
    with pytest.raises(ValueError, match="pattern must be one of"):
        BPETokenizer.train("abc", 257, pattern="gpt-4")
    with pytest.raises(ValueError, match="special_tokens must be distinct"):
        BPETokenizer.train("abc", 258, special_tokens=("<s>", "<s>"))
    with pytest.raises(ValueError, match="non-empty"):
        BPETokenizer.train("abc", 258, special_tokens=("",))
    with pytest.raises(TypeError, match="special_tokens"):
        BPETokenizer.train("abc", 258, special_tokens="<s>")
    with pytest.raises(TypeError, match="text must be a str"):
        tok_en.encode(["a"])
    with pytest.raises(ValueError, match="lone surrogate"):
        tok_en.encode("a\ud800b")
    with pytest.raises(ValueError, match="allowed_special"):
        tok_en.encode("a", allowed_special="some")
    with pytest.raises(ValueError, match=r"ids must hold token ids in \[0, 512\).*512"):
        tok_en.decode([1, 512])
    with pytest.raises(ValueError, match="ids must hold token ids"):
        tok_en.decode([-1])
    with pytest.raises(TypeError, match="ids must hold integer"):
        tok_en.decode([1.5])
    with pytest.raises(TypeError, match="ids"):
        tok_en.decode("abc")
    with pytest.raises(ValueError, match="1-D"):
        tok_en.decode([[1, 2]])
    assert tok_en.decode(np.array([104, 105])) == "hi" and tok_en.decode([]) == "" and tok_en.encode("") == []


def test_bpe_constructor_validates():
    with pytest.raises(ValueError, match="already token"):
        BPETokenizer([(97, 97), (256, 97), (97, 256)])  # "aaa" twice
    with pytest.raises(ValueError, match="id 256 \\+ k"):
        BPETokenizer({(97, 97): 300})
    assert BPETokenizer({(97, 97): 256}).encode("aaaa", allowed_special="none") == [256, 256]


# --------------------------------------------------------------------------------------------- characters
def test_char_tokenizer(shakespeare, poems, tmp_path):
    tok = CharTokenizer.train(shakespeare)
    assert tok.vocab_size == 65 and tok.chars == "".join(sorted(set(shakespeare)))
    ids = tok.encode(shakespeare)
    assert len(ids) == len(shakespeare) and tok.decode(ids) == shakespeare
    assert tok.encode("\n") == [0]
    zh = CharTokenizer.train(poems)
    assert zh.vocab_size == len(set(poems)) and zh.decode(zh.encode(poems)) == poems
    path = tmp_path / "chars.json"
    zh.save(path)
    back = CharTokenizer.load(path)
    assert back.chars == zh.chars and isinstance(Tokenizer.load(path), CharTokenizer)


@given(st.text(min_size=1, max_size=100))
def test_char_round_trip_hypothesis(text):
    tok = CharTokenizer.train(text)
    assert tok.decode(tok.encode(text)) == text
    assert tok.vocab_size == len(set(text))


def test_char_bad_input():
    tok = CharTokenizer("abc")
    with pytest.raises(ValueError, match=r"'z' \(position 1\)"):
        tok.encode("az")
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        tok.decode([3])
    with pytest.raises(ValueError, match="distinct"):
        CharTokenizer("aba")
    with pytest.raises(TypeError, match="single characters"):
        CharTokenizer(["ab"])
    with pytest.raises(ValueError, match="at least one"):
        CharTokenizer("")
    with pytest.raises(ValueError, match="must not be empty"):
        CharTokenizer.train("")
    with pytest.raises(TypeError, match="text must be a str"):
        tok.encode(None)


def test_char_load_validates(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"format": "course_lib.CharTokenizer", "version": 1, "chars": "aa"}), encoding="utf-8")
    with pytest.raises(ValueError, match="distinct"):
        CharTokenizer.load(path)
    os.remove(path)

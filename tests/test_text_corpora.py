"""The shipped text corpora (tiny Shakespeare, Tang poems), their loaders, split_text and lm_windows."""

import hashlib
import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.datasets import lm_windows, load_tang_poems, load_tiny_shakespeare, split_text

DATA = Path(__file__).resolve().parents[1] / "course_lib" / "data"
README = (DATA / "README.md").read_text(encoding="utf-8")


def _readme_sha256(name: str) -> str:
    section = README.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
    return re.search(r"SHA-256 \| `([0-9a-f]{64})`", section).group(1)


def _readme_int(name: str, what: str) -> int:
    section = README.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
    return int(re.search(rf"([\d,]+) {what}", section).group(1).replace(",", ""))


@pytest.mark.parametrize("name", ["tinyshakespeare.txt", "tang_poems.txt"])
def test_sha256_and_sizes_match_the_readme(name):
    raw = (DATA / name).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == _readme_sha256(name)
    assert len(raw) == _readme_int(name, "bytes")
    text = raw.decode("utf-8")
    assert len(text) == _readme_int(name, "characters")
    assert len(raw) < 1_500_000 or name == "tinyshakespeare.txt"


def test_tiny_shakespeare():
    text = load_tiny_shakespeare()
    assert len(text) == 1_115_394 and len(set(text)) == 65 and text.isascii()
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")
    assert "\r" not in text


def test_tang_poems():
    text = load_tang_poems()
    assert len(text) == 256_204 and len(set(text)) == 4_773
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 5_001
    assert lines[0] == "秦川雄帝宅，函谷壯皇居。綺殿千尋起，離宮百雉餘。連甍遙接漢，飛觀迥凌虛。雲日隱層闕，風煙出綺疎。"
    spec = importlib.util.spec_from_file_location("make_tang_poems", DATA / "make_tang_poems.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for poem in lines[:-1]:  # every poem is regular 5- or 7-character verse, couplet by couplet
        couplets = [c + "。" for c in poem.split("。")[:-1]]
        assert mod.regular_verse(couplets) == poem
    assert len(set(lines[:-1])) == 5_000


def test_make_tang_poems_on_a_small_checkout(tmp_path):
    spec = importlib.util.spec_from_file_location("make_tang_poems", DATA / "make_tang_poems.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    folder = tmp_path / "全唐诗"
    folder.mkdir()
    poems_0 = [
        {"title": "t", "paragraphs": ["床前明月光，疑是地上霜。", "舉頭望明月，低頭思故鄉。"]},
        {"title": "lost", "paragraphs": ["床前明月□，疑是地上霜。", "舉頭望明月，低頭思故鄉。"]},
        {"title": "mixed", "paragraphs": ["床前明月光，疑是地上霜。", "朝辭白帝彩雲間，千里江陵一日還。"]},
        {"title": "one couplet", "paragraphs": ["床前明月光，疑是地上霜。"]},
        {"title": "note", "paragraphs": ["床前明月光，疑是地上霜。", "舉頭望明月，低頭思故鄉（一作山月）。"]},
    ]
    poems_1000 = [
        {"title": "seven", "paragraphs": ["朝辭白帝彩雲間，千里江陵一日還。", "兩岸猿聲啼不住，輕舟已過萬重山。"]},
        {"title": "repeat", "paragraphs": ["床前明月光，疑是地上霜。", "舉頭望明月，低頭思故鄉。"]},
    ]
    (folder / "poet.tang.1000.json").write_text(json.dumps(poems_1000, ensure_ascii=False), encoding="utf-8")
    (folder / "poet.tang.0.json").write_text(json.dumps(poems_0, ensure_ascii=False), encoding="utf-8")
    (folder / "poet.song.0.json").write_text("[]", encoding="utf-8")
    assert mod.build(tmp_path, 2) == [
        "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。",
        "朝辭白帝彩雲間，千里江陵一日還。兩岸猿聲啼不住，輕舟已過萬重山。",
    ]
    with pytest.raises(ValueError, match="only 2"):
        mod.build(tmp_path, 3)
    out = tmp_path / "out.txt"
    mod.main([str(tmp_path), "--out", str(out), "--n-poems", "2"])
    assert out.read_text(encoding="utf-8").count("\n") == 2


def test_loaders_take_a_path(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_bytes("hello 世界\r\nline".encode("utf-8"))
    assert load_tiny_shakespeare(path) == "hello 世界\r\nline"  # as stored, line ends included
    assert load_tang_poems(str(path)) == "hello 世界\r\nline"
    with pytest.raises(FileNotFoundError, match="nowhere.txt"):
        load_tiny_shakespeare(tmp_path / "nowhere.txt")
    with pytest.raises(FileNotFoundError, match="nowhere.txt"):
        load_tang_poems(tmp_path / "nowhere.txt")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café".encode("latin-1"))
    with pytest.raises(ValueError, match="UTF-8"):
        load_tang_poems(bad)
    with pytest.raises(TypeError, match="path"):
        load_tang_poems(3)


# ------------------------------------------------------------------------------------------------ split_text
def test_split_text():
    text = load_tiny_shakespeare()
    train, val = split_text(text)
    assert train + val == text and len(val) == 111_539
    train, val = split_text("abcdefghij", 0.3)
    assert (train, val) == ("abcdefg", "hij")
    assert split_text("ab", 0.01) == ("a", "b")  # both parts non-empty
    assert split_text("ab", 0.99) == ("a", "b")


@pytest.mark.parametrize("bad", [0, 0.0, 1, 1.0, -0.1, 1.5])
def test_split_text_bad_fraction(bad):
    with pytest.raises(ValueError, match="val_fraction"):
        split_text("abcdef", bad)


def test_split_text_bad_input():
    with pytest.raises(TypeError, match="val_fraction"):
        split_text("abcdef", "0.1")
    with pytest.raises(TypeError, match="text must be a str"):
        split_text(b"abcdef")
    with pytest.raises(ValueError, match="at least 2"):
        split_text("a")


# ------------------------------------------------------------------------------------------------ lm_windows
def test_lm_windows_small():
    X, Y = lm_windows([0, 1, 2, 3, 4, 5, 6], 3)
    assert X.dtype == Y.dtype == np.int64
    assert X.tolist() == [[0, 1, 2], [3, 4, 5]] and Y.tolist() == [[1, 2, 3], [4, 5, 6]]
    X, Y = lm_windows(np.arange(6), 3, stride=1)
    assert X.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]] and Y.tolist() == [[1, 2, 3], [2, 3, 4], [3, 4, 5]]
    X, Y = lm_windows(np.arange(4, dtype=np.uint16), 3)
    assert X.tolist() == [[0, 1, 2]] and Y.tolist() == [[1, 2, 3]]
    X[0, 0] = 99  # a copy, not a view of the input
    ids = np.arange(10)
    X, _ = lm_windows(ids, 4)
    X[:] = -1
    assert ids.tolist() == list(range(10))


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 60), st.integers(1, 10), st.one_of(st.none(), st.integers(1, 12)))
def test_lm_windows_properties(N, T, stride):
    ids = np.random.default_rng(N).integers(0, 50, size=N)
    if N < T + 1:
        with pytest.raises(ValueError, match="at least context_length"):
            lm_windows(ids, T, stride)
        return
    X, Y = lm_windows(ids, T, stride)
    s = T if stride is None else stride
    n = (N - 1 - T) // s + 1
    assert X.shape == Y.shape == (n, T)
    for i in (0, n - 1):
        assert X[i].tolist() == ids[i * s : i * s + T].tolist()
        assert Y[i].tolist() == ids[i * s + 1 : i * s + T + 1].tolist()
    assert (X[:, 1:] == Y[:, :-1]).all()


def test_lm_windows_bad_input():
    with pytest.raises(ValueError, match="at least context_length \\+ 1 = 4 tokens.*got 3"):
        lm_windows([1, 2, 3], 3)
    with pytest.raises(TypeError, match="integer token ids"):
        lm_windows([1.0, 2.0, 3.0], 1)
    with pytest.raises(TypeError, match="encode it first"):
        lm_windows("abcdef", 2)
    with pytest.raises(ValueError, match="1-D"):
        lm_windows(np.zeros((2, 5), dtype=int), 2)
    with pytest.raises(ValueError, match="non-negative"):
        lm_windows([1, -2, 3], 1)
    with pytest.raises(ValueError, match="context_length must be an integer >= 1"):
        lm_windows([1, 2, 3], 0)
    with pytest.raises(TypeError, match="context_length"):
        lm_windows([1, 2, 3], 1.5)
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        lm_windows([1, 2, 3], 1, stride=0)
    with pytest.raises(ValueError, match="got 0"):
        lm_windows([], 1)
    with pytest.raises(TypeError, match="integer token ids"):
        lm_windows([True, False, True], 1)

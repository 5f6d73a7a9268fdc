r"""Tokenizers: text to integer ids and back (chapter "Tokens and embeddings").

A tokenizer cuts a text into **tokens** (词元) from a fixed vocabulary and numbers them ``0 .. V-1``; a language
model only ever sees these ids. Two tokenizers share one small protocol, after karpathy/minbpe:

- ``Tokenizer.train(text, ...)`` (a class method) learns a vocabulary and returns a new tokenizer;
- ``encode(text) -> list[int]`` and ``decode(ids) -> str``, with ``decode(encode(text)) == text``;
- ``vocab_size``; ``save(path)`` and ``Tokenizer.load(path)`` (JSON, written atomically).

:class:`CharTokenizer` gives every distinct character of the training text one id. :class:`BPETokenizer` is the
byte-level **byte-pair encoding** of GPT-2 and later models (Sennrich, Haddow and Birch 2016 for words;
Radford et al. 2019 on UTF-8 bytes): its base vocabulary is the 256 byte values, so every text can be encoded,
Chinese included, and training adds one new token per **merge** of the most frequent adjacent pair. The two
helpers :func:`pair_counts` and :func:`merge_pair` are the two halves of one merge step.

Only the standard library, NumPy and the ``regex`` module (for the Unicode classes ``\p{L}``, ``\p{N}`` of the
pre-split patterns) are used. ``tests/test_tokenizers.py`` checks that our ids equal those of OpenAI's
``tiktoken`` given our merges.
"""

from __future__ import annotations

import heapq
import json
import numbers
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ._validation import _describe, check_int

__all__ = [
    "Tokenizer",
    "CharTokenizer",
    "BPETokenizer",
    "pair_counts",
    "merge_pair",
    "PATTERNS",
    "GPT2_PATTERN",
    "GPT4_PATTERN",
]

#: GPT-2's pre-split pattern (openai/gpt-2, ``encoder.py``): contractions, then runs of letters, of digits, of
#: other symbols, each with at most one leading space, then whitespace.
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

#: GPT-4's pre-split pattern (tiktoken's ``cl100k_base``): case-insensitive contractions, letters with one
#: optional leading non-letter, numbers of at most three digits, symbols with an optional leading space,
#: line breaks, whitespace.
GPT4_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"""
)

#: The names accepted by ``BPETokenizer.train(..., pattern=...)``; ``None`` means no pre-split.
PATTERNS: dict[str, str] = {"gpt4": GPT4_PATTERN, "gpt2": GPT2_PATTERN}

_FORMAT_VERSION = 1
_CACHE_LIMIT = 1 << 18  # distinct chunks remembered by BPETokenizer.encode


# ------------------------------------------------------------------------------------------------- helpers
def pair_counts(ids: Sequence[int], counts: dict | None = None, weight: int = 1) -> dict[tuple[int, int], int]:
    """Count the adjacent pairs of ``ids``: ``[1, 2, 3, 1, 2] -> {(1, 2): 2, (2, 3): 1, (3, 1): 1}``.

    Adds ``weight`` per occurrence to ``counts`` (a new dict if None) and returns it. One half of a BPE training
    step: the pair with the largest count is merged next.
    """
    counts = {} if counts is None else counts
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + weight
    return counts


def merge_pair(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of ``pair`` in ``ids`` by ``new_id``, scanning left to right.

    ``merge_pair([97, 97, 97, 98], (97, 97), 256) == [256, 97, 98]``: occurrences that overlap (a run of equal
    tokens) are merged from the left. The other half of a BPE step, used in training and in encoding.
    """
    a, b = pair
    out: list[int] = []
    i, n = 0, len(ids)
    while i < n:
        if i < n - 1 and ids[i] == a and ids[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _atomic_write_json(path, obj) -> None:
    """Write ``obj`` as JSON to ``path`` atomically: a temporary file in the same folder, then ``os.replace``.

    If anything fails, the temporary file is removed and an existing ``path`` is left as it was.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike; got {_describe(path)}")
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"path {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=1)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _read_json(path) -> dict:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike; got {_describe(path)}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not an existing file")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{str(path)!r} is not a tokenizer file (not valid JSON: {exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("format"), str):
        raise ValueError(f"{str(path)!r} is not a tokenizer file (no 'format' entry)")
    return data


def _check_text(text, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str; got {_describe(text)}")
    return text


def _check_unicode(text, name: str = "text") -> str:
    """``text`` after checking it is a str that UTF-8 can encode (no lone surrogates)."""
    text = _check_text(text, name)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{name} must be valid Unicode; it contains the lone surrogate {text[exc.start]!r} at position "
            f"{exc.start}, which UTF-8 cannot encode"
        ) from None
    return text


def _check_ids(ids, vocab_size: int, name: str = "ids") -> list[int]:
    """``ids`` (a sequence or 1-D integer array) as a list of int, each in [0, vocab_size)."""
    if isinstance(ids, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of integer token ids; got {_describe(ids)}")
    try:
        arr = np.asarray(ids)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} must be a sequence of integer token ids; got {_describe(ids)} ({exc})") from None
    if arr.size == 0:
        return []
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of token ids; got an array of shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer token ids; got {_describe(ids)} with dtype {arr.dtype}")
    bad = (arr < 0) | (arr >= vocab_size)
    if bad.any():
        raise ValueError(
            f"{name} must hold token ids in [0, {vocab_size}) (the vocabulary size); got {int(bad.sum())} ids "
            f"outside, for example {int(arr[bad][0])} at position {int(np.flatnonzero(bad)[0])}"
        )
    return arr.tolist()


# ------------------------------------------------------------------------------------------------- base class
class Tokenizer:
    """Base class: the protocol shared by :class:`CharTokenizer` and :class:`BPETokenizer`.

    Subclasses implement ``train`` (a class method returning a new tokenizer), ``encode``, ``decode``,
    ``vocab_size`` and the pair ``_to_json`` / ``_from_json`` used by :meth:`save` and :meth:`load`.
    """

    _format: str = ""

    @property
    def vocab_size(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, text: str) -> list[int]:  # pragma: no cover - abstract
        raise NotImplementedError

    def decode(self, ids) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _to_json(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def _from_json(cls, data: dict, where: str):  # pragma: no cover - abstract
        raise NotImplementedError

    def save(self, path: str | os.PathLike) -> None:
        """Write the tokenizer to ``path`` as JSON (UTF-8), atomically: a failed save leaves no partial file
        and an existing file unchanged."""
        _atomic_write_json(path, {"format": self._format, "version": _FORMAT_VERSION, **self._to_json()})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Tokenizer:
        """Read a tokenizer written by :meth:`save`, checking it. ``Tokenizer.load`` returns whichever kind the
        file holds; ``CharTokenizer.load`` and ``BPETokenizer.load`` insist on their own kind."""
        data = _read_json(path)
        kinds = {k._format: k for k in (CharTokenizer, BPETokenizer)}
        kind = kinds.get(data["format"])
        if kind is None:
            raise ValueError(f"{str(path)!r} has unknown format {data['format']!r}; expected one of {list(kinds)}")
        if cls is not Tokenizer and kind is not cls:
            raise ValueError(f"{str(path)!r} holds a {kind.__name__}, not a {cls.__name__}")
        if data.get("version") != _FORMAT_VERSION:
            raise ValueError(f"{str(path)!r} has format version {data.get('version')!r}; expected {_FORMAT_VERSION}")
        return kind._from_json(data, repr(str(path)))


# ------------------------------------------------------------------------------------------------- characters
class CharTokenizer(Tokenizer):
    """One token per character: id ``i`` is ``chars[i]``.

    The simplest tokenizer, and the one of char-rnn: the vocabulary is the set of distinct characters of the
    training text, sorted by code point (65 for tiny Shakespeare, 4,773 for the shipped Tang poems). Sequences
    are as long as the text; a character not seen in training cannot be encoded.

    Parameters
    ----------
    chars : str or sequence of str
        The vocabulary, distinct single characters, in id order.

    Examples
    --------
    >>> tok = CharTokenizer.train("hello")
    >>> tok.chars, tok.encode("hell"), tok.decode([3, 2])
    ('ehlo', [1, 0, 2, 2], 'ol')
    """

    _format = "course_lib.CharTokenizer"

    def __init__(self, chars: str | Sequence[str]):
        if isinstance(chars, str):
            chars = list(chars)
        if not isinstance(chars, Sequence) or not all(isinstance(c, str) and len(c) == 1 for c in chars):
            raise TypeError(f"chars must be a str or a sequence of single characters; got {_describe(chars)}")
        if len(chars) == 0:
            raise ValueError("chars must hold at least one character; got none")
        repeated = [c for c, n in Counter(chars).items() if n > 1]
        if repeated:
            raise ValueError(f"chars must be distinct; got {repeated[:5]!r} more than once")
        self.chars = "".join(chars)
        self.stoi = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def train(cls, text: str) -> CharTokenizer:
        """A tokenizer whose vocabulary is the distinct characters of ``text``, sorted by code point."""
        text = _check_text(text)
        if not text:
            raise ValueError("text must not be empty: there is nothing to learn a vocabulary from")
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        """Number of distinct characters :math:`V`."""
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """The ids of the characters of ``text``, one per character. Raises ValueError naming the first
        character that is not in the vocabulary."""
        text = _check_text(text)
        stoi = self.stoi
        try:
            return [stoi[c] for c in text]
        except KeyError:
            i = next(i for i, c in enumerate(text) if c not in stoi)
            raise ValueError(
                f"text contains the character {text[i]!r} (position {i}), which is not in the vocabulary of "
                f"{self.vocab_size} characters; train the tokenizer on a text that contains it"
            ) from None

    def decode(self, ids) -> str:
        """The string of the characters with ids ``ids`` (each in ``[0, vocab_size)``)."""
        chars = self.chars
        return "".join([chars[i] for i in _check_ids(ids, self.vocab_size)])

    def _to_json(self) -> dict:
        return {"chars": self.chars}

    @classmethod
    def _from_json(cls, data: dict, where: str) -> CharTokenizer:
        chars = data.get("chars")
        if not isinstance(chars, str):
            raise ValueError(f"{where} is not a valid CharTokenizer file: 'chars' must be a string")
        try:
            return cls(chars)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} is not a valid CharTokenizer file: {exc}") from None

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"


# ------------------------------------------------------------------------------------------------- byte-level BPE
class BPETokenizer(Tokenizer):
    r"""Byte-level byte-pair encoding (BPE) with a regex pre-split and special tokens, as in GPT-2 and GPT-4.

    **Vocabulary.** Ids ``0..255`` are the 256 byte values of UTF-8; ids ``256 .. 256 + n_merges - 1`` are the
    merged tokens, in the order they were learned; the special tokens (default ``"<|endoftext|>"``) get the
    last ids, so ``vocab_size = 256 + n_merges + len(special_tokens)``. ``vocab[i]`` is the byte string of
    token ``i``; ``merges[(a, b)] = i`` says that token ``i`` is token ``a`` followed by token ``b``.

    **Training** (:meth:`train`). The text is cut into chunks by the pre-split pattern (so that no token spans
    a word and the following space, say), each distinct chunk is turned into its UTF-8 bytes, and then, while
    the vocabulary is smaller than ``vocab_size``:

    1. count every adjacent pair of tokens over the distinct chunks, each chunk weighted by how often it occurs;
    2. take the most frequent pair :math:`(a, b)`; **ties** go to the smallest pair, comparing :math:`a`
       first, then :math:`b` (so ``(97, 98)`` before ``(256, 97)``);
    3. give it the next id :math:`i` and replace :math:`(a, b)` by :math:`i` in every chunk, left to right.

    A pair whose byte string ``vocab[a] + vocab[b]`` is already a token (reached by another pair) is skipped
    and never counted again: each byte string then has exactly one id, so the ranks form a bijection between
    byte strings and ids, which is what byte-level encoders such as ``tiktoken`` (which look tokens up by
    their bytes) require. In plain greedy training the guard never fires (inside the span of an adjacent pair,
    merges evolve as on that substring alone, so one byte string is always reached by the same pair; the skipped
    pairs are kept in ``skipped_pairs``, empty on our corpora); it protects merges that come from elsewhere, and
    the constructor refuses merge lists that repeat a byte string.

    Step 1 is done once; after each merge only the chunks that contained the pair are
    updated, with NumPy, and a heap finds the most frequent pair (training to 512 tokens on 200,000 characters of
    Shakespeare takes well under a second; see ``_learn_merges``).

    **Encoding** (:meth:`encode`). Each chunk's bytes are merged by repeatedly applying the learned merge with
    the smallest id among the adjacent pairs, which replays training's merges in order. The result for each
    distinct chunk is cached, so encoding a whole corpus costs about one encoding per distinct word.

    **Decoding** (:meth:`decode`) concatenates the byte strings and decodes them as UTF-8 with
    ``errors="replace"``: a sequence of ids that cuts a multi-byte character (the bytes of one Chinese
    character split over tokens, say, then taken alone) gives U+FFFD (``"\ufffd"``) instead of an error, as
    tiktoken and minbpe do.

    Construct with :meth:`train` or :meth:`load`; ``BPETokenizer(merges, pattern, special_tokens)`` rebuilds one
    from its merges.

    Parameters
    ----------
    merges : dict mapping (int, int) to int, or sequence of (int, int) pairs
        The merges in order; the i-th must create id ``256 + i`` from ids smaller than that.
    pattern : "gpt4", "gpt2" or None
        The pre-split pattern (:data:`PATTERNS`); None: no pre-split, the whole text (between special tokens)
        is one chunk, for small examples only (encoding a long text as one chunk is slow).
    special_tokens : sequence of str
        Distinct non-empty strings that are never split.

    Examples
    --------
    The example of Wikipedia's "Byte pair encoding" article: ``aaabdaaabac`` with three merges,
    ``aa -> Z``, ``ab -> Y``, ``ZY -> X``, becomes ``XdXac``.

    >>> tok = BPETokenizer.train("aaabdaaabac", 256 + 3, pattern=None, special_tokens=())
    >>> tok.merges
    {(97, 97): 256, (97, 98): 257, (256, 257): 258}
    >>> tok.encode("aaabdaaabac")
    [258, 100, 258, 97, 99]
    """

    _format = "course_lib.BPETokenizer"

    def __init__(
        self,
        merges: dict[tuple[int, int], int] | Sequence[tuple[int, int]] = (),
        pattern: str | None = "gpt4",
        special_tokens: Sequence[str] = ("<|endoftext|>",),
    ):
        self.pattern_name = _check_pattern(pattern)
        self.pattern = None if pattern is None else PATTERNS[pattern]
        self.special_tokens = _check_specials(special_tokens)
        if isinstance(merges, dict):
            items = list(merges.items())
            pairs = [p for p, _ in items]
            wrong = [k for k, (_, i) in enumerate(items) if i != 256 + k]
            if wrong:
                k = wrong[0]
                raise ValueError(
                    f"merges must map its k-th pair to id 256 + k, in order; got {items[k][0]} -> {items[k][1]} "
                    f"at position {k}"
                )
        else:
            pairs = list(merges)
        vocab = {i: bytes([i]) for i in range(256)}
        index = {b: i for i, b in vocab.items()}
        self.merges: dict[tuple[int, int], int] = {}
        for k, pair in enumerate(pairs):
            new = 256 + k
            if (
                not isinstance(pair, (tuple, list))
                or len(pair) != 2
                or not all(isinstance(t, numbers.Integral) and not isinstance(t, bool) for t in pair)
            ):
                raise TypeError(f"merges[{k}] must be a pair of int token ids; got {_describe(pair)}")
            a, b = int(pair[0]), int(pair[1])
            if not (0 <= a < new and 0 <= b < new):
                raise ValueError(f"merges[{k}] = {(a, b)} creates id {new} and must use ids in [0, {new})")
            if (a, b) in self.merges:
                raise ValueError(f"merges[{k}] = {(a, b)} repeats the merge that made id {self.merges[(a, b)]}")
            token = vocab[a] + vocab[b]
            if token in index:
                raise ValueError(
                    f"merges[{k}] = {(a, b)} makes the byte string {token!r}, which is already token "
                    f"{index[token]}; every byte string must have one id"
                )
            self.merges[(a, b)] = new
            vocab[new] = token
            index[token] = new
        self.n_merges = len(self.merges)
        self.special_ids = {s: 256 + self.n_merges + k for k, s in enumerate(self.special_tokens)}
        for s, i in self.special_ids.items():
            vocab[i] = s.encode("utf-8")
        self.vocab: dict[int, bytes] = vocab
        self._regex = None if self.pattern is None else _compile(self.pattern)
        self._special_regex = (
            None
            if not self.special_tokens
            else _compile("|".join(_escape(s) for s in sorted(self.special_tokens, key=len, reverse=True)))
        )
        self._cache: dict[str, list[int]] = {}
        #: Pairs that training skipped because their bytes were already a token (set by :meth:`train` only).
        self.skipped_pairs: list[tuple[int, int]] = []

    # ----------------------------------------------------------------------------------------- training
    @classmethod
    def train(
        cls,
        text: str,
        vocab_size: int,
        pattern: str | None = "gpt4",
        special_tokens: Sequence[str] = ("<|endoftext|>",),
    ) -> BPETokenizer:
        """Learn ``vocab_size - 256 - len(special_tokens)`` merges from ``text`` and return the tokenizer.

        Parameters
        ----------
        text : str
            Training text. Occurrences of the special tokens in it are cut out before counting (they are never
            learned as ordinary text).
        vocab_size : int >= 256 + len(special_tokens)
            Size of the final vocabulary, special tokens included.
        pattern : "gpt4" (default), "gpt2" or None
            The pre-split pattern, see the class docstring.
        special_tokens : sequence of str, default ``("<|endoftext|>",)``
            Special tokens, given the last ids in this order.

        Raises ValueError if the text has fewer distinct adjacent pairs than merges are asked for.
        """
        text = _check_unicode(text)
        pattern_name = _check_pattern(pattern)
        specials = _check_specials(special_tokens)
        vocab_size = check_int(vocab_size, "vocab_size", minimum=256 + len(specials))
        n_merges = vocab_size - 256 - len(specials)
        probe = cls((), pattern_name, specials)  # compiled patterns; no merges yet
        chunks: Counter[bytes] = Counter()
        for part, is_special in probe._split_special(text, True):
            if not is_special:
                for chunk, count in Counter(probe._chunks(part)).items():
                    chunks[chunk.encode("utf-8")] += count
        merges, skipped = _learn_merges(chunks, n_merges)
        tok = cls(merges, pattern_name, specials)
        tok.skipped_pairs = skipped
        return tok

    # ----------------------------------------------------------------------------------------- encoding
    @property
    def vocab_size(self) -> int:
        """``256 + n_merges + len(special_tokens)``."""
        return 256 + self.n_merges + len(self.special_tokens)

    def mergeable_ranks(self) -> dict[bytes, int]:
        """Byte string -> id for the 256 bytes and the merged tokens (no special tokens): the
        ``mergeable_ranks`` of a ``tiktoken.Encoding``."""
        return {self.vocab[i]: i for i in range(256 + self.n_merges)}

    def _chunks(self, text: str) -> list[str]:
        if self._regex is None:
            return [text] if text else []
        return self._regex.findall(text)

    def _split_special(self, text: str, allow: bool):
        """Yield (piece, is_special) in order; with ``allow`` False the whole text is ordinary."""
        if not allow or self._special_regex is None:
            yield text, False
            return
        start = 0
        for m in self._special_regex.finditer(text):
            if m.start() > start:
                yield text[start : m.start()], False
            yield m.group(), True
            start = m.end()
        if start < len(text):
            yield text[start:], False

    def _encode_chunk(self, chunk: str) -> list[int]:
        """Merge the bytes of one chunk: apply the learned merge with the smallest id present, until none is."""
        ids = list(chunk.encode("utf-8"))
        get = self.merges.get
        none = 1 << 62
        while len(ids) > 1:
            ranks = [get(pair, none) for pair in zip(ids, ids[1:])]
            new = min(ranks)
            if new == none:
                break
            out, i, n = [], 0, len(ids)  # merge_pair(ids, pair, new), using the ranks already looked up
            while i < n:
                if i < n - 1 and ranks[i] == new:
                    out.append(new)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            ids = out
        return ids

    def encode(self, text: str, allowed_special: str = "all") -> list[int]:
        """Token ids of ``text``.

        Parameters
        ----------
        text : str
            Any Unicode text (lone surrogates, which are not valid Unicode, are refused).
        allowed_special : "all" or "none"
            ``"all"``: every occurrence of a special token string becomes its id. ``"none"``: special token
            strings are encoded as ordinary text (safe for untrusted input; ``tiktoken``'s
            ``encode_ordinary``).

        Returns
        -------
        list of int, each in ``[0, vocab_size)``.
        """
        text = _check_unicode(text)
        if allowed_special not in ("all", "none"):
            raise ValueError(f"allowed_special must be 'all' or 'none'; got {allowed_special!r}")
        cache = self._cache
        out: list[int] = []
        for part, is_special in self._split_special(text, allowed_special == "all"):
            if is_special:
                out.append(self.special_ids[part])
                continue
            for chunk in self._chunks(part):
                ids = cache.get(chunk)
                if ids is None:
                    ids = self._encode_chunk(chunk)
                    if len(cache) >= _CACHE_LIMIT:
                        cache.clear()
                    cache[chunk] = ids
                out.extend(ids)
        return out

    def decode(self, ids) -> str:
        """The text of ``ids`` (each in ``[0, vocab_size)``): the tokens' bytes joined and decoded as UTF-8
        with ``errors="replace"`` (invalid byte sequences become U+FFFD, see the class docstring)."""
        vocab = self.vocab
        return b"".join([vocab[i] for i in _check_ids(ids, self.vocab_size)]).decode("utf-8", errors="replace")

    # ----------------------------------------------------------------------------------------- save / load
    def _to_json(self) -> dict:
        return {
            "pattern": self.pattern_name,
            "pattern_regex": self.pattern,
            "special_tokens": list(self.special_tokens),
            "merges": [list(p) for p in self.merges],
        }

    @classmethod
    def _from_json(cls, data: dict, where: str) -> BPETokenizer:
        try:
            pattern = _check_pattern(data["pattern"])
            if pattern is not None and data.get("pattern_regex") != PATTERNS.get(pattern):
                raise ValueError(f"its pattern_regex does not match the {pattern!r} pattern")
            merges = data["merges"]
            if not isinstance(merges, list):
                raise ValueError("'merges' must be a list of pairs")
            specials = data["special_tokens"]
            if not isinstance(specials, list):
                raise ValueError("'special_tokens' must be a list of strings")
            return cls([tuple(p) if isinstance(p, list) else p for p in merges], pattern, specials)
        except KeyError as exc:
            raise ValueError(f"{where} is not a valid BPETokenizer file: the entry {exc} is missing") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} is not a valid BPETokenizer file: {exc}") from None

    def __repr__(self) -> str:
        return (
            f"BPETokenizer(vocab_size={self.vocab_size}, n_merges={self.n_merges}, pattern={self.pattern_name!r}, "
            f"special_tokens={self.special_tokens!r})"
        )


# ------------------------------------------------------------------------------------------------- internals
def _compile(pattern: str):
    import regex

    return regex.compile(pattern)


def _escape(s: str) -> str:
    import regex

    return regex.escape(s)


def _check_pattern(pattern) -> str | None:
    if pattern is not None and (not isinstance(pattern, str) or pattern not in PATTERNS):
        raise ValueError(f"pattern must be one of {list(PATTERNS)} or None; got {pattern!r}")
    return pattern


def _check_specials(special_tokens) -> tuple[str, ...]:
    if special_tokens is None:
        return ()
    if isinstance(special_tokens, str) or not isinstance(special_tokens, Iterable):
        raise TypeError(f"special_tokens must be a sequence of str, such as ('<|endoftext|>',); got {_describe(special_tokens)}")
    specials = tuple(special_tokens)
    for s in specials:
        if not isinstance(s, str) or not s:
            raise ValueError(f"special_tokens must hold non-empty strings; got {_describe(s)}")
    repeated = [s for s, n in Counter(specials).items() if n > 1]
    if repeated:
        raise ValueError(f"special_tokens must be distinct; got {repeated!r} more than once")
    return specials


def _learn_merges(chunks: Counter, n_merges: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The first ``n_merges`` BPE merges of the distinct chunks ``chunks`` (bytes -> count), and the pairs
    skipped because their byte string was already a token; see BPETokenizer.

    Vectorised and incremental. All distinct chunks are laid end to end in one int64 array ``seq``, separated by
    ``-1`` (which pairs with nothing), with ``weight[k]`` the count of the chunk that position ``k`` belongs to.
    A pair :math:`(a, b)` is coded as the integer :math:`aK + b` (:math:`K` = final number of ids), so sorting
    codes sorts pairs. The weighted pair counts are computed once; after each merge only the pairs that touch
    a merged occurrence change: the old pairs at positions ``i - 1, i, i + 1`` of each occurrence ``i`` are
    subtracted and the pairs around the new tokens added (NumPy, no loop over positions). A heap of
    ``(-count, code)`` entries, stale ones skipped when popped, gives the most frequent pair, ties going to the
    smallest code, that is the smallest pair.
    """
    K = 256 + n_merges
    lens = np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks))
    data = np.frombuffer(b"".join(chunks), dtype=np.uint8).astype(np.int64)
    seq = np.insert(data, np.cumsum(lens), -1)  # a -1 after every chunk
    weight = np.repeat(np.fromiter(chunks.values(), dtype=np.int64, count=len(chunks)), lens + 1)

    def pair_totals(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distinct codes of the pairs starting at positions ``pos`` (no -1 in them) and their summed weights."""
        pos = pos[(pos >= 0) & (pos < len(seq) - 1)]
        pos = pos[(seq[pos] >= 0) & (seq[pos + 1] >= 0)]
        codes, inverse = np.unique(seq[pos] * K + seq[pos + 1], return_inverse=True)
        return codes, np.bincount(inverse, weights=weight[pos], minlength=len(codes)).round().astype(np.int64)

    codes, totals = pair_totals(np.arange(len(seq) - 1))
    stats: dict[int, int] = dict(zip(codes.tolist(), totals.tolist()))
    heap = [(-c, code) for code, c in stats.items()]
    heapq.heapify(heap)
    token = {i: bytes([i]) for i in range(256)}
    known = set(token.values())
    skipped: set[int] = set()
    skipped_pairs: list[tuple[int, int]] = []
    merges: list[tuple[int, int]] = []
    while len(merges) < n_merges:
        while heap:
            neg, code = heapq.heappop(heap)
            if code not in skipped and stats.get(code, 0) == -neg > 0:
                break
        else:
            raise ValueError(
                f"the training text yields only {len(merges)} merges, fewer than the {n_merges} asked for "
                f"(vocab_size - 256 - len(special_tokens)): use a longer text or a smaller vocab_size"
            )
        a, b = divmod(code, K)
        new_bytes = token[a] + token[b]
        if new_bytes in known:  # the same bytes reached by another pair: keep one id per byte string
            skipped.add(code)
            skipped_pairs.append((a, b))
            continue
        new = 256 + len(merges)
        merges.append((a, b))
        token[new] = new_bytes
        known.add(new_bytes)

        idx = np.flatnonzero(seq[:-1] == a)
        idx = idx[seq[idx + 1] == b]
        if a == b and len(idx) > 1:  # runs such as a a a: merge from the left, (a a) a
            n = np.arange(len(idx))
            run_start = np.maximum.accumulate(np.where(np.r_[True, np.diff(idx) != 1], n, 0))
            idx = idx[(n - run_start) % 2 == 0]
        old_codes, old_totals = pair_totals(np.unique(np.concatenate([idx - 1, idx, idx + 1])))
        seq[idx] = new
        keep = np.ones(len(seq), dtype=bool)
        keep[idx + 1] = False
        seq, weight = seq[keep], weight[keep]
        at = idx - np.arange(len(idx))  # where the new tokens are now
        new_codes, new_totals = pair_totals(np.unique(np.concatenate([at - 1, at])))
        for c, delta in zip(np.concatenate([old_codes, new_codes]).tolist(),
                            np.concatenate([-old_totals, new_totals]).tolist()):
            stats[c] = stats.get(c, 0) + delta
        for c in set(old_codes.tolist()) | set(new_codes.tolist()):
            count = stats[c]
            if count > 0:
                if c not in skipped:
                    heapq.heappush(heap, (-count, c))
            else:
                del stats[c]
    return merges, skipped_pairs

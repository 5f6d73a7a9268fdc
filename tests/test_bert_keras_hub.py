"""The keras_hub pieces that chapter "Pre-training and fine-tuning" relies on, and the no-download rule.

- a BERT built from a configuration (``keras_hub.models.BertBackbone``) has the parameter count of the formula in
  course_lib.bert, and the masked-language-model and classification heads add what the chapter says;
- a WordPiece vocabulary computed offline from the shipped text, and a ``BertTokenizer`` built on it;
- ``BertMaskedLMPreprocessor`` selects about the configured share of the tokens and replaces them 80 / 10 / 10,
  on its pure-Python path (eager calls) and on its TensorFlow path (inside ``tf.data``);
- ``BertTextClassifier`` gives one row of ``num_classes`` logits per text;
- nothing in the book's executed code or in course_lib downloads weights (``from_preset`` and the like).
"""

import ast
import io
import os
import re
import tokenize
from pathlib import Path

import numpy as np
import pytest

from course_lib.bert import bert_n_params, masking_summary
from course_lib.datasets import load_reviews_unlabelled

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------- the no-download rule
# Calls that fetch model weights, vocabularies or data from the network. A chapter may SHOW such code only in a
# plain fenced listing (```python, not a code cell: never executed) that says "Not executed in this course".
FORBIDDEN = re.compile(
    r"\bfrom_preset\b|\bfrom_pretrained\b|\bhf_hub_download\b|\bsnapshot_download\b|\bhuggingface_hub\b"
    r"|\bget_file\s*\(|\btorch\.hub\b|\bload_state_dict_from_url\b|\burlopen\b|\burlretrieve\b"
    r"|\brequests\.(get|post|request)\b|\bhttpx\b|\bwget\b|\bcurl\s|\btfds\.load\b"
)
LISTING_MARK = "Not executed in this course"
# The one network access course_lib has: load_mnist's opt-in download of the MNIST data set (chapter "Digits:
# MLP against CNN" runs offline on the scikit-learn digits unless a reader asks for MNIST), never weights.
ALLOWED_IN_COURSE_LIB = {("course_lib/datasets.py", "urlopen")}
FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)


def code_without_comments(source: str) -> str:
    """Python source with its comments removed (IPython magics such as %pip are dropped first)."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    text = "\n".join(lines) + "\n"
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return "\n".join(ln.split("#", 1)[0] for ln in lines)
    return " ".join(t.string for t in tokens if t.type != tokenize.COMMENT)


def code_without_comments_and_docstrings(source: str) -> str:
    """Python source of a module without comments and docstrings (string literals in code are kept)."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstrings.add(first.value.lineno)
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and tok.start[0] in docstrings):
            continue
        out.append(tok.string)
    return " ".join(out)


def book_violations(markdown: str) -> list[str]:
    """Forbidden calls in a chapter's code cells, and in listings that do not say they are not executed."""
    problems = []
    for m in FENCE.finditer(markdown):
        info, body = m.group("info").strip(), m.group("body")
        line = markdown[: m.start()].count("\n") + 1
        if info.startswith("{code-cell}"):
            found = FORBIDDEN.search(code_without_comments(body))
            if found:
                problems.append(f"line {line}: a code cell calls {found.group(0).strip()!r}")
        elif info.split(" ")[0] in ("python", "py", "ipython3", "bash", "sh", "shell"):
            found = FORBIDDEN.search(body)
            if found and LISTING_MARK not in body:
                problems.append(f"line {line}: a listing uses {found.group(0).strip()!r} without saying "
                                f"{LISTING_MARK!r}")
    return problems


def test_the_scanner_finds_what_it_must_and_accepts_marked_listings():
    bad_cell = "```{code-cell} ipython3\nbackbone = keras_hub.models.BertBackbone.from_preset('bert_tiny')\n```\n"
    bad_listing = "```python\nmodel = AutoModel.from_pretrained('bert-base-uncased')\n```\n"
    fetch = "```{code-cell} ipython3\npath = keras.utils.get_file('w.h5', origin=URL)\n```\n"
    marked = "```python\n# Not executed in this course.\nmodel = AutoModel.from_pretrained('bert')\n```\n"
    comment = "```{code-cell} ipython3\nx = 1  # no from_preset here: built from a configuration\n```\n"
    prose = "The weights come from `from_pretrained(...)`, which downloads them.\n"
    assert len(book_violations(bad_cell)) == 1 and len(book_violations(bad_listing)) == 1
    assert len(book_violations(fetch)) == 1
    assert book_violations(marked + comment + prose) == []
    assert "from_preset" not in code_without_comments_and_docstrings('"""Never from_preset."""\nx = 1  # urlopen\n')
    assert "urlopen" in code_without_comments_and_docstrings("import urllib\nurllib.request.urlopen(u)\n")


def test_no_chapter_runs_a_download():
    problems = []
    for page in sorted((ROOT / "book").glob("*.md")):
        problems += [f"{page.name} {p}" for p in book_violations(page.read_text(encoding="utf-8"))]
    assert not problems, "; ".join(problems)


def test_course_lib_downloads_no_weights():
    problems = []
    for path in sorted((ROOT / "course_lib").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        code = code_without_comments_and_docstrings(path.read_text(encoding="utf-8"))
        for found in FORBIDDEN.finditer(code):
            if (rel, found.group(0).strip()) not in ALLOWED_IN_COURSE_LIB:
                problems.append(f"{rel}: {found.group(0).strip()!r}")
    assert not problems, problems


# ------------------------------------------------------------------------------------------------ keras_hub
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras_hub = pytest.importorskip("keras_hub")
tf = pytest.importorskip("tensorflow")
import keras  # noqa: E402

SEQ = 32


@pytest.fixture(scope="module")
def sentences():
    return load_reviews_unlabelled()[:600]


@pytest.fixture(scope="module")
def vocabulary(sentences):
    return keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices(sentences).batch(200), vocabulary_size=400, lowercase=True)


@pytest.fixture(scope="module")
def tokenizer(vocabulary):
    return keras_hub.models.BertTokenizer(vocabulary=vocabulary, lowercase=True)


def test_vocabulary_is_wordpiece_with_bert_special_tokens(vocabulary, tokenizer):
    assert vocabulary[:5] == ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"]
    assert 100 < len(vocabulary) <= 400 and len(set(vocabulary)) == len(vocabulary)
    assert any(v.startswith("##") for v in vocabulary)          # word pieces that continue a word
    assert tokenizer.vocabulary_size() == len(vocabulary)
    ids = tokenizer("The kettle is quick.")
    assert tokenizer.detokenize(ids) == "the kettle is quick ."  # lower-cased, punctuation split off
    unseen = tokenizer("zyxwvut")                                # a word never seen: pieces, not one token
    assert len(unseen) > 1 and tokenizer.token_to_id("[UNK]") not in list(unseen)


@pytest.mark.parametrize("V, T, d, L, I, H", [(400, 32, 64, 2, 128, 2), (123, 16, 32, 1, 48, 4),
                                              (50, 8, 16, 3, 16, 1)])
def test_backbone_parameter_count_matches_the_formula(V, T, d, L, I, H):
    backbone = keras_hub.models.BertBackbone(vocabulary_size=V, num_layers=L, num_heads=H, hidden_dim=d,
                                             intermediate_dim=I, max_sequence_length=T)
    assert backbone.count_params() == bert_n_params(V, T, d, L, I)
    mlm = keras_hub.models.BertMaskedLM(backbone)
    assert mlm.count_params() - backbone.count_params() == d * d + 3 * d + V   # tied output matrix
    classifier = keras_hub.models.BertTextClassifier(backbone, num_classes=3)
    assert classifier.count_params() - backbone.count_params() == d * 3 + 3


def masked_batch(preprocessor, sentences, use_tf_data):
    keras.utils.set_random_seed(0)
    if use_tf_data:  # inside tf.data: keras_hub's TensorFlow path (tensorflow-text's masking ops)
        ds = tf.data.Dataset.from_tensor_slices(sentences).batch(len(sentences)).map(preprocessor)
        x, y, w = next(iter(ds))
    else:            # an eager call on a list of str: keras_hub's pure-Python path
        x, y, w = preprocessor(sentences)
    return {k: np.asarray(v) for k, v in x.items()}, np.asarray(y), np.asarray(w)


@pytest.mark.parametrize("use_tf_data", [False, True], ids=["python-path", "tf-data-path"])
@pytest.mark.parametrize("rate", [0.15, 0.3])
def test_the_preprocessor_masks_at_the_configured_rate_80_10_10(tokenizer, sentences, use_tf_data, rate):
    preprocessor = keras_hub.models.BertMaskedLMPreprocessor(tokenizer, sequence_length=SEQ,
                                                             mask_selection_rate=rate, mask_selection_length=16)
    x, y, w = masked_batch(preprocessor, sentences, use_tf_data)
    assert x["token_ids"].shape == (len(sentences), SEQ) and y.shape == w.shape == (len(sentences), 16)
    s = masking_summary(x["token_ids"], x["mask_positions"], y, w, mask_token_id=tokenizer.mask_token_id,
                        special_token_ids=tokenizer.special_token_ids)
    assert s["n_eligible"] > 8000
    if use_tf_data:
        # tensorflow-text's RandomItemSelector (item_selector_ops.py) selects exactly ceil(rate * n) of the n
        # eligible tokens of each sequence: above `rate` on short sentences
        original = x["token_ids"].copy()
        rows = np.broadcast_to(np.arange(len(original))[:, None], y.shape)
        original[rows[w > 0], x["mask_positions"][w > 0]] = y[w > 0]
        n = (~np.isin(original, tokenizer.special_token_ids)).sum(axis=1)
        expected = np.minimum(np.ceil(np.float32(rate) * n.astype(np.float32)), 16)
        assert np.array_equal(w.sum(axis=1), expected)
        assert s["rate"] > rate + 0.01
    else:
        # the Python path selects each eligible token with probability `rate`, independently
        assert abs(s["rate"] - rate) < 0.015, s
    assert abs(s["mask_share"] - 0.8) < 0.04 and abs(s["random_share"] - 0.1) < 0.03, s
    assert abs(s["kept_share"] - 0.1) < 0.03, s
    first = x["token_ids"][:, 0]
    assert np.all(first == tokenizer.cls_token_id)                # [CLS] is never masked
    original = x["token_ids"].copy()
    rows = np.broadcast_to(np.arange(len(original))[:, None], y.shape)
    original[rows[w > 0], x["mask_positions"][w > 0]] = y[w > 0]
    # the padding mask is computed before masking (a random replacement may even draw the id of [PAD])
    assert np.all(x["padding_mask"] == (original != tokenizer.pad_token_id))


def test_the_python_path_is_reproducible_with_the_seed(tokenizer, sentences):
    preprocessor = keras_hub.models.BertMaskedLMPreprocessor(tokenizer, sequence_length=SEQ)
    a = masked_batch(preprocessor, sentences[:100], False)
    b = masked_batch(preprocessor, sentences[:100], False)
    assert np.array_equal(a[0]["token_ids"], b[0]["token_ids"]) and np.array_equal(a[1], b[1])


def test_classifier_output_shape(tokenizer):
    backbone = keras_hub.models.BertBackbone(vocabulary_size=tokenizer.vocabulary_size(), num_layers=1,
                                             num_heads=2, hidden_dim=16, intermediate_dim=32,
                                             max_sequence_length=SEQ)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=SEQ)
    classifier = keras_hub.models.BertTextClassifier(backbone, num_classes=2, preprocessor=preprocessor)
    logits = classifier.predict(["The pizza was tasty.", "Never again.", "The flight was delayed."], verbose=0)
    assert logits.shape == (3, 2) and np.all(np.isfinite(logits))
    x = preprocessor(["The pizza was tasty."])
    assert set(x) == {"token_ids", "segment_ids", "padding_mask"} and np.asarray(x["token_ids"]).shape == (1, SEQ)

"""Write reviews_unlabelled.txt: review-like sentences without labels, for pre-training (CC0, written for the course).

Run from the repository root: ``python course_lib/data/make_reviews_unlabelled.py``. The sentences come from the
generators of ``make_sentiment.py`` (the same things reviewed, adjectives, facts, side remarks, verdicts and
sentence forms: plain, negated, mixed), drawn with a different seed, and the label each sentence was drawn with
is thrown away: the file is unlabelled text in the domain of the labelled corpus, the kind of text a BERT is
pre-trained on (chapter "Pre-training and fine-tuning").

No sentence of the labelled corpus ``sentiment.csv`` is in this file, nor any sentence with the same bag of
words as one of them (the same test as ``make_sentiment.py`` uses for duplicates): the test split of the
labelled corpus must stay unseen by a model pre-trained on this file. Duplicates are dropped the same way. The
draw is deterministic (``random.Random(SEED)``), so re-running the script reproduces the file byte for byte.
One sentence per line, in the order drawn, ``\\n`` line ends.
"""

from __future__ import annotations

import csv
import importlib.util
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 2024          # make_sentiment.py uses seed 0
N_SENTENCES = 3000   # the generator has about 9,000 distinct sentences in all; 3,000 are plenty here
FORM_WEIGHTS = {"plain": 0.55, "negated": 0.25, "mixed": 0.2}  # as in make_sentiment.build


def _make_sentiment():
    """The module make_sentiment.py of this folder (course_lib/data is not a package)."""
    spec = importlib.util.spec_from_file_location("make_sentiment", HERE / "make_sentiment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bag_key(text: str) -> tuple[str, ...]:
    """The sorted words of ``text``, lower-cased, punctuation . , ; removed: make_sentiment's duplicate test."""
    return tuple(sorted(text.lower().replace(".", " ").replace(",", " ").replace(";", " ").split()))


def labelled_texts(path: Path = HERE / "sentiment.csv") -> list[str]:
    """The sentences of the labelled corpus."""
    with path.open(newline="", encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f)]


def build(seed: int = SEED, n: int = N_SENTENCES) -> list[str]:
    """``n`` distinct generated review sentences, none of them (nor a re-ordering of its words) labelled."""
    ms = _make_sentiment()
    rng = random.Random(seed)
    pairs = [(dom, it) for dom in ms.DOMAINS.values() for it in dom["items"]]
    forms, weights = list(FORM_WEIGHTS), list(FORM_WEIGHTS.values())
    excluded = {bag_key(t) for t in labelled_texts()} | {bag_key(t) for t, _ in ms.HARD}
    out: list[str] = []
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > 200 * n:
            raise RuntimeError(f"the generator gave only {len(out)} new distinct sentences; ask for fewer than {n}")
        dom, it = pairs[rng.randrange(len(pairs))]
        label = rng.randrange(2)  # drawn, used to choose the words, then thrown away
        form = rng.choices(forms, weights=weights)[0]
        text = ms._sentence(rng, dom, it, label, form)
        key = bag_key(text)
        if key not in excluded:
            excluded.add(key)
            out.append(text)
    return out


if __name__ == "__main__":
    out = HERE / "reviews_unlabelled.txt"
    with out.open("w", encoding="utf-8", newline="\n") as f:
        f.writelines(t + "\n" for t in build())
    print(f"wrote {out}")

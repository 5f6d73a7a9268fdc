"""The glossary page lists English-Chinese term pairs; each pair must really be given in the chapter it names."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| (?P<en>[^|]+?) \| (?P<zh>[^|]+?) \| \{doc\}`(?P<chapter>[^`]+)` \|$")


def glossary_rows():
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    return [m.groupdict() for line in text.splitlines() if (m := ROW.match(line))]


def test_glossary_has_rows_and_no_duplicates():
    rows = glossary_rows()
    assert len(rows) >= 50
    english = [r["en"].lower() for r in rows]
    assert len(english) == len(set(english)), "a term is listed twice"


def test_each_chinese_term_is_given_in_its_chapter():
    missing = []
    for row in glossary_rows():
        chapter = ROOT / "book" / f"{row['chapter']}.md"
        assert chapter.exists(), f"the glossary names a chapter that does not exist: {row['chapter']}"
        zh = row["zh"].split(" (")[0]  # e.g. "对数几率 (logits)"
        if zh not in chapter.read_text(encoding="utf-8"):
            missing.append(f"{row['en']} / {zh} not in {chapter.name}")
    assert not missing, missing

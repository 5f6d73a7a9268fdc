"""Write ``tang_poems.txt`` from the Tang poems of chinese-poetry/chinese-poetry (MIT licence).

Usage (from the repository root)::

    python course_lib/data/make_tang_poems.py PATH [--out course_lib/data/tang_poems.txt]

``PATH`` is either a checkout of https://github.com/chinese-poetry/chinese-poetry (a folder that contains
``全唐诗/``) or a bare git directory of it (then the files are read from ``HEAD`` with ``git show``).

What the script keeps, deterministically:

1. The files ``全唐诗/poet.tang.<k>.json`` are read in increasing ``k`` (0, 1000, 2000, ...), the poems of each
   file in file order (the order of the *Quan Tang Shi*, 《全唐诗》, compiled in 1705).
2. A poem is kept when it is **regular verse**: every paragraph is one couplet ``XXXXX，XXXXX。`` of two lines
   of 5 characters, or every paragraph is one couplet of two 7-character lines, the same length throughout the
   poem, with 2 to 8 couplets, and every character is a CJK ideograph (poems with lost characters written
   ``□``, notes, brackets or other punctuation are skipped). Repeated poems (same text) are kept once.
3. The first ``N_POEMS`` kept poems are written one per line: the paragraphs joined without separator, no
   title, no author, UTF-8, ``\\n`` line ends, a final newline.

The texts are in **traditional characters**, as stored in the source (the source's README: 繁体存储); no
conversion is made. Re-running the script on the same commit reproduces the file byte for byte.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

N_POEMS = 5000
FOLDER = "全唐诗"
_FILE = re.compile(r"poet\.tang\.(\d+)\.json$")
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff]"
_COUPLET = {n: re.compile(rf"{_HAN}{{{n}}}，{_HAN}{{{n}}}。") for n in (5, 7)}


class _Source:
    """Reads files of the chinese-poetry repository from a checkout or from a (bare) git directory."""

    def __init__(self, path: Path):
        self.path = path
        self.checkout = (path / FOLDER).is_dir()
        if not self.checkout and not (path / "HEAD").is_file():
            raise FileNotFoundError(f"{str(path)!r} is neither a checkout of chinese-poetry (no {FOLDER}/) nor a git directory")

    def _git(self, *args: str) -> bytes:
        return subprocess.run(["git", f"--git-dir={self.path}", *args], check=True, capture_output=True).stdout

    def commit(self) -> str | None:
        if self.checkout:
            try:
                return subprocess.run(["git", "-C", str(self.path), "rev-parse", "HEAD"], check=True,
                                      capture_output=True, text=True).stdout.strip()
            except (OSError, subprocess.CalledProcessError):
                return None
        return self._git("rev-parse", "HEAD").decode().strip()

    def names(self) -> list[str]:
        if self.checkout:
            names = [p.name for p in (self.path / FOLDER).iterdir()]
        else:
            out = self._git("-c", "core.quotepath=off", "ls-tree", "--name-only", f"HEAD:{FOLDER}")
            names = out.decode("utf-8").splitlines()
        found = sorted((int(m.group(1)), n) for n in names if (m := _FILE.match(n)))
        if not found:
            raise FileNotFoundError(f"no {FOLDER}/poet.tang.<k>.json files in {str(self.path)!r}")
        return [n for _, n in found]

    def read(self, name: str) -> str:
        if self.checkout:
            return (self.path / FOLDER / name).read_text(encoding="utf-8")
        return self._git("show", f"HEAD:{FOLDER}/{name}").decode("utf-8")


def regular_verse(paragraphs) -> str | None:
    """The poem as one string if it is regular 5- or 7-character verse (see the module docstring), else None."""
    if not isinstance(paragraphs, list) or not 2 <= len(paragraphs) <= 8:
        return None
    if not all(isinstance(p, str) for p in paragraphs):
        return None
    for n, pattern in _COUPLET.items():
        if all(pattern.fullmatch(p) for p in paragraphs):
            return "".join(paragraphs)
    return None


def build(path: str | Path, n_poems: int = N_POEMS) -> list[str]:
    """The first ``n_poems`` distinct regular-verse Tang poems of the repository at ``path``."""
    source = _Source(Path(path))
    poems: list[str] = []
    seen: set[str] = set()
    for name in source.names():
        for poem in json.loads(source.read(name)):
            text = regular_verse(poem.get("paragraphs"))
            if text is not None and text not in seen:
                seen.add(text)
                poems.append(text)
                if len(poems) == n_poems:
                    return poems
    raise ValueError(f"only {len(poems)} regular-verse poems found, fewer than {n_poems}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="checkout or git directory of chinese-poetry/chinese-poetry")
    parser.add_argument("--out", default=str(Path(__file__).with_name("tang_poems.txt")))
    parser.add_argument("--n-poems", type=int, default=N_POEMS)
    args = parser.parse_args(argv)
    poems = build(args.path, args.n_poems)
    text = "\n".join(poems) + "\n"
    Path(args.out).write_bytes(text.encode("utf-8"))
    commit = _Source(Path(args.path)).commit()
    print(f"{len(poems)} poems, {len(text)} characters, {len(text.encode('utf-8'))} bytes -> {args.out}"
          + (f" (source commit {commit})" if commit else ""), file=sys.stderr)


if __name__ == "__main__":
    main()

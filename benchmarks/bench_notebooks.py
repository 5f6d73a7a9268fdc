"""Benchmark: how long each chapter's notebook took to execute in the last book build, against the budget.

The course's speed target for a chapter is about a minute on a 2-core CPU laptop (README, "Measured numbers").
Jupyter Book records the execution time of every notebook it runs on the book's page "Execution statistics"
(``_build/html/book/exec-stats.html``); this script reads that page and prints every chapter's time, slowest
first, with its share of the budget. Run it after ``make book`` (``.ci/run`` does, after a clean build)::

    python benchmarks/bench_notebooks.py                 # print the table
    python benchmarks/bench_notebooks.py --strict        # ... and exit 1 when a chapter is over the budget

This is a benchmark, not a test: the times depend on the machine and on what else it is doing, so a test that
asserted them would fail on a busy machine with nothing wrong in the course. Without ``--strict`` it exits 0.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "_build" / "html" / "book" / "exec-stats.html"
BUDGET_SECONDS = 60.0


def read_times(page: Path = PAGE) -> dict[str, tuple[float, str]]:
    """{document: (seconds, status)} from the execution-statistics page of a built book."""
    if not page.exists():
        raise FileNotFoundError(f"{page} does not exist: build the book first (make book)")
    text = page.read_text(encoding="utf-8")
    times = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", text, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if len(cells) == 5:
            document, _, _, seconds, status = cells
            times[document] = (float(seconds), status)
    if not times:
        raise ValueError(f"{page} lists no executed notebook")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS, help="seconds per chapter (default 60)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a chapter is over the budget")
    args = parser.parse_args(argv)
    times = read_times()
    print(f"chapter execution times of the last build (budget {args.budget:.0f} s per chapter)")
    print(f"{'chapter':50s} {'seconds':>8s} {'of budget':>10s}  status")
    for document, (seconds, status) in sorted(times.items(), key=lambda item: -item[1][0]):
        print(f"{document:50s} {seconds:8.1f} {seconds / args.budget:10.0%}  {status}")
    total = sum(seconds for seconds, _ in times.values())
    over = [d for d, (seconds, _) in times.items() if seconds > args.budget]
    print(f"{len(times)} chapters, {total:.0f} s in all; over the budget: {', '.join(over) or 'none'}")
    return 1 if (over and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())

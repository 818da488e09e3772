"""The benchmark command in its quick mode: it runs and prints every row (no timing is judged)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROWS = [
    "| parsing | lxml.html.fromstring (floor) |",
    "| parsing | newscrawl: parse_article + ArticleLoader",
    "| parsing | parsel + 10 selectors + strptime |",
    "| parsing | trafilatura.bare_extraction",
    *(
        f"| crawl c={c} | {name}"
        for c in (16, 64)
        for name in (
            "minimal spider: articles/s",
            "newscrawl: articles/s",
            "minimal spider: peak RSS",
            "newscrawl: peak RSS",
            "minimal spider: crawler CPU",
            "newscrawl: crawler CPU",
            "replica CPU",
            "items seen",
        )
    ),
    "| state | crawl of 1 page, empty dataset",
    *(
        f"| state {n} | {name}"
        for n in ("1,000", "10,000")
        for name in (
            "dataset on disk",
            "index on disk",
            "rebuild from dataset",
            "load at start",
            "resident after load",
            "dedupe check, stored slug",
            "dedupe check, new slug",
            "crawl of 1 page: extra start-up",
            "the same after the dataset was copied",
        )
    ),
    *(
        f"| views 10,000 stored, 100 tracked | {name}"
        for name in (
            "history on disk",
            "tracked articles on disk",
            "rebuild from the history's tail",
            "load at start + plan the run's revisits",
            "resident after load",
            "crawl of 1 page: extra wall time vs no revisit state",
            "crawl of 1 page: extra peak RSS vs no revisit state",
        )
    ),
]


def test_quick_benchmark_prints_every_row() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    for row in ROWS:
        assert [line for line in table if line.startswith(row)], f"missing row {row!r}"
    assert len(table) == len(ROWS) + 1  # the header
    assert "items seen (newscrawl, minimal) | items | 72.0 (72.0–72.0)" in done.stdout

"""``python -m benchmarks [--quick]``: parsing, crawling and state figures in one table.

Every figure is measured several times (medians, min–max) in the same run as its baseline.
``--quick`` (what CI runs) uses small sizes so that it finishes in well under a minute.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from benchmarks import crawling, parsing, state
from benchmarks.report import Row, render

PARTS = ("parsing", "crawling", "state")


def machine() -> str:
    """One line on what the figures come from."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("scrapy", "lxml", "parsel", "itemloaders")
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, load {load}; Python {platform.python_version()}, "
        f"{packages}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part")
    args = parser.parse_args(argv)
    parts = args.only or PARTS
    quick = args.quick
    print(f"# newscrawl benchmarks ({'quick' if quick else 'full'})", flush=True)
    print(f"machine: {machine()}", flush=True)
    started = time.perf_counter()
    rows: list[Row] = []
    if "parsing" in parts:
        pages = parsing.make_pages(40 if quick else 300)
        rows += parsing.run(pages, repeats=3 if quick else 7)
    if "crawling" in parts:
        rows += crawling.run(
            articles=72 if quick else 2_016, concurrencies=(16, 64), repeats=1 if quick else 3
        )
    if "state" in parts:
        sizes = (1_000, 10_000) if quick else (10_000, 100_000, 1_000_000)
        rows += state.run(sizes, repeats=1 if quick else 3)
    print()
    print(render(rows, "Results (median, min–max over repeats; ratios per repeat, same run)"))
    missed = [row for row in rows if row.met is False]
    print()
    print(
        f"{len(rows)} rows in {time.perf_counter() - started:.0f} s; targets missed: {len(missed)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

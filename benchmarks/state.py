"""Part 3: the dedupe / incremental state (``newscrawl.state.SlugIndex``) at 10k–1M articles.

Datasets are generated in a temporary folder: minimal lines ``{"slug": ...}`` for all but the
last ``REALISTIC`` articles, which are whole records of generated articles (so the size on disk
is given for both kinds of line). Each figure is measured in a fresh Python process
(``python -m benchmarks.state probe ...``) so that its memory is its own.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.crawling import FAST, ROOT, Replica
from benchmarks.report import Row
from newscrawl.dataset import encode_line
from newscrawl.replica.generate import make_articles, write_site

REALISTIC = 1_000
LOAD_TARGET_S = 2.0
RSS_TARGET_MIB = 64.0
CHECKS = 100_000


def realistic_count(count: int) -> int:
    """How many of ``count`` stored articles are written as whole records."""
    return min(REALISTIC, count // 10)


def slug_of(number: int) -> str:
    """A slug of a realistic length (~60 characters) for stored article ``number``."""
    return f"world-leaders-meet-to-discuss-regional-security-and-trade-{number:07d}"


def write_dataset(path: Path, count: int) -> int:
    """A dataset of ``count`` articles; returns the size of one realistic line in bytes."""
    realistic = [
        {**a.expected_item(), "crawled_at": "2025-11-07T07:03:00Z"}
        for a in make_articles(realistic_count(count), seed=7)
    ]
    with path.open("wb") as out:
        lines = []
        for number in range(count - len(realistic)):
            lines.append(b'{"slug": "%s"}\n' % slug_of(number).encode())
            if len(lines) == 10_000:
                out.write(b"".join(lines))
                lines = []
        out.write(b"".join(lines))
        encoded = [encode_line(record) for record in realistic]
        out.write(b"".join(encoded))
    return round(statistics.mean(len(line) for line in encoded)) if encoded else 0


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def probe(dataset: Path, count: int) -> dict[str, Any]:
    """In this process: load the index of ``dataset`` and time membership checks."""
    from newscrawl.state import SlugIndex  # noqa: PLC0415 - after the RSS baseline

    before = _rss_kib("VmRSS")
    start = time.perf_counter()
    index = SlugIndex.load(dataset)
    load = time.perf_counter() - start
    after = _rss_kib("VmRSS")
    rebuilt = index.rebuilt or bool(index.caught_up_lines)
    save = 0.0
    if rebuilt:
        start = time.perf_counter()
        index.save()
        save = time.perf_counter() - start
    hits = [slug_of(n) for n in range(0, count - realistic_count(count), max(1, count // CHECKS))]
    misses = [f"not-stored-{n}" for n in range(len(hits))]
    timings = {}
    for name, slugs in (("hit", hits), ("miss", misses)):
        start = time.perf_counter()
        found = sum(1 for slug in slugs if slug in index)
        timings[name] = (time.perf_counter() - start) / len(slugs)
        assert found == (len(slugs) if name == "hit" else 0), (name, found)
    return {
        "load_s": load,
        "save_s": save,
        "rebuilt": rebuilt,
        "rss_delta_mib": (after - before) / 1024,
        "peak_rss_mib": _rss_kib("VmHWM") / 1024,
        "hit_us": timings["hit"] * 1e6,
        "miss_us": timings["miss"] * 1e6,
        "len": len(index),
    }


def _probe(dataset: Path, count: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.state", "probe", str(dataset), str(count)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _crawl_wall(replica: Replica, dataset: Path, *, copied: bool = False) -> float:
    """Wall time of ``scrapy crawl`` over one listing page of new articles, start-up included.

    The dataset is crawled in place and put back afterwards (its inode kept, as in production);
    with ``copied``, it is first replaced by a copy of itself (a new inode, as after a restore
    from backup), which makes the index catch up by reading the whole dataset.
    """
    index = dataset.with_name(dataset.name + ".index")
    size = dataset.stat().st_size
    saved_index = index.read_bytes() if index.exists() else None
    if copied:
        shutil.copy(dataset, dataset.with_name("copy.tmp"))
        os.replace(dataset.with_name("copy.tmp"), dataset)
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    command = [sys.executable, "-m", "scrapy", "crawl", "caliber_world", *FAST]
    command += ["-a", f"base_url={replica.base_url}", "-a", "max_pages=1"]
    command += ["-s", f"JSONL_PATH={dataset}", "-s", "LOG_LEVEL=WARNING"]
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - start
    with dataset.open("r+b") as stored:
        stored.truncate(size)
    if saved_index is None:
        index.unlink(missing_ok=True)
    else:
        index.write_bytes(saved_index)
    for extra in dataset.parent.glob(dataset.name + ".pending*"):
        extra.unlink()
    return wall


def run(sizes: tuple[int, ...], repeats: int) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="newscrawl-state-") as tmp:
        work = Path(tmp)
        site = work / "site"
        write_site(site, make_articles(18, seed=99, taken=[]))
        replica = Replica(site)
        try:
            empty = work / "empty" / "world.jsonl"
            empty.parent.mkdir()
            empty.touch()
            baseline = [_crawl_wall(replica, empty) for _ in range(repeats)]
            rows.append(
                Row(
                    "state",
                    "crawl of 1 page, empty dataset",
                    "s",
                    baseline,
                    note="start-up included",
                )
            )
            for count in sizes:
                rows += _size_rows(count, repeats, work, replica, baseline)
        finally:
            replica.close()
    return rows


def _size_rows(
    count: int, repeats: int, work: Path, replica: Replica, baseline: list[float]
) -> list[Row]:
    section = f"state {count:,}"
    folder = work / f"n{count}"
    folder.mkdir()
    dataset = folder / "world.jsonl"
    start = time.perf_counter()
    line_size = write_dataset(dataset, count)
    written = time.perf_counter() - start
    rebuild = _probe(dataset, count)  # no index yet: rebuilt from the dataset, then saved
    assert rebuild["rebuilt"] and rebuild["len"] == count, rebuild
    index_size = (folder / "world.jsonl.index").stat().st_size
    loads = [_probe(dataset, count) for _ in range(repeats)]
    assert not any(p["rebuilt"] for p in loads), loads
    load_s = [p["load_s"] for p in loads]
    rss = [p["rss_delta_mib"] for p in loads]
    crawl = [_crawl_wall(replica, dataset) for _ in range(repeats)]
    growth = [c - statistics.median(baseline) for c in crawl]
    copied = [_crawl_wall(replica, dataset, copied=True) - statistics.median(baseline)]
    big = count >= 1_000_000
    dataset_mib = dataset.stat().st_size / 2**20
    return [
        Row(
            section,
            "dataset on disk",
            "MiB",
            [dataset_mib],
            note=f"minimal lines + {realistic_count(count)} whole records of ~{line_size} B; "
            f"written in {written:.1f} s",
        ),
        Row(section, "index on disk", "MiB", [index_size / 2**20]),
        Row(
            section,
            "rebuild from dataset + save (index missing)",
            "s",
            [rebuild["load_s"] + rebuild["save_s"]],
            note=f"peak RSS {rebuild['peak_rss_mib']:.0f} MiB",
        ),
        Row(
            section,
            "load at start (index present)",
            "s",
            load_s,
            target=f"≤ {LOAD_TARGET_S:g} s" if big else "",
            met=statistics.median(load_s) <= LOAD_TARGET_S if big else None,
        ),
        Row(
            section,
            "resident after load (RSS growth)",
            "MiB",
            rss,
            target=f"≤ {RSS_TARGET_MIB:g} MiB" if big else "",
            met=statistics.median(rss) <= RSS_TARGET_MIB if big else None,
        ),
        Row(section, "dedupe check, stored slug", "µs", [p["hit_us"] for p in loads]),
        Row(section, "dedupe check, new slug", "µs", [p["miss_us"] for p in loads]),
        Row(
            section,
            "crawl of 1 page: extra start-up vs empty dataset",
            "s",
            growth,
            target=f"≤ {LOAD_TARGET_S:g} s" if big else "",
            met=statistics.median(growth) <= LOAD_TARGET_S if big else None,
        ),
        Row(
            section,
            "the same after the dataset was copied (new inode: the index re-reads it)",
            "s",
            copied,
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "probe":
        print(json.dumps(probe(Path(sys.argv[2]), int(sys.argv[3]))))
    else:
        sys.exit("usage: python -m benchmarks.state probe DATASET COUNT")

"""Part 3: the dedupe / incremental state (``newscrawl.state.SlugIndex``) at 10k–1M articles,
and the revisit state (``newscrawl.views``): the articles still tracked beside the largest archive.

Datasets are generated in a temporary folder: minimal lines ``{"slug": ...}`` for all but the
last ``REALISTIC`` articles, which are whole records of generated articles (so the size on disk
is given for both kinds of line). Each figure is measured in a fresh Python process
(``python -m benchmarks.state probe ...``) so that its memory is its own.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.crawling import FAST, ROOT, Replica
from benchmarks.report import Row
from newscrawl.dataset import encode_line
from newscrawl.replica.generate import make_articles, write_site
from newscrawl.site import SITE_TZ
from newscrawl.state import SlugIndex
from newscrawl.views import DEFAULT_AGES, Revisit, observation, parse_revisit_ages, utc_text

REALISTIC = 1_000
LOAD_TARGET_S = 2.0
RSS_TARGET_MIB = 64.0
CHECKS = 100_000
VIEWS_LOAD_TARGET_S = 0.5
VIEWS_RSS_TARGET_MIB = 32.0
AGES = parse_revisit_ages(DEFAULT_AGES)
# No tracked article comes due for this long after its history is written (none is revisited).
QUIET_S = 1800


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
            largest = work / f"n{max(sizes)}" / "world.jsonl"
            rows += _views_rows(largest, max(sizes), max(sizes) // 100, repeats, replica)
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


def tracked_history(path: Path, stored: int, tracked: int, now: float) -> None:
    """A history of ``stored`` archived articles, one old reading each, then ``tracked`` articles
    published over the last ``AGES[-1]`` with a reading at publication and one at each checkpoint
    passed; none comes due within ``QUIET_S``."""
    bounds = (0, *AGES)
    rng = random.Random(5)
    readings: list[tuple[float, Revisit]] = []
    for number in range(tracked):
        k = number % len(AGES)
        age = rng.uniform(bounds[k] + 120, max(bounds[k] + 121, bounds[k + 1] - QUIET_S))
        published = now - age
        revisit = Revisit(
            f"tracked-{slug_of(number)}",
            f"https://caliber.az/en/post/tracked-{slug_of(number)}",
            "en",
            datetime.fromtimestamp(int(published), SITE_TZ).isoformat(),
        )
        readings.append((published + 60, revisit))
        readings += [(published + c + 30, revisit) for c in AGES if c <= age - 60]
    readings.sort(key=lambda reading: reading[0])
    old = b'", "language": "en", "published_at": "2020-01-01T00:00:00+04:00", "views": 1234, '
    old += b'"observed_at": "2020-01-01T00:10:00Z", "age_seconds": 600}\n'
    with path.open("wb") as out:
        lines = []
        for number in range(stored):
            slug = slug_of(number).encode()
            lines.append(
                b'{"slug": "%s", "url": "https://caliber.az/en/post/%s%s' % (slug, slug, old)
            )
            if len(lines) == 10_000:
                out.write(b"".join(lines))
                lines = []
        out.write(b"".join(lines))
        out.write(
            b"".join(
                encode_line(observation(revisit, views=100, observed_at=utc_text(observed)))
                for observed, revisit in readings
            )
        )


def views_probe(history_path: Path, now: float, *, save: bool) -> dict[str, Any]:
    """In this process: open the history as a crawl does (tracked articles loaded, or rebuilt
    from the history's tail when the state file is missing) and plan the run's revisits."""
    from newscrawl.views import ViewsHistory  # noqa: PLC0415 - after the RSS baseline

    before = _rss_kib("VmRSS")
    start = time.perf_counter()
    history = ViewsHistory(history_path, AGES)
    history.open(now)
    plan = history.plan(now, 100)
    load = time.perf_counter() - start
    after = _rss_kib("VmRSS")
    if save:
        history.save()
    history.file.close()
    return {
        "load_s": load,
        "rss_delta_mib": (after - before) / 1024,
        "tracked": len(history.tracked),
        "due": plan.due,
        "loaded_from": history.loaded_from,
        "lines_read": history.lines_read,
    }


def _views_probe(history_path: Path, now: float, *, save: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.state", "views-probe", str(history_path)]
    command += [repr(now), "save" if save else "keep"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _crawl_peak(replica: Replica, dataset: Path, history: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MiB) of a one-page crawl with the history at ``history``; the
    dataset, its index, the history and its tracked articles are put back afterwards."""
    kept = [
        dataset.with_name(dataset.name + ".index"),
        history.with_name(history.name + ".tracked.json"),
    ]
    saved = {path: path.read_bytes() for path in kept if path.exists()}
    sizes = {path: path.stat().st_size for path in (dataset, history) if path.exists()}
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    command = [sys.executable, "-m", "scrapy", "crawl", "caliber_world", *FAST]
    command += ["-a", f"base_url={replica.base_url}", "-a", "max_pages=1"]
    command += ["-s", f"JSONL_PATH={dataset}", "-s", f"VIEWS_PATH={history}"]
    command += ["-s", "LOG_LEVEL=WARNING"]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    log = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"crawl failed:\n{log[-3000:].decode(errors='replace')}")
    for path, size in sizes.items():
        with path.open("r+b") as grown:
            grown.truncate(size)
    for path in kept:
        if path in saved:
            path.write_bytes(saved[path])
        else:
            path.unlink(missing_ok=True)
    if history not in sizes:
        for extra in history.parent.glob(history.name + "*"):
            extra.unlink()
    return wall, usage.ru_maxrss / 1024


def _views_rows(
    dataset: Path, stored: int, tracked: int, repeats: int, replica: Replica
) -> list[Row]:
    """Start-up and memory of a crawl over ``stored`` articles with ``tracked`` of them tracked
    for revisits, against the same crawl with no revisit state at all."""
    section = f"views {stored:,} stored, {tracked:,} tracked"
    folder = dataset.parent
    # The last crawl of _size_rows copied the dataset (a new inode) and put the old index back:
    # bring the index in step once, or every crawl here would read the whole dataset again.
    SlugIndex.load(dataset).save()
    history = folder / "tracked" / "world.views.jsonl"
    history.parent.mkdir()
    none = folder / "none" / "world.views.jsonl"
    none.parent.mkdir()
    now = time.time()
    start = time.perf_counter()
    tracked_history(history, stored, tracked, now)
    written = time.perf_counter() - start
    rebuild = _views_probe(history, time.time(), save=True)  # no state file yet: rebuilt
    assert rebuild["loaded_from"] == "rebuilt" and rebuild["tracked"] == tracked, rebuild
    state = history.with_name(history.name + ".tracked.json")
    loads = [_views_probe(history, time.time(), save=False) for _ in range(repeats)]
    assert all(p["loaded_from"] == "loaded" and p["due"] == 0 for p in loads), loads
    without, withs = [], []
    # Two crawls of a few seconds differ by a tenth of a second: more pairs for a steady median.
    for _ in range(1 if repeats == 1 else max(repeats, 5)):
        without.append(_crawl_peak(replica, dataset, none))
        withs.append(_crawl_peak(replica, dataset, history))
    extra_s = [w[0] - n[0] for w, n in zip(withs, without, strict=True)]
    extra_rss = [w[1] - n[1] for w, n in zip(withs, without, strict=True)]
    load_s = [p["load_s"] for p in loads]
    rss = [p["rss_delta_mib"] for p in loads]
    big = stored >= 1_000_000
    return [
        Row(
            section,
            "history on disk",
            "MiB",
            [history.stat().st_size / 2**20],
            note=f"a reading per stored article, then the tracked ones'; {written:.1f} s to write",
        ),
        Row(section, "tracked articles on disk", "MiB", [state.stat().st_size / 2**20]),
        Row(
            section,
            "rebuild from the history's tail (state file lost)",
            "s",
            [rebuild["load_s"]],
            note=f"{rebuild['lines_read']:,} lines read back",
        ),
        Row(section, "load at start + plan the run's revisits", "s", load_s),
        Row(section, "resident after load (RSS growth)", "MiB", rss),
        Row(
            section,
            "crawl of 1 page: extra wall time vs no revisit state",
            "s",
            extra_s,
            target=f"≤ {VIEWS_LOAD_TARGET_S:g} s" if big else "",
            met=statistics.median(extra_s) <= VIEWS_LOAD_TARGET_S if big else None,
            note=f"without: {statistics.median(n[0] for n in without):.2f} s",
        ),
        Row(
            section,
            "crawl of 1 page: extra peak RSS vs no revisit state",
            "MiB",
            extra_rss,
            target=f"≤ {VIEWS_RSS_TARGET_MIB:g} MiB" if big else "",
            met=statistics.median(extra_rss) <= VIEWS_RSS_TARGET_MIB if big else None,
            note=f"without: {statistics.median(n[1] for n in without):.0f} MiB",
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "probe":
        print(json.dumps(probe(Path(sys.argv[2]), int(sys.argv[3]))))
    elif len(sys.argv) == 5 and sys.argv[1] == "views-probe":
        found = views_probe(Path(sys.argv[2]), float(sys.argv[3]), save=sys.argv[4] == "save")
        print(json.dumps(found))
    else:
        sys.exit(
            "usage: python -m benchmarks.state probe DATASET COUNT\n"
            "       python -m benchmarks.state views-probe HISTORY NOW save|keep"
        )

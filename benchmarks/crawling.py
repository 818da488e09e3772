"""Part 2: a crawl of a generated replica by caliber_world beside a minimal Scrapy spider.

Each run is a fresh ``scrapy`` process against one replica process; the figures come from the
crawl's own stats (items, elapsed time), the child's rusage (peak RSS, CPU) and the replica's
CPU from /proc over the same window.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.report import Row, ratio_met
from newscrawl import settings as project_settings
from newscrawl.replica.generate import make_articles, write_site

ROOT = Path(__file__).resolve().parent.parent
THROUGHPUT_TARGET = 0.9
RSS_TARGET = 1.2
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO"]


@dataclass
class Run:
    items: int
    elapsed: float  # the crawl's own elapsed_time_seconds
    wall: float  # the process, start-up included
    cpu: float  # the process's user + system seconds
    peak_rss_mib: float
    server_cpu: float  # the replica's user + system seconds over the same window

    @property
    def rate(self) -> float:
        return self.items / self.elapsed


class Replica:
    """The replica in its own process, so that its CPU is its own and can be read."""

    def __init__(self, site: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newscrawl.replica", "--site", str(site)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("replica serving "):
            self.process.kill()
            raise RuntimeError(f"replica did not start: {line!r}")
        self.base_url = line.split()[-1]

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _run(command: list[str], cwd: Path, env: dict[str, str], replica: Replica, stats: Path) -> Run:
    server_before = replica.cpu_seconds()
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    log = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    server_cpu = replica.cpu_seconds() - server_before
    if process.returncode != 0 or not stats.exists():
        raise RuntimeError(f"{command[:5]} failed ({process.returncode}):\n{log[-3000:]}")
    crawl = json.loads(stats.read_text())
    stats.unlink()
    return Run(
        items=int(crawl.get("item_scraped_count", 0)),
        elapsed=float(crawl["elapsed_time_seconds"]),
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / 1024,
        server_cpu=server_cpu,
    )


def _settings(concurrency: int, stats: Path, extensions: dict[str, int]) -> list[str]:
    # StatsDump is added to the extensions the spider already has (the project's RunReport...).
    extensions = {**extensions, "benchmarks.statsdump.StatsDump": 0}
    return [
        *FAST,
        "-s",
        f"CONCURRENT_REQUESTS={concurrency}",
        "-s",
        f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
        "-s",
        f"EXTENSIONS={json.dumps(extensions)}",
        "-s",
        f"BENCH_STATS_PATH={stats}",
    ]


def run_project(replica: Replica, concurrency: int, work: Path) -> Run:
    """``scrapy crawl caliber_world`` with the project's settings, throttling off, empty dataset."""
    stats = work / "stats.json"
    data = work / "data"  # the dataset and its index, lock and pending files: new every run
    shutil.rmtree(data, ignore_errors=True)
    dataset = data / "world.jsonl"
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "scrapy", "crawl", "caliber_world"]
    command += ["-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}"]
    settings = _settings(concurrency, stats, project_settings.EXTENSIONS)
    return _run(command + settings, ROOT, env, replica, stats)


def run_minimal(replica: Replica, concurrency: int, work: Path) -> Run:
    """The minimal spider with Scrapy's defaults (run outside the project), throttling off."""
    stats = work / "stats.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["PYTHONPATH"] = str(ROOT)
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "runspider",
        str(ROOT / "benchmarks/minimal_spider.py"),
    ]
    command += ["-a", f"base_url={replica.base_url}"]
    return _run(command + _settings(concurrency, stats, {}), work, env, replica, stats)


def run(articles: int, concurrencies: tuple[int, ...], repeats: int) -> list[Row]:
    """Both spiders over the same generated site, alternating, ``repeats`` times per concurrency."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="newscrawl-bench-") as tmp:
        work = Path(tmp)
        write_site(work / "site", make_articles(articles, seed=2025))
        replica = Replica(work / "site")
        try:
            for concurrency in concurrencies:
                project: list[Run] = []
                minimal: list[Run] = []
                for repeat in range(repeats):
                    order = (
                        (run_project, run_minimal)
                        if repeat % 2 == 0
                        else (run_minimal, run_project)
                    )
                    for runner in order:
                        result = runner(replica, concurrency, work)
                        (project if runner is run_project else minimal).append(result)
                rows += _rows(concurrency, articles, project, minimal)
        finally:
            replica.close()
    return rows


def _rows(concurrency: int, articles: int, project: list[Run], minimal: list[Run]) -> list[Row]:
    section = f"crawl c={concurrency}"
    complete = all(r.items == articles for r in project + minimal)
    note = f"{articles} articles" + ("" if complete else " (SOME MISSING: see items)")
    rates = [p.rate / m.rate for p, m in zip(project, minimal, strict=True)]
    rss = [p.peak_rss_mib / m.peak_rss_mib for p, m in zip(project, minimal, strict=True)]
    return [
        Row(
            section,
            "minimal spider: articles/s",
            "articles/s",
            [m.rate for m in minimal],
            note=note,
        ),
        Row(
            section,
            "newscrawl: articles/s",
            "articles/s",
            [p.rate for p in project],
            rates,
            f"≥ {THROUGHPUT_TARGET}× minimal",
            ratio_met(rates, at_least=THROUGHPUT_TARGET) and complete,
        ),
        Row(section, "minimal spider: peak RSS", "MiB", [m.peak_rss_mib for m in minimal]),
        Row(
            section,
            "newscrawl: peak RSS",
            "MiB",
            [p.peak_rss_mib for p in project],
            rss,
            f"≤ {RSS_TARGET}× minimal",
            ratio_met(rss, at_most=RSS_TARGET),
        ),
        Row(
            section,
            "minimal spider: crawler CPU",
            "% of a core",
            [100 * m.cpu / m.wall for m in minimal],
        ),
        Row(
            section,
            "newscrawl: crawler CPU",
            "% of a core",
            [100 * p.cpu / p.wall for p in project],
        ),
        Row(
            section,
            "replica CPU (both crawls)",
            "% of a core",
            [100 * r.server_cpu / r.wall for r in project + minimal],
        ),
        Row(
            section,
            "items seen (newscrawl, minimal)",
            "items",
            [float(r.items) for r in project + minimal],
        ),
    ]

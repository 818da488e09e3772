"""The run report at the end of a run (log and ``JSONL_PATH.report.json``), progress during it.

``RunReport`` counts the fields of every scraped item and, when the spider closes, logs the
report of ``newscrawl.report`` and writes it beside the dataset. ``Progress`` logs a progress
line every ``CALIBER_PROGRESS_INTERVAL`` seconds and a line for every request the host keeps
waiting.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Request, signals
from scrapy.utils.asyncio import create_looping_call

from newscrawl import STATS, config
from newscrawl.alarms import MarkupAlarm, filled
from newscrawl.dataset import MISMATCH, dataset_path
from newscrawl.downloads import quiet_scrapy_failure_logs
from newscrawl.editions import DEFAULT_EDITION
from newscrawl.items import FIELDS
from newscrawl.report import article_counts, build_report, report_text

logger = logging.getLogger(__name__)


def report_path(dataset: Path) -> Path:
    """Where the last run's report goes: beside the dataset, ``JSONL_PATH.report.json``.

    >>> report_path(Path("/srv/news/world.jsonl"))
    PosixPath('/srv/news/world.jsonl.report.json')
    """
    return dataset.with_name(dataset.name + ".report.json")


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once: a reader sees the old file or the new, never half.

    A temporary file of its own (two crawls may end at once) is renamed over ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


class RunReport:
    """Counts ``caliber_world/fields_filled/<field>`` per scraped item; reports the run at close.

    The report is logged at INFO when the run finished and at ERROR when it did not (so
    ``-L WARNING`` still shows it), and written as JSON to ``JSONL_PATH.report.json``; the
    ``crawl`` command logs its ``verdict`` as the run's last line.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.report: dict[str, Any] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunReport:
        quiet_scrapy_failure_logs()
        report = cls(crawler)
        crawler.signals.connect(report.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        return report

    def item_scraped(self, item: Any, spider: Any) -> None:
        adapter = ItemAdapter(item)
        for name in FIELDS:
            if filled(adapter.get(name)):
                self.stats.inc_value(f"{STATS}/fields_filled/{name}")

    def spider_closed(self, spider: Any, reason: str) -> None:
        alarm = self.crawler.get_extension(MarkupAlarm)
        dataset = getattr(spider, "dataset", None)
        # The dataset's real path, the edition's own when JSONL_PATH is left at its default.
        edition = getattr(spider, "edition", DEFAULT_EDITION)
        path = (
            dataset.path
            if dataset is not None
            else Path(os.path.realpath(dataset_path(self.crawler.settings, edition)))
        )
        report = build_report(
            self.stats.get_stats(),
            reason=reason,
            alarms=alarm.fired if alarm is not None else (),
            failed_pages=str(alarm.folder) if alarm is not None and alarm.saved else None,
            owed=len(dataset.owed) if dataset is not None else None,
            dataset_path=str(path.resolve()),
            dataset_articles=len(dataset) if dataset is not None else None,
            finished_at=datetime.now(UTC),
        )
        self.report = report
        self.stats.set_value(f"{STATS}/report/articles_new", report["articles"]["written"])
        self.stats.set_value(
            f"{STATS}/report/already_stored", report["section_cards"]["already_stored"]
        )
        if report["owed_to_next_run"] is not None:
            self.stats.set_value(f"{STATS}/report/owed_to_next_run", report["owed_to_next_run"])
        text = report_text(report)
        spider.logger.log(logging.INFO if report["finished"] else logging.ERROR, "%s", text)
        stats = self.stats.get_stats()
        document = {
            "spider": spider.name,
            "job": getattr(spider, "_job", None),
            **report,
            "text": text.splitlines(),
            "stats": {key: value for key, value in sorted(stats.items()) if key.startswith(STATS)},
        }
        if reason == MISMATCH:
            return  # the files beside that dataset belong to another crawl: its report stays
        target = report_path(path)
        try:
            write_atomically(target, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        except OSError as error:
            spider.logger.error("Run report not written to %s: %s", target, error)


def duration(seconds: float) -> str:
    """A rough duration for an estimate.

    >>> duration(42.4), duration(180), duration(7300)
    ('42 s', '3 min', '2.0 h')
    """
    if seconds < 100:
        return f"{seconds:.0f} s"
    if seconds < 6000:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def progress_line(requested: int, done: int, listing_pages: int, elapsed: float) -> str:
    """One progress line: articles done of those requested so far, pages, rate, time left.

    >>> progress_line(400, 120, 7, 38.7)
    'progress: 120/400 articles (30%), 7 listing pages, 3.1 articles/s, ~90 s left'
    >>> progress_line(0, 0, 1, 5.0)
    'progress: 0/0 articles, 1 listing page, 0.0 articles/s'
    """
    share = f" ({done / requested:.0%})" if requested else ""
    rate = done / elapsed if elapsed > 0 else 0.0
    pages = f"{listing_pages} listing page{'' if listing_pages == 1 else 's'}"
    line = f"progress: {done}/{requested} articles{share}, {pages}, {rate:.1f} articles/s"
    if rate > 0 and requested > done:
        line += f", ~{duration((requested - done) / rate)} left"
    return line


class Progress:
    """Every ``CALIBER_PROGRESS_INTERVAL`` seconds a progress line (in place of Scrapy's
    ``Crawled N pages`` lines, ``LOGSTATS_INTERVAL = 0``); and a line for each request whose
    host has not answered for two thirds of its ``DOWNLOAD_TIMEOUT`` (at most 10 s), so a
    stalled host shows in the log before the request is given up.
    """

    TICK = 1.0

    def __init__(self, crawler: Any, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180)
        self.started = time.monotonic()
        self.next_line = self.started + interval
        self.seen: dict[Request, float] = {}
        self.announced: set[Request] = set()
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> Progress:
        interval = config.PROGRESS_INTERVAL.read(crawler.settings)
        progress = cls(crawler, interval)
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        return progress

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.next_line = self.started + self.interval
        self.task = create_looping_call(self.tick)
        self.task.start(self.TICK, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def tick(self) -> None:
        now = time.monotonic()
        self.check_waiting(now)
        if self.interval and now >= self.next_line:
            self.next_line = now + self.interval
            stats = self.crawler.stats.get_stats()
            requested, done = article_counts(stats)
            pages = int(stats.get(f"{STATS}/listing_pages", 0))
            logger.info("%s", progress_line(requested, done, pages, now - self.started))

    def transferring(self) -> set[Request]:
        """The requests being downloaded now (sent, or connecting, and not yet answered)."""
        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        slots = getattr(downloader, "slots", None) or {}
        return {request for slot in slots.values() for request in slot.transferring}

    def check_waiting(self, now: float) -> None:
        current = self.transferring()
        # A request first seen now began some time since the last tick: say half a tick ago.
        began = now - self.TICK / 2
        self.seen = {request: self.seen.get(request, began) for request in current}
        self.announced &= current
        for request, since in self.seen.items():
            timeout = float(request.meta.get("download_timeout") or self.timeout)
            waited, patience = now - since, min(10.0, timeout * 2 / 3)
            # Under 2 s a tick of 1 s cannot tell waiting from answering; the failure line says it.
            if request not in self.announced and 2.0 <= patience <= waited:
                self.announced.add(request)
                logger.info(
                    "Waiting for %s: no answer for %d s (DOWNLOAD_TIMEOUT %g s)",
                    request.url,
                    waited,
                    timeout,
                )

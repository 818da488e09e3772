"""The run report at the end of a run: in the log and in ``JSONL_PATH.report.json``.

``RunReport`` counts the fields of every scraped item and, when the spider closes, logs the
report of ``newscrawl.report`` and writes it beside the dataset.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals

from newscrawl import STATS
from newscrawl.alarms import MarkupAlarm, filled
from newscrawl.downloads import quiet_scrapy_failure_logs
from newscrawl.items import FIELDS
from newscrawl.report import build_report, report_text


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
        path = Path(self.crawler.settings.get("JSONL_PATH") or "data/caliber_world.jsonl")
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
        target = report_path(path)
        try:
            write_atomically(target, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        except OSError as error:
            spider.logger.error("Run report not written to %s: %s", target, error)

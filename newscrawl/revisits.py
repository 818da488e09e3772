"""Revisits in a crawl: the pipeline that owns the view-count history, writes each new article's
first count, and tells the spider what to read again and what came of it."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from newscrawl import STATS, config
from newscrawl.dataset import MISMATCH
from newscrawl.responses import GONE
from newscrawl.views import (
    HistoryLockedError,
    Revisit,
    ViewsHistory,
    default_views_path,
    stored_since,
)

#: The close reason of a run whose history (or dataset) could not be written.
WRITE_FAILED = "write_failed"
VIEWS_LOCKED = "views_locked"


class ViewsHistoryPipeline:
    """Appends a view-count observation to ``VIEWS_PATH`` for every article written to the
    dataset, and for every revisit the spider makes (``spider.views`` is this pipeline).

    Placed after the dataset writer: an item that reaches it was written. A revisit is no item:
    it neither reaches the dataset nor counts in the item stats the drift alarms read.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.ages = config.REVISIT_AGES.read(settings)
        self.budget = config.REVISIT_MAX.read(settings)
        self.views_path = config.VIEWS_PATH.read(settings)
        self.max_failed_runs = config.OWED_MAX_RUNS.read(settings)
        # Known once the dataset is open: the history sits beside the dataset the run writes.
        self.dataset_path = Path(settings.get("JSONL_PATH"))
        self.history = ViewsHistory(
            self.views_path or default_views_path(self.dataset_path),
            self.ages,
            max_failed_runs=self.max_failed_runs,
        )
        self.opened = False
        self.broken = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> ViewsHistoryPipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    @property
    def logger(self) -> Any:
        return self.crawler.spider.logger

    def count(self, key: str, value: int = 1) -> None:
        """Add to a ``caliber_world/...`` stat."""
        self.crawler.stats.inc_value(f"{STATS}/{key}", value)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        if getattr(spider, "close_reason", None) is not None:
            return  # the dataset is locked: this run writes nothing
        dataset = getattr(spider, "dataset", None)
        if dataset is not None and dataset.path != self.dataset_path:
            # The edition's own dataset (JSONL_PATH left at its default), or its real path.
            self.dataset_path = dataset.path
            self.history = ViewsHistory(
                self.views_path or default_views_path(self.dataset_path),
                self.ages,
                max_failed_runs=self.max_failed_runs,
            )
        backfill = getattr(getattr(spider, "args", None), "revisit", None)
        if not self.history.ages and backfill is None:
            return  # revisits are off
        clash = dataset is not None and self.history.files() & dataset.own_files
        if clash:
            self.logger.error(
                "VIEWS_PATH %s would write over %s, a file of the dataset: give the views history "
                "a path of its own, or leave the setting empty; this run stops without writing",
                self.history.path,
                ", ".join(sorted(map(str, clash))),
            )
            self.count(f"errors/{MISMATCH}")
            spider.close_reason = MISMATCH
            return
        try:
            self.history.open(time.time())
        except HistoryLockedError as error:
            self.logger.error("%s; this run stops without writing", error)
            self.count("errors/views_locked")
            spider.close_reason = VIEWS_LOCKED
            return
        except OSError as error:
            self.logger.error("Views history %s cannot be opened: %s", self.history.path, error)
            self.count("errors/views_write_failed")
            spider.close_reason = WRITE_FAILED
            return
        self.opened = True
        spider.views = self
        self._report_open()

    def _report_open(self) -> None:
        history = self.history
        repair = history.repair
        if repair is not None:
            self.count("views_repaired_bytes", repair.rejected_bytes)
            self.logger.warning(
                "Views history %s ended in a half-written line (%d bytes): moved to %s",
                history.path,
                repair.rejected_bytes,
                repair.rejected_path,
            )
        for entry in history.expired:
            self.count("revisits_given_up")
            self.logger.warning(
                "Revisits given up: the last checkpoint of %s passed long ago unread",
                entry.revisit.url,
            )
        if history.lines_read:
            self.logger.info(
                "Tracked articles %s from %d lines of %s",
                history.loaded_from,
                history.lines_read,
                history.path,
            )

    def spider_closed(self, spider: Any, reason: str) -> None:
        if not self.opened:
            return
        self.opened = False
        try:
            self.history.close()
        except OSError as error:
            spider.logger.error(
                "Tracked articles %s could not be saved: %s", self.history.tracked_path, error
            )

    def process_item(self, item: Any) -> Any:
        if self.opened:
            adapter = ItemAdapter(item)
            revisit = Revisit(
                str(adapter.get("slug")),
                str(adapter.get("url")),
                adapter.get("language"),
                adapter.get("published_at"),
            )
            self.write(revisit, adapter.get("views"), str(adapter.get("crawled_at")))
        return item

    def write(self, revisit: Revisit, views: int | None, observed_at: str) -> bool:
        """Append one observation; a failure is counted, logged once and fails the run."""
        if self.broken:
            return False
        try:
            self.history.observe(revisit, views, observed_at)
        except OSError as error:
            self.broken = True
            self.count("errors/views_write_failed")
            self.logger.error(
                "Views history %s could not be written (%s): the run stops",
                self.history.path,
                error,
            )
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=WRITE_FAILED))
            return False
        self.count("views_written")
        return True

    def plan(self, backfill_since: datetime | None) -> list[Revisit]:
        """This run's revisits: the due ones, and with a backfill the stored articles published
        since ``backfill_since``, within ``CALIBER_REVISIT_MAX``."""
        if not self.opened:
            return []
        backfill = stored_since(self.dataset_path, backfill_since) if backfill_since else []
        plan = self.history.plan(time.time(), self.budget, backfill)
        self.count("revisits_due", plan.due + plan.backfill)
        self.count("revisits_deferred", plan.deferred)
        self.count("revisits_done", 0)
        self.count("revisits_failed", 0)
        if backfill_since is not None:
            self.count("revisits_backfill", plan.backfill)
        self.logger.info(
            "Revisits: %d due, %d more from the backfill; %d this run, %d wait for the next runs "
            "(CALIBER_REVISIT_MAX=%d); %d articles tracked",
            plan.due,
            plan.backfill,
            len(plan.chosen),
            plan.deferred,
            self.budget,
            len(self.history.tracked),
        )
        if backfill_since is not None and plan.resume_at is not None:
            self.logger.warning(
                "Backfill: not every stored article published since %s is read this run "
                "(CALIBER_REVISIT_MAX=%d): run again with -a revisit=%s, or with "
                "-s CALIBER_REVISIT_MAX=0",
                backfill_since.isoformat(),
                self.budget,
                plan.resume_at,
            )
        return plan.chosen

    def revisited(self, revisit: Revisit, views: int | None, observed_at: str) -> None:
        """A revisit read the page: write what it shows (``None``: the page shows no views)."""
        if not self.write(revisit, views, observed_at):
            return
        self.count("revisits_done")
        if views is None:
            self.count("revisits_views_missing")
            self.logger.warning("Revisit found no views: %s", revisit.url)

    def failed(self, revisit: Revisit, kind: str) -> None:
        """A revisit could not read the page: a gone (or too large) page ends its revisits, any
        other failure is asked for again by the next runs, as a failed article page is."""
        self.count(f"errors/revisit_{kind}")
        if kind in GONE or kind == "too_large":
            self.history.gone(revisit)
            self.count("revisits_gone")
            self.logger.warning("Revisits ended (%s): %s", kind, revisit.url)
            return
        self.count("revisits_failed")
        if self.history.failed(revisit, time.time()):
            self.count("revisits_given_up")
            self.logger.warning(
                "Revisit failed (%s) %d runs in a row, given up: %s",
                kind,
                self.history.max_failed_runs,
                revisit.url,
            )
        else:
            self.logger.error("Revisit failed (%s), the next run asks again: %s", kind, revisit.url)

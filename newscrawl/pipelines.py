"""Item pipelines: drop duplicate articles, then append valid new ones to the JSONL dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from newscrawl import STATS
from newscrawl.dataset import (
    BASE_EDITION,
    Dataset,
    DatasetError,
    DatasetWriteError,
    Identity,
    dataset_path,
)
from newscrawl.items import FIELDS
from newscrawl.schema import schema_errors


class DedupePipeline:
    """Drops an article whose slug this run already emitted or the dataset already holds."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        slug = str(ItemAdapter(item).get("slug"))
        stored = getattr(self.crawler.spider, "dataset", None)
        if slug in self.seen or (stored is not None and slug in stored):
            self.crawler.stats.inc_value(f"{STATS}/items_duplicate")
            raise DropItem(f"duplicate article {slug}", log_level="DEBUG")
        self.seen.add(slug)
        return item


class JsonlWriterPipeline:
    """Appends each valid item to the dataset as one whole line, in schema key order.

    The dataset is ``JSONL_PATH`` (or the spider's edition's own, see ``dataset_path``), opened
    when the spider opens; the spider gets it (``spider.dataset``) to skip what is stored. An item
    that does not validate against ``schema/article.schema.json`` is refused, counted and owed to
    the next run; a write that fails stops the run (``write_failed``) and owes every item left.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.dataset: Dataset | None = None
        self.stopping = False
        self._closing: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonlWriterPipeline:
        writer = cls(crawler)
        # Closed on spider_closed, not close_spider: the close reason decides the run state.
        crawler.signals.connect(writer.spider_closed, signal=signals.spider_closed)
        return writer

    def count(self, key: str, value: int = 1) -> None:
        """Add to a ``caliber_world/...`` stat."""
        self.crawler.stats.inc_value(f"{STATS}/{key}", value)

    def open_spider(self) -> None:
        spider, settings = self.crawler.spider, self.crawler.settings
        edition = str(getattr(spider, "edition", BASE_EDITION) or BASE_EDITION)
        scheme = getattr(spider, "scheme", None)
        index = settings.get("JSONL_INDEX_PATH")
        dataset = Dataset(dataset_path(settings, edition), Path(index) if index else None)
        try:
            dataset.open(Identity.of(edition, scheme.base_url) if scheme is not None else None)
        except DatasetError as error:
            spider.logger.error("%s", error)
            self.count(f"errors/{error.reason}")
            spider.close_reason = error.reason
            return
        self.dataset = spider.dataset = dataset
        self.report_opened(dataset, spider.logger)

    def report_opened(self, dataset: Dataset, logger: Any) -> None:
        """Log and count what opening the dataset found and mended."""
        if dataset.state_problems:
            self.count("state_invalid")
            logger.warning(
                "Run state %s was damaged (%s): those parts were reset",
                dataset.state_path,
                "; ".join(dataset.state_problems),
            )
        repair = dataset.repair
        if repair is not None and repair.completed_bytes:
            self.count("dataset_newline_added")
            logger.warning(
                "Dataset %s ended in a whole record without its newline (%d bytes): newline added",
                dataset.path,
                repair.completed_bytes,
            )
        elif repair is not None:
            self.count("dataset_repaired_bytes", repair.rejected_bytes)
            logger.warning(
                "Dataset %s ended in a half-written line (%d bytes): moved to %s",
                dataset.path,
                repair.rejected_bytes,
                repair.rejected_path,
            )
        index = dataset.index
        if index is None:
            return
        if index.rebuilt and (index.problem or index.caught_up_lines or index.bad_lines):
            self.count("index_rebuilt")
            logger.warning(
                "Index %s rebuilt from %d dataset lines: %s",
                dataset.index_path,
                index.caught_up_lines,
                index.problem or "it was missing",
            )
        elif index.caught_up_lines:
            logger.info(
                "Index %s caught up from %d dataset lines",
                dataset.index_path,
                index.caught_up_lines,
            )
        if index.kept_for_new_file:
            logger.info(
                "Dataset %s is new or empty: the index keeps the %d articles stored before it "
                "(a rotation; remove %s too to crawl them again)",
                dataset.path,
                index.kept_for_new_file,
                dataset.index_path,
            )
        if index.bad_lines:
            self.count("dataset_bad_lines", len(index.bad_lines))
            shown = ", ".join(str(offset) for offset in index.bad_lines[:10])
            logger.warning(
                "Dataset %s holds %d lines that are not whole JSON records (at byte %s%s): "
                "not counted as stored, their articles are fetched again",
                dataset.path,
                len(index.bad_lines),
                shown,
                ", …" if len(index.bad_lines) > 10 else "",
            )
        logger.info("Dataset %s holds %d articles", dataset.path, len(dataset))

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.dataset is None:
            return
        for problem in self.dataset.close(finished=reason == "finished"):
            self.count("errors/dataset_not_saved")
            spider.logger.error("At close, %s", problem)
        spider.logger.info("Dataset %s now holds %d articles", self.dataset.path, len(self.dataset))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        record = {name: adapter.get(name) for name in FIELDS}
        slug, url = str(record.get("slug")), record.get("url")
        dataset = self.dataset
        if dataset is None:
            raise DropItem(f"no dataset open for {url}", log_level="DEBUG")
        errors = schema_errors(record)
        if errors:
            self.count("items_invalid")
            self.crawler.spider.logger.error(
                "Refusing %s: %s; owed to the next run", url, "; ".join(errors)
            )
            dataset.owe(slug)
            raise DropItem(f"invalid article {url}", log_level="DEBUG")
        try:
            dataset.append(record)
        except DatasetWriteError as error:
            dataset.owe(slug)
            self.count("items_not_written")
            if not self.stopping:
                self.stopping = True
                self.count(f"errors/{error.reason}")
                self.crawler.spider.logger.error(
                    "%s; the run stops, its articles not written are owed to the next run", error
                )
                self._closing = self.stop(error.reason)
            raise DropItem(f"article not written {url}", log_level="DEBUG") from None
        self.count("items_written")
        return item

    def stop(self, reason: str) -> Any:
        """Close the spider with ``reason`` (the items still in flight come back owed)."""
        return deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

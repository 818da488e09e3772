"""Item pipelines: drop duplicate articles, then append valid new ones to the JSONL dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem

from newscrawl import STATS
from newscrawl.dataset import Dataset, DatasetLockedError
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
    """Appends each valid item to ``JSONL_PATH`` as one whole line, in schema key order.

    An item that does not validate against ``schema/article.schema.json`` is refused and counted.
    The spider gets the dataset (``spider.dataset``) to skip what is already stored.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        index = crawler.settings.get("JSONL_INDEX_PATH")
        self.dataset = Dataset(
            Path(crawler.settings.get("JSONL_PATH")), Path(index) if index else None
        )

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonlWriterPipeline:
        writer = cls(crawler)
        # Closed on spider_closed, not close_spider: the close reason decides the run state.
        crawler.signals.connect(writer.spider_closed, signal=signals.spider_closed)
        return writer

    def open_spider(self) -> None:
        spider, stats = self.crawler.spider, self.crawler.stats
        try:
            self.dataset.open()
        except DatasetLockedError as error:
            spider.logger.error("%s; this run stops without writing", error)
            stats.inc_value(f"{STATS}/errors/dataset_locked")
            spider.close_reason = "dataset_locked"
            return
        repair = self.dataset.repair
        if repair is not None:
            stats.inc_value(f"{STATS}/dataset_repaired_bytes", repair.rejected_bytes)
            spider.logger.warning(
                "Dataset %s ended in a half-written line (%d bytes): moved to %s",
                self.dataset.path,
                repair.rejected_bytes,
                repair.rejected_path,
            )
        spider.dataset = self.dataset
        index = self.dataset.index
        if index is not None and (index.rebuilt or index.caught_up_lines):
            spider.logger.info(
                "Index %s %s from %d dataset lines",
                self.dataset.index_path,
                "rebuilt" if index.rebuilt else "caught up",
                index.caught_up_lines,
            )
        spider.logger.info("Dataset %s holds %d articles", self.dataset.path, len(self.dataset))

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.dataset.close(finished=reason == "finished")
        spider.logger.info(
            "Dataset %s now holds %d articles", self.dataset.path.resolve(), len(self.dataset)
        )

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        record = {name: adapter.get(name) for name in FIELDS}
        errors = schema_errors(record)
        if errors:
            self.crawler.stats.inc_value(f"{STATS}/items_invalid")
            self.crawler.spider.logger.error(
                "Refusing %s: %s", record.get("url"), "; ".join(errors)
            )
            raise DropItem(f"invalid article {record.get('url')}", log_level="DEBUG")
        self.dataset.append(record)
        self.crawler.stats.inc_value(f"{STATS}/items_written")
        return item

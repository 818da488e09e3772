"""Item pipelines: drop duplicate articles, then append new ones to the JSONL dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newscrawl.dataset import Dataset
from newscrawl.items import FIELDS

STATS = "caliber_world"


class DedupePipeline:
    """Drops an article whose slug this run already emitted or the dataset already holds."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def process_item(self, item: Any, spider: Any) -> Any:
        slug = str(ItemAdapter(item).get("slug"))
        if slug in self.seen or slug in spider.stored:
            spider.crawler.stats.inc_value(f"{STATS}/items_duplicate")
            raise DropItem(f"duplicate article {slug}", log_level="DEBUG")
        self.seen.add(slug)
        return item


class JsonlWriterPipeline:
    """Appends each item to ``JSONL_PATH`` as one whole line, in schema key order."""

    def __init__(self, path: Path) -> None:
        self.dataset = Dataset(path)

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonlWriterPipeline:
        return cls(Path(crawler.settings.get("JSONL_PATH")))

    def open_spider(self, spider: Any) -> None:
        self.dataset.open()
        spider.stored = self.dataset
        spider.logger.info("Dataset %s holds %d articles", self.dataset.path, len(self.dataset))

    def close_spider(self, spider: Any) -> None:
        self.dataset.close()
        spider.logger.info(
            "Dataset %s now holds %d articles", self.dataset.path.resolve(), len(self.dataset)
        )

    def process_item(self, item: Any, spider: Any) -> Any:
        adapter = ItemAdapter(item)
        self.dataset.append({name: adapter.get(name) for name in FIELDS})
        spider.crawler.stats.inc_value(f"{STATS}/items_written")
        return item

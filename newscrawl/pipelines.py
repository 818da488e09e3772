"""Item pipelines: drop duplicate articles, then append valid new ones to the JSONL dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newscrawl.dataset import Dataset, DatasetLockedError
from newscrawl.items import FIELDS
from newscrawl.schema import schema_errors

STATS = "caliber_world"


class DedupePipeline:
    """Drops an article whose slug this run already emitted or the dataset already holds."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def process_item(self, item: Any, spider: Any) -> Any:
        slug = str(ItemAdapter(item).get("slug"))
        stored = getattr(spider, "dataset", None)
        if slug in self.seen or (stored is not None and slug in stored):
            spider.crawler.stats.inc_value(f"{STATS}/items_duplicate")
            raise DropItem(f"duplicate article {slug}", log_level="DEBUG")
        self.seen.add(slug)
        return item


class JsonlWriterPipeline:
    """Appends each valid item to ``JSONL_PATH`` as one whole line, in schema key order.

    An item that does not validate against ``schema/article.schema.json`` is refused and counted.
    """

    def __init__(self, path: Path, index_path: Path | None) -> None:
        self.dataset = Dataset(path, index_path)

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonlWriterPipeline:
        index = crawler.settings.get("JSONL_INDEX_PATH")
        return cls(Path(crawler.settings.get("JSONL_PATH")), Path(index) if index else None)

    def open_spider(self, spider: Any) -> None:
        try:
            self.dataset.open()
        except DatasetLockedError as error:
            spider.logger.error("%s; this run stops without writing", error)
            spider.crawler.stats.inc_value(f"{STATS}/errors/dataset_locked")
            spider.close_reason = "dataset_locked"
            return
        repair = self.dataset.repair
        if repair is not None:
            spider.crawler.stats.inc_value(f"{STATS}/dataset_repaired_bytes", repair.rejected_bytes)
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

    def close_spider(self, spider: Any) -> None:
        self.dataset.close()
        spider.logger.info(
            "Dataset %s now holds %d articles", self.dataset.path.resolve(), len(self.dataset)
        )

    def process_item(self, item: Any, spider: Any) -> Any:
        adapter = ItemAdapter(item)
        record = {name: adapter.get(name) for name in FIELDS}
        errors = schema_errors(record)
        if errors:
            spider.crawler.stats.inc_value(f"{STATS}/items_invalid")
            spider.logger.error("Refusing %s: %s", record.get("url"), "; ".join(errors))
            raise DropItem(f"invalid article {record.get('url')}", log_level="DEBUG")
        self.dataset.append(record)
        spider.crawler.stats.inc_value(f"{STATS}/items_written")
        return item

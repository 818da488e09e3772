"""The run report: per-field fill counts while items pass, one summary block when the run ends."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals

from newscrawl import STATS
from newscrawl.items import FIELDS


class RunReport:
    """Counts ``caliber_world/fields_filled/<field>`` per scraped item; logs a summary at close."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunReport:
        report = cls(crawler)
        crawler.signals.connect(report.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        return report

    def item_scraped(self, item: Any, spider: Any) -> None:
        adapter = ItemAdapter(item)
        for name in FIELDS:
            value = adapter.get(name)
            if value is not None and value not in ("", []):
                self.stats.inc_value(f"{STATS}/fields_filled/{name}")

    def figures(self) -> dict[str, Any]:
        """The report's figures, from the run's stats."""
        stats: dict[str, Any] = self.stats.get_stats()

        def stat(key: str) -> int:
            return int(stats.get(f"{STATS}/{key}", 0))

        prefix = f"{STATS}/errors/"
        return {
            "listing_pages": stat("listing_pages"),
            "articles_new": stat("items_written"),
            "duplicates_dropped": stat("cards_duplicate") + stat("items_duplicate"),
            "already_stored": stat("articles_already_stored"),
            "errors": {
                key[len(prefix) :]: value for key, value in stats.items() if key.startswith(prefix)
            },
            "items": int(stats.get("item_scraped_count", 0)),
            "fields_filled": {name: stat(f"fields_filled/{name}") for name in FIELDS},
        }

    def spider_closed(self, spider: Any, reason: str) -> None:
        figures = self.figures()
        for key in ("articles_new", "duplicates_dropped", "already_stored"):
            self.stats.set_value(f"{STATS}/report/{key}", figures[key])
        errors = ", ".join(f"{kind} {count}" for kind, count in sorted(figures["errors"].items()))
        filled = ", ".join(f"{name} {count}" for name, count in figures["fields_filled"].items())
        spider.logger.info(
            "Run report (%s):\n"
            "  listing pages read:       %d\n"
            "  articles new:             %d\n"
            "  duplicates dropped:       %d\n"
            "  skipped, already stored:  %d\n"
            "  errors:                   %s\n"
            "  fields filled (of %d):    %s",
            reason,
            figures["listing_pages"],
            figures["articles_new"],
            figures["duplicates_dropped"],
            figures["already_stored"],
            errors or "none",
            figures["items"],
            filled,
        )

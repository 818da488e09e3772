"""A Scrapy extension that writes the crawl's stats to ``BENCH_STATS_PATH`` as JSON when it ends."""

from __future__ import annotations

import json
from typing import Any

from scrapy import signals


class StatsDump:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.path = crawler.settings.get("BENCH_STATS_PATH")

    @classmethod
    def from_crawler(cls, crawler: Any) -> StatsDump:
        ext = cls(crawler)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def closed(self, spider: Any, reason: str) -> None:
        if self.path:
            stats = {k: v for k, v in self.crawler.stats.get_stats().items()}
            with open(self.path, "w", encoding="utf-8") as out:
                json.dump(stats, out, default=str)

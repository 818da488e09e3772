"""Markup-drift alarms: the run checks itself and fails loudly when the site's markup moved.

``MarkupAlarm`` saves the raw HTML of failing pages, and before a crawl may close as ``finished``
it checks the item count and per-field coverage; a failed check closes it as ``markup_drift``,
``too_few_items`` or ``section_unreachable`` (``spider_error`` when a callback raised) instead,
with one log line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from newscrawl import STATS, config
from newscrawl.selectors import DEFAULT, FIELD_SELECTORS, Selectors

logger = logging.getLogger(__name__)

REQUIRED_FIELDS = config.REQUIRED_FIELDS
DRIFT = "markup_drift"
TOO_FEW = "too_few_items"
SPIDER_ERROR = "spider_error"
UNREACHABLE = "section_unreachable"

#: Signal a spider sends with a page it could not read as it should (``response``, ``reason``).
page_failed = object()
#: Signal a spider sends when a page shows the markup moved (``response``, ``message``).
markup_drift = object()


def filled(value: Any) -> bool:
    """Whether an item field holds something: not ``None``, ``""`` or ``[]``.

    >>> [filled(v) for v in (None, "", [], 0, "x", ["a"])]
    [False, False, False, True, True, True]
    """
    return value is not None and value not in ("", [])


def selector_text(field: str, selectors: Selectors = DEFAULT) -> str:
    """How the log names the selector behind a field, with its effective CSS.

    >>> selector_text("headline")
    'HEADLINE = "h1.post_title"'
    >>> selector_text("headline", Selectors.compile({"HEADLINE": "h1.title"}))
    'HEADLINE = "h1.title"'
    """
    return selectors.describe(FIELD_SELECTORS[field])


def coverage_failures(
    stats: Mapping[str, Any],
    required_floor: float,
    floors: Mapping[str, float],
    selectors: Selectors = DEFAULT,
) -> list[str]:
    """What fell below its coverage floor, one phrase per field naming its selector.

    Required fields are measured over every article page parsed (refused ones too), the others
    over the items scraped:

    >>> stats = {"caliber_world/articles_parsed": 4, "caliber_world/field_missing/body": 3,
    ...          "item_scraped_count": 2, "caliber_world/fields_filled/views": 0}
    >>> coverage_failures(stats, 0.5, {"views": 0.5})  # doctest: +NORMALIZE_WHITESPACE
    ['BODY = ".post_body" found nothing on 3 of 4 articles (coverage 25%, floor 50%)',
     'VIEWS = ".post_hits" found nothing on 2 of 2 articles (coverage 0%, floor 50%)']
    >>> coverage_failures({}, 0.5, {"views": 0.5})
    []
    """
    failures = []
    parsed = int(stats.get(f"{STATS}/articles_parsed", 0))
    scraped = int(stats.get("item_scraped_count", 0))
    checks = [(name, required_floor) for name in REQUIRED_FIELDS] + list(floors.items())
    for name, floor in checks:
        if name in REQUIRED_FIELDS:
            total = parsed
            empty = int(stats.get(f"{STATS}/field_missing/{name}", 0))
        else:
            total = scraped
            empty = total - int(stats.get(f"{STATS}/fields_filled/{name}", 0))
        if total == 0 or floor <= 0:
            continue
        coverage = (total - empty) / total
        if coverage < floor:
            failures.append(
                f"{selector_text(name, selectors)} found nothing on {empty} of {total} articles"
                f" (coverage {coverage:.0%}, floor {floor:.0%})"
            )
    return failures


def safe_name(url: str) -> str:
    """A file name made of a URL's last path segment, with only ``[A-Za-z0-9-]`` kept.

    >>> safe_name("http://h/en/post/a-b?x=1"), safe_name("http://h/en/post/..%2F..%2Fetc")
    ('a-b', '2F_2Fetc')
    >>> safe_name("http://h/en/category/world?page=2")
    'world'
    """
    segment = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9-]+", "_", segment)[:80].strip("_") or "page"


class MarkupAlarm:
    """Saves failing pages, checks the run before it may finish, and fails it on drift.

    Field coverage is read from ``caliber_world/fields_filled/<field>``, counted per scraped item
    by ``newscrawl.extensions.RunReport``.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        parsed = config.Config.from_settings(crawler.settings)
        self.min_items = parsed[config.MIN_ITEMS]
        self.required_floor = parsed[config.REQUIRED_COVERAGE]
        self.floors = parsed[config.FIELD_COVERAGE]
        self.max_saved = parsed[config.FAILED_PAGES_MAX]
        folder = parsed[config.FAILED_PAGES_DIR]
        if folder is None:
            folder = parsed[config.JSONL_PATH].parent / "failed-pages"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.folder = folder / stamp
        self.saved: list[Path] = []
        self.drifted = False
        # Every alarm line logged this run, for the run report.
        self.fired: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> MarkupAlarm:
        alarm = cls(crawler)
        crawler.signals.connect(alarm.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(alarm.page_failed, signal=page_failed)
        crawler.signals.connect(alarm.markup_drift, signal=markup_drift)
        return alarm

    def page_failed(self, response: Response, reason: str) -> None:
        """Keep the raw HTML of ``response``, up to ``CALIBER_FAILED_PAGES_MAX`` pages a run."""
        if len(self.saved) >= self.max_saved:
            return
        path = self.folder / f"{len(self.saved) + 1:02d}-{safe_name(response.url)}.html"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(response.body)
            with (self.folder / "index.tsv").open("a", encoding="utf-8") as index:
                index.write(f"{path.name}\t{response.url}\t{' '.join(reason.split())}\n")
        except OSError as error:
            # Only a copy for the operator: the alarm it comes with is logged all the same.
            logger.warning(
                "Failing pages cannot be saved in %s (%s): no more are kept", self.folder, error
            )
            self.max_saved = 0
            return
        self.saved.append(path)
        self.stats.inc_value(f"{STATS}/failed_pages_saved")

    def markup_drift(self, response: Response, message: str) -> None:
        """A page shows the markup moved: save it and log the one line (the spider closes)."""
        self.page_failed(response, message)
        self.alarm(f"{message} ({response.url})")

    def alarm(self, message: str) -> None:
        self.drifted = True
        where = f"; failing pages saved in {self.folder}" if self.saved else ""
        self.fire(f"Markup drift: {message}{where}")

    def fire(self, line: str) -> None:
        """Log one alarm line at ERROR and keep it for the run report."""
        self.fired.append(line)
        logger.error("%s", line)

    def spider_idle(self, spider: Any) -> None:
        """The crawl would finish: check it first, and close it as a failure when a check fails."""
        if self.drifted:
            raise CloseSpider(DRIFT)
        crashed = int(self.stats.get_value("spider_exceptions/count", 0))
        if crashed:
            self.fire(f"The spider's own code failed {crashed} times (tracebacks above)")
            raise CloseSpider(SPIDER_ERROR)
        stats = self.stats.get_stats()
        listing_errors = sum(
            int(value) for key, value in stats.items() if key.startswith(f"{STATS}/errors/listing_")
        )
        if listing_errors and not stats.get(f"{STATS}/listing_pages_with_cards"):
            self.fire(
                f"Section unreachable: no listing page could be read ({listing_errors} failed;"
                " see above)"
            )
            raise CloseSpider(UNREACHABLE)
        selectors = getattr(spider, "selectors", DEFAULT)
        failures = coverage_failures(stats, self.required_floor, self.floors, selectors)
        if failures:
            self.alarm("; ".join(failures))
            raise CloseSpider(DRIFT)
        requested = int(self.stats.get_value(f"{STATS}/articles_requested", 0))
        read = int(self.stats.get_value("item_scraped_count", 0)) + int(
            self.stats.get_value(f"{STATS}/articles_before_since", 0)
        )
        wanted = min(self.min_items, requested)
        if read < wanted:
            self.fire(
                f"Too few items: {read} of {requested} requested articles could be read"
                f" (minimum {wanted})"
            )
            raise CloseSpider(TOO_FEW)

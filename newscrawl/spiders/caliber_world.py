"""The ``caliber_world`` spider: routes listing pages and article pages, nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from newscrawl import STATS, alarms
from newscrawl.arguments import CrawlArguments
from newscrawl.dataset import Dataset
from newscrawl.items import Article
from newscrawl.loaders import build_article
from newscrawl.parsers import ListedArticle, parse_article, parse_section_listing
from newscrawl.processors import parse_site_datetime
from newscrawl.responses import GONE, failed_url, failure_kind, is_html
from newscrawl.selectors import DEFAULT, Selectors
from newscrawl.site import SiteScheme

REQUIRED_FIELDS = alarms.REQUIRED_FIELDS
# Fields a page may lack; counted as field_missing/<field> but not logged (cited_sources may be []).
OPTIONAL_FIELDS = ("author", "views", "image_url")


def utc_now() -> str:
    """The current time in UTC, ISO 8601 with ``Z``."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class CaliberWorldSpider(scrapy.Spider):
    """Walks the WORLD section page by page and yields one ``Article`` per card."""

    name = "caliber_world"
    # The dataset being appended to; the JSONL writer sets it when the spider opens.
    dataset: Dataset | None = None
    # Set by a component that cannot let the crawl run (e.g. the dataset is locked).
    close_reason: str | None = None
    # The selector table, compiled once from CALIBER_SELECTORS in from_crawler.
    selectors: Selectors = DEFAULT

    def __init__(
        self,
        base_url: str | None = None,
        max_pages: str | None = None,
        since: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.args = CrawlArguments.parse(base_url=base_url, max_pages=max_pages, since=since)
        self.scheme: SiteScheme = SiteScheme(self.args.base_url)
        self.allowed_domains = [self.scheme.host.rsplit(":", 1)[0].strip("[]")]
        self.requested: set[str] = set()
        self.empty_pages = 0
        # Listing pages in a row none of whose cards was new (all stored or listed earlier).
        self.stale_pages = 0
        self.listing_failures = 0

    @classmethod
    def check_arguments(cls, **kwargs: str) -> None:
        """Raise ``BadArgumentError`` for arguments this spider cannot run with."""
        CrawlArguments.parse(
            base_url=kwargs.get("base_url"),
            max_pages=kwargs.get("max_pages"),
            since=kwargs.get("since"),
        )

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> CaliberWorldSpider:
        spider: CaliberWorldSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.scheme = SiteScheme.from_settings(spider.args.base_url, crawler.settings)
        spider.selectors = Selectors.from_settings(crawler.settings)
        return spider

    def count(self, key: str, value: int = 1) -> None:
        """Add to a ``caliber_world/...`` stat."""
        self.crawler.stats.inc_value(f"{STATS}/{key}", value)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.close_reason is not None:
            raise CloseSpider(self.close_reason)
        self.logger.info(
            "Crawling %s (max_pages=%s, since=%s, %d articles already stored)",
            self.scheme.section_url,
            self.args.max_pages,
            self.args.since.isoformat() if self.args.since else None,
            len(self.dataset) if self.dataset is not None else 0,
        )
        yield self.listing_request(1)
        owed = dict(self.dataset.owed) if self.dataset is not None else {}
        limit = self.settings.getint("CALIBER_OWED_MAX_RUNS", 5)
        for slug, tries in sorted(owed.items()):
            if tries >= limit and self.dataset is not None:
                self.dataset.give_up(slug)
                self.count("articles_given_up")
                self.logger.warning(
                    "Giving up on %s after %d runs could not read it",
                    self.scheme.article_url(slug),
                    tries,
                )
                continue
            self.count("articles_owed_retried")
            self.requested.add(slug)
            yield self.article_request(slug, None)

    def listing_request(self, page: int, *, recheck: bool = False) -> scrapy.Request:
        return scrapy.Request(
            self.scheme.listing_url(page),
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"page": page},
            meta={"recheck": recheck},
            priority=10,
            dont_filter=True,
        )

    def article_request(self, slug: str, card_section: str | None) -> scrapy.Request:
        return scrapy.Request(
            self.scheme.article_url(slug),
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"slug": slug, "card_section": card_section},
        )

    def parse_listing(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        self.count("listing_pages")
        if not is_html(response):
            self.count("errors/listing_not_html")
            self.listing_failures += 1
            self.logger.error("Listing page failed (%s): %s", "not_html", response.url)
            yield from self.next_listing(page, [], 0)
            return
        listing = parse_section_listing(
            response.selector, self.scheme, response.url, self.selectors
        )
        if page == 1 and listing.cards == 0:
            if not response.meta.get("recheck"):
                # A glitch (a page cut short, or served empty once) is not drift: ask once more.
                self.count("listing_rechecked")
                yield self.listing_request(page, recheck=True)
                return
            if "dataloss" in response.flags:
                self.count("errors/listing_truncated")
                self.listing_failures += 1
                self.logger.error("Listing page failed (%s): %s", "truncated", response.url)
                yield from self.next_listing(page, [], 0)
                return
            self.crawler.signals.send_catch_log(
                signal=alarms.markup_drift,
                response=response,
                message=f"{self.selectors.describe('CARD')} matched nothing on page 1",
            )
            raise CloseSpider(alarms.DRIFT)
        self.count("cards_other_section", listing.other_section)
        self.count("cards_not_article", listing.not_article)
        if listing.articles:
            self.count("listing_pages_with_cards")
        new = 0
        for card in listing.articles:
            if card.slug in self.requested:
                self.count("cards_duplicate")
                continue
            self.requested.add(card.slug)
            if self.is_before_since(card.time):
                self.count("cards_before_since")
                continue
            if self.dataset is not None and card.slug in self.dataset:
                self.count("articles_already_stored")
                continue
            new += 1
            self.count("articles_requested")  # from listing pages: owed retries are not counted
            yield self.article_request(card.slug, card.category)
        yield from self.next_listing(page, listing.articles, new)

    def is_before_since(self, shown_time: str | None) -> bool:
        """Whether a time as the site shows it is older than ``since`` (unknown times are not)."""
        if self.args.since is None or not shown_time:
            return False
        published = parse_site_datetime(shown_time)
        return published is not None and published < self.args.since

    def next_listing(
        self, page: int, cards: list[ListedArticle], new: int
    ) -> Iterator[scrapy.Request]:
        """Request the next listing page unless the section, a limit, or the dataset ends it.

        ``new`` is how many of the page's cards were requested (neither stored nor seen before).
        """
        self.empty_pages = 0 if cards else self.empty_pages + 1
        if cards:
            self.stale_pages = 0 if new else self.stale_pages + 1
        stop = None
        # Stopping at stored pages is safe only if the last run left no hole further down.
        may_stop_stale = self.dataset is not None and self.dataset.walked
        walked = False
        if self.args.max_pages is not None and page >= self.args.max_pages:
            stop = "max_pages reached"
        elif self.empty_pages >= self.settings.getint("CALIBER_EMPTY_PAGES_TO_STOP", 2):
            stop = f"no section cards on the last {self.empty_pages} pages"
            walked = True
        elif 0 < self.settings.getint("CALIBER_STALE_PAGES_TO_STOP", 2) <= self.stale_pages:
            if may_stop_stale:
                stop = f"nothing new on the last {self.stale_pages} pages"
                walked = True
            elif self.stale_pages == self.settings.getint("CALIBER_STALE_PAGES_TO_STOP", 2):
                self.logger.info(
                    "Nothing new on the last %d pages, but the last run did not end well "
                    "(killed, stopped early or failed): reading on to the end of the section",
                    self.stale_pages,
                )
        elif (
            self.args.since is not None
            and cards
            and all(self.is_before_since(card.time) for card in cards)
        ):
            stop = "every card is older than since"
        if stop is not None:
            self.logger.info("Stopping at page %d: %s", page, stop)
            if walked and self.dataset is not None and not self.listing_failures:
                self.dataset.mark_walked()
            return
        yield self.listing_request(page + 1)

    def listing_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        kind = failure_kind(failure)
        self.count(f"errors/listing_{kind}")
        self.listing_failures += 1
        self.logger.error("Listing page failed (%s): %s", kind, failed_url(failure))
        yield from self.next_listing(request.cb_kwargs["page"], [], 0)

    def parse_article(
        self, response: Response, slug: str, card_section: str | None
    ) -> Iterator[Article]:
        if not is_html(response):
            self.count("errors/article_not_html")
            self.logger.error("Article page failed (%s): %s", "not_html", response.url)
            return
        self.count("articles_parsed")
        try:
            article = build_article(
                parse_article(response.selector, self.selectors),
                url=self.scheme.article_url(slug),
                slug=slug,
                crawled_at=utc_now(),
                fallback_section=card_section,
            )
        except Exception:
            # A page no parser foresaw must not end the run: count it, keep it, ask again later.
            self.count("errors/article_unparsable")
            self.logger.exception("Article page failed (%s): %s", "unparsable", response.url)
            self.crawler.signals.send_catch_log(
                signal=alarms.page_failed, response=response, reason="unparsable"
            )
            self.owe(slug)
            return
        missing = [name for name in REQUIRED_FIELDS if not alarms.filled(getattr(article, name))]
        for name in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS):
            if not alarms.filled(getattr(article, name)):
                self.count(f"field_missing/{name}")
        truncated = "dataloss" in response.flags
        if truncated:
            self.count("pages_truncated")
        problems = (["truncated"] if truncated else []) + (
            [f"lacks {', '.join(missing)}"] if missing else []
        )
        if missing:
            self.crawler.signals.send_catch_log(
                signal=alarms.page_failed, response=response, reason="; ".join(problems)
            )
        if len(missing) >= self.settings.getint("CALIBER_REFUSE_MISSING_REQUIRED", 2):
            self.count("items_refused")
            self.logger.warning("Article refused (%s): %s", "; ".join(problems), response.url)
            self.owe(slug)
            return
        if problems:
            self.logger.warning("Article incomplete (%s): %s", "; ".join(problems), response.url)
        if self.is_before_since(article.published_at):
            self.count("articles_before_since")
            return
        yield article

    def article_failed(self, failure: Failure) -> None:
        kind = failure_kind(failure)
        self.count(f"errors/article_{kind}")
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        self.logger.error("Article page failed (%s): %s", kind, failed_url(failure))
        if kind not in GONE:
            self.owe(request.cb_kwargs["slug"])

    def owe(self, slug: str) -> None:
        """Have the next runs ask for this article again, even once its card sank out of reach."""
        if self.dataset is not None:
            self.dataset.owe(slug)

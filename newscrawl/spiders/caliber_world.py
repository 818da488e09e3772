"""The ``caliber_world`` spider: routes listing pages and article pages, nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.http import Response, TextResponse
from scrapy.utils.response import get_meta_refresh
from twisted.python.failure import Failure

from newscrawl import STATS, alarms, config
from newscrawl.arguments import CrawlArguments
from newscrawl.config import refuse_bad_settings
from newscrawl.dataset import Dataset
from newscrawl.editions import EDITIONS
from newscrawl.items import Article
from newscrawl.loaders import build_article
from newscrawl.paging import (
    LISTING_CEILING,
    PAGING_REPEATS,
    Walk,
    mostly_new,
    repeats_earlier_pages,
    repeats_the_last_page,
)
from newscrawl.parsers import Listing, parse_article, parse_section_listing
from newscrawl.processors import parse_site_datetime, views_count
from newscrawl.responses import (
    GONE,
    better_encoding,
    failed_url,
    failure_kind,
    is_html,
    page_selector,
)
from newscrawl.revisits import ViewsHistoryPipeline
from newscrawl.selectors import DEFAULT, Selectors
from newscrawl.site import SiteScheme
from newscrawl.views import Revisit, on_host

REQUIRED_FIELDS = alarms.REQUIRED_FIELDS
# Fields a page may lack; counted as field_missing/<field> but not logged (cited_sources may be []).
OPTIONAL_FIELDS = ("author", "views", "image_url")
# The close reason of a paused crawl (Ctrl-C, SIGTERM): JOBDIR resumes it.
PAUSED = "shutdown"


def utc_now() -> str:
    """The current time in UTC, ISO 8601 with ``Z``."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class CaliberWorldSpider(scrapy.Spider):
    """Walks the WORLD section page by page and yields one ``Article`` per card."""

    name = "caliber_world"
    # The dataset being appended to; the JSONL writer sets it when the spider opens.
    dataset: Dataset | None = None
    # The view-count history; the views pipeline sets it when revisits are on.
    views: ViewsHistoryPipeline | None = None
    # Set by a component that cannot let the crawl run (e.g. the dataset is locked).
    close_reason: str | None = None
    # The selector table, compiled once from CALIBER_SELECTORS in from_crawler.
    selectors: Selectors = DEFAULT

    def __init__(self, **kwargs: Any) -> None:
        # Scrapyd's own arguments (``_job``, ...) become attributes, as Scrapy makes every one.
        super().__init__(**{name: value for name, value in kwargs.items() if name.startswith("_")})
        self.args = CrawlArguments.parse(**kwargs)
        # The site's edition crawled ("en", "ru"): its section, article paths and language.
        self.edition: str = self.args.edition
        self.scheme: SiteScheme = SiteScheme.for_edition(self.args.base_url, EDITIONS[self.edition])
        self.allowed_domains = [urlsplit(self.args.base_url).hostname or ""]
        self.walk = Walk()
        # settings.py's default, until from_crawler reads the crawl's settings
        self.max_listing_pages = config.MAX_LISTING_PAGES.read({})

    @classmethod
    def check_arguments(cls, **kwargs: str) -> None:
        """Raise ``BadArgumentError`` for arguments this spider cannot run with."""
        CrawlArguments.parse(**kwargs)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> CaliberWorldSpider:
        spider: CaliberWorldSpider = super().from_crawler(crawler, *args, **kwargs)
        # A crawl started without our crawl command (a script): closed at start, one ERROR line.
        spider.close_reason = refuse_bad_settings(crawler)
        if spider.close_reason is None:
            spider.scheme = SiteScheme.from_settings(
                spider.args.base_url, crawler.settings, EDITIONS[spider.edition]
            )
            spider.max_listing_pages = config.MAX_LISTING_PAGES.read(crawler.settings)
            spider.selectors = Selectors.from_settings(crawler.settings)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        return spider

    def count(self, key: str, value: int = 1) -> None:
        """Add to a ``caliber_world/...`` stat."""
        self.crawler.stats.inc_value(f"{STATS}/{key}", value)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.close_reason is not None:
            raise CloseSpider(self.close_reason)
        resumed = self.resume_walk()
        self.logger.info(
            "Crawling %s (edition=%s, max_pages=%s, since=%s, %d articles already stored)",
            self.scheme.section_url,
            self.edition,
            self.args.max_pages,
            self.args.since.isoformat() if self.args.since else None,
            len(self.dataset) if self.dataset is not None else 0,
        )
        if resumed:
            self.logger.info(
                "Resuming the walk paused after listing page %d (JOBDIR): the pages still to "
                "read are in the job's queue, page 1 is not read again",
                self.walk.page,
            )
        else:
            yield self.listing_request(1)
        owed = dict(self.dataset.owed) if self.dataset is not None else {}
        limit = config.OWED_MAX_RUNS.read(self.settings)
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
            if slug in self.walk.requested:  # its card was read first (or before a pause)
                continue
            self.walk.requested.add(slug)
            yield self.article_request(slug, None)
        for revisit in self.views.plan(self.args.revisit) if self.views is not None else []:
            yield self.revisit_request(revisit)

    def resume_walk(self) -> bool:
        """Take up the walk a paused JOBDIR crawl left in Scrapy's spider state, if there is one.

        Only a pause (close reason ``shutdown``) is resumed; after any other close the job's
        folder starts a new walk, and listing pages an earlier walk left queued are ignored.
        """
        state: dict[str, Any] | None = getattr(self, "state", None)  # set with JOBDIR only
        if state is None:
            return False
        previous = state.get("walk")
        pages = self.scheme.listing_url(2)
        paused = isinstance(previous, Walk) and state.get("closed") == PAUSED
        resumed = paused and isinstance(previous, Walk) and previous.pages == pages
        if isinstance(previous, Walk) and resumed:
            self.walk = previous
        elif isinstance(previous, Walk):
            if paused:
                self.logger.warning(
                    "Not resuming the walk JOBDIR paused: it paged %s, this crawl pages %s "
                    "(another base_url, edition or CALIBER_PAGE_URL); starting a new walk",
                    previous.pages or "(unknown)",
                    pages,
                )
            self.walk = Walk(generation=previous.generation + 1, pages=pages)
        else:
            self.walk.pages = pages
        state["walk"] = self.walk
        state["closed"] = None
        return resumed

    def closed(self, reason: str) -> None:
        state: dict[str, Any] | None = getattr(self, "state", None)
        if state is not None:  # saved by Scrapy's SpiderState after this
            state["closed"] = reason

    def spider_idle(self) -> None:
        """Nothing left to fetch: fail the run if paging had to stop, else record a whole walk."""
        if self.walk.failure is not None:
            raise CloseSpider(self.walk.failure)
        if self.walk.walked and self.dataset is not None:
            self.dataset.mark_walked()

    def listing_request(
        self, page: int, *, recheck: bool = False, side: bool = False
    ) -> scrapy.Request:
        """Listing page ``page``; ``recheck``: asked again after a bad answer; ``side``: an empty
        page asked again after a later page showed cards (its answer does not go on paging)."""
        return scrapy.Request(
            self.scheme.listing_url(page),
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"page": page},
            meta={"recheck": recheck, "side": side, "walk": self.walk.generation},
            priority=10,
            dont_filter=True,
        )

    def article_request(self, slug: str, card_section: str | None) -> scrapy.Request:
        # dont_filter: a redirect back to a URL already asked for (a loop) must run into
        # REDIRECT_MAX_TIMES and the errback, not vanish in Scrapy's duplicate filter; the walk
        # asks for each slug once itself (Walk.requested).
        return scrapy.Request(
            self.scheme.article_url(slug),
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"slug": slug, "card_section": card_section},
            dont_filter=True,
        )

    def of_this_walk(self, request: scrapy.Request) -> bool:
        """Whether a listing request belongs to the current walk (not one a JOBDIR kept)."""
        if request.meta.get("walk", 0) == self.walk.generation:
            return True
        self.logger.info("Ignoring %s: queued in JOBDIR by an earlier walk", request.url)
        return False

    def parse_listing(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        if not self.of_this_walk(response.request):  # type: ignore[arg-type]
            return
        side, recheck = response.meta.get("side", False), response.meta.get("recheck", False)
        self.count("listing_pages")
        if not is_html(response):
            yield from self.listing_failure(page, "not_html", response.url, side=side)
            return
        cut = "dataloss" in response.flags
        if cut and not recheck:
            # A page cut short is asked for once more before its cards are trusted.
            self.count("listing_rechecked")
            yield self.listing_request(page, recheck=True, side=side)
            return
        listing = parse_section_listing(
            page_selector(response.text), self.scheme, response.url, self.selectors
        )
        if cut:
            self.count("errors/listing_truncated")
            self.walk.listing_failures += 1
            self.logger.error("Listing page failed (%s): %s", "truncated", response.url)
        elif page == 1 and not listing.articles:
            if not recheck:
                # A glitch (a page served empty once) is not drift: ask once more.
                self.count("listing_rechecked")
                yield self.listing_request(page, recheck=True)
                return
            # Cards that all name another section or no article: the section's links changed.
            message = (
                f"{self.selectors.describe('CARD')} matched nothing on page 1"
                if listing.cards == 0
                else f"none of the {listing.cards} cards on page 1 is an article of the section "
                f"({listing.other_section} of another section by their category link or "
                f"{self.selectors.describe('CARD_CATEGORY')}, {listing.not_article} with no "
                "article link: check CALIBER_SECTION_PATH and CALIBER_ARTICLE_PATH_RE)"
            )
            self.crawler.signals.send_catch_log(
                signal=alarms.markup_drift, response=response, message=message
            )
            raise CloseSpider(alarms.DRIFT)
        self.count_malformed(response.url, listing)
        self.count("cards_other_section", listing.other_section)
        self.count("cards_not_article", listing.not_article)
        if listing.articles:
            self.count("listing_pages_with_cards")
        slugs = [card.slug for card in listing.articles]
        repeated = not side and repeats_earlier_pages(slugs, self.walk.listed, self.walk.last_cards)
        clamped = repeated and repeats_the_last_page(page, slugs, self.walk)
        fresh = mostly_new(slugs, self.walk.listed)
        self.walk.listed.update(slugs)
        requests, stored = self.request_cards(listing)
        yield from requests
        new = len(requests)
        self.logger.info(
            "page %d: %d cards, %d new, %d stored, %d other",
            page,
            listing.cards,
            new,
            stored,
            listing.cards - new - stored,
        )
        if side:
            if not slugs:
                self.count("errors/listing_empty_mid_section")
                self.walk.listing_failures += 1
                self.logger.error("Listing page failed (%s): %s", "empty_mid_section", response.url)
            return
        if repeated:
            if clamped:
                self.end_at_last_page(page, response.url)
            else:
                self.stop_paging(
                    PAGING_REPEATS,
                    "Paging repeats: page %d (%s) lists only articles that earlier pages "
                    "listed, so the site does not page as CALIBER_PAGE_URL = %r says; run "
                    "`scrapy probe` to find the paging that works and set it with -s "
                    "CALIBER_PAGE_URL=... (the articles already requested are still fetched)",
                    page,
                    response.url,
                    self.scheme.page_url,
                )
            return
        older = bool(slugs) and all(self.is_before_since(card.time) for card in listing.articles)
        self.walk.last_fresh = fresh
        yield from self.next_listing(page, slugs, new, response.url, older=older, failed=cut)

    def end_at_last_page(self, page: int, url: str) -> None:
        """The page past the section's last answered as the last: the section ends there."""
        self.count("listing_end_repeat")
        self.logger.info(
            "Stopping at page %d: it repeats page %d, the section's last (the site answers its "
            "last page to any page past it): %s",
            page,
            page - 1,
            url,
        )
        self.walk.page = page
        self.walk.reached_end = True

    def request_cards(self, listing: Listing) -> tuple[list[scrapy.Request], int]:
        """Requests for the page's new articles, and how many of its cards are stored already."""
        requests, stored = [], 0
        for card in listing.articles:
            if card.slug in self.walk.requested:
                self.count("cards_duplicate")
                continue
            self.walk.requested.add(card.slug)
            if self.is_before_since(card.time):
                self.count("cards_before_since")
                continue
            if self.dataset is not None and card.slug in self.dataset:
                self.count("articles_already_stored")
                stored += 1
                continue
            self.count("articles_requested")  # from listing pages: owed retries are not counted
            requests.append(self.article_request(card.slug, card.category))
        return requests, stored

    def count_malformed(self, url: str, listing: Listing) -> None:
        """Count and log (once per page) the cards whose article link is not a URL; the parser
        counted them as not an article (a category link that is no URL is judged by its label)."""
        malformed = listing.malformed
        if malformed:
            self.count("cards_malformed", len(malformed))
            self.logger.warning(
                "Listing page has %d card(s) with a malformed link, skipped (first: %r): %s",
                len(malformed),
                malformed[0],
                url,
            )

    def is_before_since(self, shown_time: str | None) -> bool:
        """Whether a time as the site shows it is older than ``since`` (unknown times are not)."""
        if self.args.since is None or not shown_time:
            return False
        published = parse_site_datetime(shown_time)
        return published is not None and published < self.args.since

    def next_listing(
        self,
        page: int,
        slugs: list[str],
        new: int,
        url: str,
        *,
        older: bool = False,
        failed: bool = False,
    ) -> Iterator[scrapy.Request]:
        """Request the next listing page unless the section, a limit, or the dataset ends it.

        ``slugs``: the page's section cards; ``new``: how many of them were requested (neither
        stored nor seen before); ``older``: every card is older than ``since``; ``failed``: the
        page could not be read.
        """
        walk = self.walk
        walk.page = page
        walk.last_cards = slugs
        if slugs:
            # Empty pages followed by cards were a glitch or a hole: ask each once more.
            for empty in walk.unconfirmed_empty:
                self.count("listing_rechecked")
                yield self.listing_request(empty, recheck=True, side=True)
            walk.unconfirmed_empty = []
            walk.empty_pages = 0
            walk.stale_pages = 0 if new else walk.stale_pages + 1
        else:
            walk.empty_pages += 1
            if not failed:
                walk.unconfirmed_empty.append(page)
        stop = None
        # Stopping at stored pages is safe only if the last run left no hole further down.
        may_stop_stale = self.dataset is not None and self.dataset.walked
        reached_end = False
        stale_to_stop = config.STALE_PAGES_TO_STOP.read(self.settings)
        if self.args.max_pages is not None and page >= self.args.max_pages:
            stop = "max_pages reached"
        elif walk.empty_pages >= config.EMPTY_PAGES_TO_STOP.read(self.settings):
            stop = f"no section cards on the last {walk.empty_pages} pages"
            reached_end = True
        elif 0 < stale_to_stop <= walk.stale_pages:
            if may_stop_stale:
                stop = f"nothing new on the last {walk.stale_pages} pages"
                reached_end = True
            elif walk.stale_pages == stale_to_stop:
                self.logger.info(
                    "Nothing new on the last %d pages, but the last run did not end well "
                    "(killed, stopped early or failed): reading on to the end of the section",
                    walk.stale_pages,
                )
        elif older:
            stop = "every card is older than since"
        if stop is not None:
            self.logger.info("Stopping at page %d: %s", page, stop)
            walk.reached_end = reached_end
            return
        if page >= self.max_listing_pages:
            self.stop_paging(
                LISTING_CEILING,
                "Listing ceiling: %d listing pages read (CALIBER_MAX_LISTING_PAGES) and the "
                "section goes on after %s; raise the setting if the section is this long, or "
                "check CALIBER_PAGE_URL with `scrapy probe` (the articles already requested are "
                "still fetched)",
                page,
                url,
            )
            return
        yield self.listing_request(page + 1)

    def stop_paging(self, reason: str, message: str, *args: Any) -> None:
        """Stop paging as a failure: one ERROR line; the run closes as ``reason`` once the
        articles already requested are in (``spider_idle``)."""
        self.walk.failure = reason
        self.logger.error(message, *args)

    def listing_failure(
        self, page: int, kind: str, url: str, *, side: bool
    ) -> Iterator[scrapy.Request]:
        self.count(f"errors/listing_{kind}")
        self.walk.listing_failures += 1
        self.logger.error("Listing page failed (%s): %s", kind, url)
        if not side:
            yield from self.next_listing(page, [], 0, url, failed=True)

    def listing_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        if not self.of_this_walk(request):
            return
        page, side = request.cb_kwargs["page"], request.meta.get("side", False)
        kind = failure_kind(failure)
        url = failed_url(failure)
        if kind == "http_404" and page >= 2 and not side:
            # Past page 1, "not found" is how many sites end a section: a page with no cards, not
            # a failure. Like an empty page it ends the section only with the pages after it (a
            # 404 once in the middle, cards after it, is asked for again: a hole, not the end).
            self.count("listing_end_404")
            if page == 2:
                self.logger.warning(
                    "Page 2 answers 404: the section has a single page, or CALIBER_PAGE_URL is "
                    "wrong (check it with `scrapy probe`): %s",
                    url,
                )
            else:
                self.logger.info("Page %d answers 404, read as a page with no cards: %s", page, url)
            yield from self.next_listing(page, [], 0, url)
            return
        yield from self.listing_failure(page, kind, url, side=side)

    def parse_article(
        self, response: Response, slug: str, card_section: str | None
    ) -> Iterator[Article | scrapy.Request]:
        page = self.article_page(response, slug, card_section)
        if isinstance(page, list):
            yield from page
            return
        response, slug = page
        self.count("articles_parsed")
        try:
            article = build_article(
                parse_article(page_selector(response.text), self.selectors),
                url=self.scheme.article_url(slug),
                slug=slug,
                crawled_at=utc_now(),
                fallback_section=card_section,
                language=self.scheme.language,
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
        problems = [f"lacks {', '.join(missing)}"] if missing else []
        if missing:
            self.crawler.signals.send_catch_log(
                signal=alarms.page_failed, response=response, reason="; ".join(problems)
            )
        if len(missing) >= config.REFUSE_MISSING_REQUIRED.read(self.settings):
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

    def article_page(
        self, response: Response, slug: str, card_section: str | None
    ) -> tuple[TextResponse, str] | list[scrapy.Request]:
        """The page to read and the slug to store it under; or, when this page is not to be
        read, what to ask for instead (often nothing)."""
        if not is_html(response):
            self.count("errors/article_not_html")
            self.logger.error("Article page failed (%s): %s", "not_html", response.url)
            return []
        if "dataloss" in response.flags:
            # Part of the text (or all of it) is missing: asked for again by the next run.
            self.count("pages_truncated")
            self.count("errors/article_truncated")
            self.logger.error("Article page failed (%s): %s", "truncated", response.url)
            self.owe(slug)
            return []
        response = self.mend_charset(response)
        refresh = self.meta_refresh(response, slug, card_section)
        if refresh is not None:
            return refresh
        identity = self.identity(response, slug)
        return [] if identity is None else (response, identity)

    def mend_charset(self, response: TextResponse) -> TextResponse:
        """The page read in the charset its bytes are in, when the HTTP charset contradicts them."""
        encoding = better_encoding(response.body, response.encoding, response.text)
        if encoding is None:
            return response
        self.count("pages_charset_mismatch")
        self.logger.warning(
            "Page charset mismatch: the server says %s, the page is %s (read as %s): %s",
            response.encoding,
            encoding,
            encoding,
            response.url,
        )
        return response.replace(encoding=encoding)

    def meta_refresh(
        self, response: TextResponse, slug: str, card_section: str | None
    ) -> list[scrapy.Request] | None:
        """What a ``<meta http-equiv="refresh">`` makes of an article page (``None``: read it).

        A reload of the same page, or a refresh later than ``METAREFRESH_MAXDELAY``, changes
        nothing; a refresh to another article on the crawled host is followed once (that article
        is then stored in place of this one, as after a redirect); any other refresh means the
        page is not the article: counted, logged and owed to the next run.
        """
        try:
            interval, target = get_meta_refresh(response)
        except ValueError:  # a refresh to what is no URL (http://[oops/): not this article
            return self.refresh_failed(response, slug, "a malformed URL")
        if target is None or interval is None:
            return None
        if interval >= self.settings.getfloat("METAREFRESH_MAXDELAY", 100):
            return None
        here = self.scheme.article_slug(response.url, response.url)
        to = self.scheme.article_slug(target, response.url)
        if urldefrag(target)[0] == urldefrag(response.url)[0] or (to is not None and to == here):
            return None
        if to is None or response.meta.get("meta_refreshed"):
            return self.refresh_failed(response, slug, target)
        self.count("articles_meta_refresh_followed")
        self.logger.info("Article %s refreshes to %s: followed once", response.url, target)
        follow = self.article_request(slug, card_section)
        follow = follow.replace(
            url=self.scheme.article_url(to), meta={**follow.meta, "meta_refreshed": True}
        )
        return [follow]

    def refresh_failed(
        self, response: TextResponse, slug: str, target: str
    ) -> list[scrapy.Request]:
        """A refresh away from the article: the page is not it; counted, logged, owed."""
        self.count("errors/article_meta_refresh")
        self.logger.error(
            "Article page failed (%s): %s (refreshes to %s)", "meta_refresh", response.url, target
        )
        self.owe(slug)
        return []

    def identity(self, response: TextResponse, slug: str) -> str | None:
        """The slug the page is stored under: the slug of the URL it was finally read from.

        After a redirect (or a followed refresh) to another article, that article is stored
        under its own slug, once, and the old slug is settled; ``None``: nothing to store here.
        """
        final = self.scheme.article_slug(response.url, response.url)
        if final == slug:
            return slug
        old_url = self.scheme.article_url(slug)
        if final is None:
            self.count("errors/article_redirected_away")
            self.logger.error(
                "Article page failed (%s): %s (answered by %s)",
                "redirected_away",
                old_url,
                response.url,
            )
            self.owe(slug)
            return None
        self.settle(slug)
        if final in self.walk.requested or (self.dataset is not None and final in self.dataset):
            self.count("articles_redirected_to_listed")
            self.logger.info(
                "Article %s redirects to %s, listed or stored already: not written twice",
                old_url,
                response.url,
            )
            return None
        self.walk.requested.add(final)
        self.count("articles_renamed")
        self.logger.info(
            "Article renamed: %s is now %s, stored under the new slug", old_url, response.url
        )
        return final

    def settle(self, slug: str) -> None:
        """An article's old slug, now known under another one: never owed nor asked for again
        (the index holds it as if stored, until it is rebuilt from the dataset)."""
        self.walk.requested.add(slug)
        if self.dataset is not None:
            self.dataset.give_up(slug)
            if self.dataset.index is not None:
                self.dataset.index.add(slug)

    def article_failed(self, failure: Failure) -> None:
        kind = failure_kind(failure)
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        slug = request.cb_kwargs["slug"]
        self.count(f"errors/article_{kind}")
        outcome = ""
        if kind in GONE:
            if self.dataset is not None and slug in self.dataset.owed:
                self.dataset.give_up(slug)
                self.count("articles_gone")
                outcome = "; it was owed and is no longer asked for"
        elif kind == "too_large":
            if self.dataset is not None:
                self.dataset.give_up(slug)
            self.count("articles_given_up")
            outcome = "; given up: it would be too large next time too"
        else:
            self.owe(slug)
        self.logger.error("Article page failed (%s): %s%s", kind, failed_url(failure), outcome)

    def owe(self, slug: str) -> None:
        """Have the next runs ask for this article again, even once its card sank out of reach."""
        if self.dataset is not None:
            self.dataset.owe(slug)

    def revisit_request(self, revisit: Revisit) -> scrapy.Request:
        """Read a stored article's page again for its view count, after everything else."""
        revisit = revisit._replace(url=on_host(revisit.url, self.scheme.base_url))
        return scrapy.Request(
            revisit.url,
            callback=self.parse_revisit,
            errback=self.revisit_failed,
            cb_kwargs={"revisit": revisit},
            meta={"dont_cache": True},
            priority=-10,
            dont_filter=True,
        )

    def parse_revisit(self, response: Response, revisit: Revisit) -> None:
        """Write the view count a stored article's page shows now (no item: not a new article)."""
        if self.views is None:
            return
        if not is_html(response):
            self.views.failed(revisit, "not_html")
            return
        # A lying HTTP charset garbles "Просмотров:": the count would be written as null.
        response = self.mend_charset(response)
        try:
            page = parse_article(page_selector(response.text), self.selectors)
            views = views_count(page.views or "")
        except Exception:
            self.logger.debug("Revisit of %s could not be parsed", response.url, exc_info=True)
            self.views.failed(revisit, "unparsable")
            return
        if views is None and "dataloss" in response.flags:
            self.views.failed(revisit, "truncated")  # the count may be in the part not received
            return
        self.views.revisited(revisit, views, utc_now())

    def revisit_failed(self, failure: Failure) -> None:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        if self.views is not None:
            self.views.failed(request.cb_kwargs["revisit"], failure_kind(failure))

"""Everything assumed about Caliber.az's URLs and clock, in one place (see docs/SITE.md).

Settings named ``CALIBER_*`` override these defaults when the live site disagrees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta, timezone
from typing import Any
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from newscrawl.editions import DEFAULT_EDITION, EDITIONS, Edition

DEFAULT_BASE_URL = "https://caliber.az"
# The default edition's section and article paths (newscrawl/editions.py has every edition's).
SECTION_PATH = EDITIONS[DEFAULT_EDITION].section_path
SECTION_LABEL = EDITIONS[DEFAULT_EDITION].section_label
# Page N >= 2 of the section (CALIBER_PAGE_URL): {section} is the section URL without its query,
# {page} the number, {base} the base URL. An assumption: docs/SITE.md.
PAGE_URL = "{section}?page={page}"
ARTICLE_PATH_RE = EDITIONS[DEFAULT_EDITION].article_path_re
ARTICLE_PREFIX = EDITIONS[DEFAULT_EDITION].article_prefix
LANGUAGE = EDITIONS[DEFAULT_EDITION].language
SIGNATURE = "Caliber.Az"
# Asia/Baku has been UTC+04:00 all year since 2016; the site prints no zone.
SITE_TZ = timezone(timedelta(hours=4), "Asia/Baku")
# Hosts whose article links name the same article as the crawled host (cards link absolutely).
SITE_HOSTS = frozenset({"caliber.az", "www.caliber.az"})


@dataclass(frozen=True)
class SiteScheme:
    """The section's URL scheme on one crawled host, in one edition of the site."""

    base_url: str
    section_path: str = SECTION_PATH
    section_label: str = SECTION_LABEL
    page_url: str = PAGE_URL
    article_path_re: str = ARTICLE_PATH_RE
    article_prefix: str = ARTICLE_PREFIX
    language: str = LANGUAGE

    @classmethod
    def for_edition(cls, base_url: str, edition: Edition) -> SiteScheme:
        """The scheme of ``edition``'s WORLD section on ``base_url``.

        >>> ru = SiteScheme.for_edition("https://caliber.az", EDITIONS["ru"])
        >>> ru.listing_url(2), ru.article_url("a-b"), ru.language
        ('https://caliber.az/category/mir?page=2', 'https://caliber.az/post/a-b', 'ru')
        """
        return cls(
            base_url=base_url.rstrip("/"),
            section_path=edition.section_path,
            section_label=edition.section_label,
            article_path_re=edition.article_path_re,
            article_prefix=edition.article_prefix,
            language=edition.language,
        )

    @classmethod
    def from_settings(
        cls, base_url: str, settings: Any, edition: Edition = EDITIONS[DEFAULT_EDITION]
    ) -> SiteScheme:
        """Build ``edition``'s scheme for ``base_url`` with ``CALIBER_*`` overrides from Scrapy
        settings (an empty or unset setting keeps the edition's own value).

        Raises ``BadArgumentError`` for a paging setting that cannot be used.
        """
        # Imported here: newscrawl.config imports (through the parsers) this module.
        from newscrawl import config  # noqa: PLC0415

        config.PAGE_PARAM.read(settings)  # retired: any value is refused
        own = cls.for_edition(base_url, edition)
        return replace(
            own,
            section_path=config.SECTION_PATH.read(settings) or own.section_path,
            section_label=config.SECTION_LABEL.read(settings) or own.section_label,
            page_url=config.PAGE_URL.read(settings),
            article_path_re=config.ARTICLE_PATH_RE.read(settings) or own.article_path_re,
        )

    @property
    def host(self) -> str:
        """The crawled host (with port), e.g. ``caliber.az`` or ``127.0.0.1:8080``."""
        return urlsplit(self.base_url).netloc

    @property
    def section_url(self) -> str:
        """The section's first listing page."""
        return self.base_url + self.section_path

    def listing_url(self, page: int) -> str:
        """URL of listing page ``page`` (1-based).

        >>> s = SiteScheme("https://caliber.az")
        >>> s.listing_url(1), s.listing_url(3)
        ('https://caliber.az/en/category/world', 'https://caliber.az/en/category/world?page=3')
        >>> SiteScheme("https://caliber.az", page_url="{section}/page/{page}").listing_url(2)
        'https://caliber.az/en/category/world/page/2'
        """
        if page <= 1:
            return self.section_url
        return page_url(self.page_url, self.base_url, self.section_url, page)

    def article_url(self, slug: str) -> str:
        """Canonical URL of the article ``slug`` on the crawled host."""
        return f"{self.base_url}{self.article_prefix}{slug}"

    def article_slug(self, href: str, page_url: str) -> str | None:
        """The slug an article link names, or ``None`` for anything else or another host.

        Relative links, tracking queries, fragments and a trailing slash name the same article:

        >>> s = SiteScheme("http://127.0.0.1:8080")
        >>> page = "http://127.0.0.1:8080/en/category/world"
        >>> s.article_slug("/en/post/a-b?utm_source=x#top", page)
        'a-b'
        >>> s.article_slug("https://caliber.az/en/post/a-b/", page)
        'a-b'
        >>> s.article_slug("en/post/a-b", page), s.article_slug("//caliber.az/en/post/a-b", page)
        ('a-b', 'a-b')
        >>> s.article_slug("https://evil.example/en/post/a-b", page) is None
        True
        >>> s.article_slug("/en/category/politics", page) is None
        True

        Each edition names only its own articles: ``/post/x`` is Russian, ``/en/post/x`` English.

        >>> ru = SiteScheme.for_edition("http://127.0.0.1:8080", EDITIONS["ru"])
        >>> ru_page = "http://127.0.0.1:8080/category/mir"
        >>> ru.article_slug("/post/a-b/?utm_source=x", ru_page), ru.article_slug("post/b", ru_page)
        ('a-b', 'b')
        >>> ru.article_slug("https://caliber.az/en/post/a-b", ru_page) is None
        True
        >>> s.article_slug("https://caliber.az/post/a-b", page) is None
        True

        A link that is not a valid URL names nothing (``link_is_valid`` tells it apart):

        >>> s.article_slug("http://[oops/en/post/x", page) is None
        True
        """
        parts = _split(href, page_url)
        if parts is None or parts.scheme not in ("http", "https"):
            return None
        if parts.netloc != self.host and parts.hostname not in SITE_HOSTS:
            return None
        match = re.search(self.article_path_re, parts.path)
        if match is None:
            return None
        return unquote(match["slug"])

    def is_section_link(self, href: str, page_url: str) -> bool:
        """Whether ``href`` points at this section's listing (on any of the site's hosts).

        >>> s = SiteScheme("https://caliber.az")
        >>> s.is_section_link("/en/category/world/", "https://caliber.az/")
        True
        >>> s.is_section_link("http://[oops/en/category/world", "https://caliber.az/")
        False
        """
        parts = _split(href, page_url)
        return parts is not None and parts.path.rstrip("/") == self.section_path

    @staticmethod
    def link_is_valid(href: str, page_url: str) -> bool:
        """Whether a link on a page can be read as a URL at all.

        >>> SiteScheme.link_is_valid("/en/post/a", "https://caliber.az/")
        True
        >>> SiteScheme.link_is_valid("http://[oops/en/post/x", "https://caliber.az/")
        False
        """
        return _split(href, page_url) is not None


def _split(href: str, page_url: str) -> SplitResult | None:
    """``href`` resolved against the page it is on, split; ``None`` when it is not a valid URL
    (``http://[oops/...`` is refused by urllib as an invalid IPv6 address)."""
    try:
        parts = urlsplit(urljoin(page_url, href.strip()))
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts


def page_url(template: str, base_url: str, section_url: str, page: int) -> str:
    """Page ``page`` of the section by a ``CALIBER_PAGE_URL`` template (a path: on ``base_url``).

    >>> page_url("{section}/page/{page}", "http://h", "http://h/en/category/world?x=1", 3)
    'http://h/en/category/world/page/3'
    >>> page_url("/api/world?page={page}&limit=18", "http://h", "http://h/en/category/world", 2)
    'http://h/api/world?page=2&limit=18'
    """
    section = section_url.split("?", 1)[0]
    url = template.format(section=section, page=page, base=base_url)
    return base_url + url if template.startswith("/") else url

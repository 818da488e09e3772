"""Downloader middleware that keeps every request on the crawled host, and the User-Agent."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, signals
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.exceptions import IgnoreRequest

from newscrawl import STATS, config


class OffsiteRefusedError(IgnoreRequest):
    """A request (or a redirect) to anywhere but the crawled host was refused."""


def same_origin(url: str, base_url: str) -> bool:
    """Whether ``url`` has the scheme, host and port of ``base_url``.

    >>> same_origin("http://127.0.0.1:8080/en/post/a", "http://127.0.0.1:8080")
    True
    >>> same_origin("http://other-host.invalid/en/post/a", "http://127.0.0.1:8080")
    False
    >>> same_origin("http://127.0.0.1:9/x", "http://127.0.0.1:8080")
    False
    >>> same_origin("https://caliber.az/x", "http://caliber.az")
    False
    """
    try:
        want, got = urlsplit(base_url), urlsplit(url)
        return (got.scheme, got.hostname, got.port) == (want.scheme, want.hostname, want.port)
    except ValueError:
        return False


def user_agent(base: str, contact: str) -> str:
    """The User-Agent: the project's, with the operator's contact when one is set.

    >>> user_agent("newscrawl/0.1 (+https://x.example)", "ops@example.org")
    'newscrawl/0.1 (+https://x.example; contact: ops@example.org)'
    >>> user_agent("newscrawl/0.1", "")
    'newscrawl/0.1'
    """
    contact = " ".join(contact.split())
    if not contact:
        return base
    if base.endswith(")"):
        return f"{base[:-1]}; contact: {contact})"
    return f"{base} (contact: {contact})"


class BaseHostOnlyMiddleware:
    """Refuses every request whose origin is not the spider's ``base_url``, redirects included.

    Scrapy's own offsite filter lets ``dont_filter`` requests (and their redirects) through and
    allows other ports and subdomains; this one does not, and it runs before robots.txt is fetched,
    so a refused host is never even resolved.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> BaseHostOnlyMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        spider = self.crawler.spider
        base_url = getattr(getattr(spider, "scheme", None), "base_url", None)
        if base_url is None or same_origin(request.url, base_url):
            return
        self.crawler.stats.inc_value(f"{STATS}/offsite_refused")
        raise OffsiteRefusedError(f"off-site request to {request.url} refused")


class OffsiteRedirectMiddleware(BaseHostOnlyMiddleware):
    """Refuses a redirect to another origin before Scrapy's RedirectMiddleware follows it.

    Placed after RedirectMiddleware's number, it sees the 3xx first; raising here calls the
    request's errback (Scrapy's offsite filter would drop the followed request without one).
    """

    def process_request(self, request: Request, spider: Any = None) -> None:
        return None

    def process_response(self, request: Request, response: Any, spider: Any = None) -> Any:
        location = response.headers.get(b"Location")
        if not 300 <= response.status < 400 or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        super().process_request(request.replace(url=target))
        return response


class ContactUserAgentMiddleware(UserAgentMiddleware):
    """Scrapy's User-Agent middleware, with ``NEWSCRAWL_CONTACT`` added to ``USER_AGENT``."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> ContactUserAgentMiddleware:
        settings = crawler.settings
        contact = config.NEWSCRAWL_CONTACT.read(settings)
        middleware = cls(user_agent(settings["USER_AGENT"], contact))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

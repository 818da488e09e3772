"""Failed downloads: a stalled host retried less, and one log line per failure, no tracebacks.

The spider logs every page that failed once (``Article page failed (<kind>): <url>``); this
module keeps Scrapy's own lines about the same failures out of the way.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares import retry
from scrapy.http import Response

from newscrawl import STATS, config
from newscrawl.responses import error_detail, error_kind

logger = logging.getLogger(__name__)


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to ``limit`` characters.

    >>> one_line("DNS lookup failed:\\n  no results  ", 12)
    'DNS lookup …'
    """
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class _RobotsFailureFilter(logging.Filter):
    """Scrapy's robots.txt middleware logs a failed robots.txt at ERROR with a ~60-line traceback
    (and names the page that asked for it); this makes it one WARNING line with its kind."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, dict) or "f_exception" not in args:
            return True
        error = args["f_exception"]
        request = args.get("request")
        url = getattr(request, "url", "")
        robots = url.split("/", 3)
        where = "/".join(robots[:3]) + "/robots.txt" if len(robots) >= 3 else "robots.txt"
        if isinstance(error, BaseException):
            kind, detail = error_kind(error), one_line(error_detail(error))
        else:
            kind, detail = "other", one_line(str(error))
        record.msg = "robots.txt could not be read (%s: %s): %s; crawling as if it allowed all"
        record.args = (kind, detail, where)
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class _TooLargeFilter(logging.Filter):
    """Drops Scrapy's own warnings about a page over ``DOWNLOAD_MAXSIZE`` (also while it is being
    decompressed: a gzip bomb): the spider logs that failure once itself (``too_large``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            "larger than download max size" in message
            or ("exceeded DOWNLOAD_MAXSIZE" in message and "during decompression" in message)
        )


#: The loggers of Scrapy components whose failure lines the project logs better itself.
QUIET = {
    "scrapy.downloadermiddlewares.robotstxt": _RobotsFailureFilter,
    "scrapy.core.downloader.handlers.http11": _TooLargeFilter,
    "scrapy.downloadermiddlewares.httpcompression": _TooLargeFilter,
}


def quiet_scrapy_failure_logs() -> None:
    """Install the filters of ``QUIET`` (once per logger)."""
    for name, kind in QUIET.items():
        target = logging.getLogger(name)
        if not any(isinstance(existing, kind) for existing in target.filters):
            target.addFilter(kind())


class RetryMiddleware(retry.RetryMiddleware):
    """Scrapy's retries, except that a request that timed out is asked again only
    ``CALIBER_TIMEOUT_RETRIES`` times (a host that stalls once mostly stalls again; a 5xx keeps
    ``RETRY_TIMES``). A failure that is final (given up, or not retried) is noted: robots.txt's
    as ``caliber_world/robots_txt_failed/<kind>``, one of no known kind (``other``) in one line
    naming the error, which the spider's ``Article page failed (other)`` cannot.
    """

    timeout_retries = 1
    stats: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryMiddleware:
        quiet_scrapy_failure_logs()
        middleware = super().from_crawler(crawler)
        middleware.timeout_retries = config.TIMEOUT_RETRIES.read(crawler.settings)
        middleware.stats = crawler.stats
        return middleware

    def process_exception(
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        kind = error_kind(exception)
        if kind == "timeout":
            request.meta.setdefault("max_retry_times", self.timeout_retries)
        again: Request | Response | None = super().process_exception(request, exception)
        if again is None:
            self.failed(request, exception, kind)
        return again

    def failed(self, request: Request, exception: Exception, kind: str) -> None:
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            self.stats.inc_value(f"{STATS}/robots_txt_failed/{kind}")
        elif kind == "other":
            logger.warning(
                "Download failed (other: %s: %s): %s",
                type(exception).__name__,
                one_line(str(exception)),
                request.url,
            )

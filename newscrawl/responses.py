"""What a response or a failed request amounts to: an HTML page or not, a kind of failure."""

from __future__ import annotations

from typing import TypeGuard

from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newscrawl.middlewares import OffsiteRefusedError
from newscrawl.tls import is_tls_error

# Failures that will not mend by asking again: the article is gone or forbidden.
GONE = frozenset({"http_400", "http_401", "http_403", "http_404", "http_410", "http_451"})


# Names of the errors of a connection refused, reset or closed early, across Scrapy versions.
CONNECTION_ERRORS = frozenset(
    {
        "DownloadFailedError",
        "DownloadConnectionRefusedError",
        "ConnectionRefusedError",
        "ConnectionLost",
        "ConnectionDone",
        "ResponseNeverReceived",
        "ResponseFailed",
    }
)


def failure_kind(failure: Failure) -> str:
    """A short name for why a request failed: ``http_404``, ``too_large``, ``timeout``, ..."""
    if isinstance(failure.value, HttpError):
        return f"http_{failure.value.response.status}"
    if isinstance(failure.value, OffsiteRefusedError):
        return "offsite"
    name = type(failure.value).__name__
    if name == "DownloadCancelledError":  # only DOWNLOAD_MAXSIZE raises it
        return "too_large"
    if "Timeout" in name:  # TimeoutError, DownloadTimeoutError (Scrapy ≥ 2.14), ...
        return "timeout"
    if name in CONNECTION_ERRORS:
        # A certificate refused (CALIBER_TLS_VERIFY) fails the connection too.
        return "tls" if is_tls_error(failure.value) else "connection"
    return name


def is_html(response: Response) -> TypeGuard[TextResponse]:
    """Whether a response is an HTML page by its Content-Type (Scrapy alone sniffs the body)."""
    if not isinstance(response, TextResponse):
        return False
    header = response.headers.get(b"Content-Type") or b"text/html"
    kind = header.split(b";")[0].strip().lower()
    return kind in (b"text/html", b"application/xhtml+xml")


def failed_url(failure: Failure) -> str:
    """The URL the spider asked for (before any redirect) of a failed request."""
    request: Request = failure.request  # type: ignore[attr-defined]
    return str(request.meta.get("redirect_urls", [request.url])[0])

"""What a response or a failed request amounts to: an HTML page or not, a kind of failure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeGuard

from lxml import etree
from parsel import Selector
from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.encoding import html_body_declared_encoding

from newscrawl.middlewares import OffsiteRefusedError

#: lxml's own HTML parser, as parsel configures it (``huge_tree``: any depth a page nests to).
#: parsel's default, lxml.html's, calls back into Python for every element the parsers touch.
_HTML_PARSER = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)

#: Failures that say the article is gone: asking again will not bring it back (an owed article
#: is dropped, a stored one's revisits end). Any other failure is asked for again by later runs
#: (up to ``CALIBER_OWED_MAX_RUNS``), except a page too large, which is given up at once.
GONE = frozenset({"http_404", "http_410"})

#: Every kind ``failure_kind`` returns (``http_<status>`` stands for any HTTP status), and what
#: each means; the spider adds ``not_html`` and ``unparsable``, the paging ``truncated``.
FAILURE_KINDS = {
    "http_<status>": "the site answered this HTTP status (after retries for 5xx, 408, 429)",
    "dns": "the host name could not be resolved (no network, a wrong base_url)",
    "connection": "the connection was refused, reset or closed before a whole answer",
    "timeout": "no answer within DOWNLOAD_TIMEOUT (a stalled host)",
    "tls": "the TLS handshake failed (a bad certificate, or https to a plain-HTTP port)",
    "too_large": "the page is larger than DOWNLOAD_MAXSIZE, compressed or not (a gzip bomb too)",
    "truncated": "the page was cut short and nothing usable came with it",
    "offsite": "a request or redirect to another scheme, host or port than base_url",
    "robots_forbidden": "robots.txt forbids the page",
    "redirect_loop": "more redirects in a row than REDIRECT_MAX_TIMES (a loop)",
    "other": "anything else (the log line names the error)",
}

# Names of the errors of a connection refused, reset or closed early, across Scrapy versions.
CONNECTION_ERRORS = frozenset(
    {
        "DownloadFailedError",
        "DownloadConnectionRefusedError",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "BrokenPipeError",
        "ConnectionLost",
        "ConnectionDone",
        "ConnectError",
        "NoRouteError",
        "ResponseNeverReceived",
        "ResponseFailed",
    }
)
DNS_ERRORS = frozenset({"DNSLookupError", "CannotResolveHostError", "UnknownHostError", "gaierror"})
TLS_ERRORS = frozenset(
    {"SSLError", "CertificateError", "PeerVerifyError", "VerifyError", "VerificationError"}
)
# Modules whose errors are all TLS errors (pyOpenSSL, the stdlib, certificate name checks).
TLS_MODULES = frozenset({"OpenSSL", "ssl", "service_identity"})
TOO_LARGE_ERRORS = frozenset({"DownloadCancelledError", "_DecompressionMaxSizeExceeded"})


def error_chain(error: BaseException, depth: int = 0) -> Iterator[BaseException]:
    """``error``, then what caused it: ``__cause__``/``__context__`` and the reasons Twisted's
    ``ResponseFailed`` wraps (a TLS error hides in there), depth first."""
    yield error
    if depth > 8:
        return
    for reason in getattr(error, "reasons", None) or ():
        inner = getattr(reason, "value", reason)
        if isinstance(inner, BaseException):
            yield from error_chain(inner, depth + 1)
    cause = error.__cause__ or error.__context__
    if cause is not None:
        yield from error_chain(cause, depth + 1)


def link_kind(error: BaseException) -> str:
    """The kind of one exception by its class alone (``connection`` or ``other`` when unsure)."""
    names = {cls.__name__ for cls in type(error).__mro__}
    module = type(error).__module__.split(".", 1)[0]
    rules = (
        ("offsite", isinstance(error, OffsiteRefusedError)),
        ("robots_forbidden", "IgnoreRequest" in names and "robots.txt" in str(error)),
        # REDIRECT_MAX_TIMES reached, and a body over DOWNLOAD_MAXSIZE once decompressed: Scrapy
        # says both only in an IgnoreRequest's message.
        ("redirect_loop", "IgnoreRequest" in names and "max redirections" in str(error)),
        (
            "too_large",
            bool(names & TOO_LARGE_ERRORS)
            or ("IgnoreRequest" in names and "DOWNLOAD_MAXSIZE" in str(error)),
        ),
        ("dns", bool(names & DNS_ERRORS)),
        ("tls", bool(names & TLS_ERRORS) or module in TLS_MODULES),
        ("timeout", any("Timeout" in name or "TimedOut" in name for name in names)),
        ("truncated", "ResponseDataLossError" in names),
        ("connection", bool(names & CONNECTION_ERRORS)),
    )
    return next((kind for kind, matches in rules if matches), "other")


def error_kind(error: BaseException) -> str:
    """A short name for why a download failed: ``dns``, ``timeout``, ``tls``, ``other``, ...

    The first error of the chain (``error_chain``) with a definite kind names it; ``connection``
    only when nothing more definite caused it:

    >>> from scrapy.exceptions import CannotResolveHostError, DownloadFailedError
    >>> from twisted.internet.error import TCPTimedOutError
    >>> error_kind(CannotResolveHostError("no results for hostname lookup: caliber.az"))
    'dns'
    >>> error_kind(TCPTimedOutError()), error_kind(ConnectionResetError())
    ('timeout', 'connection')
    >>> from OpenSSL.SSL import Error as TLSError
    >>> from twisted.web.client import ResponseNeverReceived
    >>> failed = DownloadFailedError("[<Failure ...>]")
    >>> failed.__cause__ = ResponseNeverReceived([Failure(TLSError("wrong version number"))])
    >>> error_kind(failed)
    'tls'
    >>> error_kind(KeyError("x"))
    'other'
    """
    return _named_link(error)[0]


def error_detail(error: BaseException) -> str:
    """What the error that names the kind says, on one line (``error_kind``).

    >>> from OpenSSL.SSL import Error as TLSError
    >>> from scrapy.exceptions import DownloadFailedError
    >>> from twisted.web.client import ResponseNeverReceived
    >>> failed = DownloadFailedError("[<twisted.python.failure.Failure OpenSSL.SSL.Error: ...>]")
    >>> failed.__cause__ = ResponseNeverReceived([Failure(TLSError("wrong version number"))])
    >>> error_detail(failed)
    'wrong version number'
    """
    return " ".join(str(_named_link(error)[1]).split())


def _named_link(error: BaseException) -> tuple[str, BaseException]:
    """The kind of ``error`` and the link of its chain that decided it."""
    links = [(link_kind(link), link) for link in error_chain(error)]
    for kind, link in links:
        if kind not in ("connection", "other"):
            return kind, link
    for kind, link in links:
        if kind == "connection":
            return kind, link
    return "other", error


def failure_kind(failure: Failure) -> str:
    """A short name for why a request failed: ``http_404``, ``too_large``, ``timeout``, ...

    ``FAILURE_KINDS`` lists them all.
    """
    error = failure.value
    if isinstance(error, HttpError):
        return f"http_{error.response.status}"
    return error_kind(error) if isinstance(error, BaseException) else "other"


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


def better_encoding(body: bytes, used: str, text: str) -> str | None:
    """The encoding the page's bytes are really in, when the one used to read them (the HTTP
    charset) contradicts them; ``None`` when it does not.

    Bytes that read without error as UTF-8 are UTF-8 when they hold non-ASCII characters (text in
    another charset almost never forms valid UTF-8); text that came out with U+FFFD is read again
    in the charset the page itself declares, if that reads without error.

    >>> body = "Moscow’s biggest".encode()
    >>> better_encoding(body, "cp1252", body.decode("cp1252")), better_encoding(body, "utf-8", "")
    ('utf-8', None)
    >>> cyrillic = '<meta charset="windows-1251">Мир'.encode("cp1251")
    >>> better_encoding(cyrillic, "utf-8", cyrillic.decode("utf-8", "replace"))
    'cp1251'
    >>> better_encoding("café".encode("cp1252"), "cp1252", "café") is None
    True
    >>> lying = b'<meta charset="utf-16">Talks ' + bytes([0xFF]) + b' resumed'
    >>> better_encoding(lying, "utf-8", lying.decode("utf-8", "replace")) is None
    True
    """
    candidates = []
    if used.replace("_", "-").lower() not in ("utf-8", "utf8"):
        candidates.append("utf-8")
    if "\ufffd" in text:
        declared = html_body_declared_encoding(body)
        # A page that declares UTF-16 or UTF-32 in its own markup is not: its markup could not
        # be read as ASCII then (the HTML standard reads such a declaration as UTF-8).
        if declared is not None and not declared.replace("_", "-").lower().startswith("utf-"):
            candidates.append(declared)
    for encoding in candidates:
        if encoding == used:
            continue
        try:
            decoded = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if decoded != text:
            return encoding
    return None


def page_selector(text: str) -> Selector:
    """A page's HTML as the ``parsel.Selector`` the parsers read, built as parsel builds one
    (NULs dropped, an empty page an empty ``<html>``) with lxml's own HTML parser; a character
    UTF-8 cannot hold (a lone surrogate) is read as ``?``.

    >>> page_selector("<p>Caliber" + chr(0) + ".Az</p>").css("p::text").get()
    'Caliber.Az'
    >>> page_selector("<p>Caliber" + chr(0xD800) + ".Az</p>").css("p::text").get()
    'Caliber?.Az'
    >>> page_selector("  ").xpath("name(/*)").get()
    'html'
    """
    body = text.strip().encode("utf-8", "replace")
    if b"\x00" in body:  # looked for in the bytes: several times faster than in the text
        body = body.replace(b"\x00", b"")
    root = etree.fromstring(body or b"<html/>", parser=_HTML_PARSER)
    if root is None:  # nothing but a comment or a doctype
        root = etree.fromstring(b"<html/>", parser=_HTML_PARSER)
    return Selector(root=root, type="html")

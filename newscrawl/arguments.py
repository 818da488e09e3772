"""Spider arguments: strings from the command line or Scrapyd, validated once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from newscrawl.editions import DEFAULT_EDITION, EDITIONS
from newscrawl.site import DEFAULT_BASE_URL, SITE_TZ


class BadArgumentError(ValueError):
    """A spider argument that cannot be used; its message is one line for the operator."""


@dataclass(frozen=True)
class CrawlArguments:
    """The validated arguments of a crawl."""

    base_url: str = DEFAULT_BASE_URL
    max_pages: int | None = None
    since: datetime | None = None
    edition: str = DEFAULT_EDITION
    # Backfill: re-read now the view counts of the stored articles published since this time.
    revisit: datetime | None = None

    @classmethod
    def parse(
        cls,
        base_url: str | None = None,
        max_pages: str | None = None,
        since: str | None = None,
        edition: str | None = None,
        revisit: str | None = None,
    ) -> CrawlArguments:
        """Validate the raw argument strings; raise ``BadArgumentError`` naming the bad one."""
        return cls(
            base_url=parse_base_url(base_url) if base_url is not None else DEFAULT_BASE_URL,
            max_pages=parse_max_pages(max_pages) if max_pages is not None else None,
            since=parse_since(since) if since is not None else None,
            edition=parse_edition(edition) if edition is not None else DEFAULT_EDITION,
            revisit=parse_revisit(revisit) if revisit is not None else None,
        )


def parse_base_url(value: str) -> str:
    """``scheme://host[:port]`` of the site to crawl, without a trailing slash.

    >>> parse_base_url("http://127.0.0.1:8080/")
    'http://127.0.0.1:8080'
    >>> parse_base_url("ftp://caliber.az")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: base_url must be http(s)://host[:port] ...
    """
    text = value.strip()
    error = BadArgumentError(
        f"base_url must be http(s)://host[:port] with no credentials, path or query, got {value!r}"
    )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise error from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or text.endswith("?")
        or (port is not None and not 0 < port < 65536)
    ):
        raise error
    return f"{parts.scheme}://{parts.netloc}"


def parse_max_pages(value: str) -> int:
    """Stop paging after this many listing pages: a whole number, at least 1.

    >>> parse_max_pages(" 3 ")
    3
    >>> parse_max_pages("0")
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: max_pages must be a whole number of at least 1, got '0'
    """
    try:
        number = int(value.strip())
    except ValueError:
        number = 0
    if number < 1:
        raise BadArgumentError(f"max_pages must be a whole number of at least 1, got {value!r}")
    return number


def parse_since(value: str) -> datetime:
    """Skip articles published before this ISO date or datetime (Baku time without an offset).

    >>> parse_since("2025-11-07").isoformat()
    '2025-11-07T00:00:00+04:00'
    >>> parse_since("2025-11-07T09:00:00Z").isoformat()
    '2025-11-07T09:00:00+00:00'
    >>> parse_since("last week")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: since must be an ISO date or datetime ...
    """
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadArgumentError(
            "since must be an ISO date or datetime such as 2025-11-07 or "
            f"2025-11-07T11:03:00+04:00, got {value!r}"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=SITE_TZ)


def parse_edition(value: str) -> str:
    """The code of one of the site's editions (``newscrawl/editions.py``), any case.

    >>> parse_edition(" RU ")
    'ru'
    >>> parse_edition("fr")
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: edition must be one of en, ru, got 'fr'
    """
    code = value.strip().lower()
    if code not in EDITIONS:
        raise BadArgumentError(f"edition must be one of {', '.join(EDITIONS)}, got {value!r}")
    return code


def parse_revisit(value: str) -> datetime:
    """The backfill's start: an ISO date or datetime read as ``since`` is.

    >>> parse_revisit("2025-11-01").isoformat()
    '2025-11-01T00:00:00+04:00'
    >>> parse_revisit("all")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: revisit must be an ISO date or datetime ...
    """
    try:
        return parse_since(value)
    except BadArgumentError:
        raise BadArgumentError(
            "revisit must be an ISO date or datetime such as 2025-11-01 or "
            f"2025-11-01T00:00:00+04:00 (stored articles published since then), got {value!r}"
        ) from None

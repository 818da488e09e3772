"""Spider arguments and the paging settings: strings from the command line, Scrapyd or settings,
validated once."""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from newscrawl.editions import DEFAULT_EDITION, EDITIONS
from newscrawl.site import DEFAULT_BASE_URL, PAGE_URL, SITE_TZ, page_url


class BadArgumentError(ValueError):
    """A spider argument that cannot be used; its message is one line for the operator."""


def parse_base_url(value: str) -> str:
    """``scheme://host[:port]`` of the site to crawl, without a trailing slash.

    The host is lowercased and a unicode host IDNA-encoded (as every request to it will be);
    an IPv6 address keeps its brackets:

    >>> parse_base_url("http://127.0.0.1:8080/")
    'http://127.0.0.1:8080'
    >>> parse_base_url("http://[::1]"), parse_base_url("HTTPS://Caliber.AZ")
    ('http://[::1]', 'https://caliber.az')
    >>> parse_base_url("http://калибер.az")
    'http://xn--80acmkih2b.az'
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
        parts.scheme.lower() not in ("http", "https")
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
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    elif not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise BadArgumentError(
                f"base_url has a host that cannot be IDNA-encoded, got {value!r}"
            ) from None
    return f"{parts.scheme.lower()}://{host}{'' if port is None else f':{port}'}"


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
    """The site's edition to crawl, any case: ``en`` or ``ru`` (``newscrawl/editions.py``).

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
    """Backfill: re-read now the views of stored articles published since this ISO date or
    datetime (read as ``since`` is), within ``CALIBER_REVISIT_MAX``.

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


@dataclass(frozen=True)
class CrawlArguments:
    """The validated arguments of a crawl.

    Each field is one spider argument, declared once: adding an argument is adding a field
    (its default, and the function that parses its string in ``metadata["parse"]``); the spider
    and the unknown-argument check follow.
    """

    base_url: str = field(default=DEFAULT_BASE_URL, metadata={"parse": parse_base_url})
    max_pages: int | None = field(default=None, metadata={"parse": parse_max_pages})
    since: datetime | None = field(default=None, metadata={"parse": parse_since})
    edition: str = field(default=DEFAULT_EDITION, metadata={"parse": parse_edition})
    # Backfill: re-read now the view counts of the stored articles published since this time.
    revisit: datetime | None = field(default=None, metadata={"parse": parse_revisit})

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The names of the arguments a crawl takes."""
        return tuple(spec.name for spec in fields(cls))

    @classmethod
    def parse(cls, **raw: str | None) -> CrawlArguments:
        """Validate the raw argument strings; raise ``BadArgumentError`` naming the bad one.

        Arguments starting with ``_`` are Scrapyd's (``_job``, ...) and ignored here; any other
        name the crawl does not know is refused, so a typo does not go unnoticed:

        >>> CrawlArguments.parse(max_pages="2", _job="abc").max_pages
        2
        >>> CrawlArguments.parse(max_page="1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        newscrawl.arguments.BadArgumentError: unknown argument 'max_page' (did you mean max_pages...
        """
        known = cls.names()
        for name in raw:
            if name not in known and not name.startswith("_"):
                raise BadArgumentError(unknown_argument(name, known))
        values = {
            spec.name: spec.metadata["parse"](raw[spec.name])
            for spec in fields(cls)
            if raw.get(spec.name) is not None
        }
        return cls(**values)


def unknown_argument(name: str, known: tuple[str, ...]) -> str:
    """The one line that refuses an argument named ``name``.

    >>> unknown_argument("sinse", ("base_url", "since"))
    "unknown argument 'sinse' (did you mean since?); the arguments are base_url, since"
    >>> unknown_argument("x", ("since",))
    "unknown argument 'x'; the arguments are since"
    """
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown argument {name!r}{hint}; the arguments are {', '.join(known)}"


# Placeholders of CALIBER_PAGE_URL: the section URL without its query, the page number, and the
# base URL (scheme, host, port).
PAGE_URL_FIELDS = ("section", "page", "base")
_SAMPLE_BASE = "https://caliber.az:8443"


def parse_page_url(value: Any) -> str:
    """``CALIBER_PAGE_URL``: how page N ≥ 2 of the section is named, as a template.

    ``{section}`` is the section URL without its query, ``{page}`` the page number, ``{base}``
    the base URL; the result must stay on the crawled host:

    >>> parse_page_url("{section}/page/{page}"), parse_page_url(" {base}/en/world?p={page} ")
    ('{section}/page/{page}', '{base}/en/world?p={page}')
    >>> parse_page_url("{section}?page=2")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: CALIBER_PAGE_URL ... hold {page}, got '{section}?page=2'
    >>> parse_page_url("https://elsewhere.example/{page}")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: CALIBER_PAGE_URL ... start with {section}, {base} or /...
    """
    rule = (
        "CALIBER_PAGE_URL must be a URL template such as {section}?page={page} or "
        "{section}/page/{page} (placeholders {section}, {page}, {base})"
    )
    if not isinstance(value, str):
        raise BadArgumentError(f"{rule}, got {value!r}")
    template = value.strip()
    try:
        fields = [field for field in string.Formatter().parse(template) if field[1] is not None]
    except ValueError:
        raise BadArgumentError(f"{rule}; its braces do not pair, got {value!r}") from None
    names = [name for _, name, _, _ in fields]
    # A format spec or conversion ({page:>99999999}) could write pages of any size or form.
    shaped = [
        f"{{{name}{'!' + conv if conv else ''}{':' + spec if spec else ''}}}"
        for _, name, spec, conv in fields
        if spec or conv
    ]
    if shaped:
        raise BadArgumentError(f"{rule}, each written bare; not {shaped[0]}, got {value!r}")
    unknown = [name for name in names if name not in PAGE_URL_FIELDS]
    if unknown:
        raise BadArgumentError(f"{rule}; {{{unknown[0]}}} is not one of them, got {value!r}")
    if "page" not in names:
        raise BadArgumentError(f"{rule} that must hold {{page}}, got {value!r}")
    if not template.startswith(("{section}", "{base}", "/")):
        raise BadArgumentError(
            f"{rule} that must start with {{section}}, {{base}} or /, so that it stays on the "
            f"crawled host, got {value!r}"
        )
    try:
        sample = page_url(template, _SAMPLE_BASE, _SAMPLE_BASE + "/en/category/world", 2)
        parts = urlsplit(sample)
        same_origin = (parts.scheme, parts.netloc) == ("https", "caliber.az:8443")
    except (ValueError, KeyError, IndexError):
        same_origin = False
    if not same_origin:
        raise BadArgumentError(f"{rule} that stays on the crawled host, got {value!r}")
    return template


def parse_page_param(value: Any) -> None:
    """``CALIBER_PAGE_PARAM`` is retired: ``CALIBER_PAGE_URL`` names the page instead.

    Unset (``None``) it is fine; any value is refused with the setting to use:

    >>> parse_page_param(None)
    >>> parse_page_param("p")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: CALIBER_PAGE_PARAM is retired: ...={section}?p={page}'
    """
    if value is None:
        return
    name = str(value).strip() or "page"
    raise BadArgumentError(
        "CALIBER_PAGE_PARAM is retired: set CALIBER_PAGE_URL instead (default "
        f"{PAGE_URL}), here -s 'CALIBER_PAGE_URL={{section}}?{name}={{page}}'"
    )

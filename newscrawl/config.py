"""Every project setting declared once, with the pure function that parses it; checked at start.

A setting is one line of the table below: ``NAME = declare("NAME", parse)``. Its default stays in
``newscrawl/settings.py``; ``Config.from_settings(settings)[NAME]`` is its parsed value.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import os
import re
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from scrapy.settings import SETTINGS_PRIORITIES

from newscrawl import settings as project_defaults
from newscrawl.arguments import BadArgumentError, parse_page_param, parse_page_url
from newscrawl.selectors import FIELD_SELECTORS, parse_selectors_setting
from newscrawl.views import parse_revisit_ages, parse_revisit_max

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: Settings whose names start with one of these belong to the project and must be declared here.
PREFIXES = ("CALIBER_", "JSONL_", "NEWSCRAWL_", "VIEWS_")
#: The close reason of a crawl started with a setting that cannot be used.
BAD_SETTINGS = "bad_settings"
#: The fields an article page must have (CALIBER_REQUIRED_COVERAGE, ..._REFUSE_MISSING_REQUIRED).
REQUIRED_FIELDS = ("headline", "published_at", "section", "body")
#: Fields that CALIBER_FIELD_COVERAGE may set a floor for: those read by a selector.
COVERAGE_FIELDS = tuple(
    [name for name in FIELD_SELECTORS if name not in REQUIRED_FIELDS]
    + [name for name in FIELD_SELECTORS if name in REQUIRED_FIELDS]
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHOWN = 60


#: How long an error line may grow: a huge bad value is quoted cut short.
_MAX_MESSAGE = 300


def shown(value: Any) -> str:
    """A value as an error message quotes it: its ``repr``, cut to one short line.

    >>> shown("abc"), shown(0.5), shown("x" * 100)[-4:]
    ("'abc'", '0.5', "xx…'")
    """
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 2] + "…" + text[-1]


def _number(value: Any) -> float | None:
    """``value`` as a float when it is a number or a number's text (a bool is not one)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[Any], int]:
    """A parser of whole numbers from ``minimum`` (to ``maximum``), given as int or text.

    >>> at_least_one = whole_number(1)
    >>> at_least_one(" 3 "), at_least_one(2)
    (3, 2)
    >>> at_least_one("0")
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be a whole number of at least 1, got '0'
    >>> whole_number(1, 4)(5)
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be a whole number from 1 to 4, got 5
    """
    wanted = f"of at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"

    def parse(value: Any) -> int:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,18}\s*", value):
            number = int(value)
        if number is None or number < minimum or (maximum is not None and number > maximum):
            raise BadArgumentError(f"must be a whole number {wanted}, got {shown(value)}")
        return number

    parse.__doc__ = f"A whole number {wanted}."
    return parse


def parse_share(value: Any) -> float:
    """A share from 0 to 1 (a coverage floor), as a number or its text; never NaN or infinite.

    >>> parse_share("0.5"), parse_share(1), parse_share(0)
    (0.5, 1.0, 0.0)
    >>> parse_share("nan")
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be a number from 0 to 1, got 'nan'
    """
    number = _number(value)
    if number is None or not math.isfinite(number) or not 0 <= number <= 1:
        raise BadArgumentError(f"must be a number from 0 to 1, got {shown(value)}")
    return number


def parse_seconds(value: Any) -> float:
    """A number of seconds, at least 0 (``0``: off), as a number or its text.

    >>> parse_seconds("60"), parse_seconds(0.5), parse_seconds(0)
    (60.0, 0.5, 0.0)
    >>> parse_seconds("soon")
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be a number of seconds, at least 0, got 'soon'
    """
    number = _number(value)
    if number is None or not math.isfinite(number) or number < 0:
        raise BadArgumentError(f"must be a number of seconds, at least 0, got {shown(value)}")
    return number


def parse_field_coverage(value: Any) -> dict[str, float]:
    """Coverage floors by field: a mapping, or its JSON text as ``-s`` gives it.

    >>> parse_field_coverage('{"author": 0.5}')
    {'author': 0.5}
    >>> parse_field_coverage({"authr": 0.5})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: has an unknown field 'authr' (known: author, views, ...)
    """
    floors = value
    if isinstance(value, str):
        try:
            floors = json.loads(value)
        except ValueError:
            floors = None
    if not isinstance(floors, Mapping):
        raise BadArgumentError(
            f'must be a JSON object of field: share such as {{"author": 0.5}}, got {shown(value)}'
        )
    parsed = {}
    for name, floor in floors.items():
        if name not in COVERAGE_FIELDS:
            raise BadArgumentError(
                f"has an unknown field {shown(name)} (known: {', '.join(COVERAGE_FIELDS)})"
            )
        try:
            parsed[name] = parse_share(floor)
        except BadArgumentError as error:
            raise BadArgumentError(f"[{name!r}] {error}") from None
    return parsed


def parse_flag(value: Any) -> bool:
    """A yes/no switch: a bool, 0 or 1, or text such as ``true``, ``false``, ``yes``, ``off``.

    >>> parse_flag("False"), parse_flag(1), parse_flag(" yes ")
    (False, True, True)
    >>> parse_flag("maybe")
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be true or false, got 'maybe'
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, int | str) else None
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise BadArgumentError(f"must be true or false, got {shown(value)}")


def parse_file_path(value: Any) -> Path:
    """A file's path (not a folder's: no trailing slash), as text or a path.

    >>> parse_file_path("data/world.jsonl")
    PosixPath('data/world.jsonl')
    >>> parse_file_path("data/")
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be the path of a file, got 'data/'
    """
    text = os.fspath(value) if isinstance(value, str | os.PathLike) else None
    if (
        not isinstance(text, str)
        or not text.strip()
        or "\x00" in text
        or text.endswith(("/", os.sep))
        or Path(text).name in ("", ".", "..")
    ):
        raise BadArgumentError(f"must be the path of a file, got {shown(value)}")
    return Path(text)


def parse_optional_file_path(value: Any) -> Path | None:
    """A file's path, or ``None`` for empty (the default place).

    >>> parse_optional_file_path(""), parse_optional_file_path(None)
    (None, None)
    >>> parse_optional_file_path("/srv/world.index")
    PosixPath('/srv/world.index')
    """
    if value is None or value == "":
        return None
    return parse_file_path(value)


def parse_optional_folder(value: Any) -> Path | None:
    """A folder's path, or ``None`` for empty (the default place).

    >>> parse_optional_folder("/srv/failed"), parse_optional_folder("")
    (PosixPath('/srv/failed'), None)
    >>> parse_optional_folder(3)
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be the path of a folder, got 3
    """
    if value is None or value == "":
        return None
    text = os.fspath(value) if isinstance(value, str | os.PathLike) else None
    if not isinstance(text, str) or not text.strip() or "\x00" in text:
        raise BadArgumentError(f"must be the path of a folder, got {shown(value)}")
    return Path(text)


def parse_ca_file(value: Any) -> Path | None:
    """A PEM file of CA certificates to trust (it is read to check), or ``None`` for empty.

    >>> parse_ca_file("") is None
    True
    >>> parse_ca_file("/nonexistent/ca.pem")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be a readable PEM file of CA certificates, got ...
    """
    path = parse_optional_file_path(value)
    if path is None:
        return None
    try:  # loaded as the crawl and the probe will load it: markers around garbage are no CA
        loaded = ssl.create_default_context(cafile=str(path)).cert_store_stats()["x509"]
    except (OSError, ValueError):  # ssl.SSLError is an OSError
        loaded = 0
    if not loaded:
        raise BadArgumentError(
            f"must be a readable PEM file of CA certificates, got {shown(value)}"
        )
    return path


def parse_contact(value: Any) -> str:
    """The operator's e-mail or URL for the User-Agent: one line of text, possibly empty.

    >>> parse_contact(" ops@example.org ")
    'ops@example.org'
    >>> parse_contact("ops@example.org\\r\\nX-Injected: 1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be one line of text (an e-mail or URL), got ...
    """
    if value is None:
        return ""
    if not isinstance(value, str) or _CONTROL.search(value) or len(value) > 200:
        raise BadArgumentError(f"must be one line of text (an e-mail or URL), got {shown(value)}")
    return value.strip()


def parse_path(value: Any) -> str:
    """A URL path on the site: ``/`` then no space, query or fragment.

    >>> parse_path("/en/category/world")
    '/en/category/world'
    >>> parse_path("en/category/world")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be a URL path starting with / ..., got 'en/...'
    """
    if (
        not isinstance(value, str)
        or not value.startswith("/")
        or re.search(r"[\s?#]", value)
        or _CONTROL.search(value)
    ):
        raise BadArgumentError(
            f"must be a URL path starting with / (no query, fragment or space), got {shown(value)}"
        )
    return value


def parse_label(value: Any) -> str:
    """Text as the site prints it: one line, not empty.

    >>> parse_label("WORLD")
    'WORLD'
    >>> parse_label(" ")
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be one line of text, got ' '
    """
    if not isinstance(value, str) or not value.strip() or _CONTROL.search(value):
        raise BadArgumentError(f"must be one line of text, got {shown(value)}")
    return value


def empty_or(parse: Callable[[Any], str]) -> Callable[[Any], str]:
    """``parse``, or ``""`` for an empty or unset value (the crawled edition's own then).

    >>> empty_or(parse_path)(""), empty_or(parse_path)(None), empty_or(parse_path)("/mir")
    ('', '', '/mir')
    """

    def parse_or_empty(value: Any) -> str:
        if value is None or value == "":
            return ""
        return parse(value)

    parse_or_empty.__doc__ = f"Empty, or: {(parse.__doc__ or '').splitlines()[0]}"
    return parse_or_empty


def parse_slug_pattern(value: Any) -> str:
    """A regular expression with a group named ``slug``, searched in an article link's path.

    >>> parse_slug_pattern(r"/en/post/(?P<slug>[^/]+)$")
    '/en/post/(?P<slug>[^/]+)$'
    >>> parse_slug_pattern("/en/post/([^/]+)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: must be a regular expression with a group ...
    """
    try:
        compiled = re.compile(value) if isinstance(value, str) else None
    except re.error:
        compiled = None
    if compiled is None or "slug" not in compiled.groupindex:
        raise BadArgumentError(
            f"must be a regular expression with a group (?P<slug>...), got {shown(value)}"
        )
    return compiled.pattern


@dataclass(frozen=True)
class Setting(Generic[T]):
    """A project setting: its name and the pure function that parses its value."""

    name: str
    parse: Callable[[Any], T]

    def parse_value(self, value: Any) -> T:
        """Parse ``value``; a ``BadArgumentError`` names this setting in its one short line.

        A value its parser did not foresee (a wrong type, nesting too deep, a number too large)
        is refused the same way, never with a traceback:

        >>> setting = Setting("X", lambda value: int(value) + 1)
        >>> setting.parse_value([1])
        Traceback (most recent call last):
        ...
        newscrawl.arguments.BadArgumentError: X cannot be read (TypeError), got [1]
        """
        try:
            return self.parse(value)
        except BadArgumentError as error:
            message = " ".join(str(error).split())
            if len(message) > _MAX_MESSAGE:
                message = message[: _MAX_MESSAGE - 1] + "…"
            if message.startswith(self.name):
                raise BadArgumentError(message) from None
            joint = "" if message.startswith("[") else " "
            raise BadArgumentError(f"{self.name}{joint}{message}") from None
        except (ValueError, TypeError, OverflowError, RecursionError, re.error) as error:
            kind = type(error).__name__
            raise BadArgumentError(
                f"{self.name} cannot be read ({kind}), got {shown(value)}"
            ) from None

    def read(self, settings: Any) -> T:
        """The parsed value in Scrapy ``settings`` (the project default when it is not set)."""
        return self.parse_value(raw_value(settings, self.name))


#: Every project setting by name, in the order they are checked.
SETTINGS: dict[str, Setting[Any]] = {}


def declare(name: str, parse: Callable[[Any], T]) -> Setting[T]:
    """Add a setting to the table (``SETTINGS``) and return it."""
    if name in SETTINGS:
        raise ValueError(f"setting {name} declared twice")
    setting = Setting(name, parse)
    SETTINGS[name] = setting
    return setting


# The table: one line per setting; its default and meaning are in newscrawl/settings.py.
JSONL_PATH = declare("JSONL_PATH", parse_file_path)
JSONL_INDEX_PATH = declare("JSONL_INDEX_PATH", parse_optional_file_path)
NEWSCRAWL_CONTACT = declare("NEWSCRAWL_CONTACT", parse_contact)
# Empty: the crawled edition's own (newscrawl/editions.py).
SECTION_PATH = declare("CALIBER_SECTION_PATH", empty_or(parse_path))
SECTION_LABEL = declare("CALIBER_SECTION_LABEL", empty_or(parse_label))
PAGE_URL = declare("CALIBER_PAGE_URL", parse_page_url)
# Retired: any value is refused with the CALIBER_PAGE_URL to use instead.
PAGE_PARAM = declare("CALIBER_PAGE_PARAM", parse_page_param)
MAX_LISTING_PAGES = declare("CALIBER_MAX_LISTING_PAGES", whole_number(1))
SELECTORS = declare("CALIBER_SELECTORS", parse_selectors_setting)
ARTICLE_PATH_RE = declare("CALIBER_ARTICLE_PATH_RE", empty_or(parse_slug_pattern))
EMPTY_PAGES_TO_STOP = declare("CALIBER_EMPTY_PAGES_TO_STOP", whole_number(1))
STALE_PAGES_TO_STOP = declare("CALIBER_STALE_PAGES_TO_STOP", whole_number(0))
OWED_MAX_RUNS = declare("CALIBER_OWED_MAX_RUNS", whole_number(1))
MIN_ITEMS = declare("CALIBER_MIN_ITEMS", whole_number(0))
REQUIRED_COVERAGE = declare("CALIBER_REQUIRED_COVERAGE", parse_share)
FIELD_COVERAGE = declare("CALIBER_FIELD_COVERAGE", parse_field_coverage)
REFUSE_MISSING_REQUIRED = declare(
    "CALIBER_REFUSE_MISSING_REQUIRED", whole_number(1, len(REQUIRED_FIELDS))
)
FAILED_PAGES_DIR = declare("CALIBER_FAILED_PAGES_DIR", parse_optional_folder)
FAILED_PAGES_MAX = declare("CALIBER_FAILED_PAGES_MAX", whole_number(0))
TLS_VERIFY = declare("CALIBER_TLS_VERIFY", parse_flag)
TLS_CA_FILE = declare("CALIBER_TLS_CA_FILE", parse_ca_file)
VIEWS_PATH = declare("VIEWS_PATH", parse_optional_file_path)
REVISIT_AGES = declare("CALIBER_REVISIT_AGES", parse_revisit_ages)
REVISIT_MAX = declare("CALIBER_REVISIT_MAX", parse_revisit_max)
PROGRESS_INTERVAL = declare("CALIBER_PROGRESS_INTERVAL", parse_seconds)
TIMEOUT_RETRIES = declare("CALIBER_TIMEOUT_RETRIES", whole_number(0))


def raw_value(settings: Any, name: str) -> Any:
    """A setting's value as given (``-s`` gives text), else its default in newscrawl/settings.py."""
    if name in settings:
        return settings.get(name)
    return getattr(project_defaults, name, None)


class Config:
    """The parsed value of every declared setting: ``config[MIN_ITEMS]`` is an ``int``."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    @classmethod
    def from_settings(cls, settings: Any) -> Config:
        """Parse every setting of the table; raise ``BadArgumentError`` for the first bad one."""
        return cls({name: setting.read(settings) for name, setting in SETTINGS.items()})

    def __getitem__(self, setting: Setting[T]) -> T:
        return cast(T, self._values[setting.name])


def undeclared(names: Iterable[str]) -> list[str]:
    """Project-looking setting names that are neither declared nor defaulted: likely typos.

    >>> undeclared(["CALIBER_MIN_ITEMS", "CALIBER_MIN_ITEM", "LOG_LEVEL"])
    ['CALIBER_MIN_ITEM']
    """
    return [
        name
        for name in names
        if name.startswith(PREFIXES)
        and name not in SETTINGS
        and not hasattr(project_defaults, name)
    ]


def validate_settings(settings: Any) -> None:
    """Check every project setting; raise ``BadArgumentError`` (one line) for the first bad one.

    A ``CALIBER_*`` (``JSONL_*``, ``NEWSCRAWL_*``) name the project does not know is refused too:
    a mistyped setting would otherwise be ignored without a word.
    """
    for name in undeclared(settings):
        known = sorted(set(SETTINGS) | {n for n in dir(project_defaults) if n.startswith(PREFIXES)})
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise BadArgumentError(f"{name} is not a setting of newscrawl{hint}")
    Config.from_settings(settings)


def refuse_bad_settings(crawler: Any) -> str | None:
    """Check a crawler's settings before its components are built (``Spider.from_crawler``).

    On a bad setting: one ERROR line, the project's pipelines and extensions switched off (so the
    dataset is not even opened), and the close reason ``bad_settings`` to return at start.
    """
    try:
        validate_settings(crawler.settings)
    except BadArgumentError as error:
        logger.error("Bad setting: %s", error)
        for name in ("ITEM_PIPELINES", "EXTENSIONS") if not crawler.settings.frozen else ():
            priority = max(crawler.settings.getpriority(name) or 0, SETTINGS_PRIORITIES["cmdline"])
            crawler.settings.set(name, {}, priority=priority)
        return BAD_SETTINGS
    return None

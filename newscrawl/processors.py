"""Pure normalisers for article fields, used as item-loader processors.

Each takes a raw string scraped from a page and returns clean data or ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from dateutil import parser as dateutil_parser
from w3lib.html import replace_entities

from newscrawl.editions import DEFAULT_EDITION, EDITIONS, Edition
from newscrawl.site import SIGNATURE, SITE_TZ

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# str.translate walks a non-ASCII string char by char through a dict (~25 µs a paragraph): only
# call it when there is something to remove.
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

# Every edition's month names: a date is read the same way whichever edition printed it.
MONTHS = {
    name: number for edition in EDITIONS.values() for number, name in enumerate(edition.months, 1)
}
# The time may follow the year with no space (two elements side by side: "07 November 202511:03").
SITE_DATE_RE = re.compile(r"(\d{1,2})\s*([^\W\d_]+)\.?,?\s+(\d{4}),?\s*(\d{1,2}):(\d{2})")
BYLINE_RE = re.compile(r"^by\s*:?\s+(?P<name>\S.*)$", re.IGNORECASE)
MAX_AUTHOR_LENGTH = 80
VIEWS_RE = re.compile(r"\d[\d\s\u00a0\u202f,.'’]*")
STYLE_URL_RE = re.compile(r"url\(\s*(['\"]?)(?P<url>[^'\")]+?)\1\s*\)", re.IGNORECASE)


def clean_text(value: str) -> str | None:
    """Collapse all whitespace (NBSP, newlines, tabs) to single spaces and trim; ``None`` if empty.

    >>> clean_text("  WSJ:\\u00a0Russian\\n forces\\t ")
    'WSJ: Russian forces'
    >>> clean_text("\\u00a0 \\u200b") is None
    True
    """
    if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        # Already clean (common: the loader gets the parser's cleaned lines): every whitespace
        # character but the space, and every invisible one, is unprintable.
        return value or None
    if not value.isascii() and _INVISIBLE_RE.search(value) is not None:
        value = value.translate(_INVISIBLE)
    text = " ".join(value.split())
    return text or None


def decode_entities(value: str) -> str:
    """Decode entities left encoded in text (pages that escape twice).

    >>> decode_entities("Trump &amp; Putin &quot;talk&quot; &#8212; again")
    'Trump & Putin "talk" — again'
    """
    return replace_entities(value) if "&" in value else value


def title_case(value: str) -> str:
    """Title-case a category label word by word.

    >>> title_case("WORLD"), title_case("south caucasus")
    ('World', 'South Caucasus')
    """
    return " ".join(word.capitalize() for word in value.split(" "))


def parse_site_datetime(value: str) -> datetime | None:
    """Read the site's ``DD Month YYYY HH:MM`` (English or Russian) as Asia/Baku time.

    >>> parse_site_datetime("07 November 2025 11:03").isoformat()
    '2025-11-07T11:03:00+04:00'
    >>> parse_site_datetime("25 Июня 2026 17:24").isoformat()
    '2026-06-25T17:24:00+04:00'

    ISO 8601 is read as such, other spellings through ``dateutil`` (day first); an explicit
    offset is converted:

    >>> parse_site_datetime("2025-11-07 09:03+02:00").isoformat()
    '2025-11-07T11:03:00+04:00'
    >>> parse_site_datetime("07.11.2025 11:03").isoformat()
    '2025-11-07T11:03:00+04:00'
    >>> parse_site_datetime("yesterday") is None
    True
    """
    match = SITE_DATE_RE.search(value)
    if match is not None:
        day, month_name, year, hour, minute = match.groups()
        month = MONTHS.get(month_name.lower())
        if month is not None:
            try:
                return datetime(int(year), month, int(day), int(hour), int(minute), tzinfo=SITE_TZ)
            except ValueError:
                return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = dateutil_parser.parse(value, dayfirst=True)
        except (ValueError, OverflowError):
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=SITE_TZ)
    return parsed.astimezone(SITE_TZ)


def published_at(value: str) -> str | None:
    """The publication time as ISO 8601 with the site's offset.

    >>> published_at("07 November 2025 11:03")
    '2025-11-07T11:03:00+04:00'
    >>> published_at("7 November 2025, 9:05")
    '2025-11-07T09:05:00+04:00'
    """
    parsed = parse_site_datetime(value)
    return parsed.isoformat() if parsed is not None else None


def is_signature(value: str) -> bool:
    """Whether a line is the outlet's signature rather than a person.

    >>> is_signature("CALIBER.AZ"), is_signature("Caliber Az."), is_signature("Aghakazim Guliyev")
    (True, True, False)
    >>> is_signature("— Caliber . Az —" + "!" * 40), is_signature("The minister said so on Friday.")
    (True, False)
    """
    if len(value) > _SIGNATURE_SCAN and any(letter in value for letter in _NOT_IN_SIGNATURE):
        return False  # a letter the signature lacks survives; skips the re.sub (~13 µs a line)
    return _NON_WORD_RE.sub("", value).lower() == _SIGNATURE_KEY


_NON_WORD_RE = re.compile(r"[\W_]")
_SIGNATURE_KEY = _NON_WORD_RE.sub("", SIGNATURE).lower()
_NOT_IN_SIGNATURE = tuple(
    letter
    for lower in "tnoshdu"
    if lower not in _SIGNATURE_KEY
    for letter in (lower, lower.upper())
)
_SIGNATURE_SCAN = 2 * len(SIGNATURE)


def author_from_byline(value: str) -> str | None:
    """The name in a ``By <Name>`` byline, in any case and spacing; ``None`` if it is not one.

    >>> author_from_byline("By Aghakazim Guliyev")
    'Aghakazim Guliyev'
    >>> author_from_byline("BY  Leyla   Mammadova.")
    'Leyla Mammadova'
    >>> author_from_byline("by: Ramin Aliyev")
    'Ramin Aliyev'
    >>> author_from_byline("By Caliber.Az") is None
    True
    >>> author_from_byline("Bystanders were hurt") is None
    True
    >>> author_from_byline("By the end of the week, prices had risen by a third.") is None
    True

    The outlet's signature written after the name is not part of it:

    >>> author_from_byline("By Orkhan Amashov, Caliber.Az")
    'Orkhan Amashov'
    >>> author_from_byline("By A. Guliyev (CALIBER.AZ)")
    'A. Guliyev'
    """
    text = clean_text(value)
    if text is None:
        return None
    match = BYLINE_RE.match(text)
    if match is None:
        return None
    name = _TRAILING_SIGNATURE_RE.sub("", match["name"]).rstrip(" .,;:")
    words = name.split()
    if not name or is_signature(name) or len(name) > MAX_AUTHOR_LENGTH or len(words) > 8:
        return None
    # A sentence that happens to start with "By" has lower-case words in it.
    if not all(word[:1].isupper() or word in _NAME_PARTICLES for word in words):
        return None
    return name


_TRAILING_SIGNATURE_RE = re.compile(r"\s*(?:[,/|–—-]|\()\s*Caliber\.?\s?Az\.?\)?\s*$", re.I)
_NAME_PARTICLES = frozenset(
    {"and", "de", "van", "von", "der", "al", "el", "bin", "ibn", "la", "le"}
)


@dataclass(frozen=True)
class Attribution:
    """How one edition's text names the outlets a story cites (see ``Edition.attribution``)."""

    sentence: re.Pattern[str]
    #: Where the list of outlets ends: a sentence stop ("U.S." style initials are not one),
    #: a dash or bracket, or a clause the sentence goes on with.
    list_end: re.Pattern[str]
    split: re.Pattern[str]
    kind: re.Pattern[str] | None

    @classmethod
    def of(cls, edition: Edition) -> Attribution:
        """The compiled rules of ``edition``'s attribution phrases."""
        conjunction = re.escape(edition.conjunction)
        kinds = "|".join(map(re.escape, edition.outlet_kinds))
        return cls(
            sentence=re.compile(edition.attribution, re.IGNORECASE),
            list_end=re.compile(
                r"(?<!\b[A-ZА-ЯЁ])[.!?;:](?=\s|$)|\s[-–—(]\s?|\s*\("
                f"|{edition.attribution_clause}"
            ),
            split=re.compile(rf"\s*,\s*(?:{conjunction}\s+)?|\s+{conjunction}\s+|\s*&\s*"),
            kind=re.compile(rf"^(?:{kinds})\s+") if kinds else None,
        )


ATTRIBUTIONS = {code: Attribution.of(edition) for code, edition in EDITIONS.items()}


def cited_outlets(value: str, edition: str = DEFAULT_EDITION) -> list[str]:
    """The outlets named in an edition's attribution sentence, in order.

    English: ``Caliber.Az reports, citing …``

    >>> cited_outlets("…to slow the advance, Caliber.Az reports, citing The Wall Street Journal.")
    ['The Wall Street Journal']
    >>> cited_outlets("It was cut, Caliber.Az reports citing Reuters and the Associated Press.")
    ['Reuters', 'the Associated Press']
    >>> cited_outlets("Caliber.Az reports, citing Bloomberg, Reuters and Financial Times. More.")
    ['Bloomberg', 'Reuters', 'Financial Times']
    >>> cited_outlets("Caliber.Az reports, citing U.S. News & World Report")
    ['U.S. News', 'World Report']
    >>> cited_outlets("Caliber.Az reports, citing RIA Novosti, that the talks had ended.")
    ['RIA Novosti']
    >>> cited_outlets("The minister said so on Friday.")
    []

    Russian (``edition="ru"``): ``…, сообщает Caliber.Az со ссылкой на …`` and ``Об этом
    сообщает Caliber.Az со ссылкой на …``, names as written, in either script:

    >>> cited_outlets("Цены выросли, сообщает Caliber.Az со ссылкой на ТАСС.", "ru")
    ['ТАСС']
    >>> cited_outlets("Об этом сообщает Caliber.Az со ссылкой на Reuters и РИА Новости.", "ru")
    ['Reuters', 'РИА Новости']
    >>> cited_outlets("Итак, сообщает Caliber.Az со ссылкой на Politico, DW и «Ведомости».", "ru")
    ['Politico', 'DW', 'Ведомости']

    The outlet's kind is not its name, and the list ends where the sentence goes on:

    >>> cited_outlets("Как сообщает Caliber.Az со ссылкой на агентство Yonhap, суд отложен.", "ru")
    ['Yonhap']
    >>> cited_outlets("Сообщает Caliber.Az со ссылкой на ТАСС, что переговоры продолжатся.", "ru")
    ['ТАСС']

    "ссылкой" alone cites nothing, nor does another edition's sentence:

    >>> cited_outlets("Он отказался поделиться ссылкой на доклад со ссылкой на источники.", "ru")
    []
    >>> cited_outlets("Caliber.Az reports, citing Reuters.", "ru")
    []
    """
    rules = ATTRIBUTIONS[edition]
    found: list[str] = []
    for match in rules.sentence.finditer(value):
        outlets = match["outlets"]
        stop = rules.list_end.search(outlets)
        if stop is not None:
            outlets = outlets[: stop.start()]
        for part in rules.split.split(outlets):
            name = part.strip()
            if rules.kind is not None:
                name = rules.kind.sub("", name)
            name = name.strip(" \"'“”«»„")
            if name and name not in found:
                found.append(name)
    return found


def views_count(value: str) -> int | None:
    """The number in ``Views: N``, thousands separators removed; ``None`` when there is none.

    >>> views_count("Views: 96"), views_count("Views: 1 234"), views_count("Views: 12\\u00a0345")
    (96, 1234, 12345)
    >>> views_count("Views: 3,456"), views_count("Просмотров: 1.179"), views_count("Views:")
    (3456, 1179, None)
    """
    match = VIEWS_RE.search(value)
    if match is None:
        return None
    digits = re.sub(r"\D", "", match.group())
    return int(digits) if digits else None


def style_background_url(value: str) -> str | None:
    """The URL in a ``background-image:url(…)`` style, quoted or not.

    >>> style_background_url("background-image:url('/media/photos/original/x.webp')")
    '/media/photos/original/x.webp'
    >>> style_background_url("color: red") is None
    True
    """
    match = STYLE_URL_RE.search(value)
    return match["url"].strip() if match is not None else None


def absolute_url(value: str, base: str) -> str:
    """Resolve a possibly relative URL against the page it was found on.

    >>> absolute_url("/media/a.webp", "http://127.0.0.1:8080/en/post/x")
    'http://127.0.0.1:8080/media/a.webp'
    """
    return urljoin(base, value)


def unique(values: Iterable[str]) -> list[str]:
    """Keep the first of each value, in order.

    >>> unique(["Reuters", "AP", "Reuters"])
    ['Reuters', 'AP']
    """
    return list(dict.fromkeys(values))

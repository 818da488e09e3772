"""Pure normalisers for article fields, used as item-loader processors.

Each takes a raw string scraped from a page and returns clean data or ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

from dateutil import parser as dateutil_parser
from w3lib.html import replace_entities

from newscrawl.editions import DEFAULT_EDITION, EDITIONS, Edition
from newscrawl.site import SIGNATURE, SITE_TZ

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# str.translate walks a non-ASCII string char by char through a dict (~25 µs a paragraph): only
# call it when there is something to remove.
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

# Every edition's month names, and their abbreviations to 3 or 4 letters ("Nov", "Sept", "июн.",
# "сент"): a date is read the same way whichever edition printed it.
MONTHS = {
    name[:length]: number
    for edition in EDITIONS.values()
    for number, name in enumerate(edition.months, 1)
    for length in (3, 4, len(name))
}
# The time may follow the year with no space (two elements side by side: "07 November 202511:03"),
# or after a separator: "07 November 2025 | 11:03", "25 Июня 2026, 17:24", "25 Июня 2026 в 17:24".
_DATE_TIME_GAP = r"(?:\s*[,|/•·–—-]\s*|\s+(?:в|at)\s+|\s*)"
SITE_DATE_RE = re.compile(
    rf"(\d{{1,2}})\s*([^\W\d_]+)\.?,?\s+(\d{{4}}){_DATE_TIME_GAP}(\d{{1,2}}):(\d{{2}})"
)
# The same with the time first: "17:24 25 Июня 2026".
SITE_TIME_DATE_RE = re.compile(
    rf"(\d{{1,2}}):(\d{{2}}){_DATE_TIME_GAP}(\d{{1,2}})\s*([^\W\d_]+)\.?,?\s+(\d{{4}})"
)
# "By <Name>", also "Written by <Name>" and "Author: <Name>".
BYLINE_RE = re.compile(r"^(?:(?:written\s+)?by\s*:?|author\s*:)\s+(?P<name>\S.*)$", re.IGNORECASE)
MAX_AUTHOR_LENGTH = 80
# Every edition's views label (newscrawl/editions.py): "views", "просмотров".
VIEWS_LABELS = tuple(edition.views_label for edition in EDITIONS.values())
# A views line is a label (optional on the views element itself), a count and nothing else:
# "Views: 1 234", "Views 96", "Просмотров: 1.179", "Views: 1.2K", "Просмотров: 15 тыс.". Thousands
# groups have three digits; a decimal fraction only comes with a K / M suffix. Matched whole on
# collapsed text, with no two quantifiers able to share characters: linear in the text's length.
VIEWS_RE = re.compile(
    rf"(?:(?P<label>{'|'.join(VIEWS_LABELS)}) ?(?:: ?)?)?"
    r"(?P<whole>\d+(?:[ ,.'’]\d{3})*)(?:[.,](?P<fraction>\d+))?"
    r" ?(?P<suffix>k|m|тыс\.?|млн\.?)?",
    re.IGNORECASE,
)
_VIEWS_MULTIPLIERS = {"k": 1_000, "m": 1_000_000, "тыс": 1_000, "млн": 1_000_000}
MAX_VIEWS = 2**63 - 1  # what a JSON consumer's int64 holds
# url(...) quoted or bare. Each part scans up to its own closing character and no two
# quantifiers can take the same characters, so a search stays linear in the style's length
# ("url(" * 16,000 took 20 s with a lazy quantifier before a back-reference).
STYLE_URL_RE = re.compile(
    r"""url\(\s*(?:"(?P<double>[^"]*)"\s*|'(?P<single>[^']*)'\s*|(?P<bare>[^"'()\s]+)\s*)?\)""",
    re.IGNORECASE,
)


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


# A date is short: in a longer text (an element left unclosed holds the rest of the page) only
# the site's own format is looked for, in its first characters (dateutil is slow on long text).
MAX_DATE_LENGTH = 100
_ISO_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# dateutil completes what a text lacks from a default: parsed with two defaults that differ in
# every part, a text that names its date and time in full reads the same both times.
_FILL_A = datetime(2001, 1, 1, 0, 0)
_FILL_B = datetime(2002, 2, 2, 1, 1)


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

    Abbreviated months, a separator before the time, or the time first read the same:

    >>> [published_at(v) for v in ("07 Nov 2025 | 11:03", "11:03 07.11.2025")]
    ['2025-11-07T11:03:00+04:00', '2025-11-07T11:03:00+04:00']
    >>> [published_at(v) for v in ("25 июн. 2026 в 17:24", "17:24 25 Июня 2026")]
    ['2026-06-25T17:24:00+04:00', '2026-06-25T17:24:00+04:00']

    A value must name the day, month, year, hour and minute: nothing is filled in from today's
    date, and a date without a time is ``None`` too (midnight would be a wrong value). So is a
    time no datetime can hold in Baku and in UTC:

    >>> [parse_site_datetime(v) for v in ("12", "November 2025", "Monday", "yesterday")]
    [None, None, None, None]
    >>> parse_site_datetime("07 November 2025"), parse_site_datetime("2025-11-07")
    (None, None)
    >>> parse_site_datetime("9999-12-31T23:59:00-05:00") is None
    True

    A fraction of a second is dropped (the dataset's times are whole seconds):

    >>> parse_site_datetime("2025-11-07T07:03:00.123Z").isoformat()
    '2025-11-07T11:03:00+04:00'

    An element left unclosed holds the rest of the page; its first characters are read:

    >>> parse_site_datetime("07 November 2025 11:03 Officials said " + "more " * 100).isoformat()
    '2025-11-07T11:03:00+04:00'
    """
    text = clean_text(value)
    if text is None:
        return None
    parsed: datetime | None = None
    match = SITE_DATE_RE.search(text[:MAX_DATE_LENGTH])
    if match is not None:
        day, month_name, year, hour, minute = match.groups()
    elif (match := SITE_TIME_DATE_RE.search(text[:MAX_DATE_LENGTH])) is not None:
        hour, minute, day, month_name, year = match.groups()
    month = MONTHS.get(month_name.lower()) if match is not None else None
    try:
        if match is not None and month is not None:
            parsed = datetime(int(year), month, int(day), int(hour), int(minute), tzinfo=SITE_TZ)
            parsed = _qualified(parsed, text[match.end() : match.end() + 24])
        elif len(text) > MAX_DATE_LENGTH:
            return None  # only the site's own format is looked for at the start of a long text
        elif _ISO_DATETIME_RE.match(text):
            parsed = datetime.fromisoformat(text)
        else:
            first = dateutil_parser.parse(text, dayfirst=True, default=_FILL_A)
            second = dateutil_parser.parse(text, dayfirst=True, default=_FILL_B)
            if first == second:
                parsed = first
        if parsed is None:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=SITE_TZ)
        parsed.astimezone(UTC)  # comparable with any other aware time
        # Whole seconds, as the schema has them: a fraction would make the article refused.
        return parsed.astimezone(SITE_TZ).replace(microsecond=0)
    except (ValueError, OverflowError):
        return None


_SECONDS_RE = re.compile(r":(\d{2})(?!\d)")
_MERIDIEM_RE = re.compile(r"\s*([ap])\.?\s?m\b\.?", re.IGNORECASE)
# An offset is ``+03:00`` / ``+0300``, or ``UTC+3``; a bare ``-10`` may be the text going on.
_ZONE_RE = re.compile(
    r"\s*(?:(?:utc|gmt)\s*(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?"
    r"|(?P<iso_sign>[+-])(?P<iso_hours>\d{2}):?(?P<iso_minutes>\d{2})|utc|gmt|z)(?![\w+-])",
    re.IGNORECASE,
)


def _qualified(parsed: datetime | None, rest: str) -> datetime | None:
    """The site-format time ``parsed`` with what follows it read too: seconds, AM/PM and an
    offset or zone (ignored, ``11:03 PM`` would be written as 11:03, ``11:03 +03:00`` an hour
    off); ``None`` when they cannot go together (``13:03 PM``).

    >>> at = datetime(2025, 11, 7, 11, 3, tzinfo=SITE_TZ)
    >>> [_qualified(at, rest).isoformat() for rest in (":59", " PM", " a.m.", " +03:00", " UTC")]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['2025-11-07T11:03:59+04:00', '2025-11-07T23:03:00+04:00', '2025-11-07T11:03:00+04:00',
     '2025-11-07T11:03:00+03:00', '2025-11-07T11:03:00+00:00']
    >>> _qualified(at.replace(hour=13), " PM"), _qualified(at, " -10 degrees").isoformat()
    (None, '2025-11-07T11:03:00+04:00')
    """
    if parsed is None:
        return None
    if (seconds := _SECONDS_RE.match(rest)) is not None:
        parsed = parsed.replace(second=int(seconds[1]))
        rest = rest[seconds.end() :]
    if (meridiem := _MERIDIEM_RE.match(rest)) is not None:
        if not 1 <= parsed.hour <= 12:  # a 12-hour clock
            return None
        parsed = parsed.replace(hour=parsed.hour % 12 + (12 if meridiem[1].lower() == "p" else 0))
        rest = rest[meridiem.end() :]
    if (zone := _ZONE_RE.match(rest)) is not None:
        sign, hours, minutes = zone["sign"], zone["hours"], zone["minutes"]
        if zone["iso_sign"] is not None:
            sign, hours, minutes = zone["iso_sign"], zone["iso_hours"], zone["iso_minutes"]
        offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
        offset = -offset if sign == "-" else offset
        parsed = parsed.replace(tzinfo=timezone(offset))
    return parsed


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

    Two authors are one name as printed; the name keeps its case, hyphens and apostrophes:

    >>> author_from_byline("Written by Leyla Mammadova & Orkhan Amashov")
    'Leyla Mammadova & Orkhan Amashov'
    >>> author_from_byline("Author: MIRZA-ALI O'NEIL"), author_from_byline("By Şahin Ağayev")
    ("MIRZA-ALI O'NEIL", 'Şahin Ağayev')
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


_TRAILING_SIGNATURE_RE = re.compile(
    r"(?:\s*(?:[,/|–—-]|\()\s*|\s+for\s+)Caliber\.?\s?Az\.?\)?\s*$", re.I
)
_NAME_PARTICLES = frozenset(
    {"and", "&", "de", "van", "von", "der", "al", "el", "bin", "ibn", "la", "le"}
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
    not_outlets: frozenset[str]

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
            not_outlets=frozenset(edition.not_outlets),
        )

    def outlet(self, part: str) -> str | None:
        """The outlet one item of a list names, ``None`` for unnamed sources or media."""
        name = part.strip()
        if self.kind is not None:
            name = self.kind.sub("", name)
        name = _POSSESSIVE_RE.sub("", name.strip(" \"'“”«»„"))
        name = name.strip(" \"'“”«»„")
        words = name.split()
        if not words or {words[0].lower(), words[-1].lower()} & self.not_outlets:
            return None  # "sources in the Ministry", "foreign media"
        return name if any(letter.isupper() for letter in name) else None


# "The Guardian's sources", "Al Jazeera’s correspondent": the outlet is the owner.
_POSSESSIVE_RE = re.compile(r"[’']s(?:\s+[a-z]+){1,3}$")


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

    Each attribution sentence counts; unnamed sources and media in general are no outlet, and
    what a named source said is cited by its name:

    >>> cited_outlets("Caliber.Az reports, citing Reuters. Caliber.Az reports, citing AFP.")
    ['Reuters', 'AFP']
    >>> cited_outlets("Caliber.Az reports, citing sources in the Cabinet and Western media.")
    []
    >>> cited_outlets("Caliber.Az reports, citing a statement from the Ministry of Defence.")
    ['the Ministry of Defence']
    >>> cited_outlets("Caliber.Az reports, citing The Guardian's sources.")
    ['The Guardian']

    "ссылкой" alone cites nothing, nor does another edition's sentence:

    >>> cited_outlets("Он отказался поделиться ссылкой на доклад со ссылкой на источники.", "ru")
    []
    >>> cited_outlets("Caliber.Az reports, citing Reuters.", "ru")
    []
    """
    if "aliber" not in value and "ALIBER" not in value:
        return []  # every edition's sentence names Caliber.Az; most paragraphs do not
    rules = ATTRIBUTIONS[edition]
    found: list[str] = []
    position = 0
    while (match := rules.sentence.search(value, position)) is not None:
        # The list runs from the sentence's end to where it stops: looked for from there, not
        # matched to the paragraph's end first (quadratic in a paragraph of many sentences).
        start = match.start("outlets")
        stop = rules.list_end.search(value, start)
        outlets = value[start : stop.start() if stop is not None else len(value)]
        # The next sentence may cite more: look again after this list.
        position = match.start("outlets") + max(len(outlets), 1)
        for part in rules.split.split(outlets):
            name = rules.outlet(part)
            if name is not None and name not in found:
                found.append(name)
    return found


def views_count(value: str) -> int | None:
    """The count in ``Views: N``, thousands separators removed; ``None`` when there is none.

    >>> views_count("Views: 96"), views_count("Views: 1 234"), views_count("Views: 12\\u00a0345")
    (96, 1234, 12345)
    >>> views_count("Views: 3,456"), views_count("Просмотров: 1.179"), views_count("Views:")
    (3456, 1179, None)
    >>> views_count("Views: 1.2K"), views_count("Views 15k"), views_count("Просмотров: 1,5 тыс.")
    (1200, 15000, 1500)
    >>> views_count("Views: 1.999K"), views_count("Просмотров: 1,234 тыс."), views_count("1 234K")
    (1999, 1234, 1234000)

    Anything but a label and one count in range is not a count:

    >>> views_count("Views: -5"), views_count("Views: 3 of the 5"), views_count("9" * 20)
    (None, None, None)
    """
    text = clean_text(value)
    match = VIEWS_RE.fullmatch(text) if text is not None else None
    if match is None:
        return None
    whole, fraction, suffix = match["whole"], match["fraction"], match["suffix"]
    if suffix is not None and fraction is None and re.fullmatch(r"\d+[.,]\d{3}", whole):
        # An abbreviated count is short: the point in 1.999K is a decimal one, not thousands.
        whole, fraction = re.split(r"[.,]", whole)
    whole = re.sub(r"\D", "", whole)
    if len(whole) > len(str(MAX_VIEWS)) or (fraction is not None and suffix is None):
        return None
    count = int(whole)
    if suffix is not None:
        multiplier = _VIEWS_MULTIPLIERS[suffix.lower().rstrip(".")]
        digits = (fraction or "")[:7]  # finer than one view is noise
        count = count * multiplier + int(digits or 0) * multiplier // 10 ** len(digits)
    return count if count <= MAX_VIEWS else None


def is_views_line(value: str) -> bool:
    """Whether a line of text is the page's views counter: its label and a count, nothing else.

    >>> is_views_line("Views: 96"), is_views_line("Просмотров: 179"), is_views_line("96")
    (True, True, False)
    >>> is_views_line("Views differ sharply: 3 of the 5 parties backed it.")
    False
    """
    text = clean_text(value)
    match = VIEWS_RE.fullmatch(text) if text is not None else None
    return match is not None and match["label"] is not None


def style_background_url(value: str) -> str | None:
    """The first URL in a ``background-image:url(…)`` style, quoted or not.

    >>> style_background_url("background-image:url('/media/photos/original/x.webp')")
    '/media/photos/original/x.webp'
    >>> style_background_url("color: red") is None
    True
    """
    for match in STYLE_URL_RE.finditer(value):
        url = (match["double"] or match["single"] or match["bare"] or "").strip()
        if url:
            return url
    return None


def absolute_url(value: str, base: str) -> str | None:
    """Resolve a possibly relative URL against the page it was found on; ``None`` unless that
    gives an absolute ``http(s)`` URL with a host.

    >>> absolute_url("/media/a.webp", "http://127.0.0.1:8080/en/post/x")
    'http://127.0.0.1:8080/media/a.webp'
    >>> absolute_url(" HTTPS://caliber.az/media/a.webp?", "http://127.0.0.1:8080/en/post/x")
    'https://caliber.az/media/a.webp'
    >>> absolute_url("data:image/gif;base64,R0lGODlhAQABAAAAACw=", "https://caliber.az/en/post/x")
    >>> absolute_url("http://[oops/x.webp", "https://caliber.az/en/post/x")
    """
    value = value.strip()
    try:
        parts = urlsplit(value)
        if not (parts.scheme and parts.netloc):  # relative: only then is urljoin's work needed
            parts = urlsplit(urljoin(base, value))
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.geturl()


def clean_paragraphs(values: Iterable[str]) -> list[str]:
    """Each paragraph through ``clean_text``, the empty ones dropped, and one a page prints twice
    in a row read once.

    >>> clean_paragraphs([" Talks\\u00a0 resumed. ", "", " ", "Talks resumed.", "More."])
    ['Talks resumed.', 'More.']
    """
    cleaned: list[str] = []
    for value in values:
        text = clean_text(value)
        if text is not None and (not cleaned or cleaned[-1] != text):
            cleaned.append(text)
    return cleaned


def cited_in(paragraphs: Iterable[str], edition: str = DEFAULT_EDITION) -> list[str]:
    """The outlets every paragraph's attribution sentence names, in order (``cited_outlets``).

    >>> cited_in(["Talks resumed.", "Caliber.Az reports, citing Reuters and AP.", "Rain."])
    ['Reuters', 'AP']
    """
    return [name for paragraph in paragraphs for name in cited_outlets(paragraph, edition)]


def unique(values: Iterable[str]) -> list[str]:
    """Keep the first of each value, in order.

    >>> unique(["Reuters", "AP", "Reuters"])
    ['Reuters', 'AP']
    """
    return list(dict.fromkeys(values))

"""The site's language editions: every word, path and phrase one edition spells its own way.

``site.py``, ``processors.py`` and ``parsers.py`` read these; nothing else spells them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Edition:
    """One language edition of the site (see docs/SITE.md)."""

    #: ISO 639-1 code: the ``edition`` argument and the records' ``language``.
    language: str
    #: The WORLD section's first listing page, and the category label of its cards.
    section_path: str
    section_label: str
    #: An article's path is this prefix and its slug.
    article_prefix: str
    #: Where a link's path names an article (``re.search``, group ``slug``).
    article_path_re: str
    #: Month names as dates print them, January first, lower-case.
    months: tuple[str, ...]
    #: What the views counter starts with, lower-case (``Views: 96``).
    views_label: str
    #: The sentence naming the outlets a story cites (``re.search``, case-insensitive,
    #: group ``outlets``: the rest of the text).
    attribution: str
    #: Where a sentence goes on after its list of outlets (besides punctuation).
    attribution_clause: str
    #: The word joining the last two outlets of a list.
    conjunction: str
    #: Words written before an outlet's name that are not part of it ("the agency X").
    outlet_kinds: tuple[str, ...] = ()
    #: First or last words (lower-case) of a cited name that is no outlet: "sources in the
    #: Cabinet", "Western media" (a name without a capital letter is none either).
    not_outlets: tuple[str, ...] = ()
    #: A body paragraph linking to related news starts with this (``re.match``, ignoring case).
    related_label: str = r"(?!)"
    #: The edition's own RSS feed, which ``scrapy probe`` checks besides ``/rss.xml``.
    feed_path: str = ""


_ENGLISH_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
# Genitive, as the Russian dates print them capitalised: ``25 Июня 2026 17:24``.
_RUSSIAN_MONTHS = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip

_ENGLISH_KINDS = (
    "a statement from", "a statement by", "a statement of", "a report by", "a report from",
    "a report in", "an article in", "an article by", "an interview with", "an interview to",
    "a publication in", "a post on", "a post by", "data from", "the newspaper",
    "the news agency", "the agency",
)  # fmt: skip

ENGLISH = Edition(
    language="en",
    section_path="/en/category/world",  # assumed, by analogy with the Russian /category/mir
    section_label="WORLD",
    article_prefix="/en/post/",
    # Matched at the end of a link's path, so a link written relative to the listing page
    # (``en/post/x`` → ``/en/category/en/post/x``) still names article ``x``.
    article_path_re=r"/en/post/(?P<slug>[^/?#]+)/?$",
    months=_ENGLISH_MONTHS,
    views_label="views",
    attribution=(
        r"Caliber\.?Az\s+(?:reports|reported|informs|writes)\s*,?\s+"
        r"(?:citing|with\s+reference\s+to|referring\s+to)\s+(?P<outlets>)(?=.)"
    ),
    # "citing RIA Novosti, that the talks ...".
    attribution_clause=(
        r",?\s+(?:that|which|who|as|while|when|saying|said|adding|according|after)\b"
    ),
    conjunction="and",
    # What a named source said, written before its name: "citing a statement from the Ministry".
    outlet_kinds=_ENGLISH_KINDS,
    not_outlets=("sources", "source", "media", "officials", "outlets", "reports"),
    # "Read also: <link>"; a bare "Related" or "Read more" only with a colon or alone.
    related_label=r"\s*(?:(?:read\s+also|also\s+read|see\s+also)\b|(?:related|read\s+more)\s*(?:[:—–-]|$))",
    # Assumed by analogy with /rss.xml (docs/SITE.md: /en/rss answers 404, /rss.xml is a feed).
    feed_path="/en/rss.xml",
)

# The site's Armenian edition (``/arm``), not crawled: its paths are not Russian articles.
_ARMENIAN = "arm"
_RUSSIAN_KINDS = (
    "агентство", "агентства", "издание", "издания", "газета", "газету", "газеты", "журнал",
    "журнала", "телеканал", "телеканала", "портал", "портала", "сайт", "радиостанцию",
)  # fmt: skip
_RUSSIAN_VERBS = r"(?:сообщает|сообщил|сообщило|передает|передаёт|пишет|информирует)"

RUSSIAN = Edition(
    language="ru",
    section_path="/category/mir",  # confirmed, labelled МИР
    section_label="МИР",
    article_prefix="/post/",
    # Like the English rule, at the end of the path (``post/x`` written relative to the
    # listing page is ``/category/post/x``), but never under another edition's prefix: the
    # path ``/en/post/x`` is an English article.
    article_path_re=(
        rf"^(?!/(?:{ENGLISH.language}|{_ARMENIAN})/)(?:/[^/?#]+)*?/post/(?P<slug>[^/?#]+)/?$"
    ),
    months=_RUSSIAN_MONTHS,
    views_label="просмотров",
    # "…, сообщает Caliber.Az со ссылкой на ТАСС." and "Об этом сообщает Caliber.Az со
    # ссылкой на …" (assumed by analogy with the English sentence, see docs/SITE.md).
    attribution=(
        rf"(?:{_RUSSIAN_VERBS}\s+Caliber\.?\s?Az|Caliber\.?\s?Az\s+{_RUSSIAN_VERBS})"
        r"\s*,?\s+со\s+ссылкой\s+на\s+(?P<outlets>)(?=.)"
    ),
    # "… со ссылкой на ТАСС, что …", and "Как сообщает Caliber.Az со ссылкой на ТАСС,
    # переговоры …": a comma before a lower-case word that is not an outlet's kind.
    attribution_clause=(
        r",?\s+(?:что|чтобы|который|которая|которое|которые|когда|где|после|заявив|отметив"
        r"|добавив|подчеркнув|говорится)\b"
        rf"|,\s+(?!и\s|(?:{'|'.join(_RUSSIAN_KINDS)})\s)(?=[а-яё])"
    ),
    conjunction="и",
    outlet_kinds=_RUSSIAN_KINDS,
    not_outlets=("источники", "источников", "источника", "источнику", "сми"),
    related_label=r"\s*(?:(?:читайте\s+также|также\s+читайте|смотрите\s+также)\b|(?:по\s+теме|читайте)\s*(?:[:—–-]|$))",
    feed_path="/rss.xml",  # answered as a feed in 2026; the root serves the Russian edition
)

#: Every edition by its code; the spider's ``edition`` argument picks one.
EDITIONS: dict[str, Edition] = {edition.language: edition for edition in (ENGLISH, RUSSIAN)}
DEFAULT_EDITION = ENGLISH.language

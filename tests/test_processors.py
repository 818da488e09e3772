"""Every normalisation rule of the JSONL schema, edge cases included."""

from __future__ import annotations

import dataclasses
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from itemloaders.processors import MapCompose
from parsel import Selector

from newscrawl.items import FIELDS
from newscrawl.loaders import ArticleLoader, build_article
from newscrawl.parsers import parse_article
from newscrawl.processors import (
    absolute_url,
    author_from_byline,
    cited_outlets,
    clean_text,
    decode_entities,
    is_signature,
    is_views_line,
    parse_site_datetime,
    published_at,
    style_background_url,
    title_case,
    views_count,
)
from newscrawl.responses import page_selector


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("WSJ:\u00a0Russian forces", "WSJ: Russian forces"),
        ("  Two\n   lines\tand tabs  ", "Two lines and tabs"),
        ("zero\u200bwidth", "zerowidth"),
        ("\u2028line\u2029separators\u3000too", "line separators too"),
    ],
)
def test_clean_text_collapses_every_kind_of_whitespace(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize("raw", ["", " ", "\u00a0\n\t", "\u200b"])
def test_clean_text_of_blank_is_none(raw: str) -> None:
    assert clean_text(raw) is None


def test_headline_entities_decoded_once_more_when_left_encoded() -> None:
    assert decode_entities("Trump &amp;amp; Putin") == "Trump &amp; Putin"
    assert decode_entities("Q&amp;A: &quot;Why&quot;") == 'Q&A: "Why"'
    assert decode_entities("AT&T") == "AT&T"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07 November 2025 11:03", "2025-11-07T11:03:00+04:00"),
        ("7 November 2025 09:05", "2025-11-07T09:05:00+04:00"),
        ("07 november 2025, 11:03", "2025-11-07T11:03:00+04:00"),
        ("  31 December 2025 23:59 ", "2025-12-31T23:59:00+04:00"),
        ("01 January 2026 00:00", "2026-01-01T00:00:00+04:00"),
        ("29 February 2024 19:12", "2024-02-29T19:12:00+04:00"),
        ("25 Июня 2026 17:24", "2026-06-25T17:24:00+04:00"),
        ("2025-11-07T11:03:00+04:00", "2025-11-07T11:03:00+04:00"),
        ("2025-11-07T07:03:00Z", "2025-11-07T11:03:00+04:00"),
        # what follows the site's format counts: it was dropped, so 11:03 PM was 11:03
        ("07 November 2025 11:03 PM", "2025-11-07T23:03:00+04:00"),
        ("07 November 2025 12:30 a.m.", "2025-11-07T00:30:00+04:00"),
        ("07 November 2025 11:03 +03:00", "2025-11-07T12:03:00+04:00"),
        ("07 November 2025 11:03 GMT", "2025-11-07T15:03:00+04:00"),
        ("07 November 2025 11:03:59", "2025-11-07T11:03:59+04:00"),
        ("07 November 2025 11:03 -10 degrees in Baku", "2025-11-07T11:03:00+04:00"),
        # the variety of a long archive: abbreviated months, separators, time first, NBSP
        ("07 Nov 2025 11:03", "2025-11-07T11:03:00+04:00"),
        ("07 Sept. 2025 11:03", "2025-09-07T11:03:00+04:00"),
        ("November 7, 2025 11:03", "2025-11-07T11:03:00+04:00"),
        (" \n07\u00a0November\n2025 \u00a0 11:03\n", "2025-11-07T11:03:00+04:00"),
        ("07 November 2025 | 11:03", "2025-11-07T11:03:00+04:00"),
        ("07 November 2025 at 11:03", "2025-11-07T11:03:00+04:00"),
        ("07 November 2025 / 11:03", "2025-11-07T11:03:00+04:00"),
        ("11:03 07.11.2025", "2025-11-07T11:03:00+04:00"),
        ("07.11.2025 11:03", "2025-11-07T11:03:00+04:00"),
        ("11:03 07 November 2025", "2025-11-07T11:03:00+04:00"),
        ("25 июня 2026 17:24", "2026-06-25T17:24:00+04:00"),
        ("1 Января 2026 00:05", "2026-01-01T00:05:00+04:00"),
        ("25 Июня 2026, 17:24", "2026-06-25T17:24:00+04:00"),
        ("25 Июня 2026 в 17:24", "2026-06-25T17:24:00+04:00"),
        ("25 июн. 2026 17:24", "2026-06-25T17:24:00+04:00"),
        ("3 сент 2026 17:24", "2026-09-03T17:24:00+04:00"),
        ("17:24 25 Июня 2026", "2026-06-25T17:24:00+04:00"),
        ("17:24, 25.06.2026", "2026-06-25T17:24:00+04:00"),
    ],
)
def test_published_at_is_baku_time_with_offset(raw: str, expected: str) -> None:
    assert published_at(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "soon",
        "31 February 2025 10:00",
        "07 Smarch 2025 11:03x",
        # never completed from today's date: day, month, year, hour and minute must be there
        "12",
        "November 2025",
        "Monday",
        "yesterday",
        "11:03",
        "Monday 11:03",
        "12 November",
        # a date without a time would be a wrong midnight
        "07 November 2025",
        "2025-11-07",
        "07.11.2025",
        # times no datetime holds (in Baku or in UTC): None, never OverflowError
        "9999-12-31T23:59:00-05:00",
        "0001-01-01T01:00:00",
        "0001-01-01T00:00:00+14:00",
        "99999-01-01 10:00",
        "07 November 2025 13:03 PM",
        "07 November 2025 11:03 +25:00",
        "x" * 100 + " 07 November 2025 11:03",
        "2025-11-07T11:03:00+04:00 " + "x" * 100,
        # a day named relative to today is never completed
        "Today 11:03",
        "Сегодня, 17:24",
        "Вчера в 17:24",
        "25 Июня 17:24",
    ],
)
def test_published_at_unreadable_is_none(raw: str) -> None:
    assert parse_site_datetime(raw) is None
    assert published_at(raw) is None


def test_every_time_read_can_be_compared_with_since() -> None:
    since = datetime(2025, 11, 1, tzinfo=UTC)
    for raw in ("9999-12-31T23:59:00+04:00", "0001-01-01T04:00:00+04:00", "31.12.9999 23:59"):
        parsed = parse_site_datetime(raw)
        assert parsed is not None, raw
        assert (parsed < since) == (parsed.year < 2025)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("By Aghakazim Guliyev", "Aghakazim Guliyev"),
        ("BY  Leyla Mammadova", "Leyla Mammadova"),
        ("by Ramin Aliyev", "Ramin Aliyev"),
        ("By\u00a0Nigar Hasanova.", "Nigar Hasanova"),
        ("By: Orkhan Amashov", "Orkhan Amashov"),
        ("By Vugar Khalilov and Jane Doe", "Vugar Khalilov and Jane Doe"),
        ("By Orkhan Amashov, Caliber.Az", "Orkhan Amashov"),
        ("By Orkhan Amashov and Leyla Mammadova, Caliber.Az", "Orkhan Amashov and Leyla Mammadova"),
        ("By Ali bin Hassan", "Ali bin Hassan"),
        ("BY AGHAKAZIM GULIYEV", "AGHAKAZIM GULIYEV"),  # the name as printed
        ("By Leyla Mammadova and Orkhan Amashov", "Leyla Mammadova and Orkhan Amashov"),
        ("By Leyla Mammadova & Orkhan Amashov", "Leyla Mammadova & Orkhan Amashov"),
        ("Written by Leyla Mammadova", "Leyla Mammadova"),
        ("Author: Leyla Mammadova", "Leyla Mammadova"),
        ("By Mirza-Ali O'Neil", "Mirza-Ali O'Neil"),
        ("By Mirza-Ali O’Neil.", "Mirza-Ali O’Neil"),
        ("By \u00dclviyy\u0259 \u018fliyeva", "\u00dclviyy\u0259 \u018fliyeva"),
        ("By \u015eahin A\u011fayev", "\u015eahin A\u011fayev"),
        ("By Nigar Hasanova for Caliber.Az", "Nigar Hasanova"),
        ("By 2030, the country will double its exports.", None),
        ("By the way, nobody asked.", None),
        ("Written by hand", None),
        ("Author: unknown", None),
        ("By Caliber.Az", None),
        ("Caliber.Az", None),
        ("By the way, the talks failed.", None),
        ("Bystanders fled", None),
        ("", None),
    ],
)
def test_author_from_byline(raw: str, expected: str | None) -> None:
    assert author_from_byline(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "…the advance, Caliber.Az reports, citing The Wall Street Journal.",
            ["The Wall Street Journal"],
        ),
        ("It fell, Caliber.Az reports citing Reuters.", ["Reuters"]),
        (
            "It fell, Caliber.Az reports, citing Reuters and the Associated Press.",
            ["Reuters", "the Associated Press"],
        ),
        (
            "Caliber.Az reports, citing Bloomberg, Reuters and Financial Times.",
            ["Bloomberg", "Reuters", "Financial Times"],
        ),
        (
            "Caliber.Az reports, citing Bloomberg, Reuters, and Financial Times.",
            ["Bloomberg", "Reuters", "Financial Times"],
        ),
        ("caliber.az reports, citing TASS", ["TASS"]),
        (
            "Caliber.Az reports, citing The New York Times. The mayor said more.",
            ["The New York Times"],
        ),
        ("Caliber.Az reports with reference to Anadolu Agency.", ["Anadolu Agency"]),
        ("It fell, Caliber.Az informs, citing TASS.", ["TASS"]),
        ("It fell, Caliber.az reports, citing \u201cKommersant\u201d.", ["Kommersant"]),
        (
            "It fell, Caliber.Az reports, citing the Financial Times, Bloomberg and The Guardian.",
            ["the Financial Times", "Bloomberg", "The Guardian"],
        ),
        # two attribution sentences in one paragraph: both, in order
        (
            "It fell, Caliber.Az reports, citing Reuters. It rose, Caliber.Az reports, citing AFP.",
            ["Reuters", "AFP"],
        ),
        # no outlet named: unnamed sources and media in general are no outlet
        ("It fell, Caliber.Az reports, citing sources in the ministry.", []),
        ("It fell, Caliber.Az reports, citing its own sources.", []),
        ("It fell, Caliber.Az reports, citing foreign media.", []),
        ("It fell, Caliber.Az reports, citing Western media and Reuters.", ["Reuters"]),
        # what a named source said is cited by its name
        (
            "It fell, Caliber.Az reports, citing a statement from the Ministry of Defence.",
            ["the Ministry of Defence"],
        ),
        (
            "It fell, Caliber.Az reports, citing the Ministry of Defence.",
            ["the Ministry of Defence"],
        ),
        ("It fell, Caliber.Az reports, citing a report by Politico.", ["Politico"]),
        ("It fell, Caliber.Az reports, citing The Guardian's sources.", ["The Guardian"]),
        ("It fell, Caliber.Az reports, citing Al Jazeera\u2019s correspondent.", ["Al Jazeera"]),
        ("The mayor spoke to reporters on Friday.", []),
    ],
)
def test_cited_outlets(raw: str, expected: list[str]) -> None:
    assert cited_outlets(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Views: 96", 96),
        ("Views: 1 234", 1234),
        ("Views: 12\u00a0345", 12345),
        ("Views: 3,456", 3456),
        ("Views: 1.234.567", 1234567),
        ("Просмотров: 179", 179),
        ("Views 96", 96),
        ("VIEWS : 96 ", 96),
        ("96", 96),
        ("Views: 1.2K", 1200),
        ("Views: 1,2k", 1200),
        ("Views: 15K", 15000),
        ("Views: 1.2M", 1_200_000),
        ("Просмотров: 1,5 тыс.", 1500),
        ("Просмотров: 2 млн", 2_000_000),
        ("Views: 1.999K", 1999),  # not 1,999,000: the point of an abbreviated count is decimal
        ("Views: 2,500k", 2500),
        ("Просмотров: 1,234 тыс.", 1234),
        ("Views: 1.250M", 1_250_000),
        ("Просмотров: 1 234 тыс.", 1_234_000),  # a space groups thousands
        ("Views: 9223372036854775807", 2**63 - 1),
        ("Views:", None),
        ("", None),
        ("Views: -5", None),
        ("Views: 1.2", None),
        ("Views: \u2014", None),
        ("VIEWS: 1,234", 1234),
        ("Views: 1 234 567", 1_234_567),
        ("Views: 12.34", None),
        ("Views: 1 2", None),
        ("Views: 96 (today)", None),
        ("Views differ sharply: 3 of the 5 parties", None),
        ("Views: 9223372036854775808", None),
        ("Views: 12345678901234567890", None),
        ("Views: " + "9" * 5000, None),
        ("Views: " + "1,234" * 2000, None),
    ],
)
def test_views_count(raw: str, expected: int | None) -> None:
    assert views_count(raw) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Views: 96", True),
        ("Views 96", True),
        ("Просмотров: 179", True),
        ("views: 1 234", True),
        ("Views: 1.2K", True),
        ("Views: " + "9" * 5000, True),  # a views line with a count out of range
        ("96", False),
        ("Views differ sharply: 3 of the 5 parties backed it.", False),
        ("Viewsers: 3", False),
        ("Views: 96. Share it!", False),
    ],
)
def test_a_views_line_is_its_label_and_a_count_only(line: str, expected: bool) -> None:
    assert is_views_line(line) is expected


def test_a_count_out_of_range_loses_nothing_but_the_count() -> None:
    html = (
        '<div class="post"><h1 class="post_title">H</h1><div class="post_body"><p>Text.</p>'
        '</div><div class="post_hits">Views: ' + "9" * 5000 + "</div></div>"
    )
    article = build_article(
        parse_article(page_selector(html)), url="u", slug="s", crawled_at="2026-01-01T00:00:00Z"
    )
    assert (article.headline, article.body, article.views) == ("H", "Text.", None)


def test_section_label_title_cased() -> None:
    assert title_case("WORLD") == "World"
    assert title_case("МИР") == "Мир"


# --- the Russian edition ------------------------------------------------------------------

RUSSIAN_MONTHS = [
    "Января", "Февраля", "Марта", "Апреля", "Мая", "Июня",
    "Июля", "Августа", "Сентября", "Октября", "Ноября", "Декабря",
]  # fmt: skip


@pytest.mark.parametrize(("number", "month"), list(enumerate(RUSSIAN_MONTHS, 1)))
def test_russian_dates_every_month(number: int, month: str) -> None:
    assert published_at(f"15 {month} 2026 17:24") == f"2026-{number:02d}-15T17:24:00+04:00"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("25 Июня 2026 17:24", "2026-06-25T17:24:00+04:00"),
        ("3 Июля 2026 09:02", "2026-07-03T09:02:00+04:00"),
        ("03 Июля 2026 9:02", "2026-07-03T09:02:00+04:00"),
        ("02 июля 2026 18:25", "2026-07-02T18:25:00+04:00"),
        ("1 ДЕКАБРЯ 2025 00:00", "2025-12-01T00:00:00+04:00"),
        ("\u00a031 Декабря 2025\u00a023:59 ", "2025-12-31T23:59:00+04:00"),
        ("29 Февраля 2024 19:12", "2024-02-29T19:12:00+04:00"),
    ],
)
def test_russian_dates_any_case_one_or_two_digit_days(raw: str, expected: str) -> None:
    assert published_at(raw) == expected


@pytest.mark.parametrize(
    "raw", ["31 Июня 2026 10:00", "25 Июнь 2026 17:24", "25 Смарта 2026 11:03"]
)
def test_russian_date_that_is_no_date_is_none(raw: str) -> None:
    assert published_at(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Просмотров: 179", 179),
        ("Просмотров: 1 234", 1234),
        ("Просмотров: 12\u00a0345", 12345),
        ("ПРОСМОТРОВ: 2,047", 2047),
        ("Просмотров: 1 048 576", 1048576),
        ("Просмотров 1 234", 1234),
        ("Просмотров:", None),
    ],
)
def test_russian_views_count(raw: str, expected: int | None) -> None:
    assert views_count(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Цены выросли, сообщает Caliber.Az со ссылкой на ТАСС.", ["ТАСС"]),
        ("Об этом сообщает Caliber.Az со ссылкой на РИА Новости.", ["РИА Новости"]),
        ("Об этом сообщает Caliber.az со ссылкой на «Коммерсантъ».", ["Коммерсантъ"]),
        ("Об этом сообщает Caliber.Az со ссылкой на источники в министерстве.", []),
        ("Об этом сообщает Caliber.Az со ссылкой на собственные источники.", []),
        ("Об этом сообщает Caliber.Az со ссылкой на западные СМИ и ТАСС.", ["ТАСС"]),
        (
            "Цены выросли, сообщает Caliber.Az со ссылкой на ТАСС. "
            "Об этом сообщает Caliber.Az со ссылкой на Reuters.",
            ["ТАСС", "Reuters"],
        ),
        ("Об этом сообщает Caliber.Az со ссылкой на Reuters и Euronews.", ["Reuters", "Euronews"]),
        (
            "Лагеря переполнены, сообщает Caliber.Az со ссылкой на Al Jazeera, BBC и AFP.",
            ["Al Jazeera", "BBC", "AFP"],
        ),
        ("…, сообщает Caliber.Az со ссылкой на ТАСС и Bloomberg.", ["ТАСС", "Bloomberg"]),
        ("…, сообщает Caliber.Az со ссылкой на The Times of India.", ["The Times of India"]),
        ("…, сообщает Caliber.Az со ссылкой на «Синьхуа».", ["Синьхуа"]),
        (
            "…, сообщает Caliber.Az со ссылкой на Clarín, Infobae и AFP.",
            ["Clarín", "Infobae", "AFP"],
        ),
        ("сообщает CALIBER.AZ со ссылкой на Yonhap", ["Yonhap"]),
        ("…, передаёт Caliber.Az со ссылкой на «Интерфакс».", ["Интерфакс"]),
        ("Caliber.Az сообщает со ссылкой на Yle, что граница закрыта.", ["Yle"]),
        (
            "Как сообщает Caliber.Az со ссылкой на издание Der Spiegel, бюджет вырос.",
            ["Der Spiegel"],
        ),
        ("…, сообщает Caliber.Az со ссылкой на агентства Reuters и AP.", ["Reuters", "AP"]),
        (
            "…, сообщает Caliber.Az со ссылкой на ТАСС, издание «Известия» и РБК.",
            ["ТАСС", "Известия", "РБК"],
        ),
        ("…, сообщает Caliber.Az со ссылкой на Reuters — агентство уточняет.", ["Reuters"]),
        # "ссылкой" without the outlet's sentence cites nothing.
        ("Организаторы не стали делиться ссылкой на трансляцию заседания.", []),
        ("Ряд изданий со ссылкой на анонимные источники писал о разногласиях.", []),
        ("Как ранее сообщал Caliber.Az, огонь уничтожил сотни гектаров.", []),
        ("Об этом сообщает Caliber.Az.", []),
        ("Caliber.Az reports, citing Reuters.", []),
    ],
)
def test_russian_cited_outlets(raw: str, expected: list[str]) -> None:
    assert cited_outlets(raw, "ru") == expected


def test_english_attribution_is_not_read_with_russian_rules() -> None:
    assert cited_outlets("…, сообщает Caliber.Az со ссылкой на ТАСС.") == []
    assert cited_outlets("…, сообщает Caliber.Az со ссылкой на ТАСС.", "en") == []


def test_loader_of_the_russian_edition() -> None:
    page = parse_article(
        Selector(
            text='<div class="post"><div class="post_categoty">МИР</div>'
            '<h1 class="post_title">Тайфун обрушился на север Филиппин</h1>'
            '<div class="post_time">30 Июня 2026 23:55</div><div class="post_body">'
            "<p>Эвакуированы тысячи, сообщает Caliber.Az со ссылкой на Reuters и ТАСС.</p>"
            '<p>Caliber.Az</p></div><div class="post_hits">Просмотров: 1 234</div></div>'
        )
    )
    record = dataclasses.asdict(
        build_article(
            page,
            url="https://caliber.az/post/x",
            slug="x",
            crawled_at="2026-11-26T00:00:00Z",
            language="ru",
        )
    )
    assert record == {
        "url": "https://caliber.az/post/x",
        "slug": "x",
        "language": "ru",
        "section": "Мир",
        "headline": "Тайфун обрушился на север Филиппин",
        "published_at": "2026-06-30T23:55:00+04:00",
        "author": None,
        "cited_sources": ["Reuters", "ТАСС"],
        "views": 1234,
        "body": "Эвакуированы тысячи, сообщает Caliber.Az со ссылкой на Reuters и ТАСС.",
        "image_url": None,
        "crawled_at": "2026-11-26T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (
            "background-image:url(https://caliber.az/media/photos/original/a.webp)",
            "https://caliber.az/media/photos/original/a.webp",
        ),
        ('background-image: url("/media/b.webp");', "/media/b.webp"),
        ("background-image: url( '/media/c.webp' )", "/media/c.webp"),
        ("BACKGROUND: URL(/media/d.webp) no-repeat", "/media/d.webp"),
        ("background-image: url(), url('/media/e.webp')", "/media/e.webp"),
        ("background-image: url('a) b.webp')", "a) b.webp"),
        ("display:none", None),
        ("background-image: url(", None),
        ("background-image:" + "url(" * 1000, None),
    ],
)
def test_cover_url_from_style(style: str, expected: str | None) -> None:
    assert style_background_url(style) == expected


def _linear(read: Callable[[str], object], hostile: Callable[[int], str]) -> None:
    """``read`` on hostile text of 32 KiB to 2 MiB, each well within a generous ceiling.

    Not a benchmark: a quadratic regex takes seconds at 32 KiB ("url(" * 8,000: ~4 s) and
    hours at 2 MiB; linear code takes milliseconds. The small sizes fail first.
    """
    for size in (16 * 1024, 128 * 1024, 2 * 1024 * 1024):
        text = hostile(size)
        started = time.process_time()
        read(text)
        assert time.process_time() - started < 2.0, f"{len(text)} characters"


@pytest.mark.parametrize(
    "hostile",
    [
        lambda n: "background-image:" + "url(" * (n // 4),
        lambda n: "background-image:url('" + "url(" * (n // 4),
        lambda n: 'url("' + "url('" * (n // 5),
        lambda n: "url( " + " " * n,
    ],
)
def test_cover_style_is_read_in_linear_time(hostile: Callable[[int], str]) -> None:
    _linear(style_background_url, hostile)


@pytest.mark.parametrize(
    ("read", "hostile"),
    [
        (views_count, lambda n: "Views: " + "1,234" * (n // 5) + "x"),
        (views_count, lambda n: "Views:" + " " * n + "1x"),
        (views_count, lambda n: "9" * n + ".5"),
        (is_views_line, lambda n: "Views " + "1 " * (n // 2)),
        (parse_site_datetime, lambda n: "07 November " * (n // 12)),
        (published_at, lambda n: "1" * n),
        (clean_text, lambda n: " \u00a0" * (n // 2)),
        (cited_outlets, lambda n: "Caliber.Az reports, citing " + "Reuters, " * (n // 9)),
        (cited_outlets, lambda n: "Caliber.Az reports, citing Reuters. " * (n // 36)),
    ],
)
def test_page_text_is_read_in_linear_time(
    read: Callable[[str], object], hostile: Callable[[int], str]
) -> None:
    _linear(read, hostile)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/media/a.webp", "https://caliber.az/media/a.webp"),
        ("//cdn.caliber.az/media/a.webp", "https://cdn.caliber.az/media/a.webp"),
        ("http://127.0.0.1:8000/a.webp", "http://127.0.0.1:8000/a.webp"),
        # another scheme than the page's: written in its clean form too (no tab, no capitals)
        ("HTTP://cdn.caliber.az/a\t.webp", "http://cdn.caliber.az/a.webp"),
        ("data:image/gif;base64,R0lGODlhAQABAAAAACw=", None),
        ("javascript:alert(1)", None),
        ("JavaScript:void(0)", None),
        ("mailto:x@example.org", None),
        ("http://[oops/x.webp", None),
        ("http://caliber.az:99999/x.webp", None),
        ("http://caliber.az:port/x.webp", None),
        ("http:///x.webp", None),
    ],
)
def test_a_cover_url_is_an_absolute_http_url_or_none(value: str, expected: str | None) -> None:
    assert absolute_url(value, "https://caliber.az/en/post/x") == expected


@pytest.mark.parametrize(
    "style",
    [
        "background-image:url(data:image/gif;base64,R0lGODlhAQABAAAAACw=)",
        "background-image:url('javascript:alert(1)')",
        "background-image:url(http://[oops/x.webp)",
    ],
)
def test_a_lazy_or_broken_cover_is_null_and_the_article_kept(style: str) -> None:
    html = (
        f'<div class="post"><h1 class="post_title">H</h1><div class="post_cover" style="{style}">'
        '</div><div class="post_body"><p>Text.</p></div></div>'
    )
    article = build_article(
        parse_article(page_selector(html)),
        url="https://caliber.az/en/post/s",
        slug="s",
        crawled_at="2026-01-01T00:00:00Z",
    )
    assert (article.headline, article.body, article.image_url) == ("H", "Text.", None)


def test_loader_keeps_every_key_with_null_for_what_is_missing() -> None:
    article = build_article(
        parse_article(page_selector("<html><body><p>No article here</p></body></html>")),
        url="https://caliber.az/en/post/x",
        slug="x",
        crawled_at="2026-11-26T00:00:00Z",
    )
    record = dataclasses.asdict(article)
    assert tuple(record) == FIELDS
    assert record == {
        "url": "https://caliber.az/en/post/x",
        "slug": "x",
        "language": "en",
        "section": None,
        "headline": None,
        "published_at": None,
        "author": None,
        "cited_sources": [],
        "views": None,
        "body": "",
        "image_url": None,
        "crawled_at": "2026-11-26T00:00:00Z",
    }


def test_loader_joins_body_paragraphs_with_a_blank_line_and_resolves_cover() -> None:
    loader = ArticleLoader(page_url="http://127.0.0.1:9/en/post/x")
    loader.add_value("body", ["  First\u00a0one ", "", "\u00a0", "Second\none"])
    loader.add_value("image_url", "background-image:url(/media/x.webp)")
    article = loader.load_item()
    assert article.body == "First one\n\nSecond one"
    assert article.image_url == "http://127.0.0.1:9/media/x.webp"


def test_clean_text_fast_paths_agree_with_the_rule() -> None:
    """clean_text skips work on clean input; the result is always the plain rule's."""
    invisible = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
    alphabet = " \t\n\xa0\u2028\x1c\x85\u3000\u200a\u200b\u00ad\ufeff\x00ab’é"
    rng = random.Random(5)
    for _ in range(20_000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
        assert clean_text(value) == (" ".join(value.translate(invisible).split()) or None)


def test_loader_processors_are_looked_up_per_loader_class() -> None:
    class ShoutingLoader(ArticleLoader):
        headline_in = MapCompose(str.upper)

    for loader_class, expected in ((ArticleLoader, "Calm"), (ShoutingLoader, "CALM")) * 2:
        loader = loader_class()
        loader.add_value("headline", "Calm")
        assert loader.load_item().headline == expected


def test_is_signature_fast_path_agrees_with_the_rule() -> None:
    rng = random.Random(3)
    parts = ["Caliber", ".", "Az", " ", "CALIBER", "az", "t", "!", "—", "İ", "K", "s", "_", "1"]
    for _ in range(20_000):
        value = "".join(rng.choice(parts) for _ in range(rng.randint(0, 12)))
        rule = re.sub(r"[\W_]", "", value).lower() == "caliberaz"
        assert is_signature(value) == rule, value

"""Every normalisation rule of the JSONL schema, edge cases included."""

from __future__ import annotations

import dataclasses
import random
import re

import pytest
from itemloaders.processors import MapCompose
from parsel import Selector

from newscrawl.items import FIELDS
from newscrawl.loaders import ArticleLoader, build_article
from newscrawl.parsers import parse_article
from newscrawl.processors import (
    author_from_byline,
    cited_outlets,
    clean_text,
    decode_entities,
    is_signature,
    published_at,
    style_background_url,
    title_case,
    views_count,
)


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
    ],
)
def test_published_at_is_baku_time_with_offset(raw: str, expected: str) -> None:
    assert published_at(raw) == expected


@pytest.mark.parametrize("raw", ["", "soon", "31 February 2025 10:00", "07 Smarch 2025 11:03x"])
def test_published_at_unreadable_is_none(raw: str) -> None:
    assert published_at(raw) is None


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
        ("BY AGHAKAZIM GULIYEV", "AGHAKAZIM GULIYEV"),
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
        ("Views:", None),
        ("", None),
    ],
)
def test_views_count(raw: str, expected: int | None) -> None:
    assert views_count(raw) == expected


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
        ("display:none", None),
    ],
)
def test_cover_url_from_style(style: str, expected: str | None) -> None:
    assert style_background_url(style) == expected


def test_loader_keeps_every_key_with_null_for_what_is_missing() -> None:
    article = build_article(
        parse_article(Selector(text="<html><body><p>No article here</p></body></html>")),
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

"""The site's editions: one spider, each edition's paths, labels and words read from one table."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from newscrawl import settings as project_settings
from newscrawl.arguments import BadArgumentError
from newscrawl.editions import EDITIONS
from newscrawl.processors import MONTHS, VIEWS_LABELS
from newscrawl.schema import schema_errors
from newscrawl.site import SiteScheme
from newscrawl.spiders.caliber_world import CaliberWorldSpider
from tests.conftest import REPLICA_SITE, load_json

PAGE = "https://caliber.az/"
RU_SEED = "prokuratura-trebuet-smertnoj-kazni-dlya-eks-prezidenta-yuzhnoj-korei"


@pytest.mark.parametrize(
    ("href", "english", "russian"),
    [
        ("https://caliber.az/en/post/a-b", "a-b", None),
        ("/en/post/a-b/?utm_source=x", "a-b", None),
        ("https://caliber.az/post/a-b", None, "a-b"),
        ("/post/a-b/", None, "a-b"),
        ("//www.caliber.az/post/a-b?utm_medium=social#top", None, "a-b"),
        ("/arm/post/a-b", None, None),
        ("/en/category/world", None, None),
        ("/category/mir", None, None),
        ("/post/", None, None),
        ("https://evil.example/post/a-b", None, None),
    ],
)
def test_each_edition_names_only_its_own_articles(
    href: str, english: str | None, russian: str | None
) -> None:
    en = SiteScheme.for_edition("https://caliber.az", EDITIONS["en"])
    ru = SiteScheme.for_edition("https://caliber.az", EDITIONS["ru"])
    assert en.article_slug(href, PAGE) == english
    assert ru.article_slug(href, PAGE) == russian


def test_a_link_relative_to_the_russian_listing_names_the_article() -> None:
    ru = SiteScheme.for_edition("https://caliber.az", EDITIONS["ru"])
    assert ru.article_slug("post/a-b", "https://caliber.az/category/mir") == "a-b"


def test_the_default_scheme_is_the_english_edition() -> None:
    assert SiteScheme("https://caliber.az") == SiteScheme.for_edition(
        "https://caliber.az", EDITIONS["en"]
    )


@pytest.mark.parametrize(
    ("edition", "section_url", "label", "article_url"),
    [
        ("en", "https://caliber.az/en/category/world", "WORLD", "https://caliber.az/en/post/x"),
        ("ru", "https://caliber.az/category/mir", "МИР", "https://caliber.az/post/x"),
    ],
)
def test_scheme_from_project_settings_is_the_editions_own(
    edition: str, section_url: str, label: str, article_url: str
) -> None:
    settings = Settings()
    settings.setmodule(project_settings)
    scheme = SiteScheme.from_settings("https://caliber.az/", settings, EDITIONS[edition])
    assert scheme.section_url == section_url
    assert scheme.section_label == label
    assert scheme.article_url("x") == article_url
    assert scheme.language == edition


@pytest.mark.parametrize("edition", ["en", "ru"])
def test_section_settings_override_the_crawled_edition(edition: str) -> None:
    settings = Settings(
        {"CALIBER_SECTION_PATH": "/category/world-news", "CALIBER_SECTION_LABEL": "NEWS"}
    )
    scheme = SiteScheme.from_settings("https://caliber.az", settings, EDITIONS[edition])
    assert scheme.section_url == "https://caliber.az/category/world-news"
    assert scheme.section_label == "NEWS"
    assert scheme.article_prefix == EDITIONS[edition].article_prefix


@pytest.mark.parametrize(
    ("argument", "edition", "section_url"),
    [
        (None, "en", "https://caliber.az/en/category/world"),
        ("en", "en", "https://caliber.az/en/category/world"),
        ("ru", "ru", "https://caliber.az/category/mir"),
        (" RU ", "ru", "https://caliber.az/category/mir"),
    ],
)
def test_spider_edition_argument(argument: str | None, edition: str, section_url: str) -> None:
    spider = CaliberWorldSpider(edition=argument, _job="abc")
    assert spider.edition == edition
    assert spider.scheme.section_url == section_url
    assert spider.scheme.language == edition


@pytest.mark.parametrize("argument", ["", "fr", "russian", "en,ru"])
def test_unknown_edition_is_a_bad_argument(argument: str) -> None:
    with pytest.raises(BadArgumentError, match=r"^edition must be one of en, ru, got "):
        CaliberWorldSpider.check_arguments(edition=argument)
    with pytest.raises(BadArgumentError):
        CaliberWorldSpider(edition=argument)


def test_month_names_and_views_labels_come_from_every_edition() -> None:
    for edition in EDITIONS.values():
        assert [MONTHS[name] for name in edition.months] == list(range(1, 13))
    assert set(VIEWS_LABELS) == {"views", "просмотров"}
    # each name and its abbreviations to 3 and 4 letters ("Nov", "Sept", "июн"), nothing else
    assert set(MONTHS) == {
        name[:length] for e in EDITIONS.values() for name in e.months for length in (3, 4, 99)
    }


def test_schema_ties_the_language_to_the_editions_article_path() -> None:
    item = load_json(REPLICA_SITE / "post" / f"{RU_SEED}.expected.json")
    record = {**item, "crawled_at": "2026-11-26T04:00:00Z"}
    assert schema_errors(record) == []
    assert schema_errors({**record, "language": "en"}) == ["language: 'ru' was expected"]
    english_url = "https://caliber.az/en/post/" + RU_SEED
    assert schema_errors({**record, "url": english_url}) == ["language: 'en' was expected"]
    assert schema_errors({**record, "language": "fr"})[0].startswith("language: 'fr' is not one of")

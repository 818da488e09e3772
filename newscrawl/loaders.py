"""The article item loader: raw page parts in, a normalised ``Article`` out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from itemloaders.processors import Compose, Identity, Join, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from newscrawl.items import Article
from newscrawl.parsers import ArticlePage
from newscrawl.processors import (
    absolute_url,
    author_from_byline,
    cited_in,
    clean_paragraphs,
    clean_text,
    decode_entities,
    published_at,
    style_background_url,
    title_case,
    unique,
    views_count,
)
from newscrawl.site import LANGUAGE


def _absolute(value: str, loader_context: dict[str, Any]) -> str | None:
    return absolute_url(value, loader_context["page_url"])


def _cited_in(paragraphs: list[str], loader_context: dict[str, Any]) -> list[str]:
    return cited_in(paragraphs, loader_context.get("language", LANGUAGE))


class ArticleLoader(ItemLoader):
    """Normalises every field; a field nothing was found for keeps the item's ``None``."""

    default_item_class = Article
    default_output_processor = TakeFirst()

    # Every field names its processors: a field without them makes ItemLoader look the field's
    # metadata up through a new ItemAdapter on every add_value and load_item (~40 µs a page).
    url_in = slug_in = language_in = crawled_at_in = Identity()
    url_out = slug_out = language_out = section_out = headline_out = TakeFirst()
    published_at_out = author_out = views_out = image_url_out = crawled_at_out = TakeFirst()

    section_in = MapCompose(clean_text, title_case)
    headline_in = MapCompose(decode_entities, clean_text)
    published_at_in = MapCompose(published_at)
    author_in = MapCompose(author_from_byline)
    # Paragraph lists are normalised as one value each (Compose): a MapCompose call per paragraph
    # cost more than the normaliser. The sources are read off the body once it is clean.
    cited_sources_in = Compose(_cited_in)
    cited_sources_out = unique
    views_in = MapCompose(views_count)
    body_in = Compose(clean_paragraphs)
    body_out = Join("\n\n")
    image_url_in = MapCompose(style_background_url, _absolute)

    # ItemLoader looks a field's processor up again for every value (a getattr, and an
    # AttributeError raised and caught per processor object); they are class attributes here,
    # so each is looked up once per loader class.
    _processors: ClassVar[dict[tuple[type, str, str], Callable[..., Any]]] = {}

    def get_input_processor(self, field_name: str) -> Callable[..., Any]:
        key = (type(self), field_name, "in")
        proc = self._processors.get(key)
        if proc is None:
            proc = self._processors[key] = super().get_input_processor(field_name)
        return proc

    def get_output_processor(self, field_name: str) -> Callable[..., Any]:
        key = (type(self), field_name, "out")
        proc = self._processors.get(key)
        if proc is None:
            proc = self._processors[key] = super().get_output_processor(field_name)
        return proc


def build_article(
    page: ArticlePage,
    *,
    url: str,
    slug: str,
    crawled_at: str,
    fallback_section: str | None = None,
    language: str = LANGUAGE,
) -> Article:
    """The ``Article`` for one parsed article page of the ``language`` edition."""
    loader = ArticleLoader(page_url=url, language=language)
    loader.add_value("section", page.section or fallback_section)
    loader.add_value("headline", page.headline)
    loader.add_value("published_at", page.published)
    loader.add_value("author", page.byline)
    loader.add_value("body", page.paragraphs)
    loader.add_value("cited_sources", loader.get_collected_values("body"))
    loader.add_value("views", page.views)
    loader.add_value("image_url", page.cover_style)
    article: Article = loader.load_item()
    # What the crawler itself knows needs no normaliser: set it, not through the loader's
    # machinery (~8 µs a field).
    article.url, article.slug, article.language = url, slug, language
    article.crawled_at = crawled_at
    return article

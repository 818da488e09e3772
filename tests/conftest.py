"""Shared test helpers: where fixtures live and how a saved page becomes expected data."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from parsel import Selector

from newscrawl.loaders import build_article
from newscrawl.parsers import parse_article, parse_section_listing
from newscrawl.site import SiteScheme

TESTS = Path(__file__).parent
PAGES = TESTS / "pages"
REPLICA_SITE = TESTS.parent / "newscrawl" / "replica" / "site"
LIVE = SiteScheme("https://caliber.az")


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def extract_article(html: str, url: str) -> dict[str, Any]:
    """What the crawler makes of an article page at ``url``, without ``crawled_at``."""
    slug = LIVE.article_slug(url, url)
    assert slug is not None, url
    article = build_article(
        parse_article(Selector(text=html)), url=url, slug=slug, crawled_at="not compared"
    )
    record = dataclasses.asdict(article)
    del record["crawled_at"]
    return record


def extract_listing(html: str, page_url: str) -> dict[str, Any]:
    """What the crawler makes of a listing page at ``page_url``."""
    listing = parse_section_listing(Selector(text=html), LIVE, page_url)
    return {"page_url": page_url, **dataclasses.asdict(listing)}

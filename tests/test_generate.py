"""The generated replica: pages the crawler reads exactly as generated, and publishing."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

from newscrawl.loaders import build_article
from newscrawl.parsers import parse_article, parse_section_listing
from newscrawl.replica import DirectorySite
from newscrawl.replica.generate import (
    make_articles,
    publish,
    published_slugs,
    render_article,
    write_site,
)
from newscrawl.responses import page_selector
from tests.conftest import LIVE

PAGE_1 = "https://caliber.az/en/category/world"


def crawl_site(root: Path) -> list[str]:
    """The section's slugs, page after page, as the crawler's parser lists them."""
    site = DirectorySite(root)
    slugs: list[str] = []
    for page in range(1, 1000):
        response = site.resolve("/en/category/world", {"page": [str(page)]})
        assert response.status == 200
        listing = parse_section_listing(page_selector(response.body.decode()), LIVE, PAGE_1)
        if not listing.articles:
            return slugs
        assert listing.other_section == (len(listing.articles) > 5)
        slugs += [card.slug for card in listing.articles]
    raise AssertionError("the section never ends")


def test_generated_pages_give_their_expected_items() -> None:
    articles = make_articles(150, seed=11)
    forms = {"author": 0, "no_author": 0, "cited": 0, "views": 0, "no_views": 0, "no_cover": 0}
    for index, article in enumerate(articles):
        page = render_article(article, articles[index + 1 : index + 7])
        assert 13_000 < len(page.encode()) < 27_000
        url = f"https://caliber.az/en/post/{article.slug}"
        item = build_article(
            parse_article(page_selector(page)), url=url, slug=article.slug, crawled_at="-"
        )
        record = dataclasses.asdict(item)
        del record["crawled_at"]
        assert record == article.expected_item()
        forms["author" if article.author else "no_author"] += 1
        forms["cited"] += bool(article.cited_sources)
        forms["views" if article.views is not None else "no_views"] += 1
        forms["no_cover"] += article.cover is None
    assert all(forms.values()), forms  # the variety of the bundled site


def test_generation_is_deterministic() -> None:
    assert make_articles(30, seed=5) == make_articles(30, seed=5)
    assert make_articles(30, seed=5) != make_articles(30, seed=6)


def test_write_site_is_served_and_listed_in_order(tmp_path: Path) -> None:
    articles = make_articles(40, seed=1)
    write_site(tmp_path, articles, per_page=18)
    assert sorted(p.name for p in (tmp_path / "en/category/world").glob("*.html")) == [
        "empty.html",
        "page-1.html",
        "page-2.html",
        "page-3.html",
    ]
    assert crawl_site(tmp_path) == [a.slug for a in articles] == published_slugs(tmp_path)
    site = DirectorySite(tmp_path)
    assert site.resolve("/robots.txt", {}).status == 200
    assert site.resolve(f"/en/post/{articles[7].slug}", {}).status == 200


def test_publish_puts_new_articles_on_top_and_pushes_the_rest_down(tmp_path: Path) -> None:
    old = make_articles(20, seed=2)
    write_site(tmp_path, old, per_page=18)
    newest = old[0].published + timedelta(days=1)
    new = make_articles(5, seed=3, newest=newest, taken=[a.slug for a in old])
    assert new[-1].published > old[0].published
    publish(tmp_path, new)
    assert crawl_site(tmp_path) == [a.slug for a in new + old]
    assert (tmp_path / "en/category/world/page-2.html").exists()
    manifest = json.loads((tmp_path / "generated-site.json").read_text())
    assert manifest["per_page"] == 18
    site = DirectorySite(tmp_path)
    for article in new:
        assert site.resolve(f"/en/post/{article.slug}", {}).status == 200
    try:
        publish(tmp_path, new[:1])
    except ValueError:
        pass
    else:
        raise AssertionError("publishing a slug twice must fail")

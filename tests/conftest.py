"""Shared test helpers: where fixtures live and how a saved page becomes expected data."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from newscrawl.editions import EDITIONS
from newscrawl.loaders import build_article
from newscrawl.parsers import parse_article, parse_section_listing
from newscrawl.replica import without_proxy_for_loopback
from newscrawl.responses import page_selector
from newscrawl.site import SiteScheme

# Every test talks to 127.0.0.1 only: never through a proxy the machine may have set.
without_proxy_for_loopback(os.environ)

TESTS = Path(__file__).parent
ROOT = TESTS.parent
PAGES = TESTS / "pages"
REPLICA_SITE = TESTS.parent / "newscrawl" / "replica" / "site"
LIVE = SiteScheme("https://caliber.az")
#: The live site's scheme in every edition, by edition code.
LIVE_EDITIONS = {
    code: SiteScheme.for_edition("https://caliber.az", edition)
    for code, edition in EDITIONS.items()
}


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def crawl_command(*args: str) -> tuple[list[str], dict[str, str]]:
    """``scrapy crawl caliber_world`` with ``args``, and its environment, as the tests run it."""
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    return [sys.executable, "-m", "scrapy", "crawl", "caliber_world", *args], env


def start_crawl(*args: str) -> subprocess.Popen[str]:
    """Start a crawl in the background from the repository root (output captured)."""
    command, env = crawl_command(*args)
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSONL file, parsed."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run_state(dataset: Path) -> dict[str, Any]:
    """The run state kept beside a dataset (``walked``, ``owed``)."""
    state: dict[str, Any] = load_json(dataset.with_name(dataset.name + ".state.json"))
    return state


def owed(dataset: Path) -> dict[str, int]:
    """The articles a dataset's next run owes, by slug, with how many runs failed them."""
    articles: dict[str, int] = run_state(dataset)["owed"]
    return articles


def scheme_of(url: str) -> SiteScheme:
    """The live scheme of the one edition whose article or section ``url`` is."""
    schemes = [
        scheme
        for scheme in LIVE_EDITIONS.values()
        if scheme.article_slug(url, url) is not None or scheme.is_section_link(url, url)
    ]
    assert len(schemes) == 1, url
    return schemes[0]


def extract_article(html: str, url: str) -> dict[str, Any]:
    """What the crawler makes of an article page at ``url``, without ``crawled_at``."""
    scheme = scheme_of(url)
    slug = scheme.article_slug(url, url)
    assert slug is not None, url
    article = build_article(
        parse_article(page_selector(html)),
        url=url,
        slug=slug,
        crawled_at="not compared",
        language=scheme.language,
    )
    record = dataclasses.asdict(article)
    del record["crawled_at"]
    return record


def extract_listing(html: str, page_url: str) -> dict[str, Any]:
    """What the crawler makes of a listing page at ``page_url``."""
    listing = parse_section_listing(page_selector(html), scheme_of(page_url), page_url)
    return {"page_url": page_url, **dataclasses.asdict(listing)}

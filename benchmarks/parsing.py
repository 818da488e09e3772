"""Part 1: the project's article parsing beside the lxml floor and trafilatura, same pages."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import lxml.html
from parsel import Selector

from benchmarks.minimal_spider import bare_extract
from benchmarks.report import Row, ratio_met
from newscrawl.loaders import build_article
from newscrawl.parsers import parse_article
from newscrawl.replica.generate import make_articles, render_article
from newscrawl.responses import page_selector
from newscrawl.spiders.caliber_world import utc_now

TARGET = 0.30
Page = tuple[str, str, str]  # url, slug, html


def make_pages(count: int, seed: int = 42) -> list[Page]:
    """``count`` generated article pages in the site's markup."""
    articles = make_articles(count, seed=seed)
    return [
        (f"https://caliber.az/en/post/{a.slug}", a.slug, render_article(a, articles[i + 1 : i + 7]))
        for i, a in enumerate(articles)
    ]


def project(page: Page) -> Any:
    """What the spider does with an article page's text: tree, parse, load."""
    url, slug, html = page
    return build_article(
        parse_article(page_selector(html)), url=url, slug=slug, crawled_at=utc_now()
    )


def lxml_floor(page: Page) -> Any:
    return lxml.html.fromstring(page[2])


def parsel_bare(page: Page) -> Any:
    return bare_extract(Selector(text=page[2]))


def contenders() -> dict[str, Callable[[Page], Any]]:
    found: dict[str, Callable[[Page], Any]] = {
        "lxml.html.fromstring (floor)": lxml_floor,
        "newscrawl: parse_article + ArticleLoader": project,
        "parsel + 10 selectors + strptime": parsel_bare,
    }
    try:
        import trafilatura  # noqa: PLC0415 - an optional extra (pip install -e '.[bench]')
    except ImportError:  # pragma: no cover - the bench extra is not installed
        return found

    def trafilatura_bare(page: Page) -> Any:
        return trafilatura.bare_extraction(page[2], url=page[0])

    found["trafilatura.bare_extraction"] = trafilatura_bare
    return found


def run(pages: Sequence[Page], repeats: int) -> list[Row]:
    """Pages/s of each contender, interleaved in every repeat; ratios to the floor per repeat."""
    funcs = contenders()
    rates: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            start = time.perf_counter()
            for page in pages:
                func(page)
            rates[name].append(len(pages) / (time.perf_counter() - start))
    floor = rates["lxml.html.fromstring (floor)"]
    rows = []
    size = sum(len(p[2].encode()) for p in pages) / len(pages) / 1024
    for name, values in rates.items():
        ratios = [v / f for v, f in zip(values, floor, strict=True)]
        row = Row("parsing", name, "pages/s", values, ratios)
        if name.startswith("newscrawl"):
            row.target = f"≥ {TARGET:.2f}× floor"
            row.met = ratio_met(ratios, at_least=TARGET)
            row.note = f"{len(pages)} pages of {size:.1f} KiB avg"
        rows.append(row)
    if "trafilatura.bare_extraction" not in rates:
        rows.append(
            Row(
                "parsing",
                "trafilatura.bare_extraction",
                "pages/s",
                [],
                note="not installed: pip install -e '.[bench]'",
            )
        )
    return rows

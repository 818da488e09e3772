"""The baseline crawl: a minimal Scrapy spider over the same pages, bare extraction, no pipelines.

It walks the section the same way as ``caliber_world`` (listing page N, then N+1, until one
without cards; follows every card) and yields a dict of ten fields read with one selector each.
Run with ``scrapy runspider benchmarks/minimal_spider.py -a base_url=http://127.0.0.1:PORT``
outside the project (so that none of the project's settings or pipelines apply).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from parsel import Selector


def bare_extract(sel: Selector) -> dict[str, Any]:
    """Ten selectors and a ``strptime``: what a quick scraper of the site would write."""
    published = sel.css(".post_time::text").get()
    return {
        "headline": sel.css("h1.post_title::text").get(),
        "section": sel.css(".post_categoty::text").get(),
        "published_at": (
            datetime.strptime(published.strip(), "%d %B %Y %H:%M").isoformat()
            if published
            else None
        ),
        "cover": sel.css(".post_cover::attr(style)").get(),
        "body": "\n\n".join(sel.css(".post_body > p").xpath("string()").getall()),
        "views": sel.css(".post_hits::text").get(),
        "signature": sel.css(".post_signature::text").get(),
        "title": sel.css("title::text").get(),
        "description": sel.css("meta[name=description]::attr(content)").get(),
        "og_url": sel.css("meta[property='og:url']::attr(content)").get(),
    }


class MinimalSpider(scrapy.Spider):
    name = "minimal"

    def __init__(self, base_url: str = "http://127.0.0.1:8000", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    async def start(self) -> Any:
        yield self.listing(1)

    def listing(self, page: int) -> scrapy.Request:
        url = f"{self.base_url}/en/category/world" + (f"?page={page}" if page > 1 else "")
        return scrapy.Request(url, self.parse_listing, cb_kwargs={"page": page}, priority=10)

    def parse_listing(self, response: Any, page: int) -> Iterator[scrapy.Request]:
        hrefs = response.css(".category_blocks .float_block a:has(h2)::attr(href)").getall()
        for href in hrefs:
            # Cards link to caliber.az: keep the path, ask the crawled host.
            path = urlsplit(href).path.rstrip("/")
            yield scrapy.Request(self.base_url + path, self.parse_article)
        if hrefs:
            yield self.listing(page + 1)

    def parse_article(self, response: Any) -> Iterator[dict[str, Any]]:
        item = bare_extract(response.selector)
        item["url"] = response.url
        yield item

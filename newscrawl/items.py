"""The article item: JSONL schema v1, one field per key in output order."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

SCHEMA_VERSION = 1


@dataclass
class Article:
    """One article of the section; ``None`` where the page did not show the field."""

    url: str | None = None
    slug: str | None = None
    language: str | None = None
    section: str | None = None
    headline: str | None = None
    published_at: str | None = None
    author: str | None = None
    cited_sources: list[str] = field(default_factory=list)
    views: int | None = None
    body: str = ""
    image_url: str | None = None
    crawled_at: str | None = None


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))

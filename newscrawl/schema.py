"""JSON Schema (draft 2020-12) of one dataset line.

``schema/article.schema.json`` is written from it: ``python -m newscrawl.schema``.
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from newscrawl.editions import EDITIONS
from newscrawl.items import FIELDS


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _article_url(prefix: str) -> str:
    """The pattern of an absolute article URL whose path is ``prefix`` and a slug."""
    return rf"^https?://[^/?#\s]+{prefix}[^/?#\s]+$"


ARTICLE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://github.com/newscrawl/newscrawl/schema/article.schema.json",
    "title": "Caliber.az WORLD article (JSONL schema v1)",
    "description": "One line of the dataset written by `scrapy crawl caliber_world`.",
    "type": "object",
    "properties": {
        "url": {
            "description": "Absolute article URL on the crawled host, no query or fragment",
            "type": "string",
            "pattern": _article_url(
                "(?:" + "|".join(edition.article_prefix for edition in EDITIONS.values()) + ")"
            ),
        },
        "slug": {
            "description": "The last path segment of url; the article's identity",
            "type": "string",
            "pattern": r"^[^/?#\s]+$",
        },
        "language": {"enum": list(EDITIONS)},
        "section": _nullable({"type": "string", "minLength": 1}),
        "headline": _nullable({"type": "string", "minLength": 1, "pattern": r"^\S(.*\S)?$"}),
        "published_at": _nullable(
            {
                "description": "Local time in Asia/Baku",
                "type": "string",
                "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+04:00$",
            }
        ),
        "author": _nullable({"type": "string", "minLength": 1}),
        "cited_sources": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "uniqueItems": True,
        },
        "views": _nullable({"type": "integer", "minimum": 0}),
        "body": {"type": "string"},
        "image_url": _nullable({"type": "string", "pattern": r"^https?://"}),
        "crawled_at": {
            "description": "UTC, ISO 8601",
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$",
        },
    },
    "required": list(FIELDS),
    "additionalProperties": False,
    # An article of an edition's path is in that edition's language.
    "allOf": [
        {
            "if": {"properties": {"url": {"pattern": _article_url(edition.article_prefix)}}},
            "then": {"properties": {"language": {"const": code}}},
        }
        for code, edition in EDITIONS.items()
    ],
}

VALIDATOR = Draft202012Validator(ARTICLE_SCHEMA)


def schema_errors(record: dict[str, Any]) -> list[str]:
    """What is wrong with a record, one message per problem (empty when it validates).

    >>> schema_errors({"slug": "a"})[:1]
    ["'url' is a required property"]
    """
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(item)'}: {error.message}"
        if error.absolute_path
        else error.message
        for error in VALIDATOR.iter_errors(record)
    ]


def schema_json() -> str:
    """The schema as written to ``schema/article.schema.json``."""
    return json.dumps(ARTICLE_SCHEMA, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(schema_json(), end="")

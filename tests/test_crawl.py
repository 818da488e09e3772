"""End to end: ``scrapy crawl caliber_world`` as a subprocess against the bundled replica."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newscrawl.items import FIELDS
from newscrawl.replica import ReplicaServer, default_site
from newscrawl.schema import schema_errors
from tests.conftest import REPLICA_SITE, ROOT, crawl_command, load_json, read_jsonl

FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO"]


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(default_site()) as server:
        yield server


def crawl(*args: str) -> subprocess.CompletedProcess[str]:
    command, env = crawl_command(*FAST, *args)
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


#: Where each edition's saved section and articles are in the replica.
EDITION_DIRS = {
    "en": (REPLICA_SITE / "en" / "category" / "world", REPLICA_SITE / "en" / "post"),
    "ru": (REPLICA_SITE / "category" / "mir", REPLICA_SITE / "post"),
}


def expected_articles(base_url: str, edition: str = "en") -> dict[str, dict[str, Any]]:
    """The replica's expected items of an edition, keyed by slug, on the replica's host."""
    section_dir, post_dir = EDITION_DIRS[edition]
    slugs = load_json(section_dir / "expected-slugs.json")
    expected = {}
    for slug in slugs:
        item = load_json(post_dir / f"{slug}.expected.json")
        item["url"] = item["url"].replace("https://caliber.az", base_url)
        expected[slug] = item
    return expected


def assert_matches_replica(items: list[dict[str, Any]], base_url: str, edition: str = "en") -> None:
    expected = expected_articles(base_url, edition)
    assert [item["slug"] for item in items if item["slug"] not in expected] == []
    assert sorted(item["slug"] for item in items) == sorted(expected)
    started = datetime.now(UTC) - timedelta(minutes=10)
    for item in items:
        assert tuple(item) == FIELDS
        assert schema_errors(item) == []
        crawled_at = datetime.fromisoformat(item.pop("crawled_at"))
        assert crawled_at.utcoffset() == timedelta(0)
        assert started < crawled_at <= datetime.now(UTC)
        want = expected[item["slug"]]
        for key in want:
            assert item[key] == want[key], f"{item['slug']}: field {key!r}"


def test_crawl_writes_every_article_once_and_a_second_run_adds_nothing(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "new" / "dir" / "out.jsonl"
    first = crawl("-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}")
    assert first.returncode == 0, first.stderr[-3000:]
    raw = dataset.read_bytes()
    assert raw.endswith(b"\n")
    assert "Moscow’s biggest" in raw.decode("utf-8")  # UTF-8, not ASCII-escaped
    items = read_jsonl(dataset)
    assert_matches_replica(items, replica.base_url)
    assert "'caliber_world/cards_duplicate': 1" in first.stderr
    assert "'caliber_world/cards_other_section': 2" in first.stderr
    assert (
        "Run report (finished):\n"
        "  listing pages:      5 read, 3 with section cards\n"
        "  section cards:      listed 20 = requested 19 + listed twice 1\n"
        "  other cards:        2 (other sections 2)\n"
        "  articles:           requested 19 = written 19\n"
        f"  dataset:            {dataset} holds 19 articles\n"
        "  fields filled:      of 19 written: url 19, slug 19, language 19, section 19, "
        "headline 19, published_at 19, author 7, cited_sources 12, views 17, body 19, "
        "image_url 18, crawled_at 19\n"
    ) in first.stderr
    assert "'caliber_world/fields_filled/author': 7," in first.stderr
    assert "'caliber_world/report/articles_new': 19," in first.stderr

    second = crawl("-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert dataset.read_bytes() == raw
    # Incremental: page 1 and its overlap page 2 hold nothing new, so paging stops there
    # and no article page is requested (robots.txt + two listing pages).
    assert "Stopping at page 2: nothing new on the last 2 pages" in second.stderr
    assert "'caliber_world/articles_already_stored': 13," in second.stderr
    assert "'downloader/request_count': 3," in second.stderr
    assert "'caliber_world/items_written'" not in second.stderr


def test_scrapy_feed_export_writes_the_same_items(replica: ReplicaServer, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    result = crawl(
        "-a", f"base_url={replica.base_url}",
        "-s", f"JSONL_PATH={tmp_path / 'dataset.jsonl'}",
        "-O", str(feed),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert_matches_replica(read_jsonl(feed), replica.base_url)
    assert read_jsonl(feed) != [] and len(read_jsonl(tmp_path / "dataset.jsonl")) == len(
        read_jsonl(feed)
    )


def test_max_pages_stops_paging(replica: ReplicaServer, tmp_path: Path) -> None:
    dataset = tmp_path / "out.jsonl"
    result = crawl(
        "-a", f"base_url={replica.base_url}", "-a", "max_pages=1", "-s", f"JSONL_PATH={dataset}"
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    page_one = load_json(REPLICA_SITE / "en" / "category" / "world" / "page-1.expected.json")
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == sorted(
        card["slug"] for card in page_one["articles"]
    )
    assert "'caliber_world/listing_pages': 1," in result.stderr


def test_since_skips_older_articles_and_stops_paging(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    expected = expected_articles(replica.base_url)
    times = sorted(item["published_at"] for item in expected.values())
    since = times[len(times) // 2]
    dataset = tmp_path / "out.jsonl"
    result = crawl(
        "-a", f"base_url={replica.base_url}", "-a", f"since={since}", "-s", f"JSONL_PATH={dataset}"
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    want = sorted(slug for slug, item in expected.items() if item["published_at"] >= since)
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == want
    assert "every card is older than since" in result.stderr


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("base_url=ftp://caliber.az", "base_url must be http(s)://host[:port]"),
        ("base_url=https://caliber.az/en/", "base_url must be http(s)://host[:port]"),
        ("base_url=https://user:secret@caliber.az", "base_url must be http(s)://host[:port]"),
        ("max_pages=-1", "max_pages must be a whole number of at least 1"),
        ("max_pages=two", "max_pages must be a whole number of at least 1"),
        ("since=yesterday", "since must be an ISO date or datetime"),
        ("edition=fr", "edition must be one of en, ru, got 'fr'"),
    ],
)
def test_bad_argument_is_one_line_and_no_crawl(argument: str, message: str, tmp_path: Path) -> None:
    result = crawl("-a", argument, "-s", f"JSONL_PATH={tmp_path / 'out.jsonl'}")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("caliber_world:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.stderr
    assert not re.search(r"Spider opened|downloader/request_count", result.stderr)
    assert not (tmp_path / "out.jsonl").exists()


def test_spider_accepts_scrapyd_arguments(replica: ReplicaServer, tmp_path: Path) -> None:
    dataset = tmp_path / "out.jsonl"
    result = crawl(
        "-a", f"base_url={replica.base_url}", "-a", "max_pages=1", "-a", "_job=abc123",
        "-s", f"JSONL_PATH={dataset}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(read_jsonl(dataset)) > 0


# --- the Russian edition ------------------------------------------------------------------


def test_russian_edition_writes_every_article_of_the_mir_section(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "ru.jsonl"
    args = ("-a", "edition=ru", "-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}")
    first = crawl(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "«Дорога развития»" in dataset.read_text(encoding="utf-8")  # not ASCII-escaped
    items = read_jsonl(dataset)
    assert_matches_replica(items, replica.base_url, "ru")
    assert {item["language"] for item in items} == {"ru"}
    assert all(item["url"].startswith(f"{replica.base_url}/post/") for item in items)
    assert f"Crawling {replica.base_url}/category/mir (edition=ru," in first.stderr
    assert "'caliber_world/cards_duplicate': 1," in first.stderr
    assert "'caliber_world/cards_other_section': 2," in first.stderr
    # The section's card that links to the English edition's article is not a Russian article.
    assert "'caliber_world/cards_not_article': 1," in first.stderr
    # robots.txt, listing pages 1 to 5 (4 and 5 empty), the 16 articles: nothing else.
    assert "'downloader/request_count': 22," in first.stderr
    assert (
        "  fields filled (of 16):    url 16, slug 16, language 16, section 16, headline 16, "
        "published_at 16, author 0, cited_sources 14, views 15, body 16, image_url 15, "
        "crawled_at 16\n"
    ) in first.stderr

    raw = dataset.read_bytes()
    second = crawl(*args)
    assert second.returncode == 0, second.stderr[-3000:]
    assert dataset.read_bytes() == raw
    assert "Stopping at page 2: nothing new on the last 2 pages" in second.stderr
    assert "'downloader/request_count': 3," in second.stderr


def test_russian_edition_since_reads_russian_dates(replica: ReplicaServer, tmp_path: Path) -> None:
    since = "2026-06-28T12:05:00+04:00"  # "28 Июня 2026 12:05" on the page
    dataset = tmp_path / "ru.jsonl"
    result = crawl(
        "-a", "edition=ru", "-a", f"base_url={replica.base_url}", "-a", f"since={since}",
        "-s", f"JSONL_PATH={dataset}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    expected = expected_articles(replica.base_url, "ru")
    want = sorted(slug for slug, item in expected.items() if item["published_at"] >= since)
    assert len(want) == 10
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == want
    assert "every card is older than since" in result.stderr


@pytest.mark.parametrize(
    ("args", "dataset", "language", "count"),
    [
        ((), "data/demo/caliber_world.jsonl", "en", 19),
        (("--edition", "ru"), "data/demo/caliber_world_ru.jsonl", "ru", 16),
    ],
)
def test_demo_crawls_either_edition(
    tmp_path: Path, args: tuple[str, ...], dataset: str, language: str, count: int
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newscrawl.demo", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"crawl exited with 0; {count} new articles" in result.stdout
    items = read_jsonl(tmp_path / dataset)
    assert len(items) == count
    assert {item["language"] for item in items} == {language}

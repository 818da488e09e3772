"""End to end: ``scrapy crawl caliber_world`` as a subprocess against the bundled replica."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from newscrawl.arguments import BadArgumentError, parse_page_param, parse_page_url
from newscrawl.items import FIELDS
from newscrawl.replica import ReplicaServer, default_site
from newscrawl.replica.variants import ClampsPageSite, IgnoresPageParamSite, PathPagingSite
from newscrawl.schema import schema_errors
from newscrawl.site import SECTION_PATH
from newscrawl.spiders.caliber_world import CaliberWorldSpider
from tests.conftest import REPLICA_SITE, ROOT, crawl_command, load_json, read_jsonl, run_state

#: A base_url no test may leave the machine by: a closed port on loopback.
LOOPBACK = "base_url=http://127.0.0.1:9"
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


def page_slugs(page: int) -> set[str]:
    """The section's slugs on listing page ``page`` of the bundled replica."""
    listing = load_json(REPLICA_SITE / "en" / "category" / "world" / f"page-{page}.expected.json")
    return {card["slug"] for card in listing["articles"]}


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


def progress(log: str) -> list[str]:
    """The progress lines of a crawl's log, one per listing page read."""
    return re.findall(r"\[caliber_world\] INFO: (page \d+: .*)", log)


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
    # One progress line per listing page: page 2 repeats a story of page 1 and shows two cards
    # of another section (other = another section, not an article, or already asked for).
    assert progress(first.stderr) == [
        "page 1: 7 cards, 7 new, 0 stored, 0 other",
        "page 2: 9 cards, 6 new, 0 stored, 3 other",
        "page 3: 6 cards, 6 new, 0 stored, 0 other",
        "page 4: 0 cards, 0 new, 0 stored, 0 other",
        "page 5: 0 cards, 0 new, 0 stored, 0 other",
    ]
    assert "'caliber_world/report/articles_new': 19," in first.stderr

    second = crawl("-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert dataset.read_bytes() == raw
    # Incremental: page 1 and its overlap page 2 hold nothing new, so paging stops there
    # and no article page is requested (robots.txt + two listing pages).
    assert "Stopping at page 2: nothing new on the last 2 pages" in second.stderr
    assert "'caliber_world/articles_already_stored': 13," in second.stderr
    assert "'downloader/request_count': 3," in second.stderr
    assert progress(second.stderr) == [
        "page 1: 7 cards, 0 new, 7 stored, 0 other",
        "page 2: 9 cards, 0 new, 6 stored, 3 other",
    ]
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
        (
            "max_page=1",
            "unknown argument 'max_page' (did you mean max_pages?); "
            "the arguments are base_url, max_pages, since, edition",
        ),
        ("base_url=http://[::1:80", "base_url must be http(s)://host[:port]"),
        ("edition=fr", "edition must be one of en, ru, got 'fr'"),
    ],
)
def test_bad_argument_is_one_line_and_no_crawl(argument: str, message: str, tmp_path: Path) -> None:
    # base_url first (a bad one in ``argument`` overrides it): were the argument accepted by
    # mistake, the crawl would reach a closed loopback port, never the live site.
    result = crawl(
        "-a", LOOPBACK, "-a", argument, "-s", f"JSONL_PATH={tmp_path / 'out.jsonl'}"
    )  # fmt: skip
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


def spider_for(*settings: tuple[str, Any], **arguments: str) -> CaliberWorldSpider:
    """The spider as ``scrapy crawl`` would build it with these settings and arguments."""
    crawler = get_crawler(CaliberWorldSpider, dict(settings))
    spider: CaliberWorldSpider = CaliberWorldSpider.from_crawler(crawler, **arguments)
    return spider


@pytest.mark.parametrize(
    ("base_url", "allowed", "listing"),
    [
        ("http://[::1]", "::1", "http://[::1]/en/category/world"),
        ("http://[::1]:8080/", "::1", "http://[::1]:8080/en/category/world"),
        ("http://калибер.az", "xn--80acmkih2b.az", "http://xn--80acmkih2b.az/en/category/world"),
        ("https://Caliber.AZ:8443", "caliber.az", "https://caliber.az:8443/en/category/world"),
    ],
)
def test_base_url_host_is_what_requests_will_carry(
    base_url: str, allowed: str, listing: str
) -> None:
    spider = spider_for(base_url=base_url)
    assert spider.allowed_domains == [allowed]
    assert spider.scheme.listing_url(1) == listing
    assert spider.scheme.article_slug(f"{listing.rsplit('/en/', 1)[0]}/en/post/a", listing) == "a"


@pytest.mark.parametrize(
    ("template", "page_two"),
    [
        ("{section}?page={page}", "http://h:1/en/category/world?page=2"),
        ("{section}/page/{page}", "http://h:1/en/category/world/page/2"),
        ("{section}?p={page}&limit=18", "http://h:1/en/category/world?p=2&limit=18"),
        ("{base}/en/category/world/{page}/", "http://h:1/en/category/world/2/"),
        ("/api/category/world/posts?page={page}", "http://h:1/api/category/world/posts?page=2"),
    ],
)
def test_page_url_template_names_page_two(template: str, page_two: str) -> None:
    spider = spider_for(("CALIBER_PAGE_URL", template), base_url="http://h:1")
    assert spider.scheme.listing_url(1) == "http://h:1/en/category/world"
    assert spider.scheme.listing_url(2) == page_two


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{section}?page=2", "CALIBER_PAGE_URL must be a URL template such as"),
        ("{section}?page={pgae}", "; {pgae} is not one of them, got '{section}?page={pgae}'"),
        ("{section}?page={page", "; its braces do not pair"),
        ("http://elsewhere.example/{page}", "must start with {section}, {base} or /"),
        ("{base}@elsewhere.example/{page}", "that stays on the crawled host"),
        ("{base}:81/{page}", "that stays on the crawled host"),
        ("{section}?page={page:>99999999}", ", each written bare; not {page:>99999999}, got"),
        ("{section}?page={page!r}", ", each written bare; not {page!r}, got '{section}?page"),
        ("{section:.9}/{page}", ", each written bare; not {section:.9}, got"),
        (3, "CALIBER_PAGE_URL must be a URL template such as"),
    ],
)
def test_a_bad_page_url_is_refused_in_one_line(value: object, message: str) -> None:
    with pytest.raises(BadArgumentError) as error:
        parse_page_url(value)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_retired_page_param_names_the_setting_to_use() -> None:
    with pytest.raises(BadArgumentError) as error:
        parse_page_param("p")
    assert str(error.value) == (
        "CALIBER_PAGE_PARAM is retired: set CALIBER_PAGE_URL instead (default "
        "{section}?page={page}), here -s 'CALIBER_PAGE_URL={section}?p={page}'"
    )
    spider = spider_for(("CALIBER_PAGE_PARAM", "p"), ("CALIBER_MAX_LISTING_PAGES", "lots"))
    assert spider.close_reason == "bad_settings"  # closed at start, before any request


def error_lines(log: str) -> list[str]:
    """The messages of a crawl's ERROR lines, but for the failed run's report and verdict."""
    messages = [line.split(" ERROR: ", 1)[1] for line in log.splitlines() if " ERROR: " in line]
    return [m for m in messages if not m.startswith(("Run report (FAILED", "run FAILED ("))]


def test_a_site_that_ignores_the_page_parameter_stops_as_paging_repeats(tmp_path: Path) -> None:
    with ReplicaServer(IgnoresPageParamSite(default_site())) as server:
        dataset = tmp_path / "out.jsonl"
        result = crawl("-a", f"base_url={server.base_url}", "-s", f"JSONL_PATH={dataset}")
        listing_requests = [r.target for r in server.requests if "/category/" in r.target]
    assert result.returncode == 1
    assert "'finish_reason': 'paging_repeats'" in result.stderr
    assert error_lines(result.stderr) == [
        f"Paging repeats: page 2 ({server.base_url}{SECTION_PATH}?page=2) lists only articles "
        "that earlier pages listed, so the site does not page as CALIBER_PAGE_URL = "
        "'{section}?page={page}' says; run `scrapy probe` to find the paging that works and set "
        "it with -s CALIBER_PAGE_URL=... (the articles already requested are still fetched)"
    ]
    assert listing_requests == [SECTION_PATH, f"{SECTION_PATH}?page=2"]
    # What page 1 listed is fetched and written; the dataset is not marked walked.
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == sorted(page_slugs(1))
    assert run_state(dataset)["walked"] is False
    assert result.stderr.splitlines()[-1].endswith(
        "ERROR: run FAILED (paging_repeats): later listing pages repeat earlier ones: the site"
        " does not page as CALIBER_PAGE_URL says; check it with scrapy probe; exit code 1"
    )


def test_a_site_that_answers_its_last_page_past_the_end_ends_there_and_is_walked(
    tmp_path: Path,
) -> None:
    # It used to close as paging_repeats (exit 1), never walked: every run read it all again.
    with ReplicaServer(ClampsPageSite(default_site(), last=3)) as server:
        dataset = tmp_path / "out.jsonl"
        result = crawl("-a", f"base_url={server.base_url}", "-s", f"JSONL_PATH={dataset}")
        listing_requests = [r.target for r in server.requests if "/category/" in r.target]
    assert result.returncode == 0, result.stderr[-3000:]
    assert_matches_replica(read_jsonl(dataset), server.base_url)
    assert listing_requests == [SECTION_PATH] + [f"{SECTION_PATH}?page={n}" for n in (2, 3, 4)]
    assert error_lines(result.stderr) == []
    assert (
        f"INFO: Stopping at page 4: it repeats page 3, the section's last (the site answers its"
        f" last page to any page past it): {server.base_url}{SECTION_PATH}?page=4\n"
    ) in result.stderr
    assert "'caliber_world/listing_end_repeat': 1," in result.stderr
    assert run_state(dataset)["walked"] is True


def test_a_wrong_page_parameter_on_the_replica_stops_as_paging_repeats(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "out.jsonl"
    result = crawl(
        "-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}",
        "-s", "CALIBER_PAGE_URL={section}?p={page}",
    )  # fmt: skip
    assert result.returncode == 1
    assert "'finish_reason': 'paging_repeats'" in result.stderr
    assert "CALIBER_PAGE_URL = '{section}?p={page}' says" in result.stderr
    assert "'caliber_world/listing_pages': 2," in result.stderr
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == sorted(page_slugs(1))


def test_path_paging_is_a_settings_change(tmp_path: Path) -> None:
    with ReplicaServer(PathPagingSite(default_site())) as server:
        dataset = tmp_path / "out.jsonl"
        result = crawl(
            "-a", f"base_url={server.base_url}", "-s", f"JSONL_PATH={dataset}",
            "-s", "CALIBER_PAGE_URL={section}/page/{page}",
        )  # fmt: skip
        listing_requests = [r.target for r in server.requests if "/category/" in r.target]
    assert result.returncode == 0, result.stderr[-3000:]
    assert_matches_replica(read_jsonl(dataset), server.base_url)
    assert listing_requests == [SECTION_PATH] + [f"{SECTION_PATH}/page/{n}" for n in (2, 3, 4, 5)]
    assert run_state(dataset)["walked"] is True


def test_the_listing_ceiling_stops_a_walk_that_goes_on(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "out.jsonl"
    result = crawl(
        "-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}",
        "-s", "CALIBER_MAX_LISTING_PAGES=2",
    )  # fmt: skip
    assert result.returncode == 1
    assert "'finish_reason': 'listing_ceiling'" in result.stderr
    assert error_lines(result.stderr) == [
        "Listing ceiling: 2 listing pages read (CALIBER_MAX_LISTING_PAGES) and the section goes "
        f"on after {replica.base_url}{SECTION_PATH}?page=2; raise the setting if the section is "
        "this long, or check CALIBER_PAGE_URL with `scrapy probe` (the articles already "
        "requested are still fetched)"
    ]
    assert "'caliber_world/listing_pages': 2," in result.stderr
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == sorted(
        page_slugs(1) | page_slugs(2)
    )
    assert run_state(dataset)["walked"] is False


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
        "  fields filled:      of 16 written: url 16, slug 16, language 16, section 16,"
        " headline 16, published_at 16, author 0, cited_sources 14, views 15, body 16,"
        " image_url 15, crawled_at 16\n"
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
    # A proxy set for the machine (here a closed loopback port) must not take the replica's
    # requests: the demo exempts loopback itself.
    env = {key: value for key, value in os.environ.items() if key.lower() != "no_proxy"}
    env["http_proxy"] = env["HTTP_PROXY"] = "http://127.0.0.1:1"
    result = subprocess.run(
        [sys.executable, "-m", "newscrawl.demo", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"crawl exited with 0; {count} new articles" in result.stdout
    last = f"dataset: {tmp_path / dataset} holds {count} articles"
    assert result.stdout.splitlines()[-1] == last
    if not args:  # the Quick start's claim
        readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
        assert f"`{dataset} holds {count} articles` on a first run" in readme
    items = read_jsonl(tmp_path / dataset)
    assert len(items) == count
    assert {item["language"] for item in items} == {language}
    # Every file of the run is the edition's own: dataset, index, lock, state, report, history.
    stem = Path(dataset).name.removesuffix(".jsonl")
    assert sorted(path.name for path in (tmp_path / dataset).parent.iterdir()) == [
        f"{stem}.jsonl",
        f"{stem}.jsonl.index",
        f"{stem}.jsonl.lock",
        f"{stem}.jsonl.report.json",
        f"{stem}.jsonl.state.json",
        f"{stem}.views.jsonl",
        f"{stem}.views.jsonl.lock",
        f"{stem}.views.jsonl.tracked.json",
    ]

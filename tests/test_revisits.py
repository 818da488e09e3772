"""Revisits end to end: ``scrapy crawl`` re-reads stored articles' view counts as they age.

The replica publishes three articles a minute or two before the tests start and grows their view
counts by 10 a second. The first crawl (shared by the tests) writes them with their first count;
the checkpoint of the next runs is set one second after that first reading, so it has passed
when they start and no test sleeps for it.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from newscrawl.replica import DirectorySite, Fault, FaultySite, ReplicaServer, default_site
from newscrawl.replica.generate import make_articles, write_site
from newscrawl.replica.growth import GrowingViewsSite
from newscrawl.site import SITE_TZ
from newscrawl.views import Revisit, epoch
from tests.conftest import load_json, read_jsonl
from tests.test_crawl import LOOPBACK, crawl, spider_for
from tests.test_faults import QUICK, stat

# Views shown at publication; the third page shows none.
VIEWS = (100, 2_000, None)
PER_SECOND = 10


@dataclasses.dataclass
class World:
    """The replica, the articles it publishes, and a folder holding the first crawl's files."""

    server: ReplicaServer
    site: FaultySite
    growth: GrowingViewsSite
    published: datetime
    slugs: list[str]
    first: Path
    first_stderr: str

    def state(self, tmp_path: Path) -> Path:
        """A copy of the first crawl's dataset, history and tracked articles; the dataset path."""
        shutil.copytree(self.first, tmp_path / "data")
        return tmp_path / "data" / "world.jsonl"

    def crawl(self, dataset: Path, *args: str) -> tuple[int, str]:
        result = crawl(
            "-a", f"base_url={self.server.base_url}", "-s", f"JSONL_PATH={dataset}", *QUICK, *args
        )  # fmt: skip
        return result.returncode, result.stderr

    def url(self, slug: str) -> str:
        return f"{self.server.base_url}/en/post/{slug}"


def seconds(text: str) -> float:
    """An ISO time as seconds since 1970."""
    value = epoch(text)
    assert value is not None, text
    return value


def history(dataset: Path) -> list[dict[str, Any]]:
    return read_jsonl(dataset.with_name("world.views.jsonl"))


def tracked(dataset: Path) -> dict[str, list[Any]]:
    state = load_json(dataset.with_name("world.views.jsonl.tracked.json"))
    return {row[0]: row for row in state["articles"]}


def checkpoint_after_first_reading(dataset: Path) -> int:
    """An age one second after the latest first reading; waits (rarely) until it has passed."""
    first = history(dataset)
    age = max(line["age_seconds"] for line in first) + 1
    deadline = max(seconds(line["published_at"]) for line in first) + age
    time.sleep(max(0.0, deadline - time.time() + 0.05))
    return age


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("growing")
    published = datetime.now(SITE_TZ).replace(second=0, microsecond=0) - timedelta(minutes=1)
    articles = [
        dataclasses.replace(article, published=published, views=views, views_form="{}")
        for article, views in zip(make_articles(3, seed=11, newest=published), VIEWS, strict=True)
    ]
    write_site(root / "site", articles)
    slugs = sorted(article.slug for article in articles)
    growth = GrowingViewsSite(
        DirectorySite(root / "site"), dict.fromkeys(slugs, published), per_second=PER_SECOND
    )
    site = FaultySite(growth, {})
    with ReplicaServer(site) as server:
        world = World(server, site, growth, published, slugs, root / "first", "")
        code, world.first_stderr = world.crawl(world.first / "world.jsonl")
        assert code == 0, world.first_stderr[-3000:]
        yield world


def test_the_first_count_of_every_new_article_starts_its_history(world: World) -> None:
    dataset = world.first / "world.jsonl"
    lines = sorted(history(dataset), key=lambda line: line["slug"])
    stored = {item["slug"]: item for item in read_jsonl(dataset)}
    assert [line["slug"] for line in lines] == world.slugs
    for line in lines:
        item = stored[line["slug"]]
        assert line == {
            "slug": item["slug"],
            "url": world.url(item["slug"]),
            "language": "en",
            "published_at": world.published.isoformat(),
            "views": item["views"],
            "observed_at": item["crawled_at"],
            "age_seconds": round(seconds(item["crawled_at"]) - world.published.timestamp()),
        }
        shown = world.growth.served.get(line["slug"])
        assert line["views"] == (shown[0] if shown else None)
    assert sorted(tracked(dataset)) == world.slugs
    assert stat(world.first_stderr, "caliber_world/views_written") == 3
    assert stat(world.first_stderr, "caliber_world/revisits_due") == 0


def test_due_revisits_write_the_count_now_and_then_none_is_due(
    world: World, tmp_path: Path
) -> None:
    dataset = world.state(tmp_path)
    stored = dataset.read_bytes()
    age = checkpoint_after_first_reading(dataset)
    ages = ["-s", f"CALIBER_REVISIT_AGES={age}s,1d"]
    started = time.time()
    code, stderr = world.crawl(dataset, *ages)
    assert code == 0, stderr[-3000:]
    first, revisits = history(dataset)[:3], history(dataset)[3:]
    assert sorted(line["slug"] for line in revisits) == world.slugs
    for line in revisits:
        observed = seconds(line["observed_at"])
        assert int(started) <= observed <= time.time()
        assert line["age_seconds"] == round(observed - world.published.timestamp())
        assert line["age_seconds"] >= age
        assert line["url"] == world.url(line["slug"])
        assert line["published_at"] == world.published.isoformat()
        shown = world.growth.served.get(line["slug"])
        assert line["views"] == (shown[-1] if shown else None)
    views = {line["slug"]: line["views"] for line in revisits}
    before = {line["slug"]: line["views"] for line in first}
    grew = [slug for slug in world.slugs if views[slug] is not None]
    assert len(grew) == 2 and all(views[slug] > before[slug] for slug in grew)
    assert [slug for slug in world.slugs if views[slug] is None] == [
        slug for slug in world.slugs if before[slug] is None
    ]
    for key, value in [
        ("revisits_due", 3),
        ("revisits_done", 3),
        ("revisits_failed", 0),
        ("revisits_views_missing", 1),
        ("views_written", 3),
    ]:
        assert stat(stderr, f"caliber_world/{key}") == value, key
    # Not a new article: the dataset is untouched, no item is scraped, the alarms stay quiet.
    assert dataset.read_bytes() == stored
    assert stat(stderr, "item_scraped_count") is None
    assert stat(stderr, "finish_reason") == "finished"
    assert {slug: row[5] for slug, row in tracked(dataset).items()} == {
        line["slug"]: seconds(line["observed_at"]) for line in revisits
    }

    # A writer killed mid-line left half an observation: it is moved aside at the next start.
    with dataset.with_name("world.views.jsonl").open("ab") as torn:
        torn.write(b'{"slug": "x", "views": 1')
    code, stderr = world.crawl(dataset, *ages)
    assert code == 0, stderr[-3000:]
    assert len(history(dataset)) == 6
    assert (
        dataset.with_name("world.views.jsonl.rejected").read_bytes()
        == b'{"slug": "x", "views": 1\n'
    )
    assert stat(stderr, "caliber_world/views_repaired_bytes") == 24
    assert stat(stderr, "caliber_world/revisits_due") == 0
    assert stat(stderr, "downloader/request_count") == 4  # robots.txt and three listing pages
    assert sorted(tracked(dataset)) == world.slugs  # the 1 d checkpoint is still ahead


def test_a_failed_revisit_is_asked_again_and_a_gone_page_ends_revisits(
    world: World, tmp_path: Path
) -> None:
    dataset = world.state(tmp_path)
    failing, gone, fine = world.slugs
    ages = ["-s", f"CALIBER_REVISIT_AGES={checkpoint_after_first_reading(dataset)}s,1d"]
    world.site.faults.update(
        {f"/en/post/{failing}": Fault(status=503), f"/en/post/{gone}": Fault(status=404)}
    )
    try:
        code, stderr = world.crawl(dataset, *ages)
    finally:
        world.site.faults.clear()
    assert code == 0, stderr[-3000:]
    assert [line["slug"] for line in history(dataset)[3:]] == [fine]
    for key, value in [
        ("revisits_due", 3),
        ("revisits_done", 1),
        ("revisits_failed", 1),
        ("revisits_gone", 1),
        ("errors/revisit_http_503", 1),
        ("errors/revisit_http_404", 1),
    ]:
        assert stat(stderr, f"caliber_world/{key}") == value, key
    assert f"Revisit failed (http_503), the next run asks again: {world.url(failing)}" in stderr
    assert f"Revisits ended (http_404): {world.url(gone)}" in stderr
    # The run report says it too (README: "revisits due / done / failed").
    report = load_json(dataset.with_name("world.jsonl.report.json"))
    assert {key: report["revisits"][key] for key in ("due", "done", "failed", "gone")} == {
        "due": 3,
        "done": 1,
        "failed": 1,
        "gone": 1,
    }
    line = "  revisits:           due 3, done 1, failed 1, gone 1, deferred 0"
    assert line in report["text"]
    assert f"\n{line}\n" in stderr
    assert sorted(tracked(dataset)) == [failing, fine]
    assert tracked(dataset)[failing][6] == 1  # one run failed

    asked = world.site.served.get(f"/en/post/{gone}", 0)
    code, stderr = world.crawl(dataset, *ages)
    assert code == 0, stderr[-3000:]
    assert [line["slug"] for line in history(dataset)[3:]] == [fine, failing]
    assert history(dataset)[-1]["views"] == world.growth.served.get(failing, [None])[-1]
    assert stat(stderr, "caliber_world/revisits_due") == 1
    assert stat(stderr, "caliber_world/revisits_done") == 1
    assert world.site.served.get(f"/en/post/{gone}", 0) == asked
    assert tracked(dataset)[failing][6] == 0


def test_a_run_makes_at_most_revisit_max_and_the_rest_wait(world: World, tmp_path: Path) -> None:
    dataset = world.state(tmp_path)
    ages = ["-s", f"CALIBER_REVISIT_AGES={checkpoint_after_first_reading(dataset)}s,1d"]
    code, stderr = world.crawl(dataset, *ages, "-s", "CALIBER_REVISIT_MAX=1")
    assert code == 0, stderr[-3000:]
    # Same checkpoint moment for all three: the tie goes by slug.
    assert [line["slug"] for line in history(dataset)[3:]] == world.slugs[:1]
    assert stat(stderr, "caliber_world/revisits_due") == 3
    assert stat(stderr, "caliber_world/revisits_deferred") == 2
    assert (
        " INFO: Revisits: 3 due, 0 more from the backfill; 1 this run, 2 wait for the next runs"
        " (CALIBER_REVISIT_MAX=1); 3 articles tracked\n"
    ) in stderr
    code, stderr = world.crawl(dataset, *ages, "-s", "CALIBER_REVISIT_MAX=0")
    assert code == 0, stderr[-3000:]
    assert sorted(line["slug"] for line in history(dataset)[3:]) == world.slugs
    assert stat(stderr, "caliber_world/revisits_due") == 2
    assert stat(stderr, "caliber_world/revisits_done") == 2


def test_a_history_that_cannot_be_written_fails_the_run(world: World, tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full to fill")
    dataset = tmp_path / "world.jsonl"
    dataset.with_name("world.views.jsonl").symlink_to("/dev/full")
    code, stderr = world.crawl(dataset)
    assert code == 1
    failures = [line for line in stderr.splitlines() if "could not be written" in line]
    assert len(failures) == 1 and "No space left on device" in failures[0]
    assert stat(stderr, "caliber_world/errors/views_write_failed") == 1
    assert stat(stderr, "finish_reason") == "write_failed"


def test_a_file_setting_pointing_at_a_file_of_the_dataset_writes_nothing(
    world: World, tmp_path: Path
) -> None:
    dataset = tmp_path / "world.jsonl"
    code, stderr = world.crawl(dataset)
    assert code == 0, stderr[-3000:]
    index = dataset.with_name("world.jsonl.index")
    before = {path: path.read_bytes() for path in (dataset, index)}

    for setting, target, line in [
        (
            "VIEWS_PATH",
            index,
            f"VIEWS_PATH {index} would write over {index}, a file of the dataset",
        ),
        (
            "JSONL_INDEX_PATH",
            dataset,
            f"JSONL_INDEX_PATH {dataset} is a file the dataset {dataset} keeps itself",
        ),
    ]:
        code, stderr = world.crawl(dataset, "-s", f"{setting}={target}")
        assert code == 2, stderr[-3000:]
        assert stat(stderr, "finish_reason") == "dataset_mismatch"
        assert f" ERROR: {line}" in stderr
        assert {path: path.read_bytes() for path in before} == before


def test_a_bad_revisit_setting_is_one_line_and_no_crawl(world: World, tmp_path: Path) -> None:
    code, stderr = world.crawl(tmp_path / "world.jsonl", "-s", "CALIBER_REVISIT_AGES=1w")
    assert code == 2
    assert stderr == (
        "caliber_world: CALIBER_REVISIT_AGES must be ages after publication such as"
        " 1h,6h,1d,3d,7d (a whole number of at least 1 and a unit s, m, h or d; empty: no"
        " revisits), got '1w'\n"
    )
    assert not (tmp_path / "world.jsonl").exists()


@pytest.fixture(scope="module")
def bundled() -> Iterator[ReplicaServer]:
    with ReplicaServer(default_site()) as server:
        yield server


def test_backfill_reads_every_stored_article_since_a_date_within_the_budget(
    bundled: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "world.jsonl"
    base = ["-a", f"base_url={bundled.base_url}", "-s", f"JSONL_PATH={dataset}", *QUICK]
    # A dataset from before revisits: no history at all.
    first = crawl(*base, "-s", "CALIBER_REVISIT_AGES=")
    assert first.returncode == 0, first.stderr[-3000:]
    assert not dataset.with_name("world.views.jsonl").exists()
    stored = {item["slug"]: item for item in read_jsonl(dataset)}
    since = sorted(
        (item["published_at"], slug)
        for slug, item in stored.items()
        if item["published_at"] >= "2025-11-06T18:00:00+04:00"
    )
    assert len(since) == 9

    started = time.time()
    second = crawl(*base, "-a", "revisit=2025-11-06T18:00", "-s", "CALIBER_REVISIT_MAX=4")
    assert second.returncode == 0, second.stderr[-3000:]
    lines = history(dataset)
    # The oldest published first; pages are read concurrently, so lines come in any order.
    assert sorted(line["slug"] for line in lines) == sorted(slug for _, slug in since[:4])
    for line in lines:
        item = stored[line["slug"]]
        assert line["views"] == item["views"]
        assert line["url"] == item["url"]
        assert seconds(line["observed_at"]) >= int(started)
    assert stat(second.stderr, "caliber_world/revisits_backfill") == 9
    assert stat(second.stderr, "caliber_world/revisits_deferred") == 5
    resume = since[4][0]
    assert f"run again with -a revisit={resume}, or with -s CALIBER_REVISIT_MAX=0" in second.stderr
    # Read a year after publication: past every checkpoint, so nothing is tracked.
    assert tracked(dataset) == {}

    third = crawl(*base, "-a", f"revisit={resume}", "-s", "CALIBER_REVISIT_MAX=0")
    assert third.returncode == 0, third.stderr[-3000:]
    assert sorted(line["slug"] for line in history(dataset)[4:]) == sorted(
        slug for _, slug in since[4:]
    )
    assert stat(third.stderr, "caliber_world/revisits_done") == 5
    assert "run again" not in third.stderr
    assert len(read_jsonl(dataset)) == len(stored)


def test_a_bad_revisit_argument_is_one_line_and_no_crawl(tmp_path: Path) -> None:
    result = crawl(
        "-a", LOOPBACK, "-a", "revisit=last month", "-s", f"JSONL_PATH={tmp_path / 'world.jsonl'}"
    )  # fmt: skip
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("caliber_world:")]
    assert errors == [
        "caliber_world: revisit must be an ISO date or datetime such as 2025-11-01 or "
        "2025-11-01T00:00:00+04:00 (stored articles published since then), got 'last month'"
    ]
    assert not (tmp_path / "world.jsonl").exists()


class _Readings:
    """Stands in for the views pipeline: keeps what a revisit would write."""

    def __init__(self) -> None:
        self.written: list[tuple[str, int | None]] = []

    def revisited(self, revisit: Any, views: int | None, observed_at: str) -> None:
        self.written.append((revisit.slug, views))

    def failed(self, revisit: Any, kind: str) -> None:
        self.written.append((revisit.slug, None))


def test_a_revisit_reads_the_count_through_a_lying_charset() -> None:
    spider = spider_for(edition="ru", base_url="http://h")
    readings = _Readings()
    spider.views = readings  # type: ignore[assignment]
    page = '<html><body><div class="post"><div class="post_hits">Просмотров: 1 179</div></div>'
    revisit = Revisit("a-b", "http://h/post/a-b", "ru", "2026-06-25T17:24:00+04:00")
    response = HtmlResponse(
        revisit.url,
        body=(page + "</body></html>").encode(),
        headers={"Content-Type": "text/html; charset=iso-8859-1"},
    )
    spider.parse_revisit(response, revisit)
    # Read as Latin-1, "Просмотров" is mojibake and the count was written as null.
    assert readings.written == [("a-b", 1179)]

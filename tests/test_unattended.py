"""Unattended runs: kill -9, Ctrl-C and resume, failed writes, damaged or foreign datasets."""

from __future__ import annotations

import errno
import logging
import os
import re
import signal
import subprocess
import sys
import time
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from newscrawl.dataset import Dataset, encode_line
from newscrawl.items import Article
from newscrawl.paging import Walk
from newscrawl.pipelines import JsonlWriterPipeline
from newscrawl.replica import DirectorySite, ReplicaServer, Response, default_site
from newscrawl.replica.generate import make_articles, write_site
from newscrawl.spiders.caliber_world import CaliberWorldSpider
from newscrawl.state import HEADER, SlugIndex, default_index_path
from tests.conftest import REPLICA_SITE, ROOT, crawl_command, load_json, owed, read_jsonl, run_state
from tests.conftest import start_crawl as start

SECTION = "/en/category/world"
ALL_SLUGS = sorted(load_json(REPLICA_SITE / "en" / "category" / "world" / "expected-slugs.json"))
# Slow enough to be stopped mid-crawl: one request at a time, 0.3 s apart.
SLOW = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0.3", "-s", "CONCURRENT_REQUESTS=1"]


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(default_site()) as server:
        yield server


def start_crawl(base_url: str, dataset: Path, *extra: str) -> subprocess.Popen[str]:
    return start(
        "-a", f"base_url={base_url}", "-s", f"JSONL_PATH={dataset}", *SLOW, *extra
    )  # fmt: skip


def wait_for_lines(dataset: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if dataset.exists() and dataset.read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the crawl never wrote {count} lines")


def slugs_in(dataset: Path) -> list[str]:
    return [item["slug"] for item in read_jsonl(dataset)]


def test_kill_9_then_rerun_leaves_every_article_once(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "out.jsonl"
    crawl = start_crawl(replica.base_url, dataset)
    wait_for_lines(dataset, 3, crawl)
    crawl.send_signal(signal.SIGKILL)
    crawl.communicate(timeout=30)
    killed_at = len(slugs_in(dataset))
    assert 3 <= killed_at < len(ALL_SLUGS)
    # As if the kill had torn the last line in the middle of a write:
    with dataset.open("ab") as torn:
        torn.write(b'{"url": "http://127.0.0.1/en/post/half", "slug": "ha')

    rerun = start_crawl(replica.base_url, dataset, "-s", "DOWNLOAD_DELAY=0")
    _, log = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, log[-3000:]
    assert sorted(slugs_in(dataset)) == ALL_SLUGS
    assert (tmp_path / "out.jsonl.rejected").read_bytes() == (
        b'{"url": "http://127.0.0.1/en/post/half", "slug": "ha\n'
    )
    assert "ended in a half-written line (52 bytes): moved to" in log
    assert f"rebuilt from {killed_at} dataset lines" in log, log[:3000]


def test_ctrl_c_then_resume_with_jobdir(replica: ReplicaServer, tmp_path: Path) -> None:
    dataset, jobdir = tmp_path / "out.jsonl", tmp_path / "job"
    crawl = start_crawl(replica.base_url, dataset, "-s", f"JOBDIR={jobdir}")
    wait_for_lines(dataset, 3, crawl)
    crawl.send_signal(signal.SIGINT)
    _, log = crawl.communicate(timeout=60)
    assert "Closing spider (shutdown)" in log
    assert len(slugs_in(dataset)) < len(ALL_SLUGS)
    assert (jobdir / "requests.seen").exists()

    read_before = re.findall(r"\[caliber_world\] INFO: page (\d+):", log)

    resumed = start_crawl(replica.base_url, dataset, "-s", f"JOBDIR={jobdir}")
    _, log = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, log[-3000:]
    assert "Resuming crawl" in log
    assert f"Resuming the walk paused after listing page {len(read_before)} (JOBDIR)" in log
    # The walk is not started again from page 1: each listing page is read once in all.
    read_after = re.findall(r"\[caliber_world\] INFO: page (\d+):", log)
    assert read_before + read_after == ["1", "2", "3", "4", "5"]
    assert sorted(slugs_in(dataset)) == ALL_SLUGS
    assert run_state(dataset)["walked"] is True


def test_a_walk_paused_mid_section_resumes_at_its_page(tmp_path: Path) -> None:
    articles = make_articles(60, seed=3)
    site = write_site(tmp_path / "site", articles, per_page=6)  # pages 1-10, then empty ones
    dataset, jobdir = tmp_path / "out.jsonl", tmp_path / "job"
    job = ("-s", f"JOBDIR={jobdir}")
    with ReplicaServer(DirectorySite(site)) as server:
        crawl = start_crawl(server.base_url, dataset, *job)
        deadline = time.monotonic() + 60
        while f"{SECTION}?page=4" not in [r.target for r in server.requests]:
            assert time.monotonic() < deadline and crawl.poll() is None, "page 4 never asked for"
            time.sleep(0.02)
        crawl.send_signal(signal.SIGINT)
        _, first_log = crawl.communicate(timeout=60)
        paused_at = len(first_log.split("[caliber_world] INFO: page ")) - 1
        assert 4 <= paused_at < 12, first_log[-3000:]

        resumed = start_crawl(server.base_url, dataset, *job, "-s", "DOWNLOAD_DELAY=0")
        _, log = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, log[-3000:]
        listing = [r.target for r in server.requests if r.target.startswith(SECTION)]

        # The same JOBDIR after a finished crawl starts a new walk (here incremental).
        again = start_crawl(server.base_url, dataset, *job, "-s", "DOWNLOAD_DELAY=0")
        _, again_log = again.communicate(timeout=120)
    pages = [SECTION] + [f"{SECTION}?page={n}" for n in range(2, 13)]
    assert listing == pages  # each listing page once, in order, across the pause
    assert f"Resuming the walk paused after listing page {paused_at} (JOBDIR)" in log
    assert f"page {paused_at + 1}: 7 cards, 6 new, 0 stored, 1 other" in log
    assert "'caliber_world/cards_duplicate'" not in log
    assert sorted(slugs_in(dataset)) == sorted(a.slug for a in articles)
    assert run_state(dataset)["walked"] is True
    assert again.returncode == 0, again_log[-3000:]
    assert "Stopping at page 2: nothing new on the last 2 pages" in again_log


def test_writer_refuses_and_counts_an_item_that_does_not_validate(tmp_path: Path) -> None:
    crawler = get_crawler(CaliberWorldSpider, {"JSONL_PATH": str(tmp_path / "out.jsonl")})
    spider = CaliberWorldSpider.from_crawler(crawler)
    crawler.spider = spider
    writer = JsonlWriterPipeline.from_crawler(crawler)
    writer.open_spider()
    good = Article(
        url="https://caliber.az/en/post/a", slug="a", language="en", body="",
        crawled_at="2026-11-26T04:00:00Z",
    )  # fmt: skip
    bad = Article(
        url="https://caliber.az/en/post/b?x=1", slug="b", language="en", body="", views=-3,
        crawled_at="2026-11-26T04:00:00Z",
    )  # fmt: skip
    writer.process_item(good)
    with pytest.raises(DropItem, match="invalid article"):
        writer.process_item(bad)
    writer.spider_closed(spider, "finished")
    assert slugs_in(tmp_path / "out.jsonl") == ["a"]
    assert crawler.stats.get_value("caliber_world/items_invalid") == 1
    assert crawler.stats.get_value("caliber_world/items_written") == 1
    assert owed(tmp_path / "out.jsonl") == {"b": 1}  # asked for again once the parsers mend


class StoppingEngine:
    """Stands in for Scrapy's engine (no reactor runs here): records why it was asked to close
    the spider."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def close_spider_async(self, *, reason: str) -> None:
        self.reasons.append(reason)


def test_writer_owes_every_item_after_a_failed_write_and_logs_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    dataset = tmp_path / "out.jsonl"
    crawler = get_crawler(CaliberWorldSpider, {"JSONL_PATH": str(dataset)})
    spider = CaliberWorldSpider.from_crawler(crawler)
    crawler.spider = spider
    writer = JsonlWriterPipeline.from_crawler(crawler)
    writer.open_spider()
    items = [
        Article(url=f"https://caliber.az/en/post/{slug}", slug=slug, language="en", body="",
                crawled_at="2026-11-26T04:00:00Z")
        for slug in "abc"
    ]  # fmt: skip
    writer.process_item(items[0])
    crawler.engine = engine = StoppingEngine()

    def disk_full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("newscrawl.dataset.os.write", disk_full)
    with caplog.at_level(logging.ERROR):
        for item in items[1:]:
            with pytest.raises(DropItem, match="article not written"):
                writer.process_item(item)
    assert engine.reasons == ["write_failed"]
    writer.spider_closed(spider, "write_failed")
    assert [record.getMessage() for record in caplog.records] == [
        f"writing {dataset} failed ([Errno 28] No space left on device); the run stops, its"
        " articles not written are owed to the next run"
    ]
    assert slugs_in(dataset) == ["a"]
    assert owed(dataset) == {"b": 1, "c": 1}
    assert run_state(dataset)["walked"] is False
    stats = crawler.stats.get_stats()
    assert (
        stats["caliber_world/items_written"],
        stats["caliber_world/items_not_written"],
        stats["caliber_world/errors/write_failed"],
    ) == (1, 2, 1)


def test_a_second_crawl_on_a_locked_dataset_stops_without_writing(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "out.jsonl"
    holder = Dataset(dataset)
    holder.open()
    try:
        crawl = start_crawl(replica.base_url, dataset, "-s", "DOWNLOAD_DELAY=0")
        _, log = crawl.communicate(timeout=60)
    finally:
        holder.close()
    assert crawl.returncode == 1
    assert f"another crawl is writing {dataset} (lock {dataset}.lock); this run stops" in log
    assert "'finish_reason': 'dataset_locked'" in log
    assert "'downloader/request_count'" not in log
    assert dataset.read_bytes() == b""


class FailingArticles:
    """The bundled replica, except that some article pages answer 503."""

    def __init__(self, failing: set[str]) -> None:
        self.site = default_site()
        self.failing = failing

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        if path.rstrip("/").rsplit("/", 1)[-1] in self.failing:
            return Response(503, b"busy")
        return self.site.resolve(path, query)


def test_an_article_that_failed_is_fetched_by_the_next_run(tmp_path: Path) -> None:
    dataset = tmp_path / "out.jsonl"
    deep = "japan-deploys-troops-to-help-tackle-surge-in-bear-attacks"  # a card on page 3
    no_retry = ("-s", "RETRY_ENABLED=0", "-s", "DOWNLOAD_DELAY=0")
    site = FailingArticles({deep})
    with ReplicaServer(site) as server:
        first = start_crawl(server.base_url, dataset, *no_retry)
        _, log = first.communicate(timeout=120)
        assert first.returncode == 0, log[-3000:]
        assert sorted(slugs_in(dataset)) == [slug for slug in ALL_SLUGS if slug != deep]
        assert "'caliber_world/errors/article_http_503': 1," in log
        assert owed(tmp_path / "out.jsonl") == {deep: 1}

        site.failing.clear()
        second = start_crawl(server.base_url, dataset, *no_retry, "-a", "max_pages=1")
        _, log = second.communicate(timeout=120)
    assert second.returncode == 0, log[-3000:]
    assert sorted(slugs_in(dataset)) == ALL_SLUGS
    assert slugs_in(dataset)[-1] == deep
    assert "'caliber_world/articles_owed_retried': 1," in log
    assert owed(tmp_path / "out.jsonl") == {}


def test_an_article_that_keeps_failing_is_given_up_after_the_limit(tmp_path: Path) -> None:
    dataset = tmp_path / "out.jsonl"
    broken = "chile-heads-into-presidential-vote-with-security-top-of-agenda"
    settings = (
        "-s",
        "RETRY_ENABLED=0",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "CALIBER_OWED_MAX_RUNS=2",
    )
    with ReplicaServer(FailingArticles({broken})) as server:
        logs = []
        for _ in range(3):
            crawl = start_crawl(server.base_url, dataset, *settings)
            logs.append(crawl.communicate(timeout=120)[1])
            assert crawl.returncode == 0, logs[-1][-3000:]
    assert owed(tmp_path / "out.jsonl") == {}
    assert "'caliber_world/articles_owed_retried': 1," in logs[1]
    assert (
        f"Giving up on {server.base_url}/en/post/{broken} after 2 runs could not read it" in logs[2]
    )
    assert "'caliber_world/articles_given_up': 1," in logs[2]


def test_a_page_the_parser_chokes_on_is_counted_owed_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crawler = get_crawler(CaliberWorldSpider, {"JSONL_PATH": str(tmp_path / "out.jsonl")})
    spider = CaliberWorldSpider.from_crawler(crawler)
    crawler.spider = spider
    spider.dataset = Dataset(tmp_path / "out.jsonl")
    spider.dataset.open()

    def choke(*args: object, **kwargs: object) -> None:
        raise ValueError("a page no parser foresaw")

    monkeypatch.setattr("newscrawl.spiders.caliber_world.build_article", choke)
    page = HtmlResponse(
        "https://caliber.az/en/post/odd", body=b"<html><body>odd</body></html>", encoding="utf-8"
    )
    assert list(spider.parse_article(page, slug="odd", card_section=None)) == []
    spider.dataset.close()
    assert crawler.stats.get_value("caliber_world/errors/article_unparsable") == 1
    assert owed(tmp_path / "out.jsonl") == {"odd": 1}


def test_a_run_that_left_holes_is_followed_by_a_full_walk(tmp_path: Path) -> None:
    """Pages 1-2 stored but not page 3 (a run stopped early or killed): the next run must not
    stop at the stored pages, or page 3 would never be read."""
    articles = make_articles(30, seed=5)
    site = write_site(tmp_path / "site", articles, per_page=10)
    dataset = tmp_path / "out.jsonl"
    fast = ("-s", "DOWNLOAD_DELAY=0")
    with ReplicaServer(DirectorySite(site)) as server:
        first = start_crawl(server.base_url, dataset, *fast, "-a", "max_pages=2")
        _, log = first.communicate(timeout=120)
        assert first.returncode == 0, log[-3000:]
        assert len(slugs_in(dataset)) == 20
        assert run_state(dataset)["walked"] is False

        second = start_crawl(server.base_url, dataset, *fast)
        _, log = second.communicate(timeout=120)
        assert second.returncode == 0, log[-3000:]
        assert sorted(slugs_in(dataset)) == sorted(a.slug for a in articles)
        assert "but the last run did not end well" in log
        assert "Stopping at page 5: no section cards on the last 2 pages" in log
        assert run_state(dataset)["walked"] is True

        third = start_crawl(server.base_url, dataset, *fast)
        _, log = third.communicate(timeout=120)
    assert third.returncode == 0, log[-3000:]
    assert "Stopping at page 2: nothing new on the last 2 pages" in log
    assert len(slugs_in(dataset)) == 30


def test_a_killed_run_leaves_the_dataset_not_walked(replica: ReplicaServer, tmp_path: Path) -> None:
    dataset = tmp_path / "out.jsonl"
    crawl = start_crawl(replica.base_url, dataset)
    wait_for_lines(dataset, 1, crawl)
    crawl.send_signal(signal.SIGKILL)
    crawl.communicate(timeout=30)
    assert run_state(dataset)["walked"] is False


# --- Nothing counted as stored unless it is on disk; a dataset that cannot be used says so. ---

FAST = ("-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0")
# Runs scrapy with a file-size limit (as a full disk would, a write fails part way: EFBIG).
LIMITED = (
    "import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_FSIZE, ({0}, {0}));"
    " runpy.run_module('scrapy', run_name='__main__', alter_sys=True)"
)


def run_crawl(
    *args: str, cwd: Path = ROOT, size_limit: int = 0
) -> subprocess.CompletedProcess[str]:
    command, env = crawl_command(*FAST, *args)
    if size_limit:
        command[1:3] = ["-c", LIMITED.format(size_limit)]
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def error_lines(log: str) -> list[str]:
    """A crawl's ERROR lines, but for the failed run's report and verdict (checked elsewhere)."""
    return [
        line
        for line in log.splitlines()
        if "] ERROR: " in line
        and "] ERROR: Run report (FAILED" not in line
        and "] ERROR: run FAILED (" not in line
    ]


def test_a_write_failure_stops_the_run_and_owes_what_was_not_written(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "out.jsonl"
    args = ("-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}")
    failed = run_crawl(*args, size_limit=6000)
    log = failed.stderr
    assert failed.returncode == 1, log[-3000:]
    assert "'finish_reason': 'write_failed'" in log
    assert [line.split("] ERROR: ", 1)[1] for line in error_lines(log)] == [
        f"writing {dataset} failed ([Errno 27] File too large); the run stops, its articles"
        " not written are owed to the next run"
    ]
    assert "Traceback" not in log and "Error processing" not in log
    raw = dataset.read_bytes()
    assert 0 < len(raw) <= 6000 and raw.endswith(b"\n")
    stored = slugs_in(dataset)  # every line whole
    assert f"'caliber_world/items_written': {len(stored)}," in log
    state = run_state(dataset)
    assert state["walked"] is False
    assert state["owed"] and set(state["owed"].values()) == {1}
    assert not set(state["owed"]) & set(stored)
    assert f"'caliber_world/items_not_written': {len(state['owed'])}," in log
    index = SlugIndex.load(dataset)
    assert (index.problem, index.caught_up_lines) == (None, 0)
    assert [slug for slug in ALL_SLUGS if slug in index] == sorted(stored)

    rerun = run_crawl(*args)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert sorted(slugs_in(dataset)) == ALL_SLUGS
    assert f"'caliber_world/articles_owed_retried': {len(state['owed'])}," in rerun.stderr
    assert owed(dataset) == {}


def test_two_crawls_through_a_symlink_share_one_lock(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    real = tmp_path / "data" / "out.jsonl"
    real.parent.mkdir()
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    first = start_crawl(replica.base_url, real)
    wait_for_lines(real, 1, first)
    second = run_crawl("-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={link}")
    _, log = first.communicate(timeout=120)
    assert first.returncode == 0, log[-3000:]
    assert second.returncode == 1
    assert (
        f"another crawl is writing {real} (lock {real}.lock); this run stops without writing"
        in second.stderr
    )
    assert "'downloader/request_count'" not in second.stderr
    assert sorted(slugs_in(real)) == ALL_SLUGS
    # The report too sits beside the real path.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data", "link.jsonl"]
    assert (real.parent / "out.jsonl.report.json").exists()


def test_a_dataset_that_cannot_be_written_stops_the_run_in_one_line(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "out.jsonl"
    dataset.mkdir()  # as root, no permission makes a file unwritable; a folder is, to anyone
    crawl = run_crawl("-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}")
    assert crawl.returncode == 1
    assert "'finish_reason': 'dataset_unwritable'" in crawl.stderr
    assert [line.split("] ERROR: ", 1)[1] for line in error_lines(crawl.stderr)] == [
        f"cannot write the dataset {dataset} ([Errno 21] Is a directory: '{dataset}');"
        " this run stops without writing"
    ]
    assert "Traceback" not in crawl.stderr
    assert "'downloader/request_count'" not in crawl.stderr
    # Nothing but the run's report (it says what went wrong) beside the folder.
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["out.jsonl", "out.jsonl.report.json"]
    assert list(dataset.iterdir()) == []


def test_a_damaged_index_is_rebuilt_and_nothing_is_written_twice(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "out.jsonl"
    args = ("-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}")
    assert run_crawl(*args).returncode == 0
    written = dataset.read_bytes()
    index = default_index_path(dataset)
    raw = index.read_bytes()
    entries = array("Q", raw[HEADER.size :])
    entries.reverse()  # every entry out of order
    index.write_bytes(raw[: HEADER.size] + entries.tobytes())
    again = run_crawl(*args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert dataset.read_bytes() == written
    assert (
        f"WARNING: Index {index} rebuilt from 19 dataset lines: its checksum does not match"
        " (entries changed or out of order)"
    ) in again.stderr
    assert "'caliber_world/index_rebuilt': 1," in again.stderr


# --- A dataset knows which edition of which host it holds. ---


def test_a_replica_crawl_does_not_mix_into_the_live_sites_dataset(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    """The default dataset holds the live site's articles (written before datasets recorded
    what they hold): a crawl of the replica without its own JSONL_PATH must not add to it."""
    dataset = tmp_path / "data" / "caliber_world.jsonl"
    dataset.parent.mkdir()
    slug = ALL_SLUGS[0]
    live = load_json(REPLICA_SITE / "en" / "post" / f"{slug}.expected.json")
    dataset.write_bytes(encode_line({**live, "crawled_at": "2026-11-26T04:00:00Z"}))
    crawl = run_crawl("-a", f"base_url={replica.base_url}", cwd=tmp_path)
    assert crawl.returncode == 2, crawl.stderr[-3000:]
    assert [line.split("] ERROR: ", 1)[1] for line in error_lines(crawl.stderr)] == [
        f"{dataset} holds edition en of caliber.az; this crawl is edition en of 127.0.0.1"
        " — use -s JSONL_PATH=… for another dataset"
    ]
    assert "'finish_reason': 'dataset_mismatch'" in crawl.stderr
    assert "'downloader/request_count'" not in crawl.stderr
    assert "Traceback" not in crawl.stderr
    assert slugs_in(dataset) == [slug]
    assert sorted(path.name for path in dataset.parent.iterdir()) == [
        "caliber_world.jsonl",
        "caliber_world.jsonl.lock",
    ]


def test_each_edition_writes_its_own_dataset_and_never_the_others(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    args = ("-a", f"base_url={replica.base_url}", "-a", "max_pages=1")
    english = run_crawl(*args, cwd=tmp_path)
    assert english.returncode == 0, english.stderr[-3000:]
    russian = run_crawl(*args, "-a", "edition=ru", cwd=tmp_path)
    assert russian.returncode == 0, russian.stderr[-3000:]
    data = tmp_path / "data"
    for name, edition in (("caliber_world.jsonl", "en"), ("caliber_world_ru.jsonl", "ru")):
        state = run_state(data / name)
        assert (state["edition"], state["host"], state["walked"]) == (edition, "127.0.0.1", False)
        assert len(slugs_in(data / name)) > 0
    assert sorted(path.name for path in data.iterdir()) == sorted(
        f"caliber_world{edition}{suffix}"
        for edition in ("", "_ru")
        for suffix in (
            ".jsonl",
            ".jsonl.index",
            ".jsonl.lock",
            ".jsonl.report.json",
            ".jsonl.state.json",
            ".views.jsonl",
            ".views.jsonl.lock",
            ".views.jsonl.tracked.json",
        )
    )
    given = ("-s", "JSONL_PATH=data/caliber_world.jsonl")
    mixed = run_crawl(*args, "-a", "edition=ru", *given, cwd=tmp_path)
    assert mixed.returncode == 2
    assert (
        f"{data / 'caliber_world.jsonl'} holds edition en of 127.0.0.1; this crawl is edition ru"
        " of 127.0.0.1"
    ) in mixed.stderr


def test_the_demo_runs_again_into_its_dataset(tmp_path: Path) -> None:
    """The demo serves the replica on a new port each time: the same site, the same dataset."""
    target = tmp_path / "demo" / "world.jsonl"
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    for new in (len(ALL_SLUGS), 0):
        demo = subprocess.run(
            [sys.executable, "-m", "newscrawl.demo", str(target)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert demo.returncode == 0, demo.stderr[-3000:]
        assert f"crawl exited with 0; {new} new articles" in demo.stdout
    assert sorted(slugs_in(target)) == ALL_SLUGS


def test_a_jobdir_left_by_a_failed_crawl_starts_a_new_walk_and_ignores_its_queued_pages() -> None:
    spider = CaliberWorldSpider.from_crawler(get_crawler(CaliberWorldSpider))
    earlier = Walk(generation=3, page=7, requested={"a"}, pages=spider.scheme.listing_url(2))
    spider.state = {"walk": earlier, "closed": "markup_drift"}  # as Scrapy's SpiderState loads it

    assert spider.resume_walk() is False
    assert spider.walk.generation == 4 and spider.walk.requested == set()
    assert spider.state == {"walk": spider.walk, "closed": None}
    queued = spider.listing_request(8).replace(meta={"walk": 3, "recheck": False, "side": False})
    page = HtmlResponse(queued.url, body=b"<html></html>", encoding="utf-8", request=queued)
    assert list(spider.parse_listing(page, page=8)) == []
    assert spider.crawler.stats.get_value("caliber_world/listing_pages") is None

    spider.state = {"walk": earlier, "closed": "shutdown"}  # paused: the same walk goes on
    assert spider.resume_walk() is True
    assert spider.walk is earlier


@pytest.mark.parametrize(
    ("arguments", "settings"),
    [
        ({"base_url": "http://h:2"}, {}),
        ({"base_url": "http://h:1", "edition": "ru"}, {}),
        ({"base_url": "http://h:1"}, {"CALIBER_PAGE_URL": "{section}/page/{page}"}),
    ],
    ids=["base_url", "edition", "page_url"],
)
def test_a_paused_walk_resumes_only_for_a_crawl_of_the_same_pages(
    arguments: dict[str, str], settings: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    def spider(
        state: dict[str, object], given: dict[str, str] | None = None, **kwargs: str
    ) -> CaliberWorldSpider:
        crawler = get_crawler(CaliberWorldSpider, given or {})
        made: CaliberWorldSpider = CaliberWorldSpider.from_crawler(crawler, **kwargs)
        made.state = state
        return made

    state: dict[str, object] = {}
    first = spider(state, base_url="http://h:1")
    assert first.resume_walk() is False
    first.walk.page = 4
    first.closed("shutdown")
    assert spider(state, base_url="http://h:1").resume_walk() is True  # the same crawl resumes
    state["closed"] = "shutdown"
    other = spider(state, settings, **arguments)
    with caplog.at_level(logging.WARNING):
        assert other.resume_walk() is False
    assert (other.walk.page, other.walk.generation) == (0, 1)
    assert other.walk.pages == other.scheme.listing_url(2)
    assert caplog.messages == [
        "Not resuming the walk JOBDIR paused: it paged http://h:1/en/category/world?page=2, "
        f"this crawl pages {other.scheme.listing_url(2)} (another base_url, edition or "
        "CALIBER_PAGE_URL); starting a new walk"
    ]

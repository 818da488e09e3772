"""Deploy to a real Scrapyd on loopback, schedule the crawl twice, check what each job added."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from newscrawl.replica import DirectorySite, ReplicaServer
from newscrawl.replica.generate import make_articles, publish, write_site
from newscrawl.schema import schema_errors
from tests.conftest import ROOT, read_jsonl

BIN = Path(sys.executable).parent
PROJECT_FILES = ("newscrawl", "pyproject.toml", "README.md", "scrapy.cfg")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(url: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


@dataclass(frozen=True)
class Scrapyd:
    url: str
    home: Path

    def job_log(self, job_id: str) -> str:
        return (self.home / "logs" / "newscrawl" / "caliber_world" / f"{job_id}.log").read_text()


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    """A Scrapyd on 127.0.0.1 with its own directories; stopped after the tests."""
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "items_dir =\n"
        "max_proc = 2\n"
        "poll_interval = 0.5\n"
    )
    server = subprocess.Popen(
        [BIN / "scrapyd"], cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert call(f"{url}/daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield Scrapyd(url, home)
    finally:
        server.terminate()
        server.wait(timeout=30)


def deploy(scrapyd_url: str, workdir: Path) -> None:
    """Deploy the project the way the README says: scrapyd-deploy with a [deploy] target."""
    project = workdir / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    config = (project / "scrapy.cfg").read_text()
    (project / "scrapy.cfg").write_text(
        config.replace("url = http://127.0.0.1:6800/", f"url = {scrapyd_url}/")
    )
    result = subprocess.run(
        [BIN / "scrapyd-deploy"], cwd=project, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert '"status": "ok"' in result.stdout and '"spiders": 1' in result.stdout


def run_job(scrapyd_url: str, base_url: str, dataset: Path) -> str:
    job = call(
        f"{scrapyd_url}/schedule.json",
        [
            ("project", "newscrawl"),
            ("spider", "caliber_world"),
            ("base_url", base_url),
            ("setting", f"JSONL_PATH={dataset}"),
            ("setting", "AUTOTHROTTLE_ENABLED=0"),
            ("setting", "DOWNLOAD_DELAY=0"),
        ],
    )
    assert job["status"] == "ok", job
    job_id = str(job["jobid"])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        jobs = call(f"{scrapyd_url}/listjobs.json?project=newscrawl")
        if any(finished["id"] == job_id for finished in jobs["finished"]):
            return job_id
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish")


def test_deploy_schedule_and_an_incremental_second_job(scrapyd: Scrapyd, tmp_path: Path) -> None:
    first_batch = make_articles(30, seed=11)
    site = write_site(tmp_path / "site", first_batch, per_page=10)
    dataset = tmp_path / "data" / "world.jsonl"
    deploy(scrapyd.url, tmp_path)
    with ReplicaServer(DirectorySite(site)) as replica:
        first_job = run_job(scrapyd.url, replica.base_url, dataset)
        after_first = dataset.read_bytes()
        items = read_jsonl(dataset)
        assert sorted(item["slug"] for item in items) == sorted(a.slug for a in first_batch)
        expected = {a.slug: a.expected_item(replica.base_url) for a in first_batch}
        for item in items:
            assert schema_errors(item) == []
            assert item.pop("crawled_at").endswith("Z")
            assert item == expected[item["slug"]]
        assert "Run report (finished)" in scrapyd.job_log(first_job)

        # The replica publishes four stories; the next scheduled job must add exactly those.
        newer = first_batch[0].published + timedelta(minutes=30)
        taken = [a.slug for a in first_batch]
        second_batch = make_articles(4, seed=12, newest=newer, taken=taken)
        publish(site, second_batch)
        second_job = run_job(scrapyd.url, replica.base_url, dataset)

    after_second = dataset.read_bytes()
    assert after_second.startswith(after_first)
    added = read_jsonl(dataset)[30:]
    assert sorted(item["slug"] for item in added) == sorted(a.slug for a in second_batch)
    log = scrapyd.job_log(second_job)
    # Page 1: 4 new + 6 stored; pages 2 and 3: all stored, so paging stops there.
    assert "Stopping at page 3: nothing new on the last 2 pages" in log
    assert "'caliber_world/articles_already_stored': 26," in log
    assert "'caliber_world/items_written': 4," in log

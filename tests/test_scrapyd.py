"""Deploy to a real Scrapyd on loopback, schedule the crawl twice, check what each job added.

Scrapyd runs in an environment that holds the project's dependencies but not the project, as
the README says to set it up, so the deployed egg is what runs; a second deploy takes effect.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from newscrawl.replica import DirectorySite, ReplicaServer, default_site
from newscrawl.replica.generate import make_articles, publish, write_site
from newscrawl.schema import schema_errors
from tests.conftest import ROOT, read_jsonl

BIN = Path(sys.executable).parent
PROJECT_FILES = ("newscrawl", "pyproject.toml", "README.md", "scrapy.cfg")
PROJECT = "newscrawl"


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

    def job_log(self, job_id: str, project: str = PROJECT, spider: str = "caliber_world") -> str:
        return (self.home / "logs" / project / spider / f"{job_id}.log").read_text()


def scrapyd_python(home: Path, *path: Path) -> Path:
    """A Python for Scrapyd with the dependencies of this test run but not the project.

    A bare virtual environment whose only site folder entry is this run's site-packages: its
    packages (Scrapy, Scrapyd, ...) import, but its ``.pth`` files are not read, so the project's
    editable install does not. ``path`` (a copy of the project, say) goes before them, as
    ``pip install .`` would put it.
    """
    env = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", env], check=True)
    python = env / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    entries = [*map(str, path), sysconfig.get_paths()["purelib"]]
    (Path(site) / "test-dependencies.pth").write_text("\n".join(entries) + "\n")
    return python


@contextlib.contextmanager
def running_scrapyd(home: Path, python: Path) -> Iterator[Scrapyd]:
    """A Scrapyd on 127.0.0.1 run by ``python``, with its own directories; stopped on exit."""
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
        [python, "-m", "scrapyd"], cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
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


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    home = tmp_path_factory.mktemp("scrapyd")
    python = scrapyd_python(home)
    check = subprocess.run(
        [python, "-c", "import newscrawl"], cwd=home, capture_output=True, text=True, check=False
    )
    assert "No module named 'newscrawl'" in check.stderr  # Scrapyd's environment lacks it
    with running_scrapyd(home, python) as server:
        yield server


def copy_project(target: Path) -> Path:
    """A copy of the project as a checkout holds it (what ``scrapyd-deploy`` packs)."""
    target.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def deploy(scrapyd_url: str, project: Path, *options: str) -> dict[str, Any]:
    """Deploy the way the README says: scrapyd-deploy with the [deploy] target of scrapy.cfg."""
    config = (project / "scrapy.cfg").read_text()
    (project / "scrapy.cfg").write_text(
        config.replace("url = http://127.0.0.1:6800/", f"url = {scrapyd_url}/")
    )
    result = subprocess.run(
        [BIN / "scrapyd-deploy", *options], cwd=project, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout[result.stdout.index("{") :])
    assert answer["status"] == "ok", answer
    return answer


def run_job(
    scrapyd_url: str, base_url: str, dataset: Path, *extra: tuple[str, str], project: str = PROJECT
) -> str:
    job = call(
        f"{scrapyd_url}/schedule.json",
        [
            ("project", project),
            ("spider", "caliber_world"),
            ("base_url", base_url),
            ("setting", f"JSONL_PATH={dataset}"),
            ("setting", "AUTOTHROTTLE_ENABLED=0"),
            ("setting", "DOWNLOAD_DELAY=0"),
            *extra,
        ],
    )
    assert job["status"] == "ok", job
    job_id = str(job["jobid"])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        jobs = call(f"{scrapyd_url}/listjobs.json?project={project}")
        if any(finished["id"] == job_id for finished in jobs["finished"]):
            return job_id
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.fixture(scope="module")
def deployed(scrapyd: Scrapyd, tmp_path_factory: pytest.TempPathFactory) -> Scrapyd:
    """The Scrapyd with this checkout deployed as the project ``newscrawl``."""
    project = copy_project(tmp_path_factory.mktemp("deploy") / "project")
    assert deploy(scrapyd.url, project)["spiders"] == 1
    return scrapyd


def test_deploy_schedule_and_an_incremental_second_job(deployed: Scrapyd, tmp_path: Path) -> None:
    scrapyd = deployed
    first_batch = make_articles(30, seed=11)
    site = write_site(tmp_path / "site", first_batch, per_page=10)
    dataset = tmp_path / "data" / "world.jsonl"
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


def test_a_job_with_a_bad_setting_says_so_in_its_log(deployed: Scrapyd, tmp_path: Path) -> None:
    dataset = tmp_path / "world.jsonl"
    job = run_job(
        deployed.url, "http://127.0.0.1:9", dataset, ("setting", "CALIBER_REQUIRED_COVERAGE=nan")
    )
    assert deployed.job_log(job) == (
        "caliber_world: CALIBER_REQUIRED_COVERAGE must be a number from 0 to 1, got 'nan'\n"
    )
    assert not dataset.exists()


def test_a_job_that_finds_the_dataset_locked_says_so_in_its_logs_last_line(
    deployed: Scrapyd, tmp_path: Path
) -> None:
    # listjobs.json shows it as finished like any other: the log's last line must tell.
    dataset = tmp_path / "world.jsonl"
    with (tmp_path / "world.jsonl.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another crawl is writing
        job = run_job(deployed.url, "http://127.0.0.1:9", dataset)
    last = deployed.job_log(job).rstrip("\n").splitlines()[-1].split(" ", 2)[2]
    assert last == (
        f"[newscrawl] ERROR: run FAILED (dataset_locked): another crawl is writing {dataset}: this"
        " run wrote nothing and the next scheduled run catches up; if no crawl is running, see"
        f" who holds the lock (fuser {dataset}.lock); exit code 1"
    )
    report = json.loads((tmp_path / "world.jsonl.report.json").read_text(encoding="utf-8"))
    assert (report["close_reason"], report["exit_code"], report["job"]) == (
        "dataset_locked",
        1,
        job,
    )


PROBE_SPIDER = '''
"""A spider that only the second deployed version has."""

import scrapy


class DeployProbeSpider(scrapy.Spider):
    name = "deploy_probe"
'''
CHANGED_LINE = ('"Crawling %s (edition', '"Crawling (deployed version 2) %s (edition')


def changed_project(target: Path) -> Path:
    """The project with a new spider and a changed log line, as a deployed fix would be."""
    project = copy_project(target)
    (project / "newscrawl" / "spiders" / "deploy_probe.py").write_text(PROBE_SPIDER)
    spider = project / "newscrawl" / "spiders" / "caliber_world.py"
    text = spider.read_text()
    assert CHANGED_LINE[0] in text
    spider.write_text(text.replace(*CHANGED_LINE))
    return project


def deploy_twice(scrapyd: Scrapyd, tmp_path: Path, project: str) -> tuple[int, int]:
    """Deploy version 1, then version 2 (``changed_project``): how many spiders each one has."""
    first = deploy(scrapyd.url, copy_project(tmp_path / "v1"), "-p", project, "--version", "1")
    second = deploy(scrapyd.url, changed_project(tmp_path / "v2"), "-p", project, "--version", "2")
    return first["spiders"], second["spiders"]


def test_a_second_deploy_takes_effect(scrapyd: Scrapyd, tmp_path: Path) -> None:
    project = "newscrawl_redeployed"
    assert deploy_twice(scrapyd, tmp_path, project) == (1, 2)
    assert call(f"{scrapyd.url}/listversions.json?project={project}")["versions"] == ["1", "2"]
    listed = call(f"{scrapyd.url}/listspiders.json?project={project}")["spiders"]
    assert sorted(listed) == ["caliber_world", "deploy_probe"]
    with ReplicaServer(default_site()) as replica:
        job = run_job(
            scrapyd.url, replica.base_url, tmp_path / "world.jsonl",
            ("max_pages", "1"), project=project,
        )  # fmt: skip
    log = scrapyd.job_log(job, project)
    assert f"Crawling (deployed version 2) {replica.base_url}/en/category/world" in log


def test_a_project_installed_beside_scrapyd_shadows_every_deploy(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """Why Scrapyd's environment must not hold the project: its copy wins over the egg."""
    home = tmp_path_factory.mktemp("scrapyd-shadowed")
    installed = copy_project(home / "installed")  # as `pip install .` would leave it
    with running_scrapyd(home, scrapyd_python(home, installed)) as shadowed:
        # Version 2 adds a spider, but Scrapyd still finds only the installed copy's one.
        assert deploy_twice(shadowed, tmp_path, PROJECT) == (1, 1)

"""What the operator sees around a crawl: one-line errors, help, network failures, progress.

Every crawl here runs ``scrapy crawl`` against the replica on 127.0.0.1 (or a port nothing
listens on); the "no network" case uses a resolver that fails every lookup (``tests.fakedns``).
"""

from __future__ import annotations

import fcntl
import gzip
import json
import logging
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import fields, replace
from pathlib import Path

import pytest
from OpenSSL.SSL import Error as TLSError
from scrapy import Request
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.utils.test import get_crawler
from service_identity import VerificationError

from newscrawl import settings as project_settings
from newscrawl.arguments import CrawlArguments
from newscrawl.commands.crawl import MAIN_SETTINGS
from newscrawl.downloads import RetryMiddleware
from newscrawl.editions import EDITIONS
from newscrawl.extensions import report_path
from newscrawl.middlewares import OffsiteRefusedError
from newscrawl.replica import Fault, FaultySite, ReplicaServer, Response, Site, default_site
from newscrawl.report import EXIT_CODES, UNREACHABLE
from newscrawl.responses import FAILURE_KINDS, error_kind
from tests.conftest import ROOT, crawl_command, owed, read_jsonl
from tests.test_crawl import LOOPBACK, crawl
from tests.test_faults import POST, SECTION, stat


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(default_site()) as server:
        yield server


def warnings_and_errors(log: str) -> list[str]:
    """The log's WARNING and ERROR lines, without their time stamps."""
    return [
        line.split(" ", 2)[2]
        for line in log.splitlines()
        if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[[^]]+\] (WARNING|ERROR): ", line)
    ]


def last_line(log: str) -> str:
    return log.rstrip("\n").splitlines()[-1].split(" ", 2)[2]


# --- one line, nothing before it, exit 2 --------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "line"),
    [
        (
            ["-a", "max_pages=0"],
            "caliber_world: max_pages must be a whole number of at least 1, got '0'",
        ),
        (
            ["-s", "CALIBER_PROGRESS_INTERVAL=soon"],
            "caliber_world: CALIBER_PROGRESS_INTERVAL must be a number of seconds, at least 0,"
            " got 'soon'",
        ),
        (
            ["-s", "CALIBER_TIMEOUT_RETRIES=-1"],
            "caliber_world: CALIBER_TIMEOUT_RETRIES must be a whole number of at least 0, got '-1'",
        ),
    ],
    ids=["argument", "progress-setting", "timeout-retries-setting"],
)
def test_a_bad_argument_or_setting_is_one_line_with_nothing_before_it(
    option: list[str], line: str, tmp_path: Path
) -> None:
    result = crawl("-a", LOOPBACK, *option, "-s", f"JSONL_PATH={tmp_path / 'out.jsonl'}")
    assert result.returncode == 2
    assert result.stderr == line + "\n"
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_the_readmes_unknown_argument_example_is_what_the_crawl_prints(tmp_path: Path) -> None:
    arguments = " ".join(readme_section("### Spider arguments").split())
    example = re.search(
        r"`-a max_page=1` gives `(caliber_world: unknown argument [^`]*)`", arguments
    )
    assert example is not None
    result = crawl("-a", LOOPBACK, "-a", "max_page=1", "-s", f"JSONL_PATH={tmp_path / 'out.jsonl'}")
    assert (result.returncode, result.stderr) == (2, example[1] + "\n")


@pytest.mark.parametrize(
    ("command", "line"),
    [
        (
            ["crawl", "caliber_world"],
            "scrapy crawl: unrecognized arguments: --bogus (see scrapy crawl -h)",
        ),
        (["probe"], "probe: unrecognized arguments: --bogus (see scrapy probe -h)"),
    ],
)
def test_an_option_scrapy_does_not_know_is_one_line_exit_2_and_runs_nothing(
    command: list[str], line: str, replica: ReplicaServer, tmp_path: Path
) -> None:
    # Scrapy hands unknown options on as arguments: the probe used to probe the live site.
    base = (
        ["-a", f"base_url={replica.base_url}"]
        if command[0] == "crawl"
        else ["--base-url", replica.base_url]
    )
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", *command, *base, "--bogus",
         "-s", f"JSONL_PATH={tmp_path / 'out.jsonl'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stderr, result.stdout) == (2, line + "\n", "")
    assert list(tmp_path.iterdir()) == []


def scrapy_crawl(*args: str) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl`` with ``args`` in place of the spider's name."""
    command, env = crawl_command()
    command = [*command[:-1], *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_line_also_goes_to_the_log_file_scrapyd_keeps(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    result = crawl("-a", LOOPBACK, "-a", "since=yesterday", "-s", f"LOG_FILE={log}")
    assert result.returncode == 2
    line = result.stderr.splitlines()
    assert len(line) == 1 and line[0].startswith("caliber_world: since must be an ISO date")
    assert log.read_text(encoding="utf-8") == result.stderr


def test_no_spider_named_is_one_line() -> None:
    # It was Scrapy's banner, its whole usage text and exit code 2.
    result = scrapy_crawl()
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "scrapy crawl: name a spider (caliber_world); scrapy crawl -h lists its arguments\n"
    )


def test_an_unknown_spider_is_one_line() -> None:
    result = scrapy_crawl("caliber_wrld")
    assert result.returncode == 2
    assert result.stderr == "scrapy crawl: no spider named 'caliber_wrld' (this project has: " \
        "caliber_world)\n"  # fmt: skip


# --- help ---------------------------------------------------------------------------------------


def assert_is_the_help(text: str, jsonl_path: str) -> None:
    for field in fields(CrawlArguments):
        assert re.search(rf"^  {field.name} +default: ", text, re.M), field.name
    assert re.search(r"^  help +print this help and exit, without crawling$", text, re.M)
    for name in MAIN_SETTINGS:
        value = jsonl_path if name == "JSONL_PATH" else getattr(project_settings, name)
        assert f"\n  {name} = {value if value != '' else '(empty)'}\n" in text, name
    flat = " ".join(text.split())
    for code, meaning in EXIT_CODES.items():
        assert f" {code} {meaning}" in flat, code


def test_help_argument_lists_arguments_settings_and_exit_codes_without_crawling(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    result = crawl(
        "-a", "help=1", "-a", f"base_url={replica.base_url}",
        "-s", f"JSONL_PATH={tmp_path / 'x.jsonl'}",
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stderr == ""
    assert_is_the_help(result.stdout, str(tmp_path / "x.jsonl"))
    assert "base_url    default: https://caliber.az\n" in result.stdout
    edition = result.stdout.split("  edition ", 1)[1].split("\n  revisit ", 1)[0]
    for code in EDITIONS:
        assert f" {code} " in edition, code
    assert "CALIBER_REVISIT_MAX" in result.stdout.split("  revisit ", 1)[1].split("\n  help ")[0]
    assert list(tmp_path.iterdir()) == []


def test_crawl_dash_h_lists_the_same() -> None:
    result = scrapy_crawl("-h")
    assert result.returncode == 0
    assert_is_the_help(result.stdout, project_settings.JSONL_PATH)
    assert "-a NAME=VALUE" in result.stdout


# --- network failures: one line each, the real cause in the report ------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("kind", ["dns", "connection", "tls"])
def test_an_unreachable_host_is_one_line_per_failure_and_the_report_says_why(
    kind: str, replica: ReplicaServer, tmp_path: Path
) -> None:
    extra: list[str] = []
    if kind == "dns":
        base_url = "http://caliber.invalid"
        extra = ["-s", "TWISTED_DNS_RESOLVER=tests.fakedns.NoDnsResolver"]
    elif kind == "connection":
        base_url = f"http://127.0.0.1:{free_port()}"
    else:  # https to a port that speaks plain HTTP
        base_url = f"https://127.0.0.1:{replica.port}"
    dataset = tmp_path / "out.jsonl"

    result = crawl("-a", f"base_url={base_url}", "-s", f"JSONL_PATH={dataset}", *extra)
    log = result.stderr

    assert result.returncode == 1
    assert stat(log, "finish_reason") == "section_unreachable"
    lines = warnings_and_errors(log)
    robots = (
        f"[scrapy.downloadermiddlewares.robotstxt] WARNING: robots.txt could not be read ({kind}: "
    )
    assert lines[0].startswith(robots), lines[0]
    assert lines[0].endswith(f"): {base_url}/robots.txt; crawling as if it allowed all")
    assert lines[1:4] == [
        f"[caliber_world] ERROR: Listing page failed ({kind}): {base_url}{SECTION}",
        f"[caliber_world] ERROR: Listing page failed ({kind}): {base_url}{SECTION}?page=2",
        "[newscrawl.alarms] ERROR: Section unreachable: no listing page could be read"
        " (2 failed; see above)",
    ]
    assert lines[4] == "[caliber_world] ERROR: Run report (FAILED: section_unreachable):"
    assert lines[5:] == [
        f"[newscrawl] ERROR: run FAILED (section_unreachable): {UNREACHABLE[kind]}; exit code 1"
    ]
    assert f"  listing pages:      0 read, 0 with section cards; failed 2 ({kind} 2)\n" in log
    assert f"  robots.txt:         not read ({kind} 1); crawled as if it allowed all\n" in log
    assert f"  what to do:         {UNREACHABLE[kind]}\n" in log
    assert "Traceback" not in log
    assert "_CannotResolveHostError" not in log and "listing_Cannot" not in log


def test_a_stalled_host_is_waited_for_in_the_log_and_given_up_after_one_retry(
    tmp_path: Path,
) -> None:
    site = FaultySite(default_site(), {SECTION: Fault(stall=30)})
    with ReplicaServer(site) as server:
        result = crawl(
            "-a", f"base_url={server.base_url}", "-s", f"JSONL_PATH={tmp_path / 'out.jsonl'}",
            "-s", "DOWNLOAD_TIMEOUT=4.5",
        )  # fmt: skip
    log = result.stderr
    url = f"{server.base_url}{SECTION}"

    # A timeout is asked again CALIBER_TIMEOUT_RETRIES (1) times, not RETRY_TIMES (2).
    assert site.served[SECTION] == 2
    waiting = f"[newscrawl.extensions] INFO: Waiting for {url}: no answer for 3 s"
    assert [line.split(" ", 2)[2] for line in log.splitlines() if "Waiting for" in line] == [
        f"{waiting} (DOWNLOAD_TIMEOUT 4.5 s)"
    ] * 2
    assert f"[caliber_world] ERROR: Listing page failed (timeout): {url}\n" in log
    assert "failed 1 (timeout 1)" in log
    assert "Traceback" not in log


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (IgnoreRequest("Forbidden by robots.txt"), "robots_forbidden"),
        (OffsiteRefusedError("off-site request to http://x.invalid/ refused"), "offsite"),
        (DownloadCancelledError("Received 3000000 bytes which is larger than ..."), "too_large"),
        (ResponseDataLossError("Getting http://x/ failed: dataloss"), "truncated"),
        (DownloadTimeoutError("Getting http://x/ took longer than 15.0 seconds."), "timeout"),
        (DownloadConnectionRefusedError("Connection was refused"), "connection"),
        (VerificationError([]), "tls"),
        (UnsupportedURLSchemeError("Unsupported URL scheme 'ftp'"), "other"),
    ],
)
def test_failure_kinds(error: Exception, kind: str) -> None:
    assert error_kind(error) == kind
    assert kind in FAILURE_KINDS


def test_a_failure_of_no_known_kind_is_named_once_and_robots_failures_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    crawler = get_crawler(settings_dict={"CALIBER_TIMEOUT_RETRIES": 1})
    middleware = RetryMiddleware.from_crawler(crawler)
    page = Request("http://127.0.0.1:9/en/post/a")
    with caplog.at_level(logging.WARNING, logger="newscrawl.downloads"):
        assert middleware.process_exception(page, UnsupportedURLSchemeError("no 'gopher'")) is None
    assert caplog.messages == [
        "Download failed (other: UnsupportedURLSchemeError: no 'gopher'): "
        "http://127.0.0.1:9/en/post/a"
    ]
    robots = Request("http://127.0.0.1:9/robots.txt", meta={"dont_obey_robotstxt": True})
    assert middleware.process_exception(robots, TLSError("bad certificate")) is None
    assert crawler.stats.get_stats() == {"caliber_world/robots_txt_failed/tls": 1}


def test_the_defaults_give_up_a_stalled_request_well_under_a_minute() -> None:
    attempts = 1 + project_settings.CALIBER_TIMEOUT_RETRIES
    assert project_settings.DOWNLOAD_TIMEOUT * attempts <= 30


class GzipBomb:
    """Serves ``site``, but ``target`` as a small gzip body that inflates to 3 MiB."""

    def __init__(self, site: Site, target: str) -> None:
        self.site, self.target = site, target

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        answer = self.site.resolve(path, query)
        if path != self.target:
            return answer
        bomb = gzip.compress(b"<html>" + b" " * (3 * 1024 * 1024))
        return replace(answer, body=bomb, headers={**answer.headers, "Content-Encoding": "gzip"})


def test_a_gzip_bomb_is_too_large_in_one_line_and_not_asked_for_again(tmp_path: Path) -> None:
    slug = "japan-deploys-troops-to-help-tackle-surge-in-bear-attacks"
    dataset = tmp_path / "out.jsonl"
    with ReplicaServer(GzipBomb(default_site(), POST + slug)) as server:
        result = crawl("-a", f"base_url={server.base_url}", "-s", f"JSONL_PATH={dataset}")
    log = result.stderr
    url = f"{server.base_url}{POST}{slug}"

    assert result.returncode == 0, log[-3000:]
    assert warnings_and_errors(log) == [
        f"[caliber_world] ERROR: Article page failed (too_large): {url}; given up: it would be"
        " too large next time too"
    ]
    assert stat(log, "caliber_world/errors/article_too_large") == 1
    assert slug not in owed(dataset)
    assert "failed 1 (too_large 1)" in log


# --- progress -----------------------------------------------------------------------------------

PROGRESS = re.compile(
    r"\[newscrawl\.extensions\] INFO: progress: (\d+)/(\d+) articles \((\d+)%\), (\d+) listing"
    r" pages?, \d+\.\d articles/s(, ~\d+ (s|min|h) left)?$"
)


def test_progress_lines_replace_scrapys_crawled_pages_lines(tmp_path: Path) -> None:
    slow = {
        POST + "japan-deploys-troops-to-help-tackle-surge-in-bear-attacks": Fault(stall=3),
        POST + "ft-european-banks-step-up-lending-to-defence-industry": Fault(stall=3),
    }
    with ReplicaServer(FaultySite(default_site(), slow)) as server:
        result = crawl(
            "-a", f"base_url={server.base_url}", "-s", f"JSONL_PATH={tmp_path / 'out.jsonl'}",
            "-s", "CALIBER_PROGRESS_INTERVAL=1",
        )  # fmt: skip
    log = result.stderr
    assert result.returncode == 0, log[-3000:]

    lines = [line.split(" ", 2)[2] for line in log.splitlines() if "progress:" in line]
    assert lines, log[-3000:]
    for line in lines:
        match = PROGRESS.match(line)
        assert match is not None, line
        done, requested, share = int(match[1]), int(match[2]), int(match[3])
        assert done <= requested <= 19
        assert share == round(100 * done / requested)
    # The two stalled articles are still being waited for when the first lines are logged.
    assert int(PROGRESS.match(lines[0])[1]) < 19  # type: ignore[index]
    assert "Crawled " not in log


# --- feed export: what -O receives --------------------------------------------------------------


def test_the_feed_gets_exactly_the_articles_written_to_the_dataset_this_run(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "world.jsonl"
    base = ["-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}"]
    first = crawl(*base, "-a", "max_pages=1")
    assert first.returncode == 0, first.stderr[-3000:]
    stored = dataset.read_bytes()

    feed = tmp_path / "latest.jsonl"
    second = crawl(*base, "-O", str(feed))
    assert second.returncode == 0, second.stderr[-3000:]
    added = dataset.read_bytes()[len(stored) :].decode("utf-8").splitlines()
    assert added and [item["slug"] for item in read_jsonl(feed)] == [
        line.split('"slug": "', 1)[1].split('"', 1)[0] for line in added
    ]

    # Nothing new, even with since: the feed is empty (the dataset already holds every article).
    third = crawl(*base, "-a", "since=2020-01-01", "-O", str(feed))
    assert third.returncode == 0, third.stderr[-3000:]
    assert feed.read_bytes() == b""
    assert "  articles:           none requested\n" in third.stderr


# --- what the README says about output ----------------------------------------------------------

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_section(title: str) -> str:
    start = README.index(f"\n{title}\n")
    end = README.find("\n#", start + len(title) + 2)
    return README[start : end if end > 0 else None]


def test_the_readme_lists_the_exit_codes_the_command_gives() -> None:
    section = " ".join(readme_section("### Exit codes of `scrapy crawl`").split())
    for code, meaning in EXIT_CODES.items():
        assert f"`{code}` {meaning}" in section, code


def test_the_readme_lists_every_failure_kind_and_every_setting_of_the_help() -> None:
    faults = readme_section("### Faults and alarms")
    for kind in FAILURE_KINDS:
        assert f"`{kind}`" in faults, kind
    settings = readme_section("### Settings")
    for name in (*MAIN_SETTINGS, "CALIBER_PROGRESS_INTERVAL", "CALIBER_TIMEOUT_RETRIES"):
        assert re.search(rf"^\| [^|]*`{name}`", settings, re.M), name
    assert "| `DOWNLOAD_TIMEOUT` | `15` |" in settings
    arguments = readme_section("### Spider arguments")
    for field in fields(CrawlArguments):
        assert f"| `{field.name}` |" in arguments, field.name
    assert "| `help` |" in arguments


def test_a_locked_dataset_fails_visibly_as_the_readme_shows(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "caliber_world.jsonl"
    with dataset.with_name("caliber_world.jsonl.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another crawl is writing
        result = crawl("-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}")
    assert result.returncode == 1
    example = re.search(
        r"\n\S+ \S+ (\[newscrawl\] ERROR: run FAILED \(dataset_locked\).*)\n", README
    )
    assert example is not None
    assert last_line(result.stderr) == example[1].replace("/srv/news", str(tmp_path))
    report = json.loads(report_path(dataset).read_text(encoding="utf-8"))
    assert (report["close_reason"], report["exit_code"]) == ("dataset_locked", 1)
    assert report["verdict"] == last_line(result.stderr).split(" ERROR: ", 1)[1]


def test_a_locked_views_history_fails_visibly_too(replica: ReplicaServer, tmp_path: Path) -> None:
    dataset = tmp_path / "caliber_world.jsonl"
    with (tmp_path / "caliber_world.views.jsonl.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another crawl is writing the history
        result = crawl("-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}")
    assert result.returncode == 1
    assert last_line(result.stderr) == (
        f"[newscrawl] ERROR: run FAILED (views_locked): another crawl is writing the view-count"
        f" history beside {dataset}: this run wrote nothing and the next scheduled run catches up;"
        " two datasets sharing one VIEWS_PATH need one each; exit code 1"
    )
    assert not dataset.exists() or read_jsonl(dataset) == []

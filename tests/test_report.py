"""The run report: every card and article accounted for, in the log and in JSONL_PATH.report.json.

End to end against the replica with the faults of a real run (a 503, a 404, a PDF, a page cut
short, two pages without content), and the report's parts on their own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newscrawl import alarms, config, paging, revisits
from newscrawl import dataset as dataset_module
from newscrawl.alarms import filled
from newscrawl.extensions import report_path
from newscrawl.items import FIELDS
from newscrawl.replica import Fault, FaultySite, ReplicaServer, default_site
from newscrawl.report import FINISHED, HINTS, UNREACHABLE, build_report, exit_code, report_text
from tests.conftest import REPLICA_SITE, ROOT, load_json, read_jsonl
from tests.test_crawl import crawl, expected_articles
from tests.test_faults import POST, article_html, first_paragraph_end

SERVICE_UNAVAILABLE = "reuters-eu-and-uk-agree-to-coordinate-shadow-fleet-tanker-inspections"
NOT_FOUND = "finland-keeps-eastern-border-shut-as-winter-approaches"
PDF = "us-government-shutdown-stretches-into-record-sixth-week"
CUT_SHORT = "un-warns-afghan-quake-survivors-face-winter-without-shelter"
NO_CONTENT = "media-germany-moves-ahead-with-new-military-service-model"
HEADLINE_ONLY = "delhi-shifts-primary-classes-online-as-smog-thickens"


def faulty_site() -> FaultySite:
    """The replica with the faults of the README's example run."""
    return FaultySite(
        default_site(),
        {
            POST + SERVICE_UNAVAILABLE: Fault(status=503),
            POST + NOT_FOUND: Fault(status=404),
            POST + PDF: Fault(content_type="application/pdf"),
            POST + CUT_SHORT: Fault(cut_after=first_paragraph_end(article_html(CUT_SHORT))),
            POST + NO_CONTENT: Fault(body=b"<html><body><p>Nothing here.</p></body></html>"),
            POST + HEADLINE_ONLY: Fault(
                body=b'<html><body><div class="post"><h1 class="post_title">Smog</h1>'
                b"</div></body></html>"
            ),
        },
    )


@pytest.fixture
def faulty() -> Iterator[ReplicaServer]:
    with ReplicaServer(faulty_site()) as server:
        yield server


def report_block(log: str) -> list[str]:
    """The run report's lines as logged: its heading (without the log prefix), then its lines."""
    lines = log.splitlines()
    start = next(i for i, line in enumerate(lines) if "Run report (" in line)
    block = [lines[start][lines[start].index("Run report (") :]]
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        block.append(line)
    return block


def last_line(log: str) -> str:
    """The message of the log's last line."""
    return log.rstrip("\n").splitlines()[-1].split(": ", 1)[1]


def listed_cards() -> list[str]:
    folder = REPLICA_SITE / "en" / "category" / "world"
    return [
        card["slug"]
        for page in (1, 2, 3)
        for card in load_json(folder / f"page-{page}.expected.json")["articles"]
    ]


def fields_line(dataset: Path) -> str:
    items = read_jsonl(dataset)
    counts = ", ".join(f"{name} {sum(filled(i[name]) for i in items)}" for name in FIELDS)
    return f"  fields filled:      of {len(items)} written: {counts}"


def test_the_report_accounts_for_every_card_and_article(
    faulty: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "data" / "world.jsonl"
    before = datetime.now(UTC).replace(microsecond=0)
    result = crawl("-a", f"base_url={faulty.base_url}", "-s", f"JSONL_PATH={dataset}")
    log = result.stderr

    assert result.returncode == 0, log[-3000:]
    cards = listed_cards()
    requested = len(set(cards))
    failed = {SERVICE_UNAVAILABLE, NOT_FOUND, PDF, CUT_SHORT}
    refused = {NO_CONTENT, HEADLINE_ONLY}
    written = requested - len(failed) - len(refused)
    assert len(read_jsonl(dataset)) == written == 13
    saved = next((tmp_path / "data" / "failed-pages").iterdir())
    assert report_block(log) == [
        "Run report (finished):",
        "  listing pages:      5 read, 3 with section cards",
        f"  section cards:      listed {len(cards)} = requested {requested} + listed twice 1",
        "  other cards:        2 (other sections 2)",
        f"  articles:           requested {requested} = written {written} + refused 2"
        " + failed 4 (http_404 1, http_503 1, not_html 1, truncated 1)",
        "  owed to next run:   4 (asked for again by the next run)",
        "  pages cut short:    1",
        f"  failing pages:      2 saved in {saved}",
        f"  dataset:            {dataset} holds {written} articles",
        fields_line(dataset),
    ]
    assert "INFO: Run report (finished):" in log
    # The 503, the page cut short and the two without content are owed; the 404 and the PDF not.
    state = load_json(dataset.with_name("world.jsonl.state.json"))
    assert sorted(state["owed"]) == sorted({SERVICE_UNAVAILABLE, CUT_SHORT} | refused)
    assert (
        log.rstrip("\n")
        .splitlines()[-1]
        .endswith(
            "[newscrawl] INFO: run finished: 13 new articles, 4 owed to the next run; exit code 0"
        )
    )

    report = json.loads(report_path(dataset).read_text(encoding="utf-8"))
    assert report["close_reason"] == "finished"
    assert (report["finished"], report["exit_code"], report["hint"]) == (True, 0, None)
    assert report["verdict"] == "run finished: 13 new articles, 4 owed to the next run; exit code 0"
    assert report["section_cards"] == {
        "listed": 20,
        "requested": 19,
        "already_stored": 0,
        "older_than_since": 0,
        "listed_twice": 1,
    }
    assert report["articles"] == {
        "requested": 19,
        "from_listing_pages": 19,
        "owed_by_earlier_runs": 0,
        "written": 13,
        "refused": 2,
        "invalid": 0,
        "duplicate": 0,
        "older_than_since": 0,
        "redirected_to_listed": 0,
        "not_written": 0,
        "failed": 4,
        "failed_by_kind": {"http_404": 1, "http_503": 1, "not_html": 1, "truncated": 1},
        "unaccounted": 0,
    }
    assert report["listing_pages"] == {
        "read": 5,
        "with_section_cards": 3,
        "page_1_asked_again": 0,
        "failed_by_kind": {},
    }
    assert report["owed_to_next_run"] == 4
    assert report["pages_cut_short"] == 1
    assert report["failed_pages"] == {"saved": 2, "folder": str(saved)}
    assert report["dataset"] == {"path": str(dataset), "articles": 13}
    assert report["alarms"] == []
    assert report["text"] == report_block(log)
    assert report["stats"]["caliber_world/items_written"] == 13
    started = datetime.fromisoformat(report["started_at"])
    finished = datetime.fromisoformat(report["finished_at"])
    assert before <= started <= finished <= datetime.now(UTC)
    assert not list(dataset.parent.glob("*.tmp"))


def test_a_failed_run_reports_at_error_with_what_to_do_and_its_exit_code(
    faulty: ReplicaServer, tmp_path: Path
) -> None:
    dataset = tmp_path / "world.jsonl"
    first = crawl("-a", f"base_url={faulty.base_url}", "-s", f"JSONL_PATH={dataset}")
    assert first.returncode == 0, first.stderr[-3000:]

    # The next run asks again for what it owes: the same pages fail, and the two without content
    # are all the article pages it parses: the required fields' coverage alarm fires.
    second = crawl(
        "-a", f"base_url={faulty.base_url}", "-s", f"JSONL_PATH={dataset}", "-L", "WARNING"
    )  # fmt: skip
    log = second.stderr

    assert second.returncode == 1
    alarm = re.search(r"ERROR: (Markup drift: .*)", log)
    assert alarm is not None
    saved = sorted((tmp_path / "failed-pages").iterdir())[-1]
    assert alarm[1].endswith(f"; failing pages saved in {saved}")
    assert report_block(log) == [
        "Run report (FAILED: markup_drift):",
        "  listing pages:      5 read, 3 with section cards",
        "  section cards:      listed 20 = requested 2 + already stored 13"
        " + listed twice or owed 5",
        "  other cards:        2 (other sections 2)",
        "  articles:           requested 6 (2 from listing pages, 4 owed by earlier runs)"
        " = refused 2 + failed 4 (http_404 1, http_503 1, not_html 1, truncated 1)",
        "  owed to next run:   4 (asked for again by the next run)",
        "  pages cut short:    1",
        f"  failing pages:      2 saved in {saved}",
        f"  alarms:             {alarm[1]}",
        f"  dataset:            {dataset} holds 13 articles",
        "  what to do:         the site's markup moved: compare the saved failing pages with the"
        " selector the alarm names and override it with CALIBER_SELECTORS; articles refused"
        " meanwhile are owed and fetched again once it is mended",
    ]
    # -L WARNING: the failed run's report (ERROR) is there, and its verdict is the last line.
    assert "ERROR: Run report (FAILED: markup_drift):" in log
    last = log.rstrip("\n").splitlines()[-1]
    assert last.endswith(
        "[newscrawl] ERROR: run FAILED (markup_drift): the site's markup moved: compare the saved"
        " failing pages with the selector the alarm names and override it with CALIBER_SELECTORS;"
        " articles refused meanwhile are owed and fetched again once it is mended; exit code 1"
    )
    report = json.loads(report_path(dataset).read_text(encoding="utf-8"))
    assert (report["close_reason"], report["finished"], report["exit_code"]) == (
        "markup_drift",
        False,
        1,
    )
    assert report["alarms"] == [alarm[1]]
    assert report["articles"]["owed_by_earlier_runs"] == 4


def test_a_run_with_nothing_new_says_so_without_empty_field_counts(
    tmp_path: Path,
) -> None:
    dataset = tmp_path / "world.jsonl"
    with ReplicaServer(default_site()) as replica:
        first = crawl("-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}")
        assert first.returncode == 0, first.stderr[-3000:]
        second = crawl("-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}")
    assert second.returncode == 0, second.stderr[-3000:]
    page_1_and_2 = listed_cards()[:14]
    stored = len(set(page_1_and_2))
    assert report_block(second.stderr) == [
        "Run report (finished):",
        "  listing pages:      2 read, 2 with section cards",
        f"  section cards:      listed {len(page_1_and_2)} = already stored {stored}"
        f" + listed twice {len(page_1_and_2) - stored}",
        "  other cards:        2 (other sections 2)",
        "  articles:           none requested",
        f"  dataset:            {dataset} holds {len(expected_articles('x'))} articles",
    ]
    assert "fields filled" not in second.stderr
    assert (
        second.stderr.rstrip("\n")
        .splitlines()[-1]
        .endswith("[newscrawl] INFO: run finished: nothing new; exit code 0")
    )


def stats(**counts: int) -> dict[str, Any]:
    return {f"caliber_world/{key.replace('__', '/')}": value for key, value in counts.items()}


def test_a_run_stopped_midway_shows_what_it_did_not_do() -> None:
    report = build_report(
        stats(
            listing_pages=2,
            listing_pages_with_cards=2,
            articles_requested=30,
            articles_already_stored=4,
            articles_owed_retried=2,
            cards_duplicate=1,
            items_written=20,
            errors__article_timeout=3,
            errors__listing_http_503=1,
            robots_txt_failed__timeout=1,
            articles_given_up=1,
            revisits_due=4,
            revisits_done=3,
        ),
        reason="shutdown",
        owed=12,
        dataset_path="/srv/news/world.jsonl",
        dataset_articles=120,
    )
    assert report_text(report).splitlines() == [
        "Run report (FAILED: shutdown):",
        "  listing pages:      2 read, 2 with section cards; failed 1 (http_503 1)",
        "  robots.txt:         not read (timeout 1); crawled as if it allowed all",
        "  section cards:      listed 35 = requested 30 + already stored 4"
        " + listed twice or owed 1",
        "  articles:           requested 32 (30 from listing pages, 2 owed by earlier runs)"
        " = written 20 + failed 3 (timeout 3) + not done (run stopped) 9",
        "  owed to next run:   12 (asked for again by the next run)",
        "  given up:           1 (failed CALIBER_OWED_MAX_RUNS runs; not asked again)",
        "  revisits:           due 4, done 3",
        "  dataset:            /srv/news/world.jsonl holds 120 articles",
        "  fields filled:      of 20 written: url 0, slug 0, language 0, section 0, headline 0,"
        " published_at 0, author 0, cited_sources 0, views 0, body 0, image_url 0, crawled_at 0",
        "  what to do:         stopped by a signal (Ctrl-C, kill, a Scrapyd cancel) before the"
        " end: the next run reads on to the end of the section",
    ]
    assert report["exit_code"] == 1
    assert report["verdict"] == (
        "run FAILED (shutdown): stopped by a signal (Ctrl-C, kill, a Scrapyd cancel) before the"
        " end: the next run reads on to the end of the section; exit code 1"
    )


def test_the_hint_names_the_dataset_and_the_exit_code_follows_the_reason() -> None:
    locked = build_report(
        stats(errors__dataset_locked=1), reason="dataset_locked", dataset_path="/srv/w.jsonl"
    )
    assert locked["hint"] == (
        "another crawl is writing /srv/w.jsonl: this run wrote nothing and the next scheduled run"
        " catches up; if no crawl is running, see who holds the lock (fuser /srv/w.jsonl.lock)"
    )
    assert report_text(locked).splitlines()[4] == "  other errors:       dataset_locked 1"
    assert build_report({}, reason="dataset_mismatch")["exit_code"] == 2
    unreachable = build_report(stats(errors__listing_dns=2), reason="section_unreachable")
    assert unreachable["hint"] == (
        "the host could not be resolved (dns): check base_url and this machine's network and DNS"
    )


def test_the_readme_example_is_what_the_crawl_prints(faulty: ReplicaServer, tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("```\nRun report (finished):\n", 1)[1].split("```", 1)[0]
    dataset = tmp_path / "caliber_world.jsonl"
    result = crawl("-a", f"base_url={faulty.base_url}", "-s", f"JSONL_PATH={dataset}")
    assert result.returncode == 0, result.stderr[-3000:]
    saved = next((tmp_path / "failed-pages").iterdir())
    printed = "\n".join(report_block(result.stderr)[1:]) + "\n"
    printed = printed.replace(str(saved), "/srv/news/failed-pages/20251107T110300Z")
    assert printed.replace(str(tmp_path), "/srv/news") == example
    verdict = last_line(result.stderr)
    assert verdict == "run finished: 13 new articles, 4 owed to the next run; exit code 0"
    assert f"`{verdict}`" in " ".join(readme.split())
    # The keys of report.json, as the README lists them.
    listed = " ".join(readme.split()).split("with these keys: ", 1)[1].split("`stats`.", 1)[0]
    names = re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", listed + "`stats`"))
    assert names == list(json.loads(report_path(dataset).read_text(encoding="utf-8")))


def test_what_to_do_names_only_settings_the_readme_lists_as_in_use() -> None:
    # The hints named CALIBER_PAGE_PARAM after it was retired for CALIBER_PAGE_URL.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = {
        name
        for text in (*HINTS.values(), *UNREACHABLE.values())
        for name in re.findall(r"\b(?:CALIBER|JSONL|NEWSCRAWL|VIEWS)_[A-Z_]+\b", text)
    }
    assert {"CALIBER_PAGE_URL", "CALIBER_SELECTORS", "CALIBER_SECTION_PATH"} <= named
    for name in named:
        row = re.search(rf"^\| `{name}` \| ([^|]*) \|", readme, re.M)
        assert row is not None and row[1] != "retired", name


CLOSE_REASONS = (
    alarms.DRIFT,
    alarms.TOO_FEW,
    alarms.SPIDER_ERROR,
    alarms.UNREACHABLE,
    dataset_module.LOCKED,
    dataset_module.UNWRITABLE,
    dataset_module.MISMATCH,
    dataset_module.WRITE_FAILED,
    paging.PAGING_REPEATS,
    paging.LISTING_CEILING,
    revisits.VIEWS_LOCKED,
    config.BAD_SETTINGS,
)


def test_every_close_reason_says_what_to_do_and_the_readme_gives_its_exit_code() -> None:
    # views_locked had no hint ("see the ERROR lines above") and no README row.
    assert set(CLOSE_REASONS) <= set(HINTS)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exit codes of `scrapy crawl`", 1)[1].split("\n### ", 1)[0]
    rows = {
        reason: int(code)
        for names, code in re.findall(r"^\| (`[^|]*`) \| (\d) \|", section, re.M)
        for reason in re.findall(r"`([a-z_]+)`", names)
    }
    assert rows == {reason: exit_code(reason) for reason in (FINISHED, *HINTS)}

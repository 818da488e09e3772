"""The README's claims that no crawl test covers: its links, examples, snippets and lists."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from newscrawl import config
from newscrawl.arguments import BadArgumentError
from newscrawl.items import FIELDS
from newscrawl.replica import ReplicaServer, default_site
from newscrawl.replica.variants import PathPagingSite
from newscrawl.site import DEFAULT_BASE_URL as LIVE
from tests.conftest import REPLICA_SITE, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README's text from the heading ``title`` to the next heading of any level."""
    start = README.index(f"\n{title}\n")
    end = README.find("\n#", start + len(title) + 2)
    return README[start : end if end > 0 else None]


def code_blocks(text: str, language: str) -> list[str]:
    """The fenced blocks of ``language`` (a regular expression, e.g. ``python``) in ``text``."""
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.

    >>> anchor("Exit codes of `scrapy crawl`")
    'exit-codes-of-scrapy-crawl'
    """
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_resolves() -> None:
    outside_code = re.sub(r"```.*?```", "", README, flags=re.S)
    anchors = {anchor(heading) for heading in re.findall(r"^#+ (.*)$", outside_code, re.M)}
    links = re.findall(r"\]\(([^)\s]+)\)", outside_code)
    assert links
    for link in links:
        if link.startswith("#"):
            assert link[1:] in anchors, link
        elif not link.startswith("https://"):
            assert (ROOT / link).exists(), link


def test_each_setting_has_one_row() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \|", README, re.M)
    assert "JSONL_PATH" in rows
    repeated = sorted({row for row in rows if rows.count(row) > 1})
    assert repeated == []


def replica_item(path: Path) -> dict[str, Any]:
    item: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return item


def test_the_editions_records_are_the_replicas_as_crawled_from_the_live_host() -> None:
    lines = code_blocks(section("## Editions: English and Russian"), "json")[0].splitlines()
    assert [json.loads(line)["language"] for line in lines] == ["en", "ru"]
    for line in lines:
        shown = json.loads(line)
        assert list(shown) == list(FIELDS)
        folder = "en/post" if shown["language"] == "en" else "post"
        expected = replica_item(REPLICA_SITE / folder / f"{shown['slug']}.expected.json")
        for name in FIELDS:
            if name == "body":  # shortened with an ellipsis
                for part in shown["body"].split("…"):
                    assert part.strip("\n") in expected["body"]
            elif name not in ("crawled_at",):
                assert shown[name] == expected[name], name


def test_the_views_history_example_is_consistent() -> None:
    history = section("## View counts over time: the history")
    keys = re.findall(r"^\| `([a-z_`, ]+)` \|", history, re.M)
    table = [key.strip("` ") for row in keys for key in row.split(",")]
    line = json.loads(code_blocks(history, "json")[0])
    assert list(line) == table
    published = datetime.fromisoformat(line["published_at"])
    observed = datetime.fromisoformat(line["observed_at"].replace("Z", "+00:00"))
    assert line["age_seconds"] == (observed - published).total_seconds()


def readings(slug: str, *ages: int) -> list[str]:
    return [
        json.dumps({"slug": slug, "views": age // 60, "age_seconds": age}) + "\n" for age in ages
    ]


def test_the_dataset_reader_runs_as_shown(tmp_path: Path) -> None:
    dataset = tmp_path / "caliber_world.jsonl"
    dataset.write_text('{"slug": "a"}\n{"slug": "b", "torn\n{"slug": "c"', encoding="utf-8")
    snippet = code_blocks(section("### Reading the dataset while a crawl appends"), "python")[0]
    snippet = snippet.replace("/srv/news/caliber_world.jsonl", str(dataset))
    seen: list[dict[str, Any]] = []
    exec(snippet + "        seen.append(article)\n", {"seen": seen})
    assert seen == [{"slug": "a"}]


LINES = readings("a", 0, 3_600, 86_500, 90_000) + readings("b", 60)
HISTORY = code_blocks(section("### Reading the history"), "python")


def test_the_history_reader_runs_as_shown(tmp_path: Path) -> None:
    history = tmp_path / "caliber_world.views.jsonl"
    history.write_text("".join(LINES) + '{"slug": "a"', encoding="utf-8")  # a torn last line
    python = HISTORY
    scope: dict[str, Any] = {}
    exec(python[0].replace("/srv/news/caliber_world.views.jsonl", str(history)), scope)
    assert {slug: r["age_seconds"] for slug, r in scope["at_1d"].items()} == {"a": 86_500}
    assert {slug: r["age_seconds"] for slug, r in scope["latest"].items()} == {
        "a": 90_000,
        "b": 60,
    }


def test_the_pandas_lines_run_as_shown(tmp_path: Path) -> None:
    pandas = pytest.importorskip("pandas")  # not a dependency
    history = tmp_path / "caliber_world.views.jsonl"
    history.write_text("".join(LINES), encoding="utf-8")
    scope = {"pd": pandas}
    exec(HISTORY[1].replace('"caliber_world.views.jsonl"', repr(str(history))), scope)
    assert scope["at_1d"].age_seconds.tolist() == [86_500]
    assert scope["latest"].age_seconds.tolist() == [90_000, 60]


def test_the_probe_example_has_the_lines_a_probe_prints() -> None:
    lines = [line.strip() for line in section("### Against the live site").splitlines()]
    first = next(n for n, line in enumerate(lines) if line.startswith("FAIL "))
    shown = lines[first : lines.index("```", first)]
    assert shown[-1].startswith("Verdict: ")
    with ReplicaServer(PathPagingSite(default_site())) as server:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "probe", "--base-url", server.base_url,
             "-s", "DOWNLOAD_DELAY=0"],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert result.returncode == 1
    printed = [line.strip() for line in result.stdout.replace(server.base_url, LIVE).splitlines()]
    for line in shown:  # the live site's numbers differ: the text up to the first number
        start = re.split(r"\d+ (?:cards|requests)", line, maxsplit=1)[0]
        assert any(text.startswith(start) for text in printed), line


def test_the_settings_that_may_be_0_are_the_ones_named() -> None:
    text = " ".join(section("### Settings").split())
    named = text.split("whole numbers of at least 1 (", 1)[1].split(" may be 0", 1)[0]
    zero = set(re.findall(r"`([A-Z_]+)`", named))
    assert "CALIBER_TIMEOUT_RETRIES" in zero
    for name in zero:
        assert config.SETTINGS[name].parse_value("0") == 0, name
    for name in (
        "CALIBER_EMPTY_PAGES_TO_STOP",
        "CALIBER_OWED_MAX_RUNS",
        "CALIBER_MAX_LISTING_PAGES",
    ):
        with pytest.raises(BadArgumentError, match=f"^{name} must be a whole number of at least 1"):
            config.SETTINGS[name].parse_value("0")

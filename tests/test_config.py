"""Project settings: every one parsed by its own function, all checked before a crawl starts."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from newscrawl import config
from newscrawl import settings as project_settings
from newscrawl.alarms import MarkupAlarm
from newscrawl.arguments import BadArgumentError
from newscrawl.replica import ReplicaServer, default_site
from newscrawl.selectors import DEFAULT_SELECTORS
from tests.conftest import ROOT, crawl_command
from tests.test_security import issue

# Per setting: values it takes (with what they parse to) and values it refuses (with the message).
GOOD: dict[str, list[tuple[Any, Any]]] = {
    "JSONL_PATH": [
        ("data/world.jsonl", Path("data/world.jsonl")),
        (Path("/srv/w.jsonl"), Path("/srv/w.jsonl")),
    ],
    "JSONL_INDEX_PATH": [(None, None), ("", None), ("/srv/w.index", Path("/srv/w.index"))],
    "NEWSCRAWL_CONTACT": [("", ""), (" ops@example.org ", "ops@example.org"), (None, "")],
    "CALIBER_SECTION_PATH": [
        ("/en/category/world", "/en/category/world"),
        ("/mir", "/mir"),
        ("", ""),
    ],
    "CALIBER_SECTION_LABEL": [("WORLD", "WORLD"), ("МИР", "МИР"), ("", "")],
    "CALIBER_PAGE_URL": [
        ("{section}?page={page}", "{section}?page={page}"),
        ("{section}/page/{page}", "{section}/page/{page}"),
    ],
    "CALIBER_PAGE_PARAM": [(None, None)],
    "CALIBER_MAX_LISTING_PAGES": [("5000", 5000), (1, 1)],
    "CALIBER_SELECTORS": [
        ({}, dict(DEFAULT_SELECTORS)),
        ('{"HEADLINE": "h1.title"}', {**DEFAULT_SELECTORS, "HEADLINE": "h1.title"}),
    ],
    "CALIBER_ARTICLE_PATH_RE": [(r"/post/(?P<slug>[^/]+)$", r"/post/(?P<slug>[^/]+)$"), ("", "")],
    "CALIBER_EMPTY_PAGES_TO_STOP": [("1", 1), (2, 2), (" 3 ", 3)],
    "CALIBER_STALE_PAGES_TO_STOP": [("0", 0), (2, 2)],
    "CALIBER_OWED_MAX_RUNS": [("1", 1), (5, 5)],
    "CALIBER_MIN_ITEMS": [("0", 0), (1, 1), ("25", 25)],
    "CALIBER_REQUIRED_COVERAGE": [("0.5", 0.5), (1, 1.0), (0, 0.0), ("1e-1", 0.1)],
    "CALIBER_FIELD_COVERAGE": [
        (
            {"author": 0, "views": 0.0, "cited_sources": 0},
            {"author": 0.0, "views": 0.0, "cited_sources": 0.0},
        ),
        ('{"author": 0.5}', {"author": 0.5}),
        ({"views": "0.25", "body": 1}, {"views": 0.25, "body": 1.0}),
        ("{}", {}),
    ],
    "CALIBER_REFUSE_MISSING_REQUIRED": [("1", 1), (2, 2), ("4", 4)],
    "CALIBER_FAILED_PAGES_DIR": [("", None), ("/srv/failed", Path("/srv/failed"))],
    "CALIBER_FAILED_PAGES_MAX": [("0", 0), (5, 5)],
    "CALIBER_TLS_VERIFY": [(True, True), ("False", False), ("0", False), ("yes", True), (0, False)],
    "CALIBER_TLS_CA_FILE": [("", None), (None, None)],
    "VIEWS_PATH": [(None, None), ("/srv/w.views.jsonl", Path("/srv/w.views.jsonl"))],
    "CALIBER_REVISIT_AGES": [("1h,6h,1d,3d,7d", (3600, 21600, 86400, 259200, 604800)), ("", ())],
    "CALIBER_REVISIT_MAX": [("100", 100), ("0", 0)],
    "CALIBER_PROGRESS_INTERVAL": [("60", 60.0), (0, 0.0), ("0.5", 0.5)],
    "CALIBER_TIMEOUT_RETRIES": [("1", 1), (0, 0)],
}
BAD: dict[str, list[tuple[Any, str]]] = {
    "JSONL_PATH": [
        ("", "JSONL_PATH must be the path of a file, got ''"),
        ("data/", "JSONL_PATH must be the path of a file, got 'data/'"),
        (5, "JSONL_PATH must be the path of a file, got 5"),
    ],
    "JSONL_INDEX_PATH": [("idx/", "JSONL_INDEX_PATH must be the path of a file, got 'idx/'")],
    "NEWSCRAWL_CONTACT": [
        (
            "ops@example.org\r\nX-Evil: 1",
            "NEWSCRAWL_CONTACT must be one line of text (an e-mail or URL),"
            " got 'ops@example.org\\r\\nX-Evil: 1'",
        ),
        (["a"], "NEWSCRAWL_CONTACT must be one line of text (an e-mail or URL), got ['a']"),
    ],
    "CALIBER_SECTION_PATH": [
        (
            "en/category/world",
            "CALIBER_SECTION_PATH must be a URL path starting with / (no query, fragment or"
            " space), got 'en/category/world'",
        ),
        (
            "/en/category/world?x=1",
            "CALIBER_SECTION_PATH must be a URL path starting with / (no query, fragment or"
            " space), got '/en/category/world?x=1'",
        ),
    ],
    "CALIBER_SECTION_LABEL": [(" ", "CALIBER_SECTION_LABEL must be one line of text, got ' '")],
    "CALIBER_PAGE_URL": [
        (
            "{section}?page=2",
            "CALIBER_PAGE_URL must be a URL template such as {section}?page={page} or"
            " {section}/page/{page} (placeholders {section}, {page}, {base}) that must hold"
            " {page}, got '{section}?page=2'",
        )
    ],
    "CALIBER_PAGE_PARAM": [
        (
            "p",
            "CALIBER_PAGE_PARAM is retired: set CALIBER_PAGE_URL instead (default"
            " {section}?page={page}), here -s 'CALIBER_PAGE_URL={section}?p={page}'",
        )
    ],
    "CALIBER_MAX_LISTING_PAGES": [
        ("0", "CALIBER_MAX_LISTING_PAGES must be a whole number of at least 1, got '0'")
    ],
    "CALIBER_SELECTORS": [
        (
            '{"HEADLNE": "h1"}',
            "CALIBER_SELECTORS must name known selectors, got 'HEADLNE' (did you mean"
            " 'HEADLINE'? python -m newscrawl.selectors lists them)",
        ),
        (
            '{"HEADLINE": "h1["}',
            "CALIBER_SELECTORS[\"HEADLINE\"] must be CSS that selects elements, got 'h1['"
            " (Expected ident or '*', got <EOF at 3>)",
        ),
    ],
    "CALIBER_ARTICLE_PATH_RE": [
        (
            "/post/([^/]+)",
            "CALIBER_ARTICLE_PATH_RE must be a regular expression with a group (?P<slug>...),"
            " got '/post/([^/]+)'",
        ),
        (
            "/post/(?P<slug>",
            "CALIBER_ARTICLE_PATH_RE must be a regular expression with a group (?P<slug>...),"
            " got '/post/(?P<slug>'",
        ),
    ],
    "CALIBER_EMPTY_PAGES_TO_STOP": [
        ("0", "CALIBER_EMPTY_PAGES_TO_STOP must be a whole number of at least 1, got '0'"),
        ("two", "CALIBER_EMPTY_PAGES_TO_STOP must be a whole number of at least 1, got 'two'"),
        ("2.5", "CALIBER_EMPTY_PAGES_TO_STOP must be a whole number of at least 1, got '2.5'"),
        (True, "CALIBER_EMPTY_PAGES_TO_STOP must be a whole number of at least 1, got True"),
    ],
    "CALIBER_STALE_PAGES_TO_STOP": [
        ("-1", "CALIBER_STALE_PAGES_TO_STOP must be a whole number of at least 0, got '-1'")
    ],
    "CALIBER_OWED_MAX_RUNS": [
        ("0", "CALIBER_OWED_MAX_RUNS must be a whole number of at least 1, got '0'")
    ],
    "CALIBER_MIN_ITEMS": [("", "CALIBER_MIN_ITEMS must be a whole number of at least 0, got ''")],
    "CALIBER_REQUIRED_COVERAGE": [
        ("nan", "CALIBER_REQUIRED_COVERAGE must be a number from 0 to 1, got 'nan'"),
        ("inf", "CALIBER_REQUIRED_COVERAGE must be a number from 0 to 1, got 'inf'"),
        ("1.5", "CALIBER_REQUIRED_COVERAGE must be a number from 0 to 1, got '1.5'"),
        ("-0.1", "CALIBER_REQUIRED_COVERAGE must be a number from 0 to 1, got '-0.1'"),
        ("half", "CALIBER_REQUIRED_COVERAGE must be a number from 0 to 1, got 'half'"),
        (None, "CALIBER_REQUIRED_COVERAGE must be a number from 0 to 1, got None"),
    ],
    "CALIBER_FIELD_COVERAGE": [
        (
            {"authr": 0.5},
            "CALIBER_FIELD_COVERAGE has an unknown field 'authr' (known: author, views,"
            " cited_sources, image_url, headline, published_at, section, body)",
        ),
        (
            '{"views": NaN}',
            "CALIBER_FIELD_COVERAGE['views'] must be a number from 0 to 1, got nan",
        ),
        (
            "author=0.5",
            'CALIBER_FIELD_COVERAGE must be a JSON object of field: share such as {"author": 0.5},'
            " got 'author=0.5'",
        ),
        (
            "[0.5]",
            'CALIBER_FIELD_COVERAGE must be a JSON object of field: share such as {"author": 0.5},'
            " got '[0.5]'",
        ),
    ],
    "CALIBER_REFUSE_MISSING_REQUIRED": [
        ("0", "CALIBER_REFUSE_MISSING_REQUIRED must be a whole number from 1 to 4, got '0'"),
        ("5", "CALIBER_REFUSE_MISSING_REQUIRED must be a whole number from 1 to 4, got '5'"),
    ],
    "CALIBER_FAILED_PAGES_DIR": [
        (["x"], "CALIBER_FAILED_PAGES_DIR must be the path of a folder, got ['x']")
    ],
    "CALIBER_FAILED_PAGES_MAX": [
        ("-1", "CALIBER_FAILED_PAGES_MAX must be a whole number of at least 0, got '-1'")
    ],
    "CALIBER_TLS_VERIFY": [
        ("maybe", "CALIBER_TLS_VERIFY must be true or false, got 'maybe'"),
        ("2", "CALIBER_TLS_VERIFY must be true or false, got '2'"),
    ],
    "CALIBER_TLS_CA_FILE": [
        (
            "/nonexistent/ca.pem",
            "CALIBER_TLS_CA_FILE must be a readable PEM file of CA certificates,"
            " got '/nonexistent/ca.pem'",
        ),
    ],
    "VIEWS_PATH": [([1], "VIEWS_PATH must be the path of a file, got [1]")],
    "CALIBER_REVISIT_AGES": [
        (
            "1w",
            "CALIBER_REVISIT_AGES must be ages after publication such as 1h,6h,1d,3d,7d (a whole"
            " number of at least 1 and a unit s, m, h or d; empty: no revisits), got '1w'",
        )
    ],
    "CALIBER_REVISIT_MAX": [
        ("-1", "CALIBER_REVISIT_MAX must be a whole number of at least 0 (0: no limit), got '-1'")
    ],
    "CALIBER_PROGRESS_INTERVAL": [
        ("soon", "CALIBER_PROGRESS_INTERVAL must be a number of seconds, at least 0, got 'soon'"),
        ("nan", "CALIBER_PROGRESS_INTERVAL must be a number of seconds, at least 0, got 'nan'"),
    ],
    "CALIBER_TIMEOUT_RETRIES": [
        ("-1", "CALIBER_TIMEOUT_RETRIES must be a whole number of at least 0, got '-1'")
    ],
}


def test_every_setting_has_good_and_bad_examples() -> None:
    assert list(GOOD) == list(config.SETTINGS)
    assert list(BAD) == list(config.SETTINGS)
    assert all(GOOD[name] and BAD[name] for name in config.SETTINGS)


@pytest.mark.parametrize(
    ("name", "value", "parsed"),
    [(name, value, parsed) for name, cases in GOOD.items() for value, parsed in cases],
)
def test_setting_takes_a_good_value(name: str, value: Any, parsed: Any) -> None:
    assert config.SETTINGS[name].parse_value(value) == parsed


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [(name, value, message) for name, cases in BAD.items() for value, message in cases],
)
def test_setting_refuses_a_bad_value_in_one_line_naming_it(
    name: str, value: Any, message: str
) -> None:
    with pytest.raises(BadArgumentError) as refused:
        config.SETTINGS[name].parse_value(value)
    assert str(refused.value) == message
    # Through Scrapy's settings too, as -s gives it.
    with pytest.raises(BadArgumentError) as refused:
        config.validate_settings(Settings({name: value}))
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "CALIBER_FIELD_COVERAGE",
            "[" * 5000,
            "CALIBER_FIELD_COVERAGE cannot be read (RecursionError), got '" + "[" * 57 + "…'",
        ),
        (
            "CALIBER_ARTICLE_PATH_RE",
            "(?P<slug>a{99999999999})",
            "CALIBER_ARTICLE_PATH_RE cannot be read (OverflowError),"
            " got '(?P<slug>a{99999999999})'",
        ),
        (
            "CALIBER_REVISIT_AGES",
            [3600],
            "CALIBER_REVISIT_AGES cannot be read (TypeError), got [3600]",
        ),
    ],
)
def test_a_value_no_parser_foresaw_is_still_one_line(name: str, value: Any, message: str) -> None:
    with pytest.raises(BadArgumentError) as refused:
        config.validate_settings(Settings({name: value}))
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("name", "value"),
    [("CALIBER_REVISIT_AGES", "1h," * 20_000), ("CALIBER_REVISIT_MAX", "x" * 100_000)],
)
def test_a_huge_bad_value_is_quoted_cut_short(name: str, value: str) -> None:
    with pytest.raises(BadArgumentError) as refused:
        config.validate_settings(Settings({name: value}))
    assert str(refused.value).startswith(name + " must be ")
    assert len(str(refused.value)) <= len(name) + 1 + 300 and str(refused.value).endswith("…")


def test_a_ca_file_must_hold_a_certificate(tmp_path: Path) -> None:
    ca = issue(tmp_path, "ca", None).cert.read_text()
    pem = tmp_path / "ca.pem"
    pem.write_text(ca)
    assert config.TLS_CA_FILE.parse_value(str(pem)) == pem
    lying = [
        "not a certificate\n",
        "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n",
        ca.split("-----END", maxsplit=1)[0],  # no END: no certificate
    ]
    for text in lying:
        pem.write_text(text)
        with pytest.raises(BadArgumentError, match=r"^CALIBER_TLS_CA_FILE must be a readable PEM"):
            config.TLS_CA_FILE.parse_value(str(pem))


def test_the_project_defaults_parse_and_every_project_setting_is_declared() -> None:
    parsed = config.Config.from_settings(get_project_settings())
    assert parsed[config.EMPTY_PAGES_TO_STOP] == 2
    assert parsed[config.REQUIRED_COVERAGE] == 0.5
    assert parsed[config.FIELD_COVERAGE] == {"author": 0.0, "views": 0.0, "cited_sources": 0.0}
    assert parsed[config.JSONL_PATH] == Path("data/caliber_world.jsonl")
    assert parsed[config.TLS_VERIFY] is True
    assert parsed[config.TLS_CA_FILE] is None
    in_settings_py = [name for name in dir(project_settings) if name.startswith(config.PREFIXES)]
    assert sorted(in_settings_py) == sorted(config.SETTINGS)


def test_an_absent_setting_reads_its_default_from_settings_py() -> None:
    # A bare Settings (another settings module, a script) still gets the project's defaults.
    parsed = config.Config.from_settings(Settings())
    assert parsed[config.OWED_MAX_RUNS] == project_settings.CALIBER_OWED_MAX_RUNS == 5
    assert parsed[config.MIN_ITEMS] == 1


def test_a_mistyped_project_setting_is_refused_with_a_hint() -> None:
    with pytest.raises(BadArgumentError) as refused:
        config.validate_settings(Settings({"CALIBER_MIN_ITEM": "3"}))
    assert str(refused.value) == (
        "CALIBER_MIN_ITEM is not a setting of newscrawl (did you mean CALIBER_MIN_ITEMS?)"
    )
    config.validate_settings(Settings({"LOG_LEVEL": "INFO", "CALIBER_MIN_ITEMS": "3"}))


class _Crawler:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stats = None


def test_markup_alarm_reads_parsed_values(tmp_path: Path) -> None:
    settings = Settings(
        {
            "JSONL_PATH": str(tmp_path / "world.jsonl"),
            "CALIBER_FIELD_COVERAGE": '{"views": "0.5"}',
            "CALIBER_MIN_ITEMS": "3",
            "CALIBER_REQUIRED_COVERAGE": "0.75",
            "CALIBER_FAILED_PAGES_MAX": "7",
        }
    )
    alarm = MarkupAlarm(_Crawler(settings))
    assert (alarm.min_items, alarm.required_floor, alarm.floors) == (3, 0.75, {"views": 0.5})
    assert alarm.max_saved == 7
    assert alarm.folder.parent == tmp_path / "failed-pages"
    assert re.fullmatch(r"\d{8}T\d{6}Z", alarm.folder.name)


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    with ReplicaServer(default_site()) as server:
        yield server


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            'CALIBER_FIELD_COVERAGE={"authr": 0.5}',
            "caliber_world: CALIBER_FIELD_COVERAGE has an unknown field 'authr' (known: author,"
            " views, cited_sources, image_url, headline, published_at, section, body)",
        ),
        (
            "CALIBER_REQUIRED_COVERAGE=nan",
            "caliber_world: CALIBER_REQUIRED_COVERAGE must be a number from 0 to 1, got 'nan'",
        ),
        (
            "CALIBER_EMPTY_PAGES_TO_STOP=0",
            "caliber_world: CALIBER_EMPTY_PAGES_TO_STOP must be a whole number of at least 1,"
            " got '0'",
        ),
        (
            "CALIBER_MIN_ITEMS=lots",
            "caliber_world: CALIBER_MIN_ITEMS must be a whole number of at least 0, got 'lots'",
        ),
        (
            "CALIBER_STALE_PAGE_TO_STOP=3",
            "caliber_world: CALIBER_STALE_PAGE_TO_STOP is not a setting of newscrawl"
            " (did you mean CALIBER_STALE_PAGES_TO_STOP?)",
        ),
        (
            'CALIBER_SELECTORS={"HEADLNE": "h1"}',
            "caliber_world: CALIBER_SELECTORS must name known selectors, got 'HEADLNE' (did you"
            " mean 'HEADLINE'? python -m newscrawl.selectors lists them)",
        ),
        (
            "CALIBER_PAGE_URL={section}?page=2",
            "caliber_world: CALIBER_PAGE_URL must be a URL template such as {section}?page={page}"
            " or {section}/page/{page} (placeholders {section}, {page}, {base}) that must hold"
            " {page}, got '{section}?page=2'",
        ),
    ],
)
def test_scrapy_crawl_with_a_bad_setting_is_one_line_exit_2_and_no_request(
    replica: ReplicaServer, tmp_path: Path, setting: str, message: str
) -> None:
    before = len(replica.requests)
    dataset = tmp_path / "world.jsonl"
    command, env = crawl_command(
        "-a", f"base_url={replica.base_url}", "-s", f"JSONL_PATH={dataset}", "-s", setting
    )  # fmt: skip
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert (result.returncode, result.stderr, result.stdout) == (2, message + "\n", "")
    assert len(replica.requests) == before
    assert list(tmp_path.iterdir()) == []


RUN_WITHOUT_OUR_COMMAND = """
import sys
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

settings = get_project_settings()
settings.setdict(dict(arg.split("=", 1) for arg in sys.argv[2:]), priority="cmdline")
process = CrawlerProcess(settings)
crawler = process.create_crawler("caliber_world")
process.crawl(crawler, base_url=sys.argv[1])
process.start()
print(crawler.stats.get_value("finish_reason"))
"""


def test_a_crawl_started_without_our_command_closes_as_bad_settings(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    """Scrapy's own runners (a script, another command) reach the spider's from_crawler."""
    before = len(replica.requests)
    dataset = tmp_path / "world.jsonl"
    _, env = crawl_command()
    result = subprocess.run(
        [
            sys.executable, "-c", RUN_WITHOUT_OUR_COMMAND, replica.base_url,
            f"JSONL_PATH={dataset}", "CALIBER_REQUIRED_COVERAGE=nan",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.stdout == "bad_settings\n", result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1
    assert errors[0].endswith(
        "[newscrawl.config] ERROR: Bad setting: CALIBER_REQUIRED_COVERAGE must be a number"
        " from 0 to 1, got 'nan'"
    )
    assert "Traceback" not in result.stderr
    assert len(replica.requests) == before
    assert list(tmp_path.iterdir()) == []  # the dataset was not even opened


def test_the_readme_has_a_row_for_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in config.SETTINGS if f"| `{name}` |" not in readme] == []
